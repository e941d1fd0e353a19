//! Last writer wins by timestamp: a replica keeps the write with the largest (timestamp,
//! write number), whatever order they arrive in, so replicas that receive the same
//! writes converge. Clients stamp writes with a Lamport clock (ticked per write, advanced
//! past every clock a server reports, so a write follows whatever its client has read)
//! or with a physical clock skewed by a constant offset drawn uniformly from
//! [-skew, +skew] per client. Skew makes an earlier write with a fast clock beat a later
//! one: the later write is acknowledged and silently lost.

use crate::registry::{Builder, Family, Kind, Param};
use sim_core::SimDuration;
use sim_core::conf::{ConfigError, Section};
use sim_core::durability::{ClockSpec, OrderingSpec};

pub const KIND: Kind = Kind {
    family: Family::Ordering,
    name: "lww",
    summary: "the write with the latest timestamp wins, whatever the arrival order",
    params: || {
        vec![
            Param::new(
                "clock",
                "lamport",
                "\"lamport\", or \"physical\": simulated time plus a per-client offset",
            ),
            Param::new(
                "skew",
                "0s",
                "with clock = \"physical\": offsets uniform in [-skew, +skew]",
            ),
        ]
    },
    build: Builder::Ordering(build),
};

fn build(sec: &Section) -> Result<OrderingSpec, ConfigError> {
    let clock = match sec
        .choice("clock", Some("lamport"), &["lamport", "physical"])?
        .as_str()
    {
        "lamport" => {
            if sec.contains("skew") {
                return Err(sec.error("skew", "`skew` applies only with clock = \"physical\""));
            }
            ClockSpec::Lamport
        }
        _ => ClockSpec::Physical {
            skew: sec.or("skew", SimDuration::ZERO)?,
        },
    };
    Ok(OrderingSpec::Lww { clock })
}
