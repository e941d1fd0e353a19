//! The durability strategy families the model calls: checkpointing, replication, the
//! order in which replicas apply writes, and backups.
//!
//! A checkpoint policy may learn from the failures its server has seen, so it is a pair of
//! traits like the other families: a shared [`CheckpointSpec`] and the per-server
//! [`CheckpointPolicy`] it builds. Replication, ordering and backups are plain decisions
//! read once from config. None of them sees the clock or the event queue.

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

/// Copies of each key and when a write is acknowledged.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplicationSpec {
    /// Servers holding each key: the first `factor` of the key's preference order.
    pub factor: u32,
    pub mode: ReplicationMode,
    /// Whether a recovered replica copies the keys it missed from the other replicas
    /// before it serves again.
    pub catch_up: bool,
}

impl ReplicationSpec {
    /// One copy per key.
    pub const NONE: ReplicationSpec = ReplicationSpec {
        factor: 1,
        mode: ReplicationMode::Async {
            delay: SimDuration::ZERO,
        },
        catch_up: false,
    };

    pub fn describe(&self) -> String {
        match self.mode {
            _ if self.factor == 1 => "{ kind = \"none\" }".to_string(),
            ReplicationMode::Sync { acks } => format!(
                "{{ kind = \"sync\", factor = {}, acks = {acks}, catch_up = {} }}",
                self.factor, self.catch_up
            ),
            ReplicationMode::Async { delay } => format!(
                "{{ kind = \"async\", factor = {}, delay = \"{delay}\", catch_up = {} }}",
                self.factor, self.catch_up
            ),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ReplicationMode {
    /// The write is acknowledged once `acks` servers applied it (the receiving server
    /// counts as one).
    Sync { acks: u32 },
    /// The write is acknowledged when the receiving server applied it; the copies leave
    /// `delay` later (a crash in between loses them).
    Async { delay: SimDuration },
}

/// How replicas order writes, and the clock that stamps them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum OrderingSpec {
    /// Every write that arrives overwrites the key: the last to arrive wins.
    Arrival,
    /// Last writer wins by timestamp (ties by write number): a write older than the
    /// key's value is ignored.
    Lww { clock: ClockSpec },
}

impl OrderingSpec {
    pub fn describe(&self) -> String {
        match self {
            OrderingSpec::Arrival => "{ kind = \"arrival\" }".to_string(),
            OrderingSpec::Lww {
                clock: ClockSpec::Lamport,
            } => "{ kind = \"lww\", clock = \"lamport\" }".to_string(),
            OrderingSpec::Lww {
                clock: ClockSpec::Physical { skew },
            } => format!("{{ kind = \"lww\", clock = \"physical\", skew = \"{skew}\" }}"),
        }
    }

    /// The clock clients stamp writes with (arrival order keeps a Lamport clock it
    /// does not use).
    pub fn clock(&self) -> ClockSpec {
        match self {
            OrderingSpec::Arrival => ClockSpec::Lamport,
            OrderingSpec::Lww { clock } => *clock,
        }
    }
}

/// The clock a client stamps its writes with.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ClockSpec {
    /// A Lamport clock: ticks on each write, and jumps past any clock a server reports.
    Lamport,
    /// The simulated time plus the client's constant offset, drawn uniformly from
    /// [-skew, +skew].
    Physical { skew: SimDuration },
}

/// Periodic copies of each server's keys to storage that outlives the server's disk.
#[derive(Clone, Debug, PartialEq)]
pub struct BackupSpec {
    /// Time between backup starts; `None` takes no backups.
    pub interval: Option<SimDuration>,
    /// How long a backup takes to ship (it holds the keys as they were when it began),
    /// and how long fetching it back adds to a restore.
    pub transfer: SimDuration,
}

impl BackupSpec {
    pub const NONE: BackupSpec = BackupSpec {
        interval: None,
        transfer: SimDuration::ZERO,
    };

    pub fn describe(&self) -> String {
        match self.interval {
            None => "{ kind = \"none\" }".to_string(),
            Some(i) => format!(
                "{{ kind = \"periodic\", interval = \"{i}\", transfer = \"{}\" }}",
                self.transfer
            ),
        }
    }
}

/// A strategy's choices in the durability families.
#[derive(Clone, Debug)]
pub struct DurabilitySet {
    pub checkpoint: Arc<dyn CheckpointSpec>,
    pub replication: ReplicationSpec,
    pub ordering: OrderingSpec,
    pub backup: BackupSpec,
}

/// The checkpoint policy that never checkpoints, with or without a log.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct NoCheckpoint {
    pub log: bool,
}

impl CheckpointSpec for NoCheckpoint {
    fn settings(&self) -> CheckpointSettings {
        CheckpointSettings {
            cost: SimDuration::ZERO,
            during: During::Pause,
            log: self.log,
        }
    }

    fn build(&self) -> Box<dyn CheckpointPolicy> {
        Box::new(*self)
    }

    fn checkpoints(&self) -> bool {
        false
    }

    fn describe(&self) -> String {
        if self.log {
            "{ kind = \"none\", log = true }".to_string()
        } else {
            "{ kind = \"none\" }".to_string()
        }
    }
}

impl CheckpointPolicy for NoCheckpoint {
    fn next_interval(&mut self, _history: &FailureHistory) -> Option<SimDuration> {
        None
    }
}

impl Default for DurabilitySet {
    fn default() -> Self {
        DurabilitySet {
            checkpoint: Arc::new(NoCheckpoint::default()),
            replication: ReplicationSpec::NONE,
            ordering: OrderingSpec::Arrival,
            backup: BackupSpec::NONE,
        }
    }
}
