//! The parallel runner: every run of an experiment on a rayon pool, results handed on in
//! run order whatever order they finish in.
//!
//! Worker threads take the next run index as soon as they are free; the calling thread
//! puts finished results back in order and hands them to a sink. A worker never starts a
//! run more than a fixed window ahead of the oldest result not yet handed on, so memory
//! holds at most a window of results however many runs there are, and the sink sees the
//! same sequence at any thread count.

use crate::config::{Experiment, RunKey};
use rayon::prelude::*;
use sim_core::{RunResult, simulate};
use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, mpsc};

/// How far ahead of the oldest unfinished run workers may go, per thread: enough to keep
/// every thread busy across runs of uneven length, small enough to bound memory.
pub const WINDOW_PER_THREAD: u64 = 4;

/// The most results the runner holds at once with `threads` threads, counting those being
/// computed, those in flight to the calling thread and those waiting for an earlier one:
/// a run starts only when its index is within the window of the oldest run not yet handed
/// on, so every result held lies in that window.
pub fn max_buffered(threads: usize) -> u64 {
    threads.max(1) as u64 * WINDOW_PER_THREAD
}

/// What a finished experiment run tells about itself.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunnerStats {
    /// Runs handed to the sink.
    pub runs: u64,
    /// The most results waiting for an earlier run at any moment.
    pub peak_buffered: u64,
}

/// Why a run of the runner stopped early.
#[derive(Debug)]
pub enum RunnerError<E> {
    /// The sink refused a result.
    Sink(E),
    /// The simulation of a run panicked: a bug, reported with the run it happened in.
    Panic { key: RunKey, message: String },
}

/// Runs the runs with indices `first..end` of `exp` (in [`Experiment::runs`] order) on
/// `threads` threads; `sink` receives each result in index order and may stop the
/// experiment by returning an error. Workers stop taking runs as soon as anything fails.
pub fn run_range<E>(
    exp: &Experiment,
    first: u64,
    end: u64,
    threads: usize,
    sink: impl FnMut(RunKey, RunResult) -> Result<(), E>,
) -> Result<RunnerStats, RunnerError<E>> {
    run_positions(exp, end.saturating_sub(first), |p| first + p, threads, sink)
}

/// Runs the runs whose indices (in [`Experiment::runs`] order) are `indices`, in that
/// order, as [`run_range`] runs a range: `sink` receives each result in the order of
/// `indices`. A shard, or the runs a grown campaign lacks, go through here.
pub fn run_list<E>(
    exp: &Experiment,
    indices: &[u64],
    threads: usize,
    sink: impl FnMut(RunKey, RunResult) -> Result<(), E>,
) -> Result<RunnerStats, RunnerError<E>> {
    run_positions(
        exp,
        indices.len() as u64,
        |p| indices[p as usize],
        threads,
        sink,
    )
}

