//! `faultline slurm CONFIG --shards N --out DIR`: writes a Slurm job array that runs the
//! N shards of an experiment (`faultline run CONFIG --shard $SLURM_ARRAY_TASK_ID/N`, or
//! with `--hunt` `faultline hunt`) and a merge job that joins them into DIR once every
//! shard succeeded; with `--submit`, submits both with sbatch and prints their job ids.
//!
//! The scripts name the running faultline binary and the config by absolute path, so
//! they run from any directory of a cluster whose nodes share the file system. Shards go
//! to DIR/shards/K, the scripts and the jobs' logs to DIR/slurm/.

use crate::cli::{CliError, SlurmArgs, integer_flag, load, output_error};
use crate::config::shell_quote;
use crate::output::write_atomic;
use crate::shard::MAX_SHARDS;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The job-array script's file name in DIR/slurm/.
pub const ARRAY_SCRIPT: &str = "shards.sbatch";
/// The merge job's script's file name in DIR/slurm/.
pub const MERGE_SCRIPT: &str = "merge.sbatch";

/// What the scripts need.
pub struct Plan {
    pub name: String,
    pub faultline: PathBuf,
    pub config: PathBuf,
    pub overrides: Vec<String>,
    pub shards: u32,
    pub out: PathBuf,
    pub partition: Option<String>,
    pub time: Option<String>,
    pub cpus_per_task: Option<u32>,
    /// The shards hunt rather than run.
    pub hunt: bool,
}

fn quote(path: &Path) -> String {
    shell_quote(&path.display().to_string())
}

impl Plan {
    fn directives(&self, job: &str, log: &str, array: bool) -> String {
        let mut text = format!(
            "#SBATCH --job-name={}\n#SBATCH --output={}\n",
            job,
            self.out.join("slurm").join(log).display()
        );
        if array {
            text.push_str(&format!("#SBATCH --array=0-{}\n", self.shards - 1));
        }
        if let Some(p) = &self.partition {
            text.push_str(&format!("#SBATCH --partition={p}\n"));
        }
        if let Some(t) = &self.time {
            text.push_str(&format!("#SBATCH --time={t}\n"));
        }
        if array && let Some(c) = self.cpus_per_task {
            text.push_str(&format!("#SBATCH --cpus-per-task={c}\n"));
        }
        text
    }

    /// What the shards are of, in the scripts' comments.
    fn subject(&self) -> &'static str {
        if self.hunt {
            "the hunt of"
        } else {
            "experiment"
        }
    }

    /// The job-array script: task K runs shard K of N into DIR/shards/K.
    pub fn array_script(&self) -> String {
        let command = if self.hunt { "hunt" } else { "run" };
        let mut run = vec![quote(&self.faultline), command.into(), quote(&self.config)];
        run.extend(self.overrides.iter().map(|a| shell_quote(a)));
        format!(
            "#!/bin/bash\n{}# The {} shards of {} {}, written by faultline slurm; task K runs shard K.\nset -euo pipefail\nexec {} \\\n    --shard \"${{SLURM_ARRAY_TASK_ID}}/{}\" \\\n    --out {}\"/${{SLURM_ARRAY_TASK_ID}}\" \\\n    --threads \"${{SLURM_CPUS_PER_TASK:-1}}\" --progress lines\n",
            self.directives(&format!("faultline-{}", self.name), "shard-%a.log", true),
            self.shards,
            self.subject(),
            self.name,
            run.join(" "),
            self.shards,
            quote(&self.out.join("shards")),
        )
    }

    /// The merge job's script: joins DIR/shards/0 .. N-1 into DIR.
    pub fn merge_script(&self) -> String {
        format!(
            "#!/bin/bash\n{}# Merges the {} shards of {} {} into its results folder, written by faultline slurm.\nset -euo pipefail\nshards=()\nfor k in $(seq 0 {}); do shards+=({}\"/$k\"); done\nexec {} merge --out {} \"${{shards[@]}}\"\n",
            self.directives(
                &format!("faultline-{}-merge", self.name),
                "merge.log",
                false
            ),
            self.shards,
            self.subject(),
            self.name,
            self.shards - 1,
            quote(&self.out.join("shards")),
            quote(&self.faultline),
            quote(&self.out),
        )
    }
}

/// A Slurm option's value: only the characters its format has, so that it reads alike in
/// a script and on a command line.
fn option_value(flag: &str, text: &str, allowed: &str, what: &str) -> Result<String, CliError> {
    let ok = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || allowed.contains(c));
    if ok {
        Ok(text.to_string())
    } else {
        Err(CliError::Input(format!(
            "{flag}: expected {what}, got `{text}`"
        )))
    }
}

