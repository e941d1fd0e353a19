//! An experiment: the config file with its overrides, expanded into sweep cells, each with
//! its scenario and strategies built and validated before anything runs.
//!
//! Runs are enumerated cell by cell, then replication by replication, then strategy by
//! strategy (in the order the config lists them). A run's seed derives from the master
//! seed, its cell and its replication, never from its strategy: every strategy of a cell
//! sees the same arrivals and faults in replication r (common random numbers), and the runs
//! that share a seed sit next to each other, so paired statistics need no memory of
//! earlier replications.

use crate::checks::Checks;
use crate::load::{
    Document, get_path, keys_in_file_order, normalize_path, parse_override_value, read_document,
    set_path,
};
use sim_core::config::{ConfigError, Section, Source, Table, Value, ValueKind, suggestion};
use sim_core::engine::rng::derive_seed;
use sim_core::{Scenario, SimDuration, StrategySet};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Top-level tables a config may hold.
pub const ROOT_KEYS: [&str; 9] = [
    "experiment",
    "cluster",
    "workload",
    "network",
    "faults",
    "strategies",
    "sweep",
    "checks",
    "report",
];

/// The most sweep cells one experiment may hold: each cell keeps its built scenario and
/// strategies in memory while the experiment runs.
pub const MAX_CELLS: u64 = 100_000;

/// The most replications per (cell, strategy): confidence intervals narrow with the square
/// root of the replications, so past a million they gain nothing worth the time, and more
/// is taken for a typo rather than run for days.
pub const MAX_REPLICATIONS: u32 = 1_000_000;

const EXPERIMENT_KEYS: [&str; 5] = ["name", "seed", "replications", "duration", "warmup"];

/// Command-line changes to a config, kept so that replay commands can repeat them.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// `--set KEY=VALUE` pairs, in the order given.
    pub sets: Vec<(String, String)>,
    pub seed: Option<u64>,
    pub replications: Option<u32>,
}

impl Overrides {
    /// Parses `KEY=VALUE` pairs.
    pub fn from_set_args(args: &[String]) -> Result<Overrides, ConfigError> {
        let mut sets = Vec::new();
        for arg in args {
            let (key, value) = arg.split_once('=').ok_or_else(|| {
                ConfigError::new(format!(
                    "`--set {arg}`: expected KEY=VALUE, like --set workload.arrivals.rate=800"
                ))
            })?;
            sets.push((key.trim().to_string(), value.to_string()));
        }
        Ok(Overrides {
            sets,
            ..Overrides::default()
        })
    }

    /// The flags that reproduce these overrides on a command line.
    pub fn to_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        for (k, v) in &self.sets {
            args.push("--set".to_string());
            args.push(format!("{k}={v}"));
        }
        if let Some(seed) = self.seed {
            args.push("--seed".into());
            args.push(seed.to_string());
        }
        if let Some(r) = self.replications {
            args.push("--replications".into());
            args.push(r.to_string());
        }
        args
    }
}

/// One axis of the sweep: a dotted config key and its values.
#[derive(Clone, Debug)]
pub struct SweepAxis {
    /// The key as written in `[sweep]` in one spelling (segments trimmed, see
    /// [`normalize_path`]); it names the axis's column in the outputs.
    pub key: String,
    pub values: Vec<Value>,
    /// The line of the axis in the config file.
    pub line: Option<u32>,
}

/// A point of the sweep's cartesian product, with everything needed to run it.
#[derive(Clone, Debug)]
pub struct CellSpec {
    pub index: u32,
    /// One value per sweep axis, in axis order.
    pub values: Vec<Value>,
    pub scenario: Scenario,
    pub strategies: Vec<StrategySet>,
}

/// A fully built experiment.
#[derive(Clone, Debug)]
pub struct Experiment {
    pub name: String,
    pub seed: u64,
    pub replications: u32,
    pub source: Source,
    pub config_path: String,
    pub overrides: Overrides,
    pub sweep: Vec<SweepAxis>,
    pub strategy_names: Vec<String>,
    pub cells: Vec<CellSpec>,
    pub checks: Checks,
    /// A hash of the whole config after overrides, the master seed and the contents of
    /// every file the config reads: equal fingerprints mean the same runs.
    pub fingerprint: u64,
    /// The config tree after the overrides (`--set`, `--replications`; `--seed` is in
    /// [`seed`](Self::seed)), before the sweep: what a results folder's config.toml is
    /// written from.
    pub tree: Table,
}

