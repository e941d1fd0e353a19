//! Servers: `workers` concurrent slots, a FIFO queue of `queue_capacity`, and heartbeats.
//!
//! A request is served for its demand (drawn when the client created it) times the
//! server's slow factor. A full queue rejects at once. A crashed server loses every
//! request it holds, queued or in service, ignores messages until it recovers, and stops
//! sending heartbeats; on recovery it sends one at once and then one per interval.
//! A server is down while any cause holds it down: its random crash process or any
//! active scripted crash. With a key cache, a request whose key the server does not hold
//! is served `miss_penalty` longer (before the slow factor applies); a crash empties the
//! cache. Heartbeats go to the monitor or, with detection in the clients, to every
//! client; a zero interval means none (the detector probes instead). An up server
//! answers a detector's probe with an ack, pings a target when asked to relay an
//! indirect probe, and forwards the target's ack to the prober.
//!
//! With `shed_expired`, a server drops a queued attempt unstarted when its deadline has
//! passed by the time a worker would start it. While a scripted `error` fault holds it, an
//! up server answers every attempt at once with an error, and when the fault starts it
//! answers what it holds the same way; it still heartbeats and answers probes.
//!
//! With state (see [`state`](crate::model::state)), a recovering server first restores
//! its keys and serves nothing meanwhile; a pausing checkpoint stops the requests in
//! service (they resume where they were when it ends) and holds the queue, a slowing one
//! slows the requests started during it.

pub mod batch;
pub mod cache;
pub mod events;

use crate::config::scenario::ClusterSpec;
use crate::engine::queue::EventId;
use crate::engine::rng::{Purpose, RngFactory};
use crate::engine::time::{SimDuration, SimTime};
use crate::model::ctx::Ctx;
use crate::model::events::Body;
use crate::model::events::ServerEvent;
use crate::model::events::{Msg, Node, Status};
use crate::model::server::cache::KeyCache;
use crate::model::state::State;
use crate::report::Counter;
use crate::strategy::durability::During;
use rand::RngExt;
use std::collections::VecDeque;

/// An attempt a server holds.
#[derive(Clone, Copy, Debug)]
pub struct Job {
    pub body: Body,
    pub demand: SimDuration,
    /// When the client stops waiting for this attempt.
    pub deadline: SimTime,
}

struct Worker {
    job: Job,
    done: EventId,
    /// When service ends; while a checkpoint pauses the server, the service left.
    until: SimTime,
    left: SimDuration,
}

struct Server {
    random_down: bool,
    scripted_down: u32,
    /// Active scripted `error` faults on the server.
    erroring: u32,
    slow_factor: f64,
    workers: Vec<Option<Worker>>,
    idle: Vec<u32>,
    queue: VecDeque<Job>,
    heartbeat: Option<EventId>,
    cache: Option<KeyCache>,
    /// The end of the restore in progress: the server is up but serves nothing.
    restoring: Option<EventId>,
    /// A pausing checkpoint is in progress.
    paused: bool,
    /// Service slows by this factor while a slowing checkpoint is in progress.
    checkpoint_factor: f64,
}

impl Server {
    fn up(&self) -> bool {
        !self.random_down && self.scripted_down == 0
    }

    /// Up and restored.
    fn serving(&self) -> bool {
        self.up() && self.restoring.is_none()
    }
}

/// Why a server goes down or comes back.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum DownCause {
    Random,
    Scripted,
}

/// Who receives the servers' heartbeats.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum HeartbeatReceivers {
    Monitor,
    /// Every one of this many clients.
    Clients(u32),
}

pub struct Servers {
    servers: Vec<Server>,
    queue_capacity: usize,
    heartbeat_interval: SimDuration,
    heartbeat_receivers: HeartbeatReceivers,
    miss_penalty: SimDuration,
    shed_expired: bool,
    state: Option<State>,
    /// The state holds keys (see [`State::tracks_keys`]). Without, every clock is 0 and the
    /// state is told nothing of an attempt served or answered: read once per attempt here
    /// rather than a call into the state.
    keyed: bool,
}

impl Servers {
    pub fn new(spec: &ClusterSpec, heartbeat_interval: SimDuration) -> Self {
        let workers = spec.workers as usize;
        Servers {
            servers: (0..spec.servers)
                .map(|_| Server {
                    random_down: false,
                    scripted_down: 0,
                    erroring: 0,
                    slow_factor: 1.0,
                    workers: (0..workers).map(|_| None).collect(),
                    idle: (0..workers as u32).rev().collect(),
                    queue: VecDeque::new(),
                    heartbeat: None,
                    cache: spec.cache.as_ref().map(|c| KeyCache::new(c.size)),
                    restoring: None,
                    paused: false,
                    checkpoint_factor: 1.0,
                })
                .collect(),
            queue_capacity: spec.queue_capacity as usize,
            heartbeat_interval,
            heartbeat_receivers: HeartbeatReceivers::Monitor,
            miss_penalty: spec
                .cache
                .as_ref()
                .map_or(SimDuration::ZERO, |c| c.miss_penalty),
            shed_expired: spec.shed_expired,
            state: None,
            keyed: false,
        }
    }

