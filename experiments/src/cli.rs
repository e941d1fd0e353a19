//! The `faultline` command line.
//!
//! Exit codes: 0 success; 1 the run finished but a `[checks]` threshold failed; 2 bad
//! input (config, flags, paths); 3 an internal error; 130 and 143 a run stopped by SIGINT
//! and SIGTERM, its completed runs kept for `--resume`. Every input error names the file,
//! the dotted key and the line where known, and what was expected.

use crate::config::{Experiment, Overrides};
use crate::load::describe_io;
use clap::{Args, Parser, Subcommand};
use sim_core::config::ConfigError;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "faultline",
    version,
    about = "Deterministic discrete-event simulator of fault-tolerant RPC clusters",
    long_about = "Runs experiment configs (TOML) over many seeded replications, writes tidy CSV results, \
                  and replays any run event for event from its id."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run every (sweep cell x strategy x replication) of a config.
    Run(RunArgs),
    /// Re-run one run alone, print its summary and trace hash, optionally write its trace.
    Replay(ReplayArgs),
    /// Run many seeds, each with the faults its [swarm] draws, and report the runs that
    /// break a check or invariant, by failure signature, with their replay commands.
    Hunt(crate::hunt::HuntArgs),
    /// Validate a config without running it.
    Check(CheckArgs),
    /// Shrink a failing run of a results folder to the smallest config that still fails
    /// the same way, written as a plain config with one run.
    Shrink(crate::shrink::ShrinkArgs),
    /// Join the shard folders of `run --shard K/N` into the results folder of the whole run,
    /// or those of `hunt --shard K/N` into the hunt's folder.
    Merge(MergeArgs),
    /// Write (and with --submit, submit) a Slurm job array running the shards of a config
    /// and a merge job chained after it.
    Slurm(SlurmArgs),
    /// Draw (again) the plots of a results folder from its CSV tables.
    Plot(PlotArgs),
    /// Write (again) the report.html of a results folder from its files.
    Report(crate::report_html::ReportArgs),
    /// List every strategy kind with its parameters and defaults.
    Strategies(StrategiesArgs),
    /// List every scripted fault kind with its keys and defaults.
    Faults(FaultsArgs),
    /// Check the simulator against queueing, reliability and load-balancing theory and
    /// print expected against measured values; exit code 1 if any check fails.
    Validate(crate::validate::ValidateArgs),
}

