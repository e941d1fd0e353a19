//! A server's keys: the value each holds now, in the server's last checkpoint and in its
//! last backup, and the count of logged writes since the checkpoint.
//!
//! Memory is one record per key the server has ever held, whatever the number of writes.
//! A checkpoint or a backup holds the keys as they were when it began and becomes
//! durable when it completes; a crash in between leaves the previous one in place.
//! Taking one costs a pass over the server's keys.

use crate::engine::time::SimTime;
use crate::model::state::keymap::KeyMap;

/// A value of a key: the write that produced it. Ordered by timestamp, then by write
/// number, which is the last-writer-wins order.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub struct Val {
    pub ts: u64,
    /// The number of the request that wrote it, in creation order.
    pub version: u64,
}

/// How a server decides whether a write replaces the key's value.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Rule {
    /// Every write replaces the value.
    Arrival,
    /// A write replaces the value only if it is later in [`Val`] order.
    Lww,
}

#[derive(Clone, Copy, Debug, Default)]
struct Record {
    live: Option<Val>,
    checkpoint: Option<Val>,
    /// The value when the checkpoint in progress began.
    capture: Option<Val>,
    backup: Option<Val>,
    backup_capture: Option<Val>,
}

/// What a crash leaves for the restore to do.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RestorePlan {
    /// Keys held by the image the server restores.
    pub keys: u64,
    /// Logged writes replayed after it.
    pub replay: u64,
    /// Whether the image is a backup (fetched from off the server).
    pub from_backup: bool,
}

#[derive(Clone, Debug, Default)]
pub struct Store {
    keys: KeyMap<Record>,
    /// Writes logged since the start, and that count when the durable checkpoint and the
    /// one in progress began.
    logged: u64,
    logged_at_checkpoint: u64,
    logged_at_capture: u64,
    /// When the durable checkpoint and backup began, and the keys they hold.
    checkpoint_at: Option<SimTime>,
    checkpoint_keys: u64,
    capture_at: SimTime,
    backup_at: Option<SimTime>,
    backup_keys: u64,
    backup_capture_at: SimTime,
}

