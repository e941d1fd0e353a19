//! `faultline shrink DIR --run ID`: the smallest config that still fails the way run ID of
//! a results folder failed, as property-based testers shrink a failing input.
//!
//! A run is a pure function of its config and seed, so its failure can be cut down like
//! any failing input. The run's own config ([`run_config`]: its cell, its strategy, one
//! replication, its seed fixed by `experiment.run_seed`) first has its random crashes
//! (the `faults.crash` process, as the run's timeline recorded them) written out as
//! scripted crashes, and must still fail. Then delta debugging removes faults (ddmin,
//! Zeller and Hildebrandt 2002), and searches shorten the run, each fault's length and
//! lower the servers, clients and arrival rate, each step kept only if the candidate still
//! fails the same way: it breaks the same set of checks (from [`Checks::violations`]), or,
//! with `--check NAME`, at least that one. The result is verified one-minimal (removing
//! any one fault left makes the run stop failing that way) and written atomically.
//!
//! Every step tries its candidates together on a thread pool and keeps the first in a
//! fixed order that still fails, so the minimal config is the same byte for byte at any
//! thread count. On a terminal one spinner line on stderr follows the whole shrink: the
//! phase under way and the candidate runs tried so far.
//!
//! [`Checks::violations`]: crate::checks::Checks::violations

use crate::cli::{CliError, output_error};
use crate::config::{Experiment, Overrides, RunKey, shell_quote};
use crate::load::{Document, get_path, set_path};
use crate::manifest::{resolved_tree, table_lines, tree_text};
use crate::progress::Activity;
use crate::replay::{find_run, violations_of};
use rayon::prelude::*;
use sim_core::SimDuration;
use sim_core::config::scenario::ArrivalSpec;
use sim_core::config::{Table, Value, ValueKind};
use sim_core::report::format_real;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The default output file, in the results folder.
pub const MINIMAL_FILE: &str = "minimal.toml";

/// How every minimal config starts: an existing `--out` is replaced only when it starts so
/// (a file this command wrote), never a file of the user's.
pub const HEADER: &str = "# The minimal config of run ";

/// Probes per round of a numeric search: the values tried side by side.
const PROBES: u64 = 4;

/// The most rounds of ddmin, searches and the one-minimality check.
const MAX_PASSES: usize = 6;

#[derive(clap::Args, Debug)]
pub struct ShrinkArgs {
    /// A results folder written by `faultline run` (it holds config.toml).
    pub dir: PathBuf,
    /// The failing run to shrink, as in failures.csv (e.g. c0-quorum-r3).
    #[arg(long = "run", value_name = "RUN_ID")]
    pub run: String,
    /// Where to write the minimal config [default: DIR/minimal.toml]; an existing file is
    /// replaced only if faultline shrink wrote it.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// The one check the minimal config must break [default: the same set of checks the
    /// run broke].
    #[arg(long, value_name = "NAME")]
    pub check: Option<String>,
    /// Worker threads, 1 to 1024 [default: FAULTLINE_THREADS, else RAYON_NUM_THREADS, else
    /// all cores].
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub threads: Option<String>,
}

/// One run of a results folder as a config of its own: the folder's config with the run's
/// sweep cell applied, no `[sweep]`, only the run's strategy, one replication, and
/// `experiment.run_seed` set to the run's seed, so that its single run is the run.
pub struct RunConfig {
    pub doc: Document,
    /// The run's id in the folder, and its seed.
    pub run_id: String,
    pub seed: u64,
    /// The folder's config (its config.toml).
    pub config: PathBuf,
}

