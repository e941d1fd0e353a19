//! The table of requests in flight: one record per live request in a ring indexed by
//! request number, each laid out so that what an answer reads fills its first cache line,
//! with the attempts it awaits (the first in the record, a hedged request's others in a
//! shared spill block) and the servers it tried.

use crate::engine::queue::EventId;
use crate::engine::time::{SimDuration, SimTime};
use crate::model::events::ReqId;
use crate::strategy::MAX_HEDGED_ATTEMPTS;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// An attempt awaiting its answer (24 bytes, laid out as written: see [`Request`]).
#[derive(Clone, Copy, Debug)]
#[repr(C)]
pub(super) struct Attempt {
    pub(super) sent: SimTime,
    /// Its attempt-timeout event, or `EventId::NONE`.
    pub(super) timer: EventId,
    pub(super) server: u32,
    pub(super) number: u16,
}

impl Attempt {
    pub(super) const EMPTY: Attempt = Attempt {
        number: 0,
        server: 0,
        sent: SimTime::ZERO,
        timer: EventId::NONE,
    };
}

/// The attempts beyond the first that hedged requests await, in blocks (one per request
/// with more than one attempt in flight at some point), reused through a free list: no
/// allocation once the busiest moment has passed.
#[derive(Default)]
pub(super) struct Spill {
    pub(super) blocks: Vec<[Attempt; SPILLED]>,
    pub(super) free: Vec<u32>,
}

/// Attempts a spill block holds.
pub(super) const SPILLED: usize = MAX_HEDGED_ATTEMPTS as usize - 1;

/// An in-flight list's block while it has none.
pub(super) const NO_BLOCK: u32 = u32::MAX;

impl Spill {
    pub(super) fn take_block(&mut self) -> u32 {
        self.free.pop().unwrap_or_else(|| {
            self.blocks.push([Attempt::EMPTY; SPILLED]);
            u32::try_from(self.blocks.len() - 1).expect("fewer than 2^32 hedged requests")
        })
    }
}

/// The attempts of a request awaiting answers, in the order they were sent: at most one
/// under a retry policy (a timed-out attempt is abandoned before the next is sent), at
/// most [`MAX_HEDGED_ATTEMPTS`] under hedging. The first is kept here, in the request's
/// first cache line (see [`Request`]); the others of a hedged request in a [`Spill`]
/// block, kept until the request ends ([`InFlight::release`]).
#[derive(Clone, Copy, Debug)]
#[repr(C)]
pub(super) struct InFlight {
    pub(super) first: Attempt,
    pub(super) block: u32,
    pub(super) len: u8,
}

impl InFlight {
    pub(super) const EMPTY: InFlight = InFlight {
        first: Attempt::EMPTY,
        block: NO_BLOCK,
        len: 0,
    };

    pub(super) fn is_empty(&self) -> bool {
        self.len == 0
    }

    #[inline]
    pub(super) fn get(&self, i: usize, spill: &Spill) -> Attempt {
        if i == 0 {
            self.first
        } else {
            spill.blocks[self.block as usize][i - 1]
        }
    }

    pub(super) fn set(&mut self, i: usize, attempt: Attempt, spill: &mut Spill) {
        if i == 0 {
            self.first = attempt;
        } else {
            if self.block == NO_BLOCK {
                self.block = spill.take_block();
            }
            spill.blocks[self.block as usize][i - 1] = attempt;
        }
    }

    /// The attempts awaited, in the order they were sent.
    pub(super) fn attempts<'a>(&'a self, spill: &'a Spill) -> impl Iterator<Item = Attempt> + 'a {
        (0..usize::from(self.len)).map(|i| self.get(i, spill))
    }

    pub(super) fn push(&mut self, attempt: Attempt, spill: &mut Spill) {
        let len = usize::from(self.len);
        assert!(
            len < MAX_HEDGED_ATTEMPTS as usize,
            "retry policies keep at most {MAX_HEDGED_ATTEMPTS} attempts in flight"
        );
        self.set(len, attempt, spill);
        self.len += 1;
    }

    /// Removes and returns attempt `number`, if it is still awaited.
    pub(super) fn take(&mut self, number: u16, spill: &mut Spill) -> Option<Attempt> {
        let len = usize::from(self.len);
        let i = (0..len).find(|&i| self.get(i, spill).number == number)?;
        let attempt = self.get(i, spill);
        for j in i + 1..len {
            let next = self.get(j, spill);
            self.set(j - 1, next, spill);
        }
        self.len -= 1;
        Some(attempt)
    }

    pub(super) fn clear(&mut self) {
        self.len = 0;
    }

