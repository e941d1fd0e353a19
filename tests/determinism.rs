//! The determinism promise: the same config and seed give the same events, the same
//! trace hash and byte-identical runs.csv and summary.csv, at any thread count, and a
//! replayed run reproduces its hash.

use crate::common;
use crate::common::Variant;

use crate::common::{Table, run_cli};
use std::fs;

const CONFIG: &str = r#"
[experiment]
name = "det"
seed = 42
replications = 6
duration = "20s"
warmup = "2s"

[cluster]
servers = 4
workers = 2
queue_capacity = 50
service = { dist = "lognormal", median = "8ms", p99 = "60ms" }

[workload]
arrivals = { kind = "poisson", rate = 500.0, clients = 3 }
keys = { count = 1000, popularity = "zipf", s = 1.1 }
timeout = "500ms"

[network]
delay = { dist = "exponential", mean = "2ms" }
loss = 0.01

[faults]
crash = { mttf = { dist = "exponential", mean = "8s" }, mttr = { dist = "exponential", mean = "2s" } }

[[faults.scripted]]
at = "5s"
kind = "partition"
servers = [1]
for = "3s"

[[faults.scripted]]
at = "9s"
kind = "slow"
server = 2
factor = 3.0
for = "4s"

[strategies.rr]
detector = { kind = "fixed-timeout", interval = "100ms", timeout = "300ms" }
routing = { kind = "round-robin" }

[strategies.rand]
detector = { kind = "fixed-timeout", interval = "50ms", misses = 4 }
routing = { kind = "random" }

[sweep]
"network.delay.mean" = ["1ms", "5ms"]
"#;

/// runs.csv and summary.csv of a run of CONFIG on `threads` threads.
fn run_with_threads(threads: usize) -> (Vec<u8>, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("det.toml"), CONFIG).unwrap();
    let out = run_cli(
        dir.path(),
        &[
            "run",
            "det.toml",
            "--out",
            "out",
            "--threads",
            &threads.to_string(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        fs::read(dir.path().join("out/runs.csv")).unwrap(),
        fs::read(dir.path().join("out/summary.csv")).unwrap(),
    )
}

#[test]
fn runs_and_summary_are_byte_identical_at_any_thread_count() {
    let one = run_with_threads(1);
    assert_eq!(one, run_with_threads(1), "the same run twice differs");
    let two = run_with_threads(2);
    assert!(one.0 == two.0, "runs.csv differs between 1 and 2 threads");
    assert!(
        one.1 == two.1,
        "summary.csv differs between 1 and 2 threads"
    );
    let eight = run_with_threads(8);
    assert!(one.0 == eight.0, "runs.csv differs between 1 and 8 threads");
    assert!(
        one.1 == eight.1,
        "summary.csv differs between 1 and 8 threads"
    );
    // 2 cells x 2 strategies x 6 replications, plus the header.
    assert_eq!(String::from_utf8(one.0).unwrap().lines().count(), 25);
    // One row per (cell, strategy, numeric metric): every metric column but trace_hash.
    let metrics = sim_core::RunReport::column_names().len() - 1;
    assert_eq!(
        String::from_utf8(one.1).unwrap().lines().count(),
        1 + 2 * 2 * metrics
    );
}

#[test]
fn replay_reproduces_the_trace_hash_of_runs_csv() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("det.toml"), CONFIG).unwrap();
    let out = run_cli(dir.path(), &["run", "det.toml", "--out", "out"]);
    assert!(out.status.success());
    let table = Table::read(&dir.path().join("out/runs.csv"));
    let ids = table.values("run_id");
    let hashes = table.values("trace_hash");
    for i in [0, 7, 13, 23] {
        let out = run_cli(
            dir.path(),
            &["replay", "det.toml", "--run", &ids[i], "--trace", "t.log"],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert!(
            stdout.contains(&format!("trace_hash {}", hashes[i])),
            "{}: {stdout}",
            ids[i]
        );
        // The trace holds one line per event and one per failure-detector verdict (plus
        // two header lines). Every counted detection has its suspect line, and every
        // counted mistake begins at a suspect line or at the recovery of a suspected
        // server (the counts leave out those outside the measurement window); every
        // trust line clears a suspicion.
        let count = |column: &str| -> usize { table.values(column)[i].parse().unwrap() };
        let trace = fs::read_to_string(dir.path().join("t.log")).unwrap();
        let verdicts = |kind: &str| {
            trace
                .lines()
                .filter(|l| l.split_whitespace().nth(2) == Some(kind))
                .count()
        };
        let (suspicions, trusts) = (verdicts("suspect"), verdicts("trust"));
        assert_eq!(
            trace.lines().count(),
            count("events") + suspicions + trusts + 2
        );
        assert!(
            suspicions + verdicts("recover") >= count("detections") + count("false_suspicions")
                && trusts <= suspicions,
            "{}: {suspicions} suspect, {trusts} trust and {} recover lines",
            ids[i],
            verdicts("recover")
        );
        assert!(suspicions > 0, "{}: the runs have crashes", ids[i]);
    }
}

#[test]
fn strategies_see_the_same_arrivals_and_faults_on_a_seed() {
    let exp = common::experiment(CONFIG);
    let table = {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("det.toml"), CONFIG).unwrap();
        assert!(
            run_cli(dir.path(), &["run", "det.toml", "--out", "out"])
                .status
                .success()
        );
        Table::read(&dir.path().join("out/runs.csv"))
    };
    let (cell, strategy, rep) = (
        table.values("cell"),
        table.values("strategy"),
        table.values("replication"),
    );
    let (requests, crashes, seeds) = (
        table.values("requests"),
        table.values("crashes"),
        table.values("seed"),
    );
    let mut compared = 0;
    for i in 0..table.rows.len() {
        for j in 0..table.rows.len() {
            if cell[i] == cell[j] && rep[i] == rep[j] && strategy[i] != strategy[j] {
                // Open-loop arrivals and the crash process do not depend on the strategy.
                assert_eq!(seeds[i], seeds[j]);
                assert_eq!(requests[i], requests[j], "row {i} vs {j}");
                assert_eq!(crashes[i], crashes[j], "row {i} vs {j}");
                compared += 1;
            }
        }
    }
    assert_eq!(compared as u64, exp.total_runs());
}

#[test]
fn adding_a_server_does_not_shift_other_servers_faults() {
    // The crash times of server 0 depend only on its own stream.
    let crash_lines = |servers: u32| -> Vec<String> {
        let text = CONFIG.variant("servers = 4", &format!("servers = {servers}"));
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("det.toml"), text).unwrap();
        let out = run_cli(
            dir.path(),
            &[
                "replay", "det.toml", "--run", "c0-rr-r0", "--trace", "t.log", "--node", "server-0",
            ],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        fs::read_to_string(dir.path().join("t.log"))
            .unwrap()
            .lines()
            .filter(|l| l.ends_with(" crash") || l.ends_with(" recover"))
            .map(str::to_string)
            .collect()
    };
    let four = crash_lines(4);
    assert!(
        four.len() >= 2,
        "server 0 should crash in 20 s with a mean time to failure of 8 s"
    );
    assert_eq!(four, crash_lines(5));
}
