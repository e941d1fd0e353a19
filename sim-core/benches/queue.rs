//! The event queue under the hold model (Jones 1986): with n events pending, repeatedly
//! pop the earliest and push one at a random later time, so the queue size stays n. Each
//! iteration is one pop and one push; throughput is reported in hold operations per
//! second. Compared: faultline's `EventQueue` (a radix heap on monotone times with
//! 16-byte keys, payloads in a slab and generation-checked lazy cancellation), a
//! lazy-cancel queue on std's `BinaryHeap` with `(time, seq, slot)` keys and a payload
//! slab, and the `priority-queue` crate keyed by event id (cancel by `remove`).

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use priority_queue::PriorityQueue;
use sim_core::SimTime;
use sim_core::engine::queue::EventQueue;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hint::black_box;

/// A tiny deterministic generator of exponential-ish increments (mean about 1 ms), so the
/// benchmark measures the queue and not the random number generator.
struct Increments(u64);

impl Increments {
    #[inline]
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        // Uniform in [0, 2 ms): the hold model is insensitive to the exact law.
        self.0 % 2_000_000
    }
}

const OPS: u64 = 100_000;

fn hold_event_queue(n: usize) -> impl FnMut() {
    let mut q: EventQueue<[u64; 3]> = EventQueue::new();
    let mut inc = Increments(0x9E37_79B9_7F4A_7C15);
    for i in 0..n {
        q.schedule(SimTime(inc.next()), [i as u64, 0, 0]);
    }
    move || {
        for _ in 0..OPS {
            let (t, e) = q.pop().expect("n events pending");
            q.schedule(SimTime(t.0 + inc.next()), black_box(e));
        }
    }
}

/// Lazy-cancel queue on std's binary heap: keys `(time, seq, slot)`, payloads in a slab.
struct BinaryHeapQueue {
    heap: BinaryHeap<Reverse<(u64, u64, u32)>>,
    slots: Vec<(u64, Option<[u64; 3]>)>,
    free: Vec<u32>,
    seq: u64,
}

impl BinaryHeapQueue {
    fn schedule(&mut self, time: u64, event: [u64; 3]) {
        let seq = self.seq;
        self.seq += 1;
        let slot = match self.free.pop() {
            Some(s) => {
                self.slots[s as usize] = (seq, Some(event));
                s
            }
            None => {
                self.slots.push((seq, Some(event)));
                (self.slots.len() - 1) as u32
            }
        };
        self.heap.push(Reverse((time, seq, slot)));
    }

    fn pop(&mut self) -> Option<(u64, [u64; 3])> {
        while let Some(Reverse((time, seq, slot))) = self.heap.pop() {
            let s = &mut self.slots[slot as usize];
            if s.0 == seq {
                s.0 = u64::MAX;
                self.free.push(slot);
                return s.1.take().map(|e| (time, e));
            }
        }
        None
    }
}

fn hold_binary_heap(n: usize) -> impl FnMut() {
    let mut q = BinaryHeapQueue {
        heap: BinaryHeap::new(),
        slots: Vec::new(),
        free: Vec::new(),
        seq: 0,
    };
    let mut inc = Increments(0x9E37_79B9_7F4A_7C15);
    for i in 0..n {
        q.schedule(inc.next(), [i as u64, 0, 0]);
    }
    move || {
        for _ in 0..OPS {
            let (t, e) = q.pop().expect("n events pending");
            q.schedule(t + inc.next(), black_box(e));
        }
    }
}

fn hold_priority_queue(n: usize) -> impl FnMut() {
    let mut q: PriorityQueue<u64, Reverse<(u64, u64)>> = PriorityQueue::new();
    let mut inc = Increments(0x9E37_79B9_7F4A_7C15);
    let mut seq = 0u64;
    for _ in 0..n {
        q.push(seq, Reverse((inc.next(), seq)));
        seq += 1;
    }
    move || {
        for _ in 0..OPS {
            let (_, Reverse((t, _))) = q.pop().expect("n events pending");
            q.push(seq, Reverse((t + inc.next(), seq)));
            seq += 1;
        }
    }
}

fn hold(c: &mut Criterion) {
    let mut group = c.benchmark_group("hold");
    group.throughput(Throughput::Elements(OPS));
    group.sample_size(20);
    for n in [1_000usize, 10_000, 100_000] {
        group.bench_with_input(BenchmarkId::new("event_queue", n), &n, |b, &n| {
            let mut f = hold_event_queue(n);
            b.iter(&mut f)
        });
        group.bench_with_input(BenchmarkId::new("binary_heap_lazy", n), &n, |b, &n| {
            let mut f = hold_binary_heap(n);
            b.iter(&mut f)
        });
        group.bench_with_input(BenchmarkId::new("priority_queue_crate", n), &n, |b, &n| {
            let mut f = hold_priority_queue(n);
            b.iter(&mut f)
        });
    }
    group.finish();
}

criterion_group!(benches, hold);
criterion_main!(benches);
