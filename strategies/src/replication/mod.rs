//! Replication: how many servers hold each key and when a write is acknowledged. A key's
//! replicas are the first `factor` servers of its preference order under the strategy's
//! router (see `sim_core::model::replication`). With `catch_up` (the default) a replica
//! that recovers copies the keys it missed from the others before it serves again.

pub mod asynchronous;
pub mod none;
pub mod sync;

use crate::registry::Param;
use sim_core::conf::{ConfigError, Section};

pub const DEFAULT_FACTOR: u32 = 3;

/// Reads `factor`: copies of each key, at least 2 (the kind "none" keeps one).
pub fn read_factor(sec: &Section) -> Result<u32, ConfigError> {
    sec.checked(
        "factor",
        Some(DEFAULT_FACTOR),
        |f: &u32| (2..=1024).contains(f),
        "a number of copies from 2 to 1024, at most `cluster.servers`",
    )
}

pub fn catch_up_param() -> Param {
    Param::new(
        "catch_up",
        true,
        "a recovered replica copies what it missed from the others before serving",
    )
}

/// Reads `catch_up`.
pub fn read_catch_up(sec: &Section) -> Result<bool, ConfigError> {
    sec.or("catch_up", true)
}