    /// Sends heartbeats to `receivers` instead of the monitor.
    pub fn with_heartbeat_receivers(mut self, receivers: HeartbeatReceivers) -> Self {
        self.heartbeat_receivers = receivers;
        self
    }

    /// Gives the servers state: keys, checkpoints, replicas, backups, batch jobs.
    pub fn with_state(mut self, state: State) -> Self {
        self.keyed = state.tracks_keys();
        self.state = Some(state);
        self
    }

    pub fn state(&mut self) -> &mut State {
        self.state.as_mut().expect("servers built with state")
    }

    /// Starts every server's heartbeat at a random phase within one interval, so that
    /// heartbeats do not arrive in lockstep.
    pub fn start(&mut self, ctx: &mut Ctx, rngs: &RngFactory) {
        let interval = self.heartbeat_interval.0;
        if interval == 0 {
            return;
        }
        for (s, server) in self.servers.iter_mut().enumerate() {
            let mut rng = rngs.stream(Purpose::Heartbeats, s as u32);
            let phase = if interval > 0 {
                rng.random_range(0..interval)
            } else {
                0
            };
            server.heartbeat = Some(ctx.after(
                SimDuration(phase),
                ServerEvent::HeartbeatTick { server: s as u32 },
            ));
        }
    }

    pub fn is_up(&self, server: u32) -> bool {
        self.servers[server as usize].up()
    }

    /// Requests queued or in service at a server.
    pub fn load(&self, server: u32) -> usize {
        let s = &self.servers[server as usize];
        s.queue.len() + s.workers.len() - s.idle.len()
    }

    pub fn on_message(&mut self, server: u32, from: Node, msg: Msg, ctx: &mut Ctx) {
        if msg.is_replication() {
            let s = &self.servers[server as usize];
            let (up, serving) = (s.up(), s.serving());
            let serving = serving || (up && self.state().catching_up(server));
            self.state().on_message(server, from, msg, serving, ctx);
            return;
        }
        if !matches!(msg, Msg::Request { .. }) {
            return self.on_probe_message(server, from, msg, ctx);
        }
        let Msg::Request {
            req,
            attempt,
            key,
            demand,
            deadline,
            write,
            ts,
        } = msg
        else {
            return;
        };
        let Node::Client(client) = from else {
            return;
        };
        let s = &mut self.servers[server as usize];
        if !s.serving() {
            return;
        }
        let now = ctx.now();
        ctx.metrics().attempt_arrived(server, now);
        let job = Job {
            body: Body {
                req,
                client,
                attempt,
                key,
                write,
                ts,
            },
            demand,
            deadline,
        };
        if s.erroring > 0 {
            let clock = self.clock(server, ts);
            Self::answer(server, &job, Status::Error, clock, ctx);
        } else if !s.paused
            && let Some(&worker) = s.idle.last()
        {
            if self.shed_expired && Self::shed(&job, ctx) {
                return;
            }
            s.idle.pop();
            Self::begin(s, server, worker, job, self.miss_penalty, ctx);
        } else if s.queue.len() < self.queue_capacity {
            s.queue.push_back(job);
        } else {
            let clock = self.clock(server, ts);
            Self::answer(server, &job, Status::Rejected, clock, ctx);
        }
    }

    /// The server's clock to answer an attempt stamped `ts` with, without serving it: 0
    /// without keyed state.
    fn clock(&mut self, server: u32, ts: u64) -> u64 {
        match &mut self.state {
            Some(st) if self.keyed => st.clock(server, ts),
            _ => 0,
        }
    }

    fn answer(server: u32, job: &Job, status: Status, clock: u64, ctx: &mut Ctx) {
        ctx.send(
            Node::Server(server),
            Node::Client(job.body.client),
            Msg::Response {
                req: job.body.req,
                attempt: job.body.attempt,
                server,
                status,
                clock,
            },
        );
    }

    /// Whether `job` is past its deadline and is to be dropped unstarted; counts it.
    fn shed(job: &Job, ctx: &mut Ctx) -> bool {
        let now = ctx.now();
        if now < job.deadline {
            return false;
        }
        ctx.metrics().count(Counter::Shed, now);
        true
    }

