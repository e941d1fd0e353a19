//! Server state: what writes change, what crashes lose, and what checkpoints, logs,
//! replicas and backups keep. The servers call in at each step of a request or of a
//! server's life; this module holds the stores, the schedules and the ground truth.
//!
//! A write is volatile until a checkpoint that began after it completes, or a replica
//! applies it. A crash takes each of the server's keys back to its restore image (the
//! newer of its last checkpoint and last backup; only the backup if the crash also lost
//! the disk; nothing without either), unless a log on an intact disk replays every write.
//! Restoring takes `restore + restore_per_key x keys + replay_per_write x writes` (plus the
//! backup's transfer when it comes from one), during which the server serves nothing and
//! sends no heartbeats; it is exposed to failure again from the moment it recovers. With
//! replication (and `catch_up`) a restored server then copies, for each key it is a
//! replica of, the value of the key's first serving replica, at `restore_per_key` per key
//! changed, applying copies but serving no client meanwhile.
//! Memory is one record per key per server, plus the writes in flight.

pub mod checkpoint;
pub mod keymap;
pub mod ledger;
pub mod metrics;
pub mod primaries;
pub mod replication;
pub mod store;

use crate::config::scenario::{Scenario, StateSpec};
use crate::engine::queue::EventId;
use crate::engine::rng::{Purpose, RngFactory, SimRng};
use crate::engine::time::{SimDuration, SimTime};
use crate::model::ctx::Ctx;
use crate::model::events::Body;
use crate::model::events::ServerEvent;
use crate::model::events::{Msg, Node, Status};
use crate::model::server::batch::BatchJob;
use crate::model::state::checkpoint::Checkpointer;
use crate::model::state::ledger::Ledger;
use crate::model::state::primaries::Primaries;
use crate::model::state::replication::{ReplicaSets, Replication};
use crate::model::state::store::{RestorePlan, Store, Val};
use crate::report::metrics::Metrics;
use crate::strategy::StrategySet;
use crate::strategy::durability::{BackupSchedule, ClockKind, During, WriteOrder};
use rand::RngExt;

struct ServerState {
    store: Store,
    checkpoint: Checkpointer,
    /// The server's Lamport clock.
    clock: u64,
    job: Option<BatchJob>,
    backup_next: Option<EventId>,
    backup_running: Option<EventId>,
    /// What the last crash left to restore, the current restore's start, and whether it
    /// has reached its catch-up from the other replicas.
    plan: RestorePlan,
    restoring_since: Option<SimTime>,
    catching_up: bool,
    /// Disk-loss draws: the stream `(Purpose::State, server)`, made at the first draw
    /// (the same draws as one made at the start; most runs never draw, and a stream holds
    /// a 256-byte buffer, so a cluster of 100,000 servers saves 30 MB).
    rng: Option<Box<SimRng>>,
}

pub struct State {
    servers: Vec<ServerState>,
    ledger: Ledger,
    replication: Replication,
    /// Who coordinates writes as primary, when requests write.
    primaries: Option<Primaries>,
    rule: WriteOrder,
    costs: StateSpec,
    /// The strategy's backups, if it takes any.
    backup: Option<BackupSchedule>,
    /// Whether requests write (keys are then tracked), and whether recovery has anything
    /// to restore at all.
    tracks_keys: bool,
    restores: bool,
    /// Whether a restored server copies what it missed from the other replicas.
    catch_up: bool,
    scratch: Vec<u32>,
    /// The run's streams, for the servers' disk-loss streams made on first use.
    rngs: RngFactory,
}

