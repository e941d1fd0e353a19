//! The hold model outside criterion, for profilers and `perf stat`: with N events pending,
//! pop one and push one at a random later time, OPS times.
//!
//!     cargo run --release -p sim-core --example hold -- 10000 50000000

use sim_core::SimTime;
use sim_core::engine::queue::EventQueue;

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let ops: u64 = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000_000);
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut increment = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % 2_000_000
    };
    let mut q: EventQueue<[u64; 3]> = EventQueue::new();
    for i in 0..n {
        q.schedule(SimTime(increment()), [i as u64, 0, 0]);
    }
    let start = std::time::Instant::now();
    let mut checksum = 0u64;
    for _ in 0..ops {
        let (t, e) = q.pop().expect("n events pending");
        checksum = checksum.wrapping_add(e[0]);
        q.schedule(SimTime(t.0 + increment()), e);
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "n={n} ops={ops} {:.1} million hold operations/s (checksum {checksum})",
        ops as f64 / secs / 1e6
    );
}
