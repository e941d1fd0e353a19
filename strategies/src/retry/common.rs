//! The options every retrying kind shares: how many attempts a request may make, how long
//! each attempt waits for its answer, and whether a new attempt fails over to a server the
//! request has not tried yet.

use crate::registry::Param;
use sim_core::SimDuration;
use sim_core::conf::{ConfigError, Section};
use sim_core::strategy::RetryLimits;

/// The shared parameters, for listings.
pub fn params(default_attempts: u32) -> Vec<Param> {
    vec![
        Param::new(
            "max_attempts",
            default_attempts,
            "attempts per request in all, the first included",
        ),
        Param::new(
            "attempt_timeout",
            "-",
            "an attempt unanswered this long fails and may be retried (default: none)",
        ),
        Param::new(
            "failover",
            true,
            "a new attempt avoids servers the request already tried",
        ),
    ]
}

/// Reads the shared parameters; `max_attempts` must lie in `min..=max`.
pub fn read(
    sec: &Section,
    default_attempts: u32,
    min: u32,
    max: u32,
) -> Result<RetryLimits, ConfigError> {
    let max_attempts = sec.checked(
        "max_attempts",
        Some(default_attempts),
        |n| (min..=max).contains(n),
        &format!("an integer from {min} to {max}"),
    )?;
    let attempt_timeout = match sec.opt::<SimDuration>("attempt_timeout")? {
        Some(d) if d.is_zero() => {
            return Err(sec.error(
                "attempt_timeout",
                "expected a duration longer than 0 (leave it out to wait until the request deadline)",
            ));
        }
        other => other,
    };
    let failover = sec.or("failover", true)?;
    Ok(RetryLimits {
        max_attempts,
        attempt_timeout,
        failover,
    })
}

/// The shared parameters as config text, starting with a comma.
pub fn describe(limits: &RetryLimits) -> String {
    let mut text = format!(", max_attempts = {}", limits.max_attempts);
    if let Some(t) = limits.attempt_timeout {
        text.push_str(&format!(", attempt_timeout = \"{t}\""));
    }
    text.push_str(&format!(", failover = {}", limits.failover));
    text
}

/// The most attempts a backoff policy accepts (attempt numbers travel as 16-bit values).
pub const MAX_ATTEMPTS: u32 = u16::MAX as u32;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::retry::testing::{b, from_table};
    use sim_core::conf::{i, s};

    #[test]
    fn limits_read_with_defaults_and_checks() {
        let l = from_table(&[], |sec| read(sec, 3, 1, MAX_ATTEMPTS)).unwrap();
        assert_eq!(
            l,
            RetryLimits {
                max_attempts: 3,
                attempt_timeout: None,
                failover: true
            }
        );
        let l = from_table(
            &[
                ("max_attempts", i(5)),
                ("attempt_timeout", s("40ms")),
                ("failover", b(false)),
            ],
            |sec| read(sec, 3, 1, MAX_ATTEMPTS),
        )
        .unwrap();
        assert_eq!(l.attempt_timeout, Some(SimDuration::from_millis(40)));
        assert_eq!(
            describe(&l),
            ", max_attempts = 5, attempt_timeout = \"40ms\", failover = false"
        );
        let e = from_table(&[("max_attempts", i(0))], |sec| read(sec, 3, 1, 9)).unwrap_err();
        assert!(e.to_string().contains("from 1 to 9"), "{e}");
        let e = from_table(&[("attempt_timeout", s("0s"))], |sec| read(sec, 3, 1, 9)).unwrap_err();
        assert!(e.to_string().contains("longer than 0"), "{e}");
    }
}