impl State {
    pub fn new(scenario: &Scenario, strategy: &StrategySet, rngs: &RngFactory) -> Self {
        let n = scenario.cluster.servers;
        let d = &strategy.durability;
        let settings = d.checkpoint.settings();
        let batch = scenario.workload.arrivals.batch_length();
        let servers = (0..n)
            .map(|_| ServerState {
                store: Store::default(),
                checkpoint: Checkpointer::new(d.checkpoint.build(), settings),
                clock: 0,
                job: batch.map(BatchJob::new),
                backup_next: None,
                backup_running: None,
                plan: RestorePlan::default(),
                restoring_since: None,
                catching_up: false,
                rng: None,
            })
            .collect();
        let factor = d.replication.factor();
        let backup = d.backup.schedule();
        let keys = scenario.workload.keys.count;
        let tracks_keys = scenario.workload.writes > 0.0;
        // Without writes there is nothing to replicate: no router is built for it.
        let sets = if tracks_keys {
            ReplicaSets::new(
                strategy,
                n,
                keys,
                factor,
                rngs.stream(Purpose::State, u32::MAX),
            )
        } else {
            ReplicaSets::unkeyed(n, 1)
        };
        let checkpoints = d.checkpoint.checkpoints();
        let primaries =
            tracks_keys.then(|| Primaries::new(n, strategy.routing.failover_plan(n, keys)));
        State {
            servers,
            ledger: Ledger::default(),
            primaries,
            replication: Replication::new(
                factor,
                d.replication.ack_rule(),
                sets,
                n,
                scenario.workload.timeout,
            ),
            rule: d.ordering.write_order(),
            costs: scenario.cluster.state.clone().unwrap_or(StateSpec {
                restore: SimDuration::ZERO,
                restore_per_key: SimDuration::ZERO,
                replay_per_write: SimDuration::ZERO,
                disk_loss: 0.0,
            }),
            backup,
            tracks_keys,
            restores: tracks_keys
                || batch.is_some()
                || checkpoints
                || settings.log
                || backup.is_some()
                || scenario.cluster.state.is_some(),
            catch_up: tracks_keys && factor > 1 && d.replication.catch_up(),
            scratch: Vec::new(),
            rngs: rngs.clone(),
        }
    }

    /// Whether recovery goes through a restore (otherwise a server serves again the
    /// instant it recovers, as without state).
    pub fn restores(&self) -> bool {
        self.restores
    }

    /// Starts checkpoints, backups and batch jobs.
    pub fn start(&mut self, ctx: &mut Ctx) {
        if !self.restores {
            return;
        }
        let jobs = self.servers.iter().filter(|s| s.job.is_some()).count() as u64;
        ctx.metrics().set_jobs(jobs);
        for s in 0..self.servers.len() as u32 {
            self.resume(s, ctx);
        }
    }

    /// The server works again (at the start, or after a restore).
    fn resume(&mut self, server: u32, ctx: &mut Ctx) {
        let interval = self.backup.map(|b| b.interval);
        let st = &mut self.servers[server as usize];
        let job_running = st.job.as_ref().is_some_and(|j| !j.is_finished());
        if let Some(job) = &mut st.job {
            job.set_speed(1.0, server, ctx);
        }
        if st.job.is_none() || job_running {
            st.checkpoint.schedule(server, ctx);
        }
        if let Some(i) = interval {
            st.backup_next = Some(ctx.after(i, ServerEvent::BackupStart { server }));
        }
    }

    /// Whether the servers hold keys (some requests write). Without, every request is a
    /// read stamped 0, every server's clock stays 0 and a served request changes nothing.
    pub fn tracks_keys(&self) -> bool {
        self.tracks_keys
    }

    /// The server's Lamport clock, after it has seen `ts`.
    pub fn clock(&mut self, server: u32, ts: u64) -> u64 {
        let st = &mut self.servers[server as usize];
        st.clock = st.clock.max(ts);
        st.clock
    }

