//! The `single_primary` invariant and its column `split_primary_writes`: a crashed
//! primary's failover never leaves two primaries; a server cut off from the monitor
//! alone, still serving the clients, does, and under primary/backup exactly for the
//! writes the clients send it while the news of its successor travels; `faultline hunt`
//! finds it among random faults and `faultline shrink` reduces it to the partition.

use crate::common::{Table, Variant, experiment, named_reports, run_cli, stderr, stdout};
use std::fs;

/// Four servers, each the preferred primary of two of eight key ranges (primary/backup,
/// two replicas each, synchronous copies), and the same writes on a consistent-hash ring.
/// Server 0 is cut off from the monitor for 2 s: the monitor suspects it and promotes
/// its ranges' backups, while the clients still reach it. `news` hears of each promotion
/// 200 ms after the monitor made it; `hash` has no appointed primaries at all.
const SPLIT: &str = r#"
[experiment]
name = "split"
seed = 3
replications = 20
duration = "10s"
warmup = "1s"

[cluster]
servers = 4
workers = 2
service = { dist = "exponential", mean = "1ms" }

[workload]
arrivals = { kind = "poisson", rate = 400.0 }
keys = { count = 200 }
writes = 0.5
timeout = "1s"

[network]
delay = { dist = "uniform", min = "200us", max = "1ms" }

[strategies.news]
detector = { kind = "fixed-timeout", interval = "50ms", timeout = "150ms", propagation = "200ms" }
routing = { kind = "primary-backup", ranges = 8, replicas = 2 }
replication = { kind = "sync", factor = 2 }

[strategies.pb]
detector = { kind = "fixed-timeout", interval = "50ms", timeout = "150ms" }
routing = { kind = "primary-backup", ranges = 8, replicas = 2 }
replication = { kind = "sync", factor = 2 }

[strategies.hash]
detector = { kind = "fixed-timeout", interval = "50ms", timeout = "150ms" }
routing = { kind = "consistent-hash" }
replication = { kind = "sync", factor = 2 }

[[faults.scripted]]
at = "4s"
kind = "partition"
server = 0
peer = "monitor"
for = "2s"
"#;

/// The same cluster with server 0 crashed for those 2 s instead.
fn crash() -> String {
    SPLIT.variant(
        "kind = \"partition\"\nserver = 0\npeer = \"monitor\"",
        "kind = \"crash\"\nserver = 0",
    )
}

/// `split_primary_writes` of every run, by strategy in config order.
fn split_writes(config: &str) -> Vec<(String, Vec<u64>)> {
    let mut by: Vec<(String, Vec<u64>)> = Vec::new();
    for (name, report) in named_reports(&experiment(config)) {
        let value = report.split_primary_writes.expect("a run with writes");
        match by.iter_mut().find(|(n, _)| *n == name) {
            Some((_, v)) => v.push(value),
            None => by.push((name, vec![value])),
        }
    }
    by
}

#[test]
fn a_crashed_primary_fails_over_without_a_second_primary() {
    for (name, values) in split_writes(&crash()) {
        assert_eq!(
            values,
            vec![0; 20],
            "{name}: a crashed server coordinates nothing, and after its restart the \
             clients route its ranges to the promoted backup (primary/backup stays) or its \
             keys back to it, a new term (hash)"
        );
    }
}

#[test]
fn a_server_cut_off_from_the_monitor_alone_is_a_second_primary_while_the_news_travels() {
    let by = split_writes(SPLIT);
    let (news, pb, hash) = (&by[0].1, &by[1].1, &by[2].1);
    // Under primary/backup the monitor deposes server 0 of its two ranges (a quarter of
    // the uniformly drawn keys) when it suspects it; the clients keep sending those
    // writes to server 0 until they hear of the promotion 200 ms later. Writes arrive at
    // 400/s x 0.5 = 200/s, so server 0 coordinates 200 x 1/4 x 0.2 = 10 writes as a
    // deposed primary, a Poisson count (sd sqrt(10)), plus the ones already on their way
    // or queued at the promotion (about 50/s x 1.6 ms, 0.08).
    let n = news.len() as f64;
    let mean = news.iter().sum::<u64>() as f64 / n;
    let expected = 10.08;
    let se = (expected / n).sqrt();
    assert!(
        (mean - expected).abs() < 4.0 * se,
        "mean {mean} of {news:?} against {expected} +- {:.2}",
        4.0 * se
    );
    assert!(news.iter().all(|&x| x > 0), "{news:?}");
    // With the news at once only those on their way or queued remain: about 0.08 a run.
    assert!(pb.iter().sum::<u64>() <= 5, "{pb:?}");
    // On the ring, server 0's keys go to their successors while the clients suspect
    // it, and back to server 0 when they trust it again: every key written in both
    // spans has had two primaries, and it counts once, on its first write back at
    // server 0 (200 keys at most).
    assert!(
        hash.iter().all(|&x| x > 0 && x <= 200),
        "{hash:?}: at most once per key"
    );
}