    /// Empties the list and returns its spill block: the request has ended.
    pub(super) fn release(&mut self, spill: &mut Spill) {
        if self.block != NO_BLOCK {
            spill.free.push(self.block);
            self.block = NO_BLOCK;
        }
        self.len = 0;
    }
}

/// How many recently tried servers a request remembers for failover.
pub(super) const TRIED_MEMORY: usize = 8;

/// The servers a request tried most recently (up to [`TRIED_MEMORY`]), which failover
/// keeps the next attempt away from.
#[derive(Clone, Copy, Debug)]
pub(super) struct Tried {
    pub(super) servers: [u32; TRIED_MEMORY],
    pub(super) len: u8,
    pub(super) next: u8,
}

impl Tried {
    pub(super) const EMPTY: Tried = Tried {
        servers: [0; TRIED_MEMORY],
        len: 0,
        next: 0,
    };

    pub(super) fn push(&mut self, server: u32) {
        self.servers[usize::from(self.next)] = server;
        self.next = (self.next + 1) % TRIED_MEMORY as u8;
        self.len = (self.len + 1).min(TRIED_MEMORY as u8);
    }

    /// The server of the latest attempt.
    pub(super) fn last(&self) -> Option<u32> {
        (self.len > 0)
            .then(|| self.servers[(usize::from(self.next) + TRIED_MEMORY - 1) % TRIED_MEMORY])
    }

    pub(super) fn as_slice(&self) -> &[u32] {
        &self.servers[..usize::from(self.len)]
    }
}

/// A request in flight.
///
/// Laid out as written, from a cache line's start: what the answer to its first attempt,
/// its deadline and its end read, tens of milliseconds after it was created and long after
/// its record left the first-level cache, fills the first 64 bytes (up to the first
/// attempt in flight), so that those reads touch one cache line of the record's two.
#[repr(C, align(64))]
pub(super) struct Request {
    pub(super) created: SimTime,
    pub(super) client: u32,
    pub(super) key: u32,
    /// The pending backoff (`RetryDue`) or hedging delay (`HedgeDue`).
    pub(super) timer: Option<EventId>,
    /// Attempts made so far, the number of the latest (failed-fast ones included).
    pub(super) attempts: u16,
    pub(super) write: bool,
    pub(super) counted: bool,
    pub(super) in_flight: InFlight,
    pub(super) demand: SimDuration,
    /// The client's clock stamp at creation.
    pub(super) ts: u64,
    /// The backoff before the latest attempt (zero before the first).
    pub(super) last_backoff: SimDuration,
    pub(super) tried: Tried,
}

/// A request number's entry in the ring once its request has ended.
const ENDED: u32 = u32::MAX;

/// The ring keeps at least this many request numbers before it hands old live ones over
/// to the overflow map (and so does a client's [`Deadlines`]).
const RING_MIN: usize = 1024;

/// The ring spans at most this many request numbers per live request (beyond
/// [`RING_MIN`]): at 4 bytes a number, 32 bytes per live request beside its 128-byte
/// record (and a client's [`Deadlines`] as many per live request of the client, at 8).
const RING_PER_LIVE: usize = 8;

/// The most request numbers the ring (or a client's [`Deadlines`]) spans with `live`
/// requests live.
#[inline]
fn span_limit(live: usize) -> usize {
    RING_MIN.max(RING_PER_LIVE * live)
}

/// Takes the oldest entries off `window`, a ring past its [`span_limit`] for `live`
/// live requests, until it spans half of it, and hands each to `hand` in order: each
/// entry leaves at most once, so this costs O(1) per request amortised.
#[cold]
#[inline(never)]
fn shrink<T>(window: &mut VecDeque<T>, live: usize, hand: impl FnMut(T)) {
    let excess = window.len().saturating_sub(span_limit(live) / 2);
    window.drain(..excess).for_each(hand);
}

/// A client's requests in creation order, so in the order of their overall deadlines
/// (every request gets the same timeout, and its deadline is its creation plus that).
/// One `Deadline` event is pending at the earliest; a request that ends stays in the
/// queue until it reaches the front, so an answered request costs no event and no
/// cancellation. A request stuck at a crashed server would keep a deadline's worth of
/// ended ones behind it; so once the queue spans more than [`RING_PER_LIVE`] requests per
/// live one of the client, its oldest live ones move to an ordered overflow set, each at
/// most once, and the ended ones in front leave: the queue takes room for the client's
/// live requests, not for the window.
#[derive(Default)]
pub(super) struct Deadlines {
    /// The requests from the oldest not handed over on, ended ones among them.
    queue: VecDeque<ReqId>,
    /// The live requests handed over from the queue's front: all older than the queue's.
    overflow: BTreeSet<u64>,
    /// Every request numbered below this one has left the queue (kept, rather than read
    /// off the queue's front, for the one comparison each ended request costs).
    handed_below: u64,
    /// The client's live requests.
    live: usize,
}

