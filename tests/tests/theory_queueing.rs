//! Queueing theory: a single server with a FIFO queue, Poisson arrivals and no faults is
//! an M/G/1 (or M/M/c with c workers) queue, whose mean response time is known exactly.
//!
//! Tolerance: each check runs R independent replications of T simulated seconds after a
//! warm-up and compares the theoretical mean with the 99.9% Student-t confidence interval
//! of the replication means. For M/M/1 the width the run length buys is also known in
//! advance: the time-average number in system has asymptotic variance
//! 2 rho (1 + rho) / (mu (1 - rho)^4) per unit time (Whitt, "Planning queueing
//! simulations", Management Science 1989), so by Little's law the mean response time of
//! a run of length T has standard deviation sqrt(2 rho (1 + rho) / (mu (1 - rho)^4)) /
//! (lambda sqrt(T)). Those tests also hold the measured mean to 4 of those standard
//! deviations over the R runs, and the spread between runs to the chi-square bounds of
//! that prediction, so a wrong variance cannot pass by widening the interval.

mod common;

use common::mean_ci;

/// Mean response times (ms) of R replications of one server with `workers` workers.
fn response_times(
    service: &str,
    rate: f64,
    workers: u32,
    replications: u32,
    duration: &str,
) -> Vec<f64> {
    let config = format!(
        r#"
[experiment]
name = "queue"
seed = 2024
replications = {replications}
duration = "{duration}"
warmup = "2m"

[cluster]
servers = 1
workers = {workers}
queue_capacity = 1000000
service = {service}

[workload]
arrivals = {{ kind = "poisson", rate = {rate:.1} }}
timeout = "1h"
"#
    );
    let exp = common::experiment(&config);
    let keys: Vec<_> = exp.runs().collect();
    let mut means = Vec::new();
    experiments::runner::run_keys(&exp, &keys, 2, |_, r| -> Result<(), ()> {
        assert_eq!(
            r.report.ok, r.report.requests,
            "no request may fail without faults"
        );
        means.push(r.report.latency_mean_ms.unwrap());
        Ok(())
    })
    .unwrap();
    means
}

/// The theoretical mean lies in the 99.9% confidence interval of the replication means.
fn assert_mean(name: &str, measured: &[f64], expected_ms: f64) {
    let (mean, _, half) = mean_ci(measured, 0.999);
    assert!(
        (mean - expected_ms).abs() <= half,
        "{name}: measured {mean:.3} ms ± {half:.3} (99.9%), theory {expected_ms:.3} ms"
    );
}

/// For M/M/1: the standard deviation of one run's mean response time (ms), predicted
/// from the asymptotic variance of the queue length (see the module documentation).
fn mm1_run_sd_ms(rate: f64, service_s: f64, run_s: f64) -> f64 {
    let mu = 1.0 / service_s;
    let rho = rate / mu;
    let var_l = 2.0 * rho * (1.0 + rho) / (mu * (1.0 - rho).powi(4));
    1000.0 * (var_l / run_s).sqrt() / rate
}

/// The M/M/1 checks beyond the confidence interval: the mean within 4 predicted standard
/// errors, and the replication spread within the chi-square 0.1%..99.9% band.
fn assert_mm1_precision(name: &str, measured: &[f64], expected_ms: f64, run_sd: f64) {
    let (mean, sample_sd, _) = mean_ci(measured, 0.999);
    let n = measured.len() as f64;
    let tolerance = 4.0 * run_sd / n.sqrt();
    assert!(
        (mean - expected_ms).abs() < tolerance,
        "{name}: measured {mean:.3} ms, theory {expected_ms:.3} ms, tolerance {tolerance:.3} ms"
    );
    // For 11 degrees of freedom the chi-square 0.1% and 99.9% points are 1.83 and 31.3:
    // the sample sd lies within sqrt(1.83/11) = 0.41 and sqrt(31.3/11) = 1.69 of the truth.
    assert_eq!(
        measured.len(),
        12,
        "the bounds below are for 12 replications"
    );
    let ratio = sample_sd / run_sd;
    assert!(
        (0.41..1.69).contains(&ratio),
        "{name}: replication sd {sample_sd:.3} ms vs predicted {run_sd:.3} ms"
    );
}

