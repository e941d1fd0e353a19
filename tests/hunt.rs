//! `faultline hunt` and `[swarm]`: a failure planted among random faults, whose minimal
//! cause is known by construction, is found within a stated number of seeds and only
//! where its cause was drawn; hunt.csv is byte-identical at 1 and 2 threads; a failure's
//! replay command reproduces its trace hash; a hunt stopped by its time budget resumes
//! into the same files; bad `[swarm]` and `[invariants]` keys exit with code 2 naming the
//! key; the liveness invariant catches a retry storm that outlives its trigger and not
//! the variant with a retry budget; three hunt shards merged give the unsharded hunt's
//! files byte for byte, and a bad `--shard` is refused as `run` refuses it; a hunt does
//! not write into a run's folder nor a run into a hunt's.

use crate::common::{Table, Variant, files, repo_root, run_cli, run_shell, stderr, stdout};
use sim_core::SimDuration;
use std::fs;

/// Two servers hold every key twice (synchronous replication, last writer wins), so an
/// acknowledged write is lost exactly when both servers are down at once: the planted
/// cause. The crash family draws one or two crashes of one server each, starting within
/// one second of each other and lasting two: two crashes always overlap, and hit both
/// servers with probability 1/2. Partitions, lossy links and slow servers are drawn
/// around them and lose no acknowledged write.
const PLANTED: &str = r#"
[experiment]
name = "planted"
seed = 11
replications = 60
duration = "12s"
warmup = "1s"

[cluster]
servers = 2
workers = 2
service = { dist = "exponential", mean = "1ms" }

[workload]
arrivals = { kind = "poisson", rate = 200.0 }
keys = { count = 200 }
writes = 0.3
timeout = "500ms"

[network]
delay = { dist = "uniform", min = "200us", max = "1ms" }

[strategies.sync]
routing = { kind = "consistent-hash" }
replication = { kind = "sync", factor = 2 }
ordering = { kind = "lww" }

[swarm.crash]
p = 0.5
count = [1, 2]
at = ["5s", "6s"]
for = "2s"

[swarm.partition]
p = 0.5
count = [1, 2]
at = ["2s", "9s"]
for = ["200ms", "2s"]

[swarm.loss]
p = 0.5
at = ["2s", "9s"]
for = ["500ms", "3s"]
probability = [0.0, 0.3]
servers = [1, 2]

[swarm.slow]
p = 0.5
at = ["2s", "9s"]
for = ["500ms", "3s"]
factor = [2.0, 20.0]

[invariants]
no_lost_acked_writes = true
"#;

fn hunt(dir: &std::path::Path, config: &str, out: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["hunt", config, "--out", out];
    args.extend_from_slice(extra);
    run_cli(dir, &args)
}

