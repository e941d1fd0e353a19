//! The `faultline` command line.
//!
//! Exit codes: 0 success; 1 the run finished but a `[checks]` threshold failed; 2 bad
//! input (config, flags, paths); 3 an internal error. Every input error names the file,
//! the dotted key and the line where known, and what was expected.

use crate::config::{Experiment, Overrides, RunKey};
use crate::load::describe_io;
use crate::output::AtomicFile;
use crate::runner;
use crate::runs_csv::RunsCsv;
use clap::{Args, Parser, Subcommand};
use sim_core::conf::ConfigError;
use sim_core::trace::TraceFilter;
use sim_core::{RunReport, SimDuration, SimTime};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

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
    /// Validate a config without running it.
    Check(ConfigArgs),
    /// List every strategy kind with its parameters and defaults.
    Strategies,
}

#[derive(Args, Debug, Clone)]
pub struct ConfigArgs {
    /// The experiment config (TOML).
    pub config: PathBuf,
    /// Override a config value by its dotted path, e.g. --set workload.arrivals.rate=800.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Override experiment.seed, the master seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Override experiment.replications, the runs per (cell, strategy).
    #[arg(long)]
    pub replications: Option<u32>,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Output folder [default: results/<experiment.name>/].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Worker threads [default: all cores].
    #[arg(long)]
    pub threads: Option<usize>,
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
    #[arg(long, value_name = "TIME")]
    pub from: Option<String>,
    /// Keep only events at or before this simulated time.
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
}

/// Why a command failed, and its exit code.
#[derive(Debug)]
pub enum CliError {
    /// Bad input: config, flags or paths. Exit code 2.
    Input(String),
    /// A bug or an unexpected failure. Exit code 3.
    Internal(String),
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
        }
    }
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CliError::Input(m) => write!(f, "{m}"),
            CliError::Internal(m) => write!(f, "internal error: {m}"),
        }
    }
}

/// An error writing an output file: a bad or unwritable path is bad input.
fn output_error(path: &Path, e: std::io::Error) -> CliError {
    CliError::Input(format!(
        "{}: cannot write ({})",
        path.display(),
        describe_io(&e)
    ))
}

/// Parses arguments, runs the command and maps errors to exit codes.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match execute(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.code())
        }
    }
}

/// Runs a parsed command; returns the exit code on success (0, or 1 for failed checks).
pub fn execute(cli: Cli) -> Result<u8, CliError> {
    match cli.command {
        Command::Run(args) => cmd_run(args),
        Command::Replay(args) => cmd_replay(args),
        Command::Check(args) => cmd_check(args),
        Command::Strategies => {
            print!("{}", strategies_listing());
            Ok(0)
        }
    }
}

fn load(args: &ConfigArgs) -> Result<Experiment, CliError> {
    let mut overrides = Overrides::from_set_args(&args.set)?;
    overrides.seed = args.seed;
    overrides.replications = args.replications;
    if args.replications == Some(0) {
        return Err(CliError::Input(
            "--replications: expected an integer of at least 1, got 0".into(),
        ));
    }
    Ok(Experiment::load(&args.config, &overrides)?)
}

fn cmd_check(args: ConfigArgs) -> Result<u8, CliError> {
    let exp = load(&args)?;
    println!(
        "{}: ok: {} cell(s) x {} strateg{} ({}) x {} replication(s) = {} runs",
        args.config.display(),
        exp.cells.len(),
        exp.strategy_names.len(),
        if exp.strategy_names.len() == 1 {
            "y"
        } else {
            "ies"
        },
        exp.strategy_names.join(", "),
        exp.replications,
        exp.total_runs()
    );
    Ok(0)
}

fn cmd_run(args: RunArgs) -> Result<u8, CliError> {
    let exp = load(&args.config)?;
    let threads = match args.threads {
        Some(0) => {
            return Err(CliError::Input(
                "--threads: expected an integer of at least 1, got 0".into(),
            ));
        }
        Some(n) => n,
        None => std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
    };
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("results").join(&exp.name));
    std::fs::create_dir_all(&out).map_err(|e| {
        CliError::Input(format!(
            "{}: cannot create the output folder ({})",
            out.display(),
            describe_io(&e)
        ))
    })?;

    let runs_path = out.join("runs.csv");
    let failures_path = out.join("failures.csv");
    let mut runs = RunsCsv::create(&runs_path, &exp).map_err(|e| output_error(&runs_path, e))?;
    let mut failures =
        FailuresCsv::create(&failures_path).map_err(|e| output_error(&failures_path, e))?;

    let keys: Vec<RunKey> = exp.runs().collect();
    let started = Instant::now();
    let mut events: u64 = 0;
    let mut failed_runs: u64 = 0;
    let mut availability = Vec::with_capacity(exp.strategy_names.len());
    availability.resize(exp.strategy_names.len(), (0.0f64, 0u64));
    runner::run_keys(
        &exp,
        &keys,
        threads,
        |key, result| -> Result<(), CliError> {
            let report = &result.report;
            events += report.events;
            if let Some(a) = report.availability {
                let slot = &mut availability[key.strategy as usize];
                slot.0 += a;
                slot.1 += 1;
            }
            runs.write(&exp, key, report)
                .map_err(|e| output_error(&runs_path, e))?;
            let violations = exp.checks.violations(report);
            if !violations.is_empty() {
                failed_runs += 1;
                failures
                    .write(&exp, key, report, &violations)
                    .map_err(|e| output_error(&failures_path, e))?;
            }
            Ok(())
        },
    )?;
    runs.commit().map_err(|e| output_error(&runs_path, e))?;
    failures
        .commit()
        .map_err(|e| output_error(&failures_path, e))?;
    let wall = started.elapsed().as_secs_f64();

    println!(
        "{}: {} runs written to {}",
        exp.name,
        keys.len(),
        runs_path.display()
    );
    for (name, (sum, n)) in exp.strategy_names.iter().zip(&availability) {
        if *n > 0 {
            println!(
                "  {name}: mean availability {:.6} over {n} runs",
                sum / *n as f64
            );
        }
    }
    if !exp.checks.is_empty() {
        println!(
            "  checks: {failed_runs} of {} runs failed (see {})",
            keys.len(),
            failures_path.display()
        );
    }
    println!(
        "  wall time {:.2} s on {threads} thread(s), {:.0} runs/s, {:.2} million events/s",
        wall,
        keys.len() as f64 / wall.max(1e-9),
        events as f64 / wall.max(1e-9) / 1e6
    );
    Ok(if failed_runs > 0 { 1 } else { 0 })
}

