//! The table of requests in flight: one record per live request in a ring indexed by
//! request number, each laid out so that what an answer reads fills its first cache line,
//! with the attempts it awaits (the first in the record, a hedged request's others in a
//! shared spill block) and the servers it tried.

use crate::engine::queue::EventId;
use crate::engine::time::{SimDuration, SimTime};
use crate::model::events::ReqId;
use crate::strategy::MAX_HEDGED_ATTEMPTS;
use std::collections::VecDeque;

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

/// Requests in flight, indexed by request number. Requests end within `timeout` of their
/// creation, so the window between the oldest live request and the newest is bounded
/// and a ring holds it without hashing; but a request sent to a crashed server lives
/// until its deadline, so the window spans arrival rate times deadline while most of it
/// has ended. The ring therefore holds only each number's 4-byte slot in a slab of the
/// live records (or [`ENDED`]), and the slab reuses ended records' slots through a free
/// list: the records take room for the most requests live at once, not for the window.
#[derive(Default)]
pub(super) struct RequestTable {
    /// The request number of the ring's front.
    base: u64,
    /// The slot of each request number from `base` on, or [`ENDED`].
    index: VecDeque<u32>,
    records: Vec<Request>,
    /// Slots of ended requests, reused last freed first (its record is the likeliest
    /// still in cache).
    free: Vec<u32>,
    pub(super) live: usize,
}

impl RequestTable {
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
    }

    #[inline]
    pub(super) fn get_mut(&mut self, id: ReqId) -> Option<&mut Request> {
        let offset = id.0.checked_sub(self.base)?;
        let slot = *self.index.get(offset as usize)?;
        if slot == ENDED {
            return None;
        }
        Some(&mut self.records[slot as usize])
    }

    /// Frees the slot of a live request (found by `get_mut` just before).
    pub(super) fn release(&mut self, id: ReqId) {
        let offset = (id.0 - self.base) as usize;
        let slot = std::mem::replace(&mut self.index[offset], ENDED);
        debug_assert_ne!(slot, ENDED, "request {} released twice", id.0);
        self.free.push(slot);
        self.live -= 1;
        while self.index.front() == Some(&ENDED) {
            self.index.pop_front();
            self.base += 1;
        }
    }

    /// The bytes the table holds for its ring, records and free list.
    #[cfg(test)]
    pub(super) fn footprint(&self) -> usize {
        self.index.capacity() * size_of::<u32>()
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
    /// after: the ring spans the deadline, the records only the requests live at once.
    #[test]
    pub(super) fn the_records_take_room_for_the_live_requests_not_the_window() {
        let (answered, stuck, deadline, total) = (20u64, 50u64, 10_000u64, 100_000u64);
        let mut table = RequestTable::default();
        let mut peak = 0;
        for n in 0..total + deadline {
            if n < total {
                table.insert(ReqId(n), request(n as u32));
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
                assert!(table.get_mut(ReqId(old)).is_none(), "ended");
            }
        }
        assert_eq!(table.live, 0);
        assert!(table.index.is_empty() && table.base == total);
        // Live just after an insertion: at most the last `answered` + 1 numbers and the
        // stuck ones among the last `deadline` + 1.
        assert!((200..=222).contains(&peak), "{peak}");
        assert_eq!(table.records.len(), peak, "a slot per request live at once");
        // The ring spans a deadline's worth of numbers at 4 bytes each (its capacity up to
        // twice that); a ring of records would take 128 bytes each (1.3 MB here).
        let window = deadline as usize + 1;
        let bound = 2 * window * size_of::<u32>() + 2 * peak * (size_of::<Request>() + 4);
        assert!(table.footprint() <= bound, "{} {bound}", table.footprint());
        assert!(table.footprint() * 10 < window * size_of::<Request>());
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
