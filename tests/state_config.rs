//! State, checkpoint, replication, ordering and backup configuration from the command
//! line: the example configs run byte-identically at any thread count and show what they
//! claim, `faultline strategies` lists the new families, and bad values are exit-2 errors
//! naming the key and what was expected.

use crate::common::{Table, repo_root, run_cli};
use std::fs;

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn config(name: &str) -> String {
    repo_root()
        .join("experiments/configs")
        .join(name)
        .to_str()
        .unwrap()
        .to_string()
}

fn run(dir: &std::path::Path, name: &str, out: &str, extra: &[&str]) -> Table {
    let config = config(name);
    let mut args = vec!["run", &config, "--out", out];
    args.extend_from_slice(extra);
    let result = run_cli(dir, &args);
    assert_eq!(result.status.code(), Some(0), "{name}: {}", stderr(&result));
    Table::read(&dir.join(out).join("runs.csv"))
}

#[test]
fn state_examples_are_byte_identical_at_any_thread_count_and_replay() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["checkpoint.toml", "replication.toml", "ordering.toml"] {
        // Shortened: what matters is that every run is the same at any thread count.
        let short = [
            "--replications",
            "2",
            "--set",
            "experiment.duration=\"30s\"",
        ];
        let short = if name == "checkpoint.toml" {
            &short[..2]
        } else {
            &short[..]
        };
        let one = [short, &["--threads", "1"]].concat();
        let two = [short, &["--threads", "2"]].concat();
        run(dir.path(), name, "one", &one);
        run(dir.path(), name, "two", &two);
        let a = fs::read(dir.path().join("one/runs.csv")).unwrap();
        let b = fs::read(dir.path().join("two/runs.csv")).unwrap();
        assert_eq!(a, b, "{name}: 1 and 2 threads differ");
        // The last run of the table replays to the same trace hash.
        let table = Table::read(&dir.path().join("one/runs.csv"));
        let id = table.values("run_id").last().unwrap().clone();
        let hash = table.values("trace_hash").last().unwrap().clone();
        let config = config(name);
        let mut args = vec!["replay", config.as_str(), "--run", &id];
        args.extend_from_slice(&short[2..]);
        let out = run_cli(dir.path(), &args);
        assert!(out.status.success(), "{}", stderr(&out));
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert!(
            stdout.contains(&format!("trace_hash {hash}")),
            "{name} {id}: {stdout}"
        );
    }
}

#[test]
fn the_examples_show_what_they_claim() {
    let dir = tempfile::tempdir().unwrap();
    let of = |table: &Table, name: &str| {
        table
            .values("strategy")
            .iter()
            .position(|s| s == name)
            .unwrap()
    };
    // Checkpoints: without them a 24 h job with a 1 h MTBF never ends; Young's interval
    // wastes far less than one 5 times shorter or longer (the expected wastes are about
    // 20 ks against 50 ks and 70 ks, each job's waste varying by about 10% around them).
    let t = run(
        dir.path(),
        "checkpoint.toml",
        "ck",
        &["--replications", "1"],
    );
    let unfinished = t.values("jobs_unfinished");
    assert_eq!(unfinished[of(&t, "none")], "8");
    let waste = |name: &str| -> f64 { t.values("job_waste_mean_s")[of(&t, name)].parse().unwrap() };
    assert!(waste("every-11m") < 0.6 * waste("every-2m"));
    assert!(waste("every-11m") < 0.6 * waste("every-1h"));
    assert!(waste("young-daly") < 0.6 * waste("every-2m"));

    // Ordering: last-writer-wins never leaves replicas apart.
    let t = run(dir.path(), "ordering.toml", "or", &["--replications", "2"]);
    for (s, d) in t.values("strategy").iter().zip(t.values("divergent_keys")) {
        if s != "arrival" {
            assert_eq!(d, "0", "{s}");
        }
    }

    // Replication: copies cut the acknowledged writes lost by an order of magnitude;
    // waiting for all three copies makes writes fail whenever one replica is down (a
    // server is down about 5 s in 35 s, so all three are up about 63% of the time).
    let t = run(
        dir.path(),
        "replication.toml",
        "rp",
        &["--replications", "1"],
    );
    let lost = |name: &str| -> f64 { t.values("acked_writes_lost")[of(&t, name)].parse().unwrap() };
    assert!(lost("async") < 0.2 * lost("single"), "{}", lost("async"));
    assert!(lost("quorum") < 0.2 * lost("single"), "{}", lost("quorum"));
    let writes_ok = |name: &str| -> f64 {
        let i = of(&t, name);
        let ok: f64 = t.values("writes_ok")[i].parse().unwrap();
        let all: f64 = t.values("writes")[i].parse().unwrap();
        ok / all
    };
    assert!(writes_ok("all-three") < 0.75 && writes_ok("quorum") > 0.85);
}

#[test]
fn strategies_lists_the_state_families() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_cli(dir.path(), &["strategies"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "[checkpoint]  (default kind: none)",
        "young-daly",
        "initial_mtbf",
        "[replication]  (default kind: none)",
        "catch_up",
        "[ordering]  (default kind: arrival)",
        "lww",
        "[backup]  (default kind: none)",
        "transfer",
    ] {
        assert!(text.contains(needle), "missing {needle}:\n{text}");
    }
}

#[test]
fn bad_state_values_name_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let replication = config("replication.toml");
    let checkpoint = config("checkpoint.toml");
    let ordering = config("ordering.toml");
    let cases: [(&str, &str, &str); 9] = [
        (
            &replication,
            "strategies.quorum.replication.acks=4",
            "`strategies.quorum.replication.acks`: expected a number of copies from 1 to the factor (3), got 4",
        ),
        (
            &replication,
            "cluster.state.disk_loss=1.5",
            "`cluster.state.disk_loss`: expected a probability between 0 and 1",
        ),
        (
            &replication,
            "cluster.state.restor=\"1s\"",
            "`cluster.state.restor`: unknown key (did you mean `restore`?)",
        ),
        (
            &replication,
            "strategies.quorum-backup.backup.transfer=\"1m\"",
            "`strategies.quorum-backup.backup.transfer`: expected a duration shorter than the interval (30s)",
        ),
        (
            &replication,
            "workload.writes=2",
            "`workload.writes`: expected a probability between 0 and 1",
        ),
        (
            &checkpoint,
            "strategies.every-2m.checkpoint.slowdown=3.0",
            "`strategies.every-2m.checkpoint.slowdown`: `slowdown` applies only with during = \"slow\"",
        ),
        (
            &checkpoint,
            "strategies.young-daly.checkpoint.kind=\"young-dally\"",
            "unknown checkpoint kind \"young-dally\"",
        ),
        (
            &checkpoint,
            "workload.writes=0.5",
            "`workload.writes`: a batch workload issues no requests",
        ),
        (
            &ordering,
            "strategies.lamport.ordering.skew=\"1ms\"",
            "`strategies.lamport.ordering.skew`: `skew` applies only with clock = \"physical\"",
        ),
    ];
    for (file, set, expected) in cases {
        let out = run_cli(dir.path(), &["check", file, "--set", set]);
        assert_eq!(out.status.code(), Some(2), "--set {set}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(expected),
            "--set {set}: {}",
            stderr(&out)
        );
    }
}