    /// A request was served. Returns the clock to answer with now, or `None` when the
    /// answer waits for replicas (the state sends it).
    pub fn served(&mut self, server: u32, job: Body, ctx: &mut Ctx) -> Option<u64> {
        let clock = self.clock(server, job.ts);
        if !self.tracks_keys {
            return Some(clock);
        }
        let now = ctx.now();
        if !job.write {
            let got = self.servers[server as usize].store.get(job.key);
            let stale = self.ledger.is_stale(job.key, got);
            ctx.metrics().read_served(stale, now);
            return Some(clock);
        }
        let val = Val {
            ts: job.ts,
            version: job.req.0,
        };
        self.apply(server, job.key, val, ctx);
        if let Some(p) = &mut self.primaries
            && p.coordinated(server, job.key)
        {
            ctx.metrics().split_primary_write(now);
        }
        if self.replication.on_applied(server, job, ctx) {
            self.ledger.acked(job.key, job.req.0, now, ctx.metrics());
            Some(clock)
        } else {
            None
        }
    }

    fn apply(&mut self, server: u32, key: u32, val: Val, ctx: &mut Ctx) {
        let st = &mut self.servers[server as usize];
        let log = st.checkpoint.settings.log;
        if let Some(old) = st.store.apply(key, val, self.rule, log) {
            let now = ctx.now();
            self.ledger
                .replaced(key, old, Some(val), now, ctx.metrics());
        }
    }

    /// Replication traffic reached `server`; `serving` says whether it is up and
    /// restored (if not, the message is lost).
    pub fn on_message(&mut self, server: u32, from: Node, msg: Msg, serving: bool, ctx: &mut Ctx) {
        if !serving {
            return;
        }
        match msg {
            Msg::Replicate {
                req,
                attempt,
                key,
                ts,
                ack,
            } => {
                self.clock(server, ts);
                self.apply(server, key, Val { ts, version: req.0 }, ctx);
                if ack {
                    self.replication.send_ack(server, from, req, attempt, ctx);
                }
            }
            Msg::ReplicaAck { req, attempt } => {
                if let Some(w) = self.replication.on_ack(server, req, attempt) {
                    let now = ctx.now();
                    self.ledger.acked(w.key, w.req.0, now, ctx.metrics());
                    let clock = self.servers[server as usize].clock;
                    ctx.send(
                        Node::Server(server),
                        Node::Client(w.client),
                        Msg::Response {
                            req: w.req,
                            attempt: w.attempt,
                            server,
                            status: Status::Ok,
                            clock,
                        },
                    );
                }
            }
            _ => {}
        }
    }

    /// A replication message was delivered (or cut on arrival).
    pub fn delivered(&mut self) {
        self.replication.delivered();
    }

    /// Whether every copy has been sent and has arrived.
    pub fn settled(&self) -> bool {
        self.replication.settled()
    }

    /// The server crashed (or crashed again while restoring): memory, the checkpoint in
    /// progress, queued copies and the batch job's unsaved work are lost.
    pub fn crash(&mut self, server: u32, ctx: &mut Ctx) {
        if let Some(p) = &mut self.primaries {
            p.crashed(server);
        }
        if !self.restores {
            return;
        }
        self.replication.crash(server, ctx);
        let disk_loss = self.costs.disk_loss;
        let st = &mut self.servers[server as usize];
        st.checkpoint.crashed(ctx);
        st.restoring_since = None;
        st.catching_up = false;
        for id in [st.backup_next.take(), st.backup_running.take()]
            .into_iter()
            .flatten()
        {
            ctx.cancel(id);
        }
        if let Some(job) = &mut st.job {
            let lost = job.crash(server, ctx);
            ctx.metrics().work_lost(lost);
        }
        let rngs = &self.rngs;
        let disk_lost = disk_loss > 0.0
            && st
                .rng
                .get_or_insert_with(|| Box::new(rngs.stream(Purpose::State, server)))
                .random::<f64>()
                < disk_loss;
        let log = st.checkpoint.settings.log;
        let now = ctx.now();
        let ledger = &mut self.ledger;
        let m = ctx.metrics();
        st.plan = st.store.crash(log, disk_lost, |key, old, new| {
            ledger.replaced(key, old, new, now, m)
        });
    }

