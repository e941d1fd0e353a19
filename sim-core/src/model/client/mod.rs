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

mod arrivals;
mod attempts;
pub mod events;
mod keys;
mod outcome;
pub mod placement;
mod routing;
mod table;

use crate::config::scenario::{ArrivalSpec, ClusterSpec, WorkloadSpec};
use crate::engine::dist::Dist;
use crate::engine::queue::EventId;
use crate::engine::rng::{Purpose, RngFactory, SimRng};
use crate::engine::time::{SimDuration, SimTime};
use crate::model::ctx::Ctx;
use crate::model::state::ClientClock;
use crate::strategy::{CircuitBreaker, RetryBudget, RetryLimits, RetryPolicy, Router, StrategySet};
use arrivals::Mode;
use keys::KeySampler;
use table::{Deadlines, RequestTable, Spill};

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
    /// The client's requests in the order of their overall deadlines.
    deadlines: Deadlines,
    /// Whether the `Deadline` event is pending.
    deadline_armed: bool,
    /// Read or write draws, when requests write.
    ops: Option<SimRng>,
    clock: ClientClock,
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
    /// Whether the routers read the view's outstanding attempts per server, which the
    /// clients then keep.
    count_outstanding: bool,
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
                deadlines: Deadlines::default(),
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
            table: RequestTable::default(),
            next_id: 0,
            service: cluster.service.clone(),
            keys: KeySampler::new(workload.keys.count, &workload.keys.popularity),
            timeout: workload.timeout,
            writes: workload.writes,
            hidden: Vec::new(),
            spill: Spill::default(),
            count_outstanding: strategy.routing.reads_outstanding(),
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
}
