//! No retries: every request gets exactly one attempt, which waits for its answer until
//! the request's deadline.

use crate::params::Params;
use crate::registry::{Builder, Family, Kind};
use sim_core::SimDuration;
use sim_core::config::ConfigError;
use sim_core::engine::rng::SimRng;
use sim_core::strategy::{RetryLimits, RetryPolicy, RetrySpec};
use std::sync::Arc;

pub const KIND: Kind = Kind {
    family: Family::Retry,
    name: "none",
    summary: "one attempt per request, never retried",
    params: &[],
    build: Builder::Retry(build),
};

#[derive(Clone, Debug, Default)]
pub struct NoRetry;

fn build(_p: &mut Params) -> Result<Arc<dyn RetrySpec>, ConfigError> {
    Ok(Arc::new(NoRetry))
}

impl RetrySpec for NoRetry {
    fn build(&self) -> Box<dyn RetryPolicy> {
        Box::new(NoRetry)
    }

    fn describe(&self) -> String {
        crate::params::bare(KIND.name)
    }
}

impl RetryPolicy for NoRetry {
    fn limits(&self) -> RetryLimits {
        RetryLimits::SINGLE
    }

    fn next_delay(
        &mut self,
        _attempt: u32,
        _previous: SimDuration,
        _rng: &mut SimRng,
    ) -> Option<SimDuration> {
        None
    }
}
