//! `faultline run`: every run of an experiment on the parallel runner, streamed in run
//! order into runs.csv, summary.csv and failures.csv, with the wall-clock figures in
//! timing.csv and on stdout.
//!
//! Each completed run goes to the resume journal first, then to the outputs, so that
//! `--resume` can feed the runs of an interrupted attempt through the same path and
//! produce the same files byte for byte. Outputs appear only when complete (see
//! [`crate::output`]); memory holds no per-run state beyond the runner's bounded window.

use crate::checks::Violation;
use crate::cli::{CliError, RunArgs, load, output_error, threads_flag};
use crate::config::{Experiment, RunKey};
use crate::journal::{Journal, JournalError, ResumeError};
use crate::latency_cdf::{self, LatencyCdfCsv};
use crate::output::{AtomicCsv, commit_csv, create_csv, remove_stale_temps};
use crate::progress::Progress;
use crate::runner::{self, RunnerError};
use crate::runs_csv::{RunsCsv, metric_cells, metric_values, numeric_columns};
use crate::summary::{SummaryCsv, SummaryRow};
use hdrhistogram::Histogram;
use sim_core::report::format_real;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The output files of a run, in the order they are committed.
pub const OUTPUT_FILES: [&str; 8] = [
    "runs.csv",
    "summary.csv",
    crate::summary::EXPERIMENT_FILE,
    "failures.csv",
    crate::latency_cdf::FILE,
    "timing.csv",
    crate::timeline::WINDOWS_FILE,
    crate::timeline::SPANS_FILE,
];

/// Availability lines printed on stdout at most; the rest are in summary.csv.
const AVAILABILITY_LINES: usize = 24;

/// The environment variable that makes `faultline run` stop as if killed after that many
/// runs of this attempt are journaled: the test suite uses it to interrupt a run at an
/// exact point. The process exits at once with code 130 (as on Ctrl-C), leaving its
/// temporary files and the journal behind, as a killed process would.
pub const INTERRUPT_AFTER_ENV: &str = "FAULTLINE_INTERRUPT_AFTER_RUNS";

pub(crate) fn journal_error(e: JournalError) -> CliError {
    CliError::Input(e.to_string())
}

/// Appends a finished run to the journal: its metric cells and its latency histogram,
/// reduced as latency_cdf.csv pools it; returns both for the outputs.
pub(crate) fn journal_run(
    exp: &Experiment,
    journal: &mut Journal,
    key: RunKey,
    result: &sim_core::RunResult,
) -> Result<(Vec<String>, hdrhistogram::Histogram<u64>), CliError> {
    let cells = metric_cells(&result.report);
    let latency = latency_cdf::reduce(&result.latency);
    journal
        .append(&exp.run_id(key), &cells, &latency)
        .map_err(journal_error)?;
    Ok((cells, latency))
}

/// Stops the runner once SIGINT or SIGTERM came: the sink's error after each run.
pub(crate) fn stop_if_signalled() -> Result<(), CliError> {
    match runner::stop_signal() {
        Some(signal) => Err(CliError::Stopped {
            signal,
            message: String::new(),
        }),
        None => Ok(()),
    }
}

