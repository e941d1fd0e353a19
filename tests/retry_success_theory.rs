//! Retries against servers that fail fast: a request allowed k attempts, each failing
//! independently with probability f, succeeds with probability 1 - f^k after
//! 1 + f + ... + f^(k-1) attempts on average; with failover the attempts sample servers
//! without replacement and fail together with probability C(D, k) / C(N, k). The config
//! and formulas are `experiments::validate::retry`, which `faultline validate` runs too.
//!
//! Tolerance: each request is a Bernoulli trial, so the success share of n requests has
//! sd sqrt(p (1 - p) / n); the attempts per request have sd sigma_A / sqrt(n) with sigma_A
//! the sd of one request's attempts (from its distribution). Every check allows 4 sd.

use crate::common;

use crate::common::{assert_checks, validation};
use experiments::validate::Effort;
use experiments::validate::retry::{STRATEGIES, config, theory};

#[test]
fn success_with_k_attempts_is_one_minus_f_to_the_k_and_failover_samples_without_replacement() {
    assert_checks(&validation("retry success"));
    let exp = common::experiment(&config(Effort::Quick));
    let reports = experiments::validate::reports(&exp, 2);
    for ((name, k, failover), runs) in STRATEGIES.iter().zip(&reports) {
        let r = &runs[0];
        let (_, mean, sd) = theory(*k, *failover);
        let n = r.requests as f64;
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
}