impl Deadlines {
    /// Request `id`, just inserted in `table`, is the client's newest.
    #[inline]
    pub(super) fn push(&mut self, id: ReqId, table: &RequestTable) {
        self.queue.push_back(id);
        self.live += 1;
        if self.queue.len() > span_limit(self.live) {
            let (overflow, handed_below) = (&mut self.overflow, &mut self.handed_below);
            shrink(&mut self.queue, self.live, |id| {
                *handed_below = id.0 + 1;
                if table.contains(id) {
                    overflow.insert(id.0);
                }
            });
        }
    }

    /// Request `id` of the client ended.
    #[inline]
    pub(super) fn ended(&mut self, id: ReqId) {
        self.live -= 1;
        if id.0 < self.handed_below {
            self.overflow.remove(&id.0);
        }
    }

    /// The client's oldest live request, with its record; the ended ones in front of it
    /// leave the queue.
    pub(super) fn oldest<'t>(&mut self, table: &'t RequestTable) -> Option<(ReqId, &'t Request)> {
        if let Some(&n) = self.overflow.first() {
            return table.get(ReqId(n)).map(|req| (ReqId(n), req));
        }
        while let Some(&id) = self.queue.front() {
            if let Some(req) = table.get(id) {
                return Some((id, req));
            }
            self.queue.pop_front();
        }
        None
    }

    /// The bytes the queue and the overflow set hold (its entries counted at their size).
    #[cfg(test)]
    fn footprint(&self) -> usize {
        self.queue.capacity() * size_of::<ReqId>() + self.overflow.len() * size_of::<u64>()
    }
}

/// Requests in flight, indexed by request number. Requests end within `timeout` of their
/// creation, so the window between the oldest live request and the newest is bounded
/// and a ring holds it without hashing; but a request sent to a crashed server lives
/// until its deadline, so the window spans arrival rate times deadline while most of it
/// has ended. The ring therefore holds only each number's 4-byte slot in a slab of the
/// live records (or [`ENDED`]), the slab reuses ended records' slots through a free
/// list, and when the ring spans more than [`RING_PER_LIVE`] numbers per live request
/// its oldest live ones move to an ordered overflow map (each at most once): the records,
/// the ring and the map all take room for the most requests live at once, not for the
/// window.
#[derive(Default)]
pub(super) struct RequestTable {
    /// The request number of the ring's front.
    base: u64,
    /// The slot of each request number from `base` on, or [`ENDED`].
    index: VecDeque<u32>,
    /// The slots of live requests numbered below `base`.
    overflow: BTreeMap<u64, u32>,
    records: Vec<Request>,
    /// Slots of ended requests, reused last freed first (its record is the likeliest
    /// still in cache).
    free: Vec<u32>,
    pub(super) live: usize,
}

impl RequestTable {
    /// Adds request `id`, the newest.
    pub(super) fn insert(&mut self, id: ReqId, req: Request) {
        debug_assert_eq!(id.0, self.base + self.index.len() as u64);
        let slot = match self.free.pop() {
            Some(slot) => {
                self.records[slot as usize] = req;
                slot
            }
            None => {
                self.records.push(req);
                u32::try_from(self.records.len() - 1)
                    .ok()
                    .filter(|&slot| slot != ENDED)
                    .expect("fewer than 2^32 - 1 requests live at once")
            }
        };
        self.index.push_back(slot);
        self.live += 1;
        if self.index.len() > span_limit(self.live) {
            // The front numbers move to the overflow map (ended ones simply leave).
            let (base, overflow) = (&mut self.base, &mut self.overflow);
            shrink(&mut self.index, self.live, |slot| {
                if slot != ENDED {
                    overflow.insert(*base, slot);
                }
                *base += 1;
            });
        }
    }

    #[inline]
    fn slot(&self, id: ReqId) -> Option<u32> {
        let Some(offset) = id.0.checked_sub(self.base) else {
            return self.overflow.get(&id.0).copied();
        };
        let slot = *self.index.get(offset as usize)?;
        (slot != ENDED).then_some(slot)
    }

    #[inline]
    pub(super) fn get_mut(&mut self, id: ReqId) -> Option<&mut Request> {
        let slot = self.slot(id)?;
        Some(&mut self.records[slot as usize])
    }

