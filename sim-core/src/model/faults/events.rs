//! The events of faults (random crashes and recoveries, the start and end of each
//! scripted fault), their trace digest and text, and where each is handled.

use super::Faults;
use crate::engine::trace::TraceHasher;
use crate::model::ctx::Ctx;
use crate::model::events::{Event, Node, tag};
use crate::model::server::{DownCause, Servers};
use std::fmt;

/// What the faults do.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FaultEvent {
    /// Random crash and recovery of a server.
    Crash {
        server: u32,
    },
    Recover {
        server: u32,
    },
    /// A scripted fault begins or ends.
    FaultStart {
        fault: u32,
    },
    FaultEnd {
        fault: u32,
    },
}

impl From<FaultEvent> for Event {
    #[inline(always)]
    fn from(e: FaultEvent) -> Event {
        Event::Fault(e)
    }
}

impl FaultEvent {
    /// The node that handles it; `None` for a scripted fault, whose trace line names its
    /// own targets (see [`crate::model::trace`]).
    pub fn node(&self) -> Option<Node> {
        match *self {
            FaultEvent::Crash { server } | FaultEvent::Recover { server } => {
                Some(Node::Server(server))
            }
            FaultEvent::FaultStart { .. } | FaultEvent::FaultEnd { .. } => None,
        }
    }

    /// Its words of the trace hash (see [`Event::digest`]); the tags are the ones every
    /// recorded trace hash was computed with.
    #[inline(always)]
    pub(crate) fn digest_into(&self, h: &mut TraceHasher) {
        match *self {
            FaultEvent::Crash { server } => h.words(&[tag(10, server)]),
            FaultEvent::Recover { server } => h.words(&[tag(11, server)]),
            FaultEvent::FaultStart { fault } => h.words(&[tag(12, fault)]),
            FaultEvent::FaultEnd { fault } => h.words(&[tag(13, fault)]),
        }
    }
}

/// The trace text after the node: `crash`, `fault-start fault=2`.
impl fmt::Display for FaultEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            FaultEvent::Crash { .. } => write!(f, "crash"),
            FaultEvent::Recover { .. } => write!(f, "recover"),
            FaultEvent::FaultStart { fault } => write!(f, "fault-start fault={fault}"),
            FaultEvent::FaultEnd { fault } => write!(f, "fault-end fault={fault}"),
        }
    }
}

impl Faults {
    /// Handles a random crash or recovery, scheduling the server's next one, and the start
    /// of a scripted fault, scheduling its end. Returns the scripted fault that starts
    /// (`true`) or ends (`false`), for the model to apply through its kind.
    #[inline(always)]
    pub fn handle(
        &mut self,
        event: FaultEvent,
        servers: &mut Servers,
        ctx: &mut Ctx,
    ) -> Option<(u32, bool)> {
        match event {
            FaultEvent::Crash { server } => {
                let now = ctx.now();
                ctx.metrics().random_outage(server, true, now);
                servers.crash(server, DownCause::Random, ctx);
                if let Some(ttr) = self.time_to_repair(server) {
                    ctx.after(ttr, FaultEvent::Recover { server });
                }
                None
            }
            FaultEvent::Recover { server } => {
                let now = ctx.now();
                ctx.metrics().random_outage(server, false, now);
                servers.recover(server, DownCause::Random, ctx);
                if let Some(ttf) = self.time_to_failure(server) {
                    ctx.after(ttf, FaultEvent::Crash { server });
                }
                None
            }
            FaultEvent::FaultStart { fault } => {
                if let Some(length) = self.fault(fault).length {
                    ctx.after(length, FaultEvent::FaultEnd { fault });
                }
                Some((fault, true))
            }
            FaultEvent::FaultEnd { fault } => Some((fault, false)),
        }
    }
}
