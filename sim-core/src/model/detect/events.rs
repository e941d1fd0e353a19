//! The events of failure detection and failover, their trace digest and text, and where
//! each is handled.

use super::Watcher;
use crate::engine::trace::TraceHasher;
use crate::model::ctx::Ctx;
use crate::model::events::{Event, Node, tag};
use crate::strategy::ClusterView;
use std::fmt;

/// What happens to the detectors, the verdicts and the primaries.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum DetectEvent {
    /// The monitor's earliest suspicion deadline may have passed.
    MonitorCheck,
    /// A client's own failure detector: its earliest suspicion deadline may have passed.
    ClientCheck { client: u32 },
    /// An active failure detector (one that probes) asked its node to wake it.
    DetectorTick { node: Node },
    /// The monitor's verdict on a server reaches the clients.
    ViewUpdate { server: u32, suspected: bool },
    /// A change of primary the monitor decided for key range `range` is due.
    Promote { range: u32 },
    /// The monitor's choice of primary for key range `range` reaches the clients.
    PrimaryUpdate { range: u32, primary: Option<u32> },
}

impl From<DetectEvent> for Event {
    #[inline(always)]
    fn from(e: DetectEvent) -> Event {
        Event::Detect(e)
    }
}

impl DetectEvent {
    /// The node that handles it; `None` for what reaches every client's shared view.
    pub fn node(&self) -> Option<Node> {
        match *self {
            DetectEvent::MonitorCheck | DetectEvent::Promote { .. } => Some(Node::Monitor),
            DetectEvent::ClientCheck { client } => Some(Node::Client(client)),
            DetectEvent::DetectorTick { node } => Some(node),
            DetectEvent::ViewUpdate { .. } | DetectEvent::PrimaryUpdate { .. } => None,
        }
    }

    /// Its words of the trace hash (see [`Event::digest`]); the tags are the ones every
    /// recorded trace hash was computed with.
    #[inline(always)]
    pub(crate) fn digest_into(&self, h: &mut TraceHasher) {
        match *self {
            DetectEvent::MonitorCheck => h.words(&[8]),
            DetectEvent::ViewUpdate { server, suspected } => {
                h.words(&[tag(9, server) | (u64::from(suspected) << 40)])
            }
            DetectEvent::ClientCheck { client } => h.words(&[tag(20, client)]),
            DetectEvent::DetectorTick { node } => h.words(&[21, node.code()]),
            DetectEvent::Promote { range } => h.words(&[tag(22, range)]),
            DetectEvent::PrimaryUpdate { range, primary } => {
                h.words(&[tag(23, range), primary.map_or(u64::MAX, u64::from)])
            }
        }
    }
}

/// The trace text after the node: `view-update server=3 suspected`.
impl fmt::Display for DetectEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            DetectEvent::MonitorCheck | DetectEvent::ClientCheck { .. } => write!(f, "check"),
            DetectEvent::DetectorTick { .. } => write!(f, "detector-tick"),
            DetectEvent::ViewUpdate { server, suspected } => write!(
                f,
                "view-update server={server} {}",
                if suspected { "suspected" } else { "trusted" }
            ),
            DetectEvent::Promote { range } => write!(f, "promote range={range}"),
            DetectEvent::PrimaryUpdate { range, primary } => match primary {
                Some(p) => write!(f, "primary-update range={range} primary=server-{p}"),
                None => write!(f, "primary-update range={range} primary=none"),
            },
        }
    }
}

/// Hands a detection event to the watcher it concerns (the monitor's is the first; with
/// detection in the clients, client `c`'s is the `c`-th), or applies a verdict or a
/// primary to the clients' shared view. Returns the range and primary of an appointment
/// the monitor made.
#[inline(always)]
pub fn handle(
    watchers: &mut [Watcher],
    event: DetectEvent,
    ctx: &mut Ctx,
    view: &mut ClusterView,
) -> Option<(u32, u32)> {
    match event {
        DetectEvent::MonitorCheck => watchers[0].on_check(ctx, view),
        DetectEvent::ClientCheck { client } => watchers[client as usize].on_check(ctx, view),
        DetectEvent::DetectorTick { node } => {
            let w = match node {
                Node::Client(c) => c as usize,
                _ => 0,
            };
            watchers[w].on_tick(ctx);
        }
        DetectEvent::ViewUpdate { server, suspected } => {
            view.set_suspected_by(0, server, suspected);
            let now = ctx.now();
            ctx.metrics().view_suspicion(server, suspected, now);
        }
        DetectEvent::Promote { range } => {
            return watchers[0]
                .on_promote(range, ctx, view)
                .map(|primary| (range, primary));
        }
        DetectEvent::PrimaryUpdate { range, primary } => {
            view.set_primary(range, primary);
            let now = ctx.now();
            ctx.metrics().primary_changed(range, primary, now);
        }
    }
    None
}
