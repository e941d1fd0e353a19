//! What makes a results folder describe itself: `config.toml`, the resolved config its
//! runs came from, which `faultline replay DIR --run ID` replays from.
//!
//! config.toml is the config file's tree with every `--set`, `--seed` and
//! `--replications` applied, `experiment.name`, `seed` and `replications` written out
//! even where the file left them to their defaults, and every `file` (an empirical
//! distribution's samples) named by its absolute path, so that it reads the same from the
//! folder as from where the config was. Comments and the file's layout are not kept; keys
//! come in sorted order.

use crate::cli::{CliError, output_error};
use crate::config::{Experiment, Overrides, shell_quote};
use crate::load::{keys_in_file_order, set_path};
use crate::output::write_atomic;
use sim_core::config::{Source, Table, Value, ValueKind};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The resolved config in a results folder.
pub const CONFIG_FILE: &str = "config.toml";

/// The resolved config tree of an experiment: what config.toml holds.
pub fn resolved_tree(exp: &Experiment) -> Table {
    let mut tree = exp.tree.clone();
    // A seed beyond a TOML integer is written as a string of its digits, which the config
    // reader takes too.
    let seed = match i64::try_from(exp.seed) {
        Ok(seed) => ValueKind::Int(seed),
        Err(_) => ValueKind::Str(exp.seed.to_string()),
    };
    for (key, kind) in [
        ("experiment.name", ValueKind::Str(exp.name.clone())),
        ("experiment.seed", seed),
        (
            "experiment.replications",
            ValueKind::Int(i64::from(exp.replications)),
        ),
    ] {
        set_path(&mut tree, key, Value::new(kind, None))
            .expect("a built experiment has an [experiment] table");
    }
    absolute_files(&mut tree, &exp.source);
    tree
}

/// Names every file the tree reads (a string under a key whose last segment is `file`,
/// in a sweep's values too) by its absolute path.
fn absolute_files(table: &mut Table, source: &Source) {
    for (key, value) in table.iter_mut() {
        let names_file = key.rsplit('.').next().map(str::trim) == Some("file");
        absolute_value(value, names_file, source);
    }
}

pub(crate) fn absolute_value(value: &mut Value, names_file: bool, source: &Source) {
    match &mut value.kind {
        ValueKind::Str(name) if names_file => {
            let path = source.resolve(name);
            let path = std::path::absolute(&path).unwrap_or(path);
            *name = path.display().to_string();
        }
        ValueKind::Array(items) => {
            for item in items {
                absolute_value(item, names_file, source);
            }
        }
        ValueKind::Table(t) => absolute_files(t, source),
        _ => {}
    }
}

fn to_toml(value: &Value) -> toml::Value {
    match &value.kind {
        ValueKind::Str(s) => toml::Value::String(s.clone()),
        ValueKind::Int(i) => toml::Value::Integer(*i),
        ValueKind::Float(f) => toml::Value::Float(*f),
        ValueKind::Bool(b) => toml::Value::Boolean(*b),
        ValueKind::Array(items) => toml::Value::Array(items.iter().map(to_toml).collect()),
        ValueKind::Table(t) => {
            toml::Value::Table(t.iter().map(|(k, v)| (k.clone(), to_toml(v))).collect())
        }
    }
}

/// A key as TOML writes it: bare when it can be, else a quoted string.
fn toml_key(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        key.to_string()
    } else {
        toml::Value::String(key.to_string()).to_string()
    }
}

/// The tree as TOML text: each top-level table a section and each of its keys on its own
/// line, in the order the config wrote them (strategies, sweep axes and checks keep their
/// order, which the config's order decides), values inline.
pub fn tree_text(tree: &Table) -> String {
    let mut out = String::new();
    let order = keys_in_file_order(tree);
    let line = |out: &mut String, key: &str, value: &Value| {
        out.push_str(&format!("{} = {}\n", toml_key(key), to_toml(value)));
    };
    for key in &order {
        if !matches!(tree[key].kind, ValueKind::Table(_)) {
            line(&mut out, key, &tree[key]);
        }
    }
    for key in &order {
        if let ValueKind::Table(table) = &tree[key].kind {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(&format!("[{}]\n", toml_key(key)));
            for inner in keys_in_file_order(table) {
                line(&mut out, &inner, &table[&inner]);
            }
        }
    }
    out
}

