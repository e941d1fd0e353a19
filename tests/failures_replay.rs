//! failures.csv: every run that broke a `[checks]` threshold is listed once per broken
//! check, and its replay command, pasted into a shell as written from whatever directory,
//! reruns that run alone from the results folder's config.toml, breaks the same check with
//! the same value and reproduces its trace hash, whatever overrides (`--set`, `--seed`,
//! `--replications`) the experiment was run with. `faultline replay DIR --run ID` replays
//! every run of a folder with the trace hash runs.csv holds.

use crate::common::Variant;
use crate::common::{Table, run_cli, run_shell, stderr, stdout};
use std::collections::BTreeMap;
use std::fs;

const CONFIG: &str = r#"
[experiment]
name = "strict"
seed = 3
replications = 3
duration = "30s"

[cluster]
servers = 2
service = { dist = "exponential", mean = "10ms" }

[workload]
arrivals = { kind = "poisson", rate = 100.0 }

[faults]
crash = { mttf = { dist = "exponential", mean = "10s" }, mttr = { dist = "exponential", mean = "5s" } }

[strategies.slow]
detector = { kind = "fixed-timeout", timeout = "1s" }

[strategies.fast]
detector = { kind = "fixed-timeout", interval = "50ms", timeout = "150ms" }

[sweep]
"cluster.queue_capacity" = [100, 1000]

[checks]
min_availability = 0.9999
max_lost_in_crash = 3
"#;