#[test]
fn a_planted_failure_is_found_and_breaks_the_invariant_only_where_its_cause_was_drawn() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("planted.toml"), PLANTED).unwrap();
    let plan = stdout(&run_cli(dir.path(), &["check", "planted.toml"]));
    assert!(
        plan.contains("swarm, drawn per seed: crash (p 0.5, 1 to 2 faults), partition (p 0.5, 1 to 2 faults), loss (p 0.5, 1 fault), slow (p 0.5, 1 fault)"),
        "{plan}"
    );
    let out = hunt(dir.path(), "planted.toml", "h", &["--progress", "none"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let table = Table::read(&dir.path().join("h/hunt.csv"));
    assert_eq!(table.rows.len(), 60);
    // A seed plants the cause with probability 1/2 (crashes on) x 1/2 (two of them) x 1/2
    // (on different servers) = 1/8: 60 seeds miss it with probability (7/8)^60 = 3.3e-4.
    let mut planted = 0;
    for row in &table.rows {
        let cell = |c: &str| table.cell(row, c);
        let both_down = cell("swarm.crash.on") == "1"
            && cell("swarm.crash.count") == "2"
            && cell("swarm.crash[0].servers") != cell("swarm.crash[1].servers");
        planted += usize::from(both_down);
        let broken = cell("no_lost_acked_writes") == "fail";
        assert_eq!(
            broken,
            both_down,
            "{}: the invariant breaks exactly when both replicas are down at once",
            cell("run_id")
        );
        assert_eq!(
            cell("signature"),
            if broken { "no_lost_acked_writes" } else { "" }
        );
    }
    assert!(
        planted >= 1,
        "the 60 seeds planted the cause {planted} times"
    );
    let text = stdout(&out);
    assert!(
        text.contains(&format!(
            "60 of 60 runs (60 seeds x 1 strategy x 1 cell), {planted} broke"
        )),
        "{text}"
    );
    // The random faults around the planted ones were drawn too.
    for family in ["partition", "loss", "slow"] {
        let on = table.values(&format!("swarm.{family}.on"));
        assert!(
            on.iter().any(|v| v == "1") && on.iter().any(|v| v == "0"),
            "{family}"
        );
    }
}

#[test]
fn hunt_csv_is_byte_identical_at_1_and_2_threads_and_the_replay_reproduces_the_trace_hash() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("planted.toml"), PLANTED).unwrap();
    let seeds = ["--seeds", "24", "--progress", "none"];
    let one = hunt(
        dir.path(),
        "planted.toml",
        "one",
        &[&seeds[..], &["--threads", "1"]].concat(),
    );
    let two = hunt(
        dir.path(),
        "planted.toml",
        "two",
        &[&seeds[..], &["--threads", "2"]].concat(),
    );
    assert_eq!(one.status.code(), Some(1), "{}", stderr(&one));
    assert_eq!(two.status.code(), Some(1), "{}", stderr(&two));
    let read = |p: &str| fs::read_to_string(dir.path().join(p)).unwrap();
    assert_eq!(read("one/hunt.csv"), read("two/hunt.csv"));
    assert_eq!(
        read("one/hunt_failures.csv").replace("/one/", "/two/"),
        read("two/hunt_failures.csv")
    );
    let failures = Table::read(&dir.path().join("one/hunt_failures.csv"));
    assert!(!failures.rows.is_empty());
    for row in &failures.rows {
        let replay = failures.cell(row, "replay");
        let id = failures.cell(row, "first_run_id");
        // Pasted from another directory: the config file is named by its absolute path.
        let elsewhere = tempfile::tempdir().unwrap();
        let out = run_shell(elsewhere.path(), replay);
        assert_eq!(out.status.code(), Some(1), "{replay}: {}", stderr(&out));
        let text = stdout(&out);
        assert!(
            text.contains(&format!("trace_hash {}", failures.cell(row, "trace_hash"))),
            "{replay}: {text}"
        );
        assert!(
            text.contains("check failed: no_lost_acked_writes"),
            "{text}"
        );
        // The hunt's folder replays the same run from its config.toml, drawing again.
        let folder = dir.path().join("one");
        let out = run_cli(
            dir.path(),
            &["replay", folder.to_str().unwrap(), "--run", id],
        );
        assert!(stdout(&out).contains(failures.cell(row, "trace_hash")));
    }
}

#[test]
fn a_hunt_stopped_by_its_time_budget_keeps_a_prefix_that_resume_completes() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("planted.toml"), PLANTED).unwrap();
    let args = ["--seeds", "16", "--progress", "none", "--threads", "2"];
    let whole = hunt(dir.path(), "planted.toml", "whole", &args);
    assert_eq!(whole.status.code(), Some(1), "{}", stderr(&whole));
    // A budget of 1 ns is spent once the first run is in: that run is kept.
    let cut = hunt(
        dir.path(),
        "planted.toml",
        "cut",
        &[&args[..], &["--time-budget", "1ns"]].concat(),
    );
    let text = stdout(&cut);
    assert!(text.contains("hunt planted: 1 of 16 runs"), "{text}");
    assert!(
        text.contains("time budget spent: 15 runs not run; continue with:"),
        "{text}"
    );
    let prefix = Table::read(&dir.path().join("cut/hunt.csv"));
    assert_eq!(prefix.rows.len(), 1);
    let resumed = hunt(
        dir.path(),
        "planted.toml",
        "cut",
        &[&args[..], &["--resume"]].concat(),
    );
    assert_eq!(resumed.status.code(), Some(1), "{}", stderr(&resumed));
    let read = |p: &str| fs::read_to_string(dir.path().join(p)).unwrap();
    assert_eq!(read("cut/hunt.csv"), read("whole/hunt.csv"));
    let bad = hunt(dir.path(), "planted.toml", "x", &["--time-budget", "soon"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("--time-budget: expected a wall-clock duration"));
}

