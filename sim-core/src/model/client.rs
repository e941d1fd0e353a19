//! Clients: open-loop Poisson sources or closed-loop users with think time, each with its
//! own router and retry policy, and the table of requests in flight.
//!
//! A request's key and service demand are drawn from its client's request stream when it
//! is created, so routing and retries cannot change them. Every request has one overall
//! deadline (`workload.timeout`, retries included): it ends as ok, rejected (the last
//! attempt was refused by a full queue), unavailable (no server was believed alive) or
//! timed out. Arrivals stop at the end of the run; requests in flight then run to their
//! outcome. With `workload.writes`, each request writes its key with that probability
//! (drawn from the client's own stream) and carries its client's clock stamp, the same on
//! every attempt.

use crate::dist::Dist;
use crate::events::{Event, Msg, Node, ReqId, Status};
use crate::metrics::Outcome;
use crate::model::ctx::Ctx;
use crate::model::state::ClientClock;
use crate::queue::EventId;
use crate::rng::{Purpose, RngFactory, SimRng};
use crate::spec::{ArrivalSpec, Popularity, WorkloadSpec};
use crate::strategy::{ClusterView, RetryPolicy, RouteInput, Router, StrategySet};
use crate::time::{SimDuration, SimTime};
use rand::RngExt;
use rand_distr::{Distribution, Exp1, Zipf};
use std::collections::VecDeque;

/// Draws keys by popularity.
enum KeySampler {
    Uniform(u32),
    Zipf(Zipf<f64>),
}

impl KeySampler {
    fn new(count: u32, popularity: &Popularity) -> Self {
        match popularity {
            Popularity::Uniform => KeySampler::Uniform(count),
            Popularity::Zipf { s } => KeySampler::Zipf(
                Zipf::new(f64::from(count), *s).expect("validated zipf parameters"),
            ),
        }
    }

    #[inline]
    fn sample(&self, rng: &mut SimRng) -> u32 {
        match self {
            KeySampler::Uniform(1) => 0,
            KeySampler::Uniform(n) => rng.random_range(0..*n),
            // Zipf draws ranks 1..=n; rank 1 is the most popular key, key 0.
            KeySampler::Zipf(z) => z.sample(rng) as u32 - 1,
        }
    }
}

struct Client {
    arrivals: SimRng,
    requests: SimRng,
    routing: SimRng,
    retry_rng: SimRng,
    router: Box<dyn Router>,
    retry: Box<dyn RetryPolicy>,
    /// The pending arrival of an open-loop client.
    next_arrival: Option<EventId>,
    /// Read or write draws, when requests write.
    ops: Option<SimRng>,
    clock: ClientClock,
}

/// A request in flight.
struct Request {
    client: u32,
    created: SimTime,
    key: u32,
    demand: SimDuration,
    write: bool,
    /// The client's clock stamp at creation.
    ts: u64,
    /// Number of the current (or next, during backoff) attempt, from 1.
    attempt: u16,
    /// Server and send time of the current attempt, while it awaits an answer.
    in_flight: Option<(u32, SimTime)>,
    /// Server of the last failed attempt, which the next attempt should avoid.
    previous: Option<u32>,
    deadline: EventId,
    retry_timer: Option<EventId>,
    counted: bool,
}

/// Requests in flight, indexed by request number. Requests end within `timeout` of their
/// creation, so the window between the oldest live request and the newest is bounded
/// and a ring buffer holds them without hashing.
struct RequestTable {
    base: u64,
    slots: VecDeque<Option<Request>>,
    live: usize,
}

impl RequestTable {
    fn insert(&mut self, id: ReqId, req: Request) {
        debug_assert_eq!(id.0, self.base + self.slots.len() as u64);
        self.slots.push_back(Some(req));
        self.live += 1;
    }

    #[inline]
    fn get_mut(&mut self, id: ReqId) -> Option<&mut Request> {
        let index = id.0.checked_sub(self.base)?;
        self.slots.get_mut(index as usize)?.as_mut()
    }

    fn remove(&mut self, id: ReqId) -> Option<Request> {
        let index = id.0.checked_sub(self.base)? as usize;
        let req = self.slots.get_mut(index)?.take()?;
        self.live -= 1;
        while let Some(None) = self.slots.front() {
            self.slots.pop_front();
            self.base += 1;
        }
        Some(req)
    }
}

enum Mode {
    Open {
        rate_per_client: f64,
    },
    Closed {
        think: Dist,
    },
    /// No clients: servers run batch jobs.
    Batch,
}