#[derive(Args, Debug, Clone)]
pub struct ConfigArgs {
    /// The experiment config (TOML); `replay` also takes a results folder and replays from
    /// its config.toml.
    pub config: PathBuf,
    /// Override a config value by its dotted path, e.g. --set workload.arrivals.rate=800.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Override experiment.seed, the master seed (0 to 2^64 - 1).
    #[arg(long, value_name = "SEED", allow_negative_numbers = true)]
    pub seed: Option<String>,
    /// Override experiment.replications, the runs per (cell, strategy) (1 to 1000000).
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub replications: Option<String>,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Print the plan as one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct StrategiesArgs {
    /// Print the listing as one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct FaultsArgs {
    /// Print the listing as one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Output folder [default: results/<experiment.name>/].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Worker threads, 1 to 1024 [default: FAULTLINE_THREADS, else RAYON_NUM_THREADS, else
    /// all cores].
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub threads: Option<String>,
    /// Continue an interrupted run in the same output folder: skip the runs its journal
    /// holds and produce the same files as an uninterrupted run.
    #[arg(long)]
    pub resume: bool,
    /// Skip the plots and the timeline of the run of lowest availability.
    #[arg(long)]
    pub no_plots: bool,
    /// Progress on stderr: `auto` a bar on a terminal and nothing otherwise; `lines` a
    /// line every few seconds (runs done, rate, time left) and one at the end, for
    /// Slurm and CI logs; `none` nothing.
    #[arg(long, value_enum, value_name = "MODE", default_value = "auto")]
    pub progress: crate::progress::ProgressMode,
    /// Print the summary on stdout as one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// Grow the finished results folder: simulate only the runs it lacks (more
    /// replications, strategies or sweep values) and read the others back from its
    /// runs.journal; a run whose config changed is refused.
    #[arg(long)]
    pub grow: bool,
    /// Run only shard K of N (K from 0 to N-1): a deterministic, cost-balanced part of the
    /// runs, written to a shard folder for `faultline merge`.
    #[arg(long, value_name = "K/N", allow_hyphen_values = true)]
    pub shard: Option<String>,
}

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// The results folder to write.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// The shard folders, every shard of one `run --shard K/N` (or `hunt --shard K/N`)
    /// once, in any order.
    #[arg(value_name = "SHARD", required = true)]
    pub shards: Vec<PathBuf>,
    /// Skip the plots and the timeline of the run of lowest availability.
    #[arg(long)]
    pub no_plots: bool,
    /// Print the summary on stdout as one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct SlurmArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// The number of shards, one array task each (1 to 100000).
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub shards: String,
    /// The results folder; shards go to DIR/shards/K, scripts and logs to DIR/slurm/.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// The Slurm partition of both jobs [default: the cluster's].
    #[arg(long, value_name = "P")]
    pub partition: Option<String>,
    /// The time limit of each job, as Slurm writes it (30, 2:00:00, 1-12:00:00).
    #[arg(long, value_name = "T")]
    pub time: Option<String>,
    /// CPUs of each array task, which runs that many threads [default: 1].
    #[arg(long, value_name = "C", allow_negative_numbers = true)]
    pub cpus_per_task: Option<String>,
    /// Submit both jobs with sbatch and print their ids.
    #[arg(long)]
    pub submit: bool,
    /// The shards hunt (`faultline hunt --shard K/N`) rather than run, and the merge job
    /// writes the hunt's folder.
    #[arg(long)]
    pub hunt: bool,
    /// With --hunt: the run seeds per (cell, strategy), as `faultline hunt --seeds` (1 to
    /// 1000000) [default: experiment.replications].
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub seeds: Option<String>,
}

#[derive(Args, Debug)]
pub struct PlotArgs {
    /// A results folder written by `faultline run` (it holds summary.csv).
    pub dir: PathBuf,
}

#[derive(Args, Debug)]
pub struct ReplayArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// The run to replay, as in runs.csv (e.g. c0-baseline-r3).
    #[arg(long = "run", value_name = "RUN_ID")]
    pub run: String,
    /// Write the event trace here, one event per line.
    #[arg(long)]
    pub trace: Option<PathBuf>,
    /// Keep only events of these nodes in the trace (e.g. server-3, client-0, monitor).
    #[arg(long = "node", value_name = "NODE")]
    pub nodes: Vec<String>,
    /// Keep only events at or after this simulated time (e.g. 4m30s is written 270s).
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub from: Option<String>,
    /// Keep only events at or before this simulated time.
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub until: Option<String>,
    /// Keep only events of these kinds (e.g. crash, recv-request; `recv` keeps every
    /// delivery, `fault` both fault-start and fault-end).
    #[arg(long = "event", value_name = "KIND")]
    pub events: Vec<String>,
    /// Record the run's timeline into this folder: timeline.csv, timeline_spans.csv and
    /// plots/timeline.png and .svg (a results folder's timeline is replaced).
    #[arg(long, value_name = "DIR")]
    pub timeline: Option<PathBuf>,
    /// The timeline's window [default: about a two-hundredth of the run, rounded].
    #[arg(
        long,
        value_name = "DURATION",
        requires = "timeline",
        allow_hyphen_values = true
    )]
    pub window: Option<String>,
}

/// Why a command failed, and its exit code.
#[derive(Debug)]
pub enum CliError {
    /// Bad input: config, flags or paths. Exit code 2.
    Input(String),
    /// A bug or an unexpected failure. Exit code 3.
    Internal(String),
    /// Stopped by a signal (SIGINT or SIGTERM) with everything done so far kept: exit code
    /// 128 plus the signal's number, as the shell reports a process the signal ended.
    Stopped { signal: i32, message: String },
}

impl From<ConfigError> for CliError {
    fn from(e: ConfigError) -> Self {
        CliError::Input(e.to_string())
    }
}