/// Identifies one run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RunKey {
    pub cell: u32,
    pub strategy: u32,
    pub replication: u32,
}

impl Experiment {
    /// Reads, overrides, expands and validates a config file.
    pub fn load(path: &Path, overrides: &Overrides) -> Result<Experiment, ConfigError> {
        let mut doc = read_document(path)?;
        apply_overrides(&mut doc, overrides)?;
        Experiment::from_document(doc, path.display().to_string(), overrides.clone())
    }

    /// Builds an experiment from a parsed document (overrides already applied).
    pub fn from_document(
        doc: Document,
        config_path: String,
        overrides: Overrides,
    ) -> Result<Experiment, ConfigError> {
        let source = doc.source.clone();
        let recording = source.recording();
        let root = Section::new(&doc.root, "", None, &recording);
        let experiment = root.table("experiment")?.ok_or_else(|| {
            root.error(
                "experiment",
                "missing: the [experiment] table (name, seed, replications, duration, warmup)",
            )
        })?;
        let default_name = Path::new(&config_path)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "experiment".into());
        let name: String = experiment.or("name", default_name)?;
        if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
            return Err(experiment.error("name", "expected a non-empty name usable as a folder name (no slashes, not starting with a dot)"));
        }
        check_name_is_a_folder_name(&name).map_err(|why| experiment.error("name", why))?;
        // A `--seed` takes the whole u64 range, which a TOML integer cannot hold, so it
        // replaces the file's seed here rather than in the document.
        let seed = match overrides.seed {
            Some(seed) => {
                experiment.get("seed");
                seed
            }
            // A string of digits holds the seeds beyond a TOML integer (2^63 and up):
            // a results folder's config.toml writes them so.
            None => match experiment.get("seed").map(|v| &v.kind) {
                Some(ValueKind::Str(digits)) => digits.parse::<u64>().map_err(|_| {
                    experiment.error(
                        "seed",
                        format!("expected an integer from 0 to 2^64 - 1 (or a string of its digits), got {digits:?}"),
                    )
                })?,
                _ => experiment.or::<u64>("seed", 1)?,
            },
        };
        let replications = experiment.checked(
            "replications",
            Some(1u32),
            |r| (1..=MAX_REPLICATIONS).contains(r),
            &format!("an integer from 1 to {MAX_REPLICATIONS}"),
        )?;
        experiment.get("duration");
        experiment.get("warmup");
        experiment.finish_known(&EXPERIMENT_KEYS)?;

        let sweep = read_sweep(&root)?;
        let strategy_names = strategy_names(&root)?;
        let checks = Checks::read(&root)?;
        crate::headline::read(&root)?;
        root.get("cluster");
        root.get("workload");
        root.get("network");
        root.get("faults");
        root.finish_known(&ROOT_KEYS)?;

        let mut keys_read = recording.keys_read();
        let mut files = BTreeMap::new();
        let mut cells = Vec::new();
        for (index, values) in cartesian(&sweep).into_iter().enumerate() {
            let mut table = doc.root.clone();
            for (axis, value) in sweep.iter().zip(&values) {
                set_path(&mut table, &axis.key, value.clone()).map_err(|why| {
                    ConfigError::new(why).at(
                        Some(&source.name),
                        Some(&format!("sweep.\"{}\"", axis.key)),
                        value.line,
                    )
                })?;
            }
            let cell_source = source.recording();
            let cell_root = Section::new(&table, "", None, &cell_source);
            let scenario = Scenario::read(&cell_root).map_err(|e| in_cell(e, &sweep, &values))?;
            let strategies = build_strategies(&cell_root, &strategy_names, &scenario)
                .map_err(|e| in_cell(e, &sweep, &values))?;
            let cell_keys = cell_source.keys_read();
            note_files(&table, &cell_keys, &mut files);
            keys_read.extend(cell_keys);
            cells.push(CellSpec {
                index: index as u32,
                values,
                scenario,
                strategies,
            });
        }
        for axis in &sweep {
            check_axis_is_read(axis, &keys_read, &strategy_names, &source)?;
        }
        for (key, text) in &overrides.sets {
            check_override_is_read(key, text, &sweep, &keys_read, &source)?;
        }
        check_conditional_keys_are_read(
            &doc.root,
            &keys_read,
            &cells,
            &strategy_names,
            &sweep,
            &source,
        )?;
        let fingerprint = fingerprint(&doc.root, seed, &files, &source)?;
        Ok(Experiment {
            tree: doc.root,
            name,
            seed,
            replications,
            source,
            config_path,
            overrides,
            sweep,
            strategy_names,
            cells,
            checks,
            fingerprint,
        })
    }

    pub fn total_runs(&self) -> u64 {
        self.cells.len() as u64 * self.strategy_names.len() as u64 * u64::from(self.replications)
    }

    /// Every run, in output order: cell by cell, replication by replication, strategy by
    /// strategy.
    pub fn runs(&self) -> impl Iterator<Item = RunKey> + '_ {
        (0..self.total_runs()).map(|index| self.run_key(index))
    }

    /// The run at position `index` of [`runs`](Self::runs).
    pub fn run_key(&self, index: u64) -> RunKey {
        let strategies = self.strategy_names.len() as u64;
        let per_cell = strategies * u64::from(self.replications);
        let within = index % per_cell;
        RunKey {
            cell: (index / per_cell) as u32,
            replication: (within / strategies) as u32,
            strategy: (within % strategies) as u32,
        }
    }

    /// The readable, stable id of a run: `c<cell>-<strategy>-r<replication>`.
    pub fn run_id(&self, key: RunKey) -> String {
        format!(
            "c{}-{}-r{}",
            key.cell, self.strategy_names[key.strategy as usize], key.replication
        )
    }

    /// The seed of a run: from the master seed, the cell and the replication.
    pub fn run_seed(&self, key: RunKey) -> u64 {
        derive_seed(
            self.seed,
            &[u64::from(key.cell), u64::from(key.replication)],
        )
    }

    /// Finds a run by its id.
    pub fn find_run(&self, id: &str) -> Option<RunKey> {
        let rest = id.strip_prefix('c')?;
        let (cell, rest) = rest.split_once('-')?;
        let (strategy, rep) = rest.rsplit_once("-r")?;
        let key = RunKey {
            cell: cell.parse().ok()?,
            strategy: self.strategy_names.iter().position(|n| n == strategy)? as u32,
            replication: rep.parse().ok()?,
        };
        (key.cell < self.cells.len() as u32 && key.replication < self.replications).then_some(key)
    }

    pub fn cell(&self, key: RunKey) -> &CellSpec {
        &self.cells[key.cell as usize]
    }

    pub fn strategy(&self, key: RunKey) -> &StrategySet {
        &self.cells[key.cell as usize].strategies[key.strategy as usize]
    }

    /// The command that replays a run from the same config and overrides. The config is
    /// named by its absolute path, so that the command works from any directory.
    pub fn replay_command(&self, key: RunKey) -> String {
        let config = Path::new(&self.config_path);
        let config = std::path::absolute(config).unwrap_or_else(|_| config.to_path_buf());
        let mut parts = vec![
            "faultline".to_string(),
            "replay".to_string(),
            shell_quote(&config.display().to_string()),
            "--run".to_string(),
            self.run_id(key),
        ];
        parts.extend(self.overrides.to_args().iter().map(|a| shell_quote(a)));
        parts.join(" ")
    }
}

