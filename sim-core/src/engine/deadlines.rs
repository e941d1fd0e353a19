//! Per-key deadlines that are pushed back constantly: the monitor's suspicion deadline of
//! every server moves on each heartbeat. Keys are small integers (server indices).
//!
//! The earliest deadline comes out first; equal deadlines come out by the smaller key, so
//! the order of expiries is a function of the operations alone. A deadline is usually set
//! to now plus a constant (a fixed timeout after each heartbeat), so it is usually the
//! latest one yet: such a deadline is appended to a queue kept in (deadline, key) order,
//! in O(1); one that would break that order goes to a binary heap beside it instead, in
//! O(log n). Each key's current deadline sits in a dense array; moving or removing it
//! leaves its old entry behind, dropped when it reaches the front of its queue or heap
//! (lazy deletion), and both are rebuilt from the array when entries outnumber keys
//! eightfold, so memory stays proportional to the keys. The fronts are kept live, so the
//! earliest deadline is the smaller of the two fronts.
//!
//! Costs: `set` O(1) when it is the latest deadline yet, O(log n) otherwise; `remove` and
//! `get` O(1); `earliest` O(1); `pop_due` O(1) amortised for deadlines from the queue.

use crate::engine::time::SimTime;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

/// Deadlines keyed by a `u32` (a server index); the earliest comes out first.
#[derive(Clone, Debug, Default)]
pub struct Deadlines {
    /// Per key, its deadline, if it has one (any time, the end of time included).
    current: Vec<Option<SimTime>>,
    /// Entries in ascending (deadline, key) order.
    in_order: VecDeque<(SimTime, u32)>,
    /// Entries that came too early for `in_order`.
    out_of_order: BinaryHeap<Reverse<(SimTime, u32)>>,
    /// Keys with a deadline.
    live: usize,
}

impl Deadlines {
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether an entry is a key's current deadline rather than one left behind.
    fn is_current(&self, (at, key): (SimTime, u32)) -> bool {
        self.current[key as usize] == Some(at)
    }

    /// Sets (or moves) the deadline of `key`. O(1) when it is the latest yet.
    pub fn set(&mut self, key: u32, at: SimTime) {
        let k = key as usize;
        if k >= self.current.len() {
            self.current.resize(k + 1, None);
        }
        let before = self.current[k].replace(at);
        if before == Some(at) {
            return;
        }
        if before.is_none() {
            self.live += 1;
        }
        let entry = (at, key);
        match self.in_order.back() {
            Some(&back) if back > entry => self.out_of_order.push(Reverse(entry)),
            _ => self.in_order.push_back(entry),
        }
        self.tidy();
    }

    /// Forgets `key`'s deadline. O(1).
    pub fn remove(&mut self, key: u32) {
        if let Some(at) = self.current.get_mut(key as usize)
            && at.take().is_some()
        {
            self.live -= 1;
            self.tidy();
        }
    }

    /// Drops entries left behind from both fronts, and rebuilds when they outnumber the
    /// live ones.
    fn tidy(&mut self) {
        while let Some(&front) = self.in_order.front() {
            if self.is_current(front) {
                break;
            }
            self.in_order.pop_front();
        }
        while let Some(&Reverse(top)) = self.out_of_order.peek() {
            if self.is_current(top) {
                break;
            }
            self.out_of_order.pop();
        }
        // A fixed timeout of k heartbeat intervals leaves about k entries per key between
        // now and the latest deadline, so only a larger excess calls for a rebuild.
        let entries = self.in_order.len() + self.out_of_order.len();
        if entries > 64 && entries > 8 * self.live {
            self.rebuild();
        }
    }

    /// Keeps one entry per live key, all in order.
    fn rebuild(&mut self) {
        let mut entries: Vec<(SimTime, u32)> = self
            .current
            .iter()
            .enumerate()
            .filter_map(|(key, &at)| Some((at?, key as u32)))
            .collect();
        entries.sort_unstable();
        self.in_order.clear();
        self.in_order.extend(entries);
        self.out_of_order.clear();
    }

    /// The earliest deadline and its key. O(1).
    pub fn earliest(&self) -> Option<(u32, SimTime)> {
        let front = self.in_order.front().copied();
        let top = self.out_of_order.peek().map(|&Reverse(e)| e);
        let (at, key) = match (front, top) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => a.or(b)?,
        };
        Some((key, at))
    }

    /// Removes and returns the earliest deadline if it is at or before `now`.
    pub fn pop_due(&mut self, now: SimTime) -> Option<(u32, SimTime)> {
        let (key, at) = self.earliest()?;
        if at > now {
            return None;
        }
        self.remove(key);
        Some((key, at))
    }

    pub fn get(&self, key: u32) -> Option<SimTime> {
        self.current.get(key as usize).copied().flatten()
    }

    pub fn len(&self) -> usize {
        self.live
    }

    pub fn is_empty(&self) -> bool {
        self.live == 0
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
        // A detector's deadline saturates at the end of time in runs of extreme length.
        d.set(3, SimTime(u64::MAX));
        assert_eq!(d.get(3), Some(SimTime(u64::MAX)));
        assert_eq!(d.pop_due(SimTime(u64::MAX)), Some((1, SimTime(500))));
        assert_eq!(d.pop_due(SimTime(u64::MAX)), Some((3, SimTime(u64::MAX))));
        assert!(d.is_empty());
    }

    #[test]
    fn matches_a_keyed_priority_queue_under_random_sets_removes_and_pops() {
        // The structure this replaced, `priority-queue` ordered by (deadline, key), as the
        // reference: deadlines set mostly to now plus a constant (in order), sometimes
        // earlier or later (out of order), often equal to another key's (ties), sometimes
        // back to a value the key held before; removes; pops of due deadlines. Every
        // answer must agree.
        use priority_queue::PriorityQueue;
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut rand = move |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        let mut d = Deadlines::new();
        let mut reference: PriorityQueue<u32, Reverse<(SimTime, u32)>> = PriorityQueue::new();
        let mut now = 0u64;
        for _ in 0..200_000 {
            let key = rand(40) as u32;
            match rand(10) {
                0..=5 => {
                    let at = match rand(4) {
                        0 | 1 => now + 300,
                        2 => now + rand(600),
                        _ => now + 10 * rand(60),
                    };
                    d.set(key, SimTime(at));
                    reference.push(key, Reverse((SimTime(at), key)));
                }
                6 => {
                    d.remove(key);
                    reference.remove(&key);
                }
                _ => {
                    now += rand(40);
                    loop {
                        let expected = match reference.peek() {
                            Some((&k, &Reverse((at, _)))) if at.0 <= now => Some((k, at)),
                            _ => None,
                        };
                        let got = d.pop_due(SimTime(now));
                        assert_eq!(got, expected, "at {now}");
                        if got.is_none() {
                            break;
                        }
                        reference.pop();
                    }
                }
            }
            assert_eq!(d.len(), reference.len());
            assert_eq!(
                d.earliest(),
                reference.peek().map(|(&k, &Reverse((at, _)))| (k, at))
            );
            assert_eq!(
                d.get(key),
                reference.get_priority(&key).map(|&Reverse((at, _))| at)
            );
        }
        assert!(
            d.in_order.len() + d.out_of_order.len() <= 8 * d.len() + 64,
            "entries left behind stay bounded"
        );
    }
}