pub fn cmd_run(args: RunArgs) -> Result<u8, CliError> {
    let exp = load(&args.config)?;
    let threads = threads_flag(args.threads.as_deref())?;
    let line_every = crate::progress::line_every().map_err(CliError::Input)?;
    let interrupt_after = match std::env::var(INTERRUPT_AFTER_ENV) {
        Err(_) => None,
        Ok(text) => Some(text.parse::<u64>().map_err(|_| {
            CliError::Input(format!(
                "{INTERRUPT_AFTER_ENV}: expected a number of runs, got {text:?}"
            ))
        })?),
    };
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("results").join(&exp.name));
    if std::fs::symlink_metadata(&out).is_ok_and(|m| m.file_type().is_symlink())
        && std::fs::metadata(&out).is_err()
    {
        let target = std::fs::read_link(&out).unwrap_or_default();
        return Err(CliError::Input(format!(
            "{}: cannot create the output folder (it is a symbolic link to {}, which does not exist)",
            out.display(),
            target.display()
        )));
    }
    let shard = args
        .shard
        .as_deref()
        .map(crate::shard::ShardSpec::parse)
        .transpose()?;
    if shard.is_some() && (args.resume || args.grow) {
        return Err(CliError::Input(format!(
            "--shard: cannot be combined with {}: a shard is run whole (run it again after an interruption)",
            if args.resume { "--resume" } else { "--grow" }
        )));
    }
    let kind = if shard.is_some() {
        crate::cli::FolderKind::RunShard
    } else {
        crate::cli::FolderKind::Run
    };
    crate::cli::create_output_folder(&out, kind)?;
    if let Some(spec) = shard {
        let how = crate::shard::ShardRun {
            progress: args.progress,
            json: args.json,
            threads,
            line_every,
            interrupt_after,
            hunt_config: None,
        };
        return crate::shard::run_shard(&exp, &out, spec, &how);
    }
    // A journal of an interrupted attempt holds the runs --grow would reuse, and more.
    let grow = args.grow && !(args.resume && Journal::exists_in(&out));
    let reuse = if grow {
        match crate::campaign::reusable_runs(&out, &exp)? {
            Some(reuse) => {
                if reuse.renumbered > 0 {
                    eprintln!(
                        "note: {} runs of {} are simulated again: their cells were renumbered by the sweep values added, and a run's seed follows its cell's number",
                        reuse.renumbered,
                        out.display()
                    );
                }
                Some(reuse)
            }
            None => {
                eprintln!(
                    "note: {} holds no finished run to grow (no {}): running every run",
                    out.display(),
                    crate::manifest::MANIFEST_FILE
                );
                None
            }
        }
    } else {
        None
    };

    // Without a finished run to grow, every run is simulated as by a plain run.
    let grow = reuse.is_some();
    let mut outputs = Outputs::create(&out, &exp)?;
    let (mut journal, resumed) = open_journal(&out, &exp, args.resume, |key, cells, latency| {
        outputs.add(key, cells, &latency)
    })?;
    remove_stale_temps(&out, &OUTPUT_FILES).map_err(|e| output_error(&out, e))?;
    // The folder's manifest and record of runs describe it only until now.
    crate::campaign::remove_finished(&out)?;

    let total = exp.total_runs();
    let reused_runs = reuse.as_ref().map_or(0, |r| r.runs.len() as u64);
    let (reuse, missing): (Vec<_>, Vec<u64>) = match reuse {
        Some(reuse) => {
            let missing = (0..total).filter(|i| !reuse.runs.contains_key(i)).collect();
            (reuse.runs.into_iter().collect(), missing)
        }
        None => (Vec::new(), Vec::new()),
    };
    let mut reuse = reuse.into_iter().peekable();
    let mut handed_on: u64 = 0;
    // Hands the reused runs before position `before` on, in run order.
    let mut hand_on_reused =
        |before: u64, journal: &mut Journal, outputs: &mut Outputs| -> Result<(), CliError> {
            while let Some((index, (cells, latency))) = reuse.next_if(|(i, _)| *i < before) {
                let key = exp.run_key(index);
                journal
                    .append(&exp.run_id(key), &cells, &latency)
                    .map_err(journal_error)?;
                outputs.add(key, cells, &latency)?;
                handed_on += 1;
            }
            Ok(())
        };
    let progress = Progress::new(args.progress, total, resumed + reused_runs, line_every);
    let started = Instant::now();
    let mut events: u64 = 0;
    let mut ran: u64 = 0;
    runner::catch_stop_signals();
    let sink = |key, result: sim_core::RunResult| {
        if grow {
            hand_on_reused(
                crate::campaign::run_index(&exp, key),
                &mut journal,
                &mut outputs,
            )?;
        }
        let (cells, latency) = journal_run(&exp, &mut journal, key, &result)?;
        ran += 1;
        events += result.report.events;
        if interrupt_after == Some(ran) {
            std::process::exit(130);
        }
        outputs.add(key, cells, &latency)?;
        progress.inc();
        stop_if_signalled()
    };
    let outcome = if grow {
        runner::run_list(&exp, &missing, threads, sink)
    } else {
        runner::run_range(&exp, resumed, total, threads, sink)
    };
    runner::release_stop_signals();
    progress.finish();
    let outcome = match outcome {
        Ok(_) if grow => hand_on_reused(u64::MAX, &mut journal, &mut outputs)
            .map(|_| ())
            .map_err(RunnerError::Sink),
        other => other.map(|_| ()),
    };
    match outcome {
        Ok(_) => {}
        Err(RunnerError::Sink(CliError::Stopped { signal, .. })) => {
            journal.sync().map_err(journal_error)?;
            return Err(stopped(signal, resumed + handed_on + ran, total, &out));
        }
        Err(RunnerError::Sink(e)) => return Err(resume_hint(e, &out)),
        Err(RunnerError::Panic { key, message }) => {
            return Err(CliError::Internal(format!(
                "run {} panicked: {message}; replay it alone with: {}",
                exp.run_id(key),
                exp.replay_command(key)
            )));
        }
    }
    let wall = started.elapsed().as_secs_f64();
    let timing = Timing {
        wall_seconds: wall,
        threads,
        runs: ran,
        resumed_runs: resumed + reused_runs,
        events,
    };
    let (report, plots) =
        finish_folder(&exp, &out, outputs, journal, &timing, args.no_plots, None)?;

    if args.json {
        println!(
            "{}",
            report_json(&exp, &out, &report, &timing, plots.as_ref())
        );
    } else {
        print_report(&exp, &out, &report, &timing);
        if let Some(plots) = plots {
            println!("  {}", plots.describe(&out));
            println!(
                "  report: {}",
                out.join(crate::report_html::REPORT_FILE).display()
            );
        }
    }
    Ok(if report.failed_runs > 0 { 1 } else { 0 })
}