/// A file a config reads, by its name as written: the dotted key naming it first and
/// that key's line.
type FileRefs = BTreeMap<String, (String, Option<u32>)>;

/// Notes the files a sweep cell's config reads: every string under a key named `file`
/// that was read (an empirical distribution's samples).
fn note_files(table: &Table, keys_read: &BTreeSet<String>, files: &mut FileRefs) {
    for key in keys_read {
        if key.rsplit('.').next() != Some("file") {
            continue;
        }
        if let Some(value) = get_path(table, key)
            && let ValueKind::Str(name) = &value.kind
        {
            files
                .entry(name.clone())
                .or_insert_with(|| (key.clone(), value.line));
        }
    }
}

/// The fingerprint of an experiment: a hash of its config after overrides, its master
/// seed, and the length and bytes of every file it reads, so that a journal of the
/// experiment is refused once any of them changed.
fn fingerprint(
    root: &Table,
    seed: u64,
    files: &FileRefs,
    source: &Source,
) -> Result<u64, ConfigError> {
    use crate::journal::{FNV_OFFSET, fnv1a64, fnv1a64_extend};
    use std::io::Read as _;
    // `[report]` chooses what the outputs lead with and changes no run.
    let mut root = root.clone();
    root.remove(crate::headline::REPORT_KEY);
    let mut text = Value::new(ValueKind::Table(root), None).to_config_text();
    text.push_str(&format!("\nmaster seed {seed}"));
    for (name, (key, line)) in files {
        let path = source.resolve(name);
        let unreadable = |e: std::io::Error| {
            ConfigError::new(format!(
                "{}: cannot read it ({})",
                path.display(),
                crate::load::describe_io(&e)
            ))
            .at(Some(&source.name), Some(key), *line)
        };
        let mut file = std::fs::File::open(&path).map_err(unreadable)?;
        let (mut hash, mut len) = (FNV_OFFSET, 0u64);
        let mut buffer = vec![0u8; 1 << 16];
        loop {
            let n = file.read(&mut buffer).map_err(unreadable)?;
            if n == 0 {
                break;
            }
            hash = fnv1a64_extend(hash, &buffer[..n]);
            len += n as u64;
        }
        text.push_str(&format!("\nfile {name:?} {len} {hash:016x}"));
    }
    Ok(fnv1a64(text.as_bytes()))
}