pub fn cmd_slurm(args: SlurmArgs) -> Result<u8, CliError> {
    if args.seeds.is_some() && !args.hunt {
        return Err(CliError::Input(
            "--seeds: only with --hunt; the runs of a run are --replications".into(),
        ));
    }
    let exp = if args.hunt {
        crate::hunt::refuse_replications(&args.config)?;
        crate::hunt::load_hunted(&args.config, args.seeds.as_deref())?
    } else {
        load(&args.config)?
    };
    let shards = integer_flag("--shards", &args.shards, 1, u64::from(MAX_SHARDS))? as u32;
    let partition = args
        .partition
        .as_deref()
        .map(|p| {
            option_value(
                "--partition",
                p,
                "_-.,",
                "a partition name (letters, digits, `_`, `-`, `.`; several separated by `,`)",
            )
        })
        .transpose()?;
    let time = args
        .time
        .as_deref()
        .map(|t| {
            let t = option_value(
                "--time",
                t,
                ":-",
                "a Slurm time limit like 30, 2:00:00 or 1-12:00:00",
            )?;
            if t.chars().any(|c| c.is_ascii_alphabetic()) && t != "UNLIMITED" && t != "INFINITE" {
                return Err(CliError::Input(format!(
                    "--time: expected a Slurm time limit like 30, 2:00:00 or 1-12:00:00, got `{t}`"
                )));
            }
            Ok(t)
        })
        .transpose()?;
    let cpus_per_task = args
        .cpus_per_task
        .as_deref()
        .map(|c| integer_flag("--cpus-per-task", c, 1, 4096).map(|c| c as u32))
        .transpose()?;
    let faultline = std::env::current_exe().map_err(|e| {
        CliError::Internal(format!("cannot find the running faultline binary: {e}"))
    })?;
    let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let overrides = if args.hunt {
        // A hunt takes its seeds as --seeds, never --replications.
        let mut own = exp.overrides.clone();
        let seeds = own.replications.take();
        let mut words = own.to_args();
        if let Some(n) = seeds {
            words.extend(["--seeds".to_string(), n.to_string()]);
        }
        words
    } else {
        exp.overrides.to_args()
    };
    let plan = Plan {
        name: exp.name.clone(),
        faultline,
        config: absolute(&args.config.config),
        overrides,
        shards,
        out: absolute(&args.out),
        partition,
        time,
        cpus_per_task,
        hunt: args.hunt,
    };
    let dir = plan.out.join("slurm");
    std::fs::create_dir_all(&dir).map_err(|e| {
        CliError::Input(format!(
            "{}: cannot create the folder ({})",
            dir.display(),
            crate::load::describe_io(&e)
        ))
    })?;
    let array = dir.join(ARRAY_SCRIPT);
    let merge = dir.join(MERGE_SCRIPT);
    for (path, text) in [(&array, plan.array_script()), (&merge, plan.merge_script())] {
        write_atomic(path, text.as_bytes()).map_err(|e| output_error(path, e))?;
    }
    println!(
        "{}: {} {} in {shards} shards; wrote {} (job array 0-{}) and {} (the merge into {})",
        exp.name,
        exp.total_runs(),
        if args.hunt { "hunted runs" } else { "runs" },
        array.display(),
        shards - 1,
        merge.display(),
        plan.out.display()
    );
    if !args.submit {
        println!(
            "  submit both with:\n  job=$(sbatch --parsable {}) && sbatch --dependency=afterok:${{job%%;*}} {}",
            quote(&array),
            quote(&merge)
        );
        return Ok(0);
    }
    let array_job = sbatch(&[], &array)?;
    let merge_job = sbatch(&[format!("--dependency=afterok:{array_job}")], &merge)?;
    println!(
        "  submitted the shards as job {array_job} and the merge as job {merge_job}, which starts once every shard succeeded"
    );
    Ok(0)
}

/// Submits `script` with `sbatch --parsable`, returning the job id.
fn sbatch(options: &[String], script: &Path) -> Result<String, CliError> {
    let output = Command::new("sbatch")
        .arg("--parsable")
        .args(options)
        .arg(script)
        .output()
        .map_err(|e| {
            CliError::Input(format!(
                "--submit: cannot run sbatch ({}); is this a Slurm login node? The scripts are written: submit {} by hand",
                crate::load::describe_io(&e),
                script.display()
            ))
        })?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let id = stdout
        .trim()
        .split(';')
        .next()
        .unwrap_or_default()
        .to_string();
    if !output.status.success() || id.is_empty() || !id.chars().all(|c| c.is_ascii_digit()) {
        return Err(CliError::Input(format!(
            "--submit: sbatch {} failed ({}): {}",
            script.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok(id)
}
