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
use crate::report::metrics::Metrics;
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

/// A worker busy with an attempt: one cache line.
struct Worker {
    job: Job,
    done: EventId,
    /// When service ends, in nanoseconds; while a checkpoint pauses the server, the service
    /// left instead (one field for the two, so that the worker fits one cache line).
    until_or_left: u64,
}

/// A worker slot of the flat array of every server's workers, aligned to a cache line.
#[repr(align(64))]
struct Slot(Option<Worker>);

/// What every attempt at a server reads, in one cache line: whether the server serves,
/// the factor service is slowed by, its idle workers and its waiting queue.
#[repr(C, align(64))]
struct Hot {
    queue: VecDeque<Job>,
    /// `slow_factor * checkpoint_factor` of the server's [`Cold`] record, computed where
    /// either changes.
    factor: f64,
    scripted_down: u32,
    /// Active scripted `error` faults on the server.
    erroring: u32,
    /// Idle workers. The last to become idle, which the next attempt takes, is
    /// `next_idle`; those below it are in the server's stretch of [`Servers::idle`].
    idle: u32,
    next_idle: u32,
    /// Attempts that reached the server while it was up, inside the metrics' window, not
    /// yet handed to the metrics (a count per server there would be one more line per
    /// attempt).
    attempts: u32,
    random_down: bool,
    /// A restore is in progress: the server is up but serves nothing.
    restoring: bool,
    /// A pausing checkpoint is in progress.
    paused: bool,
}

impl Hot {
    fn up(&self) -> bool {
        !self.random_down && self.scripted_down == 0
    }

    /// Up and restored.
    fn serving(&self) -> bool {
        self.up() && !self.restoring
    }

    /// Counts an attempt; returns the count to hand to the metrics at once when it is
    /// full (in four billion attempts).
    fn count_attempt(&mut self) -> Option<u64> {
        let full = (self.attempts == u32::MAX).then(|| {
            self.attempts = 0;
            u64::from(u32::MAX)
        });
        self.attempts += 1;
        full
    }

    /// Takes the idle worker on top (there is one).
    fn pop_idle(&mut self, below: &[u32]) {
        self.idle -= 1;
        if self.idle > 0 {
            self.next_idle = below[self.idle as usize - 1];
        }
    }

    /// Puts `worker` on top of the idle workers.
    fn push_idle(&mut self, below: &mut [u32], worker: u32) {
        if self.idle > 0 {
            below[self.idle as usize - 1] = self.next_idle;
        }
        self.next_idle = worker;
        self.idle += 1;
    }

    /// Orders the idle workers so that the lowest-numbered is taken first.
    fn sort_idle(&mut self, below: &mut [u32]) {
        let n = self.idle as usize;
        if n == 0 {
            return;
        }
        below[n - 1] = self.next_idle;
        below[..n].sort_unstable_by(|a, b| b.cmp(a));
        self.next_idle = below[n - 1];
    }
}