/// failures.csv: each run that broke a check, what it broke, and how to replay it.
struct FailuresCsv {
    writer: csv::Writer<AtomicFile>,
}

impl FailuresCsv {
    fn create(path: &Path) -> std::io::Result<FailuresCsv> {
        let mut writer = csv::Writer::from_writer(AtomicFile::create(path)?);
        writer.write_record([
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
        ])?;
        Ok(FailuresCsv { writer })
    }

    fn write(
        &mut self,
        exp: &Experiment,
        key: RunKey,
        report: &RunReport,
        violations: &[(String, f64, f64)],
    ) -> std::io::Result<()> {
        for (check, value, threshold) in violations {
            self.writer.write_record([
                exp.run_id(key),
                key.cell.to_string(),
                exp.strategy_names[key.strategy as usize].clone(),
                key.replication.to_string(),
                exp.run_seed(key).to_string(),
                check.clone(),
                sim_core::report::format_real(*value),
                sim_core::report::format_real(*threshold),
                format!("{:016x}", report.trace_hash),
                exp.replay_command(key),
            ])?;
        }
        Ok(())
    }

    fn commit(self) -> std::io::Result<()> {
        self.writer
            .into_inner()
            .map_err(|e| e.into_error())?
            .commit()
    }
}

fn parse_time_flag(flag: &str, text: &Option<String>) -> Result<Option<SimTime>, CliError> {
    match text {
        None => Ok(None),
        Some(t) => SimDuration::parse(t)
            .map(|d| Some(SimTime::ZERO + d))
            .map_err(|e| CliError::Input(format!("--{flag}: {e}"))),
    }
}

fn cmd_replay(args: ReplayArgs) -> Result<u8, CliError> {
    let exp = load(&args.config)?;
    let key = exp.find_run(&args.run).ok_or_else(|| {
        CliError::Input(format!(
            "--run {}: no such run in {}; run ids look like c<cell>-<strategy>-r<replication>, here cells 0 to {}, strategies {}, replications 0 to {}",
            args.run,
            args.config.config.display(),
            exp.cells.len() - 1,
            exp.strategy_names.join(", "),
            exp.replications - 1
        ))
    })?;
    let filter = TraceFilter {
        nodes: args.nodes.clone(),
        from: parse_time_flag("from", &args.from)?,
        until: parse_time_flag("until", &args.until)?,
    };
    let cell = exp.cell(key);
    let strategy = exp.strategy(key);
    let seed = exp.run_seed(key);
    let result = match &args.trace {
        None => runner::run_one(&exp, key),
        Some(path) => {
            let mut file = AtomicFile::create(path).map_err(|e| output_error(path, e))?;
            writeln!(
                file,
                "# faultline trace of run {} (seed {seed}) from {}\n# columns: time node event details",
                exp.run_id(key),
                args.config.config.display()
            )
            .map_err(|e| output_error(path, e))?;
            let result =
                sim_core::simulate_traced(&cell.scenario, strategy, seed, &mut file, filter)
                    .map_err(|e| output_error(path, e))?;
            file.commit().map_err(|e| output_error(path, e))?;
            result
        }
    };
    let r = &result.report;
    println!(
        "run {} (cell {}, strategy {}, replication {}, seed {seed})",
        exp.run_id(key),
        key.cell,
        strategy.name,
        key.replication
    );
    for (axis, value) in exp.sweep.iter().zip(&cell.values) {
        println!("  {} = {}", axis.key, value.to_config_text());
    }
    for (name, cell) in r.columns() {
        if name != "trace_hash" {
            println!("  {name:<26} {cell}");
        }
    }
    println!("trace_hash {:016x}", r.trace_hash);
    if let Some(path) = &args.trace {
        println!("trace written to {}", path.display());
    }
    let violations = exp.checks.violations(r);
    for (check, value, threshold) in &violations {
        println!(
            "check failed: {check}: {} against {}",
            sim_core::report::format_real(*value),
            sim_core::report::format_real(*threshold)
        );
    }
    Ok(if violations.is_empty() { 0 } else { 1 })
}

/// The `faultline strategies` listing.
pub fn strategies_listing() -> String {
    use strategies::{Family, KINDS};
    let mut out = String::new();
    let width = KINDS
        .iter()
        .flat_map(|k| (k.params)())
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
            for p in (kind.params)() {
                let default = p.default.clone().unwrap_or_else(|| "required".into());
                out.push_str(&format!(
                    "      {:<width$} {:<12} {}\n",
                    p.name, default, p.help
                ));
            }
        }
        out.push('\n');
    }
    out
}
