//! No replication: each key lives on the one server that applies its writes.

use crate::params::Params;
use crate::registry::{Builder, Family, Kind};
use sim_core::config::ConfigError;
use sim_core::strategy::durability::ReplicationSpec;

pub const KIND: Kind = Kind {
    family: Family::Replication,
    name: "none",
    summary: "one copy of each key; acknowledged when applied",
    params: &[],
    build: Builder::Replication(build),
};

fn build(_p: &mut Params) -> Result<ReplicationSpec, ConfigError> {
    Ok(ReplicationSpec::NONE)
}
