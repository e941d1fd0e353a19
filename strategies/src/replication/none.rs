//! No replication: each key lives on the one server that applies its writes.

use crate::params::Params;
use crate::registry::{Builder, Family, Kind};
use sim_core::SimDuration;
use sim_core::config::ConfigError;
use sim_core::strategy::durability::{AckRule, ReplicationSpec};
use std::sync::Arc;

pub const KIND: Kind = Kind {
    family: Family::Replication,
    name: "none",
    summary: "one copy of each key; acknowledged when applied",
    params: &[],
    build: Builder::Replication(build),
};

/// One copy of each key, acknowledged when applied; nothing to catch up from.
#[derive(Clone, Copy, Debug, Default)]
pub struct Unreplicated;

fn build(_p: &mut Params) -> Result<Arc<dyn ReplicationSpec>, ConfigError> {
    Ok(Arc::new(Unreplicated))
}

impl ReplicationSpec for Unreplicated {
    fn factor(&self) -> u32 {
        1
    }

    fn ack_rule(&self) -> AckRule {
        AckRule::Async {
            delay: SimDuration::ZERO,
        }
    }

    fn catch_up(&self) -> bool {
        false
    }

    fn describe(&self) -> String {
        crate::params::bare(KIND.name)
    }
}
