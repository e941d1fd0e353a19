//! No circuit breaker: attempts go wherever the router sends them.

use crate::params::Params;
use crate::registry::{Builder, Family, Kind};
use sim_core::config::ConfigError;
use sim_core::strategy::{CircuitBreaker, CircuitBreakerSpec};
use std::sync::Arc;

pub const KIND: Kind = Kind {
    family: Family::CircuitBreaker,
    name: "none",
    summary: "no breaker: every server takes attempts",
    params: &[],
    build: Builder::CircuitBreaker(build),
};

#[derive(Clone, Debug, Default)]
pub struct NoBreaker;

fn build(_p: &mut Params) -> Result<Arc<dyn CircuitBreakerSpec>, ConfigError> {
    Ok(Arc::new(NoBreaker))
}

impl CircuitBreakerSpec for NoBreaker {
    fn build(&self, _servers: u32) -> Option<Box<dyn CircuitBreaker>> {
        None
    }

    fn describe(&self) -> String {
        crate::params::bare(KIND.name)
    }
}
