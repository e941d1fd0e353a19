//! `faultline slurm --submit` against a real one-node Slurm cluster on this machine
//! (scripts/slurm-local.sh installs Debian's slurmctld, slurmd, slurm-client and munge as
//! root when missing, and starts them): a sweep sharded three ways as a job array, merged
//! by the job chained after it, gives the files of the unsharded run byte for byte
//! (timing.csv aside; manifest.json but for the command line and the time it finished;
//! failures.csv but for the folder its replay commands name), and a hunt sharded the same
//! way (`--hunt`) merges to the unsharded hunt's hunt.csv and hunt_failures.csv (but for
//! the folder its replay commands name). The daemons the test
//! started are stopped however it ends. Where Slurm cannot be installed or started, the
//! test fails saying what is missing: it never passes without running.

use crate::common;

use crate::common::{repo_root, run_cli, stderr, stdout};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const CONFIG: &str = r#"
[experiment]
name = "on-slurm"
seed = 3
replications = 3
duration = "5s"
warmup = "1s"

[cluster]
servers = 3
service = { dist = "exponential", mean = "5ms" }

[workload]
arrivals = { kind = "poisson", rate = 100.0 }
timeout = "500ms"

[faults]
crash = { mttf = { dist = "exponential", mean = "3s" }, mttr = { dist = "exponential", mean = "1s" } }

[strategies.slow]
detector = { kind = "fixed-timeout", timeout = "1s" }

[strategies.fast]
detector = { kind = "fixed-timeout", interval = "50ms", timeout = "150ms" }

[sweep]
"cluster.servers" = [2, 3]

[checks]
min_availability = 0.995
"#;

/// How long the jobs may take: three shards of a few seconds each and a merge, plus the
/// scheduler's passes (every 2 s in the test cluster's slurm.conf).
const JOB_TIMEOUT: Duration = Duration::from_secs(300);

fn script(state: &Path, action: &str) -> Output {
    Command::new("bash")
        .arg(repo_root().join("scripts/slurm-local.sh"))
        .arg(action)
        .env("FAULTLINE_SLURM_DIR", state)
        .output()
        .expect("bash runs")
}

/// Stops the daemons the test started, however the test ends.
struct Cluster {
    state: PathBuf,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let out = script(&self.state, "stop");
        if !out.status.success() {
            eprintln!("stopping the test cluster: {}", stderr(&out));
        }
    }
}

fn slurm_command(conf: &Path, program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .env("SLURM_CONF", conf)
        .output()
        .unwrap_or_else(|e| panic!("{program} does not run: {e}"));
    format!("{}{}", stdout(&out), stderr(&out))
}

/// Runs `faultline slurm c.toml --shards 3 --time 10 ARGS --submit` in `dir` against the
/// test cluster; returns what it printed and the two job ids (the array's, the merge's).
fn submit(dir: &Path, conf: &Path, args: &[&str]) -> (String, Vec<String>) {
    let submitted = Command::new(common::faultline())
        .args(["slurm", "c.toml", "--shards", "3", "--time", "10"])
        .args(args)
        .arg("--submit")
        .env("SLURM_CONF", conf)
        .current_dir(dir)
        .output()
        .unwrap();
    assert_eq!(submitted.status.code(), Some(0), "{}", stderr(&submitted));
    let text = stdout(&submitted);
    let jobs: Vec<String> = text
        .split("as job ")
        .skip(1)
        .map(|rest| rest.split([' ', ',']).next().unwrap().to_string())
        .collect();
    assert_eq!(jobs.len(), 2, "{text}");
    (text, jobs)
}

