//! Growing a campaign: `faultline run CONFIG --grow` into a finished results folder
//! simulates only the runs the folder lacks and reads the others back from its
//! runs.journal, so that the files come out as a fresh run of the whole config writes
//! them.
//!
//! A run of the folder is the same run as one of the config when it has the same sweep
//! values (by sweep key), the same strategy name and the same replication: its key. It is
//! reused when its seed and its own config (the resolved config with its cell's sweep
//! values set, its strategy alone, without the sweep list, the checks, the name and the
//! replication count) are the same. A run of equal key with another config is refused,
//! naming what changed; one whose seed moved because its cell was renumbered (seeds
//! follow the cell's index) is simulated again.

use crate::cli::CliError;
use crate::config::{Experiment, Overrides, RunKey};
use crate::journal::{FINISHED_FILE, read_finished};
use crate::load::set_path;
use crate::manifest::{CONFIG_FILE, MANIFEST_FILE, absolute_value, flatten, resolved_tree};
use hdrhistogram::Histogram;
use sim_core::config::ValueKind;
use std::collections::BTreeMap;
use std::path::Path;

/// The position of run `key` in [`Experiment::runs`].
pub fn run_index(exp: &Experiment, key: RunKey) -> u64 {
    let strategies = exp.strategy_names.len() as u64;
    let per_cell = strategies * u64::from(exp.replications);
    u64::from(key.cell) * per_cell
        + u64::from(key.replication) * strategies
        + u64::from(key.strategy)
}

/// A cell's sweep values by sweep key, as config text, files named by absolute path.
fn cell_values(exp: &Experiment, cell: u32) -> String {
    let mut parts: Vec<String> = exp
        .sweep
        .iter()
        .zip(&exp.cells[cell as usize].values)
        .map(|(axis, value)| {
            let mut value = value.clone();
            let names_file = axis.key.rsplit('.').next() == Some("file");
            absolute_value(&mut value, names_file, &exp.source);
            format!("{} = {}", axis.key, value.to_config_text())
        })
        .collect();
    parts.sort();
    parts.join(", ")
}

/// The key of a run across configs: its cell's sweep values, its strategy's name and
/// its replication.
type Identity = (String, String, u32);

fn identity(exp: &Experiment, key: RunKey) -> Identity {
    (
        cell_values(exp, key.cell),
        exp.strategy_names[key.strategy as usize].clone(),
        key.replication,
    )
}

/// The config of the runs of `cell` and `strategy`, flattened to dotted keys: the
/// resolved config with the cell's sweep values set and the strategy alone, without what
/// leaves a run unchanged (the sweep list, the checks, the experiment's name and its
/// replication count).
pub fn run_config(exp: &Experiment, cell: u32, strategy: u32) -> BTreeMap<String, String> {
    let mut tree = resolved_tree(exp);
    for (axis, value) in exp.sweep.iter().zip(&exp.cells[cell as usize].values) {
        let mut value = value.clone();
        let names_file = axis.key.rsplit('.').next() == Some("file");
        absolute_value(&mut value, names_file, &exp.source);
        set_path(&mut tree, &axis.key, value).expect("a sweep key was set when its cell was built");
    }
    tree.remove("sweep");
    tree.remove("checks");
    if let Some(ValueKind::Table(t)) = tree.get_mut("experiment").map(|v| &mut v.kind) {
        t.remove("name");
        t.remove("replications");
    }
    let name = &exp.strategy_names[strategy as usize];
    if let Some(ValueKind::Table(t)) = tree.get_mut("strategies").map(|v| &mut v.kind) {
        t.retain(|k, _| k == name);
    }
    flatten(&tree)
}

/// The runs of a folder that a grown config reuses.
pub struct Reuse {
    /// By position in the grown config's runs: each run's metric cells and histogram.
    pub runs: BTreeMap<u64, (Vec<String>, Histogram<u64>)>,
    /// Runs of the folder simulated again because their cell was renumbered.
    pub renumbered: u64,
}