impl Store {
    /// Keys the server has held: its memory, in records.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn get(&self, key: u32) -> Option<Val> {
        self.keys.get(key).and_then(|r| r.live)
    }

    /// Applies a write by `rule` and, with `log`, appends it to the log. Returns the value
    /// it replaced (`Some(None)` for a key held for the first time), or `None` when the
    /// rule kept the current value.
    pub fn apply(&mut self, key: u32, val: Val, rule: Rule, log: bool) -> Option<Option<Val>> {
        let record = self.keys.entry(key);
        let old = record.live;
        let takes = match rule {
            Rule::Arrival => old != Some(val),
            Rule::Lww => old.is_none_or(|o| val > o),
        };
        if !takes {
            return None;
        }
        record.live = Some(val);
        if log {
            self.logged += 1;
        }
        Some(old)
    }

    /// Begins a checkpoint: notes every key's value now.
    pub fn begin_checkpoint(&mut self, now: SimTime) {
        for r in self.keys.values_mut() {
            r.capture = r.live;
        }
        self.logged_at_capture = self.logged;
        self.capture_at = now;
    }

    /// The checkpoint in progress is durable.
    pub fn commit_checkpoint(&mut self) {
        let mut held = 0;
        for r in self.keys.values_mut() {
            r.checkpoint = r.capture;
            held += u64::from(r.checkpoint.is_some());
        }
        self.checkpoint_keys = held;
        self.logged_at_checkpoint = self.logged_at_capture;
        self.checkpoint_at = Some(self.capture_at);
    }

    /// Begins a backup: notes every key's value now.
    pub fn begin_backup(&mut self, now: SimTime) {
        for r in self.keys.values_mut() {
            r.backup_capture = r.live;
        }
        self.backup_capture_at = now;
    }

    /// The backup in progress has shipped.
    pub fn commit_backup(&mut self) {
        let mut held = 0;
        for r in self.keys.values_mut() {
            r.backup = r.backup_capture;
            held += u64::from(r.backup.is_some());
        }
        self.backup_keys = held;
        self.backup_at = Some(self.backup_capture_at);
    }

    /// A crash: memory is lost and, with `disk_lost`, the checkpoint and log too. With an
    /// intact log every applied write survives (it is replayed on restore). Otherwise each
    /// key goes back to the newer of the checkpoint and the backup (the backup alone when
    /// the disk is lost, nothing without either), which also becomes the server's
    /// checkpoint. `changed(key, old, new)` hears of every key whose value changes.
    pub fn crash(
        &mut self,
        log: bool,
        disk_lost: bool,
        mut changed: impl FnMut(u32, Option<Val>, Option<Val>),
    ) -> RestorePlan {
        if log && !disk_lost {
            return RestorePlan {
                keys: self.checkpoint_keys,
                replay: self.logged - self.logged_at_checkpoint,
                from_backup: false,
            };
        }
        let from_backup = match (self.backup_at, self.checkpoint_at) {
            (None, _) => false,
            (Some(_), _) if disk_lost => true,
            (Some(_), None) => true,
            (Some(b), Some(c)) => b > c,
        };
        let keys = if from_backup {
            self.backup_keys
        } else if disk_lost {
            0
        } else {
            self.checkpoint_keys
        };
        self.keys.for_each_in_key_order(|key, r| {
            let image = if from_backup {
                r.backup
            } else if disk_lost {
                None
            } else {
                r.checkpoint
            };
            if r.live != image {
                changed(key, r.live, image);
                r.live = image;
            }
            r.checkpoint = image;
        });
        self.checkpoint_keys = keys;
        self.checkpoint_at = if from_backup {
            self.backup_at
        } else if disk_lost {
            None
        } else {
            self.checkpoint_at
        };
        self.logged = 0;
        self.logged_at_checkpoint = 0;
        RestorePlan {
            keys,
            replay: 0,
            from_backup,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(ts: u64, version: u64) -> Val {
        Val { ts, version }
    }

    #[test]
    fn last_writer_wins_ignores_older_stamps_and_arrival_order_does_not() {
        let mut s = Store::default();
        assert_eq!(s.apply(1, v(5, 0), Rule::Lww, false), Some(None));
        assert_eq!(s.apply(1, v(3, 1), Rule::Lww, false), None, "older stamp");
        assert_eq!(
            s.apply(1, v(5, 0), Rule::Lww, false),
            None,
            "the same write"
        );
        assert_eq!(s.get(1), Some(v(5, 0)));
        assert_eq!(
            s.apply(1, v(3, 1), Rule::Arrival, false),
            Some(Some(v(5, 0)))
        );
        assert_eq!(s.get(1), Some(v(3, 1)));
    }

    #[test]
    fn memory_is_one_record_per_key_whatever_the_writes() {
        let mut s = Store::default();
        for w in 0..100_000u64 {
            s.apply((w % 10) as u32, v(w, w), Rule::Arrival, true);
            if w % 1000 == 0 {
                s.begin_checkpoint(SimTime(w));
                s.commit_checkpoint();
            }
        }
        assert_eq!(s.len(), 10);
    }

    #[test]
    fn a_crash_goes_back_to_the_last_completed_checkpoint() {
        let mut s = Store::default();
        s.apply(1, v(1, 1), Rule::Arrival, false);
        s.begin_checkpoint(SimTime(10));
        s.apply(2, v(2, 2), Rule::Arrival, false); // after the capture: not in it
        s.commit_checkpoint();
        s.apply(1, v(3, 3), Rule::Arrival, false);
        s.begin_checkpoint(SimTime(20)); // never completes
        let mut changes = Vec::new();
        let plan = s.crash(false, false, |k, o, n| changes.push((k, o, n)));
        assert_eq!(
            plan,
            RestorePlan {
                keys: 1,
                replay: 0,
                from_backup: false
            }
        );
        assert_eq!(
            changes,
            vec![(1, Some(v(3, 3)), Some(v(1, 1))), (2, Some(v(2, 2)), None)]
        );
        assert_eq!((s.get(1), s.get(2)), (Some(v(1, 1)), None));
    }

    #[test]
    fn a_log_keeps_every_write_and_counts_the_replay() {
        let mut s = Store::default();
        s.apply(1, v(1, 1), Rule::Arrival, true);
        s.begin_checkpoint(SimTime(10));
        s.apply(2, v(2, 2), Rule::Arrival, true);
        s.commit_checkpoint();
        s.apply(3, v(3, 3), Rule::Arrival, true);
        let plan = s.crash(true, false, |_, _, _| panic!("nothing is lost"));
        assert_eq!(plan.replay, 2, "the writes after the capture");
        assert_eq!(plan.keys, 1);
        assert_eq!(s.get(3), Some(v(3, 3)));
    }

    #[test]
    fn a_lost_disk_leaves_only_the_backup() {
        let mut s = Store::default();
        s.apply(1, v(1, 1), Rule::Arrival, true);
        s.begin_backup(SimTime(5));
        s.commit_backup();
        s.apply(2, v(2, 2), Rule::Arrival, true);
        s.begin_checkpoint(SimTime(10));
        s.commit_checkpoint();
        let plan = s.crash(true, true, |_, _, _| {});
        assert!(plan.from_backup);
        assert_eq!((plan.keys, plan.replay), (1, 0));
        assert_eq!((s.get(1), s.get(2)), (Some(v(1, 1)), None));
        // Without a disk loss the newer of checkpoint and backup wins.
        let mut t = Store::default();
        t.apply(1, v(1, 1), Rule::Arrival, false);
        t.begin_checkpoint(SimTime(5));
        t.commit_checkpoint();
        t.apply(1, v(2, 2), Rule::Arrival, false);
        t.begin_backup(SimTime(8));
        t.commit_backup();
        assert!(t.crash(false, false, |_, _, _| {}).from_backup);
        assert_eq!(t.get(1), Some(v(2, 2)));
    }
}
