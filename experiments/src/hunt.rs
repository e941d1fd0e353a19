//! `faultline hunt`: many run seeds of a config, each with the faults its `[swarm]` draws,
//! judged by the config's `[checks]` and `[invariants]`, with every failure's seed, drawn
//! parameters and replay command.
//!
//! Seeds are replications (`--seeds N` is `--replications N`), so run ids and seeds follow
//! the rules of `faultline run`, and the runs go through the same runner and resume
//! journal: hunt.csv is byte-identical at any thread count, and after an interruption or
//! a spent `--time-budget`, `--resume` continues the prefix kept.

use crate::checks::{Violation, signature};
use crate::cli::{
    CliError, ConfigArgs, FolderKind, create_output_folder, integer_flag, load, output_error,
    threads_flag,
};
use crate::config::{Experiment, RunKey};
use crate::journal::Journal;
use crate::output::{AtomicCsv, commit_csv, create_csv, remove_stale_temps, write_atomic};
use crate::run::{journal_error, journal_run, open_journal, stop_if_signalled, stopped};
use crate::runner::{self, RunnerError};
use crate::runs_csv::{ID_COLUMNS, id_cells, metric_values, numeric_columns};
use clap::Args;
use hdrhistogram::Histogram;
use sim_core::SimDuration;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The table of every run.
pub const HUNT_FILE: &str = "hunt.csv";
/// One row per failure signature.
pub const FAILURES_FILE: &str = "hunt_failures.csv";
/// The folder of the failing runs' effective configs.
pub const CONFIGS_DIR: &str = "failures";

#[derive(Args, Debug)]
pub struct HuntArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Run seeds to hunt through, per (cell, strategy) (1 to 1000000) [default:
    /// experiment.replications].
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub seeds: Option<String>,
    /// Output folder [default: results/<experiment.name>-hunt/].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Stop starting runs once this much wall-clock time has passed (e.g. 30s, 10m); the
    /// runs done are kept and `--resume` continues.
    #[arg(long, value_name = "T", allow_hyphen_values = true)]
    pub time_budget: Option<String>,
    /// Worker threads, 1 to 1024 [default: FAULTLINE_THREADS, else RAYON_NUM_THREADS, else
    /// all cores].
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub threads: Option<String>,
    /// Continue a hunt stopped by its time budget or a signal in the same folder.
    #[arg(long)]
    pub resume: bool,
    /// Progress on stderr: `auto` a bar on a terminal, `lines` a line every few seconds,
    /// `none` nothing.
    #[arg(long, value_enum, value_name = "MODE", default_value = "auto")]
    pub progress: crate::progress::ProgressMode,
    /// Hunt only shard K of N (K from 0 to N-1): the runs `run --shard K/N` would run,
    /// written to a shard folder that `faultline merge` joins into the hunt's files.
    #[arg(long, value_name = "K/N", allow_hyphen_values = true)]
    pub shard: Option<String>,
}

/// A hunt takes its number of seeds as `--seeds`, not `--replications`.
pub(crate) fn refuse_replications(args: &ConfigArgs) -> Result<(), CliError> {
    if args.replications.is_some() {
        return Err(CliError::Input(
            "--replications: a hunt's seeds are its replications; give --seeds N".into(),
        ));
    }
    Ok(())
}

/// Loads the config a hunt hunts with (its caller has refused `--replications`),
/// `--seeds` (when given) as its replications; a config without `[checks]` or
/// `[invariants]` has nothing to hunt for.
pub(crate) fn load_hunted(args: &ConfigArgs, seeds: Option<&str>) -> Result<Experiment, CliError> {
    let mut config = args.clone();
    if let Some(text) = seeds {
        let max = u64::from(crate::config::MAX_REPLICATIONS);
        config.replications = Some(integer_flag("--seeds", text, 1, max)?.to_string());
    }
    let exp = load(&config)?;
    if exp.checks.is_empty() {
        return Err(CliError::Input(format!(
            "{}: nothing to hunt for: the config has no [checks] and no [invariants]; a hunt reports the runs that break them",
            args.config.display()
        )));
    }
    Ok(exp)
}