/// Opens the journal of a run into `out`: with `resume`, the journal of an interrupted
/// attempt, handing each run it holds to `add` in run order (a new one when there is
/// none); otherwise a new one. Returns it with the number of runs read back.
pub(crate) fn open_journal(
    out: &Path,
    exp: &Experiment,
    resume: bool,
    add: impl FnMut(RunKey, Vec<String>, Histogram<u64>) -> Result<(), CliError>,
) -> Result<(Journal, u64), CliError> {
    let opened = if resume {
        match Journal::resume(out, exp, add) {
            Ok(Some(r)) => {
                if r.cut_header {
                    eprintln!(
                        "note: {} holds no run (its header was cut short, as by a full disk): running every run",
                        Journal::path_in(out).display()
                    );
                }
                if r.dropped_bytes > 0 {
                    eprintln!(
                        "note: dropped the last {} bytes of {}: a run cut short by the interruption, run again now",
                        r.dropped_bytes,
                        Journal::path_in(out).display()
                    );
                }
                (r.journal, r.runs)
            }
            Ok(None) => {
                eprintln!(
                    "note: nothing to resume in {} (no {}): running every run",
                    out.display(),
                    crate::journal::JOURNAL_FILE
                );
                (Journal::create(out, exp).map_err(journal_error)?, 0)
            }
            Err(ResumeError::Journal(e)) => return Err(journal_error(e)),
            Err(ResumeError::Replay(e)) => return Err(e),
        }
    } else {
        // Told only once the journal is ours: a run refused for a busy folder discards
        // nothing.
        let existed = Journal::exists_in(out);
        let journal = Journal::create(out, exp).map_err(journal_error)?;
        if existed {
            eprintln!(
                "note: starting over; the journal of an interrupted run in {} is discarded (--resume continues it)",
                out.display()
            );
        }
        (journal, 0)
    };
    Ok(opened)
}

