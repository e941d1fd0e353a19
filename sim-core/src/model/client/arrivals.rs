//! When clients issue requests: open-loop Poisson arrivals, closed-loop think times, the
//! load factor of a load spike, and the creation of a request (its key, demand, read or
//! write, clock stamp and overall deadline).

use super::Clients;
use super::table::{InFlight, Request, Tried};
use crate::engine::dist::Dist;
use crate::engine::time::SimDuration;
use crate::model::ctx::Ctx;
use crate::model::events::ClientEvent;
use crate::model::events::ReqId;
use crate::strategy::ClusterView;
use rand::RngExt;
use rand_distr::{Distribution, Exp1};

pub(super) enum Mode {
    Open {
        rate_per_client: f64,
        /// Mean gap between a client's arrivals in seconds, 1 / (rate x load factor):
        /// kept so that each arrival multiplies rather than divides.
        mean_gap: f64,
    },
    Closed {
        think: Dist,
    },
    /// No clients: servers run batch jobs.
    Batch,
}

impl Clients {
    /// Stops issuing requests.
    pub fn close_arrivals(&mut self) {
        self.arrivals_open = false;
    }

    pub(super) fn schedule_arrival(&mut self, c: u32, ctx: &mut Ctx) {
        let Mode::Open { mean_gap, .. } = self.mode else {
            return;
        };
        let client = &mut self.clients[c as usize];
        let gap: f64 = Exp1.sample(&mut client.arrivals);
        let at = ctx
            .now()
            .saturating_add(SimDuration::from_secs_f64(gap * mean_gap));
        client.next_arrival =
            (at < self.end).then(|| ctx.at(at, ClientEvent::Arrival { client: c }));
    }

    /// Draws a closed-loop client's think time and schedules its next request, after at
    /// least `at_least`.
    pub(super) fn schedule_think(&mut self, c: u32, ctx: &mut Ctx, at_least: SimDuration) {
        let Mode::Closed { think } = &self.mode else {
            return;
        };
        let client = &mut self.clients[c as usize];
        let mut wait = think.sample(&mut client.arrivals);
        if self.load_factor != 1.0 {
            wait = wait.mul_f64(1.0 / self.load_factor);
        }
        let wait = wait.max(at_least);
        if ctx.now().saturating_add(wait) < self.end {
            ctx.after(wait, ClientEvent::ThinkDone { client: c });
        }
    }

    /// Multiplies the open-loop rate (or divides closed-loop think times) by `factor`.
    /// Pending arrivals are redrawn at the new rate (exact for Poisson sources, which are
    /// memoryless).
    pub fn set_load_factor(&mut self, factor: f64, ctx: &mut Ctx) {
        self.load_factor = factor;
        if let Mode::Open {
            rate_per_client,
            mean_gap,
        } = &mut self.mode
        {
            *mean_gap = 1.0 / (*rate_per_client * factor);
        }
        if let Mode::Open { .. } = self.mode {
            for c in 0..self.clients.len() as u32 {
                if let Some(id) = self.clients[c as usize].next_arrival.take() {
                    ctx.cancel(id);
                    self.schedule_arrival(c, ctx);
                }
            }
        }
    }

    pub fn on_arrival(&mut self, c: u32, ctx: &mut Ctx, view: &mut ClusterView) {
        self.clients[c as usize].next_arrival = None;
        if !self.arrivals_open {
            return;
        }
        self.issue(c, ctx, view);
        self.schedule_arrival(c, ctx);
    }

    pub fn on_think_done(&mut self, c: u32, ctx: &mut Ctx, view: &mut ClusterView) {
        if self.arrivals_open {
            self.issue(c, ctx, view);
        }
    }

    pub(super) fn issue(&mut self, c: u32, ctx: &mut Ctx, view: &mut ClusterView) {
        let id = ReqId(self.next_id);
        self.next_id += 1;
        let now = ctx.now();
        let client = &mut self.clients[c as usize];
        let key = self.keys.sample(&mut client.requests);
        let demand = self.service.sample(&mut client.requests);
        let write = client
            .ops
            .as_mut()
            .is_some_and(|ops| ops.random::<f64>() < self.writes);
        let ts = client.clock.stamp(now, write);
        if let Some(budget) = client.budget.as_mut() {
            budget.on_request(now);
        }
        let deadline = now.saturating_add(self.timeout);
        if !client.deadline_armed {
            client.deadline_armed = true;
            ctx.at(deadline, ClientEvent::Deadline { client: c });
        }
        let counted = ctx.metrics().in_window(now);
        self.table.insert(
            id,
            Request {
                client: c,
                created: now,
                key,
                demand,
                write,
                ts,
                attempts: 0,
                in_flight: InFlight::EMPTY,
                tried: Tried::EMPTY,
                last_backoff: SimDuration::ZERO,
                timer: None,
                counted,
            },
        );
        client.deadlines.push(id, &self.table);
        self.launch(id, ctx, view);
    }
}
