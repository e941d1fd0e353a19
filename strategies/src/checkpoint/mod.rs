//! Checkpointing: when a server saves its state, and what that costs. Every kind shares
//! the cost model (`cost`, what the server does meanwhile, an optional write-ahead log);
//! the kinds differ in when they checkpoint.

pub mod none;
pub mod periodic;
pub mod young_daly;

use crate::params::{Param, Params};
use sim_core::SimDuration;
use sim_core::strategy::durability::{CheckpointSettings, During};

pub const DEFAULT_COST: SimDuration = SimDuration::from_secs(30);
pub const DEFAULT_SLOWDOWN: f64 = 2.0;

/// Logging every write, a parameter of every kind.
pub const LOG: Param = Param::bool(
    "log",
    false,
    "log every write durably: a crash loses nothing, a restore replays the log",
);

/// The parameters every checkpointing kind takes.
pub const SETTINGS: &[Param] = &[
    Param::duration("cost", DEFAULT_COST, "how long one checkpoint takes").positive(),
    Param::choice(
        "during",
        &["pause", "slow"],
        "pause",
        "\"pause\": serve nothing while checkpointing; \"slow\": serve `slowdown` times slower",
    ),
    Param::number(
        "slowdown",
        DEFAULT_SLOWDOWN,
        "service time factor while checkpointing, with during = \"slow\"",
        "x",
    )
    .check(
        |v| v.float().is_finite() && v.float() >= 1.0,
        "a service time factor of at least 1, like 2.0",
    )
    .when(
        "during",
        "slow",
        "`slowdown` applies only with during = \"slow\"",
    ),
    LOG,
];

/// The shared settings, from the parameters read.
pub fn settings(p: &Params) -> CheckpointSettings {
    CheckpointSettings {
        cost: p.duration("cost"),
        during: match p.choice("during") {
            "slow" => During::Slow {
                factor: p.float("slowdown"),
            },
            _ => During::Pause,
        },
        log: p.bool("log"),
    }
}
