//! Periodic checkpoints: after every `interval` of work (from the start, the end of the
//! last checkpoint or the end of a restore) the server checkpoints for `cost`.

use crate::checkpoint::{self, SETTINGS};
use crate::params::{Param, Params};
use crate::registry::{Builder, Family, Kind};
use sim_core::SimDuration;
use sim_core::config::ConfigError;
use sim_core::strategy::durability::{
    CheckpointPolicy, CheckpointSettings, CheckpointSpec, FailureHistory,
};
use std::sync::Arc;

pub const DEFAULT_INTERVAL: SimDuration = SimDuration::from_secs(600);

const PARAMS: &[Param] = &[Param::duration(
    "interval",
    DEFAULT_INTERVAL,
    "work between the end of one checkpoint (or restore) and the next",
)
.positive()];

pub const KIND: Kind = Kind {
    family: Family::Checkpoint,
    name: "periodic",
    summary: "checkpoint after every `interval` of work",
    params: &[PARAMS, SETTINGS],
    build: Builder::Checkpoint(build),
};

#[derive(Clone, Debug)]
pub struct Periodic {
    pub interval: SimDuration,
    pub settings: CheckpointSettings,
    pub description: String,
}

fn build(p: &mut Params) -> Result<Arc<dyn CheckpointSpec>, ConfigError> {
    Ok(Arc::new(Periodic {
        interval: p.duration("interval"),
        settings: checkpoint::settings(p),
        description: p.describe(),
    }))
}

impl CheckpointSpec for Periodic {
    fn settings(&self) -> CheckpointSettings {
        self.settings
    }

    fn build(&self) -> Box<dyn CheckpointPolicy> {
        Box::new(self.clone())
    }

    fn describe(&self) -> String {
        self.description.clone()
    }

    fn checkpoints(&self) -> bool {
        true
    }
}

impl CheckpointPolicy for Periodic {
    fn next_interval(&mut self, _history: &FailureHistory) -> Option<SimDuration> {
        Some(self.interval)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::config::{Section, Source, Table, f, s};
    use sim_core::strategy::durability::During;

    fn spec(
        entries: &[(&str, sim_core::config::Value)],
    ) -> Result<Arc<dyn CheckpointSpec>, ConfigError> {
        let t: Table = entries
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        let src = Source::inline();
        crate::registry::build_kind(
            &KIND,
            &Section::new(&t, "strategies.a.checkpoint", None, &src),
        )
    }

    #[test]
    fn reads_interval_cost_and_what_the_server_does_meanwhile() {
        let p = spec(&[
            ("interval", s("5m")),
            ("cost", s("10s")),
            ("during", s("slow")),
            ("slowdown", f(3.0)),
        ])
        .unwrap();
        let st = p.settings();
        assert_eq!(st.cost, SimDuration::from_secs(10));
        assert_eq!(st.during, During::Slow { factor: 3.0 });
        assert_eq!(
            p.build().next_interval(&FailureHistory::default()),
            Some(SimDuration::from_secs(300))
        );
        let e = spec(&[("slowdown", f(3.0))]).unwrap_err();
        assert!(e.message.contains("during = \"slow\""), "{e}");
        let e = spec(&[("during", s("slow")), ("slowdown", f(0.5))]).unwrap_err();
        assert!(e.message.contains("at least 1"), "{e}");
    }
}