pub struct Clients {
    mode: Mode,
    load_factor: f64,
    end: SimTime,
    arrivals_open: bool,
    clients: Vec<Client>,
    table: RequestTable,
    next_id: u64,
    service: Dist,
    keys: KeySampler,
    timeout: SimDuration,
    writes: f64,
}

impl Clients {
    pub fn new(
        workload: &WorkloadSpec,
        service: &Dist,
        servers: u32,
        strategy: &StrategySet,
        end: SimTime,
        rngs: &RngFactory,
    ) -> Self {
        let count = workload.arrivals.clients();
        let clients = (0..count)
            .map(|c| Client {
                arrivals: rngs.stream(Purpose::Arrivals, c),
                requests: rngs.stream(Purpose::Requests, c),
                routing: rngs.stream(Purpose::Routing, c),
                retry_rng: rngs.stream(Purpose::Retry, c),
                router: strategy.routing.build(servers, workload.keys.count),
                retry: strategy.retry.build(),
                next_arrival: None,
                ops: (workload.writes > 0.0).then(|| rngs.stream(Purpose::Writes, c)),
                clock: ClientClock::new(strategy.durability.ordering.clock(), c, rngs),
            })
            .collect();
        let mode = match &workload.arrivals {
            ArrivalSpec::Poisson { rate, clients } => Mode::Open {
                rate_per_client: rate / f64::from(*clients),
            },
            ArrivalSpec::Closed { think, .. } => Mode::Closed {
                think: think.clone(),
            },
            ArrivalSpec::Batch { .. } => Mode::Batch,
        };
        Clients {
            mode,
            load_factor: 1.0,
            end,
            arrivals_open: true,
            clients,
            table: RequestTable {
                base: 0,
                slots: VecDeque::new(),
                live: 0,
            },
            next_id: 0,
            service: service.clone(),
            keys: KeySampler::new(workload.keys.count, &workload.keys.popularity),
            timeout: workload.timeout,
            writes: workload.writes,
        }
    }

    /// Schedules every client's first request: the first Poisson arrival, or the end of a
    /// first think time.
    pub fn start(&mut self, ctx: &mut Ctx) {
        for c in 0..self.clients.len() as u32 {
            match self.mode {
                Mode::Open { .. } => self.schedule_arrival(c, ctx),
                Mode::Closed { .. } => self.schedule_think(c, ctx),
                Mode::Batch => {}
            }
        }
    }

    /// Requests in flight.
    pub fn live_requests(&self) -> usize {
        self.table.live
    }

    /// Stops issuing requests.
    pub fn close_arrivals(&mut self) {
        self.arrivals_open = false;
    }

    fn schedule_arrival(&mut self, c: u32, ctx: &mut Ctx) {
        let Mode::Open { rate_per_client } = self.mode else {
            return;
        };
        let client = &mut self.clients[c as usize];
        let gap: f64 = Exp1.sample(&mut client.arrivals);
        let at = ctx.now().saturating_add(SimDuration::from_secs_f64(
            gap / (rate_per_client * self.load_factor),
        ));
        client.next_arrival = (at < self.end).then(|| ctx.at(at, Event::Arrival { client: c }));
    }

    fn schedule_think(&mut self, c: u32, ctx: &mut Ctx) {
        let Mode::Closed { think } = &self.mode else {
            return;
        };
        let client = &mut self.clients[c as usize];
        let mut wait = think.sample(&mut client.arrivals);
        if self.load_factor != 1.0 {
            wait = wait.mul_f64(1.0 / self.load_factor);
        }
        if ctx.now().saturating_add(wait) < self.end {
            ctx.after(wait, Event::ThinkDone { client: c });
        }
    }

