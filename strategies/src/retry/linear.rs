//! Linear backoff: retry k (k = 0 for the first retry) waits `initial + k x step`, with
//! optional full or equal jitter applied to that value.

use crate::params::{Param, Params};
use crate::registry::{Builder, Family, Kind};
use crate::retry::common;
use crate::retry::jitter::{self, Jitter};
use sim_core::SimDuration;
use sim_core::config::ConfigError;
use sim_core::engine::rng::SimRng;
use sim_core::strategy::{RetryLimits, RetryPolicy, RetrySpec};
use std::sync::Arc;

pub const DEFAULT_INITIAL: SimDuration = SimDuration::from_millis(10);
pub const DEFAULT_STEP: SimDuration = SimDuration::from_millis(10);

const PARAMS: &[Param] = &[
    Param::duration(
        "initial",
        DEFAULT_INITIAL,
        "wait before the first retry (t0)",
    ),
    Param::duration(
        "step",
        DEFAULT_STEP,
        "added to the wait for each further retry (d)",
    ),
    Param::choice(
        "jitter",
        jitter::SIMPLE_NAMES,
        "none",
        "none, full or equal",
    ),
];

pub const KIND: Kind = Kind {
    family: Family::Retry,
    name: "linear",
    summary: "retry k (from 0) waits initial + k x step",
    params: &[PARAMS, common::PARAMS],
    build: Builder::Retry(build),
};

#[derive(Clone, Debug)]
pub struct Linear {
    pub initial: SimDuration,
    pub step: SimDuration,
    pub jitter: Jitter,
    pub limits: RetryLimits,
    pub description: String,
}

fn build(p: &mut Params) -> Result<Arc<dyn RetrySpec>, ConfigError> {
    Ok(Arc::new(Linear {
        initial: p.duration("initial"),
        step: p.duration("step"),
        jitter: Jitter::from_name(p.choice("jitter")),
        limits: common::limits(p),
        description: p.describe(),
    }))
}

impl Linear {
    /// The wait before retry `k` (0-based) without jitter.
    pub fn backoff(&self, k: u32) -> SimDuration {
        SimDuration(
            self.initial
                .0
                .saturating_add(self.step.0.saturating_mul(u64::from(k))),
        )
    }
}

impl RetrySpec for Linear {
    fn build(&self) -> Box<dyn RetryPolicy> {
        Box::new(self.clone())
    }

    fn describe(&self) -> String {
        self.description.clone()
    }
}

impl RetryPolicy for Linear {
    fn limits(&self) -> RetryLimits {
        self.limits
    }

    fn next_delay(
        &mut self,
        attempt: u32,
        _previous: SimDuration,
        rng: &mut SimRng,
    ) -> Option<SimDuration> {
        Some(self.jitter.spread(self.backoff(attempt - 1), rng))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::retry::testing::from_table;
    use sim_core::config::{i, s};
    use sim_core::engine::rng::{Purpose, RngFactory};

    #[test]
    fn waits_grow_by_step_from_initial() {
        let spec = from_table::<Arc<dyn RetrySpec>>(
            &[
                ("initial", s("30ms")),
                ("step", s("20ms")),
                ("max_attempts", i(6)),
            ],
            &KIND,
        )
        .unwrap();
        let mut policy = spec.build();
        let mut rng = RngFactory::new(1).stream(Purpose::Retry, 0);
        // After failed attempt a, retry k = a - 1 waits 30 + 20 k ms: 30, 50, 70, 90, 110.
        let waits: Vec<u64> = (1..=5)
            .map(|a| policy.next_delay(a, SimDuration::ZERO, &mut rng).unwrap().0 / 1_000_000)
            .collect();
        assert_eq!(waits, vec![30, 50, 70, 90, 110]);
        assert_eq!(policy.limits().max_attempts, 6);
    }

    #[test]
    fn full_jitter_draws_below_the_linear_value() {
        let spec = from_table::<Arc<dyn RetrySpec>>(&[("jitter", s("full"))], &KIND).unwrap();
        let mut policy = spec.build();
        let mut rng = RngFactory::new(5).stream(Purpose::Retry, 0);
        for _ in 0..1000 {
            // Retry 2 (after attempt 3): at most 10 + 2 x 10 = 30 ms.
            let d = policy.next_delay(3, SimDuration::ZERO, &mut rng).unwrap();
            assert!(d <= SimDuration::from_millis(30));
        }
    }
}