/// Writes the rest of a results folder once every run is in `outputs` and `journal`:
/// commits the tables, writes config.toml (`config_text`, else the experiment's own),
/// timing.csv, the timeline and the figures (unless `no_plots`), keeps the journal as
/// the folder's record of its runs and writes manifest.json last.
pub(crate) fn finish_folder(
    exp: &Experiment,
    out: &Path,
    outputs: Outputs,
    journal: Journal,
    timing: &Timing,
    no_plots: bool,
    config_text: Option<&str>,
) -> Result<(OutputReport, Option<crate::plot::PlotReport>), CliError> {
    let report = outputs.commit().map_err(|e| resume_hint(e, out))?;
    let snapshot = match config_text {
        None => crate::manifest::write_config(out, exp),
        Some(text) => crate::manifest::write_config_text(out, exp, text),
    }
    .map_err(|e| resume_hint(e, out))?;
    let timing_path = out.join("timing.csv");
    timing
        .write(&timing_path)
        .map_err(|e| output_error(&timing_path, e))?;
    // The folder holds this experiment's files only: a timeline or figures left by an
    // earlier run go when this one writes none.
    let plots = if no_plots {
        remove_timeline(out)?;
        crate::plot::remove_figures(out)?;
        crate::report_html::remove(out)?;
        None
    } else {
        match report.lowest_availability {
            Some(key) => write_timeline(out, exp, key, &report.trace_hash)?,
            None => remove_timeline(out)?,
        }
        Some(crate::plot::draw_folder(out)?)
    };
    // The record of the runs is in place before the manifest that vouches for it.
    journal.keep().map_err(journal_error)?;
    crate::manifest::write_manifest(out, &snapshot)?;
    // The page shows the folder's files, the manifest among them.
    if plots.is_some() {
        crate::report_html::write(out)?;
    }
    Ok((report, plots))
}

/// The command that continues this one: its arguments with `--resume`, shell-quoted.
pub(crate) fn resume_command() -> String {
    let mut words = vec!["faultline".to_string()];
    words.extend(
        std::env::args()
            .skip(1)
            .map(|a| crate::config::shell_quote(&a)),
    );
    if !words.iter().any(|w| w == "--resume") {
        words.push("--resume".to_string());
    }
    words.join(" ")
}

/// The report of a run stopped by `signal` after `kept` of `total` runs, with the command
/// that continues it: this one's arguments with `--resume`.
pub(crate) fn stopped(signal: i32, kept: u64, total: u64, out: &Path) -> CliError {
    let name = match signal {
        libc::SIGINT => "SIGINT",
        libc::SIGTERM => "SIGTERM",
        _ => "a signal",
    };
    CliError::Stopped {
        signal,
        message: format!(
            "stopped by {name}: {kept} of {total} runs are kept in {}; continue with:\n  {}",
            Journal::path_in(out).display(),
            resume_command()
        ),
    }
}

/// Adds to an output error that the runs completed so far are kept in the journal.
fn resume_hint(e: CliError, out: &Path) -> CliError {
    match e {
        CliError::Input(message) => CliError::Input(format!(
            "{message}; the runs completed so far are kept in {}: once the cause is fixed, the same command with --resume continues from there",
            Journal::path_in(out).display()
        )),
        other => other,
    }
}

pub(crate) fn print_report(exp: &Experiment, out: &Path, report: &OutputReport, timing: &Timing) {
    let s = exp.strategy_names.len();
    println!(
        "{}: {} runs ({} cell{} x {} strateg{} x {} replication{}) written to {}",
        exp.name,
        exp.total_runs(),
        exp.cells.len(),
        plural(exp.cells.len(), "", "s"),
        s,
        plural(s, "y", "ies"),
        exp.replications,
        plural(exp.replications as usize, "", "s"),
        out.display()
    );
    if timing.resumed_runs > 0 {
        println!(
            "  resumed: {} runs read back from the journal, {} simulated now",
            timing.resumed_runs, timing.runs
        );
    }
    println!("  availability, mean and 95% confidence interval:");
    let width = exp
        .strategy_names
        .iter()
        .map(String::len)
        .max()
        .unwrap_or(0);
    for row in report.availability.iter().take(AVAILABILITY_LINES) {
        let label = cell_label(exp, row.cell);
        let name = &exp.strategy_names[row.strategy as usize];
        let mean = row
            .stats
            .mean()
            .map_or_else(|| "-".to_string(), |m| format!("{m:.6}"));
        let ci = row
            .ci95()
            .map_or_else(String::new, |(lo, hi)| format!(" [{lo:.6}, {hi:.6}]"));
        println!("    {label}  {name:<width$}  {mean}{ci}");
    }
    if report.availability.len() > AVAILABILITY_LINES {
        println!(
            "    ... {} more in {}",
            report.availability.len() - AVAILABILITY_LINES,
            out.join("summary.csv").display()
        );
    }
    print_significant(exp, out);
    if !exp.checks.is_empty() {
        println!(
            "  checks: {} of {} runs failed (see {})",
            report.failed_runs,
            exp.total_runs(),
            out.join("failures.csv").display()
        );
    }
    println!(
        "  wall time {:.2} s on {} thread{}, {:.1} runs/s, {:.2} million events/s (timing.csv)",
        timing.wall_seconds,
        timing.threads,
        plural(timing.threads, "", "s"),
        timing.runs_per_second(),
        timing.events_per_second() / 1e6
    );
}