#[test]
fn a_sweep_sharded_through_slurm_merges_to_the_files_of_the_unsharded_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let state = d.join("slurm-state");
    let conf = state.join("slurm.conf");
    let install = script(&state, "install");
    assert!(
        install.status.success(),
        "Slurm is not available, so the Slurm test cannot run: {}",
        stderr(&install)
    );
    let cluster = Cluster {
        state: state.clone(),
    };
    let started = Instant::now();
    let start = script(&state, "start");
    assert!(
        start.status.success(),
        "the one-node Slurm cluster did not start: {}{}",
        stdout(&start),
        stderr(&start)
    );
    eprintln!("cluster up in {:.1} s", started.elapsed().as_secs_f64());

    fs::write(d.join("c.toml"), CONFIG).unwrap();
    let (_, jobs) = submit(d, &conf, &["--out", "campaign"]);
    let (hunt_text, hunt_jobs) = submit(d, &conf, &["--hunt", "--seeds", "4", "--out", "hunt"]);
    assert!(
        hunt_text.starts_with("on-slurm: 16 hunted runs in 3 shards"),
        "{hunt_text}"
    );
    let hunt_script = fs::read_to_string(d.join("hunt/slurm/shards.sbatch")).unwrap();
    assert!(
        hunt_script.contains(" hunt ")
            && hunt_script.contains("--seeds 4")
            && !hunt_script.contains("--replications"),
        "{hunt_script}"
    );
    let script_text = fs::read_to_string(d.join("campaign/slurm/shards.sbatch")).unwrap();
    assert!(
        script_text.contains("#SBATCH --array=0-2\n"),
        "{script_text}"
    );
    assert!(
        script_text.contains("--shard \"${SLURM_ARRAY_TASK_ID}/3\""),
        "{script_text}"
    );

    // Meanwhile, the same sweep on one machine.
    let single = run_cli(d, &["run", "c.toml", "--out", "single"]);
    assert!(
        matches!(single.status.code(), Some(0 | 1)),
        "{}",
        stderr(&single)
    );
    let single_hunt = run_cli(
        d,
        &["hunt", "c.toml", "--seeds", "4", "--out", "single-hunt"],
    );
    assert!(
        matches!(single_hunt.status.code(), Some(0 | 1)),
        "{}",
        stderr(&single_hunt)
    );

    let merge = &jobs[1];
    let waited = Instant::now();
    loop {
        let queue = slurm_command(
            &conf,
            "squeue",
            &[
                "-h",
                "-j",
                &format!("{},{merge},{},{}", jobs[0], hunt_jobs[0], hunt_jobs[1]),
            ],
        );
        if queue.trim().is_empty() {
            break;
        }
        // A merge whose shards failed waits for ever: say so at once, with the logs.
        if queue.contains("DependencyNeverSatisfied") {
            let mut text = String::new();
            for job in ["campaign", "hunt"] {
                for name in ["shard-0.log", "shard-1.log", "shard-2.log"] {
                    let path = d.join(job).join("slurm").join(name);
                    let log = fs::read_to_string(&path).unwrap_or_default();
                    text.push_str(&format!("--- {}\n{log}\n", path.display()));
                }
            }
            panic!("a shard failed, so its merge can never start:\n{queue}\n{text}");
        }
        assert!(
            waited.elapsed() < JOB_TIMEOUT,
            "the jobs did not finish in {JOB_TIMEOUT:?}; squeue says:\n{queue}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    let logs = || {
        let dir = d.join("campaign/slurm");
        let mut text = String::new();
        for name in ["shard-0.log", "shard-1.log", "shard-2.log", "merge.log"] {
            text.push_str(&format!(
                "--- {name}\n{}\n",
                fs::read_to_string(dir.join(name)).unwrap_or_default()
            ));
        }
        text
    };
    // The merge exits as `faultline run` does: 1 when a run broke a check, as some do
    // here, which Slurm records as a failed job with exit code 1.
    let state_of = slurm_command(&conf, "scontrol", &["show", "job", merge]);
    assert!(
        state_of.contains("JobState=FAILED Reason=NonZeroExitCode")
            && state_of.contains("ExitCode=1:0"),
        "the merge job did not end with exit code 1 (failed checks):\n{state_of}\n{}",
        logs()
    );
    let merge_log = fs::read_to_string(d.join("campaign/slurm/merge.log")).unwrap();
    assert!(
        merge_log.contains("merged 3 shards of on-slurm")
            && merge_log.contains("checks: 10 of 12 runs failed"),
        "{merge_log}"
    );
    for k in 0..3 {
        let log = fs::read_to_string(d.join(format!("campaign/slurm/shard-{k}.log"))).unwrap();
        assert!(log.contains(&format!("shard {k}/3, 4 of 12 runs")), "{log}");
    }
    eprintln!(
        "jobs done {:.1} s after submission",
        waited.elapsed().as_secs_f64()
    );

    let (a, b) = (d.join("single"), d.join("campaign"));
    // The campaign folder also holds the shards and the Slurm scripts and logs.
    common::assert_same_results(&a, &b, &["shards", "slurm"], &logs());
    let merged = fs::read_to_string(b.join("timing.csv")).unwrap();
    assert_eq!(merged.lines().nth(1).unwrap().split(',').nth(2), Some("12"));

    // The hunt: the same hunt.csv, and the same failures but for the folder named.
    let hunt_log = fs::read_to_string(d.join("hunt/slurm/merge.log")).unwrap_or_default();
    let (single_hunt, merged_hunt) = (d.join("single-hunt"), d.join("hunt"));
    assert_eq!(
        fs::read(single_hunt.join("hunt.csv")).unwrap(),
        fs::read(merged_hunt.join("hunt.csv")).unwrap_or_default(),
        "{hunt_log}"
    );
    let failures = |dir: &Path| {
        fs::read_to_string(dir.join("hunt_failures.csv"))
            .unwrap_or_default()
            .replace(&dir.display().to_string(), "DIR")
    };
    assert_eq!(failures(&single_hunt), failures(&merged_hunt), "{hunt_log}");
    assert!(failures(&merged_hunt).lines().count() > 1, "{hunt_log}");
    drop(cluster);
}
