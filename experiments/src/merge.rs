//! `faultline merge --out DIR SHARD...`: joins the shard folders of `faultline run
//! --shard K/N` into the results folder of the whole experiment, with the files an
//! unsharded run writes, and those of `faultline hunt --shard K/N` into the hunt's
//! folder, with the files an unsharded hunt writes.
//!
//! Every shard must be there once, of the same split, the same command and the same
//! config (fingerprint, faultline version and commit), and hold exactly the runs its
//! index is assigned; the runs then go through the same outputs as `faultline run` (or
//! `hunt`), in run order, so the tables and figures are those of the unsharded run byte
//! for byte. config.toml is the shards' own, copied; timing.csv adds up the shards'
//! figures.

use crate::cli::{CliError, MergeArgs};
use crate::config::{Experiment, Overrides};
use crate::journal::{FINISHED_FILE, Journal, JournalError, read_finished};
use crate::manifest::{CONFIG_FILE, MANIFEST_FILE};
use crate::run::{Outputs, Timing, finish_folder, journal_error, print_report, report_json};
use crate::shard::{ShardSpec, assignment};
use hdrhistogram::Histogram;
use std::path::{Path, PathBuf};

/// A shard folder as its manifest describes it.
struct Shard {
    dir: PathBuf,
    spec: ShardSpec,
    runs: u64,
    fingerprint: String,
    version: String,
    commit: String,
    /// For a shard of `faultline hunt`, the config file it hunted.
    hunt: Option<String>,
    manifest: serde_json::Value,
}

impl Shard {
    /// The command that wrote the shard.
    fn command(&self) -> &'static str {
        if self.hunt.is_some() { "hunt" } else { "run" }
    }
}

fn shard_of(dir: &Path) -> Result<Shard, CliError> {
    let refuse = |why: String| CliError::Input(format!("{}: {why}", dir.display()));
    if !dir.is_dir() {
        return Err(refuse(
            "is not a folder; expected a shard folder written by faultline run (or hunt) --shard K/N".into(),
        ));
    }
    let manifest = crate::manifest::read_manifest(dir)?.ok_or_else(|| {
        refuse(format!(
            "holds no {MANIFEST_FILE}: the shard did not finish, or this is not a shard folder of faultline run (or hunt) --shard K/N"
        ))
    })?;
    let shard = &manifest["shard"];
    let (Some(index), Some(count), Some(runs)) = (
        shard["index"].as_u64(),
        shard["count"].as_u64(),
        shard["runs"].as_u64(),
    ) else {
        return Err(refuse(format!(
            "is not a shard folder: its {MANIFEST_FILE} names no shard (a results folder of a whole run needs no merge)"
        )));
    };
    let text = |key: &str| manifest[key].as_str().unwrap_or("unknown").to_string();
    Ok(Shard {
        dir: dir.to_path_buf(),
        spec: ShardSpec {
            index: index as u32,
            count: count as u32,
        },
        runs,
        fingerprint: text("fingerprint"),
        version: text("faultline_version"),
        commit: text("git_commit"),
        hunt: manifest["hunt"]["config"].as_str().map(str::to_string),
        manifest,
    })
}

