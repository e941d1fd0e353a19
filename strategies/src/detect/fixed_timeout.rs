//! Fixed timeout: a server is suspected when no heartbeat has arrived for longer than
//! `timeout` (or `misses` heartbeat intervals): its deadline is the last heartbeat plus
//! `timeout`, and a heartbeat arriving exactly then keeps it trusted. The simplest
//! detector, and the baseline: its detection time of a crash is at most `timeout` plus
//! one network delay (plus the 1 ns past the deadline), and it suspects a live server
//! whenever heartbeats are delayed or lost for longer than `timeout`.

use crate::detect::placement;
use crate::params::{Default, Param, Params, Show, Ty, Val};
use crate::registry::{Builder, Family, Kind};
use sim_core::config::ConfigError;
use sim_core::engine::rng::SimRng;
use sim_core::strategy::{Detector, DetectorPlacement, DetectorSpec};
use sim_core::{SimDuration, SimTime};
use std::sync::Arc;

pub const DEFAULT_INTERVAL: SimDuration = SimDuration::from_millis(100);
pub const DEFAULT_TIMEOUT: SimDuration = SimDuration::from_millis(300);

const PARAMS: &[Param] = &[
    Param::duration(
        "interval",
        DEFAULT_INTERVAL,
        "heartbeat period of every server",
    )
    .positive(),
    Param::duration(
        "timeout",
        DEFAULT_TIMEOUT,
        "silence after the last heartbeat before suspicion",
    )
    .positive(),
    Param::new(
        "misses",
        Ty::Int,
        Default::Unset,
        "alternative to timeout: suspect after this many missed intervals",
        "heartbeats",
    )
    .check(|v| v.int() >= 1, "an integer of at least 1")
    .instead_of("timeout")
    .show(Show::Never),
];

pub const KIND: Kind = Kind {
    family: Family::Detector,
    name: "fixed-timeout",
    summary: "suspect a server after `timeout` (or `misses` intervals) without a heartbeat",
    params: &[PARAMS, placement::PARAMS],
    build: Builder::Detector(build),
};

#[derive(Clone, Debug)]
pub struct FixedTimeout {
    pub interval: SimDuration,
    pub timeout: SimDuration,
    pub placement: DetectorPlacement,
    pub description: String,
}

fn build(p: &mut Params) -> Result<Arc<dyn DetectorSpec>, ConfigError> {
    let interval = p.duration("interval");
    let timeout = match p.get("misses") {
        Some(misses) => SimDuration(interval.0.saturating_mul(misses.int())),
        None => p.duration("timeout"),
    };
    p.set("timeout", Some(Val::Duration(timeout)));
    if timeout < interval {
        // A live server's heartbeats come `interval` apart: a shorter timeout suspects
        // every server between any two of them.
        let key = if p.given("timeout") {
            "timeout"
        } else {
            "interval"
        };
        return Err(p.error(
            key,
            format!("expected a timeout of at least the heartbeat interval ({interval}), got {timeout}: a shorter one suspects every live server between two heartbeats"),
        ));
    }
    Ok(Arc::new(FixedTimeout {
        interval,
        timeout,
        placement: placement::read(p),
        description: p.describe(),
    }))
}

impl DetectorSpec for FixedTimeout {
    fn heartbeat_interval(&self) -> Option<SimDuration> {
        Some(self.interval)
    }

    fn build(&self, _servers: u32, _rng: SimRng) -> Box<dyn Detector> {
        Box::new(self.clone())
    }

    fn describe(&self) -> String {
        self.description.clone()
    }

    fn placement(&self) -> DetectorPlacement {
        self.placement
    }
}

impl Detector for FixedTimeout {
    fn on_heartbeat(&mut self, _server: u32, now: SimTime) -> SimTime {
        now.saturating_add(self.timeout)
    }

    fn initial_deadline(&mut self, _server: u32, now: SimTime) -> SimTime {
        now.saturating_add(self.timeout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::config::{Section, Source, Table, i, s};
    use sim_core::engine::rng::{Purpose, RngFactory};

    fn rng() -> SimRng {
        RngFactory::new(1).stream(Purpose::Detector, 0)
    }

    fn spec(
        entries: &[(&str, sim_core::config::Value)],
    ) -> Result<Arc<dyn DetectorSpec>, ConfigError> {
        let t: Table = entries
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        let src = Source::inline();
        crate::registry::build_kind(&KIND, &Section::new(&t, "detector", None, &src))
    }

    #[test]
    fn deadline_is_last_heartbeat_plus_timeout() {
        let d = spec(&[("timeout", s("250ms"))]).unwrap();
        let mut det = d.build(3, rng());
        assert_eq!(
            det.on_heartbeat(1, SimTime(1_000)),
            SimTime(1_000 + 250_000_000)
        );
        assert_eq!(d.heartbeat_interval(), Some(DEFAULT_INTERVAL));
    }

    #[test]
    fn misses_count_whole_intervals() {
        let d = spec(&[("interval", s("50ms")), ("misses", i(4))]).unwrap();
        let mut det = d.build(1, rng());
        assert_eq!(det.initial_deadline(0, SimTime::ZERO), SimTime(200_000_000));
        let e = spec(&[("misses", i(2)), ("timeout", s("1s"))]).unwrap_err();
        assert!(e.message.contains("not both"), "{e}");
    }
}
