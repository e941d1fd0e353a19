//! `faultline run --grow`: a campaign grown in place (more replications, one more
//! strategy, more sweep values) simulates only the runs it lacks and gives the files of a
//! fresh run of the grown config byte for byte (timing.csv aside; manifest.json but for
//! the command line and the time it finished; failures.csv but for the folder its replay
//! commands name); cells renumbered by an inserted sweep value are simulated again; a run
//! whose own config changed, or a config that drops runs, is refused with exit code 2 and
//! leaves the folder as it was; an interrupted grow resumes to the same files.

use crate::common::{assert_same_results, files, run_cli, run_cli_env, stderr, stdout};
use experiments::run::INTERRUPT_AFTER_ENV;
use std::fs;
use std::path::{Path, PathBuf};

fn config(strategies: &[&str], servers: &str) -> String {
    let mut text = format!(
        r#"
[experiment]
name = "campaign"
seed = 11
replications = 4
duration = "6s"
warmup = "1s"

[cluster]
servers = 3
service = {{ dist = "exponential", mean = "5ms" }}

[workload]
arrivals = {{ kind = "poisson", rate = 120.0 }}
timeout = "500ms"

[faults]
crash = {{ mttf = {{ dist = "exponential", mean = "4s" }}, mttr = {{ dist = "exponential", mean = "1s" }} }}

[sweep]
"cluster.servers" = {servers}

[checks]
min_availability = 0.995
"#
    );
    for s in strategies {
        text.push_str(match *s {
            "slow" => "\n[strategies.slow]\ndetector = { kind = \"fixed-timeout\", timeout = \"1s\" }\n",
            _ => "\n[strategies.fast]\ndetector = { kind = \"fixed-timeout\", interval = \"50ms\", timeout = \"150ms\" }\n",
        });
    }
    text
}

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("small.toml"), config(&["slow"], "[2, 3]")).unwrap();
    fs::write(d.join("grown.toml"), config(&["slow", "fast"], "[2, 3, 4]")).unwrap();
    fs::write(
        d.join("inserted.toml"),
        config(&["slow", "fast"], "[2, 5, 3, 4]"),
    )
    .unwrap();
    dir
}

fn ok(dir: &Path, args: &[&str]) -> std::process::Output {
    let out = run_cli(dir, args);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{args:?}: {}",
        stderr(&out)
    );
    out
}

/// timing.csv's `runs` and `resumed_runs`.
fn simulated_and_reused(dir: &Path) -> (u64, u64) {
    let text = fs::read_to_string(dir.join("timing.csv")).unwrap();
    let row: Vec<u64> = text
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .map(|c| c.parse().unwrap_or(0))
        .collect();
    (row[2], row[3])
}

#[test]
fn a_grown_campaign_equals_a_fresh_run_and_simulates_only_the_new_runs() {
    let dir = setup();
    let d = dir.path();
    // 2 cells x 1 strategy x 2 replications.
    ok(
        d,
        &["run", "small.toml", "--replications", "2", "--out", "g"],
    );
    assert_eq!(simulated_and_reused(&d.join("g")), (4, 0));
    // Grown to 3 cells x 2 strategies x 4 replications = 24 runs: the 4 are read back.
    let out = ok(d, &["run", "grown.toml", "--grow", "--out", "g"]);
    assert!(
        stdout(&out).contains("resumed: 4 runs read back"),
        "{}",
        stdout(&out)
    );
    assert_eq!(simulated_and_reused(&d.join("g")), (20, 4));
    ok(d, &["run", "grown.toml", "--out", "fresh"]);
    assert_same_results(&d.join("g"), &d.join("fresh"), &[], "");

    // Growing again with nothing to add simulates nothing and changes nothing.
    ok(d, &["run", "grown.toml", "--grow", "--out", "g"]);
    assert_eq!(simulated_and_reused(&d.join("g")), (0, 24));
    assert_same_results(&d.join("g"), &d.join("fresh"), &[], "");

    // A value inserted before others renumbers their cells, so their seeds move: cell 0
    // (2 servers) is read back, the 16 runs of 3 and 4 servers and the 8 new ones of 5
    // are simulated.
    let out = ok(d, &["run", "inserted.toml", "--grow", "--out", "g"]);
    assert!(
        stderr(&out)
            .contains("note: 16 runs of g are simulated again: their cells were renumbered"),
        "{}",
        stderr(&out)
    );
    assert_eq!(simulated_and_reused(&d.join("g")), (24, 8));
    ok(d, &["run", "inserted.toml", "--out", "fresh2"]);
    assert_same_results(&d.join("g"), &d.join("fresh2"), &[], "");
}

