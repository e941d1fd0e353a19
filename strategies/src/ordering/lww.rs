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
use sim_core::strategy::durability::{ClockKind, OrderingSpec, WriteOrder};
use std::sync::Arc;

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

/// Last writer wins by timestamp, stamped by `clock`.
#[derive(Clone, Debug)]
pub struct Lww {
    pub clock: ClockKind,
    pub description: String,
}

fn build(p: &mut Params) -> Result<Arc<dyn OrderingSpec>, ConfigError> {
    let clock = match p.choice("clock") {
        "physical" => ClockKind::Physical {
            skew: p.duration("skew"),
        },
        _ => ClockKind::Lamport,
    };
    Ok(Arc::new(Lww {
        clock,
        description: p.describe(),
    }))
}

impl OrderingSpec for Lww {
    fn write_order(&self) -> WriteOrder {
        WriteOrder::Lww
    }

    fn clock(&self) -> ClockKind {
        self.clock
    }

    fn describe(&self) -> String {
        self.description.clone()
    }
}
