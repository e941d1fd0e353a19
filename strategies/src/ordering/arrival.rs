//! Arrival order: every write a replica receives overwrites the key. Replicas that
//! receive the same writes in different orders (network jitter, a retried write landing
//! late) end up holding different values.

use crate::params::Params;
use crate::registry::{Builder, Family, Kind};
use sim_core::config::ConfigError;
use sim_core::strategy::durability::{ClockKind, OrderingSpec, WriteOrder};
use std::sync::Arc;

pub const KIND: Kind = Kind {
    family: Family::Ordering,
    name: "arrival",
    summary: "the last write to arrive wins",
    params: &[],
    build: Builder::Ordering(build),
};

/// The last write to arrive wins.
#[derive(Clone, Copy, Debug, Default)]
pub struct Arrival;

fn build(_p: &mut Params) -> Result<Arc<dyn OrderingSpec>, ConfigError> {
    Ok(Arc::new(Arrival))
}

impl OrderingSpec for Arrival {
    fn write_order(&self) -> WriteOrder {
        WriteOrder::Arrival
    }

    /// Clients keep a Lamport clock, which arrival order does not look at.
    fn clock(&self) -> ClockKind {
        ClockKind::Lamport
    }

    fn describe(&self) -> String {
        crate::params::bare(KIND.name)
    }
}
