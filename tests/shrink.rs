//! `faultline shrink DIR --run ID`: a failure planted among harmless faults shrinks to
//! exactly its cause, a config whose single run has the failing run's seed, verified
//! one-minimal, that replays with the trace hash it prints, byte-identical at any thread
//! count; bad input is refused with exit code 2 and nothing written; on a terminal one
//! progress line follows the whole shrink, and piped there is none.

use crate::common::{Table, faultline, on_terminal, run_cli, stderr, stdout};
use std::fs;
use std::path::Path;

/// Four servers hold 1000 keys, each on two of them (sync replication, both copies
/// acknowledged) and nowhere else: no checkpoint, so a crashed server comes back empty
/// and catches up from the other copy. Servers 0 and 1 down together (the crash of 1
/// starting at the instant 0 comes back, 21 s, at the latest) lose the keys they share,
/// acknowledged writes included. The ten other scripted faults and the random crashes of
/// replication 4 (seven, 200 ms each, none overlapping another crash) lose nothing.
const PLANTED: &str = r#"
[experiment]
name = "planted"
seed = 7
replications = 5
duration = "40s"
warmup = "2s"

[cluster]
servers = 4
workers = 2
service = { dist = "exponential", mean = "1ms" }

[workload]
arrivals = { kind = "poisson", rate = 200.0, clients = 2 }
keys = { count = 1000 }
writes = 0.3
timeout = "1s"

[network]
delay = { dist = "uniform", min = "200us", max = "1ms" }

[faults]
crash = { mttf = { dist = "exponential", mean = "60s" }, mttr = { dist = "constant", value = "200ms" } }

[[faults.scripted]]
at = "4s"
for = "1s"
kind = "crash"
server = 2

[[faults.scripted]]
at = "7s"
for = "2s"
kind = "slow"
server = 1
factor = 3.0

[[faults.scripted]]
at = "9s"
for = "1s"
kind = "crash"
server = 3

[[faults.scripted]]
at = "12s"
for = "1s"
kind = "loss"
server = 0
probability = 0.2

[[faults.scripted]]
at = "14s"
for = "2s"
kind = "delay"
server = 3
extra = "5ms"

[[faults.scripted]]
at = "16s"
for = "1s"
kind = "crash"
server = 1

[[faults.scripted]]
at = "20s"
for = "3s"
kind = "crash"
server = 0

[[faults.scripted]]
at = "21s"
for = "1s"
kind = "crash"
server = 1

[[faults.scripted]]
at = "26s"
for = "2s"
kind = "load-spike"
factor = 2.0

[[faults.scripted]]
at = "30s"
for = "1s"
kind = "crash"
server = 2

[[faults.scripted]]
at = "33s"
for = "1s"
kind = "slow"
servers = [0, 2]
factor = 2.0

[[faults.scripted]]
at = "36s"
for = "1s"
kind = "crash"
server = 3

[strategies.pair]
routing = { kind = "consistent-hash" }
replication = { kind = "sync", factor = 2, acks = 2 }

[checks]
max_acked_writes_lost = 0
max_latency_p99 = "10s"
"#;

const RUN: &str = "c0-pair-r4";

/// A folder with the planted config run into `res`.
fn planted() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("planted.toml"), PLANTED).unwrap();
    let out = run_cli(
        dir.path(),
        &["run", "planted.toml", "--out", "res", "--no-plots"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    dir
}

fn shrink(dir: &Path, args: &[&str]) -> (String, String) {
    let mut all = vec!["shrink", "res", "--run", RUN];
    all.extend_from_slice(args);
    let out = run_cli(dir, &all);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    (
        stdout(&out),
        fs::read_to_string(dir.join(out_of(args))).unwrap(),
    )
}

fn out_of<'a>(args: &[&'a str]) -> &'a str {
    args.iter()
        .position(|a| *a == "--out")
        .map_or("res/minimal.toml", |i| args[i + 1])
}

/// The `before -> after` figures of a line of the printed sizes.
fn sizes<'a>(stdout: &'a str, name: &str) -> (&'a str, &'a str) {
    let line = stdout
        .lines()
        .find(|l| l.split_whitespace().next() == Some(name))
        .unwrap_or_else(|| panic!("no {name} line in\n{stdout}"));
    let words: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(words[2], "->", "{line}");
    (words[1], words[3])
}