impl CliError {
    fn code(&self) -> u8 {
        match self {
            CliError::Input(_) => 2,
            CliError::Internal(_) => 3,
            CliError::Stopped { signal, .. } => (128 + signal) as u8,
        }
    }
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CliError::Input(m) => write!(f, "{m}"),
            CliError::Internal(m) => write!(f, "internal error: {m}"),
            CliError::Stopped { message, .. } => write!(f, "{message}"),
        }
    }
}

/// An error writing an output file: a bad or unwritable path is bad input.
pub(crate) fn output_error(path: &Path, e: std::io::Error) -> CliError {
    CliError::Input(format!(
        "{}: cannot write ({})",
        path.display(),
        describe_io(&e)
    ))
}

/// What a command writes into its output folder, for [`create_output_folder`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum FolderKind {
    /// `run` and the merge of run shards.
    Run,
    /// `run --shard`.
    RunShard,
    /// `hunt --shard`.
    HuntShard,
    /// `hunt` and the merge of hunt shards.
    Hunt,
}

/// Files whose presence says which command wrote a folder: a run's tables, a hunt's
/// tables, and the manifest of a finished run or shard.
const RUN_MARKERS: [&str; 2] = ["runs.csv", "summary.csv"];
const HUNT_MARKERS: [&str; 2] = [crate::hunt::HUNT_FILE, crate::hunt::FAILURES_FILE];

/// Creates the output folder `dir` and its parents; an error names it. A folder holding
/// another command's outputs is refused rather than mixed with them (a hunt's tables
/// beside a run's, or a shard's manifest and journal beside a whole run's tables): a run
/// does not write into a hunt's folder, a hunt not into a run's, a shard not into a
/// whole run's or hunt's, and a whole hunt, which writes no manifest, not into a folder
/// with one (a run's or a shard's). Writing again into a folder of the same kind
/// replaces its files, as before.
pub(crate) fn create_output_folder(dir: &Path, kind: FolderKind) -> Result<(), CliError> {
    let holds = |name: &&&str| dir.join(name).symlink_metadata().is_ok();
    let found = match kind {
        FolderKind::Run => HUNT_MARKERS.iter().find(holds),
        FolderKind::RunShard | FolderKind::HuntShard => {
            RUN_MARKERS.iter().chain(&HUNT_MARKERS).find(holds)
        }
        FolderKind::Hunt => RUN_MARKERS
            .iter()
            .chain(&[crate::manifest::MANIFEST_FILE])
            .find(holds),
    };
    if let Some(name) = found {
        let theirs = match *name {
            crate::manifest::MANIFEST_FILE => "a finished run or shard",
            n if HUNT_MARKERS.contains(&n) => "faultline hunt",
            _ => "faultline run",
        };
        let ours = match kind {
            FolderKind::Run => "a run",
            FolderKind::RunShard | FolderKind::HuntShard => "a shard",
            FolderKind::Hunt => "a hunt",
        };
        return Err(CliError::Input(format!(
            "{}: holds the outputs of {theirs} ({name}); {ours} writes a folder of its own: \
             give another --out, or remove those files first",
            dir.display()
        )));
    }
    std::fs::create_dir_all(dir).map_err(|e| {
        CliError::Input(format!(
            "{}: cannot create the output folder ({})",
            dir.display(),
            describe_io(&e)
        ))
    })
}

/// Parses arguments, runs the command and maps errors to exit codes.
pub fn main() -> ExitCode {
    // A closed stdout (`faultline run ... | head`) ends the process quietly, as for any
    // Unix tool, rather than making the next print panic; `run` commits its files and
    // keeps its journal as runs.journal before it reports on stdout, so they are complete.
    // SAFETY: restoring a signal's default disposition before any thread is started.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match execute(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e @ CliError::Stopped { .. }) => {
            eprintln!("{e}");
            ExitCode::from(e.code())
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.code())
        }
    }
}

