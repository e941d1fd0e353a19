//! Fixed backoff: every retry waits the same `delay` (with optional full or equal jitter),
//! so retry k of a request leaves k x delay after its failures, whatever k is.

use crate::params::{Param, Params};
use crate::registry::{Builder, Family, Kind};
use crate::retry::common;
use crate::retry::jitter::{self, Jitter};
use sim_core::SimDuration;
use sim_core::config::ConfigError;
use sim_core::engine::rng::SimRng;
use sim_core::strategy::{RetryLimits, RetryPolicy, RetrySpec};
use std::sync::Arc;

pub const DEFAULT_DELAY: SimDuration = SimDuration::from_millis(10);

const PARAMS: &[Param] = &[
    Param::duration("delay", DEFAULT_DELAY, "wait before every retry"),
    Param::choice(
        "jitter",
        jitter::SIMPLE_NAMES,
        "none",
        "none, full or equal",
    ),
];

pub const KIND: Kind = Kind {
    family: Family::Retry,
    name: "fixed",
    summary: "retry after the same `delay` every time",
    params: &[PARAMS, common::PARAMS],
    build: Builder::Retry(build),
};

#[derive(Clone, Debug)]
pub struct Fixed {
    pub delay: SimDuration,
    pub jitter: Jitter,
    pub limits: RetryLimits,
    pub description: String,
}

fn build(p: &mut Params) -> Result<Arc<dyn RetrySpec>, ConfigError> {
    Ok(Arc::new(Fixed {
        delay: p.duration("delay"),
        jitter: Jitter::from_name(p.choice("jitter")),
        limits: common::limits(p),
        description: p.describe(),
    }))
}

impl RetrySpec for Fixed {
    fn build(&self) -> Box<dyn RetryPolicy> {
        Box::new(self.clone())
    }

    fn describe(&self) -> String {
        self.description.clone()
    }
}

impl RetryPolicy for Fixed {
    fn limits(&self) -> RetryLimits {
        self.limits
    }

    fn next_delay(
        &mut self,
        _attempt: u32,
        _previous: SimDuration,
        rng: &mut SimRng,
    ) -> Option<SimDuration> {
        Some(self.jitter.spread(self.delay, rng))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::retry::testing::from_table;
    use sim_core::config::s;
    use sim_core::engine::rng::{Purpose, RngFactory};

    #[test]
    fn waits_the_same_delay_before_every_retry() {
        let spec = from_table::<Arc<dyn RetrySpec>>(&[("delay", s("25ms"))], &KIND).unwrap();
        let mut policy = spec.build();
        let mut rng = RngFactory::new(1).stream(Purpose::Retry, 0);
        for attempt in 1..=5 {
            assert_eq!(
                policy.next_delay(attempt, SimDuration::ZERO, &mut rng),
                Some(SimDuration::from_millis(25))
            );
        }
        assert_eq!(policy.limits().max_attempts, 3);
        assert_eq!(
            spec.describe(),
            "{ kind = \"fixed\", delay = \"25ms\", jitter = \"none\", max_attempts = 3, failover = true }"
        );
        let e =
            from_table::<Arc<dyn RetrySpec>>(&[("jitter", s("decorrelated"))], &KIND).unwrap_err();
        assert!(
            e.to_string().contains("\"none\", \"full\" or \"equal\""),
            "{e}"
        );
    }
}