/// The effective config document and seed of run `run_id` of the results folder `dir`:
/// the one place that reads a run's config out of a folder.
pub fn run_config(dir: &Path, run_id: &str) -> Result<RunConfig, CliError> {
    if !dir.is_dir() {
        return Err(CliError::Input(format!(
            "{}: not a folder; expected a results folder written by faultline run",
            dir.display()
        )));
    }
    let config = crate::manifest::config_of(dir)?;
    let exp = Experiment::load(&config, &Overrides::default())?;
    crate::manifest::check_folder(&config, &exp)?;
    let key = find_run(&exp, run_id, &config)?;
    let seed = exp.run_seed(key);
    // A hunted run's config is the one its seed draws from `[swarm]`.
    let (exp, _) = exp.run_experiment(key)?;
    let mut root = resolved_tree(&exp);
    for (axis, value) in exp.sweep.iter().zip(&exp.cell(key).values) {
        set_path(&mut root, &axis.key, value.clone()).map_err(CliError::Internal)?;
    }
    root.remove("sweep");
    let strategy = &exp.strategy_names[key.strategy as usize];
    if let Some(Value {
        kind: ValueKind::Table(strategies),
        ..
    }) = root.get_mut("strategies")
    {
        strategies.retain(|name, _| name == strategy);
    }
    let experiment = table_mut(&mut root, "experiment");
    experiment.remove("seed");
    experiment.insert("replications".into(), int(1));
    let seed_value = match i64::try_from(seed) {
        Ok(s) => ValueKind::Int(s),
        Err(_) => ValueKind::Str(seed.to_string()),
    };
    experiment.insert("run_seed".into(), Value::new(seed_value, None));
    Ok(RunConfig {
        doc: Document {
            root,
            source: exp.source.clone(),
        },
        run_id: run_id.to_string(),
        seed,
        config,
    })
}

fn int(i: i64) -> Value {
    Value::new(ValueKind::Int(i), None)
}

fn text(s: String) -> Value {
    Value::new(ValueKind::Str(s), None)
}

/// The table at top-level `key`, made if missing.
fn table_mut<'a>(root: &'a mut Table, key: &str) -> &'a mut Table {
    let entry = root
        .entry(key.to_string())
        .or_insert_with(|| Value::new(ValueKind::Table(Table::new()), None));
    if !matches!(entry.kind, ValueKind::Table(_)) {
        entry.kind = ValueKind::Table(Table::new());
    }
    match &mut entry.kind {
        ValueKind::Table(t) => t,
        _ => unreachable!("made a table above"),
    }
}

/// What "fails the same way" means.
#[derive(Clone, Debug)]
enum Target {
    /// Breaks exactly these checks.
    Signature(BTreeSet<String>),
    /// Breaks at least this check.
    Check(String),
}

impl Target {
    fn holds(&self, broken: &BTreeSet<String>) -> bool {
        match self {
            Target::Signature(s) => s == broken,
            Target::Check(c) => broken.contains(c),
        }
    }

    fn describe(&self) -> String {
        match self {
            Target::Signature(s) => format!(
                "breaking exactly {}",
                s.iter().cloned().collect::<Vec<_>>().join(", ")
            ),
            Target::Check(c) => format!("breaking {c}"),
        }
    }
}

/// The parts of a config that shrinking changes; the rest stays as the run had it.
#[derive(Clone, Debug, PartialEq)]
struct Candidate {
    /// The `[[faults.scripted]]` entries, in order.
    faults: Vec<Table>,
    duration: SimDuration,
    servers: u32,
    /// `workload.arrivals.clients`, when the workload has clients.
    clients: Option<u32>,
    /// `workload.arrivals.rate`, for Poisson arrivals.
    rate: Option<f64>,
}

/// What running a candidate gave: the checks it broke and its trace hash, or why its
/// config is not valid (a candidate that cannot run does not fail the same way).
#[derive(Clone, Debug)]
enum Outcome {
    Ran {
        broken: BTreeSet<String>,
        trace_hash: u64,
    },
    Invalid,
}

struct Shrinker {
    /// The run's config without its faults.
    base: Table,
    source: sim_core::config::Source,
    config_path: String,
    target: Target,
    warmup: SimDuration,
    pool: rayon::ThreadPool,
    tried: u64,
    /// The one progress line of the whole shrink.
    progress: Activity,
}

