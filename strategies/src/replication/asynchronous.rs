//! Asynchronous replication: the server that applies a write acknowledges it at once and
//! sends the copies `delay` later. A crash in between loses the write unless a checkpoint
//! or log kept it, and reads on other replicas may be stale until the copies land.

use crate::params::{Param, Params};
use crate::registry::{Builder, Family, Kind};
use crate::replication::{CATCH_UP, FACTOR, factor_and_catch_up};
use sim_core::SimDuration;
use sim_core::config::ConfigError;
use sim_core::strategy::durability::{ReplicationMode, ReplicationSpec};

pub const DEFAULT_DELAY: SimDuration = SimDuration::from_millis(10);

pub const KIND: Kind = Kind {
    family: Family::Replication,
    name: "async",
    summary: "acknowledge when applied; send the copies to the key's replicas `delay` later",
    params: &[&[
        FACTOR,
        Param::duration(
            "delay",
            DEFAULT_DELAY,
            "time between applying a write and sending its copies",
        ),
        CATCH_UP,
    ]],
    build: Builder::Replication(build),
};

fn build(p: &mut Params) -> Result<ReplicationSpec, ConfigError> {
    let (factor, catch_up) = factor_and_catch_up(p);
    Ok(ReplicationSpec {
        factor,
        mode: ReplicationMode::Async {
            delay: p.duration("delay"),
        },
        catch_up,
    })
}