/// The text of config.toml for an experiment.
pub fn config_text(exp: &Experiment) -> String {
    let body = tree_text(&resolved_tree(exp));
    let config = Path::new(&exp.config_path);
    let config = std::path::absolute(config).unwrap_or_else(|_| config.to_path_buf());
    let mut overrides = exp.overrides.to_args();
    overrides.iter_mut().for_each(|a| *a = shell_quote(a));
    let description = std::fs::read_to_string(&exp.config_path)
        .map(|text| description_of(&text))
        .unwrap_or_default();
    let description = if description.is_empty() {
        String::new()
    } else {
        let lines: Vec<String> = description
            .lines()
            .map(|l| {
                if l.is_empty() {
                    "#".to_string()
                } else {
                    format!("# {l}")
                }
            })
            .collect();
        format!("#\n{DESCRIPTION_HEADING}\n{}\n", lines.join("\n"))
    };
    format!(
        "# The resolved config of experiment {}, from {}{}{}\n# with the name, seed and replications written out. Replay a run from it with\n# faultline replay <this folder> --run ID\n{description}\n{body}",
        exp.name,
        config.display(),
        if overrides.is_empty() { "" } else { " " },
        overrides.join(" ")
    )
}

/// The line of config.toml's header after which the source config's description follows.
pub const DESCRIPTION_HEADING: &str = "# The config's own description:";

/// A config's description: its leading comment (the lines starting with `#` before the
/// first line of TOML, blank lines before it skipped), without the `#` and one space; for
/// a results folder's config.toml, the description it carries.
pub fn description_of(text: &str) -> String {
    // A results folder's config.toml carries the description of the config it came from.
    if text.starts_with("# The resolved config of experiment ") {
        return snapshot_description(text);
    }
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim_end)
        .skip_while(|l| l.is_empty())
        .take_while(|l| l.starts_with('#'))
        .map(|l| {
            let l = l.strip_prefix('#').unwrap_or(l);
            l.strip_prefix(' ').unwrap_or(l)
        })
        .collect();
    let mut text = lines.join("\n");
    text.truncate(text.trim_end().len());
    text
}

/// The description of the source config that a results folder's config.toml text holds.
pub fn snapshot_description(config_toml: &str) -> String {
    let mut lines = config_toml
        .lines()
        .skip_while(|l| *l != DESCRIPTION_HEADING);
    if lines.next().is_none() {
        return String::new();
    }
    let body: String = lines
        .take_while(|l| l.starts_with('#'))
        .map(|l| {
            let l = l.strip_prefix('#').unwrap_or(l);
            l.strip_prefix(' ').unwrap_or(l)
        })
        .collect::<Vec<_>>()
        .join("\n");
    body
}

/// Writes config.toml into the results folder `dir` (atomically) and reads it back: it
/// must describe the same runs. Returns the experiment read back from it.
pub fn write_config(dir: &Path, exp: &Experiment) -> Result<Experiment, CliError> {
    write_config_text(dir, exp, &config_text(exp))
}

/// Writes `text`, the config.toml of `exp`'s runs (as [`config_text`] wrote it, maybe in
/// another folder), into the results folder `dir` and reads it back as [`write_config`]
/// does.
pub fn write_config_text(dir: &Path, exp: &Experiment, text: &str) -> Result<Experiment, CliError> {
    let path = dir.join(CONFIG_FILE);
    // Called while holding the folder's journal lock, like the other outputs.
    crate::output::remove_stale_temps(dir, &[CONFIG_FILE]).map_err(|e| output_error(dir, e))?;
    write_atomic(&path, text.as_bytes()).map_err(|e| output_error(&path, e))?;
    let back = Experiment::load(&path, &Overrides::default())
        .map_err(|e| CliError::Internal(format!("the resolved config does not read back: {e}")))?;
    if back.total_runs() != exp.total_runs()
        || back.seed != exp.seed
        || back.strategy_names != exp.strategy_names
        || back.name != exp.name
    {
        return Err(CliError::Internal(format!(
            "{} describes other runs than the experiment's",
            path.display()
        )));
    }
    Ok(back)
}