    /// Whether request `id` is live.
    #[inline]
    pub(super) fn contains(&self, id: ReqId) -> bool {
        self.slot(id).is_some()
    }

    #[inline]
    pub(super) fn get(&self, id: ReqId) -> Option<&Request> {
        let slot = self.slot(id)?;
        Some(&self.records[slot as usize])
    }

    /// Frees the slot of a live request (found by `get_mut` just before).
    pub(super) fn release(&mut self, id: ReqId) {
        let slot = match id.0.checked_sub(self.base) {
            Some(offset) => std::mem::replace(&mut self.index[offset as usize], ENDED),
            None => self.overflow.remove(&id.0).unwrap_or(ENDED),
        };
        debug_assert_ne!(slot, ENDED, "request {} released twice", id.0);
        self.free.push(slot);
        self.live -= 1;
        while self.index.front() == Some(&ENDED) {
            self.index.pop_front();
            self.base += 1;
        }
    }

    /// The bytes the table holds for its ring, records and free list (the overflow map's
    /// entries counted at their size).
    #[cfg(test)]
    pub(super) fn footprint(&self) -> usize {
        self.index.capacity() * size_of::<u32>()
            + self.overflow.len() * (size_of::<u64>() + size_of::<u32>())
            + self.records.capacity() * size_of::<Request>()
            + self.free.capacity() * size_of::<u32>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{align_of, offset_of, size_of};

    #[test]
    pub(super) fn what_an_answer_reads_of_a_request_fills_its_first_cache_line() {
        assert_eq!(size_of::<Attempt>(), 24);
        assert_eq!(align_of::<Request>(), 64);
        let first_attempt = offset_of!(Request, in_flight) + offset_of!(InFlight, first);
        assert!(
            first_attempt + size_of::<Attempt>() <= 64,
            "{first_attempt}"
        );
        assert_eq!(size_of::<Request>(), 128, "two cache lines");
    }

    fn request(key: u32) -> Request {
        Request {
            created: SimTime::ZERO,
            client: 0,
            key,
            timer: None,
            attempts: 0,
            write: false,
            counted: false,
            in_flight: InFlight::EMPTY,
            demand: SimDuration::ZERO,
            ts: 0,
            last_backoff: SimDuration::ZERO,
            tried: Tried::EMPTY,
        }
    }

    /// A steady stream of requests, each ending `answered` numbers after its creation
    /// except every `stuck`-th, sent to a crashed server, which ends `deadline` numbers
    /// after: the window of live numbers spans the deadline, while the records, the ring
    /// and the overflow map take room for the requests live at once.
    #[test]
    pub(super) fn the_table_takes_room_for_the_live_requests_not_the_window() {
        let (answered, stuck, deadline, total) = (20u64, 50u64, 100_000u64, 1_000_000u64);
        let mut table = RequestTable::default();
        let mut deadlines = Deadlines::default();
        let (mut peak, mut peak_footprint) = (0, 0);
        for n in 0..total + deadline {
            if n < total {
                table.insert(ReqId(n), request(n as u32));
                deadlines.push(ReqId(n), &table);
                peak = peak.max(table.live);
            }
            // Whichever request ends now: an answered one, or a stuck one at its deadline.
            let ending = [n.checked_sub(answered), n.checked_sub(deadline)];
            for (old, stuck_one) in ending.into_iter().zip([false, true]) {
                let Some(old) = old.filter(|&old| old < total && (old % stuck == 0) == stuck_one)
                else {
                    continue;
                };
                let req = table.get_mut(ReqId(old)).expect("live until it ends");
                assert_eq!(req.key, old as u32);
                table.release(ReqId(old));
                deadlines.ended(ReqId(old));
                assert!(table.get_mut(ReqId(old)).is_none(), "ended");
            }
            peak_footprint = peak_footprint.max(table.footprint() + deadlines.footprint());
        }
        assert_eq!(table.live, 0);
        assert!(table.index.is_empty() && table.overflow.is_empty() && table.base == total);
        assert!(deadlines.oldest(&table).is_none() && deadlines.queue.is_empty());
        // Live just after an insertion: at most the last `answered` + 1 numbers and the
        // stuck ones among the last `deadline` + 1.
        assert!((2000..=2022).contains(&peak), "{peak}");
        assert_eq!(table.records.len(), peak, "a slot per request live at once");
        // Per live request: its record (128 bytes, up to twice that in capacity), its ring
        // and deadline queue entries (at most RING_PER_LIVE of 4 and 8 bytes, up to twice
        // that in capacity) and overflow entries (20 bytes): within 512 bytes each and
        // RING_MIN's worth of ring and queue, where the window at 12 bytes a number would
        // take 1.2 MB.
        let bound = 512 * peak + 2 * RING_MIN * (size_of::<u32>() + size_of::<ReqId>());
        assert!(peak_footprint <= bound, "{peak_footprint} {bound}");
        assert!(peak_footprint * 2 < deadline as usize * 12);
    }

    /// Requests of three clients ending in a scrambled order: each client's deadline
    /// queue always gives its oldest live request, and every live request is found by its
    /// number.
    #[test]
    pub(super) fn each_client_list_gives_its_oldest_live_request() {
        let mut table = RequestTable::default();
        let mut lists: [Deadlines; 3] = Default::default();
        let mut live: [std::collections::BTreeSet<u64>; 3] = Default::default();
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut next = 0u64;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let c = (x % 3) as usize;
            // New requests while few are live, else now and then; otherwise the end of a
            // random live one, except that every 50th is stuck and ends only as the oldest
            // (what a deadline ends).
            if live[c].len() < 40 || x % 5 < 2 {
                let mut req = request(next as u32);
                req.client = c as u32;
                table.insert(ReqId(next), req);
                lists[c].push(ReqId(next), &table);
                live[c].insert(next);
                next += 1;
            } else {
                let ids: Vec<u64> = live[c].iter().copied().filter(|n| n % 50 != 0).collect();
                let pick = if x.is_multiple_of(97) || ids.is_empty() {
                    *live[c].first().expect("live")
                } else {
                    ids[(x >> 20) as usize % ids.len()]
                };
                assert!(table.get_mut(ReqId(pick)).is_some());
                table.release(ReqId(pick));
                lists[c].ended(ReqId(pick));
                live[c].remove(&pick);
            }
            let oldest = lists[c].oldest(&table).map(|(id, req)| (id.0, req.key));
            let expected = live[c].first().map(|&n| (n, n as u32));
            assert_eq!(oldest, expected);
        }
        for (c, ids) in live.iter().enumerate() {
            for &n in ids {
                let req = table.get_mut(ReqId(n)).expect("live");
                assert_eq!((req.key, req.client), (n as u32, c as u32));
            }
        }
        assert!(
            !table.overflow.is_empty(),
            "the oldest requests were handed over"
        );
        assert!(lists.iter().all(|l| !l.overflow.is_empty()));
        assert_eq!(table.live, live.iter().map(|l| l.len()).sum::<usize>());
    }

