//! Linear backoff: retry k (k = 0 for the first retry) waits `initial + k x step`, with
//! optional full or equal jitter applied to that value.

use crate::registry::{Builder, Family, Kind, Param};
use crate::retry::common;
use crate::retry::jitter::{self, Jitter};
use sim_core::SimDuration;
use sim_core::conf::{ConfigError, Section};
use sim_core::rng::SimRng;
use sim_core::strategy::{RetryLimits, RetryPolicy, RetrySpec};
use std::sync::Arc;

pub const DEFAULT_INITIAL: SimDuration = SimDuration::from_millis(10);
pub const DEFAULT_STEP: SimDuration = SimDuration::from_millis(10);

pub const KIND: Kind = Kind {
    family: Family::Retry,
    name: "linear",
    summary: "retry k (from 0) waits initial + k x step",
    params: || {
        let mut p = vec![
            Param::new(
                "initial",
                DEFAULT_INITIAL,
                "wait before the first retry (t0)",
            ),
            Param::new(
                "step",
                DEFAULT_STEP,
                "added to the wait for each further retry (d)",
            ),
            Param::new("jitter", "none", "none, full or equal"),
        ];
        p.extend(common::params(3));
        p
    },
    build: Builder::Retry(build),
};

#[derive(Clone, Debug)]
pub struct Linear {
    pub initial: SimDuration,
    pub step: SimDuration,
    pub jitter: Jitter,
    pub limits: RetryLimits,
}

fn build(sec: &Section) -> Result<Arc<dyn RetrySpec>, ConfigError> {
    Ok(Arc::new(Linear {
        initial: sec.or("initial", DEFAULT_INITIAL)?,
        step: sec.or("step", DEFAULT_STEP)?,
        jitter: Jitter::read(sec, Jitter::None, &jitter::SIMPLE)?,
        limits: common::read(sec, 3, 1, common::MAX_ATTEMPTS)?,
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
        format!(
            "{{ kind = \"linear\", initial = \"{}\", step = \"{}\", jitter = \"{}\"{} }}",
            self.initial,
            self.step,
            self.jitter.name(),
            common::describe(&self.limits)
        )
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
    use sim_core::conf::{i, s};
    use sim_core::rng::{Purpose, RngFactory};

    #[test]
    fn waits_grow_by_step_from_initial() {
        let spec = from_table(
            &[
                ("initial", s("30ms")),
                ("step", s("20ms")),
                ("max_attempts", i(6)),
            ],
            build,
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
        let spec = from_table(&[("jitter", s("full"))], build).unwrap();
        let mut policy = spec.build();
        let mut rng = RngFactory::new(5).stream(Purpose::Retry, 0);
        for _ in 0..1000 {
            // Retry 2 (after attempt 3): at most 10 + 2 x 10 = 30 ms.
            let d = policy.next_delay(3, SimDuration::ZERO, &mut rng).unwrap();
            assert!(d <= SimDuration::from_millis(30));
        }
    }
}
