//! The headline metrics and the significant differences: after a run the summary lists
//! exactly the headline metrics' paired differences whose 95% interval in summary.csv
//! excludes 0 (and `--json` the same), two identical strategies differ by exactly 0 and
//! so by nothing significant, and `[report] headline` chooses the forest plots without
//! changing a run or the config's fingerprint.

use crate::common::Variant;
use crate::common::{Table, run_cli, stderr, stdout};
use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

const CONFIG: &str = r#"
[experiment]
name = "headline"
seed = 11
replications = 6
duration = "40s"
warmup = "2s"

[cluster]
servers = 4
service = { dist = "exponential", mean = "10ms" }

[workload]
arrivals = { kind = "poisson", rate = 200.0 }
timeout = "500ms"

[faults]
crash = { mttf = { dist = "exponential", mean = "20s" }, mttr = { dist = "exponential", mean = "4s" } }

[strategies.slow]
detector = { kind = "fixed-timeout", interval = "200ms", timeout = "2s" }
[strategies.fast]
detector = { kind = "fixed-timeout", interval = "50ms", timeout = "150ms" }

[sweep]
"faults.crash.mttr.mean" = ["2s", "4s"]
"#;

/// The (cell, strategy, metric) rows of summary.csv whose paired difference's interval
/// excludes 0, for `metrics`.
fn significant_in_summary(folder: &Path, metrics: &[&str]) -> BTreeSet<(String, String, String)> {
    let t = Table::read(&folder.join("summary.csv"));
    let col = |n: &str| t.column(n);
    let (cell, strategy, metric, lo, hi) = (
        col("cell"),
        col("strategy"),
        col("metric"),
        col("diff_ci95_low"),
        col("diff_ci95_high"),
    );
    t.rows
        .iter()
        .filter(|r| metrics.contains(&r[metric].as_str()) && !r[lo].is_empty())
        .filter(|r| {
            let (lo, hi): (f64, f64) = (r[lo].parse().unwrap(), r[hi].parse().unwrap());
            lo > 0.0 || hi < 0.0
        })
        .map(|r| (r[cell].clone(), r[strategy].clone(), r[metric].clone()))
        .collect()
}

#[test]
fn the_summary_lists_exactly_the_significant_headline_differences() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("h.toml"), CONFIG).unwrap();
    let out = run_cli(dir.path(), &["run", "h.toml", "--out", "res", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    let folder = dir.path().join("res");
    // The strategies differ in their detector only: availability, p99 latency, detection
    // time and the mistake rate (where some run has one) are the headline.
    let headline = [
        "availability",
        "latency_p99_ms",
        "detection_time_mean_ms",
        "mistake_rate_per_s",
    ];
    let expected = significant_in_summary(&folder, &headline);
    assert_eq!(json["significant"]["baseline"], "slow");
    let listed: BTreeSet<(String, String, String)> = json["significant"]["differences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["cell"].to_string(),
                d["strategy"].as_str().unwrap().to_string(),
                d["metric"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(listed, expected);
    // A fast detector cuts detection time from about 2 s to about 150 ms: that
    // difference is significant in both cells whatever the seed.
    for cell in ["0", "1"] {
        assert!(
            expected.contains(&(cell.into(), "fast".into(), "detection_time_mean_ms".into())),
            "{expected:?}"
        );
    }

    // The text summary prints the same rows.
    let out = run_cli(dir.path(), &["run", "h.toml", "--out", "text"]);
    let text = stdout(&out);
    assert!(
        text.contains("significant differences to slow (paired, 95% interval excludes 0):"),
        "{text}"
    );
    let printed = text
        .lines()
        .skip_while(|l| !l.starts_with("  significant differences"))
        .skip(1)
        .take_while(|l| l.starts_with("    c"))
        .count();
    assert_eq!(printed, expected.len().min(12), "{text}");
}

#[test]
fn identical_strategies_differ_by_exactly_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let twins = CONFIG.variant(
        r#"detector = { kind = "fixed-timeout", interval = "50ms", timeout = "150ms" }"#,
        r#"detector = { kind = "fixed-timeout", interval = "200ms", timeout = "2s" }"#,
    );
    fs::write(dir.path().join("t.toml"), twins).unwrap();
    let out = run_cli(dir.path(), &["run", "t.toml", "--out", "res"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("significant differences to slow: none"),
        "{}",
        stdout(&out)
    );
    let t = Table::read(&dir.path().join("res/summary.csv"));
    let mean = t.column("diff_mean");
    let diffs: Vec<&str> = t
        .rows
        .iter()
        .map(|r| r[mean].as_str())
        .filter(|m| !m.is_empty())
        .collect();
    assert!(!diffs.is_empty());
    assert!(
        diffs.iter().all(|m| m.parse::<f64>().unwrap() == 0.0),
        "{diffs:?}"
    );
    // Same detector everywhere: the default headline is availability and p99 latency.
    let plots: BTreeSet<String> = fs::read_dir(dir.path().join("res/plots"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("diff_") && n.ends_with(".svg"))
        .collect();
    assert_eq!(
        plots,
        ["diff_availability.svg", "diff_latency_p99_ms.svg"]
            .map(String::from)
            .into()
    );
}

#[test]
fn a_named_headline_chooses_the_forest_plots_and_changes_no_run() {
    let dir = tempfile::tempdir().unwrap();
    let named = format!("{CONFIG}\n[report]\nheadline = [\"goodput\", \"availability\"]\n");
    fs::write(dir.path().join("plain.toml"), CONFIG).unwrap();
    fs::write(dir.path().join("named.toml"), named).unwrap();
    for (config, out) in [("plain.toml", "plain"), ("named.toml", "named")] {
        let run = run_cli(dir.path(), &["run", config, "--out", out]);
        assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    }
    let read = |f: &str| fs::read(dir.path().join(f)).unwrap();
    assert!(read("plain/runs.csv") == read("named/runs.csv"));
    assert!(read("plain/summary.csv") == read("named/summary.csv"));
    let fingerprint = |f: &str| {
        let m: serde_json::Value =
            serde_json::from_slice(&read(&format!("{f}/manifest.json"))).unwrap();
        m["fingerprint"].as_str().unwrap().to_string()
    };
    assert_eq!(fingerprint("plain"), fingerprint("named"));
    let forests: BTreeSet<String> = fs::read_dir(dir.path().join("named/plots"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("diff_") && n.ends_with(".svg"))
        .collect();
    assert_eq!(
        forests,
        ["diff_availability.svg", "diff_goodput.svg"]
            .map(String::from)
            .into()
    );
    // The report's headline table has the named columns, in the config's order.
    let html = String::from_utf8(read("named/report.html")).unwrap();
    let goodput = html.find("<th>goodput</th>").expect("a goodput column");
    let availability = html
        .find("<th>availability</th>")
        .expect("an availability column");
    assert!(goodput < availability);
    assert!(!html.contains("<th>latency_p99_ms</th>"));
}
