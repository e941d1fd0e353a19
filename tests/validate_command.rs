//! `faultline validate` from the binary: it runs every scenario of the theory suite and
//! prints one row per check (scenario, expected, measured, tolerance, pass) and each
//! scenario's source, exits 0 when all pass, and refuses bad flags with exit code 2.

use crate::common::{run_cli, stderr, stdout};
use experiments::validate::SCENARIOS;

#[test]
fn validate_prints_every_check_and_passes() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_cli(dir.path(), &["validate", "--threads", "2"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(
        header,
        ["scenario", "expected", "measured", "tolerance", "pass"]
    );
    let rows: Vec<&str> = lines.take_while(|l| !l.is_empty()).collect();
    // 27 checks from 10 scenarios; every row ends in "yes" and has three numbers.
    assert_eq!(rows.len(), 27, "{text}");
    for row in &rows {
        let words: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(words.last(), Some(&"yes"), "{row}");
        let numbers = &words[words.len() - 4..words.len() - 1];
        for n in numbers {
            assert!(n.parse::<f64>().is_ok(), "{row}: {n}");
        }
    }
    for scenario in SCENARIOS {
        assert!(
            text.contains(&format!("  {}: {}", scenario.name, scenario.source)),
            "{} missing",
            scenario.name
        );
    }
    assert!(
        text.trim_end().ends_with("27 of 27 checks passed"),
        "{text}"
    );
    // Nothing is written: validation leaves the working folder as it was.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn validate_refuses_zero_threads() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_cli(dir.path(), &["validate", "--threads", "0"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with("error: --threads: expected an integer from 1 to 1024, got 0"),
        "{}",
        stderr(&out)
    );
}
