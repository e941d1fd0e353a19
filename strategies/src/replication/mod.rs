//! Replication: how many servers hold each key and when a write is acknowledged. A key's
//! replicas are the first `factor` servers of its preference order under the strategy's
//! router (see `sim_core::model::state::replication`). With `catch_up` (the default) a replica
//! that recovers copies the keys it missed from the others before it serves again.

pub mod asynchronous;
pub mod none;
pub mod sync;

use crate::params::{Param, Params};
use sim_core::strategy::durability::{AckRule, ReplicationSpec};

pub const DEFAULT_FACTOR: u32 = 3;

/// `factor`: copies of each key, at least 2 (the kind "none" keeps one).
pub const FACTOR: Param = Param::int32("factor", DEFAULT_FACTOR, "copies of each key", "copies")
    .check(
        |v| (2..=1024).contains(&v.int()),
        "a number of copies from 2 to 1024, at most `cluster.servers`",
    );

pub const CATCH_UP: Param = Param::bool(
    "catch_up",
    true,
    "a recovered replica copies what it missed from the others before serving",
);

/// Replication to `factor` servers by an ack rule, as the kinds "sync" and "async" build
/// it from their tables.
#[derive(Clone, Debug)]
pub struct Replicated {
    pub factor: u32,
    pub acks: AckRule,
    pub catch_up: bool,
    pub description: String,
}

impl Replicated {
    /// `factor` and `catch_up` read from the table, with the kind's ack rule.
    pub fn new(p: &Params, acks: AckRule) -> Self {
        Replicated {
            factor: p.int32("factor"),
            acks,
            catch_up: p.bool("catch_up"),
            description: p.describe(),
        }
    }
}

impl ReplicationSpec for Replicated {
    fn factor(&self) -> u32 {
        self.factor
    }

    fn ack_rule(&self) -> AckRule {
        self.acks
    }

    fn catch_up(&self) -> bool {
        self.catch_up
    }

    fn describe(&self) -> String {
        self.description.clone()
    }
}