    pub(super) fn attempt(number: u16) -> Attempt {
        Attempt {
            number,
            server: u32::from(number) * 10,
            sent: SimTime(u64::from(number)),
            timer: EventId::NONE,
        }
    }

    pub(super) fn numbers(list: &InFlight, spill: &Spill) -> Vec<u16> {
        list.attempts(spill).map(|a| a.number).collect()
    }

    #[test]
    pub(super) fn in_flight_attempts_keep_their_order_across_the_spill_block() {
        let mut spill = Spill::default();
        let mut list = InFlight::EMPTY;
        list.push(attempt(1), &mut spill);
        assert_eq!(list.block, NO_BLOCK, "one attempt stays in the record");
        for n in 2..=MAX_HEDGED_ATTEMPTS as u16 {
            list.push(attempt(n), &mut spill);
        }
        assert_eq!(numbers(&list, &spill), [1, 2, 3, 4, 5]);
        assert_eq!(list.take(3, &mut spill).map(|a| a.server), Some(30));
        assert_eq!(
            list.take(3, &mut spill).map(|a| a.number),
            None,
            "taken once"
        );
        assert_eq!(list.take(1, &mut spill).map(|a| a.sent), Some(SimTime(1)));
        assert_eq!(numbers(&list, &spill), [2, 4, 5]);
        list.push(attempt(6), &mut spill);
        assert_eq!(numbers(&list, &spill), [2, 4, 5, 6]);

        // A second hedged request takes a block of its own; an ended one gives its back.
        let mut other = InFlight::EMPTY;
        other.push(attempt(1), &mut spill);
        other.push(attempt(2), &mut spill);
        assert_ne!(other.block, list.block);
        let block = list.block;
        list.release(&mut spill);
        assert!(list.is_empty() && list.block == NO_BLOCK);
        let mut third = InFlight::EMPTY;
        third.push(attempt(1), &mut spill);
        third.push(attempt(2), &mut spill);
        assert_eq!(third.block, block, "the freed block is reused");
        assert_eq!(spill.blocks.len(), 2);
        assert_eq!(numbers(&other, &spill), [1, 2]);
    }
}
