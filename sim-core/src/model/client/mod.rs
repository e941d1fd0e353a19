//! Clients: open-loop Poisson sources or closed-loop users with think time, each with its
//! own router, retry policy, retry budget and circuit breakers, and the table of requests
//! in flight.
//!
//! A request's key and service demand are drawn when it is created, so routing and retries
//! cannot change them (with `cluster.service_per = "attempt"` retries and hedges draw their
//! own, from a separate stream). A request ends ok, rejected, errored, unavailable, or timed
//! out at its one deadline (`workload.timeout`, retries included); in between, the retry
//! policy, the budget and the breakers decide what follows a failed attempt (a rejection,
//! an error answer, an attempt timeout, or every usable breaker open). Answers to attempts
//! no longer awaited count as late and are otherwise ignored. Arrivals stop at the end of
//! the run; requests in flight then run to their outcome. A closed-loop client whose
//! request ended at the instant it was issued waits at least `workload.timeout` before
//! its next one, so a client that loses every server (or sits behind open breakers)
//! issues one request per timeout rather than endlessly many at one instant.
//! With `workload.writes`, each request writes its key with that probability (drawn from
//! the client's own stream) and carries its client's clock stamp, the same on every
//! attempt.

pub mod placement;

use crate::config::scenario::{ArrivalSpec, ClusterSpec, Popularity, WorkloadSpec};
use crate::engine::dist::Dist;
use crate::engine::queue::EventId;
use crate::engine::rng::{Purpose, RngFactory, SimRng};
use crate::engine::time::{SimDuration, SimTime};
use crate::model::ctx::Ctx;
use crate::model::events::{Event, Msg, Node, ReqId, Status};
use crate::model::state::ClientClock;
use crate::report::Counter;
use crate::report::metrics::Outcome;
use crate::strategy::{
    CircuitBreaker, ClusterView, MAX_HEDGED_ATTEMPTS, RetryBudget, RetryLimits, RetryPolicy,
    RouteInput, Router, StrategySet,
};
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
    limits: RetryLimits,
    /// The retry budget and circuit breakers, absent when the strategy has none (the
    /// common case costs no call).
    budget: Option<Box<dyn RetryBudget>>,
    breaker: Option<Box<dyn CircuitBreaker>>,
    /// Draws the service demand of retries and hedges, with `cluster.service_per =
    /// "attempt"`.
    attempt_service: Option<SimRng>,
    /// The pending arrival of an open-loop client.
    next_arrival: Option<EventId>,
    /// Overall deadlines of the requests issued in the last `timeout`, in creation order
    /// (so in time order: every request gets the same timeout). One `Deadline` event is
    /// pending at the earliest; entries of requests that already ended are skipped when it
    /// fires, so an answered request costs no event and no cancellation.
    deadlines: VecDeque<(SimTime, ReqId)>,
    /// Whether the `Deadline` event is pending.
    deadline_armed: bool,
    /// Read or write draws, when requests write.
    ops: Option<SimRng>,
    clock: ClientClock,
}

/// An attempt awaiting its answer (24 bytes, laid out as written: see [`Request`]).
#[derive(Clone, Copy, Debug)]
#[repr(C)]
struct Attempt {
    sent: SimTime,
    /// Its attempt-timeout event, or `EventId::NONE`.
    timer: EventId,
    server: u32,
    number: u16,
}

impl Attempt {
    const EMPTY: Attempt = Attempt {
        number: 0,
        server: 0,
        sent: SimTime::ZERO,
        timer: EventId::NONE,
    };
}

/// The attempts beyond the first that hedged requests await, in blocks (one per request
/// with more than one attempt in flight at some point), reused through a free list: no
/// allocation once the busiest moment has passed.
#[derive(Default)]
struct Spill {
    blocks: Vec<[Attempt; SPILLED]>,
    free: Vec<u32>,
}

/// Attempts a spill block holds.
const SPILLED: usize = MAX_HEDGED_ATTEMPTS as usize - 1;
/// An in-flight list's block while it has none.
const NO_BLOCK: u32 = u32::MAX;