/// What a server reads rarely: the factors behind [`Hot::factor`], its timers, its cache.
struct Cold {
    slow_factor: f64,
    /// Service slows by this factor while a slowing checkpoint is in progress.
    checkpoint_factor: f64,
    heartbeat: Option<EventId>,
    /// The end of the restore in progress.
    restoring: Option<EventId>,
    cache: Option<KeyCache>,
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
    /// Each server's record that every attempt reads, and the rest of it.
    hot: Vec<Hot>,
    cold: Vec<Cold>,
    /// Every server's workers, `workers` to a server: server `s`'s worker `i` is at
    /// `s * workers + i`.
    slots: Vec<Slot>,
    /// Each server's idle workers below the top one ([`Hot::next_idle`]), bottom first, in
    /// a stretch of `workers` entries at `s * workers`.
    idle: Vec<u32>,
    workers: usize,
    /// Every server has a key cache.
    cached: bool,
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
        let servers = spec.servers as usize;
        let workers = spec.workers as usize;
        let mut idle = vec![0; servers * workers];
        for stretch in idle.chunks_mut(workers.max(1)) {
            // Worker 0 on top: the stack from the bottom is workers - 1, ..., 1 (and 0 in
            // `next_idle`).
            for (i, w) in stretch.iter_mut().enumerate() {
                *w = (workers - 1 - i) as u32;
            }
        }
        Servers {
            hot: (0..servers)
                .map(|_| Hot {
                    queue: VecDeque::new(),
                    factor: 1.0,
                    scripted_down: 0,
                    erroring: 0,
                    idle: workers as u32,
                    next_idle: 0,
                    attempts: 0,
                    random_down: false,
                    restoring: false,
                    paused: false,
                })
                .collect(),
            cold: (0..servers)
                .map(|_| Cold {
                    slow_factor: 1.0,
                    checkpoint_factor: 1.0,
                    heartbeat: None,
                    restoring: None,
                    cache: spec.cache.as_ref().map(|c| KeyCache::new(c.size)),
                })
                .collect(),
            slots: (0..servers * workers).map(|_| Slot(None)).collect(),
            idle,
            workers,
            cached: spec.cache.is_some(),
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
        for (s, server) in self.cold.iter_mut().enumerate() {
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
        self.hot[server as usize].up()
    }

    /// Requests queued or in service at a server.
    pub fn load(&self, server: u32) -> usize {
        let h = &self.hot[server as usize];
        h.queue.len() + self.workers - h.idle as usize
    }

    /// The stretch of [`Servers::idle`] that holds `server`'s idle workers below the top.
    fn idle_range(&self, server: u32) -> std::ops::Range<usize> {
        let base = server as usize * self.workers;
        base..base + self.workers
    }

    pub fn on_message(&mut self, server: u32, from: Node, msg: Msg, ctx: &mut Ctx) {
        if msg.is_replication() {
            let h = &self.hot[server as usize];
            let (up, serving) = (h.up(), h.serving());
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
        let h = &mut self.hot[server as usize];
        if !h.serving() {
            return;
        }
        let now = ctx.now();
        if ctx.metrics().in_window(now)
            && let Some(full) = h.count_attempt()
        {
            ctx.metrics().attempts_arrived(server, full);
        }
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
        if h.erroring > 0 {
            let clock = self.clock(server, ts);
            Self::answer(server, &job, Status::Error, clock, ctx);
        } else if !h.paused && h.idle > 0 {
            let worker = h.next_idle;
            if self.shed_expired && Self::shed(&job, ctx) {
                return;
            }
            let base = server as usize * self.workers;
            h.pop_idle(&self.idle[base..base + self.workers]);
            let factor = h.factor;
            self.begin(server, worker, factor, job, ctx);
        } else if h.queue.len() < self.queue_capacity {
            h.queue.push_back(job);
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
        if !self.hot[server as usize].up() {
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

    /// Starts `job` on an idle `worker` of `server`, whose service factor is `factor`.
    fn begin(&mut self, server: u32, worker: u32, factor: f64, job: Job, ctx: &mut Ctx) {
        let mut demand = job.demand;
        if self.cached
            && let Some(cache) = &mut self.cold[server as usize].cache
        {
            let hit = cache.access(job.body.key);
            if !hit {
                demand += self.miss_penalty;
            }
            let now = ctx.now();
            ctx.metrics().cache_lookup(hit, now);
        }
        let service = if factor == 1.0 {
            demand
        } else {
            demand.mul_f64(factor)
        };
        let done = ctx.after(service, ServerEvent::ServiceDone { server, worker });
        self.slots[server as usize * self.workers + worker as usize] = Slot(Some(Worker {
            job,
            done,
            until_or_left: ctx.now().saturating_add(service).0,
        }));
    }

    pub fn on_service_done(&mut self, server: u32, worker: u32, ctx: &mut Ctx) {
        let slot = server as usize * self.workers + worker as usize;
        let Some(Worker { job, .. }) = self.slots[slot].0.take() else {
            return;
        };
        let answer = match &mut self.state {
            Some(state) if self.keyed => state.served(server, job.body, ctx),
            _ => Some(0),
        };
        if let Some(clock) = answer {
            Self::answer(server, &job, Status::Ok, clock, ctx);
        }
        let h = &mut self.hot[server as usize];
        while let Some(next) = h.queue.pop_front() {
            if self.shed_expired && Self::shed(&next, ctx) {
                continue;
            }
            let factor = h.factor;
            self.begin(server, worker, factor, next, ctx);
            return;
        }
        let range = self.idle_range(server);
        self.hot[server as usize].push_idle(&mut self.idle[range], worker);
    }

    /// Starts (`active`) or ends one scripted `error` fault on `server`. When the first
    /// starts, an up server answers every attempt it holds with an error, queued ones
    /// first in queue order, then those in service by worker.
    pub fn set_erroring(&mut self, server: u32, active: bool, ctx: &mut Ctx) {
        let h = &mut self.hot[server as usize];
        if !active {
            h.erroring = h.erroring.saturating_sub(1);
            return;
        }
        h.erroring += 1;
        if h.erroring > 1 || !h.up() {
            return;
        }
        let clock = self.clock(server, 0);
        let range = self.idle_range(server);
        let h = &mut self.hot[server as usize];
        for job in std::mem::take(&mut h.queue) {
            Self::answer(server, &job, Status::Error, clock, ctx);
        }
        let below = &mut self.idle[range.clone()];
        for (i, w) in self.slots[range].iter_mut().enumerate() {
            if let Some(worker) = w.0.take() {
                ctx.cancel(worker.done);
                Self::answer(server, &worker.job, Status::Error, clock, ctx);
                h.push_idle(below, i as u32);
            }
        }
        h.sort_idle(below);
    }

    pub fn on_heartbeat_tick(&mut self, server: u32, ctx: &mut Ctx) {
        let c = &mut self.cold[server as usize];
        c.heartbeat = None;
        if !self.hot[server as usize].up() {
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
        c.heartbeat = Some(ctx.after(
            self.heartbeat_interval,
            ServerEvent::HeartbeatTick { server },
        ));
    }

    /// Takes a server down for `cause`. Returns whether it went from up to down.
    pub fn crash(&mut self, server: u32, cause: DownCause, ctx: &mut Ctx) -> bool {
        let range = self.idle_range(server);
        let h = &mut self.hot[server as usize];
        let c = &mut self.cold[server as usize];
        let was_up = h.up();
        match cause {
            DownCause::Random => h.random_down = true,
            DownCause::Scripted => h.scripted_down += 1,
        }
        if !was_up {
            return false;
        }
        let restoring = c.restoring.take();
        h.restoring = false;
        if let Some(id) = restoring {
            ctx.cancel(id);
        }
        h.paused = false;
        c.checkpoint_factor = 1.0;
        h.factor = c.slow_factor * c.checkpoint_factor;
        let mut lost = h.queue.len() as u64;
        h.queue.clear();
        let below = &mut self.idle[range.clone()];
        for (i, w) in self.slots[range].iter_mut().enumerate() {
            if let Some(worker) = w.0.take() {
                ctx.cancel(worker.done);
                lost += 1;
                h.push_idle(below, i as u32);
            }
        }
        h.sort_idle(below);
        if let Some(cache) = &mut c.cache {
            cache.clear();
        }
        if let Some(hb) = c.heartbeat.take() {
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
        let h = &mut self.hot[server as usize];
        if h.up() {
            return false;
        }
        match cause {
            DownCause::Random => h.random_down = false,
            DownCause::Scripted => h.scripted_down = h.scripted_down.saturating_sub(1),
        }
        if !h.up() {
            return false;
        }
        let c = &mut self.cold[server as usize];
        let now = ctx.now();
        if let Some(state) = &mut self.state
            && state.restores()
        {
            let restore = state.begin_restore(server, now);
            c.restoring = Some(ctx.after(restore, ServerEvent::RestoreDone { server }));
            h.restoring = true;
            return true;
        }
        ctx.metrics().server_recovered(server, now);
        // Announce the recovery at once; the tick handler schedules the next one.
        if !self.heartbeat_interval.is_zero() {
            c.heartbeat = Some(ctx.after(SimDuration::ZERO, ServerEvent::HeartbeatTick { server }));
        }
        true
    }

    /// A step of the server's restore is over: after catching up from the other replicas
    /// (if any) it serves again, and says so at once.
    pub fn on_restore_done(&mut self, server: u32, ctx: &mut Ctx) {
        let serving: Vec<bool> = self.hot.iter().map(Hot::serving).collect();
        if let Some(more) = self.state().restore_step(server, &serving, ctx) {
            self.cold[server as usize].restoring =
                Some(ctx.after(more, ServerEvent::RestoreDone { server }));
            return;
        }
        let c = &mut self.cold[server as usize];
        c.restoring = None;
        self.hot[server as usize].restoring = false;
        let now = ctx.now();
        ctx.metrics().server_recovered(server, now);
        if !self.heartbeat_interval.is_zero() {
            c.heartbeat = Some(ctx.after(SimDuration::ZERO, ServerEvent::HeartbeatTick { server }));
        }
    }

    /// A checkpoint begins: a pausing one stops the requests in service, a slowing one
    /// slows the requests started from now on.
    pub fn on_checkpoint_start(&mut self, server: u32, ctx: &mut Ctx) {
        let during = self.state().checkpoint_start(server, ctx);
        let range = self.idle_range(server);
        match during {
            During::Pause => {
                self.hot[server as usize].paused = true;
                let now = ctx.now();
                for w in self.slots[range].iter_mut().filter_map(|w| w.0.as_mut()) {
                    ctx.cancel(w.done);
                    w.until_or_left = SimTime(w.until_or_left).since(now).0;
                }
            }
            During::Slow { factor } => {
                let c = &mut self.cold[server as usize];
                c.checkpoint_factor = factor;
                self.hot[server as usize].factor = c.slow_factor * c.checkpoint_factor;
            }
        }
    }

    /// The checkpoint is over: paused requests resume where they stopped, and idle
    /// workers take queued ones.
    pub fn on_checkpoint_done(&mut self, server: u32, ctx: &mut Ctx) {
        self.state().checkpoint_done(server, ctx);
        let range = self.idle_range(server);
        let c = &mut self.cold[server as usize];
        let h = &mut self.hot[server as usize];
        c.checkpoint_factor = 1.0;
        h.factor = c.slow_factor * c.checkpoint_factor;
        if !h.paused {
            return;
        }
        h.paused = false;
        let now = ctx.now();
        for (i, w) in self.slots[range.clone()].iter_mut().enumerate() {
            if let Some(w) = &mut w.0 {
                let left = SimDuration(w.until_or_left);
                w.done = ctx.after(
                    left,
                    ServerEvent::ServiceDone {
                        server,
                        worker: i as u32,
                    },
                );
                w.until_or_left = now.saturating_add(left).0;
            }
        }
        loop {
            let h = &mut self.hot[server as usize];
            if h.idle == 0 {
                break;
            }
            let worker = h.next_idle;
            let Some(job) = h.queue.pop_front() else {
                break;
            };
            if self.shed_expired && Self::shed(&job, ctx) {
                continue;
            }
            h.pop_idle(&self.idle[range.clone()]);
            let factor = h.factor;
            self.begin(server, worker, factor, job, ctx);
        }
    }

    /// Hands the attempts each server counted to the metrics, at the end of a run.
    pub fn hand_over_attempts(&mut self, metrics: &mut Metrics) {
        for (s, h) in self.hot.iter_mut().enumerate() {
            metrics.attempts_arrived(s as u32, u64::from(h.attempts));
            h.attempts = 0;
        }
    }

    /// Sets the factor by which service on `server` is slowed (1.0 is normal speed).
    /// Requests already in service keep the speed they started with.
    pub fn set_slow_factor(&mut self, server: u32, factor: f64) {
        let c = &mut self.cold[server as usize];
        c.slow_factor = factor;
        self.hot[server as usize].factor = c.slow_factor * c.checkpoint_factor;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A server's record as [`Servers::new`] makes it, with `workers` idle.
    fn hot(workers: u32) -> Hot {
        Hot {
            queue: VecDeque::new(),
            factor: 1.0,
            scripted_down: 0,
            erroring: 0,
            idle: workers,
            next_idle: 0,
            attempts: 0,
            random_down: false,
            restoring: false,
            paused: false,
        }
    }

    #[test]
    fn a_server_record_and_a_worker_are_one_cache_line_each() {
        // What every attempt reads of a server, and a worker in service, each on one line
        // whatever its index.
        assert_eq!(std::mem::size_of::<Hot>(), 64);
        assert_eq!(std::mem::align_of::<Hot>(), 64);
        assert_eq!(std::mem::size_of::<Slot>(), 64);
        assert_eq!(std::mem::align_of::<Slot>(), 64);
    }

    #[test]
    fn a_full_attempt_count_is_handed_over_and_none_is_lost() {
        let mut h = hot(1);
        h.attempts = u32::MAX - 1;
        assert_eq!(h.count_attempt(), None);
        assert_eq!(h.attempts, u32::MAX);
        // The next attempt hands over the 2^32 - 1 counted and starts again at 1.
        assert_eq!(h.count_attempt(), Some(u64::from(u32::MAX)));
        assert_eq!(h.attempts, 1);
    }

    #[test]
    fn idle_workers_are_taken_in_the_order_of_a_plain_stack() {
        // The top in `Hot` and the rest in the flat array behave as one `Vec` used as a
        // stack: pushes, pops and the sort after a crash give the same worker each time.
        use crate::engine::rng::{Purpose, RngFactory};
        let workers = 6u32;
        let mut rng = RngFactory::new(3).stream(Purpose::Requests, 0);
        let mut plain: Vec<u32> = (0..workers).rev().collect();
        let mut busy: Vec<u32> = Vec::new();
        let mut below: Vec<u32> = (1..workers).rev().chain([0]).collect();
        let mut h = hot(workers);
        for _ in 0..100_000 {
            match rng.random_range(0..10) {
                0 => {
                    for w in busy.drain(..) {
                        plain.push(w);
                        h.push_idle(&mut below, w);
                    }
                    plain.sort_unstable_by(|a, b| b.cmp(a));
                    h.sort_idle(&mut below);
                }
                1..=4 if !busy.is_empty() => {
                    let w = busy.swap_remove(rng.random_range(0..busy.len()));
                    plain.push(w);
                    h.push_idle(&mut below, w);
                }
                _ if !plain.is_empty() => {
                    let w = plain.pop().unwrap();
                    assert_eq!(h.next_idle, w);
                    h.pop_idle(&below);
                    busy.push(w);
                }
                _ => {}
            }
            assert_eq!(h.idle as usize, plain.len());
            if let Some(&top) = plain.last() {
                assert_eq!(h.next_idle, top);
            }
        }
    }
}
