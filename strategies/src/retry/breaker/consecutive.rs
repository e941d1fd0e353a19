//! A breaker that opens after `failures` failed attempts in a row to its server (any
//! success resets the count), as in resilience4j's count-based or Hystrix-style simple
//! breakers.

use crate::params::{Param, Params};
use crate::registry::{Builder, Family, Kind};
use crate::retry::breaker::{self, BreakerSpec, TripRule};
use sim_core::SimTime;
use sim_core::config::ConfigError;
use sim_core::strategy::CircuitBreakerSpec;
use std::sync::Arc;

pub const DEFAULT_FAILURES: u32 = 5;

const PARAMS: &[Param] = &[Param::int32(
    "failures",
    DEFAULT_FAILURES,
    "consecutive failed attempts that open the breaker",
    "attempts",
)
.check(|v| v.int() >= 1, "an integer of at least 1")];

pub const KIND: Kind = Kind {
    family: Family::CircuitBreaker,
    name: "consecutive",
    summary: "open a server's breaker after `failures` failed attempts in a row",
    params: &[PARAMS, breaker::SETTINGS],
    build: Builder::CircuitBreaker(build),
};

/// Opens after `failures` failed attempts in a row.
#[derive(Clone, Debug)]
pub struct Consecutive {
    pub failures: u32,
}

fn build(p: &mut Params) -> Result<Arc<dyn CircuitBreakerSpec>, ConfigError> {
    Ok(Arc::new(BreakerSpec {
        rule: Consecutive {
            failures: p.int32("failures"),
        },
        settings: breaker::settings(p),
        description: p.describe(),
    }))
}

impl TripRule for Consecutive {
    type Record = u32;

    fn fresh(&self) -> u32 {
        0
    }

    fn record(&self, in_a_row: &mut u32, ok: bool, _now: SimTime) -> bool {
        *in_a_row = if ok { 0 } else { *in_a_row + 1 };
        *in_a_row >= self.failures
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::retry::breaker::{BreakerSettings, Breakers, Phase};
    use sim_core::SimDuration;
    use sim_core::strategy::CircuitBreaker;

    fn ms(x: u64) -> SimTime {
        SimTime(x * 1_000_000)
    }

    #[test]
    fn opens_after_the_threshold_and_half_opens_for_trials() {
        let settings = BreakerSettings {
            open_for: SimDuration::from_millis(500),
            trials: 2,
        };
        let mut b = Breakers::new(Consecutive { failures: 3 }, settings, 4);
        // Two failures, a success (reset), then three failures: the third opens.
        assert_eq!(b.on_result(1, false, ms(1)), None);
        assert_eq!(b.on_result(1, false, ms(2)), None);
        assert_eq!(b.on_result(1, true, ms(3)), None);
        assert_eq!(b.on_result(1, false, ms(4)), None);
        assert_eq!(b.on_result(1, false, ms(5)), None);
        assert_eq!(b.on_result(1, false, ms(6)), Some(settings.open_for));
        assert_eq!(b.phase(1), Phase::Open);
        assert_eq!(b.blocked(), &[1]);
        // Results of attempts sent before the opening change nothing.
        assert_eq!(b.on_result(1, true, ms(7)), None);
        assert_eq!(b.phase(1), Phase::Open);
        b.half_open(1);
        assert_eq!(b.blocked(), &[] as &[u32]);
        // Two trial slots: the server is blocked once both are taken.
        b.on_send(1);
        assert!(b.blocked().is_empty());
        b.on_send(1);
        assert_eq!(b.blocked(), &[1]);
        // An abandoned trial frees its slot.
        b.on_abandon(1);
        assert!(b.blocked().is_empty());
        b.on_send(1);
        // One success is not enough, the second closes it.
        assert_eq!(b.on_result(1, true, ms(600)), None);
        assert_eq!(
            b.phase(1),
            Phase::HalfOpen {
                sent: 2,
                succeeded: 1
            }
        );
        assert_eq!(b.on_result(1, true, ms(601)), None);
        assert_eq!(b.phase(1), Phase::Closed);
        assert!(b.blocked().is_empty());
        // A failed trial opens it again at once.
        for t in 0..3 {
            b.on_result(2, false, ms(700 + t));
        }
        b.half_open(2);
        b.on_send(2);
        assert_eq!(b.on_result(2, false, ms(1300)), Some(settings.open_for));
        assert_eq!(b.phase(2), Phase::Open);
        assert_eq!(b.blocked(), &[2]);
    }
}