impl Spill {
    fn take_block(&mut self) -> u32 {
        self.free.pop().unwrap_or_else(|| {
            self.blocks.push([Attempt::EMPTY; SPILLED]);
            u32::try_from(self.blocks.len() - 1).expect("fewer than 2^32 hedged requests")
        })
    }
}

/// The attempts of a request awaiting answers, in the order they were sent: at most one
/// under a retry policy (a timed-out attempt is abandoned before the next is sent), at
/// most [`MAX_HEDGED_ATTEMPTS`] under hedging. The first is kept here, in the request's
/// first cache line (see [`Request`]); the others of a hedged request in a [`Spill`]
/// block, kept until the request ends ([`InFlight::release`]).
#[derive(Clone, Copy, Debug)]
#[repr(C)]
struct InFlight {
    first: Attempt,
    block: u32,
    len: u8,
}

impl InFlight {
    const EMPTY: InFlight = InFlight {
        first: Attempt::EMPTY,
        block: NO_BLOCK,
        len: 0,
    };

    fn is_empty(&self) -> bool {
        self.len == 0
    }

    #[inline]
    fn get(&self, i: usize, spill: &Spill) -> Attempt {
        if i == 0 {
            self.first
        } else {
            spill.blocks[self.block as usize][i - 1]
        }
    }

    fn set(&mut self, i: usize, attempt: Attempt, spill: &mut Spill) {
        if i == 0 {
            self.first = attempt;
        } else {
            if self.block == NO_BLOCK {
                self.block = spill.take_block();
            }
            spill.blocks[self.block as usize][i - 1] = attempt;
        }
    }

    /// The attempts awaited, in the order they were sent.
    fn attempts<'a>(&'a self, spill: &'a Spill) -> impl Iterator<Item = Attempt> + 'a {
        (0..usize::from(self.len)).map(|i| self.get(i, spill))
    }

    fn push(&mut self, attempt: Attempt, spill: &mut Spill) {
        let len = usize::from(self.len);
        assert!(
            len < MAX_HEDGED_ATTEMPTS as usize,
            "retry policies keep at most {MAX_HEDGED_ATTEMPTS} attempts in flight"
        );
        self.set(len, attempt, spill);
        self.len += 1;
    }

    /// Removes and returns attempt `number`, if it is still awaited.
    fn take(&mut self, number: u16, spill: &mut Spill) -> Option<Attempt> {
        let len = usize::from(self.len);
        let i = (0..len).find(|&i| self.get(i, spill).number == number)?;
        let attempt = self.get(i, spill);
        for j in i + 1..len {
            let next = self.get(j, spill);
            self.set(j - 1, next, spill);
        }
        self.len -= 1;
        Some(attempt)
    }

    fn clear(&mut self) {
        self.len = 0;
    }

    /// Empties the list and returns its spill block: the request has ended.
    fn release(&mut self, spill: &mut Spill) {
        if self.block != NO_BLOCK {
            spill.free.push(self.block);
            self.block = NO_BLOCK;
        }
        self.len = 0;
    }
}

/// How many recently tried servers a request remembers for failover.
const TRIED_MEMORY: usize = 8;

/// The servers a request tried most recently (up to [`TRIED_MEMORY`]), which failover
/// keeps the next attempt away from.
#[derive(Clone, Copy, Debug)]
struct Tried {
    servers: [u32; TRIED_MEMORY],
    len: u8,
    next: u8,
}

impl Tried {
    const EMPTY: Tried = Tried {
        servers: [0; TRIED_MEMORY],
        len: 0,
        next: 0,
    };

    fn push(&mut self, server: u32) {
        self.servers[usize::from(self.next)] = server;
        self.next = (self.next + 1) % TRIED_MEMORY as u8;
        self.len = (self.len + 1).min(TRIED_MEMORY as u8);
    }

    /// The server of the latest attempt.
    fn last(&self) -> Option<u32> {
        (self.len > 0)
            .then(|| self.servers[(usize::from(self.next) + TRIED_MEMORY - 1) % TRIED_MEMORY])
    }

    fn as_slice(&self) -> &[u32] {
        &self.servers[..usize::from(self.len)]
    }
}

