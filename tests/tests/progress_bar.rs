//! The progress bar is drawn only on a terminal: piped or redirected, `faultline run`
//! writes its results to stdout and nothing at all to stderr; on a terminal it shows runs
//! done out of all, runs per second and the time left.

mod common;

use common::{faultline, repo_root, run_cli, stderr, stdout};
use std::process::Command;

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
    // util-linux `script` runs a command on a pseudo-terminal; without it there is no
    // terminal to test on.
    let has_script = Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_script {
        println!("no util-linux `script` here: the terminal case is not exercised");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let config = repo_root().join("experiments/configs/quickstart.toml");
    let command = format!(
        "'{}' run '{}' --out out --threads 1 --replications 5",
        faultline().display(),
        config.display()
    );
    let out = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let screen = stdout(&out);
    assert!(screen.contains("/10 runs"), "{screen:?}");
    assert!(
        screen.contains(" runs/s") && screen.contains("ETA "),
        "{screen:?}"
    );
}
