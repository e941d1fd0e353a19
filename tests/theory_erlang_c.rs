//! M/M/c with a shared queue against Erlang's C formula: one server with c workers, a FIFO
//! queue and Poisson arrivals (configs and formulas in `experiments::validate::erlang_c`,
//! the same ones `faultline validate` runs).
//!
//! Tolerance: the 99.9% Student-t interval of 12 replication means. For M/M/1 the width
//! the run length buys is also known in advance: the time-average number in system has
//! asymptotic variance 2ρ(1 + ρ) / (μ(1 - ρ)^4) per unit time (Whitt, "Planning queueing
//! simulations", Management Science 1989), so by Little's law one run's mean response
//! time over T has standard deviation sqrt(2ρ(1 + ρ) / (μ(1 - ρ)^4)) / (λ sqrt(T)). The
//! M/M/1 checks also hold the mean to 4 of those standard deviations over the runs, and
//! the spread between runs to the chi-square bounds of that prediction, so a wrong
//! variance cannot pass by widening the interval.

use crate::common::{assert_checks, mean_ci, validation};
use experiments::validate::Effort;
use experiments::validate::erlang_c::{mean_response, measure, mm1_run_sd_ms, mm1_size};

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
fn mm1_and_mm4_at_rho_0_8_match_erlang_c() {
    let checks = validation("Erlang C");
    assert_checks(&checks);
    // M/M/1 at rho = 0.8: W = S / (1 - rho) = 10 ms / 0.2 = 50 ms.
    let mm1 = &checks[0];
    assert!((mm1.expected - 50.0).abs() < 1e-9);
    let (reps, run) = mm1_size(Effort::Quick);
    let run_s = sim_core::SimDuration::parse(run).unwrap().as_secs_f64();
    assert_eq!(mm1.samples.len(), reps as usize);
    assert_mm1_precision(
        "M/M/1 rho=0.8",
        &mm1.samples,
        50.0,
        mm1_run_sd_ms(80.0, 0.010, run_s),
    );
}

#[test]
fn mm1_at_rho_0_5_responds_in_two_service_times() {
    // W = S / (1 - rho) = 10 ms / 0.5 = 20 ms, over 12 runs of 30 minutes.
    let w = measure(1, 50.0, 12, "30m", 2).unwrap();
    let expected = 1000.0 * mean_response(1, 0.010, 50.0);
    assert!((expected - 20.0).abs() < 1e-9);
    let (mean, _, half) = mean_ci(&w, 0.999);
    assert!(
        (mean - expected).abs() <= half,
        "M/M/1 rho=0.5: {mean:.3} ± {half:.3} ms, theory 20 ms"
    );
    assert_mm1_precision(
        "M/M/1 rho=0.5",
        &w,
        20.0,
        mm1_run_sd_ms(50.0, 0.010, 1800.0),
    );
}