    /// A failure detector's message: answer a ping, relay an indirect probe, or forward
    /// a relayed ack to the prober. A down server does nothing.
    fn on_probe_message(&mut self, server: u32, from: Node, msg: Msg, ctx: &mut Ctx) {
        if !self.servers[server as usize].up() {
            return;
        }
        let me = Node::Server(server);
        match msg {
            Msg::Probe {
                target,
                seq,
                origin,
            } => ctx.send(
                me,
                from,
                Msg::ProbeAck {
                    target,
                    seq,
                    origin,
                },
            ),
            Msg::ProbeRequest { target, seq } => ctx.send(
                me,
                Node::Server(target),
                Msg::Probe {
                    target,
                    seq,
                    origin: from,
                },
            ),
            Msg::ProbeAck {
                target,
                seq,
                origin,
            } => ctx.send(
                me,
                origin,
                Msg::ProbeAck {
                    target,
                    seq,
                    origin,
                },
            ),
            _ => {}
        }
    }

    fn begin(
        s: &mut Server,
        server: u32,
        worker: u32,
        job: Job,
        miss_penalty: SimDuration,
        ctx: &mut Ctx,
    ) {
        let mut demand = job.demand;
        if let Some(cache) = &mut s.cache {
            let hit = cache.access(job.body.key);
            if !hit {
                demand += miss_penalty;
            }
            let now = ctx.now();
            ctx.metrics().cache_lookup(hit, now);
        }
        let factor = s.slow_factor * s.checkpoint_factor;
        let service = if factor == 1.0 {
            demand
        } else {
            demand.mul_f64(factor)
        };
        let done = ctx.after(service, ServerEvent::ServiceDone { server, worker });
        s.workers[worker as usize] = Some(Worker {
            job,
            done,
            until: ctx.now().saturating_add(service),
            left: SimDuration::ZERO,
        });
    }

    pub fn on_service_done(&mut self, server: u32, worker: u32, ctx: &mut Ctx) {
        let s = &mut self.servers[server as usize];
        let Some(Worker { job, .. }) = s.workers[worker as usize].take() else {
            return;
        };
        let answer = match &mut self.state {
            Some(state) if self.keyed => state.served(server, job.body, ctx),
            _ => Some(0),
        };
        if let Some(clock) = answer {
            Self::answer(server, &job, Status::Ok, clock, ctx);
        }
        while let Some(next) = s.queue.pop_front() {
            if self.shed_expired && Self::shed(&next, ctx) {
                continue;
            }
            Self::begin(s, server, worker, next, self.miss_penalty, ctx);
            return;
        }
        s.idle.push(worker);
    }

    /// Starts (`active`) or ends one scripted `error` fault on `server`. When the first
    /// starts, an up server answers every attempt it holds with an error, queued ones
    /// first in queue order, then those in service by worker.
    pub fn set_erroring(&mut self, server: u32, active: bool, ctx: &mut Ctx) {
        let s = &mut self.servers[server as usize];
        if !active {
            s.erroring = s.erroring.saturating_sub(1);
            return;
        }
        s.erroring += 1;
        if s.erroring > 1 || !s.up() {
            return;
        }
        let clock = self.clock(server, 0);
        let s = &mut self.servers[server as usize];
        for job in std::mem::take(&mut s.queue) {
            Self::answer(server, &job, Status::Error, clock, ctx);
        }
        for (i, w) in s.workers.iter_mut().enumerate() {
            if let Some(worker) = w.take() {
                ctx.cancel(worker.done);
                Self::answer(server, &worker.job, Status::Error, clock, ctx);
                s.idle.push(i as u32);
            }
        }
        s.idle.sort_unstable_by(|a, b| b.cmp(a));
    }

    pub fn on_heartbeat_tick(&mut self, server: u32, ctx: &mut Ctx) {
        let s = &mut self.servers[server as usize];
        s.heartbeat = None;
        if !s.up() {
            return;
        }
        match self.heartbeat_receivers {
            HeartbeatReceivers::Monitor => ctx.send(
                Node::Server(server),
                Node::Monitor,
                Msg::Heartbeat { server },
            ),
            HeartbeatReceivers::Clients(clients) => {
                for c in 0..clients {
                    ctx.send(
                        Node::Server(server),
                        Node::Client(c),
                        Msg::Heartbeat { server },
                    );
                }
            }
        }
        s.heartbeat = Some(ctx.after(
            self.heartbeat_interval,
            ServerEvent::HeartbeatTick { server },
        ));
    }

