//! Availability of repairable servers: a server with exponential times to failure and
//! repair is up MTTF / (MTTF + MTTR) of the time, at least k of n such servers are up
//! with the binomial tail of that fraction, and with a single server the requests succeed
//! in the fraction of time it is up (PASTA). The first two are scenarios of
//! `experiments::validate::availability`, which `faultline validate` runs too.
//!
//! Tolerances: for one server, 4 standard deviations of the pooled time average, whose
//! variance is 2A(1 - A)/(rT) with r = 1/MTTF + 1/MTTR (the integral of the up
//! indicator's autocovariance A(1 - A)e^(-rt)); for k of n, the 99.9% Student-t interval
//! of the replications; for requests, binomial noise plus the crashes during service.

use crate::common;

use crate::common::{assert_checks, mean_ci, validation};

#[test]
fn single_server_is_up_mttf_over_mttf_plus_mttr() {
    let checks = validation("single repairable server");
    assert_checks(&checks);
    let c = &checks[0];
    assert!((c.expected - 10.0 / 11.0).abs() < 1e-12);
    // The spread between replications agrees with the same variance formula: the
    // chi-square 0.1% and 99.9% points for 7 degrees of freedom are 0.6 and 24.3, i.e.
    // sd ratios 0.29 and 1.86. Each replication is 10 hours.
    assert_eq!(c.samples.len(), 8);
    let (a, r): (f64, f64) = (10.0 / 11.0, 1.0 / 10.0 + 1.0 / 1.0);
    let per_run_sd = (2.0 * a * (1.0 - a) / (r * 10.0 * 3600.0)).sqrt();
    let (_, sample_sd, _) = mean_ci(&c.samples, 0.95);
    let ratio = sample_sd / per_run_sd;
    assert!(
        (0.29..1.86).contains(&ratio),
        "replication sd {sample_sd:.5} vs predicted {per_run_sd:.5}"
    );
}

#[test]
fn at_least_k_of_five_servers_are_up_with_the_binomial_tail() {
    // A = 0.8: all five up 0.328 of the time, a majority 0.942, at least one 0.99968.
    let checks = validation("k-out-of-n");
    assert_checks(&checks);
    let expected: Vec<f64> = checks.iter().map(|c| c.expected).collect();
    assert!((expected[0] - 0.99968).abs() < 1e-12);
    assert!((expected[1] - 0.94208).abs() < 1e-12);
    assert!((expected[2] - 0.32768).abs() < 1e-12);
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
