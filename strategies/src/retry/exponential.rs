//! Exponential backoff with a cap, and the four jitters of Brooker's "Exponential Backoff
//! and Jitter" (AWS Architecture Blog, 2015). Retry k (k = 0 for the first retry) has
//! `temp = min(cap, base x 2^k)` and waits `temp` (no jitter), `random_between(0, temp)`
//! (full), `temp / 2 + random_between(0, temp / 2)` (equal), or, with decorrelated jitter,
//! `min(cap, random_between(base, previous x 3))` where `previous` is the wait before the
//! last attempt, `base` before the first retry.

use crate::params::{Param, Params};
use crate::registry::{Builder, Family, Kind};
use crate::retry::common;
use crate::retry::jitter::{self, Jitter, uniform};
use sim_core::SimDuration;
use sim_core::config::ConfigError;
use sim_core::engine::rng::SimRng;
use sim_core::strategy::{RetryLimits, RetryPolicy, RetrySpec};
use std::sync::Arc;

pub const DEFAULT_BASE: SimDuration = SimDuration::from_millis(10);
pub const DEFAULT_CAP: SimDuration = SimDuration::from_secs(1);

const PARAMS: &[Param] = &[
    Param::duration(
        "base",
        DEFAULT_BASE,
        "wait before the first retry, before jitter",
    )
    .positive(),
    Param::duration("cap", DEFAULT_CAP, "longest wait"),
    Param::choice(
        "jitter",
        jitter::ALL_NAMES,
        "full",
        "none, full, equal or decorrelated",
    ),
];

pub const KIND: Kind = Kind {
    family: Family::Retry,
    name: "exponential",
    summary: "retry k (from 0) waits min(cap, base x 2^k), with AWS-style jitter",
    params: &[PARAMS, common::PARAMS],
    build: Builder::Retry(build),
};

#[derive(Clone, Debug)]
pub struct Exponential {
    pub base: SimDuration,
    pub cap: SimDuration,
    pub jitter: Jitter,
    pub limits: RetryLimits,
    pub description: String,
}

fn build(p: &mut Params) -> Result<Arc<dyn RetrySpec>, ConfigError> {
    let base = p.duration("base");
    let cap = p.duration("cap");
    if cap < base {
        return Err(p.error(
            "cap",
            format!("expected a duration of at least `base` ({base}), got {cap}"),
        ));
    }
    Ok(Arc::new(Exponential {
        base,
        cap,
        jitter: Jitter::from_name(p.choice("jitter")),
        limits: common::limits(p),
        description: p.describe(),
    }))
}

impl Exponential {
    /// `min(cap, base x 2^k)`: the wait before retry `k` (0-based) without jitter.
    pub fn backoff(&self, k: u32) -> SimDuration {
        let grown = 1u64
            .checked_shl(k)
            .and_then(|factor| self.base.0.checked_mul(factor));
        match grown {
            Some(ns) if ns < self.cap.0 => SimDuration(ns),
            _ => self.cap,
        }
    }
}

impl RetrySpec for Exponential {
    fn build(&self) -> Box<dyn RetryPolicy> {
        Box::new(self.clone())
    }

    fn describe(&self) -> String {
        self.description.clone()
    }
}

impl RetryPolicy for Exponential {
    fn limits(&self) -> RetryLimits {
        self.limits
    }

