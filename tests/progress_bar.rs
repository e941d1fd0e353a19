//! The progress bar is drawn only on a terminal: piped or redirected, `faultline run`
//! writes its results to stdout and nothing at all to stderr; on a terminal it shows runs
//! done out of all, runs per second and the time left.

use crate::common;

use crate::common::{faultline, repo_root, run_cli, stderr, stdout};

#[test]
fn a_piped_run_prints_no_progress() {
    let dir = tempfile::tempdir().unwrap();
    let config = repo_root().join("experiments/configs/quickstart.toml");
    let out = run_cli(
        dir.path(),
        &[
            "run",
            config.to_str().unwrap(),
            "--out",
            "out",
            "--replications",
            "3",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stderr(&out), "", "stderr holds only errors and notes");
    let text = stdout(&out);
    assert!(!text.contains('\r') && !text.contains('\u{1b}'), "{text:?}");
    assert!(!text.contains("ETA"), "{text}");
    assert!(text.starts_with("quickstart: 6 runs"), "{text}");
}

#[test]
fn a_run_on_a_terminal_shows_its_progress() {
    let dir = tempfile::tempdir().unwrap();
    let config = repo_root().join("experiments/configs/quickstart.toml");
    let command = format!(
        "'{}' run '{}' --out out --threads 1 --replications 5",
        faultline().display(),
        config.display()
    );
    let Some(out) = common::on_terminal(dir.path(), &command) else {
        return;
    };
    assert!(out.status.success(), "{}", stderr(&out));
    let screen = stdout(&out);
    assert!(screen.contains("/10 runs"), "{screen:?}");
    assert!(
        screen.contains(" runs/s") && screen.contains("ETA "),
        "{screen:?}"
    );
}

/// `progress: 2/6 runs (33%), 41.5 runs/s, about 0s left, 0s elapsed`: the runs done, the
/// total and the percentage, checked; the rate and times read as numbers.
fn parse_line(line: &str) -> (u64, u64, u64, f64, String) {
    let rest = line.strip_prefix("progress: ").expect(line);
    let (done, rest) = rest.split_once('/').expect(line);
    let (total, rest) = rest.split_once(" runs (").expect(line);
    let (percent, rest) = rest.split_once("%), ").expect(line);
    let (rate, rest) = rest.split_once(" runs/s, ").expect(line);
    let (left, elapsed) = rest.rsplit_once(", ").expect(line);
    assert!(elapsed.ends_with("s elapsed"), "{line}");
    (
        done.parse().expect(line),
        total.parse().expect(line),
        percent.parse().expect(line),
        rate.parse().expect(line),
        left.to_string(),
    )
}

#[test]
fn progress_lines_report_runs_done_rate_and_time_left_when_piped() {
    let dir = tempfile::tempdir().unwrap();
    let config = repo_root().join("experiments/configs/quickstart.toml");
    let config = config.to_str().unwrap();
    let args = [
        "run",
        config,
        "--out",
        "out",
        "--replications",
        "3",
        "--threads",
        "1",
        "--no-plots",
        "--progress",
        "lines",
    ];
    // A line after every run (interval 0): runs 1 to 5 of 6 with the time left, then the
    // last line.
    let out = common::run_cli_env(dir.path(), &args, &[("FAULTLINE_PROGRESS_SECONDS", "0")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    let lines: Vec<_> = err.lines().map(parse_line).collect();
    assert_eq!(lines.len(), 6, "{err}");
    for (i, (done, total, percent, rate, left)) in lines.iter().enumerate() {
        assert_eq!((*done, *total), (i as u64 + 1, 6), "{err}");
        assert_eq!(*percent, (*done * 100 + 3) / 6, "{err}");
        assert!(*rate > 0.0, "{err}");
        if *done < 6 {
            assert!(
                left.starts_with("about ") && left.ends_with("s left"),
                "{err}"
            );
        } else {
            assert_eq!(left, "done", "{err}");
        }
    }
    assert!(stdout(&out).starts_with("quickstart: 6 runs"));
    // At the default interval (5 s) a run of well under 5 s prints only its last line.
    let out = run_cli(dir.path(), &args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("progress: 6/6 runs (100%), "), "{err}");
    // `none` prints nothing; a bad mode or interval is refused.
    let mut quiet = args;
    quiet[10] = "none";
    let out = run_cli(dir.path(), &quiet);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
    let mut bad = args;
    bad[10] = "dots";
    let out = run_cli(dir.path(), &bad);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("invalid value 'dots' for '--progress <MODE>'"));
    let out = common::run_cli_env(dir.path(), &args, &[("FAULTLINE_PROGRESS_SECONDS", "-1")]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: FAULTLINE_PROGRESS_SECONDS: expected a number of seconds from 0 to 86400, got `-1`\n"
    );
}