/// The most significant differences the summary prints.
const SIGNIFICANT_LINES: usize = 12;

/// Prints the headline metrics' paired differences to the first strategy whose interval
/// excludes 0, read back from the folder's summary.csv.
fn print_significant(exp: &Experiment, out: &Path) {
    if exp.strategy_names.len() < 2 {
        return;
    }
    let Ok((baseline, rows)) = crate::headline::significant(out) else {
        return;
    };
    if rows.is_empty() {
        println!(
            "  significant differences to {baseline}: none (no headline metric's 95% interval of the paired difference excludes 0)"
        );
        return;
    }
    println!("  significant differences to {baseline} (paired, 95% interval excludes 0):");
    let width = rows.iter().map(|r| r.strategy.len()).max().unwrap_or(0);
    let metric_width = rows.iter().map(|r| r.metric.len()).max().unwrap_or(0);
    for row in rows.iter().take(SIGNIFICANT_LINES) {
        let label = cell_label(exp, row.cell);
        println!(
            "    {label}  {:<width$}  {:<metric_width$}  {:+.6} [{:.6}, {:.6}]",
            row.strategy, row.metric, row.mean, row.ci.0, row.ci.1
        );
    }
    if rows.len() > SIGNIFICANT_LINES {
        println!(
            "    ... {} more in {} (diff_ columns)",
            rows.len() - SIGNIFICANT_LINES,
            out.join("summary.csv").display()
        );
    }
}

/// The summary of [`print_report`] as one JSON object, every availability row included.
pub(crate) fn report_json(
    exp: &Experiment,
    out: &Path,
    report: &OutputReport,
    timing: &Timing,
    plots: Option<&crate::plot::PlotReport>,
) -> serde_json::Value {
    use serde_json::json;
    let availability: Vec<_> = report
        .availability
        .iter()
        .map(|row| {
            json!({
                "cell": row.cell,
                "values": crate::cli::cell_values_json(exp, row.cell as usize),
                "strategy": exp.strategy_names[row.strategy as usize],
                "mean": row.stats.mean(),
                "ci95": row.ci95().map(|(lo, hi)| [lo, hi]),
            })
        })
        .collect();
    json!({
        "experiment": exp.name,
        "out": out.display().to_string(),
        "runs": exp.total_runs(),
        "cells": exp.cells.len(),
        "strategies": exp.strategy_names,
        "replications": exp.replications,
        "resumed_runs": timing.resumed_runs,
        "simulated_runs": timing.runs,
        "availability": availability,
        "significant": crate::headline::significant(out).ok().map(|(baseline, rows)| json!({
            "baseline": baseline,
            "differences": rows.iter().map(|r| json!({
                "cell": r.cell,
                "values": crate::cli::cell_values_json(exp, r.cell as usize),
                "strategy": r.strategy,
                "metric": r.metric,
                "mean": r.mean,
                "ci95": [r.ci.0, r.ci.1],
            })).collect::<Vec<_>>(),
        })),
        "checks": (!exp.checks.is_empty()).then(|| json!({
            "failed_runs": report.failed_runs,
            "failures": out.join("failures.csv").display().to_string(),
        })),
        "wall_seconds": timing.wall_seconds,
        "threads": timing.threads,
        "runs_per_second": timing.runs_per_second(),
        "events_per_second": timing.events_per_second(),
        "plots": plots.map(|p| json!({
            "folder": out.join(crate::plot::PLOTS_DIR).display().to_string(),
            "figures": p.figures,
        })),
    })
}

/// A cell as the summary names it: `c1 faults.crash.mttf.mean=10m`.
fn cell_label(exp: &Experiment, cell: u32) -> String {
    let mut label = format!("c{cell}");
    for (axis, value) in exp.sweep.iter().zip(&exp.cells[cell as usize].values) {
        label.push_str(&format!(" {}={}", axis.key, value.to_cell_text()));
    }
    label
}