/// Why the runner stopped before the last run.
enum Stop {
    Budget,
    Cli(CliError),
}

impl From<CliError> for Stop {
    fn from(e: CliError) -> Self {
        Stop::Cli(e)
    }
}

/// The runs of one failure signature.
struct Signature {
    runs: u64,
    first: RunKey,
    trace_hash: String,
}

/// hunt.csv, the failing runs' configs and the signatures, being written.
struct HuntOutputs<'e> {
    exp: &'e Experiment,
    /// The config file hunted, as the failing runs' configs name it.
    source: PathBuf,
    dir: PathBuf,
    csv: AtomicCsv,
    columns: Vec<String>,
    numeric: Vec<bool>,
    signatures: BTreeMap<String, Signature>,
    runs: u64,
    failed: u64,
}

/// The position of a metric column among the runs.csv metrics.
fn metric_column(name: &str) -> usize {
    sim_core::RunReport::column_names()
        .iter()
        .position(|c| *c == name)
        .expect("a declared column")
}

impl<'e> HuntOutputs<'e> {
    fn create(
        dir: &Path,
        exp: &'e Experiment,
        source: PathBuf,
    ) -> Result<HuntOutputs<'e>, CliError> {
        let path = dir.join(HUNT_FILE);
        let columns = exp
            .swarm
            .as_ref()
            .map(crate::swarm::Swarm::columns)
            .unwrap_or_default();
        let mut header: Vec<String> = ID_COLUMNS.iter().map(|c| c.to_string()).collect();
        header.extend(exp.sweep.iter().map(|a| a.key.clone()));
        header.extend(columns.iter().map(|c| format!("swarm.{c}")));
        header.extend(exp.checks.list.iter().map(|c| c.key.clone()));
        header.extend(["signature".to_string(), "trace_hash".to_string()]);
        let mut csv = create_csv(&path).map_err(|e| output_error(&path, e))?;
        csv.write_record(&header)
            .map_err(|e| output_error(&path, e.into()))?;
        Ok(HuntOutputs {
            exp,
            source,
            dir: dir.to_path_buf(),
            csv,
            columns,
            numeric: numeric_columns(),
            signatures: BTreeMap::new(),
            runs: 0,
            failed: 0,
        })
    }

    /// Adds a run, given its metric cells; runs come in run order.
    fn add(&mut self, key: RunKey, cells: &[String]) -> Result<(), CliError> {
        let exp = self.exp;
        let (run_exp, drawn) = exp.run_experiment(key)?;
        let values = metric_values(cells, &self.numeric);
        let violations: Vec<Violation> = exp.checks.violations(&values);
        let trace_hash = cells[metric_column("trace_hash")].clone();
        let mut row = id_cells(exp, key);
        let drawn: BTreeMap<&str, &str> = drawn
            .iter()
            .map(|d| (d.name.as_str(), d.value.as_str()))
            .collect();
        row.extend(self.columns.iter().map(|c| {
            drawn
                .get(c.as_str())
                .copied()
                .unwrap_or_default()
                .to_string()
        }));
        for check in &exp.checks.list {
            let broken = violations.iter().any(|v| v.check == check.key);
            row.push(if broken { "fail" } else { "pass" }.to_string());
        }
        let sig = signature(&violations);
        row.push(sig.clone());
        row.push(trace_hash.clone());
        let path = self.dir.join(HUNT_FILE);
        self.csv
            .write_record(&row)
            .map_err(|e| output_error(&path, e.into()))?;
        self.runs += 1;
        if !violations.is_empty() {
            self.failed += 1;
            self.write_config(key, &run_exp)?;
            self.signatures
                .entry(sig)
                .and_modify(|s| s.runs += 1)
                .or_insert(Signature {
                    runs: 1,
                    first: key,
                    trace_hash,
                });
        }
        Ok(())
    }

    fn write_config(&self, key: RunKey, run_exp: &Experiment) -> Result<(), CliError> {
        let path = config_path(&self.dir, self.exp, key);
        let id = self.exp.run_id(key);
        let text = format!(
            "# The config run {id} of experiment {} ran in: {} with its [swarm] drawn for seed {}.\n# Replay the run with\n# faultline replay <this file> --run {id}\n\n{}",
            self.exp.name,
            self.source.display(),
            self.exp.run_seed(key),
            crate::manifest::tree_text(&crate::manifest::resolved_tree(run_exp))
        );
        write_atomic(&path, text.as_bytes()).map_err(|e| output_error(&path, e))
    }

    /// Commits hunt.csv and writes hunt_failures.csv.
    fn commit(self) -> Result<HuntReport, CliError> {
        let path = self.dir.join(HUNT_FILE);
        let HuntOutputs {
            exp,
            dir,
            csv: hunt_csv,
            signatures,
            runs,
            failed,
            ..
        } = self;
        commit_csv(hunt_csv).map_err(|e| output_error(&path, e))?;
        let path = dir.join(FAILURES_FILE);
        let mut csv = create_csv(&path).map_err(|e| output_error(&path, e))?;
        let io = |e: csv::Error| output_error(&path, e.into());
        csv.write_record(FAILURE_COLUMNS).map_err(io)?;
        let mut lines = Vec::new();
        for (sig, s) in &signatures {
            let id = exp.run_id(s.first);
            let config = config_path(&dir, exp, s.first);
            let replay = crate::manifest::replay_command(&config, &id);
            csv.write_record([
                sig.clone(),
                s.runs.to_string(),
                id.clone(),
                exp.run_seed(s.first).to_string(),
                s.trace_hash.clone(),
                replay.clone(),
            ])
            .map_err(io)?;
            lines.push((sig.clone(), s.runs, id, replay));
        }
        commit_csv(csv).map_err(|e| output_error(&path, e))?;
        Ok(HuntReport {
            runs,
            failed,
            signatures: lines,
        })
    }
}