/// Quotes a word for a POSIX shell when it needs it.
pub fn shell_quote(word: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_./=:+,@%".contains(c);
    if !word.is_empty() && word.chars().all(safe) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

fn apply_overrides(doc: &mut Document, overrides: &Overrides) -> Result<(), ConfigError> {
    for (key, text) in &overrides.sets {
        let value = parse_override_value(text);
        set_path(&mut doc.root, key, value).map_err(|why| {
            ConfigError::new(format!("--set {key}={text}: {why}")).at(
                Some(&doc.source.name),
                None,
                None,
            )
        })?;
    }
    // The seed is applied by `Experiment::from_document`: a TOML integer cannot hold
    // every u64.
    if let Some(r) = overrides.replications {
        let value = Value::new(ValueKind::Int(i64::from(r)), None);
        set_path(&mut doc.root, "experiment.replications", value).map_err(ConfigError::new)?;
    }
    Ok(())
}

/// Adds the sweep cell to an error found while building it.
fn in_cell(mut e: ConfigError, sweep: &[SweepAxis], values: &[Value]) -> ConfigError {
    if !sweep.is_empty() {
        let cell: Vec<String> = sweep
            .iter()
            .zip(values)
            .map(|(a, v)| format!("{} = {}", a.key, v.to_config_text()))
            .collect();
        e.message = format!("{} (in the sweep cell {})", e.message, cell.join(", "));
    }
    e
}

fn read_sweep(root: &Section) -> Result<Vec<SweepAxis>, ConfigError> {
    let Some(sweep) = root.get("sweep") else {
        return Ok(Vec::new());
    };
    let ValueKind::Table(t) = &sweep.kind else {
        return Err(root.error(
            "sweep",
            format!(
                "expected a table of dotted keys and value lists, got {}",
                sweep.type_name()
            ),
        ));
    };
    // Axis keys hold dots, so messages quote them: `sweep."cluster.servers"`.
    let axis_error = |key: &str, message: String| {
        let line = t.get(key).and_then(|v| v.line).or(sweep.line);
        ConfigError::new(message).at(
            Some(&root.source().name),
            Some(&format!("sweep.\"{key}\"")),
            line,
        )
    };
    let mut axes = Vec::new();
    for key in keys_in_file_order(t) {
        let v = &t[&key];
        let ValueKind::Array(values) = &v.kind else {
            return Err(axis_error(
                &key,
                format!(
                    "expected a list of values to sweep, like [\"1m\", \"10m\"], got {}",
                    v.type_name()
                ),
            ));
        };
        if values.is_empty() {
            return Err(axis_error(
                &key,
                "expected at least one value; an empty sweep runs nothing".into(),
            ));
        }
        let head = key.split(['.', '[']).next().unwrap_or_default().trim();
        let whole_experiment = head == "sweep" || head == "checks" || head == "report";
        if !ROOT_KEYS.contains(&head) || whole_experiment {
            let hint = if whole_experiment {
                " (`sweep`, `checks` and `report` hold for the whole experiment and cannot be swept)"
                    .to_string()
            } else {
                let tables = ROOT_KEYS
                    .iter()
                    .copied()
                    .filter(|t| !matches!(*t, "sweep" | "checks" | "report"));
                suggestion(head, tables)
            };
            return Err(axis_error(
                &key,
                format!(
                    "a sweep key is a dotted config path starting with a config table, like \"faults.crash.mttf.mean\"; `{head}` is not one{hint}"
                ),
            ));
        }
        if let (Some(existing), Some(first)) = (get_path(root_table(root), &key), values.first())
            && matches!(existing.kind, ValueKind::Table(_))
                != matches!(first.kind, ValueKind::Table(_))
        {
            return Err(axis_error(
                &key,
                format!(
                    "`{key}` holds {} in the config, but the sweep gives {}",
                    existing.type_name(),
                    first.type_name()
                ),
            ));
        }
        let normalized = normalize_path(&key).map_err(|why| axis_error(&key, why))?;
        if let Some(first) = axes.iter().find(|a: &&SweepAxis| a.key == normalized) {
            return Err(axis_error(
                &key,
                format!(
                    "the same key as `sweep.\"{}\"`{}: spaces around a key's dots and ends do not count, and a key may be swept once",
                    first.key,
                    first
                        .line
                        .map_or_else(String::new, |l| format!(" (line {l})"))
                ),
            ));
        }
        for (j, later) in values.iter().enumerate() {
            if let Some(i) = values[..j].iter().position(|v| same_sweep_value(v, later)) {
                let line = later.line.or(v.line);
                let (first, second) = (values[i].to_config_text(), later.to_config_text());
                let what = if first == second {
                    format!("{first} twice")
                } else {
                    format!("the same value twice, {first} and {second}")
                };
                return Err(ConfigError::new(format!(
                    "lists {what} (values {} and {}); each value makes a cell, and the same cell twice would only repeat its runs",
                    i + 1,
                    j + 1
                ))
                .at(
                    Some(&root.source().name),
                    Some(&format!("sweep.\"{key}\"")),
                    line,
                ));
            }
        }
        axes.push(SweepAxis {
            key: normalized,
            values: values.clone(),
            line: v.line,
        });
    }
    let cells = axes
        .iter()
        .try_fold(1u64, |n, a| n.checked_mul(a.values.len() as u64))
        .filter(|&n| n <= MAX_CELLS);
    if cells.is_none() {
        let sizes: Vec<String> = axes.iter().map(|a| a.values.len().to_string()).collect();
        return Err(root.error(
            "sweep",
            format!(
                "the sweep has {} cells, more than the {MAX_CELLS} one experiment may hold; split it into several configs",
                sizes.join(" x ")
            ),
        ));
    }
    Ok(axes)
}

/// Whether two sweep values make the same cell: numbers by value (`2` and `2.0`), strings
/// that are durations by length (`"1m"` and `"60s"`), anything else by its config text.
fn same_sweep_value(a: &Value, b: &Value) -> bool {
    let number = |v: &Value| match v.kind {
        ValueKind::Int(i) => Some(i as f64),
        ValueKind::Float(f) => Some(f),
        _ => None,
    };
    if let (Some(x), Some(y)) = (number(a), number(b)) {
        return x == y;
    }
    if let (ValueKind::Str(x), ValueKind::Str(y)) = (&a.kind, &b.kind)
        && let (Ok(x), Ok(y)) = (SimDuration::parse(x), SimDuration::parse(y))
    {
        return x == y;
    }
    a.to_config_text() == b.to_config_text()
}

fn root_table<'a>(root: &Section<'a>) -> &'a Table {
    root.raw()
}

