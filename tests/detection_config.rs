//! Detector placement, failover and link-fault settings on the command line: the
//! listing shows every kind with its defaults, and a setting that cannot work is refused
//! with exit code 2 and a message naming file, line and key.

use crate::common::{Table, repo_root, run_cli};
use std::fs;

const BASE: &str = r#"[experiment]
duration = "10s"

[cluster]
servers = 3
service = "1ms"

[workload]
arrivals = { kind = "poisson", rate = 10.0 }
keys = { count = 100 }
"#;

fn check(extra: &str) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("c.toml"), format!("{BASE}{extra}")).unwrap();
    let out = run_cli(dir.path(), &["check", "c.toml"]);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_listing_shows_every_detector_and_failover_with_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_cli(dir.path(), &["strategies"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "phi-accrual",
        "max_sample_size",
        "acceptable_heartbeat_pause",
        "first_heartbeat_estimate",
        "swim",
        "indirect_probes",
        "primary-backup",
        "promotion_delay",
        "failback",
        "placement",
        "propagation",
    ] {
        assert!(text.contains(needle), "missing {needle} in:\n{text}");
    }
}

#[test]
fn impossible_settings_are_refused_where_they_are_written() {
    let cases = [
        (
            "\n[strategies.pb]\ndetector = { kind = \"fixed-timeout\", placement = \"client\" }\nrouting = { kind = \"primary-backup\", replicas = 2 }\n",
            "c.toml:14: `strategies.pb.routing.kind`",
            "needs detector.placement = \"monitor\"",
        ),
        (
            "\n[strategies.pb]\nrouting = { kind = \"primary-backup\", replicas = 4 }\n",
            "c.toml:13: `strategies.pb.routing.replicas`",
            "at most cluster.servers (3) replicas",
        ),
        (
            "\n[strategies.pb]\nrouting = { kind = \"primary-backup\", replicas = 2, ranges = 101 }\n",
            "`strategies.pb.routing.ranges`",
            "at most workload.keys.count (100) ranges",
        ),
        (
            "\n[strategies.s]\ndetector = { kind = \"swim\", period = \"100ms\", probe_timeout = \"80ms\", indirect_timeout = \"30ms\" }\n",
            "`strategies.s.detector.indirect_timeout`",
            "fit in the period",
        ),
        (
            "\n[strategies.c]\ndetector = { kind = \"phi-accrual\", placement = \"client\", propagation = \"10ms\" }\n",
            "`strategies.c.detector.propagation`",
            "applies to placement = \"monitor\"",
        ),
        (
            "\n[[faults.scripted]]\nat = \"1s\"\nkind = \"crash\"\nserver = 0\npeer = \"monitor\"\n",
            "`faults.scripted[0].peer`",
            "applies to partition, loss, delay and flaky-link faults",
        ),
        (
            "\n[[faults.scripted]]\nat = \"1s\"\nkind = \"loss\"\nprobability = 0.5\npeer = \"monitors\"\n",
            "`faults.scripted[0].peer`",
            "did you mean `monitor`",
        ),
    ];
    for (extra, place, what) in cases {
        let (code, err) = check(extra);
        assert_eq!(code, Some(2), "{extra}: {err}");
        assert!(err.contains(place), "expected {place} in: {err}");
        assert!(err.contains(what), "expected {what} in: {err}");
    }
}

#[test]
fn example_configs_run_identically_on_any_thread_count() {
    // The examples exercise SWIM's random relays, per-client detectors and failover;
    // their runs.csv must not depend on the thread count.
    for name in ["detectors", "failover"] {
        let dir = tempfile::tempdir().unwrap();
        let config = repo_root().join(format!("experiments/configs/{name}.toml"));
        let config = config.to_str().unwrap();
        let one = run_cli(dir.path(), &["run", config, "--out", "a", "--threads", "1"]);
        let two = run_cli(dir.path(), &["run", config, "--out", "b", "--threads", "2"]);
        for out in [&one, &two] {
            assert_eq!(
                out.status.code(),
                Some(0),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let a = fs::read(dir.path().join("a/runs.csv")).unwrap();
        assert_eq!(
            a,
            fs::read(dir.path().join("b/runs.csv")).unwrap(),
            "{name}"
        );
        let table = Table::read(&dir.path().join("a/runs.csv"));
        let detections = table.floats("detections");
        assert!(
            detections.iter().all(|d| *d > 0.0),
            "{name}: every run detects crashes"
        );
        if name == "failover" {
            assert!(table.floats("failovers").iter().all(|f| *f > 0.0));
        }
    }
}
