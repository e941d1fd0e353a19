//! `faultline run --shard K/N` and `faultline merge`: three shards merged give the files
//! of the unsharded run byte for byte (timing.csv aside; manifest.json but for the
//! command line and the time it finished; failures.csv but for the folder its replay
//! commands name); the shards split the runs by their estimated cost within the
//! longest-processing-time bound; a missing, duplicated, unfinished or mismatched shard
//! is refused with exit code 2, naming it, and writes nothing.

use crate::common::{assert_same_results, run_cli, stderr, stdout};
use experiments::config::Overrides;
use experiments::shard::{assignment, cost};
use std::fs;
use std::path::Path;

// Cells of unequal cost (rates 100 and 300 per second, 2 and 3 servers), crashes that
// break the check in some runs, so failures.csv has rows.
const CONFIG: &str = r#"
[experiment]
name = "sharded"
seed = 5
replications = 3
duration = "6s"
warmup = "1s"

[cluster]
servers = 3
service = { dist = "exponential", mean = "5ms" }

[workload]
arrivals = { kind = "poisson", rate = 100.0 }
timeout = "500ms"

[faults]
crash = { mttf = { dist = "exponential", mean = "4s" }, mttr = { dist = "exponential", mean = "1s" } }

[strategies.slow]
detector = { kind = "fixed-timeout", timeout = "1s" }

[strategies.fast]
detector = { kind = "fixed-timeout", interval = "50ms", timeout = "150ms" }

[sweep]
"workload.arrivals.rate" = [100.0, 300.0]
"cluster.servers" = [2, 3]

[checks]
min_availability = 0.995
"#;

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("s.toml"), CONFIG).unwrap();
    dir
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let out = run_cli(dir, args);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{args:?}: {}",
        stderr(&out)
    );
    stdout(&out)
}

fn refused(dir: &Path, args: &[&str]) -> String {
    let out = run_cli(dir, args);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    stderr(&out)
}

#[test]
fn three_shards_merge_to_the_files_of_the_unsharded_run() {
    let dir = setup();
    let d = dir.path();
    ok(d, &["run", "s.toml", "--out", "full", "--threads", "2"]);
    for k in 0..3 {
        let spec = format!("{k}/3");
        let text = ok(
            d,
            &[
                "run",
                "s.toml",
                "--shard",
                &spec,
                "--out",
                &format!("s{k}"),
                "--threads",
                "1",
            ],
        );
        assert!(text.contains(&format!("shard {spec}")), "{text}");
        let manifest: serde_json::Value =
            serde_json::from_slice(&fs::read(d.join(format!("s{k}/manifest.json"))).unwrap())
                .unwrap();
        assert_eq!(manifest["shard"]["index"], k);
        assert_eq!(manifest["shard"]["count"], 3);
        assert!(
            !d.join(format!("s{k}/runs.csv")).exists(),
            "a shard writes no tables"
        );
    }
    // In any order.
    let text = ok(d, &["merge", "--out", "merged", "s2", "s0", "s1"]);
    assert!(text.contains("merged 3 shards of sharded"), "{text}");
    assert_same_results(&d.join("full"), &d.join("merged"), &[], "");
    // The merged timing adds up the shards' runs.
    let timing = fs::read_to_string(d.join("merged/timing.csv")).unwrap();
    let row: Vec<&str> = timing.lines().nth(1).unwrap().split(',').collect();
    assert_eq!(row[2], "24", "{timing}");
}

#[test]
fn shards_are_balanced_by_expected_events() {
    let dir = setup();
    let exp =
        experiments::Experiment::load(&dir.path().join("s.toml"), &Overrides::default()).unwrap();
    // Expected events per run: (6 s + 1 s) x (rate + servers).
    let costs: Vec<u64> = exp.cells.iter().map(|c| cost(&c.scenario)).collect();
    assert_eq!(costs, [714, 721, 2114, 2121]);
    let per_cell = 6; // 2 strategies x 3 replications
    for n in [1u32, 2, 3, 5, 24, 30] {
        let shard_of = assignment(&exp, n);
        assert_eq!(shard_of.len(), 24);
        assert_eq!(
            shard_of,
            assignment(&exp, n),
            "the assignment is deterministic"
        );
        let mut loads = vec![0u64; n as usize];
        for (index, &s) in shard_of.iter().enumerate() {
            loads[s as usize] += costs[index / per_cell];
        }
        // Longest processing time first: no shard exceeds the mean load by more than the
        // costliest run, and (with at least as many runs as shards) none is empty.
        let total: u64 = loads.iter().sum();
        let max = *loads.iter().max().unwrap();
        assert!(
            max as f64 <= total as f64 / f64::from(n) + 2121.0,
            "{n} shards: {loads:?}"
        );
        if n <= 24 {
            assert!(loads.iter().all(|&l| l > 0), "{n} shards: {loads:?}");
        }
    }
    // Three shards: 6 runs of each cell, 25,620 events each way within one run's cost.
    let shard_of = assignment(&exp, 3);
    let mut loads = [0u64; 3];
    for (index, &s) in shard_of.iter().enumerate() {
        loads[s as usize] += costs[index / per_cell];
    }
    assert_eq!(loads.iter().sum::<u64>(), 6 * (714 + 721 + 2114 + 2121));
    assert!(
        loads.iter().max().unwrap() - loads.iter().min().unwrap() <= 2121,
        "{loads:?}"
    );
}