/// A request in flight.
///
/// Laid out as written, from a cache line's start: what the answer to its first attempt,
/// its deadline and its end read, tens of milliseconds after it was created and long after
/// its record left the first-level cache, fills the first 64 bytes (up to the first
/// attempt in flight), so that those reads touch one cache line of the record's two.
#[repr(C, align(64))]
struct Request {
    created: SimTime,
    client: u32,
    key: u32,
    /// The pending backoff (`RetryDue`) or hedging delay (`HedgeDue`).
    timer: Option<EventId>,
    /// Attempts made so far, the number of the latest (failed-fast ones included).
    attempts: u16,
    write: bool,
    counted: bool,
    in_flight: InFlight,
    demand: SimDuration,
    /// The client's clock stamp at creation.
    ts: u64,
    /// The backoff before the latest attempt (zero before the first).
    last_backoff: SimDuration,
    tried: Tried,
}

/// What `finish` keeps of a request once its slot is released.
struct Ended {
    client: u32,
    created: SimTime,
    key: u32,
    write: bool,
    attempts: u16,
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

    /// Frees the slot of a live request (found by `get_mut` just before).
    fn release(&mut self, id: ReqId) {
        let index = (id.0 - self.base) as usize;
        self.slots[index] = None;
        self.live -= 1;
        while let Some(None) = self.slots.front() {
            self.slots.pop_front();
            self.base += 1;
        }
    }
}

/// What happens after an attempt failed.
enum Next {
    /// Send the next attempt now.
    SendNow,
    /// A backoff is pending, other attempts are still awaited, or the request ended.
    Nothing,
}

/// What became of an attempt the client tried to send.
enum Sending {
    Sent,
    /// Every unsuspected server's circuit breaker is open: the attempt failed at once.
    FailedFast,
    /// Nothing was sent: the request ended (no server acceptable) or waits for others.
    Nothing,
}

enum Mode {
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
    /// Scratch list of the servers hidden from a router for one attempt.
    hidden: Vec<u32>,
    spill: Spill,
}

