//! `crash`: the target servers crash, losing what they hold, and recover when the fault
//! ends.

use super::{Fault, FaultCtx, FaultKind, KeyDoc};
use crate::config::{ConfigError, Section};
use std::sync::Arc;

pub struct Crash;

impl FaultKind for Crash {
    fn name(&self) -> &'static str {
        "crash"
    }

    fn doc(&self) -> &'static str {
        "the servers crash, losing what they hold, and recover when the fault ends"
    }

    fn keys(&self) -> &'static [KeyDoc] {
        &[]
    }

    fn read(&self, _sec: &Section) -> Result<Arc<dyn Fault>, ConfigError> {
        Ok(Arc::new(CrashFault))
    }
}

#[derive(Debug)]
struct CrashFault;

impl Fault for CrashFault {
    fn kind(&self) -> &'static dyn FaultKind {
        &Crash
    }

    fn trace_words(&self) -> String {
        "kind=crash".into()
    }

    fn timeline_detail(&self) -> String {
        "crash".into()
    }

    fn apply(&self, active: bool, ctx: &mut FaultCtx<'_, '_, '_>) {
        for s in ctx.targets() {
            ctx.set_down(s, active);
        }
    }
}