/// Whether `key`, or something inside it, was read.
fn is_read(key: &str, keys_read: &BTreeSet<String>) -> bool {
    keys_read.contains(key)
        || keys_read
            .range(key.to_string()..)
            .take_while(|k| k.starts_with(key))
            .any(|k| k[key.len()..].starts_with(['.', '[']))
}

/// Why nothing may read `key`, in words: " (did you mean `x`?)" among the keys read in
/// the same table, or among every key read as deep, or a note that its table is read but
/// does not use it with these settings.
fn unread_key_hint(key: &str, keys_read: &BTreeSet<String>) -> String {
    let (parent, last) = key.rsplit_once('.').unwrap_or(("", key));
    let siblings: Vec<&str> = keys_read
        .iter()
        .filter_map(|k| match k.rsplit_once('.') {
            Some((p, name)) if p == parent => Some(name),
            None if parent.is_empty() => Some(k.as_str()),
            _ => None,
        })
        .collect();
    let hint = suggestion(last, siblings.iter().copied());
    if !hint.is_empty() {
        return if parent.is_empty() {
            hint
        } else {
            hint.replacen('`', &format!("`{parent}."), 1)
        };
    }
    if keys_read.contains(parent) {
        return format!(
            " (`{parent}` is read, but with these settings nothing in it uses `{last}`)"
        );
    }
    let depth = key.matches('.').count();
    suggestion(
        key,
        keys_read
            .iter()
            .filter(|k| k.matches('.').count() == depth)
            .map(String::as_str),
    )
}

