//! `delay`: messages to or from the target servers (on the links `peer` names) take
//! `extra` longer one way; overlapping delays add.

use super::{Fault, FaultCtx, FaultKind, KeyDoc};
use crate::config::{ConfigError, Section};
use crate::model::network::LinkEffect;
use crate::engine::time::SimDuration;
use std::sync::Arc;

const KEYS: &[KeyDoc] = &[KeyDoc::required(
        "extra",
        "added one-way delay, a positive duration",
    )];

pub struct Delay;

impl FaultKind for Delay {
    fn name(&self) -> &'static str {
        "delay"
    }

    fn doc(&self) -> &'static str {
        "messages on the servers' links take `extra` longer one way"
    }

    fn keys(&self) -> &'static [KeyDoc] {
        KEYS
    }

    fn on_links(&self) -> bool {
        true
    }

    fn read(&self, sec: &Section) -> Result<Arc<dyn Fault>, ConfigError> {
        Ok(Arc::new(DelayFault {
            extra: sec.positive_duration("extra", None)?,
        }))
    }
}

#[derive(Debug)]
struct DelayFault {
    extra: SimDuration,
}

impl Fault for DelayFault {
    fn kind(&self) -> &'static dyn FaultKind {
        &Delay
    }

    fn trace_words(&self) -> String {
        format!("kind=delay extra={}", self.extra)
    }

    fn timeline_detail(&self) -> String {
        format!("delay +{}", self.extra)
    }

    fn apply(&self, active: bool, ctx: &mut FaultCtx<'_, '_, '_>) {
        ctx.set_link(active.then_some(LinkEffect::Delay(self.extra)));
    }
}
