//! `faultline run CONFIG --shard K/N`: one of N deterministic, cost-balanced parts of an
//! experiment's runs, written to a shard folder that `faultline merge` joins with the
//! others into the results folder of the whole experiment.
//!
//! Every shard computes the same assignment from the config alone: each run's cost is
//! estimated from the events it should process (its duration, plus the warmup, times the
//! request rate plus one per server), and runs are dealt greedily, the costliest first
//! (ties in run order), each to the shard with the least cost so far (ties to the lowest
//! shard): the longest-processing-time rule, within 4/3 of the best balance. A shard
//! folder holds the shard's runs in `runs.journal`, `config.toml`, `timing.csv` and a
//! `manifest.json` that names the shard (`"shard": {"index", "count", "runs"}`) and the
//! config's fingerprint.

use crate::cli::{CliError, output_error};
use crate::config::Experiment;
use crate::journal::{JOURNAL_FILE, Journal};
use crate::progress::{Progress, ProgressMode};
use crate::run::{Timing, journal_error, journal_run, stop_if_signalled};
use crate::runner::{self, RunnerError};
use sim_core::config::scenario::{ArrivalSpec, Scenario};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The most shards an experiment may be split into.
pub const MAX_SHARDS: u32 = 100_000;

/// Shard `index` of `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShardSpec {
    pub index: u32,
    pub count: u32,
}

impl ShardSpec {
    /// Reads `--shard K/N`: N from 1 to [`MAX_SHARDS`], K from 0 to N - 1.
    pub fn parse(text: &str) -> Result<ShardSpec, CliError> {
        let refuse = |why: &str| {
            CliError::Input(format!(
                "--shard: expected K/N, shard K (0 to N - 1) of N (1 to {MAX_SHARDS}), like 0/4; got `{text}`{why}"
            ))
        };
        let (k, n) = text.split_once('/').ok_or_else(|| refuse(""))?;
        let (Ok(index), Ok(count)) = (k.trim().parse::<u32>(), n.trim().parse::<u32>()) else {
            return Err(refuse(""));
        };
        if count == 0 || count > MAX_SHARDS {
            return Err(refuse(&format!(" (N must be 1 to {MAX_SHARDS})")));
        }
        if index >= count {
            return Err(refuse(&format!(
                " (K counts from 0, so shard {index} of {count} does not exist)"
            )));
        }
        Ok(ShardSpec { index, count })
    }
}

impl std::fmt::Display for ShardSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The estimated cost of a run of `scenario`: the events it should process, about one
/// per request and one per server per second of simulated time (heartbeats, faults);
/// at least 1.
pub fn cost(scenario: &Scenario) -> u64 {
    let seconds = (scenario.duration.saturating_add(scenario.warmup)).as_secs_f64();
    let rate = match &scenario.workload.arrivals {
        ArrivalSpec::Poisson { rate, .. } => *rate,
        ArrivalSpec::Closed { clients, think } => {
            let cycle =
                think.mean().unwrap_or(0.0) + scenario.cluster.service.mean().unwrap_or(0.0);
            f64::from(*clients) / cycle.max(1e-3)
        }
        ArrivalSpec::Batch { .. } => 0.0,
    };
    let events = seconds * (rate + f64::from(scenario.cluster.servers));
    if events.is_finite() {
        (events.round() as u64).max(1)
    } else {
        u64::MAX / 2
    }
}

/// The shard of every run of `exp` (by position in [`Experiment::runs`]) when split into
/// `count` shards.
pub fn assignment(exp: &Experiment, count: u32) -> Vec<u32> {
    let per_cell = exp.strategy_names.len() as u64 * u64::from(exp.replications);
    let cell_costs: Vec<u64> = exp.cells.iter().map(|c| cost(&c.scenario)).collect();
    let total = exp.total_runs();
    let mut order: Vec<(u64, u64)> = (0..total)
        .map(|index| (cell_costs[(index / per_cell) as usize], index))
        .collect();
    // Costliest first; equal costs in run order.
    order.sort_by_key(|&(cost, index)| (Reverse(cost), index));
    let mut loads: BinaryHeap<Reverse<(u64, u32)>> = (0..count).map(|s| Reverse((0, s))).collect();
    let mut shard_of = vec![0u32; total as usize];
    for (cost, index) in order {
        let Reverse((load, shard)) = loads.pop().expect("at least one shard");
        shard_of[index as usize] = shard;
        loads.push(Reverse((load.saturating_add(cost), shard)));
    }
    shard_of
}

/// The runs of shard `spec`, by position, in run order.
pub fn indices(exp: &Experiment, spec: ShardSpec) -> Vec<u64> {
    assignment(exp, spec.count)
        .into_iter()
        .enumerate()
        .filter(|&(_, shard)| shard == spec.index)
        .map(|(index, _)| index as u64)
        .collect()
}

