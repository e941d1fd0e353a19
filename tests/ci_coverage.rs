//! summary.csv's 95% confidence intervals cover the true mean 95% of the time.
//!
//! One experiment of M = 1000 sweep cells, each an independent experiment of n = 5
//! replications (a cell's runs have their own seeds), measures the fraction of time a
//! single repairable server is up. Up at time 0, with exponential times to failure (mean
//! 1/λ) and to repair (mean 1/μ), it is up at time t with probability
//! A + (1 - A) e^(-rt), A = μ / (λ + μ), r = λ + μ; the exact mean of its time average
//! over [0, T] is therefore A + (1 - A)(1 - e^(-rT)) / (rT). Over ~180 up/down cycles a
//! run's time average is close to normal, so the Student-t interval of each cell covers
//! that mean with probability 0.95. summary.csv writes the logit-transformed interval of
//! this fraction, logistic(logit(m) ± t se / (m (1 - m))), which differs from the t
//! interval by terms of order (t se)² / (m (1 - m)): with se ≈ 0.004 (sd ≈ 0.009 over 5
//! runs) next to m (1 - m) ≈ 0.08 it covers with the same probability, and the number of
//! cells that cover it is
//! Binomial(1000, 0.95): mean 950, sd √(1000 · 0.95 · 0.05) = 6.9. The test accepts
//! 950 ± 4 sd, [923, 977]. A normal-quantile interval (1.96 instead of t(0.975, 4) =
//! 2.776) would cover only P(|T₄| < 1.96) = 0.878, about 878 cells: far outside. The
//! misses above and below are each Binomial(1000, 0.025): mean 25, sd 4.9; each must lie
//! in 25 ± 4 sd, [6, 44], which an interval off-centre by a bias would break.

use crate::common::{Table, run_cli, stderr};
use std::fs;

#[test]
fn confidence_intervals_cover_the_known_mean_95_percent_of_the_time() {
    let (mttf, mttr, horizon, cells, replications) = (1.0f64, 0.1f64, 200.0f64, 1000, 5);
    let sweep: Vec<String> = (1..=cells).map(|c| c.to_string()).collect();
    let config = format!(
        r#"
[experiment]
name = "coverage"
seed = 2024
replications = {replications}
duration = "{horizon}s"

[cluster]
servers = 1
service = {{ dist = "constant", value = "1ms" }}

[workload]
arrivals = {{ kind = "poisson", rate = 1.0 }}

[faults]
crash = {{ mttf = {{ dist = "exponential", mean = "{mttf}s" }}, mttr = {{ dist = "exponential", mean = "{mttr}s" }} }}

[strategies.only]
detector = {{ kind = "fixed-timeout", interval = "10s", timeout = "30s" }}

[sweep]
# The key count changes nothing the server's up time depends on: each cell is an
# independent experiment on its own seeds.
"workload.keys.count" = [{}]
"#,
        sweep.join(", ")
    );
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("coverage.toml"), config).unwrap();
    let out = run_cli(dir.path(), &["run", "coverage.toml", "--out", "out"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let (lambda, mu) = (1.0 / mttf, 1.0 / mttr);
    let a = mu / (lambda + mu);
    let r = lambda + mu;
    let truth = a + (1.0 - a) * (1.0 - (-r * horizon).exp()) / (r * horizon);

    let summary = Table::read(&dir.path().join("out/summary.csv"));
    let rows = summary.rows_where("metric", "server_availability");
    assert_eq!(rows.len(), cells);
    let (mut covered, mut above, mut below) = (0, 0, 0);
    for row in rows {
        assert_eq!(summary.cell(row, "n"), replications.to_string());
        let low: f64 = summary.cell(row, "ci95_low").parse().unwrap();
        let high: f64 = summary.cell(row, "ci95_high").parse().unwrap();
        if truth < low {
            below += 1;
        } else if truth > high {
            above += 1;
        } else {
            covered += 1;
        }
    }
    println!("truth {truth:.6}: covered {covered}, above {above}, below {below}");
    assert!(
        (923..=977).contains(&covered),
        "{covered} of {cells} intervals cover {truth:.6}"
    );
    assert!(
        (6..=44).contains(&above),
        "{above} intervals lie below the truth"
    );
    assert!(
        (6..=44).contains(&below),
        "{below} intervals lie above the truth"
    );
}
