//! The parallel runner: every run of an experiment on a rayon pool, results handed on in
//! run order whatever order they finish in.
//!
//! Runs are taken in chunks of a few per thread; a chunk runs in parallel and its results
//! are passed on in order before the next chunk starts, so memory holds one chunk of
//! results however many runs there are, and the output is the same at any thread count.

use crate::config::{Experiment, RunKey};
use rayon::prelude::*;
use sim_core::{RunResult, simulate};

/// Runs per thread in a chunk: enough to keep threads busy across uneven run lengths.
const RUNS_PER_THREAD_PER_CHUNK: usize = 16;

/// Runs `keys` of `exp` on `threads` threads; `sink` receives each result in the order of
/// `keys` and may stop the experiment by returning an error.
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
    for chunk in keys.chunks(threads * RUNS_PER_THREAD_PER_CHUNK) {
        let results: Vec<RunResult> =
            pool.install(|| chunk.par_iter().map(|&key| run_one(exp, key)).collect());
        for (&key, result) in chunk.iter().zip(results) {
            sink(key, result)?;
        }
    }
    Ok(())
}

/// Runs one run alone.
pub fn run_one(exp: &Experiment, key: RunKey) -> RunResult {
    let cell = exp.cell(key);
    simulate(&cell.scenario, exp.strategy(key), exp.run_seed(key))
}