impl Shrinker {
    fn document(&self, c: &Candidate) -> Table {
        let mut root = self.base.clone();
        let set = |root: &mut Table, key: &str, value: Value| {
            set_path(root, key, value).expect("the run's config has these tables");
        };
        set(
            &mut root,
            "experiment.duration",
            text(c.duration.to_string()),
        );
        set(&mut root, "cluster.servers", int(i64::from(c.servers)));
        if let Some(n) = c.clients {
            set(&mut root, "workload.arrivals.clients", int(i64::from(n)));
        }
        if let Some(rate) = c.rate {
            set(
                &mut root,
                "workload.arrivals.rate",
                Value::new(ValueKind::Float(rate), None),
            );
        }
        if !c.faults.is_empty() {
            let entries = c
                .faults
                .iter()
                .map(|t| Value::new(ValueKind::Table(t.clone()), None))
                .collect();
            set(
                &mut root,
                "faults.scripted",
                Value::new(ValueKind::Array(entries), None),
            );
        }
        root
    }

    fn experiment(&self, c: &Candidate) -> Result<Experiment, sim_core::config::ConfigError> {
        let doc = Document {
            root: self.document(c),
            source: self.source.clone(),
        };
        Experiment::from_document(doc, self.config_path.clone(), Overrides::default())
    }

    fn run(&self, c: &Candidate) -> Outcome {
        let Ok(exp) = self.experiment(c) else {
            return Outcome::Invalid;
        };
        let key = RunKey {
            cell: 0,
            strategy: 0,
            replication: 0,
        };
        let result = crate::runner::run_one(&exp, key);
        Outcome::Ran {
            broken: violations_of(&exp, &result.report)
                .into_iter()
                .map(|v| v.check)
                .collect(),
            trace_hash: result.report.trace_hash,
        }
    }

    fn fails(&self, outcome: &Outcome) -> bool {
        matches!(outcome, Outcome::Ran { broken, .. } if self.target.holds(broken))
    }

    /// Runs every candidate on the pool, in order, counting them on the progress line.
    fn try_all(&mut self, candidates: &[Candidate]) -> Vec<Outcome> {
        let chunk = self.pool.current_num_threads().max(1);
        let mut outcomes = Vec::with_capacity(candidates.len());
        for part in candidates.chunks(chunk) {
            let this = &*self;
            let done: Vec<Outcome> = self
                .pool
                .install(|| part.par_iter().map(|c| this.run(c)).collect());
            self.progress.inc(part.len() as u64);
            outcomes.extend(done);
        }
        self.tried += candidates.len() as u64;
        outcomes
    }

    /// The first candidate, in order, that still fails the same way.
    fn first_failing(&mut self, candidates: Vec<Candidate>) -> Option<Candidate> {
        let outcomes = self.try_all(&candidates);
        candidates
            .into_iter()
            .zip(outcomes)
            .find(|(_, o)| self.fails(o))
            .map(|(c, _)| c)
    }

    /// Delta debugging (ddmin) of the faults: the subsets of each granularity and their
    /// complements are tried side by side; the first failing one (subsets first) is kept.
    fn ddmin(&mut self, mut current: Candidate) -> Candidate {
        let without_all = Candidate {
            faults: Vec::new(),
            ..current.clone()
        };
        if !current.faults.is_empty()
            && let Some(c) = self.first_failing(vec![without_all])
        {
            return c;
        }
        let mut n = 2usize;
        while current.faults.len() >= 2 {
            let len = current.faults.len();
            let n_now = n.min(len);
            let bounds: Vec<(usize, usize)> = (0..n_now)
                .map(|i| (i * len / n_now, (i + 1) * len / n_now))
                .collect();
            let with = |keep: &dyn Fn(usize) -> bool| Candidate {
                faults: (0..len)
                    .filter(|&i| keep(i))
                    .map(|i| current.faults[i].clone())
                    .collect(),
                ..current.clone()
            };
            let mut candidates: Vec<Candidate> = bounds
                .iter()
                .map(|&(a, b)| with(&|i| (a..b).contains(&i)))
                .collect();
            if n_now > 2 {
                candidates.extend(bounds.iter().map(|&(a, b)| with(&|i| !(a..b).contains(&i))));
            }
            let subsets = n_now;
            let outcomes = self.try_all(&candidates);
            match outcomes.iter().position(|o| self.fails(o)) {
                Some(i) if i < subsets => {
                    current = candidates.swap_remove(i);
                    n = 2;
                }
                Some(i) => {
                    current = candidates.swap_remove(i);
                    n = (n_now - 1).max(2);
                }
                None if n_now >= len => break,
                None => n = (2 * n_now).min(len),
            }
        }
        current
    }

