//! summary.csv's statistics: each row's mean, standard deviation and 95% interval are
//! those of the runs.csv values of its (cell, strategy, metric), the interval transformed
//! to stay inside the metric's range (logit for fractions, log for non-negative
//! quantities), also with 2 replications; the difference to the
//! first strategy is paired by replication (the runs share a seed); and two identical
//! strategies differ by exactly zero, interval included, because common random numbers
//! make their runs identical event for event.

use crate::common::Variant;
use crate::common::{Table, mean_ci, run_cli, stderr};
use std::fs;

const CONFIG: &str = r#"
[experiment]
name = "paired"
seed = 21
replications = 8
duration = "20s"
warmup = "2s"

[cluster]
servers = 4
service = { dist = "exponential", mean = "10ms" }

[workload]
arrivals = { kind = "poisson", rate = 250.0 }
timeout = "500ms"

[network]
delay = { dist = "exponential", mean = "1ms" }

[faults]
crash = { mttf = { dist = "exponential", mean = "10s" }, mttr = { dist = "exponential", mean = "3s" } }

[strategies.base]
detector = { kind = "fixed-timeout", interval = "100ms", timeout = "1s" }

[strategies.twin]
detector = { kind = "fixed-timeout", interval = "100ms", timeout = "1s" }

[strategies.fast]
detector = { kind = "fixed-timeout", interval = "50ms", timeout = "150ms" }

[sweep]
"cluster.servers" = [3, 5]
"#;

