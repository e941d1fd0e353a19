//! `error`: the target servers stay up, keep sending heartbeats and answering probes, but
//! answer every request at once with an error, and the requests they hold when the fault
//! starts too: a broken server that failure detectors do not see.

use super::{Fault, FaultCtx, FaultKind, KeyDoc};
use crate::config::{ConfigError, Section};
use std::sync::Arc;

pub struct Error;

impl FaultKind for Error {
    fn name(&self) -> &'static str {
        "error"
    }

    fn doc(&self) -> &'static str {
        "the servers stay up and keep answering heartbeats and probes, but answer every request with an error"
    }

    fn keys(&self) -> &'static [KeyDoc] {
        &[]
    }

    fn read(&self, _sec: &Section) -> Result<Arc<dyn Fault>, ConfigError> {
        Ok(Arc::new(ErrorFault))
    }
}

#[derive(Debug)]
struct ErrorFault;

impl Fault for ErrorFault {
    fn kind(&self) -> &'static dyn FaultKind {
        &Error
    }

    fn trace_words(&self) -> String {
        "kind=error".into()
    }

    fn timeline_detail(&self) -> String {
        "error".into()
    }

    fn apply(&self, active: bool, ctx: &mut FaultCtx<'_, '_, '_>) {
        for s in ctx.targets() {
            ctx.set_erroring(s, active);
        }
    }
}
