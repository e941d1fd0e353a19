//! Retry success against servers that fail fast. With a fraction f of the servers
//! answering every request at once with an error (scripted `error` faults: they keep
//! sending heartbeats, so nothing suspects them) and routing that draws a server uniformly
//! for each attempt, attempts fail independently with probability f, so a request allowed
//! k attempts succeeds with probability 1 - f^k after 1 + f + ... + f^(k-1) attempts on
//! average. With failover each attempt goes to a server the request has not tried: the k
//! servers are a sample without replacement, and the request fails only if all k are among
//! the D failing servers of N, with probability C(D, k) / C(N, k) (the hypergeometric
//! tail).
//!
//! Checked with 4 of 10 servers failing (f = 0.4): k = 1, 2, 3 without failover and 2, 3
//! with it. Each request is a Bernoulli trial, so the success share of n requests has
//! standard deviation sqrt(p(1 - p)/n); each check allows 4 of them. Healthy servers have
//! 64 workers for 1 ms requests at about 40 requests/s each: nothing queues and nothing
//! times out, so no other outcome blurs the count.

use super::{Check, Effort, Scenario, experiment, reports};
use sim_core::config::ConfigError;

pub const SCENARIO: Scenario = Scenario {
    name: "retry success",
    source: "independent attempts 1 - f^k; failover samples servers without replacement (hypergeometric)",
    run: checks,
};

pub const SERVERS: u32 = 10;
pub const FAILING: u32 = 4;

/// The strategies of [`config`], in order: name, attempts allowed, failover.
pub const STRATEGIES: [(&str, u32, bool); 5] = [
    ("k1", 1, false),
    ("k2", 2, false),
    ("k3", 3, false),
    ("failover2", 2, true),
    ("failover3", 3, true),
];

/// Ten servers of which four answer every request with an error, a strategy per entry of
/// [`STRATEGIES`].
pub fn config(effort: Effort) -> String {
    let duration = effort.pick("101s", "401s");
    let mut text = format!(
        r#"
[experiment]
name = "retry-theory"
seed = 7
duration = "{duration}"
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
"#
    );
    for (name, k, failover) in STRATEGIES {
        text.push_str(&format!(
            "\n[strategies.{name}]\nrouting = {{ kind = \"random\" }}\n"
        ));
        if k > 1 {
            text.push_str(&format!(
                "retry = {{ kind = \"fixed\", delay = \"1ms\", max_attempts = {k}, failover = {failover} }}\n"
            ));
        }
    }
    text
}

/// Failure probabilities of attempt j = 1, 2, ..., k given that the earlier ones failed.
pub fn conditional_failures(k: u32, failover: bool) -> Vec<f64> {
    (0..k)
        .map(|j| {
            if failover {
                f64::from(FAILING.saturating_sub(j)) / f64::from(SERVERS - j)
            } else {
                f64::from(FAILING) / f64::from(SERVERS)
            }
        })
        .collect()
}

/// P(success) and the mean and standard deviation of the attempts of one request.
pub fn theory(k: u32, failover: bool) -> (f64, f64, f64) {
    let q = conditional_failures(k, failover);
    // P(at least j attempts) = product of the first j - 1 conditional failures.
    let mut reach = vec![1.0];
    for j in 0..k as usize - 1 {
        reach.push(reach[j] * q[j]);
    }
    let all_fail = reach[k as usize - 1] * q[k as usize - 1];
    let mean: f64 = reach.iter().sum();
    // E[A²] = Σ_j (2j - 1) P(A >= j).
    let second: f64 = reach
        .iter()
        .enumerate()
        .map(|(j, p)| (2.0 * j as f64 + 1.0) * p)
        .sum();
    (1.0 - all_fail, mean, (second - mean * mean).sqrt())
}

fn checks(effort: Effort, threads: usize) -> Result<Vec<Check>, ConfigError> {
    let exp = experiment("retry", &config(effort))?;
    let runs = reports(&exp, threads);
    Ok(STRATEGIES
        .iter()
        .zip(&runs)
        .map(|((name, k, failover), runs)| {
            let r = &runs[0];
            let (p, _, _) = theory(*k, *failover);
            let n = r.requests as f64;
            Check {
                scenario: format!(
                    "{FAILING} of {SERVERS} failing, {name}: success{}",
                    if *failover { " (failover)" } else { "" }
                ),
                expected: p,
                measured: r.availability.unwrap_or(f64::NAN),
                tolerance: 4.0 * (p * (1.0 - p) / n).sqrt(),
                basis: format!("4 binomial sd over {n} requests"),
                samples: vec![r.attempts_per_request.unwrap_or(f64::NAN)],
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_is_one_minus_f_to_the_k_or_hypergeometric_with_failover() {
        assert!((theory(1, false).0 - 0.6).abs() < 1e-12);
        assert!((theory(3, false).0 - 0.936).abs() < 1e-12);
        assert!((theory(2, true).0 - (1.0 - 12.0 / 90.0)).abs() < 1e-12);
        assert!((theory(3, true).0 - (1.0 - 4.0 / 120.0)).abs() < 1e-12);
        // Attempts without failover: 1 + 0.4 + 0.16.
        assert!((theory(3, false).1 - 1.56).abs() < 1e-12);
    }
}