pub(crate) fn plural(n: usize, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 { one } else { many }
}

/// Replays run `key` with its timeline recorded and writes the timeline tables into `dir`;
/// the replay must reproduce the run's trace hash.
fn write_timeline(
    dir: &Path,
    exp: &Experiment,
    key: RunKey,
    trace_hash: &str,
) -> Result<(), CliError> {
    let window = crate::timeline::default_window(exp.cell(key).scenario.duration);
    let result = crate::timeline::record(exp, key, window);
    let replayed = format!("{:016x}", result.report.trace_hash);
    if replayed != trace_hash {
        return Err(CliError::Internal(format!(
            "run {} replayed with its timeline has trace hash {replayed}, not {trace_hash}",
            exp.run_id(key)
        )));
    }
    let timeline = result.timeline.expect("a timeline was recorded");
    crate::timeline::write(dir, exp, key, &timeline).map_err(|e| output_error(dir, e))
}

/// Removes the timeline tables of an earlier run from `dir`, if any.
fn remove_timeline(dir: &Path) -> Result<(), CliError> {
    crate::timeline::remove(dir).map_err(|e| output_error(dir, e))
}

/// What the outputs saw, for the report on stdout.
pub(crate) struct OutputReport {
    pub(crate) failed_runs: u64,
    /// The run of lowest availability (the first of equals), whose timeline is drawn.
    lowest_availability: Option<RunKey>,
    lowest_value: f64,
    /// Its trace hash.
    trace_hash: String,
    /// The availability rows of summary.csv: one per (cell, strategy).
    availability: Vec<SummaryRow>,
}

/// runs.csv, summary.csv and failures.csv being written.
pub(crate) struct Outputs<'e> {
    exp: &'e Experiment,
    dir: PathBuf,
    runs: RunsCsv,
    summary: SummaryCsv,
    failures: FailuresCsv,
    latency: LatencyCdfCsv,
    numeric: Vec<bool>,
    report: OutputReport,
}

impl<'e> Outputs<'e> {
    pub(crate) fn create(dir: &Path, exp: &'e Experiment) -> Result<Outputs<'e>, CliError> {
        let path = |name: &str| dir.join(name);
        Ok(Outputs {
            exp,
            dir: dir.to_path_buf(),
            runs: RunsCsv::create(&path("runs.csv"), exp)
                .map_err(|e| output_error(&path("runs.csv"), e))?,
            summary: SummaryCsv::create(&path("summary.csv"), exp)
                .map_err(|e| output_error(&path("summary.csv"), e))?,
            failures: FailuresCsv::create(&path("failures.csv"), dir)
                .map_err(|e| output_error(&path("failures.csv"), e))?,
            latency: LatencyCdfCsv::create(&path(latency_cdf::FILE), exp)
                .map_err(|e| output_error(&path(latency_cdf::FILE), e))?,
            numeric: numeric_columns(),
            report: OutputReport {
                failed_runs: 0,
                lowest_availability: None,
                lowest_value: f64::INFINITY,
                trace_hash: String::new(),
                availability: Vec::new(),
            },
        })
    }

    /// Adds a completed run, given its metric cells and reduced latency histogram; runs
    /// come in run order.
    pub(crate) fn add(
        &mut self,
        key: RunKey,
        cells: Vec<String>,
        latency: &Histogram<u64>,
    ) -> Result<(), CliError> {
        let exp = self.exp;
        let path = |name: &str| self.dir.join(name);
        self.runs
            .write(exp, key, &cells)
            .map_err(|e| output_error(&path("runs.csv"), e))?;
        let values = metric_values(&cells, &self.numeric);
        let rows = self
            .summary
            .add(exp, key, &values)
            .map_err(|e| output_error(&path("summary.csv"), e))?;
        for row in rows.into_iter().flatten() {
            if row.metric == "availability" {
                self.report.availability.push(row);
            }
        }
        self.latency
            .add(exp, key, latency)
            .map_err(|e| output_error(&path(latency_cdf::FILE), e))?;
        if let Some(a) = values[availability_column()]
            && a < self.report.lowest_value
        {
            self.report.lowest_value = a;
            self.report.lowest_availability = Some(key);
            self.report.trace_hash = cells[trace_hash_column()].clone();
        }
        let violations = exp.checks.violations(&values);
        if !violations.is_empty() {
            self.report.failed_runs += 1;
            let trace_hash = &cells[trace_hash_column()];
            self.failures
                .write(exp, key, trace_hash, &violations)
                .map_err(|e| output_error(&path("failures.csv"), e))?;
        }
        Ok(())
    }

    fn commit(self) -> Result<OutputReport, CliError> {
        let path = |name: &str| self.dir.join(name);
        self.runs
            .commit()
            .map_err(|e| output_error(&path("runs.csv"), e))?;
        self.summary
            .commit()
            .map_err(|e| output_error(&path("summary.csv"), e))?;
        self.failures
            .commit()
            .map_err(|e| output_error(&path("failures.csv"), e))?;
        self.latency
            .commit()
            .map_err(|e| output_error(&path(latency_cdf::FILE), e))?;
        Ok(self.report)
    }
}

fn availability_column() -> usize {
    sim_core::RunReport::column_names()
        .iter()
        .position(|c| *c == "availability")
        .expect("runs.csv has an availability column")
}

fn trace_hash_column() -> usize {
    sim_core::RunReport::column_names()
        .iter()
        .position(|c| *c == "trace_hash")
        .expect("runs.csv has a trace_hash column")
}

/// failures.csv: each check a run broke, with the value, the threshold and the command
/// that replays the run from the results folder's config.toml, from any directory.
pub struct FailuresCsv {
    writer: AtomicCsv,
    folder: PathBuf,
}

pub const FAILURE_COLUMNS: [&str; 10] = [
    "run_id",
    "cell",
    "strategy",
    "replication",
    "seed",
    "check",
    "value",
    "threshold",
    "trace_hash",
    "replay",
];

impl FailuresCsv {
    pub fn create(path: &Path, folder: &Path) -> std::io::Result<FailuresCsv> {
        let mut writer = create_csv(path)?;
        writer.write_record(FAILURE_COLUMNS)?;
        Ok(FailuresCsv {
            writer,
            folder: folder.to_path_buf(),
        })
    }

