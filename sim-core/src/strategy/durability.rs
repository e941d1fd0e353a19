//! The durability strategy families the model calls: checkpointing, replication, the
//! order in which replicas apply writes, and backups.
//!
//! A checkpoint policy may learn from the failures its server has seen, so it is a pair of
//! traits like the other families: a shared [`CheckpointSpec`] and the per-server
//! [`CheckpointPolicy`] it builds. Replication, ordering and backups are a spec each,
//! whose settings the model reads once when a run starts (an [`AckRule`], a
//! [`WriteOrder`] and a [`ClockKind`], a [`BackupSchedule`]). None of them sees the clock
//! or the event queue. The kinds live in the `strategies` crate, one file each.

use crate::engine::time::SimDuration;
use std::fmt;
use std::sync::Arc;

/// Builds a server's checkpoint policy.
pub trait CheckpointSpec: Send + Sync + fmt::Debug {
    /// What a checkpoint costs and what the server does meanwhile.
    fn settings(&self) -> CheckpointSettings;
    /// A fresh policy for one server.
    fn build(&self) -> Box<dyn CheckpointPolicy>;
    /// The spec as config text.
    fn describe(&self) -> String;
    /// Whether its policies ever checkpoint (a policy that never does answers `None` to
    /// every [`CheckpointPolicy::next_interval`]).
    fn checkpoints(&self) -> bool;
}

/// Decides how long a server works before its next checkpoint.
pub trait CheckpointPolicy: Send {
    /// The work interval from now (the end of a checkpoint, of a restore, or the start of
    /// the run) to the next checkpoint, given what the server has seen of its own
    /// failures; `None` never checkpoints.
    fn next_interval(&mut self, history: &FailureHistory) -> Option<SimDuration>;
}

/// How checkpoints of one kind behave, whatever decides their timing.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CheckpointSettings {
    /// How long a checkpoint takes.
    pub cost: SimDuration,
    /// What the server does while it checkpoints.
    pub during: During,
    /// Whether every applied write is also appended to a durable log, replayed on
    /// recovery: nothing applied is then lost in a crash, and recovery takes longer.
    pub log: bool,
}

/// What a server does while it checkpoints.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum During {
    /// Serves nothing: requests in service stop and resume afterwards, queued ones wait;
    /// a batch job makes no progress.
    Pause,
    /// Serves `factor` times slower: requests started during the checkpoint take
    /// `factor` times longer; a batch job progresses at 1/`factor` of its speed.
    Slow { factor: f64 },
}

/// What a server has seen of its own failures.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FailureHistory {
    /// Crashes since the start of the run.
    pub failures: u64,
    /// Time the server has been exposed to failure: from the start of the run, or from
    /// each recovery, to the next crash; the current lifetime included.
    pub exposed: SimDuration,
}

/// Builds a strategy's replication: how many servers hold each key and when a write is
/// acknowledged. The model reads it once, when a run starts.
pub trait ReplicationSpec: Send + Sync + fmt::Debug {
    /// Servers holding each key: the first `factor` of the key's preference order; 1
    /// keeps one copy and sends none.
    fn factor(&self) -> u32;
    /// When a write is acknowledged, and when its copies leave.
    fn ack_rule(&self) -> AckRule;
    /// Whether a recovered replica copies the keys it missed from the other replicas
    /// before it serves again.
    fn catch_up(&self) -> bool;
    /// The spec as config text.
    fn describe(&self) -> String;
}

/// When a replicated write is acknowledged.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AckRule {
    /// The write is acknowledged once `acks` servers applied it (the receiving server
    /// counts as one).
    Sync { acks: u32 },
    /// The write is acknowledged when the receiving server applied it; the copies leave
    /// `delay` later (a crash in between loses them).
    Async { delay: SimDuration },
}

/// Builds a strategy's write ordering: how replicas decide between writes of a key, and
/// the clock clients stamp them with.
pub trait OrderingSpec: Send + Sync + fmt::Debug {
    /// How a replica decides whether a write replaces the key's value.
    fn write_order(&self) -> WriteOrder;
    /// The clock clients stamp writes with (arrival order keeps a Lamport clock it does
    /// not use).
    fn clock(&self) -> ClockKind;
    /// The spec as config text.
    fn describe(&self) -> String;
}

/// How a replica decides whether a write replaces the key's value.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum WriteOrder {
    /// Every write that arrives overwrites the key: the last to arrive wins.
    Arrival,
    /// Last writer wins by timestamp (ties by write number): a write older than the
    /// key's value is ignored.
    Lww,
}

/// The clock a client stamps its writes with.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ClockKind {
    /// A Lamport clock: ticks on each write, and jumps past any clock a server reports.
    Lamport,
    /// The simulated time plus the client's constant offset, drawn uniformly from
    /// [-skew, +skew].
    Physical { skew: SimDuration },
}

/// Builds a strategy's backups: periodic copies of each server's keys to storage that
/// outlives the server's disk.
pub trait BackupSpec: Send + Sync + fmt::Debug {
    /// When backups are taken and how long they take to ship; `None` takes none.
    fn schedule(&self) -> Option<BackupSchedule>;
    /// The spec as config text.
    fn describe(&self) -> String;
}

/// When a server backs up, and what a backup costs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BackupSchedule {
    /// Time between backup starts.
    pub interval: SimDuration,
    /// How long a backup takes to ship (it holds the keys as they were when it began),
    /// and how long fetching it back adds to a restore.
    pub transfer: SimDuration,
}

/// A strategy's choices in the durability families.
#[derive(Clone, Debug)]
pub struct DurabilitySet {
    pub checkpoint: Arc<dyn CheckpointSpec>,
    pub replication: Arc<dyn ReplicationSpec>,
    pub ordering: Arc<dyn OrderingSpec>,
    pub backup: Arc<dyn BackupSpec>,
}