    /// The smallest value in `lo..=hi` for which `make` still fails, assuming `hi` does:
    /// [`PROBES`] values evenly spread below `hi` are tried side by side each round, and
    /// the range closes on the smallest that fails until it is one value wide.
    fn search(&mut self, mut lo: u64, mut hi: u64, make: &dyn Fn(u64) -> Candidate) -> u64 {
        while lo < hi {
            let mut probes: Vec<u64> = (0..PROBES).map(|i| lo + (hi - lo) * i / PROBES).collect();
            probes.dedup();
            let candidates: Vec<Candidate> = probes.iter().map(|&v| make(v)).collect();
            let outcomes = self.try_all(&candidates);
            match outcomes.iter().position(|o| self.fails(o)) {
                Some(0) => return probes[0],
                Some(i) => {
                    lo = probes[i - 1] + 1;
                    hi = probes[i];
                }
                None => lo = probes[probes.len() - 1] + 1,
            }
        }
        hi
    }

    /// Shortens the run (keeping the warm-up and every fault's start inside it), then each
    /// fault's length, then lowers servers, clients and rate: each kept only while the
    /// run still fails.
    fn shrink_numbers(&mut self, mut c: Candidate) -> Candidate {
        const MS: u64 = 1_000_000;
        // The run must outlast its warm-up and start every fault.
        let last_start = c
            .faults
            .iter()
            .filter_map(|f| duration_at(f, "at"))
            .max()
            .unwrap_or(SimDuration::ZERO);
        let floor_ms = last_start.max(self.warmup).0 / MS + 1;
        let now_ms = c.duration.0 / MS;
        if now_ms > floor_ms {
            self.progress.phase("shortening the run");
            let base = c.clone();
            let ms = self.search(floor_ms, now_ms, &|v| Candidate {
                duration: SimDuration(v * MS),
                ..base.clone()
            });
            if ms < now_ms {
                c.duration = SimDuration(ms * MS);
            }
        }
        for i in 0..c.faults.len() {
            let Some(at) = duration_at(&c.faults[i], "at") else {
                continue;
            };
            let length = duration_at(&c.faults[i], "for")
                .unwrap_or(SimDuration(c.duration.0.saturating_sub(at.0)));
            let now_ms = length.0 / MS;
            if now_ms <= 1 {
                continue;
            }
            self.progress.phase(format!("shortening fault {i}"));
            let base = c.clone();
            let ms = self.search(1, now_ms, &|v| with_length(&base, i, SimDuration(v * MS)));
            if ms < now_ms {
                c = with_length(&c, i, SimDuration(ms * MS));
            }
        }
        self.progress.phase("lowering the servers");
        let base = c.clone();
        c.servers = self.search(1, u64::from(c.servers), &|v| Candidate {
            servers: v as u32,
            ..base.clone()
        }) as u32;
        if let Some(n) = c.clients {
            self.progress.phase("lowering the clients");
            let base = c.clone();
            c.clients = Some(self.search(1, u64::from(n), &|v| Candidate {
                clients: Some(v as u32),
                ..base.clone()
            }) as u32);
        }
        if let Some(rate) = c.rate
            && rate >= 2.0
        {
            self.progress.phase("lowering the arrival rate");
            let base = c.clone();
            let whole = rate.floor() as u64;
            let v = self.search(1, whole, &|v| Candidate {
                rate: Some(v as f64),
                ..base.clone()
            });
            if v < whole {
                c.rate = Some(v as f64);
            }
        }
        c
    }
}