/// The effective config failing run `key` ran in.
fn config_path(dir: &Path, exp: &Experiment, key: RunKey) -> PathBuf {
    dir.join(CONFIGS_DIR)
        .join(format!("{}.toml", exp.run_id(key)))
}

/// The columns of hunt_failures.csv.
pub const FAILURE_COLUMNS: [&str; 6] = [
    "signature",
    "runs",
    "first_run_id",
    "seed",
    "trace_hash",
    "replay",
];

struct HuntReport {
    runs: u64,
    failed: u64,
    /// Per signature: its runs, its first run and the replay command.
    signatures: Vec<(String, u64, String, String)>,
}

/// Parses `--time-budget`: a duration with its unit.
fn time_budget(text: &str) -> Result<Duration, CliError> {
    SimDuration::parse(text)
        .ok()
        .filter(|d| !d.is_zero())
        .map(|d| Duration::from_nanos(d.0))
        .ok_or_else(|| {
            CliError::Input(format!(
                "--time-budget: expected a wall-clock duration longer than 0 with its unit, like 30s or 10m, got `{text}`"
            ))
        })
}

pub fn cmd_hunt(args: HuntArgs) -> Result<u8, CliError> {
    refuse_replications(&args.config)?;
    let shard = args
        .shard
        .as_deref()
        .map(crate::shard::ShardSpec::parse)
        .transpose()?;
    if shard.is_some() && (args.resume || args.time_budget.is_some()) {
        return Err(CliError::Input(format!(
            "--shard: cannot be combined with {}: a shard is run whole (run it again after an interruption)",
            if args.resume {
                "--resume"
            } else {
                "--time-budget"
            }
        )));
    }
    let exp = load_hunted(&args.config, args.seeds.as_deref())?;
    let threads = threads_flag(args.threads.as_deref())?;
    let budget = args.time_budget.as_deref().map(time_budget).transpose()?;
    let line_every = crate::progress::line_every().map_err(CliError::Input)?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("results").join(format!("{}-hunt", exp.name)));
    let source =
        std::path::absolute(&exp.config_path).unwrap_or_else(|_| PathBuf::from(&exp.config_path));
    if let Some(spec) = shard {
        create_output_folder(&out, FolderKind::HuntShard)?;
        let how = crate::shard::ShardRun {
            progress: args.progress,
            json: false,
            threads,
            line_every,
            interrupt_after: None,
            hunt_config: Some(source),
        };
        return crate::shard::run_shard(&exp, &out, spec, &how);
    }
    let (mut outputs, mut journal, resumed) = open_folder(&out, &exp, source, args.resume)?;

    let total = exp.total_runs();
    let progress = crate::progress::Progress::new(args.progress, total, resumed, line_every);
    let started = Instant::now();
    let mut ran = 0u64;
    runner::catch_stop_signals();
    let sink = |key, result: sim_core::RunResult| -> Result<(), Stop> {
        let (cells, _) = journal_run(&exp, &mut journal, key, &result)?;
        outputs.add(key, &cells)?;
        ran += 1;
        progress.inc();
        stop_if_signalled()?;
        match budget {
            Some(b) if started.elapsed() >= b => Err(Stop::Budget),
            _ => Ok(()),
        }
    };
    let outcome = runner::run_range(&exp, resumed, total, threads, sink);
    runner::release_stop_signals();
    progress.finish();
    let budget_spent = match outcome {
        Ok(_) => false,
        Err(RunnerError::Sink(Stop::Budget)) => resumed + ran < total,
        Err(RunnerError::Sink(Stop::Cli(CliError::Stopped { signal, .. }))) => {
            journal.sync().map_err(journal_error)?;
            return Err(stopped(signal, resumed + ran, total, &out));
        }
        Err(RunnerError::Sink(Stop::Cli(e))) => return Err(e),
        Err(RunnerError::Panic { key, message }) => {
            return Err(CliError::Internal(format!(
                "run {} panicked: {message}; replay it alone with: {}",
                exp.run_id(key),
                exp.replay_command(key)
            )));
        }
    };
    let report = finish_folder(&exp, &out, outputs, journal, budget_spent, None)?;
    print_hunt(&exp, &out, &report, budget_spent, started.elapsed());
    Ok(exit_code(&report))
}