/// Runs a parsed command; returns the exit code on success (0, or 1 for failed checks).
pub fn execute(cli: Cli) -> Result<u8, CliError> {
    match cli.command {
        Command::Run(args) => crate::run::cmd_run(args),
        Command::Replay(args) => crate::replay::cmd_replay(args),
        Command::Hunt(args) => crate::hunt::cmd_hunt(args),
        Command::Check(args) => cmd_check(args),
        Command::Shrink(args) => crate::shrink::cmd_shrink(args),
        Command::Merge(args) => crate::merge::cmd_merge(args),
        Command::Slurm(args) => crate::slurm::cmd_slurm(args),
        Command::Plot(args) => crate::plot::cmd_plot(args),
        Command::Report(args) => crate::report_html::cmd_report(args),
        Command::Strategies(args) => {
            if args.json {
                println!("{}", strategies_json());
            } else {
                print!("{}", strategies_listing());
            }
            Ok(0)
        }
        Command::Faults(args) => {
            if args.json {
                println!("{}", crate::fault_kinds::faults_json());
            } else {
                print!("{}", crate::fault_kinds::faults_listing());
            }
            Ok(0)
        }
        Command::Validate(args) => crate::validate::cmd_validate(args),
    }
}

/// The most worker threads a command may use: each holds a stack and a window of results
/// (see [`crate::runner::max_buffered`]), and more threads than cores only add waiting.
pub const MAX_THREADS: u64 = 1024;

/// The value of an integer flag, which must lie in `min..=max`; an error names the flag,
/// the range and what was given (negative numbers reach here rather than being taken for
/// flags).
pub fn integer_flag(flag: &str, text: &str, min: u64, max: u64) -> Result<u64, CliError> {
    let refuse = |got: String| {
        CliError::Input(format!(
            "{flag}: expected an integer from {min} to {max}, got {got}"
        ))
    };
    match text.trim().parse::<i128>() {
        Ok(n) if (i128::from(min)..=i128::from(max)).contains(&n) => Ok(n as u64),
        Ok(n) => Err(refuse(n.to_string())),
        Err(_) => Err(refuse(format!("`{text}`"))),
    }
}

/// Loads the config of a command with its overrides.
pub(crate) fn load(args: &ConfigArgs) -> Result<Experiment, CliError> {
    let mut overrides = Overrides::from_set_args(&args.set)?;
    if let Some(text) = &args.seed {
        overrides.seed = Some(integer_flag("--seed", text, 0, u64::MAX)?);
    }
    if let Some(text) = &args.replications {
        let max = u64::from(crate::config::MAX_REPLICATIONS);
        overrides.replications = Some(integer_flag("--replications", text, 1, max)? as u32);
    }
    Ok(Experiment::load(&args.config, &overrides)?)
}

/// The environment variables that set the default thread count, first one set first.
pub const THREADS_ENV: [&str; 2] = ["FAULTLINE_THREADS", "RAYON_NUM_THREADS"];

/// The worker threads of a command: `--threads N`, else the first of [`THREADS_ENV`] that
/// is set (each 1 to [`MAX_THREADS`]; a bad value is an error naming the variable), else
/// every core.
pub(crate) fn threads(arg: Option<usize>) -> Result<usize, CliError> {
    if let Some(n) = arg {
        return Ok(integer_flag("--threads", &n.to_string(), 1, MAX_THREADS)? as usize);
    }
    for name in THREADS_ENV {
        if let Some(value) = std::env::var_os(name) {
            let text = value.to_string_lossy();
            return Ok(integer_flag(name, &text, 1, MAX_THREADS)? as usize);
        }
    }
    Ok(std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1))
}

/// [`threads`] from the text of `--threads`.
pub(crate) fn threads_flag(arg: Option<&str>) -> Result<usize, CliError> {
    let n = arg
        .map(|text| integer_flag("--threads", text, 1, MAX_THREADS))
        .transpose()?;
    threads(n.map(|n| n as usize))
}

fn cmd_check(args: CheckArgs) -> Result<u8, CliError> {
    let exp = load(&args.config)?;
    if args.json {
        println!("{}", plan_json(&exp, &args.config.config));
    } else {
        print!("{}", plan(&exp, &args.config.config));
    }
    Ok(0)
}

