//! Power of two choices against random routing at high load. n exponential servers of
//! mean S with Poisson arrivals at total rate ρ n / S. Random routing splits the stream
//! into n independent M/M/1 queues: mean response S / (1 - ρ), exponentially distributed,
//! so its p99 is S ln(100) / (1 - ρ). Sending each request to the shorter of d = 2 sampled
//! queues has, as n grows, mean time in system
//!   S Σ_{i≥1} ρ^((d^i - d)/(d - 1))
//! (Mitzenmacher, "The power of two choices in randomized load balancing", IEEE TPDS 2001;
//! Vvedenskaya, Dobrushin and Karpelevich 1996): 2.61 service times at ρ = 0.9, against
//! 10 for random.
//!
//! Checked at n = 32, ρ = 0.9: random's mean and p99 through the 99.9% Student-t interval
//! of the replications; two choices against the n → ∞ limit with an allowance of 10% for
//! the finite n (the correction is O(1/n); Mitzenmacher's simulations at n = 100 lie
//! within a few percent) plus the interval.

use super::{Check, Effort, Scenario, experiment, mean_ci, reports, t_check};
use sim_core::config::ConfigError;

pub const SCENARIO: Scenario = Scenario {
    name: "power of two choices",
    source: "M/M/1 under random splitting; supermarket model limit (Mitzenmacher 2001)",
    run: checks,
};

/// The n → ∞ mean time in system, in service times, when each arrival joins the shortest
/// of `d` sampled queues at load `rho`.
pub fn supermarket_mean(rho: f64, d: u32) -> f64 {
    let d = f64::from(d);
    // Terms fall doubly exponentially: 30 are far more than enough.
    (1..30).map(|i| rho.powf((d.powi(i) - d) / (d - 1.0))).sum()
}

/// The experiment: 32 servers of 10 ms at load 0.9, random and two choices.
pub fn config(effort: Effort) -> String {
    let (reps, duration) = effort.pick((16, "40s"), (64, "40s"));
    format!(
        r#"
[experiment]
name = "two-choices"
seed = 7
replications = {reps}
duration = "{duration}"
warmup = "5s"

[cluster]
servers = 32
queue_capacity = 1000000
service = {{ dist = "exponential", mean = "10ms" }}

[workload]
arrivals = {{ kind = "poisson", rate = 2880.0 }}
timeout = "1h"

[strategies.random]
routing = {{ kind = "random" }}

[strategies.two-choices]
routing = {{ kind = "power-of-d", d = 2 }}
"#
    )
}

fn checks(effort: Effort, threads: usize) -> Result<Vec<Check>, ConfigError> {
    let exp = experiment("two-choices", &config(effort))?;
    let runs = reports(&exp, threads);
    let column = |s: usize, f: fn(&sim_core::RunReport) -> Option<f64>| -> Vec<f64> {
        runs[s].iter().map(|r| f(r).unwrap_or(f64::NAN)).collect()
    };
    let service_ms = 10.0;
    let rho: f64 = 0.9;
    let limit = service_ms * supermarket_mean(rho, 2);
    let two = column(1, |r| r.latency_mean_ms);
    let (mean, _, half) = mean_ci(&two, 0.999);
    Ok(vec![
        t_check(
            "32 servers rho=0.9, random: mean response (ms)".into(),
            service_ms / (1.0 - rho),
            column(0, |r| r.latency_mean_ms),
        ),
        t_check(
            "32 servers rho=0.9, random: p99 response (ms)".into(),
            service_ms * 100f64.ln() / (1.0 - rho),
            column(0, |r| r.latency_p99_ms),
        ),
        Check {
            scenario: "32 servers rho=0.9, two choices: mean response (ms)".into(),
            expected: limit,
            measured: mean,
            tolerance: 0.1 * limit + half,
            basis: format!(
                "10% finite-n allowance plus the 99.9% Student-t interval of {} replications",
                two.len()
            ),
            samples: two,
        },
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_supermarket_limit_at_load_0_9_is_2_61_service_times() {
        assert!((supermarket_mean(0.9, 2) - 2.6144).abs() < 1e-3);
        // More choices help more.
        assert!(supermarket_mean(0.9, 3) < supermarket_mean(0.9, 2));
    }
}