#[test]
fn bad_swarm_and_invariant_keys_exit_2_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    for (from, to, key) in [
        (
            "probability = [0.0, 0.3]",
            "probability = [0.3, 0.0]",
            "`swarm.loss.probability`",
        ),
        (
            "[swarm.slow]",
            "[swarm.slwo]",
            "`swarm.slwo`: unknown fault family (did you mean `slow`?)",
        ),
        (
            "factor = [2.0, 20.0]",
            "factr = [2.0, 20.0]",
            "`swarm.slow.factr`: unknown key",
        ),
        (
            "p = 0.5\ncount = [1, 2]\nat = [\"5s\"",
            "p = 1.5\ncount = [1, 2]\nat = [\"5s\"",
            "`swarm.crash.p`",
        ),
        (
            "no_lost_acked_writes = true",
            "no_lost_writes = true",
            "`invariants.no_lost_writes`: unknown invariant",
        ),
        (
            "no_lost_acked_writes = true",
            "recovers = { within = \"1s\", availability = 0.9, windw = \"1s\" }",
            "`invariants.recovers.windw`: unknown key",
        ),
    ] {
        fs::write(dir.path().join("bad.toml"), PLANTED.variant(from, to)).unwrap();
        let out = hunt(dir.path(), "bad.toml", "bad", &[]);
        assert_eq!(out.status.code(), Some(2), "{to}: {}", stderr(&out));
        assert!(stderr(&out).contains(key), "{to}: {}", stderr(&out));
        assert!(!dir.path().join("bad").exists(), "{to}: nothing is written");
    }
    // Drawn values the config refuses, at a range's end, are refused before any run.
    fs::write(
        dir.path().join("bad.toml"),
        PLANTED.variant("factor = [2.0, 20.0]", "factor = [0.0, 20.0]"),
    )
    .unwrap();
    let out = hunt(dir.path(), "bad.toml", "bad", &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("every range at its lower end"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn liveness_catches_the_retry_storm_that_outlives_its_trigger_and_not_the_budgeted_one() {
    let dir = tempfile::tempdir().unwrap();
    let config = repo_root().join("experiments/configs/retry-storm.toml");
    let out = run_cli(
        dir.path(),
        &[
            "run",
            config.to_str().unwrap(),
            "--out",
            "out",
            "--replications",
            "2",
            "--no-plots",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let runs = Table::read(&dir.path().join("out/runs.csv"));
    for row in &runs.rows {
        let recovery: f64 = runs.cell(row, "recovery_time_s").parse().unwrap();
        match runs.cell(row, "strategy") {
            // Still collapsed when arrivals stop: 40 s - (10 s + 3 s) of spike.
            "storm" => assert_eq!(recovery, 27.0),
            _ => assert!(recovery <= 10.0, "{recovery}"),
        }
    }
    let failures = Table::read(&dir.path().join("out/failures.csv"));
    assert_eq!(failures.rows.len(), 4, "the storm's runs in both cells");
    for row in &failures.rows {
        assert_eq!(failures.cell(row, "strategy"), "storm");
        assert_eq!(failures.cell(row, "check"), "recovers");
        assert_eq!(failures.cell(row, "threshold"), "10");
    }
}

#[test]
fn the_async_replication_example_loses_acked_writes_only_in_seeds_that_drew_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let config = repo_root().join("experiments/configs/hunt-async-replication.toml");
    let out = run_cli(
        dir.path(),
        &[
            "hunt",
            config.to_str().unwrap(),
            "--out",
            "h",
            "--progress",
            "none",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let table = Table::read(&dir.path().join("h/hunt.csv"));
    let (mut async_lost, mut async_crashed) = (0, 0);
    for row in &table.rows {
        let failed = table.cell(row, "no_lost_acked_writes") == "fail";
        let crashed = table.cell(row, "swarm.crash.on") == "1";
        assert!(
            !failed || crashed,
            "{}: lost without a crash",
            table.cell(row, "run_id")
        );
        if table.cell(row, "strategy") == "async" && crashed {
            async_crashed += 1;
            async_lost += usize::from(failed);
        }
    }
    assert!(
        async_crashed > 0 && async_lost > 0,
        "{async_lost} of {async_crashed}"
    );
}

/// A duration as the minimal config writes it.
fn duration(value: &toml::Value) -> SimDuration {
    SimDuration::parse(value.as_str().unwrap()).unwrap()
}

#[test]
fn a_hunted_failure_shrinks_to_exactly_its_planted_cause() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("planted.toml"), PLANTED).unwrap();
    let out = hunt(dir.path(), "planted.toml", "h", &["--progress", "none"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let table = Table::read(&dir.path().join("h/hunt.csv"));
    let failing: Vec<_> = table
        .rows
        .iter()
        .filter(|row| table.cell(row, "signature") == "no_lost_acked_writes")
        .collect();
    assert!(!failing.is_empty());
    // Every failing run, whatever else its seed drew around the two crashes, shrinks to
    // them: two crashes of the two servers, the second before the first ends, and
    // nothing else.
    for row in failing.iter().take(2) {
        let id = table.cell(row, "run_id");
        let drawn: usize = ["crash", "partition", "loss", "slow"]
            .iter()
            .filter(|f| table.cell(row, &format!("swarm.{f}.on")) == "1")
            .map(|f| {
                table
                    .cell(row, &format!("swarm.{f}.count"))
                    .parse::<usize>()
                    .unwrap_or(1)
            })
            .sum();
        let run = run_cli(
            dir.path(),
            &["shrink", "h", "--run", id, "--out", "min.toml"],
        );
        assert_eq!(run.status.code(), Some(0), "{id}: {}", stderr(&run));
        let text = stdout(&run);
        assert!(
            text.contains(&format!("  faults {:>15} -> 2\n", drawn)),
            "{id}: {drawn} faults drawn\n{text}"
        );
        assert_eq!(text.matches("): passes every check").count(), 2, "{text}");
        let minimal: toml::Table = fs::read_to_string(dir.path().join("min.toml"))
            .unwrap()
            .parse()
            .unwrap();
        let faults = minimal["faults"]["scripted"].as_array().unwrap();
        assert_eq!(faults.len(), 2, "{minimal}");
        let span = |f: &toml::Value| {
            assert_eq!(f["kind"].as_str(), Some("crash"), "{minimal}");
            let at = duration(&f["at"]);
            let servers = f["servers"].as_array().unwrap();
            assert_eq!(servers.len(), 1, "{minimal}");
            (
                at,
                at + duration(&f["for"]),
                servers[0].as_integer().unwrap(),
            )
        };
        let (a, b) = (span(&faults[0]), span(&faults[1]));
        assert_ne!(a.2, b.2, "both copies: {minimal}");
        // The second crash starts before the first server is back (a recovered server
        // does not fetch what it missed): the shrunk crash ends exactly where the other
        // begins, at the latest.
        let (first, second) = if a.0 <= b.0 { (a, b) } else { (b, a) };
        assert!(second.0 <= first.1, "overlapping: {minimal}");
        // The printed replay reproduces the printed trace hash and the failure.
        let hash = text.split("trace hash ").last().unwrap().get(..16).unwrap();
        let words: Vec<&str> = text.lines().last().unwrap().split_whitespace().collect();
        let again = run_cli(dir.path(), &words[1..]);
        assert_eq!(again.status.code(), Some(1), "{}", stderr(&again));
        assert!(stdout(&again).contains(&format!("trace_hash {hash}")));
    }
}

#[test]
fn three_hunt_shards_merge_to_the_files_of_the_unsharded_hunt() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("planted.toml"), PLANTED).unwrap();
    let seeds = ["--seeds", "24", "--progress", "none"];
    // The whole hunt is written to `hunt` and moved aside, so that the merge writes to the
    // same folder: hunt_failures.csv's replay commands name it.
    let whole = hunt(d, "planted.toml", "hunt", &seeds);
    assert_eq!(whole.status.code(), Some(1), "{}", stderr(&whole));
    fs::rename(d.join("hunt"), d.join("whole")).unwrap();
    let planted = std::path::absolute(d.join("planted.toml")).unwrap();
    for k in 0..3 {
        let spec = format!("{k}/3");
        let out = hunt(
            d,
            "planted.toml",
            &format!("s{k}"),
            &[&seeds[..], &["--shard", &spec]].concat(),
        );
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        // 24 runs of equal cost, dealt in turn: 8 each.
        let text = stdout(&out);
        assert!(
            text.starts_with(&format!(
                "hunt planted: shard {spec}, 8 of 24 runs written to s{k}"
            )),
            "{text}"
        );
        let manifest: serde_json::Value = serde_json::from_str(
            &fs::read_to_string(d.join(format!("s{k}/manifest.json"))).unwrap(),
        )
        .unwrap();
        assert_eq!(manifest["shard"]["index"], k);
        assert_eq!(manifest["hunt"]["config"], planted.display().to_string());
        assert!(
            !d.join(format!("s{k}/hunt.csv")).exists(),
            "a shard writes no tables"
        );
    }
    let merged = run_cli(d, &["merge", "--out", "hunt", "s2", "s0", "s1"]);
    assert_eq!(merged.status.code(), Some(1), "{}", stderr(&merged));
    let text = stdout(&merged);
    assert!(
        text.starts_with("merged 3 shards of planted from s2, s0, s1\n"),
        "{text}"
    );
    assert!(text.contains("hunt planted: 24 of 24 runs"), "{text}");
    let names = files(&d.join("whole"));
    assert_eq!(names, files(&d.join("hunt")));
    let failing = names.iter().filter(|n| n.starts_with("failures")).count();
    assert!(
        failing > 0,
        "the 24 seeds found the planted failure: {names:?}"
    );
    for name in &names {
        assert!(
            fs::read(d.join("whole").join(name)).unwrap()
                == fs::read(d.join("hunt").join(name)).unwrap(),
            "{} differs",
            name.display()
        );
    }
    let failures = Table::read(&d.join("hunt/hunt_failures.csv"));
    let runs: usize = failures
        .values("runs")
        .iter()
        .map(|r| r.parse::<usize>().unwrap())
        .sum();
    assert_eq!(runs, failing, "one config per failing run");
}

#[test]
fn a_bad_hunt_shard_is_refused_as_run_refuses_it_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("planted.toml"), PLANTED).unwrap();
    for spec in ["0/0", "3/2", "x"] {
        let out = hunt(d, "planted.toml", "bad", &["--shard", spec]);
        assert_eq!(out.status.code(), Some(2), "{spec}: {}", stderr(&out));
        let run = run_cli(d, &["run", "planted.toml", "--out", "bad", "--shard", spec]);
        assert_eq!(stderr(&out), stderr(&run), "{spec}");
        assert!(
            stderr(&out).starts_with("error: --shard: expected K/N"),
            "{}",
            stderr(&out)
        );
    }
    for (flag, extra) in [
        ("--resume", &["--resume"][..]),
        ("--time-budget", &["--time-budget", "1m"]),
    ] {
        let out = hunt(
            d,
            "planted.toml",
            "bad",
            &[&["--shard", "0/2"][..], extra].concat(),
        );
        assert_eq!(out.status.code(), Some(2), "{flag}");
        assert_eq!(
            stderr(&out),
            format!(
                "error: --shard: cannot be combined with {flag}: a shard is run whole (run it again after an interruption)\n"
            )
        );
    }
    assert!(!d.join("bad").exists(), "nothing is written");
    // A shard of `run` is not a shard of the hunt, though it holds the same runs.
    let quiet = ["--seeds", "4", "--progress", "none"];
    for k in 0..2 {
        let spec = format!("{k}/2");
        hunt(
            d,
            "planted.toml",
            &format!("h{k}"),
            &[&quiet[..], &["--shard", &spec]].concat(),
        );
    }
    run_cli(
        d,
        &[
            "run",
            "planted.toml",
            "--replications",
            "4",
            "--shard",
            "1/2",
            "--out",
            "r1",
            "--progress",
            "none",
        ],
    );
    let out = run_cli(d, &["merge", "--out", "m", "h0", "r1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out)
            .contains("r1: is a shard of faultline run, but h0 is a shard of faultline hunt"),
        "{}",
        stderr(&out)
    );
    let out = run_cli(d, &["merge", "--out", "m", "--json", "h0", "h1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--json: the shards are of faultline hunt"));
    assert!(!d.join("m").exists(), "nothing is written");
}

/// The bytes of every file under `dir`, by path.
fn snapshot(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut all: Vec<_> = files(dir)
        .into_iter()
        .map(|f| {
            let bytes = fs::read(dir.join(&f)).unwrap();
            (f, bytes)
        })
        .collect();
    all.sort();
    all
}

#[test]
fn a_hunt_and_a_run_do_not_write_into_each_others_folders() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("planted.toml"), PLANTED).unwrap();
    let quiet = ["--progress", "none"];
    let run = |out: &str, extra: &[&str]| {
        let args = [
            &["run", "planted.toml", "--out", out, "--no-plots"][..],
            &quiet,
            extra,
        ]
        .concat();
        run_cli(d, &args)
    };
    let seeds = [&["--seeds", "4"][..], &quiet].concat();
    assert!(matches!(
        run("r", &["--replications", "4"]).status.code(),
        Some(0 | 1)
    ));
    assert!(matches!(
        hunt(d, "planted.toml", "h", &seeds).status.code(),
        Some(0 | 1)
    ));
    let shard = [&seeds[..], &["--shard", "0/2"]].concat();
    assert_eq!(hunt(d, "planted.toml", "s", &shard).status.code(), Some(0));
    let (r, h, sh) = (
        snapshot(&d.join("r")),
        snapshot(&d.join("h")),
        snapshot(&d.join("s")),
    );

    let (four, run_shard) = (
        ["--replications", "4"],
        ["--replications", "4", "--shard", "0/2"],
    );
    for (command, out, extra, theirs, ours) in [
        (
            "hunt",
            "r",
            &seeds[..],
            "faultline run (runs.csv)",
            "a hunt",
        ),
        ("hunt", "r", &shard, "faultline run (runs.csv)", "a shard"),
        ("hunt", "h", &shard, "faultline hunt (hunt.csv)", "a shard"),
        (
            "hunt",
            "s",
            &seeds,
            "a finished run or shard (manifest.json)",
            "a hunt",
        ),
        ("run", "h", &four, "faultline hunt (hunt.csv)", "a run"),
        (
            "run",
            "r",
            &run_shard,
            "faultline run (runs.csv)",
            "a shard",
        ),
    ] {
        let refused = if command == "hunt" {
            hunt(d, "planted.toml", out, extra)
        } else {
            run(out, extra)
        };
        assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
        assert_eq!(
            stderr(&refused),
            format!(
                "error: {out}: holds the outputs of {theirs}; {ours} writes a folder of its own: give another --out, or remove those files first\n"
            ),
            "{command} {extra:?} into {out}"
        );
    }
    assert_eq!(snapshot(&d.join("r")), r, "the run's folder is untouched");
    assert_eq!(snapshot(&d.join("h")), h, "the hunt's folder is untouched");
    assert_eq!(
        snapshot(&d.join("s")),
        sh,
        "the shard's folder is untouched"
    );

    // The same command again replaces its own files: the same bytes.
    assert!(matches!(
        hunt(d, "planted.toml", "h", &seeds).status.code(),
        Some(0 | 1)
    ));
    assert_eq!(snapshot(&d.join("h")), h);
    assert_eq!(hunt(d, "planted.toml", "s", &shard).status.code(), Some(0));
    let again = snapshot(&d.join("s"));
    let names = |files: &[(std::path::PathBuf, Vec<u8>)]| -> Vec<_> {
        files.iter().map(|(f, _)| f.clone()).collect()
    };
    assert_eq!(
        names(&again),
        names(&sh),
        "a shard again writes the same files"
    );
}