/// Makes the hunt's folder `out` ready and takes its journal: with `resume`, the runs of
/// an interrupted hunt are read back into the outputs; otherwise (or with none to read)
/// the configs of an earlier hunt's failures go. Returns the outputs begun, the journal
/// and the number of runs read back.
fn open_folder<'e>(
    out: &Path,
    exp: &'e Experiment,
    source: PathBuf,
    resume: bool,
) -> Result<(HuntOutputs<'e>, Journal, u64), CliError> {
    create_output_folder(out, FolderKind::Hunt)?;
    let configs = out.join(CONFIGS_DIR);
    std::fs::create_dir_all(&configs).map_err(|e| output_error(&configs, e))?;
    let mut outputs = HuntOutputs::create(out, exp, source)?;
    let (journal, resumed) =
        open_journal(out, exp, resume, |key, cells, _| outputs.add(key, &cells))?;
    if resumed == 0 {
        // The folder's journal is ours: the configs of an earlier hunt's failures go.
        std::fs::remove_dir_all(&configs)
            .and_then(|()| std::fs::create_dir_all(&configs))
            .map_err(|e| output_error(&configs, e))?;
    }
    remove_stale_temps(out, &[HUNT_FILE, FAILURES_FILE]).map_err(|e| output_error(out, e))?;
    Ok((outputs, journal, resumed))
}