/// Why a key read once for the whole experiment cannot change per cell, if it is one.
fn whole_experiment_key(key: &str) -> Option<&'static str> {
    match key {
        "experiment.seed" => Some(
            "the master seed is read once for the whole experiment; every cell and replication already runs on its own seed derived from it",
        ),
        "experiment.replications" => Some(
            "the number of replications is the same for every cell; set it with `experiment.replications` or --replications",
        ),
        "experiment.name" => Some("the name belongs to the whole experiment"),
        _ => None,
    }
}

/// A sweep axis must name a key that some cell reads: otherwise it would change nothing.
fn check_axis_is_read(
    axis: &SweepAxis,
    keys_read: &BTreeSet<String>,
    strategy_names: &[String],
    source: &Source,
) -> Result<(), ConfigError> {
    let at = |message: String| {
        ConfigError::new(message).at(
            Some(&source.name),
            Some(&format!("sweep.\"{}\"", axis.key)),
            axis.line,
        )
    };
    let key = normalize_path(&axis.key).map_err(&at)?;
    if let Some(why) = whole_experiment_key(&key) {
        return Err(at(format!("cannot be swept: {why}")));
    }
    if is_read(&key, keys_read) {
        return Ok(());
    }
    if let Some(rest) = key.strip_prefix("strategies.") {
        let name = rest.split(['.', '[']).next().unwrap_or_default();
        if !strategy_names.iter().any(|n| n == name) {
            let hint = suggestion(name, strategy_names.iter().map(String::as_str));
            return Err(at(format!(
                "`{name}` is not a strategy of this config (it has {}){hint}; a sweep changes the parameters of an existing strategy, like \"strategies.{}.detector.timeout\"",
                strategy_names.join(", "),
                strategy_names[0]
            )));
        }
    }
    Err(at(format!(
        "nothing reads `{key}` in any sweep cell, so sweeping it would change nothing{}",
        unread_key_hint(&key, keys_read)
    )))
}

/// A `--set` must name a key something reads, and not one the sweep sets in every cell.
fn check_override_is_read(
    key: &str,
    text: &str,
    sweep: &[SweepAxis],
    keys_read: &BTreeSet<String>,
    source: &Source,
) -> Result<(), ConfigError> {
    let at = |message: String| {
        ConfigError::new(format!("--set {key}={text}: {message}")).at(
            Some(&source.name),
            None,
            None,
        )
    };
    let key = normalize_path(key).map_err(&at)?;
    if let Some(axis) = sweep
        .iter()
        .find(|a| normalize_path(&a.key).is_ok_and(|k| k == key))
    {
        return Err(at(format!(
            "the key is swept (line {}), which sets it in every cell; change the values of `sweep.\"{}\"` instead",
            axis.line.map_or_else(|| "?".into(), |l| l.to_string()),
            axis.key
        )));
    }
    // A sweep axis set from the command line is checked like one in the file: its key
    // must be read in some cell.
    if is_read(&key, keys_read) || key == "sweep" || key.starts_with("sweep.") {
        return Ok(());
    }
    Err(at(format!(
        "nothing reads `{key}`, so the override would change nothing{}",
        unread_key_hint(&key, keys_read)
    )))
}

/// The longest experiment name, in bytes: the longest folder name file systems allow.
pub const MAX_NAME_BYTES: usize = 255;

