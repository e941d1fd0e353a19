//! Config validation of `[sweep]`, `--set` and `[checks]`: a sweep key or override that
//! nothing reads is an error naming the key and its line, never a silent no-op; a sweep
//! over an entry of an array of tables works; checks accept `min_`/`max_` of any numeric
//! runs.csv column and suggest the nearest for a typo; `faultline check` prints the plan
//! and writes nothing.

use crate::common::{Table, run_cli, stderr, stdout};
use std::fs;

const BASE: &str = r#"[experiment]
name = "v"
replications = 2
duration = "10s"

[cluster]
servers = 2
service = { dist = "exponential", mean = "10ms" }

[workload]
arrivals = { kind = "poisson", rate = 50.0 }
keys = { count = 10 }

[[faults.scripted]]
at = "2s"
kind = "crash"
server = 0
for = "3s"

[strategies.fast]
detector = { kind = "fixed-timeout", timeout = "100ms" }

[strategies.slow]
detector = { kind = "fixed-timeout", timeout = "1s" }
"#;

/// `faultline check` on BASE plus `extra`; returns the exit code and stderr.
fn check(extra: &str, args: &[&str]) -> (Option<i32>, String, String) {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("v.toml"), format!("{BASE}{extra}")).unwrap();
    let mut all = vec!["check", "v.toml"];
    all.extend_from_slice(args);
    let out = run_cli(dir.path(), &all);
    assert!(!dir.path().join("results").exists(), "check writes nothing");
    (out.status.code(), stdout(&out), stderr(&out))
}

/// BASE has 24 lines; "\n[table]\n" appended puts the header on line 26, its first key on 27.
fn sweep_error(sweep_line: &str) -> String {
    let (code, _, err) = check(&format!("\n[sweep]\n{sweep_line}\n"), &[]);
    assert_eq!(code, Some(2), "{sweep_line}: {err}");
    err
}

