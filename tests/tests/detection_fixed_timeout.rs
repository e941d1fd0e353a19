//! Detection time of a fixed-timeout detector against its exact distribution (Chen,
//! Toueg and Aguilera's T_D), at the monitor and in every client.
//!
//! With heartbeats every i, a constant one-way delay d and timeout T, a server crashing
//! a time U after its last heartbeat was sent is suspected at (last send) + d + T, so its
//! detection time is d + T - U. Heartbeats start at a uniformly drawn phase and restart
//! on recovery, and times to failure are uniform over a whole number of intervals, so U
//! is uniform on the integer nanoseconds [0, i): the detection time is uniform on
//! (T - i + d, T + d], with mean d + T - (i - 1 ns) / 2 and variance i^2 / 12.

mod common;

use sim_core::RunReport;

const INTERVAL_MS: f64 = 100.0;
const TIMEOUT_MS: f64 = 300.0;
const DELAY_MS: f64 = 5.0;

fn config(placement: &str, clients: u32, replications: u32) -> String {
    format!(
        r#"
[experiment]
name = "fixed-timeout-detection"
seed = 17
replications = {replications}
duration = "60s"
warmup = "1s"

[cluster]
servers = 8
service = "1ms"

[workload]
arrivals = {{ kind = "poisson", rate = 5.0, clients = {clients} }}

[network]
delay = "{DELAY_MS}ms"

[faults]
# Uniform over 40 intervals, so a crash falls uniformly within a heartbeat interval; a
# repair of 1 s outlasts every detection (at most 305 ms), so every crash is detected.
crash = {{ mttf = {{ dist = "uniform", min = "1s", max = "5s" }}, mttr = "1s" }}

[strategies.fixed]
detector = {{ kind = "fixed-timeout", interval = "{INTERVAL_MS}ms", timeout = "{TIMEOUT_MS}ms"{placement} }}
"#
    )
}

fn reports(text: &str) -> Vec<RunReport> {
    common::run_reports(&common::experiment(text))
}

/// Checks pooled detection times against the uniform law on (T - i + d, T + d]: the
/// pooled mean within 4 standard errors, every run's p99 inside the support, and the
/// spread of per-run means against the predicted variance (chi-square).
fn check_uniform_detection(runs: &[RunReport], observers: u64) {
    let mean = DELAY_MS + TIMEOUT_MS - (INTERVAL_MS - 1e-6) / 2.0;
    let var = INTERVAL_MS * INTERVAL_MS / 12.0;
    let mut total = 0u64;
    let mut sum = 0.0;
    for r in runs {
        assert_eq!(r.false_suspicions, 0, "no loss, no jitter: no mistakes");
        assert_eq!(r.undetected_crashes, 0);
        // Every observer detects every crash, except that a crash in the last 305 ms of
        // the run (at most one per server) may end the run undetected.
        assert!(
            r.detections <= r.crashes * observers
                && r.detections + 8 * observers >= r.crashes * observers,
            "{} detections of {} crashes by {observers} observer(s)",
            r.detections,
            r.crashes
        );
        let n = r.detections;
        total += n;
        sum += r.detection_time_mean_ms.unwrap() * n as f64;
        // The histogram keeps 3 significant digits: 0.1% above the largest value.
        let p99 = r.detection_time_p99_ms.unwrap();
        assert!(p99 <= (TIMEOUT_MS + DELAY_MS) * 1.001, "p99 {p99}");
        assert!(p99 > TIMEOUT_MS - INTERVAL_MS + DELAY_MS, "p99 {p99}");
    }
    let pooled = sum / total as f64;
    // With observers > 1 the detections of one crash share U: the effective sample is
    // the number of crashes.
    let crashes = total / observers;
    let se = (var / crashes as f64).sqrt();
    assert!(
        (pooled - mean).abs() < 4.0 * se,
        "pooled mean detection {pooled:.3} ms over {total} detections, theory {mean:.3} ms, 4 se = {:.3} ms",
        4.0 * se
    );
    // Each run's mean m_r of n_r crashes has variance var / n_r, so the sum of
    // n_r (m_r - mean)^2 / var is chi-square with as many degrees of freedom as runs
    // (approximately; the run means are near normal by the CLT). Bounds: its 0.1% and
    // 99.9% points for 8 degrees of freedom, 0.857 and 26.12.
    let chi2: f64 = runs
        .iter()
        .map(|r| {
            let n = (r.detections / observers) as f64;
            n * (r.detection_time_mean_ms.unwrap() - mean).powi(2) / var
        })
        .sum();
    assert_eq!(runs.len(), 8);
    assert!(
        (0.857..26.12).contains(&chi2),
        "spread of run means: chi-square {chi2:.2} on 8 df"
    );
    println!("detection mean {pooled:.3} ms (theory {mean:.3}), {crashes} crashes, chi2 {chi2:.2}");
}

#[test]
fn monitor_detection_time_is_uniform_between_t_minus_i_plus_d_and_t_plus_d() {
    let runs = reports(&config("", 1, 8));
    check_uniform_detection(&runs, 1);
}

#[test]
fn each_client_detects_every_crash_on_the_same_law() {
    // Every client receives every heartbeat after the same delay, so each of the three
    // detects each crash at the same instant as the monitor would.
    let runs = reports(&config(", placement = \"client\"", 3, 8));
    check_uniform_detection(&runs, 3);
}
