//! Arrival order: every write a replica receives overwrites the key. Replicas that
//! receive the same writes in different orders (network jitter, a retried write landing
//! late) end up holding different values.

use crate::params::Params;
use crate::registry::{Builder, Family, Kind};
use sim_core::config::ConfigError;
use sim_core::strategy::durability::OrderingSpec;

pub const KIND: Kind = Kind {
    family: Family::Ordering,
    name: "arrival",
    summary: "the last write to arrive wins",
    params: &[],
    build: Builder::Ordering(build),
};

fn build(_p: &mut Params) -> Result<OrderingSpec, ConfigError> {
    Ok(OrderingSpec::Arrival)
}
