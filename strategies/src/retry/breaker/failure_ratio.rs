//! A breaker that opens when, over a sliding `window`, at least `min_attempts` attempts
//! to its server ended and a share of at least `ratio` of them failed, as in resilience4j's
//! time-based sliding window or Envoy's outlier detection by success rate. The window
//! slides a tenth of its length at a time (see `window.rs`).

use crate::params::{Param, Params};
use crate::registry::{Builder, Family, Kind};
use crate::retry::breaker::{self, BreakerSpec, TripRule};
use crate::retry::window::SlicedWindow;
use sim_core::config::ConfigError;
use sim_core::strategy::CircuitBreakerSpec;
use sim_core::{SimDuration, SimTime};
use std::ops::Add;
use std::sync::Arc;

pub const DEFAULT_RATIO: f64 = 0.5;
pub const DEFAULT_WINDOW: SimDuration = SimDuration::from_secs(10);
pub const DEFAULT_MIN_ATTEMPTS: u32 = 20;

const PARAMS: &[Param] = &[
    Param::number(
        "ratio",
        DEFAULT_RATIO,
        "failed share of the window's attempts that opens the breaker",
        "share",
    )
    .check(
        |v| v.float() > 0.0 && v.float() <= 1.0,
        "a share above 0 and at most 1",
    ),
    Param::duration("window", DEFAULT_WINDOW, "how long results count").positive(),
    Param::int32(
        "min_attempts",
        DEFAULT_MIN_ATTEMPTS,
        "attempts the window must hold before the ratio counts",
        "attempts",
    )
    .check(|v| v.int() >= 1, "an integer of at least 1"),
];

pub const KIND: Kind = Kind {
    family: Family::CircuitBreaker,
    name: "failure-ratio",
    summary: "open a server's breaker when the failed share of recent attempts reaches `ratio`",
    params: &[PARAMS, breaker::SETTINGS],
    build: Builder::CircuitBreaker(build),
};

#[derive(Clone, Debug, PartialEq)]
pub struct FailureRatio {
    pub ratio: f64,
    pub window: SimDuration,
    pub min_attempts: u32,
}

fn build(p: &mut Params) -> Result<Arc<dyn CircuitBreakerSpec>, ConfigError> {
    Ok(Arc::new(BreakerSpec {
        rule: FailureRatio {
            ratio: p.float("ratio"),
            window: p.duration("window"),
            min_attempts: p.int32("min_attempts"),
        },
        settings: breaker::settings(p),
        description: p.describe(),
    }))
}

/// Attempts ended and failed in a slice of the window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub ended: u32,
    pub failed: u32,
}

impl Add for Tally {
    type Output = Tally;
    fn add(self, other: Tally) -> Tally {
        Tally {
            ended: self.ended + other.ended,
            failed: self.failed + other.failed,
        }
    }
}

impl TripRule for FailureRatio {
    type Record = SlicedWindow<Tally>;

    fn fresh(&self) -> SlicedWindow<Tally> {
        SlicedWindow::new(self.window)
    }

    fn record(&self, window: &mut SlicedWindow<Tally>, ok: bool, now: SimTime) -> bool {
        window.add(
            now,
            Tally {
                ended: 1,
                failed: u32::from(!ok),
            },
        );
        let t = window.sum(now);
        t.ended >= self.min_attempts && f64::from(t.failed) >= self.ratio * f64::from(t.ended)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::retry::breaker::{BreakerSettings, Breakers, Phase};
    use sim_core::strategy::CircuitBreaker;

    #[test]
    fn opens_at_the_ratio_once_enough_attempts_ended() {
        let rule = FailureRatio {
            ratio: 0.5,
            window: SimDuration::from_secs(1),
            min_attempts: 10,
        };
        let settings = BreakerSettings {
            open_for: SimDuration::from_secs(2),
            trials: 1,
        };
        let mut b = Breakers::new(rule, settings, 1);
        let ms = |x: u64| SimTime(x * 1_000_000);
        // Five failures alone do not open (fewer than 10 attempts)...
        for t in 0..5 {
            assert_eq!(b.on_result(0, false, ms(t)), None);
        }
        // ...nor do four successes (9 attempts).
        for t in 5..9 {
            assert_eq!(b.on_result(0, true, ms(t)), None);
        }
        // The tenth attempt, a success: 5 of 10 failed = 0.5 >= ratio, it opens.
        assert_eq!(b.on_result(0, true, ms(9)), Some(settings.open_for));
        assert_eq!(b.phase(0), Phase::Open);
        // Closed again after a successful trial, the window starts empty.
        b.half_open(0);
        b.on_send(0);
        assert_eq!(b.on_result(0, true, ms(2_100)), None);
        assert_eq!(b.phase(0), Phase::Closed);
        for t in 0..9 {
            assert_eq!(b.on_result(0, false, ms(2_200 + t)), None);
        }
        // Old results expire: ten failures spread over 2 s never fill a 1 s window.
        let mut c = Breakers::new(
            FailureRatio {
                ratio: 0.5,
                window: SimDuration::from_secs(1),
                min_attempts: 10,
            },
            settings,
            1,
        );
        for k in 0..10 {
            assert_eq!(c.on_result(0, false, ms(k * 200)), None, "attempt {k}");
        }
    }
}