fn scripted(minimal: &toml::Table) -> Vec<toml::Table> {
    minimal["faults"]["scripted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_table().unwrap().clone())
        .collect()
}

fn seconds(text: &toml::Value) -> f64 {
    sim_core::SimDuration::parse(text.as_str().unwrap())
        .unwrap()
        .as_secs_f64()
}

#[test]
fn a_planted_failure_shrinks_to_its_two_overlapping_crashes() {
    let dir = planted();
    let (out, text) = shrink(dir.path(), &[]);
    assert!(out.contains("materialised: 7 random crashes written out as scripted crashes beside 12 scripted faults; the run still fails the same way: it breaks max_acked_writes_lost"), "{out}");
    let minimal: toml::Table = text.parse().unwrap();

    // Exactly the planted cause: the crash of server 0 at 20 s, lasting at least until the
    // crash of server 1 at 21 s starts, which may be as short as anything.
    let faults = scripted(&minimal);
    assert_eq!(faults.len(), 2, "{text}");
    let what = |f: &toml::Table| {
        (
            f["at"].as_str().unwrap().to_string(),
            f["kind"].as_str().unwrap().to_string(),
            f["server"].as_integer().unwrap(),
        )
    };
    assert_eq!(what(&faults[0]), ("20s".into(), "crash".into(), 0));
    assert_eq!(what(&faults[1]), ("21s".into(), "crash".into(), 1));
    let first = seconds(&faults[0]["for"]);
    assert!((1.0..=3.0).contains(&first), "{text}");
    assert!(seconds(&faults[1]["for"]) <= 1.0, "{text}");
    assert!(
        minimal["faults"].get("crash").is_none(),
        "the random process is gone: {text}"
    );

    // One run, of the failing run's own seed, cell and strategy; the run ends after the
    // last crash starts; two servers are all two copies need.
    let runs = Table::read(&dir.path().join("res/runs.csv"));
    let row = runs.rows_where("run_id", RUN)[0];
    let seed: u64 = runs.cell(row, "seed").parse().unwrap();
    // The run's own config, before anything is written out, is the run: its hash.
    assert!(
        out.starts_with(&format!(
            "run {RUN} of {} (seed {seed}, trace hash {}) breaks max_acked_writes_lost;",
            dir.path().join("res").display(),
            runs.cell(row, "trace_hash")
        )),
        "{out}"
    );
    let experiment = minimal["experiment"].as_table().unwrap();
    assert_eq!(experiment["run_seed"].as_integer().unwrap() as u64, seed);
    assert_eq!(experiment["replications"].as_integer(), Some(1));
    assert!(experiment.get("seed").is_none() && minimal.get("sweep").is_none());
    let duration = seconds(&experiment["duration"]);
    assert!(duration > 21.0 && duration < 22.0, "{text}");
    assert_eq!(
        minimal["cluster"]["servers"].as_integer(),
        Some(2),
        "{text}"
    );
    assert_eq!(sizes(&out, "faults"), ("19", "2"));
    assert_eq!(
        sizes(&out, "duration"),
        ("40s", experiment["duration"].as_str().unwrap())
    );
    assert_eq!(sizes(&out, "servers"), ("4", "2"));
    assert_eq!(sizes(&out, "clients").0, "2");
    assert_eq!(sizes(&out, "rate").0, "200/s");

    // One-minimal, as printed and as checked here: without either crash, every check
    // passes.
    for i in 0..2 {
        assert!(
            out.contains(&format!(
                "  without fault {i} (crash of server {i} at 2{i}s for "
            )),
            "{out}"
        );
    }
    assert_eq!(out.matches("): passes every check").count(), 2, "{out}");
    let without = |drop: usize| {
        let mut t = minimal.clone();
        let mut faults = scripted(&minimal);
        faults.remove(drop);
        t["faults"]["scripted"] =
            toml::Value::Array(faults.into_iter().map(toml::Value::Table).collect());
        toml::to_string(&t).unwrap()
    };
    for drop in 0..2 {
        fs::write(dir.path().join("fewer.toml"), without(drop)).unwrap();
        let run = run_cli(dir.path(), &["replay", "fewer.toml", "--run", "c0-pair-r0"]);
        assert_eq!(
            run.status.code(),
            Some(0),
            "without fault {drop}: {}",
            stdout(&run)
        );
    }

    // The printed replay command reproduces the printed trace hash and the failure.
    let hash = out
        .split("trace hash ")
        .last()
        .and_then(|rest| rest.get(..16))
        .unwrap();
    let replay = out.lines().last().unwrap().trim();
    let words: Vec<&str> = replay.split_whitespace().collect();
    assert_eq!(words[..2], ["faultline", "replay"], "{replay}");
    let again = run_cli(dir.path(), &words[1..]);
    assert_eq!(again.status.code(), Some(1), "{}", stderr(&again));
    assert!(
        stdout(&again).contains(&format!("trace_hash {hash}")),
        "{}",
        stdout(&again)
    );
    assert!(stdout(&again).contains("check failed: max_acked_writes_lost"));
}

#[test]
fn shrinking_is_byte_identical_at_any_thread_count_and_when_repeated() {
    let dir = planted();
    let (_, one) = shrink(dir.path(), &["--threads", "1", "--out", "one.toml"]);
    let (_, two) = shrink(dir.path(), &["--threads", "2", "--out", "two.toml"]);
    // Shrinking again replaces the file the first shrink wrote.
    let (_, again) = shrink(dir.path(), &["--threads", "2", "--out", "two.toml"]);
    assert_eq!(one, two);
    assert_eq!(two, again);
    // Naming the one check breaks ties the same way here: the signature is that check.
    let (_, check) = shrink(
        dir.path(),
        &["--check", "max_acked_writes_lost", "--out", "check.toml"],
    );
    assert_eq!(
        scripted(&check.parse().unwrap()),
        scripted(&one.parse().unwrap())
    );
}

#[test]
fn bad_input_is_refused_with_exit_code_2_and_nothing_written() {
    let dir = planted();
    let root = dir.path();
    fs::write(root.join("mine.toml"), "my own notes\n").unwrap();
    fs::write(
        root.join("passing.toml"),
        PLANTED.replace(
            "max_acked_writes_lost = 0",
            "max_acked_writes_lost = 1000000",
        ),
    )
    .unwrap();
    let passing = run_cli(
        root,
        &["run", "passing.toml", "--out", "pass", "--no-plots"],
    );
    assert_eq!(passing.status.code(), Some(0), "{}", stderr(&passing));
    fs::create_dir(root.join("empty")).unwrap();
    let cases: &[(&[&str], &str)] = &[
        (
            &["shrink", "res", "--run", "c0-pair-r9"],
            "--run c0-pair-r9: no such run in res/config.toml; run ids look like c<cell>-<strategy>-r<replication>, here cells 0 to 0, strategies pair, replications 0 to 4",
        ),
        (
            &["shrink", "pass", "--run", "c0-pair-r0"],
            "--run c0-pair-r0: the run breaks none of its checks (max_acked_writes_lost, max_latency_p99), so there is no failure to shrink",
        ),
        (
            &["shrink", "missing", "--run", RUN],
            "missing: not a folder; expected a results folder written by faultline run",
        ),
        (
            &["shrink", "planted.toml", "--run", RUN],
            "planted.toml: not a folder",
        ),
        (
            &["shrink", "empty", "--run", RUN],
            "holds no config.toml (a results folder written by faultline run does)",
        ),
        (
            &["shrink", "res", "--run", RUN, "--out", "mine.toml"],
            "--out mine.toml: exists and is not a minimal config faultline shrink wrote",
        ),
        (
            &["shrink", "res", "--run", RUN, "--out", "nowhere/m.toml"],
            "--out nowhere/m.toml: nowhere is not a folder; expected a file in an existing folder",
        ),
        (
            &["shrink", "res", "--run", RUN, "--check", "max_latency_p99"],
            "--check max_latency_p99: the run does not break it; the run breaks max_acked_writes_lost",
        ),
        (
            &["shrink", "res", "--run", RUN, "--check", "min_goodput"],
            "--check min_goodput: no such check in the config's [checks]",
        ),
        (
            &["shrink", "res", "--run", RUN, "--threads", "0"],
            "--threads: expected an integer from 1 to 1024, got 0",
        ),
    ];
    for (args, message) in cases {
        let out = run_cli(root, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(message), "{args:?}: {}", stderr(&out));
    }
    assert_eq!(
        fs::read_to_string(root.join("mine.toml")).unwrap(),
        "my own notes\n"
    );
    for folder in ["res", "pass", "empty"] {
        assert!(!root.join(folder).join("minimal.toml").exists(), "{folder}");
    }
}

#[test]
fn run_seed_fixes_the_seed_of_a_single_run_only() {
    let dir = tempfile::tempdir().unwrap();
    let single = "[experiment]\nduration = \"1s\"\nrun_seed = 12345\n\n[cluster]\nservers = 1\nservice = { dist = \"constant\", value = \"1ms\" }\n\n[workload]\narrivals = { kind = \"poisson\", rate = 10.0 }\n";
    fs::write(dir.path().join("single.toml"), single).unwrap();
    let out = run_cli(
        dir.path(),
        &["run", "single.toml", "--out", "r", "--no-plots"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let runs = Table::read(&dir.path().join("r/runs.csv"));
    assert_eq!(runs.values("seed"), ["12345"]);
    let two = single.replace("run_seed = 12345", "run_seed = 12345\nreplications = 2");
    fs::write(dir.path().join("two.toml"), two).unwrap();
    let out = run_cli(dir.path(), &["check", "two.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("`experiment.run_seed`: fixes the seed of a config's one run, and this one has 1 cells x 1 strategies x 2 replications"),
        "{}",
        stderr(&out)
    );
    let out = run_cli(dir.path(), &["check", "single.toml", "--seed", "3"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--seed would change nothing"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn one_progress_line_follows_the_whole_shrink_on_a_terminal_and_none_when_piped() {
    let dir = planted();
    let out = run_cli(
        dir.path(),
        &["shrink", "res", "--run", RUN, "--out", "piped.toml"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        "",
        "piped, stderr holds only errors and notes"
    );
    let piped = stdout(&out);
    let minimal = fs::read_to_string(dir.path().join("piped.toml")).unwrap();
    assert!(
        !piped.contains('\r') && !piped.contains('\u{1b}'),
        "{piped:?}"
    );
    let command = format!(
        "'{}' shrink res --run {RUN} --out tty.toml",
        faultline().display()
    );
    let Some(out) = on_terminal(dir.path(), &command) else {
        return;
    };
    assert!(out.status.success(), "{}", stderr(&out));
    let screen = stdout(&out);
    // `| shrink: PHASE; candidate runs: N, 0s elapsed`, each time the line is drawn.
    let drawn: Vec<(String, u64)> = screen
        .split(['\r', '\n'])
        .filter_map(|l| {
            let rest = &l[l.find("shrink: ")? + "shrink: ".len()..];
            let (phase, rest) = rest.split_once("; candidate runs: ")?;
            let (n, rest) = rest.split_once(", ")?;
            assert!(rest.trim_end().ends_with("s elapsed"), "{l:?}");
            Some((phase.to_string(), n.parse().unwrap()))
        })
        .collect();
    let tried: u64 = screen
        .split("shrunk in ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{screen:?}"));
    assert_eq!(
        drawn.first().map(|d| d.0.as_str()),
        Some(&*format!("recording run {RUN}")),
        "{screen:?}"
    );
    // One line for every phase: its count of candidate runs goes on from phase to phase,
    // never starting over, up to the total the summary prints.
    assert!(drawn.windows(2).all(|w| w[0].1 <= w[1].1), "{drawn:?}");
    assert!(drawn.iter().all(|d| d.1 <= tried), "{tried}: {drawn:?}");
    let phases: std::collections::BTreeSet<&str> = drawn.iter().map(|d| d.0.as_str()).collect();
    assert!(
        phases.contains("removing faults (ddmin, pass 1)") && phases.len() >= 3,
        "{phases:?}"
    );
    // The line changes nothing the shrink writes.
    assert_eq!(
        fs::read_to_string(dir.path().join("tty.toml")).unwrap(),
        minimal
    );
}