#[test]
fn a_changed_run_or_a_dropped_run_is_refused_and_the_folder_kept() {
    let dir = setup();
    let d = dir.path();
    ok(d, &["run", "small.toml", "--out", "g"]);
    let before: Vec<(PathBuf, Vec<u8>)> = files(&d.join("g"))
        .into_iter()
        .map(|n| (n.clone(), fs::read(d.join("g").join(&n)).unwrap()))
        .collect();
    let refused = |args: &[&str]| {
        let out = run_cli(d, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        stderr(&out)
    };
    let err = refused(&[
        "run",
        "grown.toml",
        "--grow",
        "--out",
        "g",
        "--set",
        "workload.timeout=400ms",
    ]);
    assert!(
        err.starts_with("error: g: cannot grow: its run c0-slow-r0 has another config than run c0-slow-r0 here: 1 value differs (in [workload]): `workload.timeout` = \"500ms\" in the folder's runs, \"400ms\" here; run without --grow to start over"),
        "{err}"
    );
    let err = refused(&["run", "grown.toml", "--grow", "--out", "g", "--seed", "12"]);
    assert!(
        err.contains("`experiment.seed` = 11 in the folder's runs, 12 here"),
        "{err}"
    );
    let err = refused(&[
        "run",
        "small.toml",
        "--grow",
        "--out",
        "g",
        "--replications",
        "3",
    ]);
    assert!(
        err.contains("2 of its runs are not runs of the config (the first: c0-slow-r3); --grow only adds runs"),
        "{err}"
    );
    let after: Vec<(PathBuf, Vec<u8>)> = files(&d.join("g"))
        .into_iter()
        .map(|n| (n.clone(), fs::read(d.join("g").join(&n)).unwrap()))
        .collect();
    assert!(before == after, "a refused grow changed the folder");

    // A folder without a finished run grows from nothing.
    let out = ok(d, &["run", "small.toml", "--grow", "--out", "new"]);
    assert!(
        stderr(&out).contains("note: new holds no finished run to grow"),
        "{}",
        stderr(&out)
    );
    assert_eq!(simulated_and_reused(&d.join("new")), (8, 0));
}

#[test]
fn an_interrupted_grow_resumes_to_the_files_of_a_fresh_run() {
    let dir = setup();
    let d = dir.path();
    ok(
        d,
        &["run", "small.toml", "--replications", "2", "--out", "g"],
    );
    let out = run_cli_env(
        d,
        &[
            "run",
            "grown.toml",
            "--grow",
            "--out",
            "g",
            "--threads",
            "2",
        ],
        &[(INTERRUPT_AFTER_ENV, "5")],
    );
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    assert!(
        !d.join("g/manifest.json").exists(),
        "an unfinished folder has no manifest"
    );
    let out = ok(
        d,
        &[
            "run",
            "grown.toml",
            "--grow",
            "--resume",
            "--out",
            "g",
            "--threads",
            "1",
        ],
    );
    assert!(stdout(&out).contains("resumed:"), "{}", stdout(&out));
    ok(d, &["run", "grown.toml", "--out", "fresh"]);
    assert_same_results(&d.join("g"), &d.join("fresh"), &[], "");
}
