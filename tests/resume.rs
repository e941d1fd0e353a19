//! `faultline run --resume`: a run interrupted at any point (here: stopped after an exact
//! number of runs, with a cut-short journal line, or killed) and resumed produces
//! runs.csv, summary.csv and failures.csv byte-identical to an uninterrupted run, at any
//! thread count; an interrupted run leaves no partial output file; resuming with a changed
//! config, or a changed file the config reads, is refused; a journal cut short in its header
//! resumes as an empty one; a journal that is a symbolic link is refused and what it points
//! at left alone.

use crate::common;
use crate::common::Variant;

use crate::common::{run_cli, run_cli_env, stderr};
use experiments::journal::JOURNAL_FILE;
use experiments::run::INTERRUPT_AFTER_ENV;
use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

const CONFIG: &str = r#"
[experiment]
name = "resumable"
seed = 17
replications = 6
duration = "10s"
warmup = "1s"

[cluster]
servers = 3
service = { dist = "exponential", mean = "10ms" }

[workload]
arrivals = { kind = "poisson", rate = 150.0 }
timeout = "500ms"

[faults]
crash = { mttf = { dist = "exponential", mean = "5s" }, mttr = { dist = "exponential", mean = "2s" } }

[strategies.slow]
detector = { kind = "fixed-timeout", timeout = "1s" }

[strategies.fast]
detector = { kind = "fixed-timeout", interval = "50ms", timeout = "150ms" }

[sweep]
"cluster.servers" = [2, 3]

[checks]
min_availability = 0.99
"#;

const OUTPUTS: [&str; 4] = ["runs.csv", "summary.csv", "failures.csv", "latency_cdf.csv"];

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("r.toml"), CONFIG).unwrap();
    dir
}

/// Runs the config uninterrupted into `full`, returning its exit code.
fn full_run(dir: &Path, extra: &[&str]) -> Option<i32> {
    let mut args = vec!["run", "r.toml", "--out", "full", "--threads", "2"];
    args.extend_from_slice(extra);
    let out = run_cli(dir, &args);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    out.status.code()
}

fn journal_runs(dir: &Path) -> usize {
    let text = fs::read_to_string(dir.join(JOURNAL_FILE)).unwrap();
    text.lines()
        .filter(|l| l.starts_with('c') && l.contains('-'))
        .count()
}

