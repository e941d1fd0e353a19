//! Random backoff: every retry waits a delay drawn uniformly from `[min, max]`, fresh for
//! each retry, so retries of requests that failed together spread over `max - min`.

use crate::params::{Param, Params};
use crate::registry::{Builder, Family, Kind};
use crate::retry::common;
use crate::retry::jitter::uniform;
use sim_core::SimDuration;
use sim_core::config::ConfigError;
use sim_core::engine::rng::SimRng;
use sim_core::strategy::{RetryLimits, RetryPolicy, RetrySpec};
use std::sync::Arc;

pub const DEFAULT_MIN: SimDuration = SimDuration::ZERO;
pub const DEFAULT_MAX: SimDuration = SimDuration::from_millis(100);

const PARAMS: &[Param] = &[
    Param::duration("min", DEFAULT_MIN, "shortest wait before a retry"),
    Param::duration("max", DEFAULT_MAX, "longest wait before a retry"),
];

pub const KIND: Kind = Kind {
    family: Family::Retry,
    name: "random",
    summary: "retry after a delay drawn uniformly from [min, max]",
    params: &[PARAMS, common::PARAMS],
    build: Builder::Retry(build),
};

#[derive(Clone, Debug)]
pub struct RandomBackoff {
    pub min: SimDuration,
    pub max: SimDuration,
    pub limits: RetryLimits,
    pub description: String,
}

fn build(p: &mut Params) -> Result<Arc<dyn RetrySpec>, ConfigError> {
    let min = p.duration("min");
    let max = p.duration("max");
    if max < min {
        return Err(p.error(
            "max",
            format!("expected a duration of at least `min` ({min}), got {max}"),
        ));
    }
    Ok(Arc::new(RandomBackoff {
        min,
        max,
        limits: common::limits(p),
        description: p.describe(),
    }))
}

impl RetrySpec for RandomBackoff {
    fn build(&self) -> Box<dyn RetryPolicy> {
        Box::new(self.clone())
    }

    fn describe(&self) -> String {
        self.description.clone()
    }
}

impl RetryPolicy for RandomBackoff {
    fn limits(&self) -> RetryLimits {
        self.limits
    }

    fn next_delay(
        &mut self,
        _attempt: u32,
        _previous: SimDuration,
        rng: &mut SimRng,
    ) -> Option<SimDuration> {
        Some(uniform(self.min, self.max, rng))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::retry::testing::from_table;
    use sim_core::config::s;
    use sim_core::engine::rng::{Purpose, RngFactory};

    #[test]
    fn delays_are_uniform_between_min_and_max() {
        let spec =
            from_table::<Arc<dyn RetrySpec>>(&[("min", s("20ms")), ("max", s("60ms"))], &KIND)
                .unwrap();
        let mut policy = spec.build();
        let mut rng = RngFactory::new(2).stream(Purpose::Retry, 0);
        let n = 20_000;
        let draws: Vec<f64> = (0..n)
            .map(|k| {
                let d = policy
                    .next_delay(1 + k % 4, SimDuration::ZERO, &mut rng)
                    .unwrap();
                assert!((20_000_000..=60_000_000).contains(&d.0));
                d.as_millis_f64()
            })
            .collect();
        // U[20, 60] ms: mean 40, sd 40 / sqrt(12) = 11.55; the mean of n draws has sd
        // 11.55 / sqrt(n) = 0.082 ms: allow 4 sd. The share below 30 ms is 1/4, with
        // binomial sd sqrt(0.1875 / n) = 0.0031: allow 4 sd.
        let mean = draws.iter().sum::<f64>() / n as f64;
        assert!((mean - 40.0).abs() < 4.0 * 0.082, "{mean}");
        let low = draws.iter().filter(|&&d| d < 30.0).count() as f64 / n as f64;
        assert!((low - 0.25).abs() < 4.0 * 0.0031, "{low}");
        let e = from_table::<Arc<dyn RetrySpec>>(&[("min", s("2s")), ("max", s("1s"))], &KIND)
            .unwrap_err();
        assert!(e.to_string().contains("at least `min`"), "{e}");
    }
}
