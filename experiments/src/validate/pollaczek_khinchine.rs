//! M/G/1: Poisson arrivals at rate λ to one server with a FIFO queue and service times of
//! any distribution with mean E[S] and second moment E[S²]. With ρ = λE[S] < 1 the mean
//! response time is the Pollaczek-Khinchine formula
//!   W = E[S] + λ E[S²] / (2 (1 - ρ))
//! (Pollaczek 1930, Khinchine 1932; Kleinrock, Queueing Systems vol. 1, section 5.6).
//!
//! Checked: M/D/1 at ρ = 0.8 (constant 10 ms service: W = 30 ms) and M/G/1 with lognormal
//! service (median 5 ms, p99 30 ms, so E[S] = 6.72 ms, ρ = 0.67), each through the 99.9%
//! Student-t interval of the replications' mean response times.

use super::{Check, Effort, Scenario, experiment, queue_config, reports, t_check};
use sim_core::Dist;
use sim_core::config::ConfigError;

pub const SCENARIO: Scenario = Scenario {
    name: "Pollaczek-Khinchine",
    source: "M/G/1 mean response time (Kleinrock 1975, section 5.6)",
    run: checks,
};

/// Mean response time (s) of M/G/1 with `service` at `rate`, if the service time has a
/// finite second moment and the queue is stable.
pub fn mean_response(service: &Dist, rate: f64) -> Option<f64> {
    let (es, es2) = (service.mean()?, service.second_moment()?);
    let rho = rate * es;
    (rho < 1.0).then(|| es + rate * es2 / (2.0 * (1.0 - rho)))
}

/// The check for `service` (config text) at `rate`: the replications' mean response
/// times against Pollaczek-Khinchine.
pub fn check(
    label: &str,
    service: &str,
    rate: f64,
    effort: Effort,
    threads: usize,
) -> Result<Check, ConfigError> {
    let (reps, run) = effort.pick((12, "1h"), (12, "4h"));
    let config = queue_config("m-g-1", service, rate, 1, u64::from(u32::MAX), reps, run);
    let exp = experiment("pollaczek-khinchine", &config)?;
    let dist = &exp.cells[0].scenario.cluster.service;
    let expected = mean_response(dist, rate).map_or(f64::NAN, |w| 1000.0 * w);
    let samples = reports(&exp, threads)[0]
        .iter()
        .map(|r| r.latency_mean_ms.unwrap_or(f64::NAN))
        .collect();
    Ok(t_check(
        format!("{label} mean response (ms)"),
        expected,
        samples,
    ))
}

fn checks(effort: Effort, threads: usize) -> Result<Vec<Check>, ConfigError> {
    Ok(vec![
        check(
            "M/D/1 rho=0.8",
            r#"{ dist = "constant", value = "10ms" }"#,
            80.0,
            effort,
            threads,
        )?,
        check(
            "M/G/1 lognormal rho=0.67",
            r#"{ dist = "lognormal", median = "5ms", p99 = "30ms" }"#,
            100.0,
            effort,
            threads,
        )?,
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::SimDuration;

    #[test]
    fn deterministic_service_waits_half_as_long_as_exponential() {
        // M/D/1 at rho = 0.8: W = S + rho S / (2 (1 - rho)) = 10 ms + 20 ms.
        let d = Dist::constant(SimDuration::from_millis(10));
        assert!((mean_response(&d, 80.0).unwrap() - 0.030).abs() < 1e-12);
        // Exponential: E[S²] = 2 S², so W = S / (1 - rho) = 50 ms, as M/M/1.
        let e = Dist::exponential(SimDuration::from_millis(10));
        assert!((mean_response(&e, 80.0).unwrap() - 0.050).abs() < 1e-12);
        assert_eq!(mean_response(&e, 100.0), None, "rho = 1 is unstable");
    }
}
