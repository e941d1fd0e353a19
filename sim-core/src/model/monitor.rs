//! The health monitor: receives heartbeats over the network, asks its failure detector for
//! each server's suspicion deadline, and suspects a server whose deadline passes. Its
//! verdicts reach the clients' view at once (or after a propagation delay).
//!
//! Deadlines sit in a keyed priority queue; one `MonitorCheck` event is pending at a time,
//! at the earliest deadline, and is moved earlier (cancel and reschedule) only when a new
//! deadline undercuts it. A check that finds its deadline pushed back by a heartbeat just
//! re-arms itself at the new earliest one.

use crate::deadlines::Deadlines;
use crate::events::{Event, Msg};
use crate::model::ctx::Ctx;
use crate::queue::EventId;
use crate::strategy::{ClusterView, Detector};
use crate::time::{SimDuration, SimTime};

pub struct Monitor {
    detector: Box<dyn Detector>,
    deadlines: Deadlines,
    suspected: Vec<bool>,
    check: Option<(SimTime, EventId)>,
    propagation: SimDuration,
}

impl Monitor {
    pub fn new(detector: Box<dyn Detector>, servers: u32, propagation: SimDuration) -> Self {
        Monitor {
            detector,
            deadlines: Deadlines::new(),
            suspected: vec![false; servers as usize],
            check: None,
            propagation,
        }
    }

    pub fn start(&mut self, ctx: &mut Ctx) {
        let now = ctx.now();
        for s in 0..self.suspected.len() as u32 {
            let deadline = self.detector.initial_deadline(s, now);
            self.deadlines.set(s, deadline);
        }
        self.arm(ctx);
    }

    /// Makes sure a check is pending at the earliest deadline.
    fn arm(&mut self, ctx: &mut Ctx) {
        let Some((_, earliest)) = self.deadlines.earliest() else {
            return;
        };
        match self.check {
            Some((at, _)) if at <= earliest => {}
            Some((_, id)) => {
                ctx.cancel(id);
                self.check = Some((earliest, ctx.at(earliest, Event::MonitorCheck)));
            }
            None => self.check = Some((earliest, ctx.at(earliest, Event::MonitorCheck))),
        }
    }

    pub fn on_message(&mut self, msg: Msg, ctx: &mut Ctx, view: &mut ClusterView) {
        let Msg::Heartbeat { server } = msg else {
            return;
        };
        let now = ctx.now();
        let deadline = self.detector.on_heartbeat(server, now);
        self.deadlines.set(server, deadline);
        if self.suspected[server as usize] {
            self.suspected[server as usize] = false;
            ctx.metrics().trusted(server, now);
            self.publish(server, false, ctx, view);
        }
        self.arm(ctx);
    }

    pub fn on_check(&mut self, ctx: &mut Ctx, view: &mut ClusterView) {
        self.check = None;
        let now = ctx.now();
        while let Some((server, _)) = self.deadlines.pop_due(now) {
            self.suspected[server as usize] = true;
            ctx.metrics().suspected(server, now);
            self.publish(server, true, ctx, view);
        }
        self.arm(ctx);
    }

    fn publish(&mut self, server: u32, suspected: bool, ctx: &mut Ctx, view: &mut ClusterView) {
        if self.propagation.is_zero() {
            view.set_suspected(server, suspected);
        } else {
            ctx.after(self.propagation, Event::ViewUpdate { server, suspected });
        }
    }

    pub fn is_suspected(&self, server: u32) -> bool {
        self.suspected[server as usize]
    }
}