    /// The server recovered: it is exposed to failure again and starts restoring.
    /// Returns how long the restore takes.
    pub fn begin_restore(&mut self, server: u32, now: SimTime) -> SimDuration {
        let c = &self.costs;
        let st = &mut self.servers[server as usize];
        st.checkpoint.recovered(now);
        st.restoring_since = Some(now);
        let plan = st.plan;
        let mut time = c.restore
            + SimDuration(c.restore_per_key.0.saturating_mul(plan.keys))
            + SimDuration(c.replay_per_write.0.saturating_mul(plan.replay));
        if plan.from_backup {
            time += self.backup.map_or(SimDuration::ZERO, |b| b.transfer);
        }
        time
    }

    /// The restore (or a step of it) is over. With replication the server then catches
    /// up: each key it is a replica of takes the value of its first serving replica
    /// (`serving[s]`), by the ordering rule, and the transfer takes `restore_per_key` per
    /// key changed; returns that time, during which the server applies copies but serves
    /// no client. Returns `None` when the server serves again.
    pub fn restore_step(
        &mut self,
        server: u32,
        serving: &[bool],
        ctx: &mut Ctx,
    ) -> Option<SimDuration> {
        let st = &mut self.servers[server as usize];
        if self.catch_up && !st.catching_up {
            st.catching_up = true;
            let copied = self.copy_from_replicas(server, serving, ctx);
            if copied > 0 {
                return Some(SimDuration(
                    self.costs.restore_per_key.0.saturating_mul(copied),
                ));
            }
        }
        let st = &mut self.servers[server as usize];
        st.catching_up = false;
        if let Some(since) = st.restoring_since.take() {
            let now = ctx.now();
            let from_backup = st.plan.from_backup;
            ctx.metrics().restore_done(since, now, from_backup);
        }
        self.resume(server, ctx);
        None
    }

    /// Whether the server is catching up: it applies copies while not serving clients.
    pub fn catching_up(&self, server: u32) -> bool {
        self.servers[server as usize].catching_up
    }

    /// Copies into `server` every key it is a replica of from the key's first other
    /// serving replica; returns the keys whose value changed.
    fn copy_from_replicas(&mut self, server: u32, serving: &[bool], ctx: &mut Ctx) -> u64 {
        let keys = self.ledger.written_keys();
        let mut copied = 0;
        for key in keys {
            self.replication.replicas(key, &mut self.scratch);
            if !self.scratch.contains(&server) {
                continue;
            }
            let source = self
                .scratch
                .iter()
                .copied()
                .find(|&r| r != server && serving[r as usize]);
            let Some(source) = source else {
                continue;
            };
            let Some(val) = self.servers[source as usize].store.get(key) else {
                continue;
            };
            if self.servers[server as usize].store.get(key) != Some(val) {
                let before = self.servers[server as usize].store.get(key);
                self.apply(server, key, val, ctx);
                if self.servers[server as usize].store.get(key) != before {
                    copied += 1;
                }
            }
        }
        copied
    }

    /// A checkpoint is due: it begins. Returns what the server does meanwhile.
    pub fn checkpoint_start(&mut self, server: u32, ctx: &mut Ctx) -> During {
        let now = ctx.now();
        let st = &mut self.servers[server as usize];
        st.checkpoint.start(server, ctx);
        st.store.begin_checkpoint(now);
        let during = st.checkpoint.settings.during;
        if let Some(job) = &mut st.job {
            job.capture(now);
            let speed = match during {
                During::Pause => 0.0,
                During::Slow { factor } => 1.0 / factor,
            };
            job.set_speed(speed, server, ctx);
        }
        during
    }

    /// The checkpoint in progress completed; the next one is scheduled.
    pub fn checkpoint_done(&mut self, server: u32, ctx: &mut Ctx) {
        let st = &mut self.servers[server as usize];
        st.checkpoint.finish(ctx);
        st.store.commit_checkpoint();
        if let Some(job) = &mut st.job {
            job.commit();
            job.set_speed(1.0, server, ctx);
        }
        st.checkpoint.schedule(server, ctx);
    }

