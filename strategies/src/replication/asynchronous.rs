//! Asynchronous replication: the server that applies a write acknowledges it at once and
//! sends the copies `delay` later. A crash in between loses the write unless a checkpoint
//! or log kept it, and reads on other replicas may be stale until the copies land.

use crate::registry::{Builder, Family, Kind, Param};
use crate::replication::{DEFAULT_FACTOR, catch_up_param, read_catch_up, read_factor};
use sim_core::SimDuration;
use sim_core::conf::{ConfigError, Section};
use sim_core::durability::{ReplicationMode, ReplicationSpec};

pub const DEFAULT_DELAY: SimDuration = SimDuration::from_millis(10);

pub const KIND: Kind = Kind {
    family: Family::Replication,
    name: "async",
    summary: "acknowledge when applied; send the copies to the key's replicas `delay` later",
    params: || {
        vec![
            Param::new("factor", DEFAULT_FACTOR, "copies of each key"),
            Param::new(
                "delay",
                DEFAULT_DELAY,
                "time between applying a write and sending its copies",
            ),
            catch_up_param(),
        ]
    },
    build: Builder::Replication(build),
};

fn build(sec: &Section) -> Result<ReplicationSpec, ConfigError> {
    Ok(ReplicationSpec {
        factor: read_factor(sec)?,
        mode: ReplicationMode::Async {
            delay: sec.or("delay", DEFAULT_DELAY)?,
        },
        catch_up: read_catch_up(sec)?,
    })
}
