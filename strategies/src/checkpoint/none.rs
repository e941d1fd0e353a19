//! No checkpoints: a crash loses every write the server applied, unless a log keeps them
//! (then a restore replays every write since the start).

use crate::registry::{Builder, Family, Kind, Param};
use sim_core::conf::{ConfigError, Section};
use sim_core::durability::{CheckpointSpec, NoCheckpoint};
use std::sync::Arc;

pub const KIND: Kind = Kind {
    family: Family::Checkpoint,
    name: "none",
    summary: "never checkpoint; with log = true every write survives and is replayed",
    params: || {
        vec![Param::new(
            "log",
            false,
            "log every write durably: a crash loses nothing, a restore replays the log",
        )]
    },
    build: Builder::Checkpoint(build),
};

fn build(sec: &Section) -> Result<Arc<dyn CheckpointSpec>, ConfigError> {
    Ok(Arc::new(NoCheckpoint {
        log: sec.or("log", false)?,
    }))
}
