//! Per-key deadlines that are pushed back constantly: the monitor's suspicion deadline of
//! every server moves on each heartbeat. Built on the `priority-queue` crate, whose keyed
//! `push` (insert or change priority) and `remove` are O(log n) and fit this exactly.
//!
//! Ties between equal deadlines resolve by the smaller key, and the hasher is fixed (a
//! multiply-xorshift of the key: the map is only looked up, never iterated, and its keys
//! are small integers), so the order of expiries is a function of the operations alone.

use crate::engine::time::SimTime;
use priority_queue::PriorityQueue;
use std::cmp::Reverse;
use std::hash::{BuildHasherDefault, Hasher};

/// Hashes the integer keys of [`Deadlines`] with one multiply and a shift.
#[derive(Clone, Copy, Debug, Default)]
pub struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u32(&mut self, key: u32) {
        self.write_u64(u64::from(key));
    }

    fn write_u64(&mut self, key: u64) {
        let x = (self.0 ^ key).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.0 = x ^ (x >> 32);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Deadlines keyed by a `u32` (a server index); the earliest comes out first.
#[derive(Clone, Debug, Default)]
pub struct Deadlines {
    queue: PriorityQueue<u32, Reverse<(SimTime, u32)>, BuildHasherDefault<KeyHasher>>,
}

impl Deadlines {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets (or moves) the deadline of `key`. O(log n).
    pub fn set(&mut self, key: u32, at: SimTime) {
        self.queue.push(key, Reverse((at, key)));
    }

    /// Forgets `key`'s deadline. O(log n).
    pub fn remove(&mut self, key: u32) {
        self.queue.remove(&key);
    }

    /// The earliest deadline and its key. O(1).
    pub fn earliest(&self) -> Option<(u32, SimTime)> {
        self.queue.peek().map(|(k, Reverse((at, _)))| (*k, *at))
    }

    /// Removes and returns the earliest deadline if it is at or before `now`.
    pub fn pop_due(&mut self, now: SimTime) -> Option<(u32, SimTime)> {
        match self.earliest() {
            Some((key, at)) if at <= now => {
                self.queue.pop();
                Some((key, at))
            }
            _ => None,
        }
    }

    pub fn get(&self, key: u32) -> Option<SimTime> {
        self.queue.get_priority(&key).map(|Reverse((at, _))| *at)
    }

    pub fn len(&self) -> usize {
        self.queue.len()
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moving_a_deadline_reorders_expiry() {
        let mut d = Deadlines::new();
        d.set(0, SimTime(300));
        d.set(1, SimTime(200));
        d.set(2, SimTime(200));
        assert_eq!(
            d.earliest(),
            Some((1, SimTime(200))),
            "ties go to the smaller key"
        );
        d.set(1, SimTime(500)); // a heartbeat pushes server 1 back
        assert_eq!(d.pop_due(SimTime(250)), Some((2, SimTime(200))));
        assert_eq!(d.pop_due(SimTime(250)), None);
        d.remove(0);
        assert_eq!(d.earliest(), Some((1, SimTime(500))));
        assert_eq!(d.get(1), Some(SimTime(500)));
        assert_eq!(d.len(), 1);
    }
}