#[test]
fn mm1_at_rho_0_8_responds_in_five_service_times() {
    // M/M/1: W = 1/(mu - lambda) = S/(1 - rho) = 10 ms / 0.2 = 50 ms.
    let w = response_times(
        r#"{ dist = "exponential", mean = "10ms" }"#,
        80.0,
        1,
        12,
        "1h",
    );
    assert_mean("M/M/1 rho=0.8", &w, 50.0);
    assert_mm1_precision(
        "M/M/1 rho=0.8",
        &w,
        50.0,
        mm1_run_sd_ms(80.0, 0.010, 3600.0),
    );
}

#[test]
fn mm1_at_rho_0_5_responds_in_two_service_times() {
    // W = S/(1 - rho) = 10 ms / 0.5 = 20 ms.
    let w = response_times(
        r#"{ dist = "exponential", mean = "10ms" }"#,
        50.0,
        1,
        12,
        "30m",
    );
    assert_mean("M/M/1 rho=0.5", &w, 20.0);
    assert_mm1_precision(
        "M/M/1 rho=0.5",
        &w,
        20.0,
        mm1_run_sd_ms(50.0, 0.010, 1800.0),
    );
}

#[test]
fn md1_matches_pollaczek_khinchine() {
    // M/D/1 by Pollaczek-Khinchine: W = S + rho S / (2 (1 - rho)); at rho = 0.8, 3 S.
    let s = 10.0;
    let rho: f64 = 0.8;
    let expected = s + rho * s / (2.0 * (1.0 - rho));
    let w = response_times(
        r#"{ dist = "constant", value = "10ms" }"#,
        80.0,
        1,
        12,
        "1h",
    );
    assert_mean("M/D/1 rho=0.8", &w, expected);
}

#[test]
fn mg1_with_lognormal_service_matches_pollaczek_khinchine() {
    // M/G/1: W = E[S] + lambda E[S^2] / (2 (1 - rho)), with the moments of the configured
    // lognormal service time (median 5 ms, p99 30 ms: mean 6.72 ms, so rho = 0.67).
    let service = r#"{ dist = "lognormal", median = "5ms", p99 = "30ms" }"#;
    let rate = 100.0;
    let exp = common::experiment(&format!(
        "[experiment]\nduration = \"1s\"\n[cluster]\nservers = 1\nservice = {service}\n[workload]\narrivals = {{ kind = \"poisson\", rate = 1.0 }}\n"
    ));
    let dist = &exp.cells[0].scenario.cluster.service;
    let (es, es2) = (dist.mean().unwrap(), dist.second_moment().unwrap());
    let rho = rate * es;
    let expected = 1000.0 * (es + rate * es2 / (2.0 * (1.0 - rho)));
    let w = response_times(service, rate, 1, 12, "1h");
    assert_mean("M/G/1 lognormal", &w, expected);
}

#[test]
fn mmc_matches_erlang_c() {
    // M/M/c with c = 4 workers sharing one FIFO queue: Erlang C gives the probability of
    // waiting, P_W, and W = S + P_W S / (c (1 - rho)).
    let (c, s, rate) = (4u32, 0.010, 320.0);
    let a = rate * s; // offered load in Erlangs
    let rho = a / f64::from(c);
    let mut sum = 0.0;
    let mut term = 1.0;
    for k in 0..c {
        if k > 0 {
            term *= a / f64::from(k);
        }
        sum += term;
    }
    let last = term * a / f64::from(c);
    let pw = last / (1.0 - rho) / (sum + last / (1.0 - rho));
    let expected = 1000.0 * (s + pw * s / (f64::from(c) * (1.0 - rho)));
    let w = response_times(
        r#"{ dist = "exponential", mean = "10ms" }"#,
        rate,
        c,
        12,
        "30m",
    );
    assert_mean("M/M/4 rho=0.8", &w, expected);
}