/// Checks that `name` can name the output folder on any file system: at most
/// [`MAX_NAME_BYTES`] bytes and no control character.
fn check_name_is_a_folder_name(name: &str) -> Result<(), String> {
    if name.len() > MAX_NAME_BYTES {
        return Err(format!(
            "expected a name of at most {MAX_NAME_BYTES} bytes (the longest folder name file systems allow), got {} bytes",
            name.len()
        ));
    }
    if let Some(c) = name.chars().find(|c| c.is_control()) {
        return Err(format!(
            "expected a name without control characters (it names the output folder), got {name:?}, which holds {c:?}"
        ));
    }
    Ok(())
}

/// Refuses settings the file gives that no cell uses, where the reason is a setting
/// elsewhere: the Zipf exponent under uniform popularity, and replication without writes.
/// A sweep that makes them matter in some cell (a popularity or a write fraction swept)
/// keeps them.
fn check_conditional_keys_are_read(
    root: &Table,
    keys_read: &BTreeSet<String>,
    cells: &[CellSpec],
    strategy_names: &[String],
    sweep: &[SweepAxis],
    source: &Source,
) -> Result<(), ConfigError> {
    let at = |key: &str, line: Option<u32>, message: &str| {
        ConfigError::new(message).at(Some(&source.name), Some(key), line)
    };
    let s_key = "workload.keys.s";
    if let Some(v) = get_path(root, s_key)
        && !is_read(s_key, keys_read)
    {
        return Err(at(
            s_key,
            v.line,
            "the exponent `s` applies to zipf popularity only, and `workload.keys.popularity` is uniform in every cell; set `popularity = \"zipf\"` or leave `s` out",
        ));
    }
    if cells.iter().all(|c| c.scenario.workload.writes == 0.0) {
        for (i, name) in strategy_names.iter().enumerate() {
            let replicated = cells
                .iter()
                .any(|c| c.strategies[i].durability.replication.factor > 1);
            let key = format!("strategies.{name}.replication");
            if !replicated {
                continue;
            }
            let why = "replication copies writes, and `workload.writes` is 0 in every cell, so it would change nothing; give `workload.writes` a fraction above 0, or leave `replication` out";
            if let Some(v) = get_path(root, &key) {
                return Err(at(&key, v.line, why));
            }
            // Set by the sweep alone: the error points at its axis.
            if let Some(axis) = sweep.iter().find(|a| {
                normalize_path(&a.key).is_ok_and(|k| k == key || k.starts_with(&format!("{key}.")))
            }) {
                return Err(at(&format!("sweep.\"{}\"", axis.key), axis.line, why));
            }
        }
    }
    Ok(())
}

/// Every combination of sweep values, first axis slowest; one empty cell without a sweep.
fn cartesian(axes: &[SweepAxis]) -> Vec<Vec<Value>> {
    let mut cells: Vec<Vec<Value>> = vec![Vec::new()];
    for axis in axes {
        cells = cells
            .into_iter()
            .flat_map(|prefix| {
                axis.values.iter().map(move |v| {
                    let mut cell = prefix.clone();
                    cell.push(v.clone());
                    cell
                })
            })
            .collect();
    }
    cells
}

fn strategy_names(root: &Section) -> Result<Vec<String>, ConfigError> {
    let Some(strategies) = root.table("strategies")? else {
        return Ok(vec!["default".to_string()]);
    };
    let names = keys_in_file_order(strategies.raw());
    if names.is_empty() {
        return Err(root.error(
            "strategies",
            "expected at least one [strategies.NAME] table",
        ));
    }
    for name in &names {
        let ok = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !ok {
            return Err(strategies.error(
                name,
                "a strategy name may hold only letters, digits, `-` and `_`",
            ));
        }
    }
    Ok(names)
}

fn build_strategies(
    root: &Section,
    names: &[String],
    scenario: &Scenario,
) -> Result<Vec<StrategySet>, ConfigError> {
    let empty = Table::new();
    let strategies = root.table("strategies")?;
    names
        .iter()
        .map(|name| {
            let sec = match &strategies {
                Some(s) => s.table(name)?.ok_or_else(|| {
                    s.error(
                        name,
                        "expected a table of strategy families (detector, routing, retry)",
                    )
                })?,
                None => Section::new(&empty, format!("strategies.{name}"), None, root.source()),
            };
            let set = strategies::build_strategy_set(name, &sec)?;
            strategies::check_fit(
                &sec,
                &set,
                scenario.cluster.servers,
                scenario.workload.keys.count,
            )?;
            Ok(set)
        })
        .collect()
}