/// The config a command names: a config file, or a results folder's config.toml.
pub fn config_of(path: &Path) -> Result<PathBuf, CliError> {
    if !path.is_dir() {
        return Ok(path.to_path_buf());
    }
    let config = path.join(CONFIG_FILE);
    if config.is_file() {
        Ok(config)
    } else {
        Err(CliError::Input(format!(
            "{}: cannot read the config file: it is a folder, not a file, and holds no {CONFIG_FILE} (a results folder written by faultline run does)",
            path.display()
        )))
    }
}

/// The command that replays run `run_id` from the results folder `dir`, from any
/// directory.
pub fn replay_command(dir: &Path, run_id: &str) -> String {
    let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    format!(
        "faultline replay {} --run {run_id}",
        shell_quote(&dir.display().to_string())
    )
}

/// The description of a finished run in a results folder.
pub const MANIFEST_FILE: &str = "manifest.json";

/// The git commit faultline was built from, or `unknown` outside a git checkout.
pub const GIT_COMMIT: &str = env!("FAULTLINE_GIT_COMMIT");

/// The config tree flattened to its leaves: each dotted key (a segment that is not a bare
/// key quoted) with its value as TOML text, arrays whole.
pub fn flatten(tree: &Table) -> BTreeMap<String, String> {
    fn walk(table: &Table, prefix: &str, out: &mut BTreeMap<String, String>) {
        for (key, value) in table {
            let path = match prefix {
                "" => toml_key(key),
                _ => format!("{prefix}.{}", toml_key(key)),
            };
            match &value.kind {
                ValueKind::Table(t) if !t.is_empty() => walk(t, &path, out),
                _ => {
                    out.insert(path, to_toml(value).to_string());
                }
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(tree, "", &mut out);
    out
}

/// A wall-clock time as UTC in RFC 3339, to the second.
pub fn utc_text(unix_seconds: u64) -> String {
    // Days to a civil date (H. Hinnant's algorithm, proleptic Gregorian).
    let (days, rem) = (unix_seconds / 86_400, unix_seconds % 86_400);
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// The text of manifest.json for the runs of `snapshot` (the experiment read back from
/// config.toml), finished at `finished` (Unix seconds).
pub fn manifest_text(snapshot: &Experiment, command: &[String], finished: u64) -> String {
    json_text(&manifest_value(snapshot, command, finished))
}

/// A JSON value as manifest.json holds it: pretty, with a final newline.
pub fn json_text(value: &serde_json::Value) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("a JSON value writes");
    text.push('\n');
    text
}

/// The wall-clock time now, in Unix seconds.
pub fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// This process's command line, one string per argument.
pub fn command_line() -> Vec<String> {
    std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect()
}

/// What manifest.json holds for the runs of `snapshot`, as a JSON object.
pub fn manifest_value(
    snapshot: &Experiment,
    command: &[String],
    finished: u64,
) -> serde_json::Value {
    serde_json::json!({
        "faultline_version": env!("CARGO_PKG_VERSION"),
        "git_commit": GIT_COMMIT,
        "command": command,
        "experiment": snapshot.name,
        "fingerprint": format!("{:016x}", snapshot.fingerprint),
        "runs": snapshot.total_runs(),
        "finished": utc_text(finished),
        "config": flatten(&resolved_tree(snapshot)),
    })
}

/// Writes manifest.json into `dir` (atomically), with the wall-clock time now.
pub fn write_manifest(dir: &Path, snapshot: &Experiment) -> Result<(), CliError> {
    write_manifest_value(dir, &manifest_value(snapshot, &command_line(), now_unix()))
}

/// Writes manifest.json into `dir` (atomically) holding `value`.
pub fn write_manifest_value(dir: &Path, value: &serde_json::Value) -> Result<(), CliError> {
    let path = dir.join(MANIFEST_FILE);
    crate::output::remove_stale_temps(dir, &[MANIFEST_FILE]).map_err(|e| output_error(dir, e))?;
    write_atomic(&path, json_text(value).as_bytes()).map_err(|e| output_error(&path, e))
}

/// Reads a results folder's manifest.json, if it has one; one that is not a faultline
/// manifest is an input error naming it.
pub fn read_manifest(dir: &Path) -> Result<Option<serde_json::Value>, CliError> {
    let path = dir.join(MANIFEST_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(CliError::Input(format!(
                "{}: cannot read it ({})",
                path.display(),
                crate::load::describe_io(&e)
            )));
        }
    };
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        CliError::Input(format!(
            "{}: not a faultline manifest ({e}); expected the manifest.json faultline run writes",
            path.display()
        ))
    })?;
    if !value["fingerprint"].is_string() {
        return Err(CliError::Input(format!(
            "{}: not a faultline manifest (no fingerprint); expected the manifest.json faultline run writes",
            path.display()
        )));
    }
    Ok(Some(value))
}

