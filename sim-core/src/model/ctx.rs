//! What a handler may do: read the time, schedule and cancel its own timers, send
//! messages through the network, record metrics, and write what it decided to the trace.
//! Handlers never see the queue itself.

use crate::engine::queue::{EventId, EventQueue};
use crate::engine::time::{SimDuration, SimTime};
use crate::model::events::{Event, Msg, Node, Scheduled};
use crate::model::network::Network;
use crate::model::trace::Trace;
use crate::report::metrics::Metrics;

pub struct Ctx<'a, 't> {
    pub(crate) now: SimTime,
    pub(crate) queue: &'a mut EventQueue<Scheduled>,
    pub(crate) net: &'a mut Network,
    pub(crate) metrics: &'a mut Metrics,
    pub(crate) trace: &'a mut Trace<'t>,
}

impl Ctx<'_, '_> {
    #[inline(always)]
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Schedules `event` at `at` (never in the past).
    #[inline(always)]
    pub fn at(&mut self, at: SimTime, event: impl Into<Event>) -> EventId {
        debug_assert!(at >= self.now, "scheduling into the past");
        self.queue.schedule(at, Scheduled::new(event.into()))
    }

    /// Schedules `event` after `delay`.
    #[inline(always)]
    pub fn after(&mut self, delay: SimDuration, event: impl Into<Event>) -> EventId {
        self.queue
            .schedule(self.now.saturating_add(delay), Scheduled::new(event.into()))
    }

    /// Cancels the event `id` refers to; says whether it was still pending. Cancelling
    /// [`EventId::NONE`] (an attempt without a timeout, say) does nothing, and costs a
    /// comparison rather than a call into the queue.
    #[inline(always)]
    pub fn cancel(&mut self, id: EventId) -> bool {
        id != EventId::NONE && self.queue.cancel(id)
    }

    /// Sends a message; the network decides its delay or its loss.
    #[inline(always)]
    pub fn send(&mut self, from: Node, to: Node, msg: Msg) {
        self.send_tracked(from, to, msg);
    }

    /// Sends a message and says whether it is on its way (false when lost or cut at
    /// once; a partition may still cut it before delivery).
    #[inline(always)]
    pub fn send_tracked(&mut self, from: Node, to: Node, msg: Msg) -> bool {
        self.net
            .send(self.now, from, to, msg, self.queue, self.metrics)
    }

    #[inline(always)]
    pub fn metrics(&mut self) -> &mut Metrics {
        self.metrics
    }

    /// Writes the failure detector's verdict of `node` on `server`, decided now, to the
    /// trace (when it writes lines).
    pub fn verdict(&mut self, node: Node, server: u32, suspected: bool) {
        self.trace.verdict(self.now, node, server, suspected);
    }

    /// Writes that scripted fault `fault` took `server` down or brought it back now, to
    /// the trace (when it writes lines).
    pub fn scripted_outage(&mut self, server: u32, down: bool, fault: u32) {
        self.trace.scripted_outage(self.now, server, down, fault);
    }
}
