//! A flaky link alternates between up and lossy with the configured on/off times: over
//! its window the fraction of requests it loses is the long-run fraction of time it is
//! lossy, E[down] / (E[up] + E[down]) (times `probability`), and the same seed gives the
//! same run.

use crate::common;

use sim_core::RunReport;

/// One server behind a flaky client link for the whole run. Service and network take 1
/// us, so a request and its answer cross the link within microseconds of each other,
/// against on/off times of 100 ms and more: a request fails (is dropped or loses its
/// answer, and times out) essentially when it is sent while the link is lossy.
fn config(up: &str, down: &str, extra: &str, seed: u64, replications: u32) -> String {
    format!(
        r#"
[experiment]
name = "flaky"
seed = {seed}
replications = {replications}
duration = "400s"

[cluster]
servers = 1
service = {{ dist = "constant", value = "1us" }}

[workload]
arrivals = {{ kind = "poisson", rate = 200.0 }}
timeout = "100ms"

[network]
delay = "1us"

[[faults.scripted]]
at = "0s"
kind = "flaky-link"
server = 0
peer = "clients"
up = {{ dist = "exponential", mean = "{up}" }}
down = {{ dist = "exponential", mean = "{down}" }}
{extra}

[strategies.s]
detector = {{ kind = "fixed-timeout", interval = "100ms", timeout = "300ms" }}
"#
    )
}

fn reports(text: &str) -> Vec<RunReport> {
    common::run_reports(&common::experiment(text))
}

/// The fraction of requests that failed, over every run.
fn failed_fraction(reports: &[RunReport]) -> (f64, f64) {
    let requests: u64 = reports.iter().map(|r| r.requests).sum();
    let failed: u64 = reports.iter().map(|r| r.failed).sum();
    (failed as f64 / requests as f64, requests as f64)
}

/// The standard deviation of the fraction of time an alternating renewal process with
/// exponential up times (mean `u`) and down times (mean `d`) spends down, observed over
/// `cycles` on/off cycles in all, and of the fraction `p` of it sampled by `requests`
/// Poisson arrivals each lost with probability `p` while down.
///
/// The fraction of time down is the ratio estimator sum(D_i) / sum(U_i + D_i) over the
/// cycles; by the delta method its variance is Var(D - r (U + D)) / (n E[U + D]^2) with
/// r = d / (u + d). With D - r (U + D) = (1 - r) D - r U and exponential times
/// (Var D = d^2, Var U = u^2), Var = ((1 - r)^2 d^2 + r^2 u^2) = 2 u^2 d^2 / (u + d)^2,
/// so sd = sqrt(2) u d / ((u + d)^2 sqrt(n)). Times the loss probability p, plus the
/// binomial spread of the requests themselves, f (1 - f) / N with f = r p, which adds
/// (the two are independent given the schedule).
fn spread(u: f64, d: f64, p: f64, cycles: f64, requests: f64) -> f64 {
    let schedule = 2f64.sqrt() * u * d / ((u + d).powi(2) * cycles.sqrt()) * p;
    let f = d / (u + d) * p;
    (schedule.powi(2) + f * (1.0 - f) / requests).sqrt()
}

#[test]
fn the_fraction_of_requests_lost_is_the_fraction_of_time_lossy() {
    // up 300 ms, down 100 ms: lossy a quarter of the time, 1000 cycles per 400 s run.
    let (u, d) = (0.3, 0.1);
    let runs = 4;
    let r = reports(&config("300ms", "100ms", "", 5, runs));
    let (failed, requests) = failed_fraction(&r);
    let expected = d / (u + d);
    let cycles = f64::from(runs) * 400.0 / (u + d);
    let sd = spread(u, d, 1.0, cycles, requests);
    // 4 standard deviations: a false alarm about once in 16000 runs of this test.
    assert!(
        (failed - expected).abs() < 4.0 * sd,
        "failed fraction {failed}, expected {expected} +- {}",
        4.0 * sd
    );
    // The link is the only fault: every failure is a timeout of a lost message.
    let timed_out: u64 = r.iter().map(|r| r.timed_out).sum();
    let all_failed: u64 = r.iter().map(|r| r.failed).sum();
    assert_eq!(timed_out, all_failed);
}

