//! No replication: each key lives on the one server that applies its writes.

use crate::registry::{Builder, Family, Kind};
use sim_core::conf::{ConfigError, Section};
use sim_core::durability::ReplicationSpec;

pub const KIND: Kind = Kind {
    family: Family::Replication,
    name: "none",
    summary: "one copy of each key; acknowledged when applied",
    params: Vec::new,
    build: Builder::Replication(build),
};

fn build(_sec: &Section) -> Result<ReplicationSpec, ConfigError> {
    Ok(ReplicationSpec::NONE)
}
