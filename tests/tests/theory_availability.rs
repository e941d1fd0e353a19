//! Availability theory: a repairable server with exponential times to failure and repair
//! is up a fraction MTTF / (MTTF + MTTR) of the time.
//!
//! Tolerance: the up/down state is a two-state Markov process with rates 1/MTTF and
//! 1/MTTR; the time-average of its indicator over T has asymptotic variance
//! 2 A (1 - A) / (r T), with r = 1/MTTF + 1/MTTR (the integral of its autocovariance
//! A (1 - A) e^(-r t)). The test allows 4 standard deviations, pooled over replications.

mod common;

use common::mean_ci;

#[test]
fn single_server_is_up_mttf_over_mttf_plus_mttr() {
    let (mttf, mttr, hours, replications) = (10.0, 1.0, 10.0, 8);
    let config = format!(
        r#"
[experiment]
name = "availability"
seed = 11
replications = {replications}
duration = "{hours}h"

[cluster]
servers = 1
service = {{ dist = "constant", value = "1ms" }}

[workload]
arrivals = {{ kind = "poisson", rate = 1.0 }}

[faults]
crash = {{ mttf = {{ dist = "exponential", mean = "{mttf}s" }}, mttr = {{ dist = "exponential", mean = "{mttr}s" }} }}
"#
    );
    let exp = common::experiment(&config);
    let keys: Vec<_> = exp.runs().collect();
    let mut fractions = Vec::new();
    experiments::runner::run_keys(&exp, &keys, 2, |_, r| -> Result<(), ()> {
        fractions.push(r.report.server_availability);
        Ok(())
    })
    .unwrap();
    let a = mttf / (mttf + mttr);
    let r = 1.0 / mttf + 1.0 / mttr;
    let total_time = hours * 3600.0 * f64::from(replications);
    let sd = (2.0 * a * (1.0 - a) / (r * total_time)).sqrt();
    let (mean, sample_sd, _) = mean_ci(&fractions, 0.95);
    assert!(
        (mean - a).abs() < 4.0 * sd,
        "measured {mean:.5}, theory {a:.5}, 4 sd = {:.5}",
        4.0 * sd
    );
    // The spread between replications agrees with the same variance formula (within a
    // factor of 2, generous for 8 samples: the chi-square 0.1% and 99.9% points for 7
    // degrees of freedom are 0.6 and 24.3, i.e. sd ratios 0.29 and 1.86).
    let per_run_sd = (2.0 * a * (1.0 - a) / (r * hours * 3600.0)).sqrt();
    let ratio = sample_sd / per_run_sd;
    assert!(
        (0.29..1.86).contains(&ratio),
        "replication sd {sample_sd:.5} vs predicted {per_run_sd:.5}"
    );
}

#[test]
fn requests_succeed_in_the_fraction_of_time_the_only_server_is_up() {
    // With one server and no network delay, a request succeeds exactly when it arrives
    // while the server is up and the server stays up for its 1 ms of service. Poisson
    // arrivals see time averages (PASTA), so request availability equals the run's
    // server availability A up to (a) the binomial noise of N arrivals splitting between
    // up and down time, sd sqrt(A (1 - A) / N), and (b) crashes during service, a
    // fraction 1 ms / MTTF = 0.00025. Tolerance: 4 sd of (a) plus (b).
    let config = r#"
[experiment]
name = "availability-requests"
seed = 5
replications = 4
duration = "1h"

[cluster]
servers = 1
service = { dist = "constant", value = "1ms" }

[workload]
arrivals = { kind = "poisson", rate = 50.0 }
timeout = "1s"

[faults]
crash = { mttf = { dist = "exponential", mean = "4s" }, mttr = { dist = "exponential", mean = "1s" } }
"#;
    let exp = common::experiment(config);
    let keys: Vec<_> = exp.runs().collect();
    experiments::runner::run_keys(&exp, &keys, 2, |_, r| -> Result<(), ()> {
        let rep = &r.report;
        let a = rep.availability.unwrap();
        let server = rep.server_availability;
        let n = rep.requests as f64;
        let tolerance = 4.0 * (server * (1.0 - server) / n).sqrt() + 0.001 / 4.0;
        assert!(
            (a - server).abs() < tolerance,
            "request availability {a:.5} vs server {server:.5} (tolerance {tolerance:.5})"
        );
        // Before the monitor suspects the crashed server requests time out; after, they
        // fail at once as unavailable. Both must occur.
        assert!(rep.unavailable > 0 && rep.timed_out > 0);
        Ok(())
    })
    .unwrap();
}
