//! Last writer wins by timestamp: a replica keeps the write with the largest (timestamp,
//! write number), whatever order they arrive in, so replicas that receive the same
//! writes converge. Clients stamp writes with a Lamport clock (ticked per write, advanced
//! past every clock a server reports, so a write follows whatever its client has read)
//! or with a physical clock skewed by a constant offset drawn uniformly from
//! [-skew, +skew] per client. Skew makes an earlier write with a fast clock beat a later
//! one: the later write is acknowledged and silently lost.

use crate::params::{Param, Params};
use crate::registry::{Builder, Family, Kind};
use sim_core::SimDuration;
use sim_core::config::ConfigError;
use sim_core::strategy::durability::{ClockSpec, OrderingSpec};

pub const KIND: Kind = Kind {
    family: Family::Ordering,
    name: "lww",
    summary: "the write with the latest timestamp wins, whatever the arrival order",
    params: &[&[
        Param::choice(
            "clock",
            &["lamport", "physical"],
            "lamport",
            "\"lamport\", or \"physical\": simulated time plus a per-client offset",
        ),
        Param::duration(
            "skew",
            SimDuration::ZERO,
            "with clock = \"physical\": offsets uniform in [-skew, +skew]",
        )
        .when(
            "clock",
            "physical",
            "`skew` applies only with clock = \"physical\"",
        ),
    ]],
    build: Builder::Ordering(build),
};

fn build(p: &mut Params) -> Result<OrderingSpec, ConfigError> {
    let clock = match p.choice("clock") {
        "physical" => ClockSpec::Physical {
            skew: p.duration("skew"),
        },
        _ => ClockSpec::Lamport,
    };
    Ok(OrderingSpec::Lww { clock })
}