#[test]
fn a_loss_probability_below_one_loses_that_share_while_lossy() {
    // Equal means: lossy half the time, and half of what is sent then is lost.
    let (u, d, p) = (0.2, 0.2, 0.5);
    let runs = 4;
    let r = reports(&config("200ms", "200ms", "probability = 0.5", 6, runs));
    let (failed, requests) = failed_fraction(&r);
    // A request fails when the request or its answer is lost: while lossy that is
    // 1 - (1 - p)^2, as the two cross the link microseconds apart.
    let lost_while_lossy = 1.0 - (1.0 - p) * (1.0 - p);
    let expected = d / (u + d) * lost_while_lossy;
    let cycles = f64::from(runs) * 400.0 / (u + d);
    let sd = spread(u, d, lost_while_lossy, cycles, requests);
    assert!(
        (failed - expected).abs() < 4.0 * sd,
        "failed fraction {failed}, expected {expected} +- {}",
        4.0 * sd
    );
}

#[test]
fn the_link_is_up_outside_the_fault_window() {
    // The fault lasts the middle 200 s of the 400 s run: half the run's requests meet it
    // and a quarter of those fail, an eighth of all; none fails outside the window.
    let text = config("300ms", "100ms", "", 7, 2)
        .replace("at = \"0s\"\nkind", "at = \"100s\"\nfor = \"200s\"\nkind");
    assert!(text.contains("for = \"200s\""));
    let r = reports(&text);
    let (failed, requests) = failed_fraction(&r);
    let (u, d) = (0.3, 0.1);
    let expected = 0.5 * d / (u + d);
    let cycles = 2.0 * 200.0 / (u + d);
    // The fraction is that of the window (half the requests) scaled by one half.
    let sd = 0.5 * spread(u, d, 1.0, cycles, requests / 2.0);
    assert!(
        (failed - expected).abs() < 4.0 * sd,
        "failed fraction {failed}, expected {expected} +- {}",
        4.0 * sd
    );
}

#[test]
fn the_same_seed_gives_the_same_run_and_another_seed_another() {
    let text = config("300ms", "100ms", "probability = 0.7", 11, 2);
    let a = reports(&text);
    let b = reports(&text);
    assert_eq!(a.len(), 2);
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x.trace_hash, y.trace_hash);
        assert_eq!(x.failed, y.failed);
    }
    assert_ne!(a[0].trace_hash, a[1].trace_hash);
    let other = reports(&config("300ms", "100ms", "probability = 0.7", 12, 2));
    assert_ne!(a[0].trace_hash, other[0].trace_hash);
}

#[test]
fn the_on_off_times_do_not_depend_on_the_traffic() {
    // The schedule is drawn from the fault's own stream in a fixed order, so doubling
    // the request rate leaves the lossy periods where they were: the failed fraction
    // changes only by the sampling of the requests, far less than between seeds.
    let slow = reports(&config("300ms", "100ms", "", 21, 1));
    let fast =
        reports(&config("300ms", "100ms", "", 21, 1).replace("rate = 200.0", "rate = 400.0"));
    let (a, n) = failed_fraction(&slow);
    let (b, _) = failed_fraction(&fast);
    // Both estimate the lossy fraction of the same schedule: their difference is the
    // binomial spread of two samples, sqrt(2 f (1 - f) / N) at most (N the smaller count).
    let f = 0.25;
    let sd = (2.0 * f * (1.0 - f) / n).sqrt();
    assert!(
        (a - b).abs() < 4.0 * sd,
        "{a} against {b} (+- {})",
        4.0 * sd
    );
}
