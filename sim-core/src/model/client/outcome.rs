//! The end of a request: its timers cancelled, its attempts abandoned, its slot
//! released, its outcome recorded in the metrics, and a closed-loop client's next think.

use super::Clients;
use super::arrivals::Mode;
use crate::engine::time::{SimDuration, SimTime};
use crate::model::ctx::Ctx;
use crate::model::events::ReqId;
use crate::report::metrics::Outcome;
use crate::strategy::ClusterView;

/// What `finish` keeps of a request once its slot is released.
pub(super) struct Ended {
    pub(super) client: u32,
    pub(super) created: SimTime,
    pub(super) key: u32,
    pub(super) write: bool,
    pub(super) attempts: u16,
    pub(super) counted: bool,
}

impl Clients {
    /// Ends a request: cancels its timers, abandons attempts still awaited (their answers
    /// will count as late), records its outcome and, for a closed-loop client, starts the
    /// next think time.
    #[inline(always)]
    pub(super) fn finish(
        &mut self,
        id: ReqId,
        outcome: Outcome,
        ctx: &mut Ctx,
        view: &mut ClusterView,
    ) {
        // Read the request in place and release its slot after: most of it is not needed
        // here.
        let Some(req) = self.table.get_mut(id) else {
            return;
        };
        if let Some(t) = req.timer {
            ctx.cancel(t);
        }
        let client = &mut self.clients[req.client as usize];
        for a in req.in_flight.attempts(&self.spill) {
            ctx.cancel(a.timer);
            if self.count_outstanding {
                view.outstanding[a.server as usize] -= 1;
            }
            if let Some(breaker) = client.breaker.as_mut() {
                breaker.on_abandon(a.server);
            }
        }
        req.in_flight.release(&mut self.spill);
        let req = Ended {
            client: req.client,
            created: req.created,
            key: req.key,
            write: req.write,
            attempts: req.attempts,
            counted: req.counted,
        };
        self.table.release(id);
        client.deadlines.ended(id);
        let latency = ctx.now().since(req.created);
        let ok = outcome == Outcome::Ok;
        let m = ctx.metrics();
        m.request_done(req.counted, outcome, latency, u32::from(req.attempts));
        m.request_outcome_for_key(req.counted, req.key, req.created, ok);
        if req.write {
            m.write_done(req.counted, ok);
        }
        let now = ctx.now();
        ctx.metrics().request_ended(now, outcome, latency);
        if let Mode::Closed { .. } = self.mode
            && self.arrivals_open
        {
            // A request that ended at the instant it was issued (no server to route to,
            // every breaker open, an answer over a network without delay) took no time:
            // a next request at once could end the same way, at the same instant, forever.
            // The client waits out the request's timeout instead, so simulated time
            // always advances by at least that between two such requests.
            let at_least = if latency.is_zero() {
                self.timeout
            } else {
                SimDuration::ZERO
            };
            self.schedule_think(req.client, ctx, at_least);
        }
    }
}