/// The families of a strategy beyond detector, routing and retry, with their kinds
/// described as in the config.
fn guard_families(s: &sim_core::StrategySet) -> [(&'static str, String); 6] {
    let d = &s.durability;
    [
        ("retry_budget", s.retry_budget.describe()),
        ("circuit_breaker", s.circuit_breaker.describe()),
        ("checkpoint", d.checkpoint.describe()),
        ("replication", d.replication.describe()),
        ("ordering", d.ordering.describe()),
        ("backup", d.backup.describe()),
    ]
}

/// The values of a cell by sweep key, as in runs.csv.
pub(crate) fn cell_values_json(exp: &Experiment, cell: usize) -> serde_json::Value {
    let mut values = serde_json::Map::new();
    for (axis, value) in exp.sweep.iter().zip(&exp.cells[cell].values) {
        values.insert(axis.key.clone(), value.to_cell_text().into());
    }
    values.into()
}

/// [`plan`] as JSON: every family of every strategy (of cell 0), defaults included.
pub fn plan_json(exp: &Experiment, config: &Path) -> serde_json::Value {
    use serde_json::json;
    let first = &exp.cells[0].scenario;
    let cells: Vec<_> = exp
        .cells
        .iter()
        .map(|c| json!({ "cell": c.index, "values": cell_values_json(exp, c.index as usize) }))
        .collect();
    let strategies: Vec<_> = exp.cells[0]
        .strategies
        .iter()
        .map(|s| {
            let mut o = serde_json::Map::new();
            o.insert("name".into(), s.name.clone().into());
            o.insert("detector".into(), s.detector.describe().into());
            o.insert("routing".into(), s.routing.describe().into());
            o.insert("retry".into(), s.retry.describe().into());
            for (family, described) in guard_families(s) {
                o.insert(family.into(), described.into());
            }
            serde_json::Value::Object(o)
        })
        .collect();
    json!({
        "config": config.display().to_string(),
        "experiment": exp.name,
        "seed": exp.seed,
        "replications": exp.replications,
        "duration": first.duration.to_string(),
        "warmup": first.warmup.to_string(),
        "sweep": exp.sweep.iter().map(|a| a.key.clone()).collect::<Vec<_>>(),
        "cells": cells,
        "strategies": strategies,
        "strategies_swept": exp.sweep.iter().any(|a| a.key.starts_with("strategies.")),
        "checks": exp.checks.list.iter().map(|c| c.to_string()).collect::<Vec<_>>(),
        "runs": exp.total_runs(),
        "first_run_id": exp.run_id(exp.run_key(0)),
        "out": Path::new("results").join(&exp.name).display().to_string(),
    })
}

/// The retry budget, circuit breaker and durability families of a strategy, when they are
/// not the defaults.
fn retry_guards(s: &sim_core::StrategySet) -> String {
    let none = "{ kind = \"none\" }";
    let d = &s.durability;
    let mut text = String::new();
    for (family, described, default) in [
        ("retry_budget", s.retry_budget.describe(), none),
        ("circuit_breaker", s.circuit_breaker.describe(), none),
        ("checkpoint", d.checkpoint.describe(), none),
        ("replication", d.replication.describe(), none),
        ("ordering", d.ordering.describe(), "{ kind = \"arrival\" }"),
        ("backup", d.backup.describe(), none),
    ] {
        if described != default {
            text.push_str(&format!(", {family} {described}"));
        }
    }
    text
}

/// What `faultline run` would do with a config: `faultline check` prints it.
pub fn plan(exp: &Experiment, config: &Path) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let first = &exp.cells[0].scenario;
    let _ = writeln!(out, "{}: ok", config.display());
    let _ = writeln!(
        out,
        "experiment {}: master seed {}, {} replication{}, duration {}, warmup {}",
        exp.name,
        exp.seed,
        exp.replications,
        if exp.replications == 1 { "" } else { "s" },
        first.duration,
        first.warmup
    );
    if exp.sweep.is_empty() {
        let _ = writeln!(out, "sweep: none, one cell");
    } else {
        let keys: Vec<&str> = exp.sweep.iter().map(|a| a.key.as_str()).collect();
        let _ = writeln!(
            out,
            "sweep: {} ({} cells)",
            keys.join(" x "),
            exp.cells.len()
        );
        for cell in &exp.cells {
            let values: Vec<String> = exp
                .sweep
                .iter()
                .zip(&cell.values)
                .map(|(a, v)| format!("{} = {}", a.key, v.to_config_text()))
                .collect();
            let _ = writeln!(out, "  c{}  {}", cell.index, values.join(", "));
        }
    }
    let swept_strategies = exp.sweep.iter().any(|a| a.key.starts_with("strategies."));
    let _ = writeln!(
        out,
        "strategies (each on the same seeds{}):",
        if swept_strategies {
            "; as in cell 0"
        } else {
            ""
        }
    );
    for s in &exp.cells[0].strategies {
        let _ = writeln!(
            out,
            "  {}: detector {}, routing {}, retry {}{}",
            s.name,
            s.detector.describe(),
            s.routing.describe(),
            s.retry.describe(),
            retry_guards(s)
        );
    }
    if exp.checks.is_empty() {
        let _ = writeln!(out, "checks: none");
    } else {
        let checks: Vec<String> = exp.checks.list.iter().map(|c| c.to_string()).collect();
        let _ = writeln!(out, "checks: {}", checks.join(", "));
    }
    if let Some(swarm) = &exp.swarm {
        let _ = writeln!(
            out,
            "swarm, drawn per seed: {}",
            swarm.describe().join(", ")
        );
    }
    let _ = writeln!(
        out,
        "runs: {} cell{} x {} strateg{} x {} replication{} = {} runs, ids c<cell>-<strategy>-r<replication> (first {}), output to {}",
        exp.cells.len(),
        if exp.cells.len() == 1 { "" } else { "s" },
        exp.strategy_names.len(),
        if exp.strategy_names.len() == 1 {
            "y"
        } else {
            "ies"
        },
        exp.replications,
        if exp.replications == 1 { "" } else { "s" },
        exp.total_runs(),
        exp.run_id(exp.run_key(0)),
        Path::new("results").join(&exp.name).display()
    );
    out
}

