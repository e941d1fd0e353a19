//! Bad input is refused with exit code 2 and an error naming the file, the dotted key, the
//! line where one exists, and what was expected; never a panic, never an output file.
//!
//! The configs are the corpus in `tests/bad_configs/`: each file states on its first four
//! lines why it is bad, the exit code, where the error points (`at: LINE KEY`, `-` where
//! none exists) and the message, in which `...` stands for a list that grows with the
//! strategies and keys faultline knows. Every file goes through both `faultline check` and
//! `faultline run`. Paths that cannot be read or written (a missing config, a folder given
//! as a config, an output folder that is a file, an output file that is a folder, a full
//! disk) are checked below the corpus.

use crate::common::{repo_root, run_cli, run_cli_env, stderr};
use experiments::journal::JOURNAL_FILE;
use experiments::output::DISK_FULL_AFTER_ENV;
use std::fs;
use std::path::Path;

/// What a corpus file expects.
struct Expectation {
    why: String,
    exit: i32,
    line: Option<u32>,
    key: Option<String>,
    message: String,
}

fn expectation(path: &Path) -> Expectation {
    // Lossy: a corpus file may hold invalid UTF-8 below its four lines of expectations.
    let text = String::from_utf8_lossy(&fs::read(path).unwrap()).into_owned();
    let head: Vec<&str> = text.lines().take(4).collect();
    let field = |i: usize, name: &str| -> String {
        head.get(i)
            .and_then(|l| l.strip_prefix(&format!("# {name}")))
            .unwrap_or_else(|| panic!("{}: line {} is not `# {name}...`", path.display(), i + 1))
            .trim()
            .to_string()
    };
    let why = field(0, "");
    let exit = field(1, "exit:").parse().unwrap();
    let at = field(2, "at:");
    let (line, key) = at.split_once(' ').unwrap_or((&at, "-"));
    Expectation {
        why,
        exit,
        line: (line != "-").then(|| line.parse().unwrap()),
        key: (key != "-").then(|| key.trim_matches('`').to_string()),
        message: field(3, "message:"),
    }
}

/// Whether `text` is `pattern`, where each `...` in the pattern matches any text.
fn matches(text: &str, pattern: &str) -> bool {
    let pieces: Vec<&str> = pattern.split("...").collect();
    let Some(rest) = text.strip_prefix(pieces[0]) else {
        return false;
    };
    let (middle, last) = pieces[1..].split_at(pieces.len().saturating_sub(2));
    let mut rest = rest;
    for piece in middle {
        match rest.find(piece) {
            Some(i) => rest = &rest[i + piece.len()..],
            None => return false,
        }
    }
    last.first().is_none_or(|l| rest.ends_with(l)) && (pieces.len() > 1 || rest.is_empty())
}

/// The prefix the first line of stderr must start with: `error: FILE:LINE: `KEY`: `.
fn expected_prefix(file: &str, e: &Expectation) -> String {
    let mut prefix = format!("error: {file}");
    if let Some(line) = e.line {
        prefix.push_str(&format!(":{line}"));
    }
    prefix.push_str(": ");
    if let Some(key) = &e.key {
        prefix.push_str(&format!("`{key}`: "));
    }
    prefix
}

