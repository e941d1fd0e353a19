//! `partition`: the target servers are cut off from clients, the monitor and servers
//! outside the set (or only from the nodes `peer` names). A partition also cuts the
//! messages in flight when it starts.

use super::{Fault, FaultCtx, FaultKind, KeyDoc};
use crate::config::{ConfigError, Section};
use crate::model::network::LinkEffect;
use std::sync::Arc;

pub struct Partition;

impl FaultKind for Partition {
    fn name(&self) -> &'static str {
        "partition"
    }

    fn doc(&self) -> &'static str {
        "the servers are cut off from the nodes outside the set that `peer` names"
    }

    fn keys(&self) -> &'static [KeyDoc] {
        &[]
    }

    fn on_links(&self) -> bool {
        true
    }

    fn read(&self, _sec: &Section) -> Result<Arc<dyn Fault>, ConfigError> {
        Ok(Arc::new(PartitionFault))
    }
}

#[derive(Debug)]
struct PartitionFault;

impl Fault for PartitionFault {
    fn kind(&self) -> &'static dyn FaultKind {
        &Partition
    }

    fn trace_words(&self) -> String {
        "kind=partition".into()
    }

    fn timeline_detail(&self) -> String {
        "partition".into()
    }

    fn apply(&self, active: bool, ctx: &mut FaultCtx<'_, '_, '_>) {
        ctx.set_link(active.then_some(LinkEffect::Cut));
    }
}
