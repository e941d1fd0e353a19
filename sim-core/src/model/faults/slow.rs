//! `slow`: service on the target servers takes `factor` times longer. Overlapping slow
//! faults multiply.

use super::{Fault, FaultCtx, FaultKind, KeyDoc};
use crate::config::{ConfigError, Section};
use crate::report::format_real;
use std::sync::Arc;

const KEYS: &[KeyDoc] = &[KeyDoc::required(
        "factor",
        "service time multiplier, a positive number (below 1 speeds service up)",
    )];

pub struct Slow;

impl FaultKind for Slow {
    fn name(&self) -> &'static str {
        "slow"
    }

    fn doc(&self) -> &'static str {
        "service on the servers takes `factor` times longer"
    }

    fn keys(&self) -> &'static [KeyDoc] {
        KEYS
    }

    fn read(&self, sec: &Section) -> Result<Arc<dyn Fault>, ConfigError> {
        Ok(Arc::new(SlowFault {
            factor: sec.positive_f64("factor", None)?,
        }))
    }
}

#[derive(Debug)]
struct SlowFault {
    factor: f64,
}

impl Fault for SlowFault {
    fn kind(&self) -> &'static dyn FaultKind {
        &Slow
    }

    fn trace_words(&self) -> String {
        format!("kind=slow factor={}", format_real(self.factor))
    }

    fn timeline_detail(&self) -> String {
        format!("slow x{}", format_real(self.factor))
    }

    fn apply(&self, _active: bool, ctx: &mut FaultCtx<'_, '_, '_>) {
        ctx.refresh_slow();
    }

    fn slow_factor(&self) -> f64 {
        self.factor
    }
}