#[test]
fn each_replay_command_reproduces_its_failure_and_hash() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("strict.toml"), CONFIG).unwrap();
    let arrivals = r#"workload.arrivals={ kind = "poisson", rate = 150.0 }"#;
    let out = run_cli(
        dir.path(),
        &[
            "run",
            "strict.toml",
            "--out",
            "out",
            "--set",
            "cluster.servers=3",
            "--set",
            arrivals,
            "--seed",
            "9",
            "--replications",
            "4",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let runs = Table::read(&dir.path().join("out/runs.csv"));
    assert_eq!(runs.rows.len(), 2 * 2 * 4, "--replications 4 applies");
    let failures = Table::read(&dir.path().join("out/failures.csv"));
    // Crashes every 10 s on three servers over 30 s: a run without a lost request is
    // rare, so most runs break the 0.9999 availability check.
    assert!(
        failures.rows.len() >= 8,
        "{} failures listed",
        failures.rows.len()
    );
    let checks = failures.values("check");
    assert!(checks.iter().any(|c| c == "min_availability"));
    assert!(checks.iter().any(|c| c == "max_lost_in_crash"));

    // The commands are pasted in another directory than the one the run started in.
    let elsewhere = tempfile::tempdir().unwrap();
    let folder = std::path::absolute(dir.path().join("out")).unwrap();
    for row in &failures.rows {
        let command = failures.cell(row, "replay");
        // The snapshot holds the overrides, so the command needs none.
        assert!(
            command.starts_with(&format!("faultline replay {} --run ", folder.display())),
            "{command}"
        );
        assert!(!command.contains("--set"), "{command}");
        let run_id = failures.cell(row, "run_id");
        assert!(command.contains(&format!("--run {run_id}")), "{command}");
        let out = run_shell(elsewhere.path(), command);
        assert_eq!(
            out.status.code(),
            Some(1),
            "the replayed run fails its check again: {command}\n{}",
            stderr(&out)
        );
        let text = stdout(&out);
        let hash = failures.cell(row, "trace_hash");
        assert!(text.contains(&format!("trace_hash {hash}")), "{command}");
        let value = failures.cell(row, "value");
        let check = failures.cell(row, "check");
        assert!(
            text.contains(&format!("check failed: {check}: {value} against ")),
            "{command}: {text}"
        );
        // And the hash is the one runs.csv recorded for the run.
        let recorded = runs.rows_where("run_id", run_id);
        assert_eq!(runs.cell(recorded[0], "trace_hash"), hash);
    }
}

#[test]
fn runs_that_pass_every_check_are_not_listed() {
    let dir = tempfile::tempdir().unwrap();
    let relaxed = CONFIG
        .variant("min_availability = 0.9999", "min_availability = 0.1")
        .variant("max_lost_in_crash = 3", "max_lost_in_crash = 1000000");
    fs::write(dir.path().join("relaxed.toml"), relaxed).unwrap();
    let out = run_cli(dir.path(), &["run", "relaxed.toml", "--out", "out"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let failures = Table::read(&dir.path().join("out/failures.csv"));
    assert!(failures.rows.is_empty());
    assert!(stdout(&out).contains("checks: 0 of 12 runs failed"));
}

/// A config with what the snapshot must carry over: overrides, a seed beyond a TOML
/// integer, a sweep, strategies listed out of name order and an empirical file named
/// relative to the config.
const SNAPSHOT_CONFIG: &str = r#"
[experiment]
seed = 3
replications = 2
duration = "20s"

[cluster]
servers = 3
service = { dist = "empirical", file = "samples/service.txt" }

[workload]
arrivals = { kind = "poisson", rate = 80.0 }

[faults]
crash = { mttf = { dist = "exponential", mean = "8s" }, mttr = { dist = "exponential", mean = "3s" } }

[strategies.zeta]
detector = { kind = "fixed-timeout", timeout = "1s" }

[strategies.alpha]
detector = { kind = "fixed-timeout", interval = "50ms", timeout = "150ms" }

[sweep]
"cluster.queue_capacity" = [50, 500]
"#;

#[test]
fn replay_of_a_results_folder_reproduces_every_run_from_its_config_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("conf")).unwrap();
    fs::create_dir(dir.path().join("conf/samples")).unwrap();
    fs::write(dir.path().join("conf/snap.toml"), SNAPSHOT_CONFIG).unwrap();
    fs::write(
        dir.path().join("conf/samples/service.txt"),
        "4ms\n9ms\n15ms\n30ms\n",
    )
    .unwrap();
    let seed = "18446744073709551557"; // above 2^63: a TOML integer cannot hold it
    let out = run_cli(
        dir.path(),
        &[
            "run",
            "conf/snap.toml",
            "--out",
            "out",
            "--no-plots",
            "--seed",
            seed,
            "--replications",
            "3",
            "--set",
            "workload.arrivals.rate=120.0",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let snapshot = fs::read_to_string(dir.path().join("out/config.toml")).unwrap();
    for line in [
        "name = \"snap\"",
        &format!("seed = \"{seed}\""),
        "replications = 3",
        "arrivals = { kind = \"poisson\", rate = 120.0 }",
    ] {
        assert!(
            snapshot.contains(line),
            "config.toml lacks {line}:\n{snapshot}"
        );
    }
    let samples = std::path::absolute(dir.path().join("conf/samples/service.txt")).unwrap();
    assert!(
        snapshot.contains(&format!("file = \"{}\"", samples.display())),
        "{snapshot}"
    );

    let runs = Table::read(&dir.path().join("out/runs.csv"));
    assert_eq!(runs.rows.len(), 2 * 2 * 3);
    assert_eq!(runs.cell(&runs.rows[0], "run_id"), "c0-zeta-r0");
    let recorded: BTreeMap<&str, &str> = runs
        .rows
        .iter()
        .map(|r| (runs.cell(r, "run_id"), runs.cell(r, "trace_hash")))
        .collect();
    // Replayed from another directory, by the folder's absolute path.
    let elsewhere = tempfile::tempdir().unwrap();
    let folder = std::path::absolute(dir.path().join("out")).unwrap();
    let folder = folder.to_str().unwrap();
    for (run_id, hash) in &recorded {
        let out = run_cli(elsewhere.path(), &["replay", folder, "--run", run_id]);
        assert_eq!(out.status.code(), Some(0), "{run_id}: {}", stderr(&out));
        let text = stdout(&out);
        assert!(
            text.contains(&format!("trace_hash {hash}\n")),
            "{run_id}: expected trace_hash {hash}:\n{text}"
        );
    }
    // A folder without a snapshot is refused, naming what is expected.
    let out = run_cli(elsewhere.path(), &["replay", ".", "--run", "c0-zeta-r0"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out)
            .contains("it is a folder, not a file, and holds no config.toml (a results folder written by faultline run does)"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_manifest_names_the_build_the_command_the_fingerprint_and_the_finish() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("strict.toml"), CONFIG).unwrap();
    let args = [
        "run",
        "strict.toml",
        "--out",
        "out",
        "--no-plots",
        "--set",
        "cluster.servers=3",
        "--replications",
        "2",
    ];
    let out = run_cli(dir.path(), &args);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = fs::read_to_string(dir.path().join("out/manifest.json")).unwrap();
    let manifest: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(manifest["faultline_version"], env!("CARGO_PKG_VERSION"));
    let commit = manifest["git_commit"].as_str().unwrap();
    assert!(
        commit == "unknown"
            || (commit.len() == 40 && commit.chars().all(|c| c.is_ascii_hexdigit())),
        "{commit}"
    );
    let command: Vec<&str> = manifest["command"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(&command[1..], &args);
    assert_eq!(manifest["experiment"], "strict");
    assert_eq!(manifest["runs"], 2 * 2 * 2);
    let fingerprint = manifest["fingerprint"].as_str().unwrap();
    assert!(fingerprint.len() == 16 && fingerprint.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(manifest["config"]["cluster.servers"], "3");
    assert_eq!(manifest["config"]["experiment.replications"], "2");
    assert_eq!(
        manifest["config"]["sweep.\"cluster.queue_capacity\""],
        "[100, 1000]"
    );
    // The finish is wall-clock UTC to the second, and only here: the tables hold none.
    let finished = manifest["finished"].as_str().unwrap();
    let shape: String = finished
        .chars()
        .map(|c| if c.is_ascii_digit() { 'd' } else { c })
        .collect();
    assert_eq!(shape, "dddd-dd-ddTdd:dd:ddZ", "{finished}");
    let runs = fs::read_to_string(dir.path().join("out/runs.csv")).unwrap();
    assert!(!runs.contains(&finished[..10]), "runs.csv holds the date");
    // The same run again gives the same manifest but for the finish.
    let again = tempfile::tempdir().unwrap();
    fs::write(again.path().join("strict.toml"), CONFIG).unwrap();
    assert_eq!(run_cli(again.path(), &args).status.code(), Some(1));
    let other: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(again.path().join("out/manifest.json")).unwrap())
            .unwrap();
    assert_eq!(other["fingerprint"], manifest["fingerprint"]);
    assert_eq!(other["config"], manifest["config"]);
}

#[test]
fn a_replay_from_a_folder_with_another_fingerprint_is_refused_naming_what_changed() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("conf/samples")).unwrap();
    fs::write(dir.path().join("conf/snap.toml"), SNAPSHOT_CONFIG).unwrap();
    let samples = dir.path().join("conf/samples/service.txt");
    fs::write(&samples, "4ms\n9ms\n15ms\n30ms\n").unwrap();
    let out = run_cli(
        dir.path(),
        &["run", "conf/snap.toml", "--out", "out", "--no-plots"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let replay = |extra: &[&str]| {
        let mut args = vec!["replay", "out", "--run", "c1-alpha-r1"];
        args.extend_from_slice(extra);
        run_cli(dir.path(), &args)
    };
    let refused = |extra: &[&str], expected: &[&str]| {
        let out = replay(extra);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {}", stderr(&out));
        assert!(stdout(&out).is_empty(), "nothing runs");
        let message = stderr(&out);
        assert!(
            message.contains("the fingerprint of the runs in out (manifest.json)"),
            "{message}"
        );
        for part in expected {
            assert!(message.contains(part), "{extra:?}: lacks {part}: {message}");
        }
    };
    assert_eq!(replay(&[]).status.code(), Some(0));
    refused(
        &["--set", "cluster.servers=4", "--seed", "5"],
        &[
            "2 values differ (in [cluster], [experiment])",
            "`cluster.servers` = 3 in the folder's runs, 4 here",
            "`experiment.seed` = 3 in the folder's runs, 5 here",
        ],
    );
    refused(
        &["--replications", "3"],
        &[
            "1 value differs (in [experiment]): `experiment.replications` = 2 in the folder's runs, 3 here",
        ],
    );
    refused(
        &["--set", "network.loss=0.01"],
        &["`network.loss` absent in the folder's runs, 0.01 here"],
    );
    // The snapshot edited after the run: the replay from it is refused too.
    let snapshot = dir.path().join("out/config.toml");
    let text = fs::read_to_string(&snapshot).unwrap();
    fs::write(&snapshot, text.variant("servers = 3", "servers = 5")).unwrap();
    refused(&[], &["`cluster.servers` = 3 in the folder's runs, 5 here"]);
    fs::write(&snapshot, &text).unwrap();
    // A file it reads changed since the run.
    fs::write(&samples, "4ms\n9ms\n15ms\n31ms\n").unwrap();
    refused(
        &[],
        &["no config value differs, so a file the config reads"],
    );
}

#[test]
fn a_seed_written_as_a_string_must_be_its_digits() {
    let dir = tempfile::tempdir().unwrap();
    let with_seed = |seed: &str| SNAPSHOT_CONFIG.variant("seed = 3", &format!("seed = {seed}"));
    fs::create_dir(dir.path().join("samples")).unwrap();
    fs::write(dir.path().join("samples/service.txt"), "4ms\n9ms\n").unwrap();
    fs::write(
        dir.path().join("big.toml"),
        with_seed("\"18446744073709551557\""),
    )
    .unwrap();
    let out = run_cli(dir.path(), &["check", "big.toml"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("master seed 18446744073709551557,"));
    for bad in ["\"12x\"", "\"18446744073709551616\"", "\"-1\""] {
        fs::write(dir.path().join("bad.toml"), with_seed(bad)).unwrap();
        let out = run_cli(dir.path(), &["check", "bad.toml"]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(
            stderr(&out).contains(&format!(
                "`experiment.seed`: expected an integer from 0 to 2^64 - 1 (or a string of its digits), got {bad}"
            )),
            "{bad}: {}",
            stderr(&out)
        );
    }
}