    fn next_delay(
        &mut self,
        attempt: u32,
        previous: SimDuration,
        rng: &mut SimRng,
    ) -> Option<SimDuration> {
        Some(match self.jitter {
            Jitter::Decorrelated => {
                let previous = if previous.is_zero() {
                    self.base
                } else {
                    previous
                };
                let high = SimDuration(previous.0.saturating_mul(3)).max(self.base);
                uniform(self.base, high, rng).min(self.cap)
            }
            simple => simple.spread(self.backoff(attempt - 1), rng),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::retry::testing::from_table;
    use sim_core::config::s;
    use sim_core::engine::rng::{Purpose, RngFactory};

    fn policy(jitter: &str) -> Box<dyn RetryPolicy> {
        from_table::<Arc<dyn RetrySpec>>(
            &[("base", s("10ms")), ("cap", s("1s")), ("jitter", s(jitter))],
            &KIND,
        )
        .unwrap()
        .build()
    }

    fn rng() -> SimRng {
        RngFactory::new(11).stream(Purpose::Retry, 0)
    }

    #[test]
    fn without_jitter_waits_double_up_to_the_cap() {
        let mut p = policy("none");
        let mut r = rng();
        let waits: Vec<u64> = (1..=10)
            .map(|a| p.next_delay(a, SimDuration::ZERO, &mut r).unwrap().0 / 1_000_000)
            .collect();
        // base x 2^k for k = 0..: 10, 20, ..., 640, then 1280 > cap gives 1000.
        assert_eq!(waits, vec![10, 20, 40, 80, 160, 320, 640, 1000, 1000, 1000]);
        // Shifts past 64 bits saturate at the cap.
        assert_eq!(
            p.next_delay(200, SimDuration::ZERO, &mut r),
            Some(DEFAULT_CAP)
        );
    }

    #[test]
    fn full_and_equal_jitter_stay_inside_their_ranges_with_the_right_mean() {
        // Retry k = 3 (after attempt 4): temp = 80 ms. Full: U[0, 80], mean 40, sd 23.1;
        // equal: U[40, 80], mean 60, sd 11.5. Means of n = 20 000 draws have sd 0.163 and
        // 0.082 ms: allow 4 sd.
        let n = 20_000;
        for (jitter, lo, hi, mean, sd) in [
            ("full", 0.0, 80.0, 40.0, 0.163),
            ("equal", 40.0, 80.0, 60.0, 0.082),
        ] {
            let mut p = policy(jitter);
            let mut r = rng();
            let draws: Vec<f64> = (0..n)
                .map(|_| {
                    p.next_delay(4, SimDuration::ZERO, &mut r)
                        .unwrap()
                        .as_millis_f64()
                })
                .collect();
            assert!(draws.iter().all(|&d| (lo..=hi).contains(&d)), "{jitter}");
            let m = draws.iter().sum::<f64>() / n as f64;
            assert!((m - mean).abs() < 4.0 * sd, "{jitter}: mean {m}");
        }
    }

    #[test]
    fn decorrelated_jitter_draws_between_base_and_three_times_the_last_wait() {
        let mut p = policy("decorrelated");
        let mut r = rng();
        // The first retry draws from U[base, 3 base] = U[10, 30] ms: mean 20, sd 5.77;
        // the mean of 20 000 draws has sd 0.041 ms: allow 4 sd.
        let n = 20_000;
        let first: Vec<f64> = (0..n)
            .map(|_| {
                p.next_delay(1, SimDuration::ZERO, &mut r)
                    .unwrap()
                    .as_millis_f64()
            })
            .collect();
        assert!(first.iter().all(|&d| (10.0..=30.0).contains(&d)));
        let m = first.iter().sum::<f64>() / n as f64;
        assert!((m - 20.0).abs() < 4.0 * 0.041, "{m}");
        // A chain: each wait lies in [base, min(cap, 3 x previous)], and the cap holds.
        let mut previous = SimDuration::ZERO;
        for a in 1..200 {
            let d = p.next_delay(a, previous, &mut r).unwrap();
            let bound = SimDuration((previous.max(DEFAULT_BASE).0 * 3).min(DEFAULT_CAP.0));
            assert!(d >= DEFAULT_BASE && d <= bound, "{d} after {previous}");
            previous = d;
        }
        // From a wait at the cap the next is drawn from U[base, 3 s] and capped at 1 s:
        // P(capped) = (3000 - 1000) / (3000 - 10) = 0.669; over 20 000 draws sd 0.0033.
        let capped = (0..n)
            .filter(|_| p.next_delay(9, DEFAULT_CAP, &mut r).unwrap() == DEFAULT_CAP)
            .count() as f64
            / n as f64;
        assert!((capped - 2000.0 / 2990.0).abs() < 4.0 * 0.0033, "{capped}");
    }

    #[test]
    fn cap_below_base_is_refused() {
        let e = from_table::<Arc<dyn RetrySpec>>(&[("base", s("2s")), ("cap", s("1s"))], &KIND)
            .unwrap_err();
        assert!(e.to_string().contains("at least `base` (2s)"), "{e}");
    }
}