#[test]
fn a_sweep_key_that_names_nothing_read_is_an_error() {
    let err = sweep_error(r#""workload.keys.s" = [0.9, 1.1]"#);
    assert!(
        err.contains("v.toml:27: `sweep.\"workload.keys.s\"`: nothing reads `workload.keys.s` in any sweep cell"),
        "{err}"
    );
    assert!(
        err.contains("`workload.keys` is read, but with these settings nothing in it uses `s`"),
        "{err}"
    );

    let err = sweep_error(r#""strategies.fastt.detector.timeout" = ["1s"]"#);
    assert!(err.contains("v.toml:27:"), "{err}");
    assert!(
        err.contains(
            "`fastt` is not a strategy of this config (it has fast, slow) (did you mean `fast`?)"
        ),
        "{err}"
    );

    let err = sweep_error(r#""experiment.seed" = [1, 2]"#);
    assert!(
        err.contains("`sweep.\"experiment.seed\"`: cannot be swept"),
        "{err}"
    );

    let err = sweep_error(r#""cluster.servrs" = [3]"#);
    assert!(
        err.contains("`cluster.servrs`: unknown key (did you mean `servers`?)"),
        "{err}"
    );

    let err = sweep_error(r#""faults.scripted[1].at" = ["1s"]"#);
    assert!(
        err.contains("`scripted` has 1 entries, so `scripted[1]` does not exist"),
        "{err}"
    );

    let err = sweep_error(r#""checks.min_availability" = [0.9]"#);
    assert!(err.contains("a sweep key is a dotted config path"), "{err}");
}

#[test]
fn a_zipf_sweep_may_name_a_key_only_some_cells_read() {
    // `s` is read in the zipf cells only: the sweep changes something, so it is allowed.
    let (code, out, err) = check(
        "\n[sweep]\n\"workload.keys.popularity\" = [\"uniform\", \"zipf\"]\n\"workload.keys.s\" = [0.8, 1.2]\n",
        &[],
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("(4 cells)"), "{out}");
}

#[test]
fn an_override_that_names_nothing_read_is_an_error() {
    let (code, _, err) = check("", &["--set", "workload.keys.s=1.2"]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("--set workload.keys.s=1.2: nothing reads `workload.keys.s`, so the override would change nothing"),
        "{err}"
    );
    let (code, _, err) = check(
        "\n[sweep]\n\"cluster.servers\" = [1, 2]\n",
        &["--set", "cluster.servers=3"],
    );
    assert_eq!(code, Some(2));
    assert!(err.contains("the key is swept (line 27)"), "{err}");
    // Adding a strategy from the command line is reading something.
    let (code, out, err) = check(
        "",
        &[
            "--set",
            "strategies.medium.detector={ kind = \"fixed-timeout\", timeout = \"300ms\" }",
        ],
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.contains("  medium: detector { kind = \"fixed-timeout\""),
        "{out}"
    );
}

#[test]
fn a_sweep_over_an_array_of_tables_entry_changes_that_entry() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("{BASE}\n[sweep]\n\"faults.scripted[0].at\" = [\"2s\", \"6s\"]\n");
    fs::write(dir.path().join("v.toml"), text).unwrap();
    let out = run_cli(dir.path(), &["run", "v.toml", "--out", "out"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let runs = Table::read(&dir.path().join("out/runs.csv"));
    assert_eq!(runs.values("faults.scripted[0].at")[..2], ["2s", "2s"]);
    // The scripted crash is the only fault; moving it moves the events, so every run of
    // cell 1 differs from its twin in cell 0 (same strategy and replication, other seed
    // and fault time), and both cells hold a three-second outage of one of two servers.
    let hashes = runs.values("trace_hash");
    let cells = runs.values("cell");
    assert_eq!(cells.iter().filter(|c| *c == "1").count(), 4);
    for i in 0..4 {
        assert_ne!(hashes[i], hashes[i + 4]);
    }
    for a in runs.floats("server_availability") {
        // One of two servers down 3 s of 10 s: 1 - 0.3 / 2.
        assert!((a - 0.85).abs() < 1e-9, "{a}");
    }
}

#[test]
fn checks_take_any_numeric_column_and_suggest_for_typos() {
    let (code, out, err) = check(
        "\n[checks]\nmin_availability = 0.999\nmax_lost_in_crash = 0\nmax_latency_p99 = \"250ms\"\nmin_goodput = 10\n",
        &[],
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.contains("checks: min_availability (availability >= 0.999), max_lost_in_crash (lost_in_crash <= 0), max_latency_p99 (latency_p99_ms <= 250), min_goodput (goodput >= 10)"),
        "{out}"
    );
    let (code, _, err) = check("\n[checks]\nmax_lost_in_crsh = 0\n", &[]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("v.toml:27: `checks.max_lost_in_crsh`: unknown check (did you mean `max_lost_in_crash`?)"),
        "{err}"
    );
}

#[test]
fn check_prints_the_plan() {
    let (code, out, err) = check(
        "\n[sweep]\n\"cluster.servers\" = [1, 2, 3]\n",
        &["--replications", "4"],
    );
    assert_eq!(code, Some(0), "{err}");
    for line in [
        "v.toml: ok",
        "experiment v: master seed 1, 4 replications, duration 10s, warmup 0s",
        "sweep: cluster.servers (3 cells)",
        "  c2  cluster.servers = 3",
        "  fast: detector { kind = \"fixed-timeout\", interval = \"100ms\", timeout = \"100ms\" }, routing { kind = \"round-robin\" }, retry { kind = \"none\" }",
        "checks: none",
        "runs: 3 cells x 2 strategies x 4 replications = 24 runs, ids c<cell>-<strategy>-r<replication> (first c0-fast-r0), output to results/v",
    ] {
        assert!(out.lines().any(|l| l == line), "missing {line:?} in\n{out}");
    }
}

#[test]
fn a_sweep_key_is_labelled_in_one_spelling() {
    // Spaces around a key's dots and ends do not make another key: the outputs name the
    // axis as a --set would, and the cells are those of the values given.
    let dir = tempfile::tempdir().unwrap();
    let text = format!("{BASE}\n[sweep]\n\" cluster . servers \" = [2, 3]\n");
    fs::write(dir.path().join("v.toml"), text).unwrap();
    let out = run_cli(
        dir.path(),
        &["run", "v.toml", "--out", "out", "--replications", "1"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let runs = Table::read(&dir.path().join("out/runs.csv"));
    assert_eq!(runs.values("cluster.servers"), ["2", "2", "3", "3"]);
    let summary = Table::read(&dir.path().join("out/summary.csv"));
    assert_eq!(summary.header[1], "cluster.servers");
    // With two servers, one down 3 s of 10 s; with three, the same one of three.
    let a = runs.floats("server_availability");
    assert!(
        (a[0] - 0.85).abs() < 1e-9 && (a[2] - 0.9).abs() < 1e-9,
        "{a:?}"
    );
}