    pub fn backup_start(&mut self, server: u32, ctx: &mut Ctx) {
        let Some(BackupSchedule { interval, transfer }) = self.backup else {
            return;
        };
        let now = ctx.now();
        let st = &mut self.servers[server as usize];
        st.store.begin_backup(now);
        st.backup_running = Some(ctx.after(transfer, ServerEvent::BackupDone { server }));
        st.backup_next = Some(ctx.after(interval, ServerEvent::BackupStart { server }));
    }

    pub fn backup_done(&mut self, server: u32, ctx: &mut Ctx) {
        let st = &mut self.servers[server as usize];
        st.backup_running = None;
        st.store.commit_backup();
        let now = ctx.now();
        ctx.metrics().backup_done(now);
    }

    /// The monitor appointed `primary` to primary/backup range `range`.
    pub fn appointed(&mut self, range: u32, primary: u32) {
        if let Some(p) = &mut self.primaries {
            p.appointed(range, primary);
        }
    }

    pub fn replication_due(&mut self, server: u32, ctx: &mut Ctx) {
        self.replication.on_due(server, ctx);
    }

    /// The server's batch job is complete: it stops checkpointing.
    pub fn job_done(&mut self, server: u32, ctx: &mut Ctx) {
        let now = ctx.now();
        let st = &mut self.servers[server as usize];
        if let Some(job) = &mut st.job {
            job.complete(now);
            let length = job.length();
            ctx.metrics().job_done(length, now);
        }
        st.checkpoint.stop(ctx);
    }

    /// At the end of the run: counts the written keys whose replicas disagree.
    pub fn finish(&mut self, metrics: &mut Metrics) {
        if !self.tracks_keys {
            return;
        }
        let mut divergent = 0;
        let keys = self.ledger.written_keys();
        for key in keys {
            self.replication.replicas(key, &mut self.scratch);
            let mut values = self
                .scratch
                .iter()
                .map(|&s| self.servers[s as usize].store.get(key));
            let first = values.next().flatten();
            if values.any(|v| v != first) {
                divergent += 1;
            }
        }
        metrics.set_divergent_keys(divergent);
    }
}

/// A client's clock, stamping the requests it sends.
#[derive(Clone, Copy, Debug)]
pub enum ClientClock {
    Lamport(u64),
    /// Offset from simulated time, in nanoseconds.
    Physical(i64),
}

/// Physical stamps are simulated nanoseconds plus the client's offset, shifted by this
/// base so that no stamp is negative.
const PHYSICAL_BASE: i64 = 1 << 62;

impl ClientClock {
    /// A client's clock; a physical one draws its offset from the client's own stream.
    pub fn new(kind: ClockKind, client: u32, rngs: &RngFactory) -> Self {
        match kind {
            ClockKind::Lamport => ClientClock::Lamport(0),
            ClockKind::Physical { skew } => {
                let skew = skew.0.min(i64::MAX as u64 / 4) as i64;
                let offset = if skew == 0 {
                    0
                } else {
                    rngs.stream(Purpose::Clock, client)
                        .random_range(-skew..=skew)
                };
                ClientClock::Physical(offset)
            }
        }
    }

    /// The stamp of a request created at `now`: a write's timestamp, which ticks a Lamport
    /// clock; a read carries a Lamport clock as it is, and no physical time.
    pub fn stamp(&mut self, now: SimTime, write: bool) -> u64 {
        match self {
            ClientClock::Lamport(c) => {
                if write {
                    *c += 1;
                }
                *c
            }
            ClientClock::Physical(_) if !write => 0,
            ClientClock::Physical(offset) => (PHYSICAL_BASE + now.0 as i64 + *offset) as u64,
        }
    }

    /// A server's answer carried its Lamport clock.
    pub fn observe(&mut self, clock: u64) {
        if let ClientClock::Lamport(c) = self {
            *c = (*c).max(clock);
        }
    }
}