/// Checks the shards are every shard of one split of one config, each once.
fn check_set(shards: &[Shard]) -> Result<(), CliError> {
    let first = &shards[0];
    for s in &shards[1..] {
        let differs = |what: &str, a: &str, b: &str| {
            CliError::Input(format!(
                "{}: shard {} is of {what} {b}, but {} (shard {}) is of {what} {a}: the shards are not of one run",
                s.dir.display(),
                s.spec,
                first.dir.display(),
                first.spec
            ))
        };
        if s.spec.count != first.spec.count {
            return Err(CliError::Input(format!(
                "{}: is shard {}, but {} is shard {}: the shards are of different splits (--shard K/N with another N)",
                s.dir.display(),
                s.spec,
                first.dir.display(),
                first.spec
            )));
        }
        if s.command() != first.command() {
            return Err(CliError::Input(format!(
                "{}: is a shard of faultline {}, but {} is a shard of faultline {}: the shards are not of one run",
                s.dir.display(),
                s.command(),
                first.dir.display(),
                first.command()
            )));
        }
        if s.fingerprint != first.fingerprint {
            return Err(differs(
                "config fingerprint",
                &first.fingerprint,
                &s.fingerprint,
            ));
        }
        if s.version != first.version {
            return Err(differs("faultline version", &first.version, &s.version));
        }
        if s.commit != first.commit {
            return Err(differs("faultline commit", &first.commit, &s.commit));
        }
    }
    let count = first.spec.count;
    let mut seen: Vec<Option<&Shard>> = vec![None; count as usize];
    for s in shards {
        if let Some(other) = seen[s.spec.index as usize] {
            return Err(CliError::Input(format!(
                "{}: is shard {}, as {} is: a shard given twice",
                s.dir.display(),
                s.spec,
                other.dir.display()
            )));
        }
        seen[s.spec.index as usize] = Some(s);
    }
    let missing: Vec<String> = (0..count)
        .filter(|&k| seen[k as usize].is_none())
        .map(|k| format!("{k}/{count}"))
        .collect();
    if !missing.is_empty() {
        let shown: Vec<String> = missing.iter().take(10).cloned().collect();
        return Err(CliError::Input(format!(
            "shard{} {}{} missing: merge needs every shard of the {count}, each once",
            if missing.len() == 1 { "" } else { "s" },
            shown.join(", "),
            if missing.len() > 10 {
                format!(" and {} more are", missing.len() - 10)
            } else if missing.len() == 1 {
                " is".to_string()
            } else {
                " are".to_string()
            }
        )));
    }
    Ok(())
}

