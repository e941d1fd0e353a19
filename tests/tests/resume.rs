//! `faultline run --resume`: a run interrupted at any point (here: stopped after an exact
//! number of runs, with a cut-short journal line, or killed) and resumed produces
//! runs.csv, summary.csv and failures.csv byte-identical to an uninterrupted run, at any
//! thread count; an interrupted run leaves no partial output file; resuming with a changed
//! config is refused.

mod common;

use common::{run_cli, run_cli_env, stderr};
use experiments::journal::JOURNAL_FILE;
use experiments::run::INTERRUPT_AFTER_ENV;
use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

const CONFIG: &str = r#"
[experiment]
name = "resumable"
seed = 17
replications = 6
duration = "10s"
warmup = "1s"

[cluster]
servers = 3
service = { dist = "exponential", mean = "10ms" }

[workload]
arrivals = { kind = "poisson", rate = 150.0 }
timeout = "500ms"

[faults]
crash = { mttf = { dist = "exponential", mean = "5s" }, mttr = { dist = "exponential", mean = "2s" } }

[strategies.slow]
detector = { kind = "fixed-timeout", timeout = "1s" }

[strategies.fast]
detector = { kind = "fixed-timeout", interval = "50ms", timeout = "150ms" }

[sweep]
"cluster.servers" = [2, 3]

[checks]
min_availability = 0.99
"#;

const OUTPUTS: [&str; 4] = ["runs.csv", "summary.csv", "failures.csv", "latency_cdf.csv"];

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("r.toml"), CONFIG).unwrap();
    dir
}

/// Runs the config uninterrupted into `full`, returning its exit code.
fn full_run(dir: &Path, extra: &[&str]) -> Option<i32> {
    let mut args = vec!["run", "r.toml", "--out", "full", "--threads", "2"];
    args.extend_from_slice(extra);
    let out = run_cli(dir, &args);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    out.status.code()
}

fn journal_runs(dir: &Path) -> usize {
    let text = fs::read_to_string(dir.join(JOURNAL_FILE)).unwrap();
    text.lines()
        .filter(|l| l.starts_with('c') && l.contains('-'))
        .count()
}