    pub fn write(
        &mut self,
        exp: &Experiment,
        key: RunKey,
        trace_hash: &str,
        violations: &[Violation],
    ) -> std::io::Result<()> {
        for v in violations {
            self.writer.write_record([
                exp.run_id(key),
                key.cell.to_string(),
                exp.strategy_names[key.strategy as usize].clone(),
                key.replication.to_string(),
                exp.run_seed(key).to_string(),
                v.check.clone(),
                v.value.map(format_real).unwrap_or_default(),
                format_real(v.threshold),
                trace_hash.to_string(),
                crate::manifest::replay_command(&self.folder, &exp.run_id(key)),
            ])?;
        }
        Ok(())
    }

    pub fn commit(self) -> std::io::Result<()> {
        commit_csv(self.writer)
    }
}

/// The wall-clock figures of one `faultline run`: timing.csv, one row.
pub struct Timing {
    pub wall_seconds: f64,
    pub threads: usize,
    /// Runs simulated by this invocation.
    pub runs: u64,
    /// Runs read back from the journal of an interrupted attempt.
    pub resumed_runs: u64,
    /// Events processed by the runs simulated here.
    pub events: u64,
}

pub const TIMING_COLUMNS: [&str; 7] = [
    "wall_seconds",
    "threads",
    "runs",
    "resumed_runs",
    "events",
    "runs_per_second",
    "events_per_second",
];

impl Timing {
    pub fn runs_per_second(&self) -> f64 {
        self.runs as f64 / self.wall_seconds.max(1e-9)
    }

    pub fn events_per_second(&self) -> f64 {
        self.events as f64 / self.wall_seconds.max(1e-9)
    }

    pub(crate) fn write(&self, path: &Path) -> std::io::Result<()> {
        let mut writer = create_csv(path)?;
        writer.write_record(TIMING_COLUMNS)?;
        writer.write_record([
            format!("{:.3}", self.wall_seconds),
            self.threads.to_string(),
            self.runs.to_string(),
            self.resumed_runs.to_string(),
            self.events.to_string(),
            format!("{:.1}", self.runs_per_second()),
            format!("{:.0}", self.events_per_second()),
        ])?;
        commit_csv(writer)
    }
}
