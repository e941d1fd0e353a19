//! The ground truth about written keys across the cluster, which no server sees: the
//! writes the servers hold now, the newest write ever applied and the newest write ever
//! acknowledged, per key. Memory is one small record per written key.
//!
//! "Newest" is creation order (writes are numbered as clients create them). A key's
//! newest acknowledged write is lost when no server holds it or a later write of the key:
//! it happens when a crash takes the last copy, when a late write overwrites it in
//! arrival order, or when a write is acknowledged that last-writer-wins discarded for an
//! earlier write with a later timestamp. A read is stale when it returns a value older
//! than the newest write of its key acknowledged before it was served.

use crate::engine::time::SimTime;
use crate::model::state::keymap::KeyMap;
use crate::model::state::store::Val;
use crate::report::metrics::Metrics;

#[derive(Clone, Debug, Default)]
struct Truth {
    /// Writes held by some server, with how many servers hold each, by write number.
    held: Vec<(u64, u32)>,
    newest_applied: Option<u64>,
    newest_acked: Option<u64>,
}

impl Truth {
    fn newest_held(&self) -> Option<u64> {
        self.held.last().map(|h| h.0)
    }
}

#[derive(Clone, Debug, Default)]
pub struct Ledger {
    keys: KeyMap<Truth>,
}

impl Ledger {
    /// A server's value of `key` changed from `old` to `new`.
    pub fn replaced(
        &mut self,
        key: u32,
        old: Option<Val>,
        new: Option<Val>,
        now: SimTime,
        m: &mut Metrics,
    ) {
        let t = self.keys.entry(key);
        let before = t.newest_held();
        if let Some(n) = new {
            t.newest_applied = t.newest_applied.max(Some(n.version));
            match t.held.binary_search_by_key(&n.version, |h| h.0) {
                Ok(i) => t.held[i].1 += 1,
                Err(i) => t.held.insert(i, (n.version, 1)),
            }
        }
        if let Some(o) = old
            && let Ok(i) = t.held.binary_search_by_key(&o.version, |h| h.0)
        {
            t.held[i].1 -= 1;
            if t.held[i].1 == 0 {
                t.held.remove(i);
            }
        }
        let after = t.newest_held();
        let acked_lost = before >= t.newest_acked && after < t.newest_acked;
        let applied_lost = before >= t.newest_applied && after < t.newest_applied;
        if acked_lost || applied_lost {
            m.write_lost(acked_lost, applied_lost, now);
        }
    }

    /// Write `version` of `key` was acknowledged to its client.
    pub fn acked(&mut self, key: u32, version: u64, now: SimTime, m: &mut Metrics) {
        let t = self.keys.entry(key);
        if Some(version) > t.newest_acked {
            t.newest_acked = Some(version);
            if t.newest_held() < t.newest_acked {
                m.write_lost(true, false, now);
            }
        }
    }

    /// Whether a read of `key` that returned `got` is stale.
    pub fn is_stale(&self, key: u32, got: Option<Val>) -> bool {
        self.keys
            .get(key)
            .is_some_and(|t| got.map(|v| v.version) < t.newest_acked)
    }

    /// Keys ever written: the ledger's memory, in records.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Every key ever written, in key order.
    pub fn written_keys(&self) -> Vec<u32> {
        self.keys.sorted_keys()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::time::SimDuration;
    use crate::report::Counter;

    /// Metrics whose window covers every instant these tests use.
    fn metrics() -> Metrics {
        Metrics::new(3, SimDuration::ZERO, SimDuration::MAX)
    }

    /// Acknowledged and applied writes lost so far.
    fn lost(m: &Metrics) -> (u64, u64) {
        (
            m.counter(Counter::AckedWritesLost),
            m.counter(Counter::WritesLost),
        )
    }

    fn v(version: u64) -> Option<Val> {
        Some(Val {
            ts: version,
            version,
        })
    }

    #[test]
    fn a_write_is_lost_when_its_last_copy_goes() {
        let mut m = metrics();
        let mut l = Ledger::default();
        let now = SimTime(1);
        l.replaced(7, None, v(1), now, &mut m); // primary applies
        l.replaced(7, None, v(1), now, &mut m); // a replica applies
        l.acked(7, 1, now, &mut m);
        l.replaced(7, v(1), None, now, &mut m); // the primary crashes
        assert_eq!(lost(&m).0, 0, "the replica still holds it");
        assert!(!l.is_stale(7, v(1)));
        assert!(l.is_stale(7, None));
        l.replaced(7, v(1), v(0), now, &mut m); // the replica goes back to a checkpoint
        assert_eq!(lost(&m), (1, 1));
        // A later write held again makes the key whole; an older one does not.
        l.replaced(7, None, v(2), now, &mut m);
        assert!(!l.is_stale(7, v(2)));
        assert!(l.is_stale(7, v(0)));
    }

    #[test]
    fn memory_is_one_small_record_per_key() {
        // Three servers overwrite 10 keys 30000 times: 10 records, each holding at most
        // one entry per server.
        let mut m = metrics();
        let mut l = Ledger::default();
        let mut held = [[None; 10]; 3];
        for w in 0..30_000u64 {
            let (server, key) = ((w % 3) as usize, (w / 3 % 10) as u32);
            let new = v(w);
            l.replaced(key, held[server][key as usize], new, SimTime(w), &mut m);
            l.acked(key, w, SimTime(w), &mut m);
            held[server][key as usize] = new;
        }
        assert_eq!(l.len(), 10);
        assert!(l.keys.values().all(|t| t.held.len() <= 3));
    }

    #[test]
    fn acknowledging_a_write_nobody_holds_loses_it() {
        let mut m = metrics();
        let mut l = Ledger::default();
        let now = SimTime(1);
        // Write 5 (stamped later) is held; write 6 was discarded by last-writer-wins.
        l.replaced(3, None, Some(Val { ts: 9, version: 5 }), now, &mut m);
        l.acked(3, 5, now, &mut m);
        l.acked(3, 6, now, &mut m);
        assert_eq!(lost(&m), (1, 0));
    }
}
