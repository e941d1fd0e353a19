//! Detection time of a fixed-timeout detector against its exact distribution (Chen,
//! Toueg and Aguilera's T_D), at the monitor and in every client.
//!
//! With heartbeats every i, a constant one-way delay d and timeout T, a server crashing
//! a time U after its last heartbeat was sent is suspected 1 ns past its deadline
//! (last send) + d + T, so its detection time is d + T - U + 1 ns. Heartbeats start at a
//! uniformly drawn phase and restart on recovery, and times to failure are uniform over a
//! whole number of intervals, so U is uniform on the integer nanoseconds [0, i): the
//! detection time is uniform on (T - i + d + 1 ns, T + d + 1 ns], with mean
//! d + T - (i - 3 ns) / 2 and variance i^2 / 12. A heartbeat that lands on the deadline
//! keeps the server trusted.

use crate::common;

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

/// Checks pooled detection times against the uniform law on (T - i + d, T + d] (shifted
/// by 1 ns): the pooled mean within 4 standard errors, every run's p99 inside the
/// support, and the spread of per-run means against the predicted variance (chi-square).
fn check_uniform_detection(runs: &[RunReport], observers: u64) {
    let mean = DELAY_MS + TIMEOUT_MS - (INTERVAL_MS - 3e-6) / 2.0;
    let var = INTERVAL_MS * INTERVAL_MS / 12.0;
    let mut total = 0u64;
    let mut sum = 0.0;
    for r in runs {
        // No loss, no jitter: the only mistakes are recovered servers still suspected
        // until their first heartbeat, sent at the recovery, arrives d later. Every
        // crash in the window is detected, so every recovery in it is one, give or take
        // a crash in the warmup or a repair after the window (at most one per server).
        assert_eq!(r.mistake_duration_mean_ms, Some(DELAY_MS), "each lasts d");
        assert!(
            r.false_suspicions + 8 * observers >= r.detections
                && r.false_suspicions <= r.detections + 8 * observers,
            "{} mistakes, {} detections",
            r.false_suspicions,
            r.detections
        );
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

/// One run of `text` (its first run) traced in full: the report and the engine's lines.
fn traced_run(text: &str) -> (RunReport, String) {
    common::traced_first_run(&common::experiment(text))
}

#[test]
fn a_heartbeat_landing_on_the_deadline_keeps_the_server_trusted() {
    // Default fixed timeout (3 intervals), a constant delay and heavy loss, no crashes:
    // heartbeats reach the monitor on a grid of 100 ms per server, so two lost in a row
    // leave a silence of exactly the 300 ms timeout, and the third lands on the deadline.
    // That heartbeat keeps the server trusted: a server is suspected only when a
    // silence exceeds the timeout, 1 ns past its deadline, here after three losses in a
    // row. So every gap between heartbeats of more than 300 ms, and no other, gives one
    // suspicion at last + 300 ms + 1 ns and one trust at the next heartbeat.
    let text = r#"
[experiment]
name = "tie"
seed = 3
duration = "60s"
warmup = "0s"

[cluster]
servers = 4
service = "1ms"

[workload]
arrivals = { kind = "poisson", rate = 5.0 }

[network]
delay = "1ms"
loss = 0.2

[strategies.fixed]
detector = { kind = "fixed-timeout" }
"#;
    const MS: u64 = 1_000_000;
    let (report, trace) = traced_run(text);
    let end = 60_000 * MS;
    let mut expected: Vec<(u64, u64, u32)> = Vec::new();
    let mut ties = 0;
    for server in 0..4u32 {
        let what = format!(" monitor recv heartbeat server={server} ");
        let beats: Vec<u64> = trace
            .lines()
            .filter(|l| l.contains(&what))
            .map(common::trace_time_ns)
            .collect();
        for pair in beats.windows(2) {
            let gap = pair[1] - pair[0];
            assert_eq!(gap % (100 * MS), 0, "constant delay: a 100 ms grid");
            ties += usize::from(gap == 300 * MS);
            if gap > 300 * MS {
                expected.push((pair[0] + 300 * MS + 1, pair[1], server));
            }
        }
    }
    let verdict = |kind: &str| -> Vec<(u64, u32)> {
        let tail = format!(" monitor {kind} server=");
        trace
            .lines()
            .filter_map(|l| {
                let (_, server) = l.split_once(&tail)?;
                Some((common::trace_time_ns(l), server.parse().unwrap()))
            })
            .collect()
    };
    let (mut suspects, mut trusts) = (verdict("suspect"), verdict("trust"));
    suspects.sort_unstable();
    trusts.sort_unstable();
    expected.sort_unstable();
    assert!(ties >= 30, "{ties} heartbeats landed on their deadline");
    assert!(
        expected.len() >= 10,
        "{} silences beyond the timeout",
        expected.len()
    );
    let want_suspects: Vec<(u64, u32)> = expected.iter().map(|&(s, _, v)| (s, v)).collect();
    let mut want_trusts: Vec<(u64, u32)> = expected.iter().map(|&(_, t, v)| (t, v)).collect();
    want_trusts.sort_unstable();
    assert_eq!(suspects, want_suspects, "suspicions only past a deadline");
    assert_eq!(trusts, want_trusts);
    // Every suspicion is a mistake (nothing crashes) of length gap - 300 ms - 1 ns; all
    // of them lie inside the window.
    assert!(expected.iter().all(|&(_, t, _)| t < end));
    let total: u64 = expected.iter().map(|&(s, t, _)| t - s).sum();
    assert_eq!(report.false_suspicions, expected.len() as u64);
    let mean_ms = total as f64 / expected.len() as f64 / 1e6;
    let measured = report.mistake_duration_mean_ms.unwrap();
    assert!(
        (measured - mean_ms).abs() < 1e-6,
        "{measured} ms, expected {mean_ms} ms"
    );
}