pub fn cmd_merge(args: MergeArgs) -> Result<u8, CliError> {
    if args.shards.is_empty() {
        return Err(CliError::Input(
            "merge: expected the shard folders to merge, each written by faultline run (or hunt) --shard K/N"
                .into(),
        ));
    }
    let shards: Vec<Shard> = args
        .shards
        .iter()
        .map(|d| shard_of(d))
        .collect::<Result<_, _>>()?;
    check_set(&shards)?;
    if args.json && shards[0].hunt.is_some() {
        return Err(CliError::Input(
            "--json: the shards are of faultline hunt, whose summary is text only; merge them without --json".into(),
        ));
    }
    let out = &args.out;
    let same = |a: &Path, b: &Path| match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if let Some(s) = shards.iter().find(|s| same(&s.dir, out)) {
        return Err(CliError::Input(format!(
            "--out {}: is the shard folder of shard {}; merge into a folder of its own",
            out.display(),
            s.spec
        )));
    }
    let first = &shards[0];
    let config_path = first.dir.join(CONFIG_FILE);
    let config_text = std::fs::read_to_string(&config_path).map_err(|e| {
        CliError::Input(format!(
            "{}: cannot read it ({})",
            config_path.display(),
            crate::load::describe_io(&e)
        ))
    })?;
    let exp = Experiment::load(&config_path, &Overrides::default())?;
    if format!("{:016x}", exp.fingerprint) != first.fingerprint {
        return Err(CliError::Input(format!(
            "{}: has fingerprint {:016x}, not {} as its {MANIFEST_FILE} says: a file the config reads changed since the shard ran",
            config_path.display(),
            exp.fingerprint,
            first.fingerprint
        )));
    }
    let shard_of_run = assignment(&exp, first.spec.count);
    let total = exp.total_runs();
    let mut runs: Vec<Option<(Vec<String>, Histogram<u64>)>> = vec![None; total as usize];
    let mut timing = Timing {
        wall_seconds: 0.0,
        threads: 1,
        runs: 0,
        resumed_runs: 0,
        events: 0,
    };
    for s in &shards {
        let path = s.dir.join(FINISHED_FILE);
        let refuse = |why: String| CliError::Input(format!("{}: {why}", path.display()));
        let lines = read_finished(&path).map_err(|e| match e {
            JournalError::Io(_, ref io) if io.kind() == std::io::ErrorKind::NotFound => refuse(
                format!("is missing: shard {} holds no record of its runs", s.spec),
            ),
            JournalError::Mismatch(_, why) => refuse(format!("{why}; run shard {} again", s.spec)),
            other => CliError::Input(other.to_string()),
        })?;
        let expected = shard_of_run.iter().filter(|&&k| k == s.spec.index).count() as u64;
        if lines.len() as u64 != expected || s.runs != expected {
            return Err(refuse(format!(
                "holds {} runs, but shard {} of this config has {expected}",
                lines.len(),
                s.spec
            )));
        }
        for line in lines {
            let key = exp.find_run(&line.run_id).ok_or_else(|| {
                refuse(format!(
                    "holds run {}, which the config does not have",
                    line.run_id
                ))
            })?;
            let index = crate::campaign::run_index(&exp, key);
            if shard_of_run[index as usize] != s.spec.index {
                return Err(refuse(format!(
                    "holds run {}, which is not a run of shard {}",
                    line.run_id, s.spec
                )));
            }
            if runs[index as usize]
                .replace((line.cells, line.latency))
                .is_some()
            {
                return Err(refuse(format!("holds run {} twice", line.run_id)));
            }
        }
        let t = &s.manifest["timing"];
        timing.wall_seconds += t["wall_seconds"].as_f64().unwrap_or(0.0);
        timing.threads = timing
            .threads
            .max(t["threads"].as_u64().unwrap_or(1) as usize);
        timing.runs += t["runs"].as_u64().unwrap_or(0);
        timing.events += t["events"].as_u64().unwrap_or(0);
    }

    let runs = runs
        .into_iter()
        .map(|run| run.expect("every run was found in its shard"));
    let merged_from = format!(
        "merged {} shards of {} from {}",
        shards.len(),
        exp.name,
        shards
            .iter()
            .map(|s| s.dir.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    // The hunted config as shard 0 names it: the same whatever order the shards come in.
    let hunted = shards
        .iter()
        .find(|s| s.spec.index == 0)
        .and_then(|s| s.hunt.clone());
    if let Some(source) = hunted {
        return crate::hunt::write_merged(
            &exp,
            out,
            runs.collect(),
            &config_text,
            PathBuf::from(source),
            std::time::Duration::from_secs_f64(timing.wall_seconds),
            &merged_from,
        );
    }
    crate::cli::create_output_folder(out, crate::cli::FolderKind::Run)?;
    let mut journal = Journal::create(out, &exp).map_err(journal_error)?;
    crate::output::remove_stale_temps(out, &crate::run::OUTPUT_FILES)
        .map_err(|e| crate::cli::output_error(out, e))?;
    crate::campaign::remove_finished(out)?;
    let mut outputs = Outputs::create(out, &exp)?;
    for (index, (cells, latency)) in runs.enumerate() {
        let key = exp.run_key(index as u64);
        journal
            .append(&exp.run_id(key), &cells, &latency)
            .map_err(journal_error)?;
        outputs.add(key, cells, &latency)?;
    }
    let (report, plots) = finish_folder(
        &exp,
        out,
        outputs,
        journal,
        &timing,
        args.no_plots,
        Some(&config_text),
    )?;
    if args.json {
        println!(
            "{}",
            report_json(&exp, out, &report, &timing, plots.as_ref())
        );
    } else {
        println!("{merged_from}");
        print_report(&exp, out, &report, &timing);
        if let Some(plots) = plots {
            println!("  {}", plots.describe(out));
        }
    }
    Ok(if report.failed_runs > 0 { 1 } else { 0 })
}