    /// Takes a server down for `cause`. Returns whether it went from up to down.
    pub fn crash(&mut self, server: u32, cause: DownCause, ctx: &mut Ctx) -> bool {
        let s = &mut self.servers[server as usize];
        let was_up = s.up();
        match cause {
            DownCause::Random => s.random_down = true,
            DownCause::Scripted => s.scripted_down += 1,
        }
        if !was_up {
            return false;
        }
        let restoring = s.restoring.take();
        if let Some(id) = restoring {
            ctx.cancel(id);
        }
        s.paused = false;
        s.checkpoint_factor = 1.0;
        let mut lost = s.queue.len() as u64;
        s.queue.clear();
        for (i, w) in s.workers.iter_mut().enumerate() {
            if let Some(worker) = w.take() {
                ctx.cancel(worker.done);
                lost += 1;
                s.idle.push(i as u32);
            }
        }
        s.idle.sort_unstable_by(|a, b| b.cmp(a));
        if let Some(cache) = &mut s.cache {
            cache.clear();
        }
        if let Some(hb) = s.heartbeat.take() {
            ctx.cancel(hb);
        }
        let now = ctx.now();
        if restoring.is_some() {
            ctx.metrics().crashed_while_restoring(now);
        } else {
            ctx.metrics().server_crashed(server, now, lost);
        }
        if let Some(state) = &mut self.state {
            state.crash(server, ctx);
        }
        true
    }

    /// Lifts one `cause` of a server being down. Returns whether it came back up.
    pub fn recover(&mut self, server: u32, cause: DownCause, ctx: &mut Ctx) -> bool {
        let s = &mut self.servers[server as usize];
        if s.up() {
            return false;
        }
        match cause {
            DownCause::Random => s.random_down = false,
            DownCause::Scripted => s.scripted_down = s.scripted_down.saturating_sub(1),
        }
        if !s.up() {
            return false;
        }
        let now = ctx.now();
        if let Some(state) = &mut self.state
            && state.restores()
        {
            let restore = state.begin_restore(server, now);
            s.restoring = Some(ctx.after(restore, ServerEvent::RestoreDone { server }));
            return true;
        }
        ctx.metrics().server_recovered(server, now);
        // Announce the recovery at once; the tick handler schedules the next one.
        if !self.heartbeat_interval.is_zero() {
            s.heartbeat = Some(ctx.after(SimDuration::ZERO, ServerEvent::HeartbeatTick { server }));
        }
        true
    }

    /// A step of the server's restore is over: after catching up from the other replicas
    /// (if any) it serves again, and says so at once.
    pub fn on_restore_done(&mut self, server: u32, ctx: &mut Ctx) {
        let serving: Vec<bool> = self.servers.iter().map(Server::serving).collect();
        if let Some(more) = self.state().restore_step(server, &serving, ctx) {
            self.servers[server as usize].restoring =
                Some(ctx.after(more, ServerEvent::RestoreDone { server }));
            return;
        }
        let s = &mut self.servers[server as usize];
        s.restoring = None;
        let now = ctx.now();
        ctx.metrics().server_recovered(server, now);
        if !self.heartbeat_interval.is_zero() {
            s.heartbeat = Some(ctx.after(SimDuration::ZERO, ServerEvent::HeartbeatTick { server }));
        }
    }

    /// A checkpoint begins: a pausing one stops the requests in service, a slowing one
    /// slows the requests started from now on.
    pub fn on_checkpoint_start(&mut self, server: u32, ctx: &mut Ctx) {
        let during = self.state().checkpoint_start(server, ctx);
        let s = &mut self.servers[server as usize];
        match during {
            During::Pause => {
                s.paused = true;
                let now = ctx.now();
                for w in s.workers.iter_mut().flatten() {
                    ctx.cancel(w.done);
                    w.left = w.until.since(now);
                }
            }
            During::Slow { factor } => s.checkpoint_factor = factor,
        }
    }

    /// The checkpoint is over: paused requests resume where they stopped, and idle
    /// workers take queued ones.
    pub fn on_checkpoint_done(&mut self, server: u32, ctx: &mut Ctx) {
        self.state().checkpoint_done(server, ctx);
        let s = &mut self.servers[server as usize];
        s.checkpoint_factor = 1.0;
        if !s.paused {
            return;
        }
        s.paused = false;
        let now = ctx.now();
        for (i, w) in s.workers.iter_mut().enumerate() {
            if let Some(w) = w {
                w.done = ctx.after(
                    w.left,
                    ServerEvent::ServiceDone {
                        server,
                        worker: i as u32,
                    },
                );
                w.until = now.saturating_add(w.left);
            }
        }
        while let Some(&worker) = s.idle.last() {
            let Some(job) = s.queue.pop_front() else {
                break;
            };
            if self.shed_expired && Self::shed(&job, ctx) {
                continue;
            }
            s.idle.pop();
            Self::begin(s, server, worker, job, self.miss_penalty, ctx);
        }
    }

    /// Sets the factor by which service on `server` is slowed (1.0 is normal speed).
    /// Requests already in service keep the speed they started with.
    pub fn set_slow_factor(&mut self, server: u32, factor: f64) {
        self.servers[server as usize].slow_factor = factor;
    }
}
