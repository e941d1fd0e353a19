//! No circuit breaker: attempts go wherever the router sends them.

use crate::registry::{Builder, Family, Kind};
use sim_core::conf::{ConfigError, Section};
use sim_core::strategy::{CircuitBreaker, CircuitBreakerSpec};
use std::sync::Arc;

pub const KIND: Kind = Kind {
    family: Family::CircuitBreaker,
    name: "none",
    summary: "no breaker: every server takes attempts",
    params: Vec::new,
    build: Builder::CircuitBreaker(build),
};

#[derive(Clone, Debug, Default)]
pub struct NoBreaker;

fn build(_sec: &Section) -> Result<Arc<dyn CircuitBreakerSpec>, ConfigError> {
    Ok(Arc::new(NoBreaker))
}

impl CircuitBreakerSpec for NoBreaker {
    fn build(&self, _servers: u32) -> Option<Box<dyn CircuitBreaker>> {
        None
    }

    fn describe(&self) -> String {
        "{ kind = \"none\" }".to_string()
    }
}
