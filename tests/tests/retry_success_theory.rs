//! Retries against servers that fail fast: with a fraction f of the servers answering every
//! request at once with an error (scripted `error` faults: they keep sending heartbeats, so
//! nothing suspects them) and routing that draws a server uniformly for each attempt, each
//! attempt fails independently with probability f and a request with k attempts succeeds
//! with probability 1 - f^k, after 1 + f + ... + f^(k-1) attempts on average. With
//! failover each attempt goes to a server the request has not tried yet: the k servers are
//! a sample without replacement, and the request fails only if all k are among the D dead
//! of N, with probability C(D, k) / C(N, k).
//!
//! Tolerance: each request is a Bernoulli trial, so the success share of n requests has sd
//! sqrt(p (1 - p) / n); the attempts per request have sd sigma_A / sqrt(n) with sigma_A the
//! sd of one request's attempts (computed below from its distribution). Every check allows
//! 4 sd. Healthy servers have 64 workers for 1 ms requests at about 40 requests/s each:
//! nothing queues and nothing times out, so no other outcome blurs the count.

mod common;

use experiments::Experiment;
use sim_core::RunReport;

const SERVERS: u32 = 10;
const DEAD: u32 = 4;

fn config() -> String {
    format!(
        r#"
[experiment]
name = "retry-theory"
seed = 7
duration = "101s"
warmup = "1s"

[cluster]
servers = {SERVERS}
workers = 64
service = {{ dist = "constant", value = "1ms" }}

[workload]
arrivals = {{ kind = "poisson", rate = 200.0 }}
timeout = "1s"

[[faults.scripted]]
at = "0s"
kind = "error"
servers = [0, 1, 2, 3]

[strategies.k1]
routing = {{ kind = "random" }}

[strategies.k2]
routing = {{ kind = "random" }}
retry = {{ kind = "fixed", delay = "1ms", max_attempts = 2, failover = false }}

[strategies.k3]
routing = {{ kind = "random" }}
retry = {{ kind = "fixed", delay = "1ms", max_attempts = 3, failover = false }}

[strategies.failover2]
routing = {{ kind = "random" }}
retry = {{ kind = "fixed", delay = "1ms", max_attempts = 2 }}

[strategies.failover3]
routing = {{ kind = "random" }}
retry = {{ kind = "fixed", delay = "1ms", max_attempts = 3 }}
"#
    )
}

fn run(exp: &Experiment) -> Vec<RunReport> {
    let keys: Vec<_> = exp.runs().collect();
    let mut out = Vec::new();
    experiments::runner::run_keys(exp, &keys, 2, |_, r| -> Result<(), ()> {
        out.push(r.report);
        Ok(())
    })
    .unwrap();
    out
}

/// Failure probabilities of attempt j = 1, 2, ..., k given that the earlier ones failed.
fn conditional_failures(k: u32, failover: bool) -> Vec<f64> {
    (0..k)
        .map(|j| {
            if failover {
                f64::from(DEAD - j) / f64::from(SERVERS - j)
            } else {
                f64::from(DEAD) / f64::from(SERVERS)
            }
        })
        .collect()
}

/// P(success) and the mean and sd of the attempts of one request.
fn theory(k: u32, failover: bool) -> (f64, f64, f64) {
    let q = conditional_failures(k, failover);
    // P(at least j attempts) = product of the first j - 1 conditional failures.
    let mut reach = vec![1.0];
    for j in 0..k as usize - 1 {
        reach.push(reach[j] * q[j]);
    }
    let all_fail = reach[k as usize - 1] * q[k as usize - 1];
    let mean: f64 = reach.iter().sum();
    // E[A^2] = sum over j of (2j - 1) P(A >= j).
    let second: f64 = reach
        .iter()
        .enumerate()
        .map(|(j, p)| (2.0 * j as f64 + 1.0) * p)
        .sum();
    (1.0 - all_fail, mean, (second - mean * mean).sqrt())
}

#[test]
fn success_with_k_attempts_is_one_minus_f_to_the_k_and_failover_samples_without_replacement() {
    let exp = common::experiment(&config());
    let reports = run(&exp);
    let cases = [
        ("k1", 1, false),
        ("k2", 2, false),
        ("k3", 3, false),
        ("failover2", 2, true),
        ("failover3", 3, true),
    ];
    for ((name, k, failover), r) in cases.iter().zip(&reports) {
        let (p, mean, sd) = theory(*k, *failover);
        let n = r.requests as f64;
        let availability = r.availability.unwrap();
        let tolerance = 4.0 * (p * (1.0 - p) / n).sqrt();
        assert!(
            (availability - p).abs() < tolerance,
            "{name}: success {availability:.5}, theory {p:.5} +- {tolerance:.5} over {n} requests"
        );
        let attempts = r.attempts_per_request.unwrap();
        assert!(
            (attempts - mean).abs() < 4.0 * sd / n.sqrt() + 1e-12,
            "{name}: {attempts:.5} attempts per request, theory {mean:.5}"
        );
        // Every failure is an error answer: nothing times out, queues or goes missing.
        assert_eq!(r.errored, r.requests - r.ok, "{name}");
        assert_eq!(
            (r.timed_out, r.rejected, r.unavailable),
            (0, 0, 0),
            "{name}"
        );
    }
    // The theory values themselves: 1 - 0.4^k, and 1 - C(4,k)/C(10,k) with failover.
    assert!((theory(3, false).0 - 0.936).abs() < 1e-12);
    assert!((theory(3, true).0 - (1.0 - 4.0 / 120.0)).abs() < 1e-12);
    assert!((theory(2, true).0 - (1.0 - 12.0 / 90.0)).abs() < 1e-12);
}
