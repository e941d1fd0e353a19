//! Checkpointing: when a server saves its state, and what that costs. Every kind shares
//! the cost model (`cost`, what the server does meanwhile, an optional write-ahead log);
//! the kinds differ in when they checkpoint.

pub mod none;
pub mod periodic;
pub mod young_daly;

use crate::registry::Param;
use sim_core::SimDuration;
use sim_core::conf::{ConfigError, Section};
use sim_core::durability::{CheckpointSettings, During};

pub const DEFAULT_COST: SimDuration = SimDuration::from_secs(30);
pub const DEFAULT_SLOWDOWN: f64 = 2.0;

/// The parameters every checkpointing kind takes.
pub fn settings_params() -> Vec<Param> {
    vec![
        Param::new("cost", DEFAULT_COST, "how long one checkpoint takes"),
        Param::new(
            "during",
            "pause",
            "\"pause\": serve nothing while checkpointing; \"slow\": serve `slowdown` times slower",
        ),
        Param::new(
            "slowdown",
            DEFAULT_SLOWDOWN,
            "service time factor while checkpointing, with during = \"slow\"",
        ),
        Param::new(
            "log",
            false,
            "log every write durably: a crash loses nothing, a restore replays the log",
        ),
    ]
}

/// Reads `cost`, `during`, `slowdown` and `log`.
pub fn read_settings(sec: &Section) -> Result<CheckpointSettings, ConfigError> {
    let cost = sec.positive_duration("cost", Some(DEFAULT_COST))?;
    let during = match sec
        .choice("during", Some("pause"), &["pause", "slow"])?
        .as_str()
    {
        "pause" => {
            if sec.contains("slowdown") {
                return Err(sec.error("slowdown", "`slowdown` applies only with during = \"slow\""));
            }
            During::Pause
        }
        _ => During::Slow {
            factor: sec.checked(
                "slowdown",
                Some(DEFAULT_SLOWDOWN),
                |f: &f64| f.is_finite() && *f >= 1.0,
                "a service time factor of at least 1, like 2.0",
            )?,
        },
    };
    let log = sec.or("log", false)?;
    Ok(CheckpointSettings { cost, during, log })
}

/// The settings as config text, for `describe`.
pub fn describe_settings(s: &CheckpointSettings) -> String {
    let during = match s.during {
        During::Pause => "during = \"pause\"".to_string(),
        During::Slow { factor } => format!("during = \"slow\", slowdown = {factor}"),
    };
    format!("cost = \"{}\", {during}, log = {}", s.cost, s.log)
}