fn assert_same_outputs(dir: &Path, resumed: &str) {
    // failures.csv's replay commands name their own folder by its absolute path.
    let read = |folder: &str, name: &str| {
        let text = fs::read_to_string(dir.join(folder).join(name)).unwrap();
        let path = std::path::absolute(dir.join(folder)).unwrap();
        text.replace(
            &format!("faultline replay {} ", path.display()),
            "faultline replay FOLDER ",
        )
    };
    for name in OUTPUTS {
        let a = read("full", name);
        let b = read(resumed, name);
        assert!(a == b, "{name} differs after resuming");
    }
    assert!(read("full", "failures.csv").contains("faultline replay FOLDER --run "));
    let left: Vec<String> = fs::read_dir(dir.join(resumed))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.') || n == JOURNAL_FILE)
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn an_interrupted_run_resumes_to_identical_files() {
    let dir = setup();
    let code = full_run(dir.path(), &[]);
    // 2 cells x 2 strategies x 6 replications = 24 runs; stop after 7 of them.
    let out = run_cli_env(
        dir.path(),
        &["run", "r.toml", "--out", "part", "--threads", "2"],
        &[(INTERRUPT_AFTER_ENV, "7")],
    );
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    let part = dir.path().join("part");
    for name in OUTPUTS {
        assert!(
            !part.join(name).exists(),
            "{name} written by an interrupted run"
        );
    }
    assert_eq!(journal_runs(&part), 7);
    // A crash in the middle of a write leaves a line without its end.
    let mut journal = fs::OpenOptions::new()
        .append(true)
        .open(part.join(JOURNAL_FILE))
        .unwrap();
    journal.write_all(b"c0-fast-r3,1187,11").unwrap();
    drop(journal);

    // Interrupt the resumed run again, 5 runs later, on another thread count.
    let out = run_cli_env(
        dir.path(),
        &[
            "run",
            "r.toml",
            "--out",
            "part",
            "--threads",
            "1",
            "--resume",
        ],
        &[(INTERRUPT_AFTER_ENV, "5")],
    );
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("dropped the last 18 bytes"),
        "{}",
        stderr(&out)
    );
    assert_eq!(journal_runs(&part), 12);

    let out = run_cli(
        dir.path(),
        &[
            "run",
            "r.toml",
            "--out",
            "part",
            "--threads",
            "8",
            "--resume",
        ],
    );
    assert_eq!(out.status.code(), code, "{}", stderr(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("resumed: 12 runs read back from the journal, 12 simulated now"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_same_outputs(dir.path(), "part");
}

#[test]
fn a_killed_run_resumes_to_identical_files() {
    let dir = setup();
    // 96 runs on one thread: about a second, long enough to be killed after three.
    let more = ["--replications", "24"];
    full_run(dir.path(), &more);
    // Kill the process (SIGKILL: no cleanup at all) once the journal holds three runs.
    let mut child = Command::new(common::faultline())
        .args(["run", "r.toml", "--out", "killed", "--threads", "1"])
        .args(more)
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let journal = dir.path().join("killed").join(JOURNAL_FILE);
    let killed_mid_run = loop {
        if child.try_wait().unwrap().is_some() {
            break false;
        }
        let runs = fs::read_to_string(&journal)
            .map(|t| t.lines().filter(|l| l.starts_with("c")).count())
            .unwrap_or(0);
        if runs >= 3 {
            child.kill().unwrap();
            child.wait().unwrap();
            break true;
        }
        std::thread::yield_now();
    };
    if killed_mid_run {
        assert!(!dir.path().join("killed/runs.csv").exists());
    } else {
        println!("the run finished before it could be killed; resuming reruns it");
    }
    let out = run_cli(
        dir.path(),
        &[
            "run",
            "r.toml",
            "--out",
            "killed",
            "--resume",
            "--replications",
            "24",
        ],
    );
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    assert_same_outputs(dir.path(), "killed");
}

#[test]
fn resuming_with_a_changed_config_is_refused() {
    let dir = setup();
    let out = run_cli_env(
        dir.path(),
        &["run", "r.toml", "--out", "part"],
        &[(INTERRUPT_AFTER_ENV, "3")],
    );
    assert_eq!(out.status.code(), Some(130));
    let journal = dir.path().join("part").join(JOURNAL_FILE);
    let before = fs::read(&journal).unwrap();

    let out = run_cli(
        dir.path(),
        &[
            "run",
            "r.toml",
            "--out",
            "part",
            "--resume",
            "--set",
            "workload.timeout=1s",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("resume.journal: cannot resume: it was written for a different config"),
        "{err}"
    );
    assert!(err.contains("run without --resume to start over"), "{err}");

    fs::write(
        dir.path().join("r.toml"),
        CONFIG.variant("seed = 17", "seed = 18"),
    )
    .unwrap();
    let out = run_cli(dir.path(), &["run", "r.toml", "--out", "part", "--resume"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(
        fs::read(&journal).unwrap(),
        before,
        "a refused resume keeps the journal"
    );

    // Without --resume the run starts over and completes.
    let out = run_cli(dir.path(), &["run", "r.toml", "--out", "part"]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    assert!(stderr(&out).contains("starting over"), "{}", stderr(&out));
    assert!(!journal.exists());
}

#[test]
fn a_folder_another_run_writes_to_is_refused() {
    let dir = setup();
    let folder = dir.path().join("busy");
    fs::create_dir_all(&folder).unwrap();
    // Hold the journal's lock as a running faultline would.
    let journal = fs::File::create(folder.join(JOURNAL_FILE)).unwrap();
    journal.lock().unwrap();
    for resume in [false, true] {
        let mut args = vec!["run", "r.toml", "--out", "busy"];
        if resume {
            args.push("--resume");
        }
        let out = run_cli(dir.path(), &args);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        // Refused before anything is discarded, and said so alone.
        assert!(
            stderr(&out)
                .starts_with("error: busy/resume.journal: another faultline run is writing"),
            "{}",
            stderr(&out)
        );
    }
    let names: Vec<String> = fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, [JOURNAL_FILE], "nothing else is written");
    journal.unlock().unwrap();
}

#[test]
fn resuming_after_a_file_the_config_reads_changed_is_refused() {
    // Service times from an empirical file: the same config text over other samples is
    // another experiment.
    let dir = setup();
    let samples = |ms: &[u32]| {
        let lines: Vec<String> = ms.iter().map(|m| format!("{m}ms")).collect();
        format!("{}\n", lines.join("\n"))
    };
    fs::write(dir.path().join("service.csv"), samples(&[5, 8, 12, 20])).unwrap();
    let config = CONFIG.variant(
        r#"service = { dist = "exponential", mean = "10ms" }"#,
        r#"service = { dist = "empirical", file = "service.csv" }"#,
    );
    assert_ne!(config, CONFIG);
    fs::write(dir.path().join("r.toml"), &config).unwrap();
    let out = run_cli_env(
        dir.path(),
        &["run", "r.toml", "--out", "part"],
        &[(INTERRUPT_AFTER_ENV, "3")],
    );
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));

    // Same length, other bytes.
    fs::write(dir.path().join("service.csv"), samples(&[5, 8, 12, 90])).unwrap();
    let out = run_cli(dir.path(), &["run", "r.toml", "--out", "part", "--resume"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).starts_with(
            "error: part/resume.journal: cannot resume: it was written for a different config (the config file, a file it reads,"
        ),
        "{}",
        stderr(&out)
    );

    // With the file back as it was, the resume continues.
    fs::write(dir.path().join("service.csv"), samples(&[5, 8, 12, 20])).unwrap();
    let out = run_cli(dir.path(), &["run", "r.toml", "--out", "part", "--resume"]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    assert!(
        common::stdout(&out)
            .contains("resumed: 3 runs read back from the journal, 21 simulated now"),
        "{}",
        common::stdout(&out)
    );
}

#[test]
fn a_journal_without_its_whole_header_resumes_as_an_empty_one() {
    let dir = setup();
    full_run(dir.path(), &[]);
    // An empty journal is what a run started on a full disk leaves; the others were cut
    // short while writing the header.
    for (name, journal) in [
        ("empty", String::new()),
        ("first-line", "faultline resume jour".to_string()),
        (
            "two-lines",
            "faultline resume journal 2\nfingerprint 00".to_string(),
        ),
    ] {
        fs::create_dir_all(dir.path().join(name)).unwrap();
        fs::write(dir.path().join(name).join(JOURNAL_FILE), journal).unwrap();
        let out = run_cli(
            dir.path(),
            &["run", "r.toml", "--out", name, "--resume", "--threads", "1"],
        );
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{name}: {}",
            stderr(&out)
        );
        assert!(
            stderr(&out).contains(
                "holds no run (its header was cut short, as by a full disk): running every run"
            ),
            "{name}: {}",
            stderr(&out)
        );
        assert_same_outputs(dir.path(), name);
    }

    // Something else than a journal is still refused.
    fs::create_dir_all(dir.path().join("other")).unwrap();
    fs::write(dir.path().join("other").join(JOURNAL_FILE), "my notes\n").unwrap();
    let out = run_cli(dir.path(), &["run", "r.toml", "--out", "other", "--resume"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cannot resume: it is not a faultline resume journal"),
        "{}",
        stderr(&out)
    );
}

#[cfg(unix)]
#[test]
fn a_journal_that_is_a_symbolic_link_is_refused_and_its_target_kept() {
    let dir = setup();
    fs::write(dir.path().join("precious.txt"), "my own file\n").unwrap();
    fs::create_dir_all(dir.path().join("out")).unwrap();
    std::os::unix::fs::symlink("../precious.txt", dir.path().join("out").join(JOURNAL_FILE))
        .unwrap();
    std::os::unix::fs::symlink("../gone.txt", dir.path().join("out/dangling")).unwrap();
    for resume in [false, true] {
        let mut args = vec!["run", "r.toml", "--out", "out"];
        if resume {
            args.push("--resume");
        }
        let out = run_cli(dir.path(), &args);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert_eq!(
            stderr(&out).lines().next().unwrap_or_default(),
            "error: out/resume.journal: is a symbolic link; faultline writes its journal only into a file of its own, never through a link: remove the link (what it points at is left alone)"
        );
        assert_eq!(
            fs::read_to_string(dir.path().join("precious.txt")).unwrap(),
            "my own file\n"
        );
    }
    // A dangling link is refused the same way, and creates nothing where it points.
    fs::remove_file(dir.path().join("out").join(JOURNAL_FILE)).unwrap();
    std::os::unix::fs::symlink("../gone.txt", dir.path().join("out").join(JOURNAL_FILE)).unwrap();
    let out = run_cli(dir.path(), &["run", "r.toml", "--out", "out"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("is a symbolic link"),
        "{}",
        stderr(&out)
    );
    assert!(!dir.path().join("gone.txt").exists());
}

/// Starts a run of 96 runs on one thread into `out` and sends it `signal` once its journal
/// holds three runs; returns its output, or None if it finished first.
fn stop_with(dir: &Path, out: &str, signal: i32) -> Option<std::process::Output> {
    let child = Command::new(common::faultline())
        .args(["run", "r.toml", "--out", out, "--threads", "1"])
        .args(["--replications", "24", "--set", "experiment.name=\"it's\""])
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let journal = dir.join(out).join(JOURNAL_FILE);
    loop {
        let runs = fs::read_to_string(&journal)
            .map(|t| {
                t.lines()
                    .filter(|l| l.starts_with('c') && l.contains('-'))
                    .count()
            })
            .unwrap_or(0);
        if runs >= 3 {
            // SAFETY: signalling the child started above, still running (not yet waited).
            assert_eq!(unsafe { libc::kill(child.id() as i32, signal) }, 0);
            break;
        }
        if !journal.exists() && dir.join(out).join("runs.csv").exists() {
            child.wait_with_output().unwrap();
            return None;
        }
        std::thread::yield_now();
    }
    Some(child.wait_with_output().unwrap())
}

#[test]
fn sigint_and_sigterm_stop_with_the_journal_kept_and_print_the_resume_command() {
    let dir = setup();
    let more = ["--replications", "24", "--set", "experiment.name=\"it's\""];
    full_run(dir.path(), &more);
    for (signal, code, name) in [
        (libc::SIGINT, 130, "SIGINT"),
        (libc::SIGTERM, 143, "SIGTERM"),
    ] {
        let out_dir = format!("stopped-{name}");
        let Some(out) = stop_with(dir.path(), &out_dir, signal) else {
            println!("the run finished before {name} could stop it");
            continue;
        };
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(code), "{err}");
        let kept = journal_runs(&dir.path().join(&out_dir));
        assert!((3..96).contains(&kept), "{kept} runs kept");
        let command = format!(
            "faultline run r.toml --out {out_dir} --threads 1 --replications 24 --set 'experiment.name=\"it'\\''s\"' --resume"
        );
        assert_eq!(
            err,
            format!(
                "stopped by {name}: {kept} of 96 runs are kept in {out_dir}/{JOURNAL_FILE}; continue with:\n  {command}\n"
            )
        );
        assert!(out.stdout.is_empty(), "no report for a stopped run");
        assert!(!dir.path().join(&out_dir).join("runs.csv").exists());
        // The printed command, run by a shell, continues to the same files.
        let resumed = common::run_shell(dir.path(), &command);
        assert!(
            matches!(resumed.status.code(), Some(0 | 1)),
            "{}",
            stderr(&resumed)
        );
        assert_same_outputs(dir.path(), &out_dir);
    }
}
