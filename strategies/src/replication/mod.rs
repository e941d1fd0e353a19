//! Replication: how many servers hold each key and when a write is acknowledged. A key's
//! replicas are the first `factor` servers of its preference order under the strategy's
//! router (see `sim_core::model::state::replication`). With `catch_up` (the default) a replica
//! that recovers copies the keys it missed from the others before it serves again.

pub mod asynchronous;
pub mod none;
pub mod sync;

use crate::params::{Param, Params};

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

/// `factor` and `catch_up`, read.
pub fn factor_and_catch_up(p: &Params) -> (u32, bool) {
    (p.int32("factor"), p.bool("catch_up"))
}
