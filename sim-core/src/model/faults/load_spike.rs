//! `load-spike`: the open-loop arrival rate (or closed-loop think speed) of every client is
//! multiplied by `factor`. Overlapping spikes multiply.

use super::{Fault, FaultCtx, FaultKind, KeyDoc, Scope};
use crate::config::{ConfigError, Section};
use crate::report::format_real;
use std::sync::Arc;

const KEYS: &[KeyDoc] = &[KeyDoc::required(
        "factor",
        "arrival rate multiplier, a positive number",
    )];

pub struct LoadSpike;

impl FaultKind for LoadSpike {
    fn name(&self) -> &'static str {
        "load-spike"
    }

    fn doc(&self) -> &'static str {
        "the open-loop arrival rate (or closed-loop think speed) of every client is multiplied by `factor`"
    }

    fn keys(&self) -> &'static [KeyDoc] {
        KEYS
    }

    fn scope(&self) -> Scope {
        Scope::Cluster {
            why: "a load spike is cluster-wide: it multiplies the arrival rate of every client, whatever server their requests go to",
        }
    }

    fn read(&self, sec: &Section) -> Result<Arc<dyn Fault>, ConfigError> {
        Ok(Arc::new(LoadSpikeFault {
            factor: sec.positive_f64("factor", None)?,
        }))
    }
}

#[derive(Debug)]
struct LoadSpikeFault {
    factor: f64,
}

impl Fault for LoadSpikeFault {
    fn kind(&self) -> &'static dyn FaultKind {
        &LoadSpike
    }

    fn trace_words(&self) -> String {
        format!("kind=load-spike factor={}", format_real(self.factor))
    }

    fn timeline_detail(&self) -> String {
        format!("load-spike x{}", format_real(self.factor))
    }

    fn apply(&self, _active: bool, ctx: &mut FaultCtx<'_, '_, '_>) {
        ctx.refresh_load();
    }

    fn load_factor(&self) -> f64 {
        self.factor
    }
}
