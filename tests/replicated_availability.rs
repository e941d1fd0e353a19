//! Availability of a replicated key range is k-out-of-n: with n replicas that are each up
//! a fraction a of the time, independently, and failover to a live replica at once, a
//! request that needs k live replicas succeeds with probability
//! sum_{j >= k} C(n, j) a^j (1 - a)^(n - j).
//!
//! Here three servers hold every key (replication factor 3) and fail independently
//! (exponential MTTF 4 s, MTTR 1 s: a = 0.8). A read needs one live replica (the first
//! unsuspected one serves it): 1 - 0.2^3 = 0.992. A write acknowledged after 2 of 3 copies
//! needs two: 3 a^2 - 2 a^3 = 0.896. Poisson arrivals see the time average (PASTA), so
//! each run's success fraction estimates the time-average of the indicator "at least k
//! replicas up", whose variance over a run of length T is 2 J / T, J being the integral
//! of its autocovariance. For independent two-state Markov servers (rate r = 1/MTTF +
//! 1/MTTR) each transition probability is pi(y) + e^(-r t) (delta(x, y) - pi(y)), so the
//! autocovariance is a sum of e^(-|S| r t) terms over sets S of servers, and J is exact
//! (computed below). Requests add binomial noise p (1 - p) / N.
//!
//! Detection is not instant but close: heartbeats every 1 ms, suspicion after 2 ms of
//! silence, no network delay. A request can fail only by landing on a crashed server not
//! yet suspected (each server spends at most 2 ms per 5 s cycle so: 3 x 4e-4) or by a
//! crash during its 100 us of service (3 x 100 us / 4 s): a bias of at most 1.3e-3, added
//! to the tolerance.

use crate::common;

use sim_core::RunReport;

const MTTF: f64 = 4.0;
const MTTR: f64 = 1.0;
const SECONDS: f64 = 600.0;
const RUNS: u32 = 16;
const BIAS: f64 = 3.0 * 0.002 / (MTTF + MTTR) + 3.0 * 100e-6 / MTTF;

/// P(at least k of n up) and the integral J of its autocovariance.
fn k_of_n(k: usize, n: usize) -> (f64, f64) {
    let a = MTTF / (MTTF + MTTR);
    let r = 1.0 / MTTF + 1.0 / MTTR;
    let pi = |up: bool| if up { a } else { 1.0 - a };
    let ok = |x: u32| x.count_ones() as usize >= k;
    let bit = |x: u32, i: usize| x >> i & 1 == 1;
    let states = 1u32 << n;
    let mean: f64 = (0..states)
        .filter(|&x| ok(x))
        .map(|x| (0..n).map(|i| pi(bit(x, i))).product::<f64>())
        .sum();
    let mut j = 0.0;
    for set in 1..states {
        let size = set.count_ones() as f64;
        let mut term = 0.0;
        for x in (0..states).filter(|&x| ok(x)) {
            let px: f64 = (0..n).map(|i| pi(bit(x, i))).product();
            for y in (0..states).filter(|&y| ok(y)) {
                let factor: f64 = (0..n)
                    .map(|i| {
                        let p = pi(bit(y, i));
                        if bit(set, i) {
                            f64::from(u8::from(bit(x, i) == bit(y, i))) - p
                        } else {
                            p
                        }
                    })
                    .product();
                term += px * factor;
            }
        }
        j += term / (size * r);
    }
    (mean, j)
}

#[test]
fn replicated_reads_and_quorum_writes_are_k_out_of_n_available() {
    let text = format!(
        r#"
[experiment]
name = "k-of-n"
seed = 17
replications = {RUNS}
duration = "{SECONDS}s"

[cluster]
servers = 3
service = "100us"
workers = 4

[workload]
arrivals = {{ kind = "poisson", rate = 100.0 }}
keys = {{ count = 1000 }}
writes = 0.5

[faults]
crash = {{ mttf = {{ dist = "exponential", mean = "{MTTF}s" }}, mttr = {{ dist = "exponential", mean = "{MTTR}s" }} }}

[strategies.quorum]
detector = {{ kind = "fixed-timeout", interval = "1ms", timeout = "2ms" }}
routing = {{ kind = "consistent-hash" }}
replication = {{ kind = "sync", factor = 3, acks = 2 }}
"#
    );
    let exp = common::experiment(&text);
    let keys: Vec<_> = exp.runs().collect();
    let mut runs: Vec<RunReport> = Vec::new();
    experiments::runner::run_keys(&exp, &keys, 2, |_, r| -> Result<(), ()> {
        runs.push(r.report);
        Ok(())
    })
    .unwrap();
    let n = f64::from(RUNS);
    let check = |what: &str, k: usize, fraction: &dyn Fn(&RunReport) -> (f64, f64)| {
        let (p, j) = k_of_n(k, 3);
        let mut mean = 0.0;
        let mut var = 0.0;
        for run in &runs {
            let (f, requests) = fraction(run);
            mean += f / n;
            var += (2.0 * j / SECONDS + p * (1.0 - p) / requests) / (n * n);
        }
        let tolerance = 4.0 * var.sqrt() + BIAS;
        assert!(
            (mean - p).abs() < tolerance,
            "{what}: measured {mean:.5}, {k}-of-3 predicts {p:.5} (tolerance {tolerance:.5})"
        );
    };
    check("reads", 1, &|x| {
        let reads = (x.requests - x.writes) as f64;
        ((x.ok - x.writes_ok) as f64 / reads, reads)
    });
    check("writes", 2, &|x| {
        (x.writes_ok as f64 / x.writes as f64, x.writes as f64)
    });
}