#[test]
fn a_missing_duplicated_unfinished_or_mismatched_shard_is_refused() {
    let dir = setup();
    let d = dir.path();
    for k in 0..3 {
        ok(
            d,
            &[
                "run",
                "s.toml",
                "--shard",
                &format!("{k}/3"),
                "--out",
                &format!("s{k}"),
            ],
        );
    }
    ok(d, &["run", "s.toml", "--shard", "1/2", "--out", "half"]);
    ok(
        d,
        &[
            "run", "s.toml", "--shard", "2/3", "--seed", "6", "--out", "other",
        ],
    );
    ok(d, &["run", "s.toml", "--out", "full"]);

    let err = refused(d, &["merge", "--out", "m", "s0", "s2"]);
    assert!(err.contains("shard 1/3 is missing"), "{err}");
    let err = refused(d, &["merge", "--out", "m", "s0", "s1", "s1", "s2"]);
    assert!(
        err.contains("s1: is shard 1/3, as s1 is: a shard given twice"),
        "{err}"
    );
    let err = refused(d, &["merge", "--out", "m", "s0", "s1", "half"]);
    assert!(
        err.contains("half: is shard 1/2, but s0 is shard 0/3"),
        "{err}"
    );
    let err = refused(d, &["merge", "--out", "m", "s0", "s1", "other"]);
    assert!(
        err.contains("other: shard 2/3 is of config fingerprint") && err.contains("not of one run"),
        "{err}"
    );
    let err = refused(d, &["merge", "--out", "m", "full"]);
    assert!(err.contains("full: is not a shard folder"), "{err}");
    let err = refused(d, &["merge", "--out", "s0", "s0", "s1", "s2"]);
    assert!(err.contains("is the shard folder of shard 0/3"), "{err}");

    // A shard whose record lost a run, and one that did not finish.
    let journal = d.join("s1/runs.journal");
    let text = fs::read_to_string(&journal).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.pop();
    fs::write(&journal, lines.join("\n") + "\n").unwrap();
    let err = refused(d, &["merge", "--out", "m", "s0", "s1", "s2"]);
    assert!(
        err.contains("s1/runs.journal: holds 7 runs, but shard 1/3 of this config has 8"),
        "{err}"
    );
    // A run's line damaged: its checksum no longer matches.
    let mut damaged: Vec<String> = text.lines().map(str::to_string).collect();
    damaged[5] = damaged[5].replacen(',', ",9", 1);
    fs::write(&journal, damaged.join("\n") + "\n").unwrap();
    let err = refused(d, &["merge", "--out", "m", "s0", "s1", "s2"]);
    assert!(
        err.contains("s1/runs.journal: line 6 is cut short or damaged; run shard 1/3 again"),
        "{err}"
    );
    fs::remove_file(d.join("s2/manifest.json")).unwrap();
    let err = refused(d, &["merge", "--out", "m", "s0", "s1", "s2"]);
    assert!(
        err.contains("s2: holds no manifest.json: the shard did not finish"),
        "{err}"
    );
    assert!(!d.join("m").exists(), "a refused merge writes nothing");

    for bad in ["3/3", "1", "x/2", "0/0"] {
        let err = refused(d, &["run", "s.toml", "--shard", bad, "--out", "bad"]);
        assert!(err.contains("--shard: expected K/N"), "{err}");
    }
    let err = refused(
        d,
        &["run", "s.toml", "--shard", "0/2", "--grow", "--out", "bad"],
    );
    assert!(
        err.contains("--shard: cannot be combined with --grow"),
        "{err}"
    );
}