/// The runs of the finished results folder `out` that `exp` reuses, or `None` when the
/// folder holds no finished run (no manifest.json): then every run is simulated. A run of
/// the folder with the same key but another config, a run of the folder the config does
/// not have, a folder of another faultline version or one whose files changed is an input
/// error saying what to do.
pub fn reusable_runs(out: &Path, exp: &Experiment) -> Result<Option<Reuse>, CliError> {
    let Some(manifest) = crate::manifest::read_manifest(out)? else {
        return Ok(None);
    };
    let refuse = |why: String| {
        CliError::Input(format!(
            "{}: cannot grow: {why}; run without --grow to start over, or into another --out",
            out.display()
        ))
    };
    let version = manifest["faultline_version"].as_str().unwrap_or("unknown");
    if version != env!("CARGO_PKG_VERSION") {
        return Err(refuse(format!(
            "its runs were made by faultline {version}, this is {}",
            env!("CARGO_PKG_VERSION")
        )));
    }
    if manifest.get("shard").is_some() {
        return Err(refuse(
            "it is a shard folder (faultline merge makes a results folder of the shards)".into(),
        ));
    }
    let journal_path = out.join(FINISHED_FILE);
    if !journal_path.is_file() {
        return Err(refuse(format!(
            "it holds no {FINISHED_FILE}, the record of its runs that faultline run keeps"
        )));
    }
    let old = Experiment::load(&out.join(CONFIG_FILE), &Overrides::default())
        .map_err(|e| refuse(format!("its {CONFIG_FILE} does not read ({e})")))?;
    let recorded = manifest["fingerprint"].as_str().unwrap_or_default();
    if format!("{:016x}", old.fingerprint) != recorded {
        return Err(refuse(format!(
            "its {CONFIG_FILE} has fingerprint {:016x}, not {recorded} as in {MANIFEST_FILE}: a file the config reads changed since its runs",
            old.fingerprint
        )));
    }
    let lines = read_finished(&journal_path).map_err(|e| match e {
        crate::journal::JournalError::Mismatch(path, why) => {
            refuse(format!("{}: {why}", path.display()))
        }
        other => refuse(other.to_string()),
    })?;
    let mut old_runs: BTreeMap<Identity, (RunKey, Vec<String>, Histogram<u64>)> = BTreeMap::new();
    for line in lines {
        let key = old.find_run(&line.run_id).ok_or_else(|| {
            refuse(format!(
                "{FINISHED_FILE} holds run {}, which its {CONFIG_FILE} does not have",
                line.run_id
            ))
        })?;
        if old_runs
            .insert(identity(&old, key), (key, line.cells, line.latency))
            .is_some()
        {
            return Err(refuse(format!(
                "{FINISHED_FILE} holds run {} twice",
                line.run_id
            )));
        }
    }
    if old_runs.len() as u64 != old.total_runs() {
        return Err(refuse(format!(
            "{FINISHED_FILE} holds {} of its {} runs",
            old_runs.len(),
            old.total_runs()
        )));
    }
    let mut configs: BTreeMap<(bool, u32, u32), BTreeMap<String, String>> = BTreeMap::new();
    let mut config_of = |which: bool, exp: &Experiment, key: RunKey| {
        configs
            .entry((which, key.cell, key.strategy))
            .or_insert_with(|| run_config(exp, key.cell, key.strategy))
            .clone()
    };
    let mut reuse = Reuse {
        runs: BTreeMap::new(),
        renumbered: 0,
    };
    for (index, key) in exp.runs().enumerate() {
        let Some((old_key, cells, latency)) = old_runs.remove(&identity(exp, key)) else {
            continue;
        };
        let before = config_of(false, &old, old_key);
        let now = config_of(true, exp, key);
        if before != now {
            return Err(refuse(format!(
                "its run {} has another config than run {} here: {}",
                old.run_id(old_key),
                exp.run_id(key),
                crate::manifest::describe_changes(&before, &now)
            )));
        }
        if old.run_seed(old_key) != exp.run_seed(key) {
            reuse.renumbered += 1;
            continue;
        }
        reuse.runs.insert(index as u64, (cells, latency));
    }
    if let Some((_, (old_key, _, _))) = old_runs.iter().next() {
        return Err(refuse(format!(
            "{} of its runs are not runs of the config (the first: {}); --grow only adds runs (replications, strategies, sweep values)",
            old_runs.len(),
            old.run_id(*old_key)
        )));
    }
    Ok(Some(reuse))
}

/// Removes a results folder's manifest.json and runs.journal, which describe its runs
/// only until a new run into it starts.
pub fn remove_finished(out: &Path) -> Result<(), CliError> {
    for name in [MANIFEST_FILE, FINISHED_FILE] {
        let path = out.join(name);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(crate::cli::output_error(&path, e)),
        }
    }
    Ok(())
}
