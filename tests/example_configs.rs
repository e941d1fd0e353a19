//! The example configs run as shipped and answer their question. mttf-sweep.toml: for
//! each of three fixed-timeout detectors, availability rises with the servers' mean time
//! to failure, and the mean detection time follows the detector's timeout.

use crate::common::{Table, repo_root, run_cli, stderr};

#[test]
fn mttf_sweep_answers_its_question() {
    let dir = tempfile::tempdir().unwrap();
    let config = repo_root().join("experiments/configs/mttf-sweep.toml");
    let check = run_cli(dir.path(), &["check", config.to_str().unwrap()]);
    assert_eq!(check.status.code(), Some(0), "{}", stderr(&check));
    let out = run_cli(
        dir.path(),
        &["run", config.to_str().unwrap(), "--out", "out"],
    );
    // Some runs at the shortest MTTF fall below the 0.99 availability check.
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let summary = Table::read(&dir.path().join("out/summary.csv"));
    let mean = |cell: &str, strategy: &str, metric: &str| -> f64 {
        let row = summary
            .rows
            .iter()
            .find(|r| {
                summary.cell(r, "cell") == cell
                    && summary.cell(r, "strategy") == strategy
                    && summary.cell(r, "metric") == metric
            })
            .unwrap_or_else(|| panic!("no row {cell} {strategy} {metric}"));
        summary.cell(row, "mean").parse().unwrap()
    };
    assert_eq!(
        summary.values("faults.crash.mttf.mean")[..1],
        ["2m"],
        "the sweep value is a column"
    );
    for strategy in ["slow", "medium", "fast"] {
        let a: Vec<f64> = ["0", "1", "2"]
            .iter()
            .map(|c| mean(c, strategy, "availability"))
            .collect();
        assert!(a[0] < a[1] && a[1] < a[2], "{strategy}: {a:?}");
    }
    // A fixed-timeout detector suspects a crashed server `timeout` after the last
    // heartbeat reached the monitor; that heartbeat left U ~ Uniform(0, interval) before
    // the crash and took one network delay D (lognormal, median 1 ms, p99 10 ms: σ =
    // ln 10 / 2.326 = 0.990, mean e^(σ²/2) = 1.633 ms, sd 1.633 √(e^(σ²) - 1) = 2.11 ms).
    // So a detection takes timeout - U + D: mean timeout - interval/2 + 1.633 ms, variance
    // interval²/12 + 2.11². summary.csv averages the per-run means of runs with k_i
    // detections; that average has variance (variance / R²) Σ 1/k_i over its R runs. The
    // test allows 4 of its standard deviations.
    let runs = Table::read(&dir.path().join("out/runs.csv"));
    for (strategy, interval, timeout) in [
        ("slow", 200.0, 2000.0),
        ("medium", 100.0, 500.0),
        ("fast", 50.0, 150.0),
    ] {
        let expected = timeout - interval / 2.0 + 1.633;
        let variance = interval * interval / 12.0 + 2.11f64.powi(2);
        let ks: Vec<f64> = runs
            .rows
            .iter()
            .filter(|r| runs.cell(r, "cell") == "1" && runs.cell(r, "strategy") == strategy)
            .map(|r| runs.cell(r, "detections").parse::<f64>().unwrap())
            .filter(|k| *k > 0.0)
            .collect();
        let r = ks.len() as f64;
        let sd = (variance / (r * r) * ks.iter().map(|k| 1.0 / k).sum::<f64>()).sqrt();
        let measured = mean("1", strategy, "detection_time_mean_ms");
        println!(
            "{strategy}: detection {measured:.1} ms, expected {expected:.1} ms, sd {sd:.1} ms"
        );
        assert!(
            (measured - expected).abs() < 4.0 * sd,
            "{strategy}: {measured} ms, expected {expected} ms, 4 sd = {} ms",
            4.0 * sd
        );
    }
}