/// Refuses a replay from a results folder's config.toml whose fingerprint, after the
/// replay's own `--set`, `--seed` and `--replications`, differs from the one manifest.json
/// recorded for the folder's runs, naming every config value that differs. A config that
/// is not a folder's config.toml, or a folder without manifest.json (a run not finished),
/// is not checked.
pub fn check_folder(config: &Path, exp: &Experiment) -> Result<(), CliError> {
    if config.file_name() != Some(std::ffi::OsStr::new(CONFIG_FILE)) {
        return Ok(());
    }
    let dir = match config.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let path = dir.join(MANIFEST_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            return Err(CliError::Input(format!(
                "{}: cannot read it ({})",
                path.display(),
                crate::load::describe_io(&e)
            )));
        }
    };
    let not_a_manifest = |why: String| {
        CliError::Input(format!(
            "{}: not a faultline manifest ({why}); expected the manifest.json faultline run writes",
            path.display()
        ))
    };
    let manifest: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| not_a_manifest(e.to_string()))?;
    let recorded = manifest["fingerprint"]
        .as_str()
        .ok_or_else(|| not_a_manifest("no fingerprint".into()))?;
    let now = format!("{:016x}", exp.fingerprint);
    if recorded == now {
        return Ok(());
    }
    let before: BTreeMap<String, String> = manifest["config"]
        .as_object()
        .ok_or_else(|| not_a_manifest("no config".into()))?
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
        .collect();
    let after = flatten(&resolved_tree(exp));
    Err(CliError::Input(format!(
        "{}: the config replayed has fingerprint {now}, not {recorded}, the fingerprint of the runs in {} ({MANIFEST_FILE}): {}; replay from the folder without --set, --seed or --replications, or run the changed config into another folder",
        config.display(),
        dir.display(),
        describe_changes(&before, &after)
    )))
}

/// The config values that differ between the runs of a folder and a replay, by dotted
/// key (at most ten, then how many more), with the top-level tables they are in.
pub fn describe_changes(
    before: &BTreeMap<String, String>,
    after: &BTreeMap<String, String>,
) -> String {
    let mut changes = Vec::new();
    let mut tables = std::collections::BTreeSet::new();
    let keys: std::collections::BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    for key in keys {
        let change = match (before.get(key), after.get(key)) {
            (Some(a), Some(b)) if a == b => continue,
            (Some(a), Some(b)) => format!("`{key}` = {a} in the folder's runs, {b} here"),
            (Some(a), None) => format!("`{key}` = {a} in the folder's runs, absent here"),
            (None, Some(b)) => format!("`{key}` absent in the folder's runs, {b} here"),
            (None, None) => continue,
        };
        tables.insert(key.split('.').next().unwrap_or(key).to_string());
        changes.push(change);
    }
    if changes.is_empty() {
        return "no config value differs, so a file the config reads (an empirical distribution's samples) changed since the runs".into();
    }
    let count = changes.len();
    let mut text = changes.into_iter().take(10).collect::<Vec<_>>().join("; ");
    if count > 10 {
        text.push_str(&format!("; and {} more", count - 10));
    }
    let tables: Vec<String> = tables.into_iter().map(|t| format!("[{t}]")).collect();
    format!(
        "{count} value{} differ{} (in {}): {text}",
        if count == 1 { "" } else { "s" },
        if count == 1 { "s" } else { "" },
        tables.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates_fall_on_the_right_day() {
        assert_eq!(utc_text(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_text(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc_text(1_796_233_509), "2026-12-02T17:45:09Z");
        assert_eq!(utc_text(4_107_628_799), "2100-03-01T23:59:59Z");
    }
}