/// `n` and the noun, singular or plural.
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn duration_at(fault: &Table, key: &str) -> Option<SimDuration> {
    match &fault.get(key)?.kind {
        ValueKind::Str(s) => SimDuration::parse(s).ok(),
        _ => None,
    }
}

/// `c` with fault `i` lasting `length`; the key keeps its place (a new one follows `at`).
fn with_length(c: &Candidate, i: usize, length: SimDuration) -> Candidate {
    let mut c = c.clone();
    let fault = &mut c.faults[i];
    let line = fault
        .get("for")
        .or_else(|| fault.get("at"))
        .and_then(|v| v.line);
    fault.insert(
        "for".into(),
        Value::new(ValueKind::Str(length.to_string()), line),
    );
    c
}

/// One line for a fault entry: its kind, targets, start and length.
fn describe_fault(fault: &Table) -> String {
    let word = |key: &str| fault.get(key).map(|v| v.to_config_text());
    let mut out = word("kind")
        .map(|k| k.trim_matches('"').to_string())
        .unwrap_or_default();
    if let Some(s) = word("server") {
        out.push_str(&format!(" of server {s}"));
    } else if let Some(s) = word("servers") {
        out.push_str(&format!(" of servers {s}"));
    }
    if let Some(at) = word("at") {
        out.push_str(&format!(" at {}", at.trim_matches('"')));
    }
    match word("for") {
        Some(l) => out.push_str(&format!(" for {}", l.trim_matches('"'))),
        None => out.push_str(" to the end"),
    }
    out
}

/// The scripted crashes that stand for the random crashes of a run, from its timeline.
fn materialise(
    outages: &[sim_core::report::timeline::RandomOutage],
    duration: SimDuration,
) -> Vec<Table> {
    outages
        .iter()
        .filter(|o| o.from.0 < duration.0)
        .map(|o| {
            let mut t = Table::new();
            t.insert("at".into(), text(SimDuration(o.from.0).to_string()));
            if let Some(until) = o.until {
                t.insert(
                    "for".into(),
                    text(SimDuration(until.0 - o.from.0).to_string()),
                );
            }
            t.insert("kind".into(), text("crash".into()));
            t.insert("server".into(), int(i64::from(o.server)));
            t
        })
        .collect()
}

