//! `loss`: messages to or from the target servers (on the links `peer` names) are lost
//! with `probability`, on top of the network's own loss; overlapping losses combine as
//! independent losses, drawn once per message from the sender's network stream.

use super::{Fault, FaultCtx, FaultKind, KeyDoc};
use crate::config::{ConfigError, Section};
use crate::model::network::LinkEffect;
use crate::report::format_real;
use std::sync::Arc;

const KEYS: &[KeyDoc] = &[KeyDoc::required(
        "probability",
        "chance that each message is lost, from 0 to 1",
    )];

pub struct Loss;

impl FaultKind for Loss {
    fn name(&self) -> &'static str {
        "loss"
    }

    fn doc(&self) -> &'static str {
        "messages on the servers' links are lost with `probability`, on top of the network's loss"
    }

    fn keys(&self) -> &'static [KeyDoc] {
        KEYS
    }

    fn on_links(&self) -> bool {
        true
    }

    fn read(&self, sec: &Section) -> Result<Arc<dyn Fault>, ConfigError> {
        Ok(Arc::new(LossFault {
            probability: sec.probability("probability", None)?,
        }))
    }
}

#[derive(Debug)]
struct LossFault {
    probability: f64,
}

impl Fault for LossFault {
    fn kind(&self) -> &'static dyn FaultKind {
        &Loss
    }

    fn trace_words(&self) -> String {
        format!("kind=loss probability={}", format_real(self.probability))
    }

    fn timeline_detail(&self) -> String {
        format!("loss {}", format_real(self.probability))
    }

    fn apply(&self, active: bool, ctx: &mut FaultCtx<'_, '_, '_>) {
        ctx.set_link(active.then_some(LinkEffect::Loss(self.probability)));
    }
}
