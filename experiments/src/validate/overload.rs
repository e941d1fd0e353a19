//! Overload with a finite queue: M/M/1/K, Poisson arrivals at rate λ to one exponential
//! server of rate μ with room for K requests (one in service, K - 1 waiting). An arrival
//! that finds K requests is rejected; by PASTA it does so with the stationary probability
//!   P_K = (1 - ρ) ρ^K / (1 - ρ^(K+1)),   ρ = λ/μ
//! (Kleinrock, Queueing Systems vol. 1, section 3.6), which holds for any ρ, above 1
//! included: as K grows, P_K tends to 1 - 1/ρ for ρ > 1, the excess the server cannot
//! take.
//!
//! Checked: ρ = 1.5 with K = 10 (P_K = 0.3372) and ρ = 1.25 with K = 1001 (P_K = 0.2 to
//! 1e-97), each through the 99.9% Student-t interval of the replications' rejected
//! fractions.

use super::{Check, Effort, Scenario, experiment, queue_config, reports, t_check};
use sim_core::config::ConfigError;

pub const SCENARIO: Scenario = Scenario {
    name: "M/M/1/K overload",
    source: "M/M/1/K blocking probability with PASTA (Kleinrock 1975, section 3.6)",
    run: checks,
};

/// The probability that an arrival finds an M/M/1/K system full.
pub fn blocking_probability(rho: f64, k: u32) -> f64 {
    if (rho - 1.0).abs() < 1e-12 {
        return 1.0 / f64::from(k + 1);
    }
    // Divide through by ρ^(K+1) above 1 so that large K does not overflow.
    if rho > 1.0 {
        let r = 1.0 / rho;
        (1.0 - rho) * r / (r.powi(k as i32 + 1) - 1.0)
    } else {
        (1.0 - rho) * rho.powi(k as i32) / (1.0 - rho.powi(k as i32 + 1))
    }
}

/// The replications' fractions of requests rejected, with service 10 ms at `rate` and a
/// queue of `waiting` places.
pub fn measure(
    rate: f64,
    waiting: u32,
    replications: u32,
    duration: &str,
    threads: usize,
) -> Result<Vec<f64>, ConfigError> {
    let config = queue_config(
        "overload",
        r#"{ dist = "exponential", mean = "10ms" }"#,
        rate,
        1,
        u64::from(waiting),
        replications,
        duration,
    );
    let exp = experiment("overload", &config)?;
    Ok(reports(&exp, threads)[0]
        .iter()
        .map(|r| r.rejected as f64 / r.requests as f64)
        .collect())
}

fn checks(effort: Effort, threads: usize) -> Result<Vec<Check>, ConfigError> {
    let (reps, run) = effort.pick((12, "30m"), (12, "2h"));
    let mut out = Vec::new();
    for (rate, waiting) in [(150.0, 9), (125.0, 1000)] {
        let rho = rate * 0.010;
        out.push(t_check(
            format!("M/M/1/{} rho={rho} rejected fraction", waiting + 1),
            blocking_probability(rho, waiting + 1),
            measure(rate, waiting, reps, run, threads)?,
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocking_tends_to_the_excess_load() {
        assert!((blocking_probability(1.5, 10) - 0.33723).abs() < 1e-5);
        assert!((blocking_probability(1.25, 1001) - 0.2).abs() < 1e-15);
        assert!((blocking_probability(1.0, 9) - 0.1).abs() < 1e-12);
        // Below saturation a long queue almost never fills.
        assert!(blocking_probability(0.5, 20) < 1e-6);
    }
}
