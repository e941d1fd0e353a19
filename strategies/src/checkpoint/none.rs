//! No checkpoints: a crash loses every write the server applied, unless a log keeps them
//! (then a restore replays every write since the start).

use crate::checkpoint::LOG;
use crate::params::{Params, Show};
use crate::registry::{Builder, Family, Kind};
use sim_core::config::ConfigError;
use sim_core::strategy::durability::{
    CheckpointPolicy, CheckpointSettings, CheckpointSpec, NoCheckpoint,
};
use std::sync::Arc;

pub const KIND: Kind = Kind {
    family: Family::Checkpoint,
    name: "none",
    summary: "never checkpoint; with log = true every write survives and is replayed",
    params: &[&[LOG.show(Show::UnlessDefault)]],
    build: Builder::Checkpoint(build),
};

/// Never checkpoints, with or without a log.
#[derive(Debug)]
struct Never {
    inner: NoCheckpoint,
    description: String,
}

fn build(p: &mut Params) -> Result<Arc<dyn CheckpointSpec>, ConfigError> {
    Ok(Arc::new(Never {
        inner: NoCheckpoint { log: p.bool("log") },
        description: p.describe(),
    }))
}

impl CheckpointSpec for Never {
    fn settings(&self) -> CheckpointSettings {
        self.inner.settings()
    }

    fn build(&self) -> Box<dyn CheckpointPolicy> {
        self.inner.build()
    }

    fn describe(&self) -> String {
        self.description.clone()
    }

    fn checkpoints(&self) -> bool {
        self.inner.checkpoints()
    }
}