#[test]
fn the_invariant_fails_the_run_lists_it_and_refuses_a_bad_value() {
    let dir = tempfile::tempdir().unwrap();
    let config = SPLIT.variant("replications = 20", "replications = 2")
        + "\n[invariants]\nsingle_primary = true\n";
    fs::write(dir.path().join("split.toml"), &config).unwrap();
    let out = run_cli(
        dir.path(),
        &["run", "split.toml", "--out", "out", "--no-plots"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    // Exactly the runs with a split-primary write are listed, each with its value: every
    // run of `news` and `hash`; of `pb`, one whose writes on their way at the promotion
    // reached server 0, rarely any.
    let failures = Table::read(&dir.path().join("out/failures.csv"));
    let runs = Table::read(&dir.path().join("out/runs.csv"));
    let mut listed = 0;
    for run in &runs.rows {
        let id = runs.cell(run, "run_id");
        let split: f64 = runs.cell(run, "split_primary_writes").parse().unwrap();
        let rows = failures.rows_where("run_id", id);
        if runs.cell(run, "strategy") != "pb" {
            assert!(split > 0.0, "{id}");
        }
        if split == 0.0 {
            assert!(rows.is_empty(), "{id}");
            continue;
        }
        listed += 1;
        assert_eq!(rows.len(), 1, "{id}");
        assert_eq!(failures.cell(rows[0], "check"), "single_primary");
        assert_eq!(
            failures.cell(rows[0], "value").parse::<f64>().unwrap(),
            split
        );
        assert_eq!(failures.cell(rows[0], "threshold"), "0");
    }
    assert_eq!(failures.rows.len(), listed);
    // Without writes there is no primary of anything: the column is empty.
    let reads = config.variant("writes = 0.5", "writes = 0.0");
    let reads = reads
        .lines()
        .filter(|l| !l.starts_with("replication"))
        .collect::<Vec<_>>()
        .join("\n");
    fs::write(dir.path().join("reads.toml"), reads).unwrap();
    let out = run_cli(
        dir.path(),
        &["run", "reads.toml", "--out", "reads", "--no-plots"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let runs = Table::read(&dir.path().join("reads/runs.csv"));
    assert!(
        runs.values("split_primary_writes")
            .iter()
            .all(String::is_empty)
    );
    // A value that is not a boolean is refused, naming the key and its line.
    let bad = config.variant("single_primary = true", "single_primary = 1");
    fs::write(dir.path().join("bad.toml"), bad).unwrap();
    let out = run_cli(dir.path(), &["run", "bad.toml", "--out", "bad"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let line = config.lines().count();
    assert!(
        stderr(&out).contains(&format!("bad.toml:{line}: `invariants.single_primary`")),
        "{}",
        stderr(&out)
    );
    assert!(!dir.path().join("bad").exists(), "nothing written");
}

/// Primary/backup with slow news among random crashes and partitions from the monitor.
/// The crashes end before the partitions begin and outlast the detection and the news
/// (about 400 ms), so a crashed primary is still down while the clients send it writes,
/// and its backups stay primaries after; a partition that outlasts the detector's
/// timeout deposes its server's ranges, and the clients send it about 10 writes meanwhile.
fn swarm() -> String {
    let base = SPLIT.split("[strategies.pb]").next().unwrap().to_string();
    base.variant("replications = 20", "replications = 16")
        + r#"
[swarm.crash]
p = 0.5
at = ["1.5s", "2.5s"]
for = ["1s", "2s"]

[swarm.partition]
p = 0.5
at = ["5s", "8s"]
for = ["500ms", "1s"]
peer = "monitor"

[invariants]
single_primary = true
"#
}

#[test]
fn hunt_finds_the_second_primary_only_with_a_partition_and_shrink_keeps_just_it() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("swarm.toml"), swarm()).unwrap();
    let out = run_cli(
        dir.path(),
        &["hunt", "swarm.toml", "--out", "h", "--progress", "none"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let table = Table::read(&dir.path().join("h/hunt.csv"));
    assert_eq!(table.rows.len(), 16);
    let mut found = Vec::new();
    for row in &table.rows {
        let cell = |c: &str| table.cell(row, c);
        let partition = cell("swarm.partition.on") == "1";
        let crash = cell("swarm.crash.on") == "1";
        let broken = cell("single_primary") == "fail";
        assert!(
            !broken || partition,
            "{}: broken without a partition",
            cell("run_id")
        );
        if partition && !crash {
            // Each server is the primary of two ranges: P(no write in 200 ms) = e^-10.
            assert!(
                broken,
                "{}: a partition alone deposes a primary",
                cell("run_id")
            );
        }
        if broken {
            found.push((cell("run_id").to_string(), crash));
        }
    }
    assert!(
        !found.is_empty(),
        "16 seeds draw a partition with probability 1 - 2^-16"
    );
    // A failing run with a crash drawn too, if any, shrinks to the partition alone.
    let id = found
        .iter()
        .find(|(_, crash)| *crash)
        .unwrap_or(&found[0])
        .0
        .clone();
    let drawn = if found.iter().any(|(i, c)| *i == id && *c) {
        2
    } else {
        1
    };
    let run = run_cli(
        dir.path(),
        &["shrink", "h", "--run", &id, "--out", "min.toml"],
    );
    assert_eq!(run.status.code(), Some(0), "{id}: {}", stderr(&run));
    let text = stdout(&run);
    assert!(
        text.contains(&format!("  faults {drawn:>15} -> 1\n")),
        "{id}: {drawn} faults drawn\n{text}"
    );
    let minimal: toml::Table = fs::read_to_string(dir.path().join("min.toml"))
        .unwrap()
        .parse()
        .unwrap();
    let faults = minimal["faults"]["scripted"].as_array().unwrap();
    assert_eq!(faults.len(), 1, "{minimal}");
    assert_eq!(faults[0]["kind"].as_str(), Some("partition"), "{minimal}");
    assert_eq!(faults[0]["peer"].as_str(), Some("monitor"), "{minimal}");
}
