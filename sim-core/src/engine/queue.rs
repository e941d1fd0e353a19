//! The pending-event set of a run, ordered by (time, insertion sequence): events at equal
//! times pop first-in first-out. Cancelling by handle is O(1).
//!
//! A radix heap (Ahuja, Mehlhorn, Orlin and Tarjan, 1990) over integer times. Simulated
//! time never runs backwards, so every pending time is at least `last`, the time of the
//! last event popped; bucket `b` holds the events whose time first differs from `last` at
//! bit `b - 1`, bucket 0 those at exactly `last`. Scheduling appends to one bucket (O(1));
//! popping takes the front of bucket 0, and when it is empty moves the lowest non-empty
//! bucket down around its minimum. An event moves at most once per bit of its distance from
//! the present, so a pop costs O(1) amortised for events within a bounded horizon. Buckets
//! are appended and drained in order and events of equal time always share a bucket, which
//! keeps equal times FIFO without storing a sequence number in the key.
//!
//! Buckets hold 16-byte keys (time, slot, generation); payloads stay in a slab until they
//! pop, so redistributing a bucket moves little memory. A slab slot is aligned to a cache
//! line, so a payload of up to 64 bytes is read at its pop with a single line, whatever
//! the slot's index. Cancelling empties the slot's payload, bumps its generation in a
//! dense array and leaves the key behind; the key moves down with the others and is
//! dropped when it reaches the front (lazy deletion), and the buckets are compacted when
//! dead keys outnumber live ones, so memory stays proportional to live events even when a
//! model resets long timers over and over. A slot is reused only once its key is gone, so
//! a slot is never named by two keys: a pop tells a cancelled key by its empty payload,
//! reading the one slot it needs anyway. Only cancels and compactions read the generation
//! array (which a large model's pending set pushes out of cache); a freed slot keeps its
//! generation in the free list, so scheduling into it writes the array without reading it.
//!
//! Costs: `schedule` O(1), `cancel` O(1), `pop` O(1) amortised (O(log of the time horizon)
//! worst case per event), `len` O(1).
//!
//! Why this and not a binary heap or the `priority-queue` crate: `cargo bench -p sim-core
//! --bench queue` runs the hold model (pop one, push one at a random later time) on all
//! three; see BENCHMARKS.md for the figures. The binary heap is O(log n) per operation and
//! falls behind as the pending set grows; `priority-queue` pays for its hash-map index on
//! every push and pop.

use crate::engine::time::SimTime;

/// Identifies a scheduled event so that it can be cancelled.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub struct EventId {
    slot: u32,
    generation: u32,
}

impl EventId {
    /// A handle that refers to no event; cancelling it does nothing.
    pub const NONE: EventId = EventId {
        slot: u32::MAX,
        generation: u32::MAX,
    };
}

/// A pending event's key: its time, and the slot holding its payload with the slot's
/// generation at scheduling. 16 bytes, so moving keys between buckets is cheap.
#[derive(Clone, Copy)]
struct Entry {
    time: u64,
    slot: u32,
    generation: u32,
}

/// A slab slot: the payload of one pending event, `None` once it popped or was cancelled.
/// Aligned to a cache line so that a payload of up to 64 bytes never straddles two.
#[repr(align(64))]
#[derive(Clone, Copy)]
struct Slot<E>(Option<E>);

/// Times are compared with `last` digit by digit, six bits a digit: a pending key lives in
/// the bucket of the highest digit where it differs from `last` (its level) and of its
/// value in that digit. Keys equal to `last` live in the front.
const DIGIT_BITS: u32 = 6;
const FANOUT: usize = 1 << DIGIT_BITS;
const LEVELS: usize = 64_usize.div_ceil(DIGIT_BITS as usize);

/// Pending events of one run. See the module documentation for ordering and costs.
pub struct EventQueue<E: Copy> {
    /// Keys equal to `last`, consumed from `head` on (FIFO).
    front: Vec<Entry>,
    head: usize,
    /// `LEVELS` x `FANOUT` buckets; bucket `level * FANOUT + digit`.
    buckets: Vec<Vec<Entry>>,
    /// Bit `level` set when some bucket of that level is non-empty.
    levels: u16,
    /// Per level, bit `digit` set when that bucket is non-empty.
    digits: [u64; LEVELS],
    /// An empty vector swapped in while a bucket is redistributed, keeping allocations.
    scratch: Vec<Entry>,
    /// The reference key: the time of the last event popped (or the latest minimum found).
    last: u64,
    /// Per slot, a generation counter, bumped when the slot takes an event (the value its
    /// entry and handle carry) and when that event is cancelled. A handle is live while
    /// its generation matches and the payload is there; a key whose generation no longer
    /// matches is a cancelled event's (slots are reused only once their key is gone).
    /// Read by cancels and by the removal of cancelled keys only.
    generations: Vec<u32>,
    /// Per slot, the payload of its pending event.
    payloads: Vec<Slot<E>>,
    /// Slots whose key is gone, ready for reuse, each with the generation it carries, so
    /// that scheduling into a freed slot writes its generation without reading it.
    free: Vec<(u32, u32)>,
    scheduled: u64,
    live: usize,
    entries: usize,
}