/// The runner itself: runs `count` runs, the one at position `p` being run
/// `index_of(p)`, handed on in position order.
fn run_positions<E>(
    exp: &Experiment,
    count: u64,
    index_of: impl Fn(u64) -> u64 + Sync,
    threads: usize,
    mut sink: impl FnMut(RunKey, RunResult) -> Result<(), E>,
) -> Result<RunnerStats, RunnerError<E>> {
    let (first, end) = (0u64, count);
    let index_of = &index_of;
    let threads = threads.max(1);
    let window = threads as u64 * WINDOW_PER_THREAD;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("faultline-run-{i}"))
        .build()
        .expect("a thread pool can be built");
    let next = AtomicU64::new(first);
    let stop = AtomicBool::new(false);
    // The index of the oldest run not yet handed on; workers wait on it.
    let handed_on = Mutex::new(first);
    let moved = Condvar::new();
    let (tx, rx) = mpsc::channel::<(u64, std::thread::Result<RunResult>)>();
    let mut stats = RunnerStats::default();

    let outcome = pool.in_place_scope(|scope| {
        for _ in 0..threads {
            let tx = tx.clone();
            let (next, stop, handed_on, moved) = (&next, &stop, &handed_on, &moved);
            scope.spawn(move |_| {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    if index >= end || stop.load(Ordering::Relaxed) {
                        return;
                    }
                    {
                        let mut oldest = handed_on.lock().unwrap_or_else(|e| e.into_inner());
                        while index >= *oldest + window && !stop.load(Ordering::Relaxed) {
                            oldest = moved.wait(oldest).unwrap_or_else(|e| e.into_inner());
                        }
                    }
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    let key = exp.run_key(index_of(index));
                    let result = catch_unwind(AssertUnwindSafe(|| run_one(exp, key)));
                    if tx.send((index, result)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(tx);

        let mut pending: BTreeMap<u64, std::thread::Result<RunResult>> = BTreeMap::new();
        let mut oldest = first;
        let outcome = 'receive: loop {
            if oldest == end {
                break Ok(());
            }
            let Ok((index, result)) = rx.recv() else {
                unreachable!("workers hand on every run they take unless stopped");
            };
            pending.insert(index, result);
            stats.peak_buffered = stats.peak_buffered.max(pending.len() as u64);
            while let Some(result) = pending.remove(&oldest) {
                let key = exp.run_key(index_of(oldest));
                let outcome = match result {
                    Ok(result) => sink(key, result).map_err(RunnerError::Sink),
                    Err(payload) => Err(RunnerError::Panic {
                        key,
                        message: panic_message(payload.as_ref()),
                    }),
                };
                if let Err(e) = outcome {
                    break 'receive Err(e);
                }
                oldest += 1;
                stats.runs += 1;
                *handed_on.lock().unwrap_or_else(|e| e.into_inner()) = oldest;
                moved.notify_all();
            }
        };
        if outcome.is_err() {
            stop.store(true, Ordering::Relaxed);
            // Taking the lock orders the store before any worker's next check.
            drop(handed_on.lock().unwrap_or_else(|e| e.into_inner()));
            moved.notify_all();
        }
        outcome
    });
    outcome.map(|()| stats)
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_string()
    }
}

/// Runs `keys` of `exp` on `threads` threads; `sink` receives each result in the order of
/// `keys` and may stop the experiment by returning an error. Results are computed in
/// parallel chunks, so this suits short lists of keys; whole experiments go through
/// [`run_range`]. A panic in a run is propagated.
pub fn run_keys<E>(
    exp: &Experiment,
    keys: &[RunKey],
    threads: usize,
    mut sink: impl FnMut(RunKey, RunResult) -> Result<(), E>,
) -> Result<(), E> {
    let threads = threads.max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("faultline-run-{i}"))
        .build()
        .expect("a thread pool can be built");
    for chunk in keys.chunks(threads * WINDOW_PER_THREAD as usize) {
        let results: Vec<RunResult> =
            pool.install(|| chunk.par_iter().map(|&key| run_one(exp, key)).collect());
        for (&key, result) in chunk.iter().zip(results) {
            sink(key, result)?;
        }
    }
    Ok(())
}

/// Runs one run alone (with `[swarm]`, in the effective config its seed draws).
pub fn run_one(exp: &Experiment, key: RunKey) -> RunResult {
    let (run_exp, _) = exp.run_experiment(key).unwrap_or_else(|e| {
        panic!(
            "the config [swarm] drew for run {} is refused: {e}",
            exp.run_id(key)
        )
    });
    simulate(
        &run_exp.cell(key).scenario,
        run_exp.strategy(key),
        exp.run_seed(key),
    )
}

/// The signals that stop a run cleanly: Ctrl-C and `kill`'s default.
pub const STOP_SIGNALS: [i32; 2] = [libc::SIGINT, libc::SIGTERM];

/// The stop signal received while [`catch_stop_signals`] was in force, or 0.
static STOP_SIGNAL: AtomicI32 = AtomicI32::new(0);

extern "C" fn on_stop_signal(signal: libc::c_int) {
    STOP_SIGNAL.store(signal, Ordering::SeqCst);
    // A second signal of the same kind ends the process at once.
    // SAFETY: signal() is async-signal-safe.
    unsafe {
        libc::signal(signal, libc::SIG_DFL);
    }
}

/// From now on SIGINT and SIGTERM only record themselves (see [`stop_signal`]), once: a
/// second one ends the process as by default.
pub fn catch_stop_signals() {
    let handler = on_stop_signal as extern "C" fn(libc::c_int);
    for signal in STOP_SIGNALS {
        // SAFETY: the handler only stores to an atomic and calls signal().
        unsafe {
            libc::signal(signal, handler as libc::sighandler_t);
        }
    }
}

/// SIGINT and SIGTERM end the process again, as by default.
pub fn release_stop_signals() {
    for signal in STOP_SIGNALS {
        // SAFETY: restoring a default disposition.
        unsafe {
            libc::signal(signal, libc::SIG_DFL);
        }
    }
}

/// The stop signal received since [`catch_stop_signals`], if any.
pub fn stop_signal() -> Option<i32> {
    match STOP_SIGNAL.load(Ordering::SeqCst) {
        0 => None,
        signal => Some(signal),
    }
}