fn run() -> (Table, Table) {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("paired.toml"), CONFIG).unwrap();
    let out = run_cli(dir.path(), &["run", "paired.toml", "--out", "out"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    (
        Table::read(&dir.path().join("out/runs.csv")),
        Table::read(&dir.path().join("out/summary.csv")),
    )
}

fn float(text: &str) -> f64 {
    text.parse()
        .unwrap_or_else(|_| panic!("not a number: {text:?}"))
}

/// Agreement up to the ten significant digits summary.csv prints, and the rounding of
/// a different summation order (Welford's running sums against two passes).
fn close(a: f64, b: f64, scale: f64) -> bool {
    (a - b).abs() <= 1e-9 * scale.abs().max(1e-9)
}

/// The range-respecting interval from the t half-width: logistic(logit(m) ± half / (m (1 -
/// m))) for a fraction, m e^(± half / m) otherwise (every mean here is inside its range
/// and every sd above 0).
fn transformed(fraction: bool, mean: f64, half: f64) -> (f64, f64) {
    assert!(half > 0.0 && mean > 0.0 && (!fraction || mean < 1.0));
    if fraction {
        let logit = (mean / (1.0 - mean)).ln();
        let h = half / (mean * (1.0 - mean));
        let logistic = |y: f64| 1.0 / (1.0 + (-y).exp());
        (logistic(logit - h), logistic(logit + h))
    } else {
        (mean * (-half / mean).exp(), mean * (half / mean).exp())
    }
}

#[test]
fn with_two_replications_intervals_stay_inside_the_range() {
    // Few runs and a harsh crash process: the runs of a cell differ a lot, and t(0.975, 1)
    // = 12.7 made the plain t interval reach below 0 and above 1.
    let config = CONFIG
        .variant("replications = 8", "replications = 2")
        .variant("mean = \"10s\" }, mttr", "mean = \"2s\" }, mttr");
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("paired.toml"), config).unwrap();
    let out = run_cli(dir.path(), &["run", "paired.toml", "--out", "out"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let runs = Table::read(&dir.path().join("out/runs.csv"));
    let summary = Table::read(&dir.path().join("out/summary.csv"));
    let fractions = [
        "availability",
        "server_availability",
        "wrong_suspicion_fraction",
    ];
    let (mut checked, mut t_outside) = (0, 0);
    for row in &summary.rows {
        let metric = summary.cell(row, "metric");
        let (low, high) = (
            summary.cell(row, "ci95_low"),
            summary.cell(row, "ci95_high"),
        );
        if low.is_empty() {
            continue;
        }
        let (low, high, mean) = (float(low), float(high), float(summary.cell(row, "mean")));
        assert!(low <= mean && mean <= high, "{metric}: {low} {mean} {high}");
        assert!(low >= 0.0, "{metric}: {low}");
        if fractions.contains(&metric) {
            assert!(high <= 1.0, "{metric}: {high}");
        }
        // The values the interval was computed from, and their t interval.
        let xs: Vec<f64> = runs
            .rows
            .iter()
            .filter(|r| {
                runs.cell(r, "cell") == summary.cell(row, "cell")
                    && runs.cell(r, "strategy") == summary.cell(row, "strategy")
            })
            .filter_map(|r| runs.cell(r, metric).parse::<f64>().ok())
            .collect();
        assert_eq!(xs.len(), 2, "{metric}");
        let (m, _, half) = mean_ci(&xs, 0.95);
        let outside = m - half < 0.0 || (fractions.contains(&metric) && m + half > 1.0);
        t_outside += usize::from(outside);
        checked += 1;
    }
    // Availabilities, latencies and counts each had a t interval leaving the range.
    assert!(checked > 100 && t_outside > 20, "{checked} {t_outside}");
}

#[test]
fn identical_strategies_differ_by_exactly_zero() {
    let (_, summary) = run();
    let twin = summary.rows_where("strategy", "twin");
    // Two cells, every numeric metric.
    assert_eq!(
        twin.len(),
        2 * (sim_core::RunReport::column_names().len() - 1)
    );
    for row in twin {
        let metric = summary.cell(row, "metric");
        assert_eq!(summary.cell(row, "diff_vs"), "base");
        // The twin's runs equal base's, so both have a value or neither (a mean
        // detection time needs a detection); with none, the difference has no value.
        assert_eq!(
            summary.cell(row, "diff_n"),
            summary.cell(row, "n"),
            "{metric}"
        );
        // A mean needs one pair, a standard deviation and an interval two.
        let n: u32 = summary.cell(row, "n").parse().unwrap();
        for (column, needs) in [
            ("diff_mean", 1),
            ("diff_sd", 2),
            ("diff_ci95_low", 2),
            ("diff_ci95_high", 2),
        ] {
            let expected = if n >= needs { "0" } else { "" };
            assert_eq!(summary.cell(row, column), expected, "{metric}: {column}");
        }
    }
    let availability = summary
        .rows_where("metric", "availability")
        .into_iter()
        .filter(|r| summary.cell(r, "strategy") == "twin")
        .count();
    assert_eq!(availability, 2);
}

#[test]
fn summary_rows_are_the_statistics_of_runs_csv() {
    let (runs, summary) = run();
    let metrics = ["availability", "latency_p99_ms", "lost_in_crash", "events"];
    let mut checked = 0;
    for cell in ["0", "1"] {
        for strategy in ["base", "twin", "fast"] {
            for metric in metrics {
                let values: Vec<(String, f64)> = runs
                    .rows
                    .iter()
                    .filter(|r| {
                        runs.cell(r, "cell") == cell && runs.cell(r, "strategy") == strategy
                    })
                    .map(|r| {
                        (
                            runs.cell(r, "replication").to_string(),
                            float(runs.cell(r, metric)),
                        )
                    })
                    .collect();
                let xs: Vec<f64> = values.iter().map(|v| v.1).collect();
                let (mean, sd, half) = mean_ci(&xs, 0.95);
                let (low, high) = transformed(metric == "availability", mean, half);
                let row = summary
                    .rows
                    .iter()
                    .find(|r| {
                        summary.cell(r, "cell") == cell
                            && summary.cell(r, "strategy") == strategy
                            && summary.cell(r, "metric") == metric
                    })
                    .expect("a summary row");
                assert_eq!(summary.cell(row, "n"), "8");
                assert!(
                    close(float(summary.cell(row, "mean")), mean, mean),
                    "{metric}"
                );
                assert!(close(float(summary.cell(row, "sd")), sd, mean), "{metric}");
                assert!(
                    close(float(summary.cell(row, "ci95_low")), low, mean),
                    "{metric}"
                );
                assert!(
                    close(float(summary.cell(row, "ci95_high")), high, mean),
                    "{metric}"
                );
                if strategy == "base" {
                    assert_eq!(summary.cell(row, "diff_n"), "");
                    continue;
                }
                // The paired difference: this strategy minus base in the same replication.
                let diffs: Vec<f64> = values
                    .iter()
                    .map(|(rep, x)| {
                        let base = runs
                            .rows
                            .iter()
                            .find(|r| {
                                runs.cell(r, "cell") == cell
                                    && runs.cell(r, "strategy") == "base"
                                    && runs.cell(r, "replication") == rep
                            })
                            .expect("the base run of the replication");
                        x - float(runs.cell(base, metric))
                    })
                    .collect();
                let (dmean, dsd, dhalf) = mean_ci(&diffs, 0.95);
                assert_eq!(summary.cell(row, "diff_n"), "8");
                assert!(
                    close(float(summary.cell(row, "diff_mean")), dmean, mean),
                    "{metric}"
                );
                assert!(
                    close(float(summary.cell(row, "diff_sd")), dsd, mean),
                    "{metric}"
                );
                assert!(
                    close(
                        float(summary.cell(row, "diff_ci95_low")),
                        dmean - dhalf,
                        mean
                    ),
                    "{metric}"
                );
                assert!(
                    close(
                        float(summary.cell(row, "diff_ci95_high")),
                        dmean + dhalf,
                        mean
                    ),
                    "{metric}"
                );
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 2 * 2 * metrics.len());
}