/// The most keys whose room a redistributed bucket passes on (16 kB); a larger one's
/// room is freed.
const KEEP_MAX: usize = 1024;

impl<E: Copy> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E: Copy> EventQueue<E> {
    pub fn new() -> Self {
        EventQueue {
            front: Vec::new(),
            head: 0,
            buckets: (0..LEVELS * FANOUT).map(|_| Vec::new()).collect(),
            levels: 0,
            digits: [0; LEVELS],
            scratch: Vec::new(),
            last: 0,
            generations: Vec::new(),
            payloads: Vec::new(),
            free: Vec::new(),
            scheduled: 0,
            live: 0,
            entries: 0,
        }
    }

    /// Adds `event` at time `at`. Among events at the same time, it pops after every event
    /// scheduled before it. O(1).
    ///
    /// Panics if `at` is earlier than the last event popped: simulated time never runs
    /// backwards, and a model that tried would corrupt the order of the run.
    #[inline(always)]
    pub fn schedule(&mut self, at: SimTime, event: E) -> EventId {
        assert!(
            at.0 >= self.last,
            "an event was scheduled before the current time"
        );
        self.scheduled += 1;
        let (slot, generation) = match self.free.pop() {
            Some((slot, generation)) => (slot, generation.wrapping_add(1)),
            None => {
                let slot =
                    u32::try_from(self.generations.len()).expect("fewer than 2^32 pending events");
                self.generations.push(0);
                self.payloads.push(Slot(None));
                (slot, 1)
            }
        };
        self.payloads[slot as usize] = Slot(Some(event));
        self.generations[slot as usize] = generation;
        self.put(Entry {
            time: at.0,
            slot,
            generation,
        });
        self.live += 1;
        self.entries += 1;
        EventId { slot, generation }
    }

    /// Files a key by the highest digit where it differs from `last`.
    #[inline(always)]
    fn put(&mut self, entry: Entry) {
        let differ = entry.time ^ self.last;
        if differ == 0 {
            self.front.push(entry);
            return;
        }
        let level = ((63 - differ.leading_zeros()) / DIGIT_BITS) as usize;
        let digit = ((entry.time >> (DIGIT_BITS as usize * level)) as usize) & (FANOUT - 1);
        self.buckets[level * FANOUT + digit].push(entry);
        self.digits[level] |= 1 << digit;
        self.levels |= 1 << level;
    }

    /// Cancels a pending event. Returns false if it already popped or was cancelled. O(1)
    /// (amortised, counting the occasional compaction). The slot stays taken until its key
    /// is dropped.
    pub fn cancel(&mut self, id: EventId) -> bool {
        let s = id.slot as usize;
        if self.generations.get(s) != Some(&id.generation) || self.payloads[s].0.is_none() {
            return false;
        }
        self.payloads[s] = Slot(None);
        self.generations[s] = id.generation.wrapping_add(1);
        self.live -= 1;
        let dead = self.entries - self.live;
        if dead > 1024 && dead > 2 * self.live {
            self.compact();
        }
        true
    }

    /// The lowest non-empty bucket: every key in it is smaller than every key in any other.
    #[inline]
    fn lowest(&self) -> Option<(usize, usize)> {
        if self.levels == 0 {
            return None;
        }
        let level = self.levels.trailing_zeros() as usize;
        Some((level, self.digits[level].trailing_zeros() as usize))
    }

    /// The next key of the front, if any is left.
    #[inline(always)]
    fn take_front(&mut self) -> Option<Entry> {
        let e = *self.front.get(self.head)?;
        self.head += 1;
        Some(e)
    }