/// How a shard is run and reported.
pub struct ShardRun {
    pub progress: ProgressMode,
    /// The summary on stdout as one JSON object.
    pub json: bool,
    pub threads: usize,
    pub line_every: Duration,
    /// Ends the process as a signal would after this many runs (tests only).
    pub interrupt_after: Option<u64>,
    /// For a shard of `faultline hunt`: the config file hunted (absolute), which
    /// manifest.json names as `"hunt": {"config": ...}` so that merge writes the hunt's
    /// files.
    pub hunt_config: Option<PathBuf>,
}

/// Runs shard `spec` of `exp` into the folder `out` (already created).
pub fn run_shard(
    exp: &Experiment,
    out: &Path,
    spec: ShardSpec,
    how: &ShardRun,
) -> Result<u8, CliError> {
    let ShardRun {
        progress,
        json,
        threads,
        line_every,
        interrupt_after,
        ref hunt_config,
    } = *how;
    let existed = Journal::exists_in(out);
    let mut journal = Journal::create(out, exp).map_err(journal_error)?;
    if existed {
        eprintln!(
            "note: starting the shard over; the journal of an interrupted run in {} is discarded",
            out.display()
        );
    }
    crate::campaign::remove_finished(out)?;
    crate::output::remove_stale_temps(out, &["timing.csv"]).map_err(|e| output_error(out, e))?;
    let runs = indices(exp, spec);
    let total = runs.len() as u64;
    let progress = Progress::new(progress, total, 0, line_every);
    let started = Instant::now();
    let (mut events, mut ran) = (0u64, 0u64);
    runner::catch_stop_signals();
    let outcome = runner::run_list(exp, &runs, threads, |key, result| {
        journal_run(exp, &mut journal, key, &result)?;
        ran += 1;
        events += result.report.events;
        if interrupt_after == Some(ran) {
            std::process::exit(130);
        }
        progress.inc();
        stop_if_signalled()
    });
    runner::release_stop_signals();
    progress.finish();
    match outcome {
        Ok(_) => {}
        Err(RunnerError::Sink(CliError::Stopped { signal, .. })) => {
            journal.sync().map_err(journal_error)?;
            return Err(CliError::Stopped {
                signal,
                message: format!(
                    "stopped by a signal after {ran} of the {total} runs of shard {spec}; run the same command again to run the shard ({} in {} is then started over)",
                    JOURNAL_FILE,
                    out.display()
                ),
            });
        }
        Err(RunnerError::Sink(e)) => return Err(e),
        Err(RunnerError::Panic { key, message }) => {
            return Err(CliError::Internal(format!(
                "run {} panicked: {message}; replay it alone with: {}",
                exp.run_id(key),
                exp.replay_command(key)
            )));
        }
    }
    let timing = Timing {
        wall_seconds: started.elapsed().as_secs_f64(),
        threads,
        runs: ran,
        resumed_runs: 0,
        events,
    };
    let snapshot = crate::manifest::write_config(out, exp)?;
    let timing_path = out.join("timing.csv");
    timing
        .write(&timing_path)
        .map_err(|e| output_error(&timing_path, e))?;
    let mut manifest = crate::manifest::manifest_value(
        &snapshot,
        &crate::manifest::command_line(),
        crate::manifest::now_unix(),
    );
    manifest["shard"] = serde_json::json!({
        "index": spec.index,
        "count": spec.count,
        "runs": total,
    });
    if let Some(config) = hunt_config {
        manifest["hunt"] = serde_json::json!({ "config": config.display().to_string() });
    }
    manifest["timing"] = serde_json::json!({
        "wall_seconds": timing.wall_seconds,
        "threads": timing.threads,
        "runs": timing.runs,
        "events": timing.events,
    });
    journal.sync().map_err(journal_error)?;
    // The record of the runs is in place before the manifest that vouches for it.
    journal.keep().map_err(journal_error)?;
    crate::manifest::write_manifest_value(out, &manifest)?;
    if json {
        println!(
            "{}",
            serde_json::json!({
                "experiment": exp.name,
                "out": out.display().to_string(),
                "shard": { "index": spec.index, "count": spec.count },
                "runs": total,
                "experiment_runs": exp.total_runs(),
                "wall_seconds": timing.wall_seconds,
                "threads": timing.threads,
                "events_per_second": timing.events_per_second(),
            })
        );
    } else {
        println!(
            "{}{}: shard {spec}, {total} of {} runs written to {} (faultline merge joins the shards)",
            if hunt_config.is_some() { "hunt " } else { "" },
            exp.name,
            exp.total_runs(),
            out.display()
        );
        println!(
            "  wall time {:.2} s on {} thread{}, {:.1} runs/s, {:.2} million events/s",
            timing.wall_seconds,
            timing.threads,
            if timing.threads == 1 { "" } else { "s" },
            timing.runs_per_second(),
            timing.events_per_second() / 1e6
        );
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_specs_read_as_k_of_n() {
        assert_eq!(
            ShardSpec::parse("2/3").unwrap(),
            ShardSpec { index: 2, count: 3 }
        );
        for bad in ["3/3", "0/0", "1", "-1/3", "a/b", "1/100001"] {
            assert!(ShardSpec::parse(bad).is_err(), "{bad}");
        }
    }
}