impl Clients {
    pub fn new(
        workload: &WorkloadSpec,
        cluster: &ClusterSpec,
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
                limits: RetryLimits::SINGLE,
                budget: strategy.retry_budget.build(),
                breaker: strategy.circuit_breaker.build(servers),
                attempt_service: cluster
                    .service_per_attempt
                    .then(|| rngs.stream(Purpose::AttemptService, c)),
                next_arrival: None,
                deadlines: VecDeque::new(),
                deadline_armed: false,
                ops: (workload.writes > 0.0).then(|| rngs.stream(Purpose::Writes, c)),
                clock: ClientClock::new(strategy.durability.ordering.clock(), c, rngs),
            })
            .map(|mut c: Client| {
                c.limits = c.retry.limits();
                c.limits.max_attempts = c.limits.max_attempts.clamp(1, u32::from(u16::MAX));
                c
            })
            .collect();
        let mode = match &workload.arrivals {
            ArrivalSpec::Poisson { rate, clients } => Mode::Open {
                rate_per_client: rate / f64::from(*clients),
                mean_gap: f64::from(*clients) / rate,
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
            service: cluster.service.clone(),
            keys: KeySampler::new(workload.keys.count, &workload.keys.popularity),
            timeout: workload.timeout,
            writes: workload.writes,
            hidden: Vec::new(),
            spill: Spill::default(),
        }
    }

    /// Schedules every client's first request: the first Poisson arrival, or the end of a
    /// first think time.
    pub fn start(&mut self, ctx: &mut Ctx) {
        for c in 0..self.clients.len() as u32 {
            match self.mode {
                Mode::Open { .. } => self.schedule_arrival(c, ctx),
                Mode::Closed { .. } => self.schedule_think(c, ctx, SimDuration::ZERO),
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
        let Mode::Open { mean_gap, .. } = self.mode else {
            return;
        };
        let client = &mut self.clients[c as usize];
        let gap: f64 = Exp1.sample(&mut client.arrivals);
        let at = ctx
            .now()
            .saturating_add(SimDuration::from_secs_f64(gap * mean_gap));
        client.next_arrival = (at < self.end).then(|| ctx.at(at, Event::Arrival { client: c }));
    }

    /// Draws a closed-loop client's think time and schedules its next request, after at
    /// least `at_least`.
    fn schedule_think(&mut self, c: u32, ctx: &mut Ctx, at_least: SimDuration) {
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
            ctx.after(wait, Event::ThinkDone { client: c });
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

    /// Whether every client is plain: no retry, hedge, attempt timeout, failover, retry
    /// budget or circuit breaker, no per-attempt service draw and no writes. Handlers
    /// called with `PLAIN` then skip those paths, which would do nothing for such clients.
    pub fn are_plain(&self) -> bool {
        self.clients.iter().all(|c| {
            c.limits == RetryLimits::SINGLE
                && c.budget.is_none()
                && c.breaker.is_none()
                && c.attempt_service.is_none()
                && c.ops.is_none()
        })
    }

    pub fn on_arrival<const PLAIN: bool>(&mut self, c: u32, ctx: &mut Ctx, view: &mut ClusterView) {
        self.clients[c as usize].next_arrival = None;
        if !self.arrivals_open {
            return;
        }
        self.issue::<PLAIN>(c, ctx, view);
        self.schedule_arrival(c, ctx);
    }

    pub fn on_think_done(&mut self, c: u32, ctx: &mut Ctx, view: &mut ClusterView) {
        if self.arrivals_open {
            self.issue::<false>(c, ctx, view);
        }
    }

    fn issue<const PLAIN: bool>(&mut self, c: u32, ctx: &mut Ctx, view: &mut ClusterView) {
        let id = ReqId(self.next_id);
        self.next_id += 1;
        let now = ctx.now();
        let client = &mut self.clients[c as usize];
        let key = self.keys.sample(&mut client.requests);
        let demand = self.service.sample(&mut client.requests);
        // A plain client never writes, and a read's stamp is 0 until some write moved a
        // clock.
        let write = !PLAIN
            && client
                .ops
                .as_mut()
                .is_some_and(|ops| ops.random::<f64>() < self.writes);
        let ts = if PLAIN {
            0
        } else {
            client.clock.stamp(now, write)
        };
        if let Some(budget) = client.budget.as_mut().filter(|_| !PLAIN) {
            budget.on_request(now);
        }
        let deadline = now.saturating_add(self.timeout);
        client.deadlines.push_back((deadline, id));
        if !client.deadline_armed {
            client.deadline_armed = true;
            ctx.at(deadline, Event::Deadline { client: c });
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
        if PLAIN {
            self.send_attempt::<true>(id, ctx, view);
        } else {
            self.launch(id, ctx, view);
        }
    }

    /// Sends the next attempt of `id`; an attempt failed fast by open circuit breakers is
    /// handled like any failed attempt, and may be followed at once by the next.
    fn launch(&mut self, id: ReqId, ctx: &mut Ctx, view: &mut ClusterView) {
        loop {
            match self.send_attempt::<false>(id, ctx, view) {
                Sending::Sent | Sending::Nothing => return,
                Sending::FailedFast => {
                    match self.after_failure(id, Outcome::Unavailable, ctx, view) {
                        Next::SendNow => continue,
                        Next::Nothing => return,
                    }
                }
            }
        }
    }

    /// Routes and sends the next attempt of `id`. The router sees the view without the
    /// servers this client's circuit breakers block and, under failover, without the
    /// servers the request already tried (unless that leaves no server, or the router
    /// finds none there). When only the open breakers keep the router from placing the attempt,
    /// it fails fast; when the router finds no acceptable server at all, the request
    /// fails as unavailable (unless other attempts are still awaited).
    fn send_attempt<const PLAIN: bool>(
        &mut self,
        id: ReqId,
        ctx: &mut Ctx,
        view: &mut ClusterView,
    ) -> Sending {
        let Clients {
            table,
            clients,
            hidden,
            timeout,
            service,
            spill,
            ..
        } = self;
        let Some(req) = table.get_mut(id) else {
            return Sending::Nothing;
        };
        let client = &mut clients[req.client as usize];
        let now = ctx.now();
        let deadline = req.created.saturating_add(*timeout);
        // Suspicions as this client sees them (its own, with detection in the clients).
        view.set_viewer(req.client);
        hidden.clear();
        if let Some(breaker) = client.breaker.as_ref().filter(|_| !PLAIN) {
            hidden.extend_from_slice(breaker.blocked());
        }
        let blocked = hidden.len();
        if blocked > 0 && !view.alive().is_empty() && view.alive_except(hidden) == 0 {
            return Self::fail_fast(req, ctx);
        }
        let input = RouteInput {
            key: req.key,
            attempt: u32::from(req.attempts) + 1,
            previous: req.tried.last(),
            now,
        };
        let mut routed = Self::route(client, &input, view, hidden);
        // Failover: should the router pick a server the request already tried, it picks
        // again without the tried servers, unless that leaves none or it then finds none
        // (a primary-backup router can only use the range's primary). Masking only when
        // needed keeps a router's cached placement (Maglev's table) for the common case.
        if !PLAIN
            && client.limits.failover
            && let Some(pick) = routed
            && req.tried.as_slice().contains(&pick)
        {
            for &s in req.tried.as_slice() {
                if !hidden.contains(&s) {
                    hidden.push(s);
                }
            }
            if view.alive_except(hidden) > 0
                && let Some(other) = Self::route(client, &input, view, hidden)
            {
                routed = Some(other);
            }
            hidden.truncate(blocked);
        }
        let Some(server) = routed else {
            // Placeable but for the open breakers: the attempt fails fast, and may be
            // retried once a breaker half-opens.
            if blocked > 0 && Self::route(client, &input, view, &[]).is_some() {
                return Self::fail_fast(req, ctx);
            }
            if req.in_flight.is_empty() {
                self.finish::<false>(id, Outcome::Unavailable, ctx, view);
            }
            return Sending::Nothing;
        };
        req.attempts += 1;
        let number = req.attempts;
        let hedge = !req.in_flight.is_empty();
        view.outstanding[server as usize] += 1;
        if let Some(breaker) = client.breaker.as_mut().filter(|_| !PLAIN) {
            breaker.on_send(server);
        }
        let mut attempt_deadline = deadline;
        let mut timer = EventId::NONE;
        if !PLAIN
            && let Some(t) = client.limits.attempt_timeout
            && now.saturating_add(t) < deadline
        {
            attempt_deadline = now.saturating_add(t);
            timer = ctx.after(
                t,
                Event::AttemptTimeout {
                    client: req.client,
                    req: id,
                    attempt: number,
                },
            );
        }
        req.in_flight.push(
            Attempt {
                number,
                server,
                sent: now,
                timer,
            },
            spill,
        );
        // A plain request makes one attempt: nothing reads the servers it tried, it counts
        // no retry, draws no demand of its own, and no backoff or hedge follows.
        if !PLAIN {
            req.tried.push(server);
            if number > 1 {
                ctx.metrics().retry_sent(now);
                if hedge {
                    ctx.metrics().count_counted(Counter::Hedges, req.counted);
                }
            }
        }
        let demand = match &mut client.attempt_service {
            Some(rng) if !PLAIN && number > 1 => service.sample(rng),
            _ => req.demand,
        };
        let msg = Msg::Request {
            req: id,
            attempt: number,
            key: req.key,
            demand,
            deadline: attempt_deadline,
            write: req.write,
            ts: req.ts,
        };
        ctx.send(Node::Client(req.client), Node::Server(server), msg);
        if PLAIN {
            return Sending::Sent;
        }
        // A backoff has ended by now, so a pending timer is the previous hedging delay:
        // the next hedge counts from this attempt.
        if let Some(t) = req.timer.take() {
            ctx.cancel(t);
        }
        if u32::from(number) < client.limits.max_attempts
            && let Some(d) = client.retry.hedge_delay()
            && now.saturating_add(d) < deadline
        {
            req.timer = Some(ctx.after(
                d,
                Event::HedgeDue {
                    client: req.client,
                    req: id,
                },
            ));
        }
        Sending::Sent
    }

    /// The router's choice for `input` with the `hidden` servers masked out of the view.
    fn route(
        client: &mut Client,
        input: &RouteInput,
        view: &mut ClusterView,
        hidden: &[u32],
    ) -> Option<u32> {
        let (router, rng) = (&mut client.router, &mut client.routing);
        view.with_hidden(hidden, |v| router.route(input, v, rng))
    }

    /// An attempt that open circuit breakers keep from any server fails at once.
    fn fail_fast(req: &mut Request, ctx: &mut Ctx) -> Sending {
        req.attempts += 1;
        ctx.metrics()
            .count_counted(Counter::BreakerFastFails, req.counted);
        Sending::FailedFast
    }

    pub fn on_message<const PLAIN: bool>(
        &mut self,
        msg: Msg,
        ctx: &mut Ctx,
        view: &mut ClusterView,
    ) {
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
        let awaited = self.table.get_mut(id).and_then(|req| {
            // Every answer carries the server's Lamport clock (0 while nothing writes).
            if !PLAIN {
                self.clients[req.client as usize].clock.observe(clock);
            }
            Some((
                req.in_flight.take(attempt, &mut self.spill)?,
                req.client,
                req.created,
            ))
        });
        let Some((a, c, created)) = awaited else {
            // The request ended, or gave up on this attempt: a late answer.
            ctx.metrics().count(Counter::LateAnswers, now);
            return;
        };
        let ok = status == Status::Ok;
        if !PLAIN {
            ctx.cancel(a.timer);
        }
        self.attempt_ended::<PLAIN>(c, a, ok, ctx, view);
        let client = &mut self.clients[c as usize];
        client.router.on_reply(now, server, now.since(a.sent), ok);
        match status {
            Status::Ok => {
                client.retry.on_success(now.since(created));
                self.finish::<PLAIN>(id, Outcome::Ok, ctx, view);
            }
            Status::Rejected => self.failed(id, Outcome::Rejected, ctx, view),
            Status::Error => self.failed(id, Outcome::Error, ctx, view),
        }
    }

    /// Bookkeeping of an attempt that ended with an answer (`ok` or not) or a timeout:
    /// releases it from the view and tells the retry budget and the circuit breaker (which
    /// a plain client has not).
    fn attempt_ended<const PLAIN: bool>(
        &mut self,
        c: u32,
        a: Attempt,
        ok: bool,
        ctx: &mut Ctx,
        view: &mut ClusterView,
    ) {
        view.outstanding[a.server as usize] -= 1;
        if PLAIN {
            return;
        }
        let now = ctx.now();
        let client = &mut self.clients[c as usize];
        if let Some(budget) = &mut client.budget {
            budget.on_attempt_end(ok, now);
        }
        Self::breaker_result(client, c, a.server, ok, ctx);
    }

    fn breaker_result(client: &mut Client, c: u32, server: u32, ok: bool, ctx: &mut Ctx) {
        let now = ctx.now();
        let Some(breaker) = &mut client.breaker else {
            return;
        };
        if let Some(open_for) = breaker.on_result(server, ok, now) {
            ctx.after(open_for, Event::BreakerHalfOpen { client: c, server });
            ctx.metrics().count(Counter::BreakerOpens, now);
        }
    }

    /// An attempt of `id` failed with `outcome`; the next one goes out now or later, or the
    /// request ends.
    fn failed(&mut self, id: ReqId, outcome: Outcome, ctx: &mut Ctx, view: &mut ClusterView) {
        if let Next::SendNow = self.after_failure(id, outcome, ctx, view) {
            self.launch(id, ctx, view);
        }
    }

    /// Decides what follows a failed attempt: a retry if attempts remain, the policy wants
    /// one, it leaves before the overall deadline and the retry budget allows it; else the
    /// request waits for its other attempts in flight, or ends with `outcome`.
    fn after_failure(
        &mut self,
        id: ReqId,
        outcome: Outcome,
        ctx: &mut Ctx,
        view: &mut ClusterView,
    ) -> Next {
        let Some(req) = self.table.get_mut(id) else {
            return Next::Nothing;
        };
        let client = &mut self.clients[req.client as usize];
        let now = ctx.now();
        let deadline = req.created.saturating_add(self.timeout);
        let attempts = u32::from(req.attempts);
        let wanted = if attempts < client.limits.max_attempts {
            client
                .retry
                .next_delay(attempts, req.last_backoff, &mut client.retry_rng)
                .filter(|d| now.saturating_add(*d) < deadline)
        } else {
            None
        };
        if let Some(delay) = wanted {
            if client.budget.as_mut().is_none_or(|b| b.try_retry(now)) {
                req.last_backoff = delay;
                if delay.is_zero() {
                    return Next::SendNow;
                }
                if let Some(t) = req.timer.take() {
                    ctx.cancel(t);
                }
                req.timer = Some(ctx.after(
                    delay,
                    Event::RetryDue {
                        client: req.client,
                        req: id,
                    },
                ));
                return Next::Nothing;
            }
            ctx.metrics()
                .count_counted(Counter::BudgetDenied, req.counted);
        }
        if req.in_flight.is_empty() {
            self.finish::<false>(id, outcome, ctx, view);
        }
        Next::Nothing
    }

    pub fn on_retry_due(&mut self, id: ReqId, ctx: &mut Ctx, view: &mut ClusterView) {
        if let Some(req) = self.table.get_mut(id) {
            req.timer = None;
            self.launch(id, ctx, view);
        }
    }

    /// The hedging delay ended without an answer: the next attempt goes out if the retry
    /// budget allows it.
    pub fn on_hedge_due(&mut self, id: ReqId, ctx: &mut Ctx, view: &mut ClusterView) {
        let Some(req) = self.table.get_mut(id) else {
            return;
        };
        req.timer = None;
        let client = &mut self.clients[req.client as usize];
        if u32::from(req.attempts) >= client.limits.max_attempts {
            return;
        }
        if client
            .budget
            .as_mut()
            .is_none_or(|b| b.try_retry(ctx.now()))
        {
            self.launch(id, ctx, view);
        } else {
            ctx.metrics()
                .count_counted(Counter::BudgetDenied, req.counted);
        }
    }

    /// Attempt `attempt` of `id` got no answer within the attempt timeout: it counts as
    /// failed (its answer, if it comes, is ignored) and may be retried elsewhere.
    pub fn on_attempt_timeout(
        &mut self,
        id: ReqId,
        attempt: u16,
        ctx: &mut Ctx,
        view: &mut ClusterView,
    ) {
        let Some(req) = self.table.get_mut(id) else {
            return;
        };
        let Some(mut a) = req.in_flight.take(attempt, &mut self.spill) else {
            return;
        };
        let (c, counted) = (req.client, req.counted);
        a.timer = EventId::NONE;
        ctx.metrics()
            .count_counted(Counter::AttemptTimeouts, counted);
        let now = ctx.now();
        self.attempt_ended::<false>(c, a, false, ctx, view);
        self.clients[c as usize]
            .router
            .on_reply(now, a.server, now.since(a.sent), false);
        self.failed(id, Outcome::TimedOut, ctx, view);
    }

    /// A client's deadline event: every request of the client whose deadline has come and
    /// that is still in flight times out, in creation order. The event is re-armed at the
    /// deadline of the oldest request still in flight, skipping the ones that already
    /// ended, so it fires about once per `timeout` plus once per request that times out.
    pub fn on_deadline(&mut self, c: u32, ctx: &mut Ctx, view: &mut ClusterView) {
        let now = ctx.now();
        self.clients[c as usize].deadline_armed = false;
        while let Some(&(at, id)) = self.clients[c as usize].deadlines.front() {
            if at <= now {
                self.clients[c as usize].deadlines.pop_front();
                self.time_out(id, ctx, view);
            } else if self.table.get_mut(id).is_none() {
                self.clients[c as usize].deadlines.pop_front();
            } else {
                self.clients[c as usize].deadline_armed = true;
                ctx.at(at, Event::Deadline { client: c });
                return;
            }
        }
    }

    /// The request's overall deadline passed: attempts still awaited count as failures
    /// for the router and the circuit breakers, and the request ends as timed out.
    fn time_out(&mut self, id: ReqId, ctx: &mut Ctx, view: &mut ClusterView) {
        let Some(req) = self.table.get_mut(id) else {
            return; // it ended before its deadline
        };
        let in_flight = req.in_flight;
        req.in_flight.clear();
        let c = req.client;
        let now = ctx.now();
        for a in in_flight.attempts(&self.spill) {
            ctx.cancel(a.timer);
            view.outstanding[a.server as usize] -= 1;
            let client = &mut self.clients[c as usize];
            // The router learns that the abandoned attempt failed.
            client
                .router
                .on_reply(now, a.server, now.since(a.sent), false);
            Self::breaker_result(client, c, a.server, false, ctx);
        }
        self.finish::<false>(id, Outcome::TimedOut, ctx, view);
    }

    /// A circuit breaker's open period ended.
    pub fn on_breaker_half_open(&mut self, client: u32, server: u32) {
        if let Some(breaker) = &mut self.clients[client as usize].breaker {
            breaker.half_open(server);
        }
    }

    /// Ends a request: cancels its timers, abandons attempts still awaited (their answers
    /// will count as late), records its outcome and, for a closed-loop client, starts the
    /// next think time.
    fn finish<const PLAIN: bool>(
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
        if let Some(t) = req.timer.filter(|_| !PLAIN) {
            ctx.cancel(t);
        }
        let client = &mut self.clients[req.client as usize];
        for a in req.in_flight.attempts(&self.spill) {
            if !PLAIN {
                ctx.cancel(a.timer);
            }
            view.outstanding[a.server as usize] -= 1;
            if let Some(breaker) = client.breaker.as_mut().filter(|_| !PLAIN) {
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
        let latency = ctx.now().since(req.created);
        let ok = outcome == Outcome::Ok;
        let m = ctx.metrics();
        m.request_done(req.counted, outcome, latency, u32::from(req.attempts));
        m.request_outcome_for_key(req.counted, req.key, req.created, ok);
        if !PLAIN && req.write {
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{align_of, offset_of, size_of};

    #[test]
    fn what_an_answer_reads_of_a_request_fills_its_first_cache_line() {
        assert_eq!(size_of::<Attempt>(), 24);
        assert_eq!(align_of::<Request>(), 64);
        let first_attempt = offset_of!(Request, in_flight) + offset_of!(InFlight, first);
        assert!(
            first_attempt + size_of::<Attempt>() <= 64,
            "{first_attempt}"
        );
        assert_eq!(size_of::<Request>(), 128, "two cache lines");
        // The table's empty slots cost no more than the request.
        assert_eq!(size_of::<Option<Request>>(), size_of::<Request>());
    }

    fn attempt(number: u16) -> Attempt {
        Attempt {
            number,
            server: u32::from(number) * 10,
            sent: SimTime(u64::from(number)),
            timer: EventId::NONE,
        }
    }

    fn numbers(list: &InFlight, spill: &Spill) -> Vec<u16> {
        list.attempts(spill).map(|a| a.number).collect()
    }

    #[test]
    fn in_flight_attempts_keep_their_order_across_the_spill_block() {
        let mut spill = Spill::default();
        let mut list = InFlight::EMPTY;
        list.push(attempt(1), &mut spill);
        assert_eq!(list.block, NO_BLOCK, "one attempt stays in the record");
        for n in 2..=MAX_HEDGED_ATTEMPTS as u16 {
            list.push(attempt(n), &mut spill);
        }
        assert_eq!(numbers(&list, &spill), [1, 2, 3, 4, 5]);
        assert_eq!(list.take(3, &mut spill).map(|a| a.server), Some(30));
        assert_eq!(
            list.take(3, &mut spill).map(|a| a.number),
            None,
            "taken once"
        );
        assert_eq!(list.take(1, &mut spill).map(|a| a.sent), Some(SimTime(1)));
        assert_eq!(numbers(&list, &spill), [2, 4, 5]);
        list.push(attempt(6), &mut spill);
        assert_eq!(numbers(&list, &spill), [2, 4, 5, 6]);

        // A second hedged request takes a block of its own; an ended one gives its back.
        let mut other = InFlight::EMPTY;
        other.push(attempt(1), &mut spill);
        other.push(attempt(2), &mut spill);
        assert_ne!(other.block, list.block);
        let block = list.block;
        list.release(&mut spill);
        assert!(list.is_empty() && list.block == NO_BLOCK);
        let mut third = InFlight::EMPTY;
        third.push(attempt(1), &mut spill);
        third.push(attempt(2), &mut spill);
        assert_eq!(third.block, block, "the freed block is reused");
        assert_eq!(spill.blocks.len(), 2);
        assert_eq!(numbers(&other, &spill), [1, 2]);
    }
}