    /// Finds the next key once the front is exhausted: takes the lowest non-empty bucket
    /// and, when it holds a single key (the common case), returns that key, which becomes
    /// `last`; otherwise moves the bucket down around its minimum, which becomes `last`,
    /// into the front and lower buckets, and returns `None` with the front filled. Returns
    /// `None` with the front empty when nothing is pending.
    #[inline]
    fn refill(&mut self) -> Option<Entry> {
        self.front.clear();
        self.head = 0;
        let (level, digit) = self.lowest()?;
        let index = level * FANOUT + digit;
        self.digits[level] &= !(1 << digit);
        if self.digits[level] == 0 {
            self.levels &= !(1 << level);
        }
        if self.buckets[index].len() == 1 {
            let e = self.buckets[index].pop().expect("one key");
            self.last = e.time;
            return Some(e);
        }
        let mut moving = std::mem::take(&mut self.scratch);
        std::mem::swap(&mut moving, &mut self.buckets[index]);
        // Keys of cancelled events move down with the rest: telling them apart here would
        // read one generation per key, a random read where the move is a sequential one.
        let min = moving
            .iter()
            .map(|e| e.time)
            .min()
            .expect("a non-empty bucket");
        // Keys elsewhere agree with the new `last` down to their own level, so they stay
        // where they are; these move to lower levels or the front, in order, so equal
        // times stay FIFO.
        self.last = min;
        for &e in &moving {
            self.put(e);
        }
        moving.clear();
        // A bucket keeps the room it once needed, and over a long run every digit of a
        // level takes its turn at holding the keys of one horizon (a network delay, a
        // service time): passing every bucket's room on would keep the peak of each digit
        // of each level, many times the keys ever pending at once. Large rooms are freed
        // instead, so the buckets keep at most KEEP_MAX keys' room each beyond what they
        // hold.
        if moving.capacity() <= KEEP_MAX {
            self.scratch = moving;
        }
        None
    }