fn assert_same_outputs(dir: &Path, resumed: &str) {
    for name in OUTPUTS {
        let a = fs::read(dir.join("full").join(name)).unwrap();
        let b = fs::read(dir.join(resumed).join(name)).unwrap();
        assert!(a == b, "{name} differs after resuming");
    }
    let left: Vec<String> = fs::read_dir(dir.join(resumed))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.') || n == JOURNAL_FILE)
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn an_interrupted_run_resumes_to_identical_files() {
    let dir = setup();
    let code = full_run(dir.path(), &[]);
    // 2 cells x 2 strategies x 6 replications = 24 runs; stop after 7 of them.
    let out = run_cli_env(
        dir.path(),
        &["run", "r.toml", "--out", "part", "--threads", "2"],
        &[(INTERRUPT_AFTER_ENV, "7")],
    );
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    let part = dir.path().join("part");
    for name in OUTPUTS {
        assert!(
            !part.join(name).exists(),
            "{name} written by an interrupted run"
        );
    }
    assert_eq!(journal_runs(&part), 7);
    // A crash in the middle of a write leaves a line without its end.
    let mut journal = fs::OpenOptions::new()
        .append(true)
        .open(part.join(JOURNAL_FILE))
        .unwrap();
    journal.write_all(b"c0-fast-r3,1187,11").unwrap();
    drop(journal);

    // Interrupt the resumed run again, 5 runs later, on another thread count.
    let out = run_cli_env(
        dir.path(),
        &[
            "run",
            "r.toml",
            "--out",
            "part",
            "--threads",
            "1",
            "--resume",
        ],
        &[(INTERRUPT_AFTER_ENV, "5")],
    );
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("dropped the last 18 bytes"),
        "{}",
        stderr(&out)
    );
    assert_eq!(journal_runs(&part), 12);

    let out = run_cli(
        dir.path(),
        &[
            "run",
            "r.toml",
            "--out",
            "part",
            "--threads",
            "8",
            "--resume",
        ],
    );
    assert_eq!(out.status.code(), code, "{}", stderr(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("resumed: 12 runs read back from the journal, 12 simulated now"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_same_outputs(dir.path(), "part");
}

#[test]
fn a_killed_run_resumes_to_identical_files() {
    let dir = setup();
    // 96 runs on one thread: about a second, long enough to be killed after three.
    let more = ["--replications", "24"];
    full_run(dir.path(), &more);
    // Kill the process (SIGKILL: no cleanup at all) once the journal holds three runs.
    let mut child = Command::new(common::faultline())
        .args(["run", "r.toml", "--out", "killed", "--threads", "1"])
        .args(more)
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let journal = dir.path().join("killed").join(JOURNAL_FILE);
    let killed_mid_run = loop {
        if child.try_wait().unwrap().is_some() {
            break false;
        }
        let runs = fs::read_to_string(&journal)
            .map(|t| t.lines().filter(|l| l.starts_with("c")).count())
            .unwrap_or(0);
        if runs >= 3 {
            child.kill().unwrap();
            child.wait().unwrap();
            break true;
        }
        std::thread::yield_now();
    };
    if killed_mid_run {
        assert!(!dir.path().join("killed/runs.csv").exists());
    } else {
        println!("the run finished before it could be killed; resuming reruns it");
    }
    let out = run_cli(
        dir.path(),
        &[
            "run",
            "r.toml",
            "--out",
            "killed",
            "--resume",
            "--replications",
            "24",
        ],
    );
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    assert_same_outputs(dir.path(), "killed");
}

#[test]
fn resuming_with_a_changed_config_is_refused() {
    let dir = setup();
    let out = run_cli_env(
        dir.path(),
        &["run", "r.toml", "--out", "part"],
        &[(INTERRUPT_AFTER_ENV, "3")],
    );
    assert_eq!(out.status.code(), Some(130));
    let journal = dir.path().join("part").join(JOURNAL_FILE);
    let before = fs::read(&journal).unwrap();

    let out = run_cli(
        dir.path(),
        &[
            "run",
            "r.toml",
            "--out",
            "part",
            "--resume",
            "--set",
            "workload.timeout=1s",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("resume.journal: cannot resume: it was written for a different config"),
        "{err}"
    );
    assert!(err.contains("run without --resume to start over"), "{err}");

    fs::write(
        dir.path().join("r.toml"),
        CONFIG.replace("seed = 17", "seed = 18"),
    )
    .unwrap();
    let out = run_cli(dir.path(), &["run", "r.toml", "--out", "part", "--resume"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(
        fs::read(&journal).unwrap(),
        before,
        "a refused resume keeps the journal"
    );

    // Without --resume the run starts over and completes.
    let out = run_cli(dir.path(), &["run", "r.toml", "--out", "part"]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    assert!(stderr(&out).contains("starting over"), "{}", stderr(&out));
    assert!(!journal.exists());
}

#[test]
fn a_folder_another_run_writes_to_is_refused() {
    let dir = setup();
    let folder = dir.path().join("busy");
    fs::create_dir_all(&folder).unwrap();
    // Hold the journal's lock as a running faultline would.
    let journal = fs::File::create(folder.join(JOURNAL_FILE)).unwrap();
    journal.lock().unwrap();
    for resume in [false, true] {
        let mut args = vec!["run", "r.toml", "--out", "busy"];
        if resume {
            args.push("--resume");
        }
        let out = run_cli(dir.path(), &args);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("another faultline run is writing to this output folder"),
            "{}",
            stderr(&out)
        );
    }
    let names: Vec<String> = fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, [JOURNAL_FILE], "nothing else is written");
    journal.unlock().unwrap();
}
