//! M/M/c with a shared queue: Poisson arrivals at rate λ, c servers with exponential
//! service of mean S, one FIFO queue. With offered load a = λS and ρ = a/c < 1, the
//! probability that an arrival waits is Erlang's C formula
//!   C(c, a) = (a^c / c!) / (1 - ρ) / (Σ_{k<c} a^k / k! + (a^c / c!) / (1 - ρ)),
//! and the mean response time is W = S + C(c, a) S / (c (1 - ρ)) (Erlang 1917; Kleinrock,
//! Queueing Systems vol. 1, 1975, section 3.5). For c = 1, C = ρ and W = S / (1 - ρ).
//!
//! Checked: M/M/1 at ρ = 0.8 (W = 50 ms) and M/M/4 at ρ = 0.8, each through the 99.9%
//! Student-t interval of the replications' mean response times.

use super::{Check, Effort, Scenario, experiment, queue_config, reports, t_check};
use sim_core::config::ConfigError;

pub const SCENARIO: Scenario = Scenario {
    name: "Erlang C",
    source: "M/M/c mean response time, Erlang C formula (Kleinrock 1975, section 3.5)",
    run: checks,
};

/// Erlang C: the probability that an arrival to M/M/c with offered load `a` (< c) waits.
pub fn probability_of_waiting(c: u32, a: f64) -> f64 {
    let rho = a / f64::from(c);
    let mut sum = 0.0;
    let mut term = 1.0;
    for k in 0..c {
        if k > 0 {
            term *= a / f64::from(k);
        }
        sum += term;
    }
    let last = term * a / f64::from(c) / (1.0 - rho);
    last / (sum + last)
}

/// Mean response time (seconds) of M/M/c with service mean `service` (s) at `rate` (1/s).
pub fn mean_response(c: u32, service: f64, rate: f64) -> f64 {
    let a = rate * service;
    let rho = a / f64::from(c);
    service + probability_of_waiting(c, a) * service / (f64::from(c) * (1.0 - rho))
}

/// The standard deviation (ms) of one run's mean response time for M/M/1 over `run`
/// seconds: the time-average number in system has asymptotic variance
/// 2ρ(1 + ρ) / (μ(1 - ρ)^4) per unit time (Whitt, "Planning queueing simulations",
/// Management Science 1989), and W = L / λ by Little's law.
pub fn mm1_run_sd_ms(rate: f64, service: f64, run: f64) -> f64 {
    let mu = 1.0 / service;
    let rho = rate / mu;
    let var_l = 2.0 * rho * (1.0 + rho) / (mu * (1.0 - rho).powi(4));
    1000.0 * (var_l / run).sqrt() / rate
}

/// The replications' mean response times (ms) of M/M/c.
pub fn measure(
    c: u32,
    rate: f64,
    replications: u32,
    duration: &str,
    threads: usize,
) -> Result<Vec<f64>, ConfigError> {
    let config = queue_config(
        "erlang-c",
        r#"{ dist = "exponential", mean = "10ms" }"#,
        rate,
        c,
        u64::from(u32::MAX),
        replications,
        duration,
    );
    let exp = experiment("erlang-c", &config)?;
    Ok(reports(&exp, threads)[0]
        .iter()
        .map(|r| r.latency_mean_ms.unwrap_or(f64::NAN))
        .collect())
}

/// Runs per check and their length at each effort: at least 12 runs of an hour, so the
/// spread between runs can be held to Whitt's prediction (see the test suite).
pub fn mm1_size(effort: Effort) -> (u32, &'static str) {
    effort.pick((12, "1h"), (12, "4h"))
}

fn checks(effort: Effort, threads: usize) -> Result<Vec<Check>, ConfigError> {
    let (reps, mm1_run) = mm1_size(effort);
    let mm4_run = effort.pick("30m", "2h");
    let mm1 = measure(1, 80.0, reps, mm1_run, threads)?;
    let mm4 = measure(4, 320.0, reps, mm4_run, threads)?;
    Ok(vec![
        t_check(
            "M/M/1 rho=0.8 mean response (ms)".into(),
            1000.0 * mean_response(1, 0.010, 80.0),
            mm1,
        ),
        t_check(
            "M/M/4 rho=0.8 mean response (ms)".into(),
            1000.0 * mean_response(4, 0.010, 320.0),
            mm4,
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erlang_c_matches_tabulated_values() {
        // One server: an arrival waits with probability rho.
        assert!((probability_of_waiting(1, 0.8) - 0.8).abs() < 1e-12);
        // c = 2, a = 1: C = (1/2)/(1/2) / (1 + 1 + 1) = 1/3.
        assert!((probability_of_waiting(2, 1.0) - 1.0 / 3.0).abs() < 1e-12);
        // M/M/1 at rho = 0.8 with 10 ms service: 50 ms.
        assert!((mean_response(1, 0.010, 80.0) - 0.050).abs() < 1e-12);
        // c = 4, a = 3.2: C(4, 3.2) = 0.5964 (standard tables).
        assert!((probability_of_waiting(4, 3.2) - 0.5964).abs() < 1e-4);
    }
}