/// The scripted fault entries of a config tree, as tables.
fn scripted_entries(root: &Table) -> Vec<Table> {
    match get_path(root, "faults.scripted").map(|v| &v.kind) {
        Some(ValueKind::Array(items)) => items
            .iter()
            .filter_map(|v| match &v.kind {
                ValueKind::Table(t) => Some(t.clone()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Whether `out` may be written: its folder exists, and it does not, or this command
/// wrote it.
fn check_out(out: &Path) -> Result<(), CliError> {
    let folder = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !folder.is_dir() {
        return Err(CliError::Input(format!(
            "--out {}: {} is not a folder; expected a file in an existing folder",
            out.display(),
            folder.display()
        )));
    }
    let Ok(meta) = std::fs::symlink_metadata(out) else {
        return Ok(());
    };
    let ours = meta.is_file()
        && std::fs::read(out).is_ok_and(|bytes| bytes.starts_with(HEADER.as_bytes()));
    if ours {
        return Ok(());
    }
    Err(CliError::Input(format!(
        "--out {}: exists and is not a minimal config faultline shrink wrote; name another file, or remove it first",
        out.display()
    )))
}

pub fn cmd_shrink(args: ShrinkArgs) -> Result<u8, CliError> {
    let started = Instant::now();
    let threads = crate::cli::threads_flag(args.threads.as_deref())?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| args.dir.join(MINIMAL_FILE));
    let run = run_config(&args.dir, &args.run)?;
    let dir = std::path::absolute(&args.dir).unwrap_or_else(|_| args.dir.clone());
    check_out(&out)?;
    let config_path = run.config.display().to_string();
    let original =
        Experiment::from_document(run.doc.clone(), config_path.clone(), Overrides::default())
            .map_err(|e| CliError::Internal(format!("the run's own config does not read: {e}")))?;
    if original.checks.is_empty() {
        return Err(CliError::Input(format!(
            "{}: the config has no [checks], so no run fails; shrink shrinks a run that breaks a check",
            run.config.display()
        )));
    }
    let progress = Activity::on_stderr("shrink", "candidate runs");
    progress.phase(format!("recording run {}", run.run_id));
    let key = original.run_key(0);
    let recorded = crate::timeline::record(&original, key, original.cell(key).scenario.duration);
    let broken: BTreeSet<String> = violations_of(&original, &recorded.report)
        .into_iter()
        .map(|v| v.check)
        .collect();
    let first_broken = violations_of(&original, &recorded.report)
        .into_iter()
        .next()
        .map(|v| v.check);
    let Some(first_broken) = first_broken else {
        return Err(CliError::Input(format!(
            "--run {}: the run breaks none of its checks ({}), so there is no failure to shrink; name a run of failures.csv",
            run.run_id,
            original
                .checks
                .list
                .iter()
                .map(|c| c.key.clone())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    };
    let target = match &args.check {
        None => Target::Signature(broken.clone()),
        Some(name) if broken.contains(name) => Target::Check(name.clone()),
        Some(name) => {
            let known = original.checks.list.iter().any(|c| &c.key == name);
            let why = if known {
                "the run does not break it"
            } else {
                "no such check in the config's [checks]"
            };
            return Err(CliError::Input(format!(
                "--check {name}: {why}; the run breaks {}",
                broken.iter().cloned().collect::<Vec<_>>().join(", ")
            )));
        }
    };
    progress.suspend(|| {
        println!(
            "run {} of {} (seed {}, trace hash {:016x}) breaks {}; first broken: {first_broken}",
            run.run_id,
            dir.display(),
            run.seed,
            recorded.report.trace_hash,
            broken.iter().cloned().collect::<Vec<_>>().join(", "),
        )
    });

    // The run's config without faults, and its faults as scripted entries: the random
    // crashes as the timeline recorded them, after the scripted faults (whose own random
    // streams are numbered by position, kept so).
    let scenario = &original.cell(key).scenario;
    let mut base = run.doc.root.clone();
    let scripted = scripted_entries(&base);
    let had_crash_process = scenario.faults.crash.is_some();
    if let Some(Value {
        kind: ValueKind::Table(faults),
        ..
    }) = base.get_mut("faults")
    {
        faults.remove("crash");
        faults.remove("scripted");
        if faults.is_empty() {
            base.remove("faults");
        }
    }
    let timeline = recorded
        .timeline
        .as_deref()
        .ok_or_else(|| CliError::Internal("the run recorded with its timeline has none".into()))?;
    let random = materialise(timeline.random_outages(), scenario.duration);
    let (clients, rate) = match &scenario.workload.arrivals {
        ArrivalSpec::Poisson { rate, clients } => (Some(*clients), Some(*rate)),
        ArrivalSpec::Closed { clients, .. } => (Some(*clients), None),
        ArrivalSpec::Batch { .. } => (None, None),
    };
    let initial = Candidate {
        faults: scripted.iter().chain(&random).cloned().collect(),
        duration: scenario.duration,
        servers: scenario.cluster.servers,
        clients,
        rate,
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("faultline-shrink-{i}"))
        .build()
        .map_err(|e| CliError::Internal(format!("cannot start the threads: {e}")))?;
    let mut shrinker = Shrinker {
        base,
        source: run.doc.source.clone(),
        config_path,
        target,
        warmup: scenario.warmup,
        pool,
        tried: 0,
        progress,
    };
    shrinker.progress.phase("materialising the random crashes");
    let materialised = shrinker.run(&initial);
    shrinker.tried += 1;
    shrinker.progress.inc(1);
    if had_crash_process {
        let reproduced = shrinker.fails(&materialised);
        let got = match &materialised {
            Outcome::Ran { broken, trace_hash } => format!(
                "it breaks {} (trace hash {trace_hash:016x})",
                if broken.is_empty() {
                    "no check".to_string()
                } else {
                    broken.iter().cloned().collect::<Vec<_>>().join(", ")
                }
            ),
            Outcome::Invalid => "its config does not read".to_string(),
        };
        if !reproduced {
            return Err(CliError::Input(format!(
                "--run {}: with its {} random crashes written out as scripted crashes the run no longer fails the same way ({}): {got}; it cannot be shrunk",
                run.run_id,
                random.len(),
                shrinker.target.describe()
            )));
        }
        shrinker.progress.suspend(|| {
            println!(
                "materialised: {} written out as scripted crashes beside {}; the run still fails the same way: {got}",
                count(random.len(), "random crash", "random crashes"),
                count(scripted.len(), "scripted fault", "scripted faults"),
            )
        });
    } else {
        shrinker.progress.suspend(|| {
            println!(
                "materialised: no random faults, {}",
                count(scripted.len(), "scripted fault", "scripted faults")
            )
        });
    }

    // Remove faults, shrink the numbers, and check one-minimality until it holds.
    let mut current = initial.clone();
    let mut minimal_checks: Option<Vec<(String, Outcome)>> = None;
    for pass in 1..=MAX_PASSES {
        shrinker
            .progress
            .phase(format!("removing faults (ddmin, pass {pass})"));
        current = shrinker.ddmin(current);
        current = shrinker.shrink_numbers(current);
        shrinker
            .progress
            .phase(format!("checking one-minimality (pass {pass})"));
        let removals: Vec<Candidate> = (0..current.faults.len())
            .map(|i| {
                let mut c = current.clone();
                c.faults.remove(i);
                c
            })
            .collect();
        let outcomes = shrinker.try_all(&removals);
        if outcomes.iter().all(|o| !shrinker.fails(o)) {
            minimal_checks = Some(
                current
                    .faults
                    .iter()
                    .map(describe_fault)
                    .zip(outcomes)
                    .collect(),
            );
            break;
        }
    }

    // Write the minimal config, read it back and run it from the file.
    shrinker.progress.phase("verifying the minimal config");
    let exp = shrinker
        .experiment(&current)
        .map_err(|e| CliError::Internal(format!("the minimal config does not read: {e}")))?;
    let text = minimal_text(
        &shrinker,
        &current,
        &exp,
        &run,
        &dir,
        minimal_checks.is_some(),
    );
    crate::output::write_atomic(&out, text.as_bytes()).map_err(|e| output_error(&out, e))?;
    let back = Experiment::load(&out, &Overrides::default())
        .map_err(|e| CliError::Internal(format!("the minimal config does not read back: {e}")))?;
    let key = back.run_key(0);
    let result = crate::runner::run_one(&back, key);
    let back_broken: BTreeSet<String> = violations_of(&back, &result.report)
        .into_iter()
        .map(|v| v.check)
        .collect();
    if !shrinker.target.holds(&back_broken) {
        return Err(CliError::Internal(format!(
            "{} does not fail as its candidate did",
            out.display()
        )));
    }

    let size = |c: &Candidate| {
        (
            c.faults.len().to_string(),
            c.duration.to_string(),
            c.servers.to_string(),
            c.clients.map_or("-".into(), |n| n.to_string()),
            c.rate
                .map_or("-".into(), |r| format!("{}/s", format_real(r))),
        )
    };
    let (before, after) = (size(&initial), size(&current));
    shrinker.progress.finish();
    println!(
        "shrunk in {} candidate runs on {threads} thread{}, {:.1} s:",
        shrinker.tried,
        if threads == 1 { "" } else { "s" },
        started.elapsed().as_secs_f64()
    );
    for (name, b, a) in [
        ("faults", &before.0, &after.0),
        ("duration", &before.1, &after.1),
        ("servers", &before.2, &after.2),
        ("clients", &before.3, &after.3),
        ("rate", &before.4, &after.4),
    ] {
        println!("  {name:<9} {b:>12} -> {a}");
    }
    match &minimal_checks {
        Some(checks) => {
            println!(
                "one-minimal: without any one of its {} faults the run stops {}:",
                checks.len(),
                shrinker.target.describe()
            );
            for (i, (fault, outcome)) in checks.iter().enumerate() {
                let then = match outcome {
                    Outcome::Ran { broken, .. } if broken.is_empty() => {
                        "passes every check".to_string()
                    }
                    Outcome::Ran { broken, .. } => format!(
                        "breaks {} instead",
                        broken.iter().cloned().collect::<Vec<_>>().join(", ")
                    ),
                    Outcome::Invalid => "does not read".to_string(),
                };
                println!("  without fault {i} ({fault}): {then}");
            }
        }
        None => println!(
            "not verified one-minimal after {MAX_PASSES} passes: removing some fault still fails the same way"
        ),
    }
    let out_abs = std::path::absolute(&out).unwrap_or_else(|_| out.clone());
    println!(
        "minimal config written to {} (breaks {}, trace hash {:016x}); replay it with\n  faultline replay {} --run {}",
        out.display(),
        back_broken.iter().cloned().collect::<Vec<_>>().join(", "),
        result.report.trace_hash,
        shell_quote(&out_abs.display().to_string()),
        back.run_id(key)
    );
    Ok(0)
}

/// The minimal config's text: a header naming the run it came from and how to replay it,
/// the config's tables, then each fault as a `[[faults.scripted]]` entry.
fn minimal_text(
    shrinker: &Shrinker,
    c: &Candidate,
    exp: &Experiment,
    run: &RunConfig,
    dir: &Path,
    one_minimal: bool,
) -> String {
    let mut tree = shrinker.document(c);
    if let Some(Value {
        kind: ValueKind::Table(faults),
        ..
    }) = tree.get_mut("faults")
    {
        faults.remove("scripted");
        if faults.is_empty() {
            tree.remove("faults");
        }
    }
    let name = format!("{}-minimal", exp.name);
    if name.len() <= crate::config::MAX_NAME_BYTES {
        table_mut(&mut tree, "experiment").insert("name".into(), text(name));
    }
    let mut out = format!(
        "{HEADER}{} of {} (seed {}), written by faultline shrink:\n# it still fails ({}) with {}{}.\n# Replay it with: faultline replay <this file> --run {}\n\n",
        run.run_id,
        dir.display(),
        run.seed,
        shrinker.target.describe(),
        count(c.faults.len(), "fault", "faults"),
        if one_minimal {
            ", and without any one of them it does not"
        } else {
            " (not verified one-minimal)"
        },
        exp.run_id(exp.run_key(0)),
    );
    // Each strategy a section of its own, one family a line, as a config is written.
    let strategies = tree.remove("strategies");
    out.push_str(&tree_text(&tree));
    if let Some(Value {
        kind: ValueKind::Table(strategies),
        ..
    }) = strategies
    {
        for (name, strategy) in &strategies {
            match &strategy.kind {
                ValueKind::Table(families) => {
                    out.push_str(&format!("\n[strategies.{name}]\n"));
                    table_lines(&mut out, families);
                }
                _ => unreachable!("a built experiment's strategies are tables"),
            }
        }
    }
    for fault in &c.faults {
        out.push_str("\n[[faults.scripted]]\n");
        table_lines(&mut out, fault);
    }
    out
}