/// Commits the hunt's tables and writes config.toml (`config_text`, else the
/// experiment's own); the journal is kept as the folder's record of its runs, or, when
/// the time budget was spent before the last run, left for `--resume`.
fn finish_folder(
    exp: &Experiment,
    out: &Path,
    outputs: HuntOutputs,
    mut journal: Journal,
    budget_spent: bool,
    config_text: Option<&str>,
) -> Result<HuntReport, CliError> {
    let report = outputs.commit()?;
    match config_text {
        None => crate::manifest::write_config(out, exp)?,
        Some(text) => crate::manifest::write_config_text(out, exp, text)?,
    };
    if budget_spent {
        journal.sync().map_err(journal_error)?;
    } else {
        journal.keep().map_err(journal_error)?;
    }
    Ok(report)
}

/// 1 when some run broke a check or invariant, else 0.
fn exit_code(report: &HuntReport) -> u8 {
    if report.failed > 0 { 1 } else { 0 }
}

/// The runs of a hunt's shards, each with its metric cells and latency histogram, in
/// run order.
pub(crate) type MergedRuns = Vec<(Vec<String>, Histogram<u64>)>;

/// Writes the hunt of `exp` into `out` from the runs of its shards (every run, in run
/// order) as the unsharded hunt writes it: hunt.csv, hunt_failures.csv, failures/, the
/// shards' config.toml (`config_text`) and runs.journal. `source` is the config file
/// the shards hunted; `wall` their wall time added up. Prints `heading`, then the hunt's
/// summary, and returns its exit code.
pub(crate) fn write_merged(
    exp: &Experiment,
    out: &Path,
    runs: MergedRuns,
    config_text: &str,
    source: PathBuf,
    wall: Duration,
    heading: &str,
) -> Result<u8, CliError> {
    let (mut outputs, mut journal, _) = open_folder(out, exp, source, false)?;
    for (index, (cells, latency)) in runs.into_iter().enumerate() {
        let key = exp.run_key(index as u64);
        journal
            .append(&exp.run_id(key), &cells, &latency)
            .map_err(journal_error)?;
        outputs.add(key, &cells)?;
    }
    let report = finish_folder(exp, out, outputs, journal, false, Some(config_text))?;
    println!("{heading}");
    print_hunt(exp, out, &report, false, wall);
    Ok(exit_code(&report))
}

fn print_hunt(
    exp: &Experiment,
    out: &Path,
    report: &HuntReport,
    budget_spent: bool,
    wall: Duration,
) {
    let total = exp.total_runs();
    println!(
        "hunt {}: {} of {} runs ({} seed{} x {} strateg{} x {} cell{}), {} broke a check or invariant, written to {}",
        exp.name,
        report.runs,
        total,
        exp.replications,
        crate::run::plural(exp.replications as usize, "", "s"),
        exp.strategy_names.len(),
        crate::run::plural(exp.strategy_names.len(), "y", "ies"),
        exp.cells.len(),
        crate::run::plural(exp.cells.len(), "", "s"),
        report.failed,
        out.join(HUNT_FILE).display()
    );
    if budget_spent {
        println!(
            "  time budget spent: {} runs not run; continue with:\n    {}",
            total - report.runs,
            crate::run::resume_command()
        );
    }
    if report.signatures.is_empty() {
        println!("  failures: none");
    } else {
        println!(
            "  failures by signature ({}):",
            out.join(FAILURES_FILE).display()
        );
        let width = report
            .signatures
            .iter()
            .map(|s| s.0.len())
            .max()
            .unwrap_or(0);
        for (sig, runs, id, replay) in &report.signatures {
            println!(
                "    {sig:<width$}  {runs} run{}, first {id}",
                crate::run::plural(*runs as usize, "", "s")
            );
            println!("      {replay}");
        }
    }
    println!(
        "  wall time {:.2} s, {:.1} runs/s",
        wall.as_secs_f64(),
        report.runs as f64 / wall.as_secs_f64().max(1e-9)
    );
}
