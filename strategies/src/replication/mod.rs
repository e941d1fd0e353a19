//! Replication: how many servers hold each key and when a write is acknowledged. A key's
//! replicas are the first `factor` servers of its preference order under the strategy's
//! router (see `sim_core::model::replication`).

pub mod asynchronous;
pub mod none;
pub mod sync;

use sim_core::conf::{ConfigError, Section};

pub const DEFAULT_FACTOR: u32 = 3;

/// Reads `factor`: copies of each key, at least 2 (the kind "none" keeps one).
pub fn read_factor(sec: &Section) -> Result<u32, ConfigError> {
    sec.checked(
        "factor",
        Some(DEFAULT_FACTOR),
        |f: &u32| (2..=1024).contains(f),
        "a number of copies from 2 to 1024 (at most the number of servers is used)",
    )
}