    /// Removes and returns the earliest live event. O(1) amortised: a key moves down at
    /// most once per level (11 for 64-bit times, a few for events within seconds).
    #[inline(always)]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        loop {
            let entry = match self.take_front() {
                Some(e) => e,
                None => match self.refill() {
                    Some(e) => e,
                    None => self.take_front()?,
                },
            };
            self.entries -= 1;
            // The key is gone, so its slot is free whether its event was cancelled or not;
            // a cancel moved the slot's generation one past the key's.
            let Some(event) = self.payloads[entry.slot as usize].0.take() else {
                self.free
                    .push((entry.slot, entry.generation.wrapping_add(1)));
                continue;
            };
            self.free.push((entry.slot, entry.generation));
            self.live -= 1;
            return Some((SimTime(entry.time), event));
        }
    }

    /// The time of the earliest live event, without moving the reference time.
    pub fn peek_time(&self) -> Option<SimTime> {
        let live = |e: &&Entry| self.generations[e.slot as usize] == e.generation;
        if let Some(e) = self.front[self.head..].iter().find(live) {
            return Some(SimTime(e.time));
        }
        for level in 0..LEVELS {
            let mut digits = self.digits[level];
            while digits != 0 {
                let digit = digits.trailing_zeros() as usize;
                let bucket = &self.buckets[level * FANOUT + digit];
                if let Some(t) = bucket.iter().filter(live).map(|e| e.time).min() {
                    return Some(SimTime(t));
                }
                digits &= !(1 << digit);
            }
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

    /// Total events ever scheduled.
    pub fn scheduled_total(&self) -> u64 {
        self.scheduled
    }

    /// Drops every pending event.
    pub fn clear(&mut self) {
        self.front.clear();
        for b in &mut self.buckets {
            b.clear();
        }
        self.head = 0;
        self.levels = 0;
        self.digits = [0; LEVELS];
        self.generations.clear();
        self.payloads.clear();
        self.free.clear();
        self.live = 0;
        self.entries = 0;
    }

    /// Drops the entries of cancelled events, keeping the order of the rest, and frees
    /// their slots.
    fn compact(&mut self) {
        let generations = &self.generations;
        let free = &mut self.free;
        let mut live = |e: &Entry| {
            let generation = generations[e.slot as usize];
            if generation != e.generation {
                free.push((e.slot, generation));
            }
            generation == e.generation
        };
        let head = self.head;
        self.front.drain(..head);
        self.head = 0;
        self.front.retain(&mut live);
        for b in &mut self.buckets {
            b.retain(&mut live);
        }
        self.entries = self.front.len() + self.buckets.iter().map(Vec::len).sum::<usize>();
        self.levels = 0;
        self.digits = [0; LEVELS];
        for (i, b) in self.buckets.iter().enumerate() {
            if !b.is_empty() {
                self.digits[i / FANOUT] |= 1 << (i % FANOUT);
                self.levels |= 1 << (i / FANOUT);
            }
        }
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
        assert_ne!(old.generation, new.generation);
        assert!(!q.cancel(old));
        assert_eq!(q.pop(), Some((SimTime(6), 2)));
    }

    #[test]
    fn a_slot_freed_by_a_cancelled_key_is_not_cancelled_by_its_stale_handle() {
        let mut q = EventQueue::new();
        let old = q.schedule(SimTime(5), 1);
        assert!(q.cancel(old));
        q.schedule(SimTime(6), 2);
        // The pop passes the cancelled key at 5 and frees both slots.
        assert_eq!(q.pop(), Some((SimTime(6), 2)));
        let a = q.schedule(SimTime(7), 3);
        let b = q.schedule(SimTime(8), 4);
        let new = if a.slot == old.slot { a } else { b };
        assert_eq!(new.slot, old.slot, "the cancelled event's slot is reused");
        assert_ne!(new.generation, old.generation);
        assert!(!q.cancel(old));
        assert!(q.cancel(new));
        assert_eq!(q.len(), 1);
    }

    #[test]
    fn a_payload_of_up_to_64_bytes_sits_in_one_cache_line() {
        // `Option<[u64; 7]>` is 64 bytes, like the model's `Option<Scheduled>`.
        assert_eq!(std::mem::size_of::<Slot<[u64; 7]>>(), 64);
        assert_eq!(std::mem::align_of::<Slot<[u64; 7]>>(), 64);
        assert_eq!(std::mem::align_of::<Slot<u8>>(), 64);
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
        assert!(
            q.entries <= 3 * 1024,
            "the queue holds {} entries",
            q.entries
        );
        assert_eq!(q.pop(), Some((SimTime(1_099_999), 99_999)));
    }

    /// The hold model with 20,000 events pending, each popped one rescheduled 1 to 2 ms
    /// on, for a simulated second: the keys of that horizon pass through every digit of
    /// the levels they span. Each bucket keeps at most KEEP_MAX keys' room beyond twice
    /// what it holds (a vector at most doubles), not the peak of every digit it held.
    #[test]
    fn the_buckets_keep_room_for_the_pending_keys_not_every_digit_peak() {
        let pending = 20_000usize;
        let mut q = EventQueue::new();
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut delay = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            1_000_000 + x % 1_000_000
        };
        for _ in 0..pending {
            q.schedule(SimTime(delay()), ());
        }
        let mut most_kept = 0;
        let mut popped = 0u64;
        while let Some((t, ())) = q.pop() {
            if t.0 < 1_000_000_000 {
                q.schedule(SimTime(t.0 + delay()), ());
            }
            popped += 1;
            if popped.is_multiple_of(4096) {
                let kept =
                    q.buckets.iter().map(Vec::capacity).sum::<usize>() + q.scratch.capacity();
                most_kept = most_kept.max(kept);
            }
        }
        let bound = 2 * pending + (LEVELS * FANOUT + 1) * KEEP_MAX;
        assert!(most_kept <= bound, "kept {most_kept} keys, bound {bound}");
        // With the few buckets in use at once, 3.6 keys' room per pending key (deterministic:
        // the delays are fixed); passing every bucket's room on kept 149.
        assert!(most_kept < 4 * pending, "kept {most_kept} keys");
    }

    #[test]
    fn matches_a_sorted_reference_under_random_schedules_and_cancels() {
        // A reference ordered by (time, insertion sequence) with the same operations:
        // schedules at now + a random delay (often 0, so ties are common), cancels of
        // random pending events, pops. Every pop must agree.
        use std::collections::BTreeMap;
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut rand = move |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        let mut q = EventQueue::new();
        let mut reference: BTreeMap<(u64, u64), u64> = BTreeMap::new();
        let mut handles: Vec<(EventId, (u64, u64))> = Vec::new();
        let mut now = 0u64;
        for step in 0..200_000u64 {
            match rand(10) {
                0..=4 => {
                    let delay = match rand(4) {
                        0 => 0,
                        1 => rand(8),
                        2 => rand(1 << 20),
                        _ => rand(1 << 40),
                    };
                    let id = q.schedule(SimTime(now + delay), step);
                    reference.insert((now + delay, step), step);
                    handles.push((id, (now + delay, step)));
                }
                5 if !handles.is_empty() => {
                    let (id, key) = handles.swap_remove(rand(handles.len() as u64) as usize);
                    assert_eq!(q.cancel(id), reference.remove(&key).is_some());
                }
                _ => {
                    let expected = reference.pop_first();
                    let got = q.pop();
                    assert_eq!(
                        got.map(|(t, e)| (t.0, e)),
                        expected.map(|((t, _), e)| (t, e)),
                        "step {step}"
                    );
                    if let Some(((t, _), _)) = expected {
                        now = t;
                    }
                    assert_eq!(q.len(), reference.len());
                }
            }
        }
    }

    #[test]
    #[should_panic(expected = "before the current time")]
    fn scheduling_into_the_past_is_refused() {
        let mut q = EventQueue::new();
        q.schedule(SimTime(10), ());
        q.pop();
        q.schedule(SimTime(9), ());
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