    /// Multiplies the open-loop rate (or divides closed-loop think times) by `factor`.
    /// Pending arrivals are redrawn at the new rate (exact for Poisson sources, which are
    /// memoryless).
    pub fn set_load_factor(&mut self, factor: f64, ctx: &mut Ctx) {
        self.load_factor = factor;
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

    fn issue(&mut self, c: u32, ctx: &mut Ctx, view: &mut ClusterView) {
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
        let deadline = ctx.at(
            now.saturating_add(self.timeout),
            Event::Deadline { req: id },
        );
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
                attempt: 1,
                in_flight: None,
                previous: None,
                deadline,
                retry_timer: None,
                counted,
            },
        );
        self.send_attempt(id, ctx, view);
    }

    /// Routes and sends the current attempt of `id`; fails it as unavailable when the
    /// router finds no acceptable server.
    fn send_attempt(&mut self, id: ReqId, ctx: &mut Ctx, view: &mut ClusterView) {
        let Some(req) = self.table.get_mut(id) else {
            return;
        };
        let client = &mut self.clients[req.client as usize];
        let input = RouteInput {
            key: req.key,
            attempt: u32::from(req.attempt),
            previous: req.previous,
            now: ctx.now(),
        };
        match client.router.route(&input, view, &mut client.routing) {
            Some(server) => {
                view.outstanding[server as usize] += 1;
                req.in_flight = Some((server, ctx.now()));
                let msg = Msg::Request {
                    req: id,
                    attempt: req.attempt,
                    key: req.key,
                    demand: req.demand,
                    write: req.write,
                    ts: req.ts,
                };
                ctx.send(Node::Client(req.client), Node::Server(server), msg);
            }
            None => self.finish(id, Outcome::Unavailable, ctx, view),
        }
    }

    pub fn on_message(&mut self, msg: Msg, ctx: &mut Ctx, view: &mut ClusterView) {
        let Msg::Response {
            req: id,
            attempt,
            server,
            status,
            clock,
        } = msg
        else {
            return;
        };
        let now = ctx.now();
        let Some(req) = self.table.get_mut(id) else {
            return; // the request already ended: a late answer
        };
        self.clients[req.client as usize].clock.observe(clock);
        match req.in_flight {
            Some((s, sent)) if s == server && req.attempt == attempt => {
                view.outstanding[s as usize] -= 1;
                req.in_flight = None;
                let client = &mut self.clients[req.client as usize];
                client
                    .router
                    .on_reply(now, server, now.since(sent), status == Status::Ok);
            }
            _ => return, // an answer to an attempt already abandoned
        }
        match status {
            Status::Ok => self.finish(id, Outcome::Ok, ctx, view),
            Status::Rejected => self.attempt_failed(id, server, Outcome::Rejected, ctx, view),
        }
    }

    /// The current attempt failed: retry after the policy's backoff if it allows and the
    /// deadline leaves time, else end the request with `outcome`.
    fn attempt_failed(
        &mut self,
        id: ReqId,
        server: u32,
        outcome: Outcome,
        ctx: &mut Ctx,
        view: &mut ClusterView,
    ) {
        let Some(req) = self.table.get_mut(id) else {
            return;
        };
        let client = &mut self.clients[req.client as usize];
        let delay = client
            .retry
            .next_delay(u32::from(req.attempt), &mut client.retry_rng);
        let deadline = req.created.saturating_add(self.timeout);
        match delay {
            Some(d) if ctx.now().saturating_add(d) < deadline && req.attempt < u16::MAX => {
                req.attempt += 1;
                req.previous = Some(server);
                if d.is_zero() {
                    self.send_attempt(id, ctx, view);
                } else {
                    req.retry_timer = Some(ctx.after(d, Event::RetryDue { req: id }));
                }
            }
            _ => self.finish(id, outcome, ctx, view),
        }
    }

    pub fn on_retry_due(&mut self, id: ReqId, ctx: &mut Ctx, view: &mut ClusterView) {
        if let Some(req) = self.table.get_mut(id) {
            req.retry_timer = None;
            self.send_attempt(id, ctx, view);
        }
    }

    pub fn on_deadline(&mut self, id: ReqId, ctx: &mut Ctx, view: &mut ClusterView) {
        if let Some(req) = self.table.get_mut(id) {
            // The deadline event itself is what fired; nothing to cancel.
            req.deadline = EventId::NONE;
            self.finish(id, Outcome::TimedOut, ctx, view);
        }
    }

    /// Ends a request: cancels its timers, releases its attempt, records its outcome and,
    /// for a closed-loop client, starts the next think time.
    fn finish(&mut self, id: ReqId, outcome: Outcome, ctx: &mut Ctx, view: &mut ClusterView) {
        let Some(req) = self.table.remove(id) else {
            return;
        };
        ctx.cancel(req.deadline);
        if let Some(t) = req.retry_timer {
            ctx.cancel(t);
        }
        if let Some((s, sent)) = req.in_flight {
            view.outstanding[s as usize] -= 1;
            // The router learns that the abandoned attempt failed.
            let now = ctx.now();
            self.clients[req.client as usize]
                .router
                .on_reply(now, s, now.since(sent), false);
        }
        if req.counted {
            let latency = ctx.now().since(req.created);
            ctx.metrics()
                .request_done(outcome, latency, u32::from(req.attempt));
            if req.write {
                ctx.metrics().state.write_done(outcome == Outcome::Ok);
            }
        }
        if let Mode::Closed { .. } = self.mode
            && self.arrivals_open
        {
            self.schedule_think(req.client, ctx);
        }
    }
}