#[test]
fn every_bad_config_is_refused_with_file_key_line_and_expectation() {
    let tests_dir = repo_root().join("tests");
    let mut files: Vec<_> = fs::read_dir(tests_dir.join("bad_configs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 70,
        "the corpus holds {} configs",
        files.len()
    );
    let scratch = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let file = format!("bad_configs/{name}");
        let e = expectation(path);
        let out_dir = scratch.path().join(name.trim_end_matches(".toml"));
        let out_arg = out_dir.to_string_lossy().into_owned();
        for args in [
            vec!["check", file.as_str()],
            vec!["run", file.as_str(), "--out", out_arg.as_str()],
        ] {
            let out = run_cli(&tests_dir, &args);
            let err = stderr(&out);
            let first = err.lines().next().unwrap_or_default();
            let prefix = expected_prefix(&file, &e);
            let problems = [
                (out.status.code() != Some(e.exit))
                    .then(|| format!("exit {:?}, expected {}", out.status.code(), e.exit)),
                (!first.starts_with(&prefix)).then(|| format!("does not start with {prefix:?}")),
                (!first
                    .strip_prefix(&prefix)
                    .is_some_and(|m| matches(m, &e.message)))
                .then(|| format!("the message is not {:?}", e.message)),
                err.contains("panicked").then(|| "panicked".to_string()),
                out_dir
                    .exists()
                    .then(|| "created the output folder".to_string()),
            ];
            for problem in problems.into_iter().flatten() {
                failures.push(format!(
                    "{name} ({}), faultline {}: {problem}\n    stderr: {first}",
                    e.why, args[0]
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn ellipses_in_expected_messages_match_any_text() {
    assert!(matches(
        "unknown key; accepts \"a\" or \"b\"",
        "unknown key; accepts ..."
    ));
    assert!(matches(
        "one of \"a\", \"b\" (did you mean `a`?)",
        "one of \"a\", ... (did you mean `a`?)"
    ));
    assert!(matches("exact", "exact"));
    assert!(!matches("exact and more", "exact"));
    assert!(!matches(
        "one of \"a\" (did you mean `b`?)",
        "one of \"a\", ... (did you mean `a`?)"
    ));
}

const GOOD: &str = r#"[experiment]
name = "good"
replications = 2
duration = "5s"

[cluster]
servers = 2
service = { dist = "exponential", mean = "10ms" }

[workload]
arrivals = { kind = "poisson", rate = 50.0 }
"#;

fn scratch_with_config() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("good.toml"), GOOD).unwrap();
    dir
}

/// The names in a folder, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn unreadable_config_paths_are_named() {
    let dir = scratch_with_config();
    fs::create_dir(dir.path().join("folder.toml")).unwrap();
    for (path, why) in [
        ("missing.toml", "no such file or folder"),
        ("folder.toml", "it is a folder, not a file"),
        (
            "good.toml/inner.toml",
            "a part of the path is a file, not a folder",
        ),
    ] {
        for command in ["check", "run", "replay"] {
            let mut args = vec![command, path];
            if command == "replay" {
                args.extend(["--run", "c0-default-r0"]);
            }
            let out = run_cli(dir.path(), &args);
            assert_eq!(out.status.code(), Some(2), "{command} {path}");
            let err = stderr(&out);
            // replay takes a results folder too, and says what it lacks.
            let why = match (command, path) {
                ("replay", "folder.toml") => format!(
                    "{why}, and holds no config.toml (a results folder written by faultline run does)"
                ),
                _ => why.to_string(),
            };
            assert_eq!(
                err.trim_end(),
                format!("error: {path}: cannot read the config file: {why}"),
                "{command} {path}"
            );
        }
    }
}

#[test]
fn an_output_folder_that_is_a_file_is_refused_before_anything_runs() {
    let dir = scratch_with_config();
    fs::write(dir.path().join("taken"), "a file").unwrap();
    let out = run_cli(dir.path(), &["run", "good.toml", "--out", "taken"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out).trim_end(),
        "error: taken: cannot create the output folder (a file of that name is in the way)"
    );
    assert_eq!(fs::read(dir.path().join("taken")).unwrap(), b"a file");
}

#[test]
fn an_output_file_that_cannot_be_put_in_place_leaves_nothing_partial() {
    // runs.csv is a folder, so the finished table cannot be renamed over it: the run
    // fails at its very end, after every run is journaled.
    let dir = scratch_with_config();
    let out_dir = dir.path().join("out");
    fs::create_dir_all(out_dir.join("runs.csv/occupied")).unwrap();
    let out = run_cli(dir.path(), &["run", "good.toml", "--out", "out"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.starts_with("error: out/runs.csv: cannot write ("),
        "{err}"
    );
    assert!(err.contains("--resume continues from there"), "{err}");
    // No temporary file is left, no other table appeared, the journal keeps the runs.
    assert_eq!(listing(&out_dir), [JOURNAL_FILE, "runs.csv"]);
    // Once the folder is out of the way, --resume finishes without rerunning anything.
    fs::remove_dir_all(out_dir.join("runs.csv")).unwrap();
    let out = run_cli(
        dir.path(),
        &["run", "good.toml", "--out", "out", "--resume"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("resumed: 2 runs read back"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let names = listing(&out_dir);
    for table in ["failures.csv", "runs.csv", "summary.csv", "timing.csv"] {
        assert!(names.iter().any(|n| n == table), "{names:?}");
    }
    assert!(
        !names
            .iter()
            .any(|n| n.starts_with('.') || n == JOURNAL_FILE),
        "{names:?}"
    );
}

#[test]
fn a_full_disk_is_a_clear_error_and_leaves_no_partial_file() {
    // The disk fills after 100 bytes of any output file (a test hook, see
    // experiments::output): runs.csv's header and first row do not fit.
    let dir = scratch_with_config();
    let out = run_cli_env(
        dir.path(),
        &["run", "good.toml", "--out", "out"],
        &[(DISK_FULL_AFTER_ENV, "100")],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.starts_with("error: out/runs.csv: cannot write (no space left on the device); the runs completed so far are kept in out/resume.journal"),
        "{err}"
    );
    assert_eq!(listing(&dir.path().join("out")), [JOURNAL_FILE]);

    // A trace that does not fit leaves no trace file either.
    let out = run_cli_env(
        dir.path(),
        &[
            "replay",
            "good.toml",
            "--run",
            "c0-default-r1",
            "--trace",
            "t.log",
        ],
        &[(DISK_FULL_AFTER_ENV, "4096")],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(
        stderr(&out).trim_end(),
        "error: t.log: cannot write (no space left on the device)"
    );
    assert!(!listing(dir.path()).iter().any(|n| n.contains("t.log")));
}

#[test]
fn a_trace_path_that_is_a_folder_is_refused() {
    let dir = scratch_with_config();
    fs::create_dir(dir.path().join("traces")).unwrap();
    let out = run_cli(
        dir.path(),
        &[
            "replay",
            "good.toml",
            "--run",
            "c0-default-r0",
            "--trace",
            "traces",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).starts_with("error: traces: cannot write ("),
        "{}",
        stderr(&out)
    );
    assert_eq!(listing(&dir.path().join("traces")), Vec::<String>::new());
}

#[test]
fn bad_flags_name_the_flag() {
    let dir = scratch_with_config();
    for (args, message) in [
        (
            vec!["run", "good.toml", "--threads", "0"],
            "error: --threads: expected an integer from 1 to 1024, got 0",
        ),
        (
            vec!["run", "good.toml", "--threads", "100000"],
            "error: --threads: expected an integer from 1 to 1024, got 100000",
        ),
        (
            vec!["run", "good.toml", "--threads", "-3"],
            "error: --threads: expected an integer from 1 to 1024, got -3",
        ),
        (
            vec!["run", "good.toml", "--threads", "many"],
            "error: --threads: expected an integer from 1 to 1024, got `many`",
        ),
        (
            vec!["run", "good.toml", "--replications", "0"],
            "error: --replications: expected an integer from 1 to 1000000, got 0",
        ),
        (
            vec!["run", "good.toml", "--replications", "-3"],
            "error: --replications: expected an integer from 1 to 1000000, got -3",
        ),
        (
            vec!["run", "good.toml", "--replications", "5000000000"],
            "error: --replications: expected an integer from 1 to 1000000, got 5000000000",
        ),
        (
            vec!["run", "good.toml", "--seed", "-3"],
            "error: --seed: expected an integer from 0 to 18446744073709551615, got -3",
        ),
        (
            vec!["run", "good.toml", "--seed", "18446744073709551616"],
            "error: --seed: expected an integer from 0 to 18446744073709551615, got 18446744073709551616",
        ),
        (
            vec!["validate", "--threads", "-3"],
            "error: --threads: expected an integer from 1 to 1024, got -3",
        ),
        (
            vec!["validate", "--threads", "0"],
            "error: --threads: expected an integer from 1 to 1024, got 0",
        ),
        (
            vec![
                "replay",
                "good.toml",
                "--run",
                "c0-default-r0",
                "--seed",
                "-3",
            ],
            "error: --seed: expected an integer from 0 to 18446744073709551615, got -3",
        ),
        (
            vec![
                "replay",
                "good.toml",
                "--run",
                "c0-default-r0",
                "--from",
                "-3s",
            ],
            "error: --from: `-3s` is not a duration: durations cannot be negative",
        ),
        (
            vec![
                "replay",
                "good.toml",
                "--run",
                "c0-default-r0",
                "--until",
                "-3s",
            ],
            "error: --until: `-3s` is not a duration: durations cannot be negative",
        ),
        (
            vec![
                "replay",
                "good.toml",
                "--run",
                "c0-default-r0",
                "--timeline",
                "tl",
                "--window",
                "-1s",
            ],
            "error: --window: `-1s` is not a duration: durations cannot be negative",
        ),
        (
            vec!["check", "good.toml", "--replications", "-1"],
            "error: --replications: expected an integer from 1 to 1000000, got -1",
        ),
        (
            vec!["run", "good.toml", "--set", "cluster.servers"],
            "error: `--set cluster.servers`: expected KEY=VALUE, like --set workload.arrivals.rate=800",
        ),
        (
            vec!["replay", "good.toml", "--run", "c9-default-r0"],
            "error: --run c9-default-r0: no such run in good.toml",
        ),
        (
            vec![
                "replay",
                "good.toml",
                "--run",
                "c0-default-r0",
                "--from",
                "soon",
            ],
            "error: --from: `soon` is not a duration",
        ),
    ] {
        let out = run_cli(dir.path(), &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).starts_with(message),
            "{args:?}: {}",
            stderr(&out)
        );
        assert!(
            !dir.path().join("results").exists(),
            "{args:?} wrote results"
        );
    }
}

#[test]
fn replay_refuses_filters_that_keep_nothing_and_unbounded_windows() {
    // good.toml: 2 servers, 1 client, 5 s of requests with the default 1 s timeout. Each
    // refusal comes before the run: no trace file, no timeline folder.
    let dir = scratch_with_config();
    let replay = |extra: &[&str]| {
        let mut args = vec![
            "replay",
            "good.toml",
            "--run",
            "c0-default-r0",
            "--trace",
            "t.log",
        ];
        args.extend_from_slice(extra);
        args.iter().map(|a| a.to_string()).collect::<Vec<_>>()
    };
    for (args, message) in [
        (
            replay(&["--event", "crsh"]),
            "error: --event crsh: no such event kind; expected one of arrival, think-done, recv-request,",
        ),
        (
            replay(&["--node", "server-2"]),
            "error: --node server-2: no such server; this run has 2 servers, server-0 to server-1",
        ),
        (
            replay(&["--node", "client-1"]),
            "error: --node client-1: no such client; this run has 1 client, client-0",
        ),
        (
            replay(&["--node", "srv-0"]),
            "error: --node srv-0: expected monitor, server-N (N from 0 to 1) or client-N (N from 0 to 0)",
        ),
        (
            replay(&["--from", "3s", "--until", "2s"]),
            "error: --from 3s is after --until 2s: no line could be kept; expected --from at or before --until",
        ),
        (
            replay(&["--timeline", "tl", "--window", "1ns"]),
            "error: --window 1ns: gives 6000000000 windows over the run's 6s (duration 5s plus workload.timeout 1s); at most 100000, so a window of at least 60us",
        ),
    ] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run_cli(dir.path(), &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).starts_with(message),
            "{args:?}: {}",
            stderr(&out)
        );
        assert_eq!(listing(dir.path()), ["good.toml"], "{args:?}");
    }
    // The unknown kind's error lists every kind, the verdicts too.
    let out = run_cli(
        dir.path(),
        &replay(&["--event", "crsh"])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert!(
        stderr(&out).contains(", job-done, suspect, trust, or a prefix of one up to a dash"),
        "{}",
        stderr(&out)
    );
    // At the bound itself a window is accepted, and prefixes up to a dash are kinds.
    let out = run_cli(
        dir.path(),
        &[
            "replay",
            "good.toml",
            "--run",
            "c0-default-r0",
            "--timeline",
            "tl",
            "--window",
            "60us",
            "--trace",
            "t.log",
            "--event",
            "recv",
            "--event",
            "fault",
            "--node",
            "server-1",
            "--from",
            "2s",
            "--until",
            "2s",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[cfg(unix)]
#[test]
fn a_dangling_output_link_is_called_a_link() {
    let dir = scratch_with_config();
    std::os::unix::fs::symlink("gone/results", dir.path().join("out")).unwrap();
    let out = run_cli(dir.path(), &["run", "good.toml", "--out", "out"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(
        stderr(&out).trim_end(),
        "error: out: cannot create the output folder (it is a symbolic link to gone/results, which does not exist)"
    );
    assert!(!dir.path().join("gone").exists());
}
