//! The options every retrying kind shares: how many attempts a request may make, how long
//! each attempt waits for its answer, and whether a new attempt fails over to a server the
//! request has not tried yet.

use crate::params::{Default, Param, Params, Ty};
use sim_core::strategy::{MAX_HEDGED_ATTEMPTS, RetryLimits};

/// The most attempts a backoff policy accepts (attempt numbers travel as 16-bit values).
pub const MAX_ATTEMPTS: u32 = u16::MAX as u32;

const ATTEMPT_TIMEOUT: Param = Param::new(
    "attempt_timeout",
    Ty::Duration,
    Default::Unset,
    "an attempt unanswered this long fails and may be retried (default: none)",
    "",
)
.check_message(
    |v| !v.duration().is_zero(),
    "expected a duration longer than 0 (leave it out to wait until the request deadline)",
);

const FAILOVER: Param = Param::bool(
    "failover",
    true,
    "a new attempt avoids servers the request already tried",
);

const MAX_ATTEMPTS_DOC: &str = "attempts per request in all, the first included";

/// The shared parameters of the backoff kinds: 3 attempts by default, up to
/// [`MAX_ATTEMPTS`].
pub const PARAMS: &[Param] = &[
    Param::int32("max_attempts", 3, MAX_ATTEMPTS_DOC, "attempts").check(
        |v| (1..=MAX_ATTEMPTS as u64).contains(&v.int()),
        "an integer from 1 to 65535",
    ),
    ATTEMPT_TIMEOUT,
    FAILOVER,
];

/// The shared parameters of hedging: 2 attempts by default, up to
/// [`MAX_HEDGED_ATTEMPTS`] awaiting answers at once.
pub const HEDGE_PARAMS: &[Param] = &[
    Param::int32("max_attempts", 2, MAX_ATTEMPTS_DOC, "attempts").check(
        |v| (2..=MAX_HEDGED_ATTEMPTS as u64).contains(&v.int()),
        "an integer from 2 to 5",
    ),
    ATTEMPT_TIMEOUT,
    FAILOVER,
];

/// The limits, from the shared parameters read.
pub fn limits(p: &Params) -> RetryLimits {
    RetryLimits {
        max_attempts: p.int32("max_attempts"),
        attempt_timeout: p.get("attempt_timeout").map(|v| v.duration()),
        failover: p.bool("failover"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::config::{ConfigError, Section, Source, Table, Value, i, s};
    use sim_core::{SimDuration, strategy::RetryLimits};

    fn read(
        table: &'static [Param],
        entries: &[(&str, Value)],
    ) -> Result<(RetryLimits, String), ConfigError> {
        let t: Table = entries
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        let src = Source::inline();
        let sec = Section::new(&t, "retry", None, &src);
        let groups: &'static [&'static [Param]] = Box::leak(Box::new([table]));
        let p = Params::read("test", groups, &sec)?;
        Ok((limits(&p), p.describe()))
    }

    #[test]
    fn limits_read_with_defaults_and_checks() {
        let (l, _) = read(PARAMS, &[]).unwrap();
        assert_eq!(
            l,
            RetryLimits {
                max_attempts: 3,
                attempt_timeout: None,
                failover: true
            }
        );
        let (l, text) = read(
            PARAMS,
            &[
                ("max_attempts", i(5)),
                ("attempt_timeout", s("40ms")),
                ("failover", crate::retry::testing::b(false)),
            ],
        )
        .unwrap();
        assert_eq!(l.attempt_timeout, Some(SimDuration::from_millis(40)));
        assert_eq!(
            text,
            "{ kind = \"test\", max_attempts = 5, attempt_timeout = \"40ms\", failover = false }"
        );
        let e = read(HEDGE_PARAMS, &[("max_attempts", i(6))]).unwrap_err();
        assert!(e.to_string().contains("from 2 to 5"), "{e}");
        let e = read(PARAMS, &[("max_attempts", i(0))]).unwrap_err();
        assert!(
            e.to_string().contains(&format!("from 1 to {MAX_ATTEMPTS}")),
            "{e}"
        );
        let e = read(PARAMS, &[("attempt_timeout", s("0s"))]).unwrap_err();
        assert!(e.to_string().contains("longer than 0"), "{e}");
    }

    #[test]
    fn hedge_limit_text_names_the_engine_bound() {
        assert_eq!(MAX_HEDGED_ATTEMPTS, 5, "update the text of HEDGE_PARAMS");
    }
}