/// The `faultline strategies` listing as JSON: each family with its default kind, each
/// kind with its parameters (a required one has `default` null).
pub fn strategies_json() -> serde_json::Value {
    use serde_json::json;
    use strategies::{Family, KINDS};
    let families: Vec<_> = Family::ALL
        .into_iter()
        .map(|family| {
            let kinds: Vec<_> = KINDS
                .iter()
                .filter(|k| k.family == family)
                .map(|kind| {
                    let params: Vec<_> = kind
                        .params()
                        .map(|p| json!({ "name": p.name, "default": p.default_text(), "help": p.doc }))
                        .collect();
                    json!({ "name": kind.name, "summary": kind.summary, "params": params })
                })
                .collect();
            json!({
                "family": family.key(),
                "default_kind": family.default_kind(),
                "kinds": kinds,
            })
        })
        .collect();
    json!({ "families": families })
}

/// The `faultline strategies` listing.
pub fn strategies_listing() -> String {
    use strategies::{Family, KINDS};
    let mut out = String::new();
    let width = KINDS
        .iter()
        .flat_map(|k| k.params())
        .map(|p| p.name.len())
        .max()
        .unwrap_or(0)
        .max(18);
    for family in Family::ALL {
        out.push_str(&format!(
            "[{}]  (default kind: {})\n",
            family.key(),
            family.default_kind()
        ));
        for kind in KINDS.iter().filter(|k| k.family == family) {
            out.push_str(&format!("  {:<22} {}\n", kind.name, kind.summary));
            for p in kind.params() {
                let default = p.default_text().unwrap_or_else(|| "required".into());
                out.push_str(&format!(
                    "      {:<width$} {:<12} {}\n",
                    p.name, default, p.doc
                ));
            }
        }
        out.push('\n');
    }
    out.push_str("Fault kinds for [[faults.scripted]]: `faultline faults`.\n");
    out
}
