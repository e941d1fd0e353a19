//! Checkpoint interval against the theory of Young (1974) and Daly (2006): the time a
//! batch job wastes (its completion time minus its length) is U-shaped in the checkpoint
//! interval τ, with its minimum near Young's sqrt(2 C M).
//!
//! The exact expectation the simulator must meet: failures are Poisson with rate 1/M
//! while a server is exposed (working, checkpointing or restoring); each costs the
//! downtime D (not exposed) and a restore R (exposed). A segment that needs an
//! uninterrupted exposed span a then takes (e^(a/M) - 1) e^(R/M) (M + D) on average
//! (Daly, "A higher order estimate of the optimum checkpoint interval for restart dumps",
//! FGCS 2006, eq. 20, derived by conditioning on the first failure). A job of length L
//! with interval τ is ceil(L/τ) - 1 segments of τ + C and a last one of the rest, with no
//! checkpoint after it.
//!
//! Checked: the mean waste of 60 replications of 8 jobs at Daly's exact optimum and at
//! half and twice Young's interval, each within 4 standard errors of the exact
//! expectation (CLT; the standard error from the replications' own spread).

use super::{Check, Effort, Scenario, experiment, mean_ci, reports};
use sim_core::config::ConfigError;

pub const SCENARIO: Scenario = Scenario {
    name: "Young/Daly checkpoints",
    source: "expected completion time of a checkpointed job (Young 1974; Daly 2006, eq. 20)",
    run: checks,
};

/// MTBF (exponential), seconds.
pub const M: f64 = 3600.0;
/// Checkpoint cost, seconds.
pub const C: f64 = 60.0;
/// Downtime per failure (constant), seconds.
pub const D: f64 = 60.0;
/// Restore time, seconds.
pub const R: f64 = 30.0;
/// Job length: 50 hours.
pub const L: f64 = 180_000.0;
/// Servers, each running one job.
pub const SERVERS: u32 = 8;

/// Expected time to complete a segment needing an uninterrupted exposed span `a`.
pub fn segment(a: f64) -> f64 {
    ((a / M).exp() - 1.0) * (R / M).exp() * (M + D)
}

/// Expected waste of the job with interval `tau` (exact, see the module doc).
pub fn expected_waste(tau: f64) -> f64 {
    let segments = (L / tau).ceil();
    let full = segments - 1.0;
    full * segment(tau + C) + segment(L - full * tau) - L
}

/// Daly's waste model with a continuous number of segments, L/τ.
pub fn daly_waste(tau: f64) -> f64 {
    L / tau * segment(tau + C) - L
}

/// The exact optimum of Daly's model: the root of e^((τ + C)/M) (1 - τ/M) = 1.
pub fn exact_optimum() -> f64 {
    let g = |t: f64| ((t + C) / M).exp() * (1.0 - t / M) - 1.0;
    let (mut lo, mut hi) = (1.0, M);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if g(mid) > 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

/// The experiment: `SERVERS` jobs of length `L` per run, `replications` runs, with the
/// given strategy tables and sweep.
pub fn config(replications: u32, strategies: &str, sweep: &str) -> String {
    format!(
        r#"
[experiment]
name = "young-daly"
seed = 2006
replications = {replications}
duration = "1000h"

[cluster]
servers = {SERVERS}
service = "1ms"
state = {{ restore = "{R}s" }}

[workload]
arrivals = {{ kind = "batch", length = "{L}s" }}

[faults]
crash = {{ mttf = {{ dist = "exponential", mean = "{M}s" }}, mttr = {{ dist = "constant", value = "{D}s" }} }}

{strategies}

{sweep}
"#
    )
}

fn checks(effort: Effort, threads: usize) -> Result<Vec<Check>, ConfigError> {
    let replications = effort.pick(60, 240);
    let young = (2.0 * C * M).sqrt();
    // Intervals to the millisecond, as the config states them.
    let ms = |t: f64| (t * 1000.0).round();
    let intervals = [ms(exact_optimum()), ms(young / 2.0), ms(2.0 * young)];
    let values: Vec<String> = intervals.iter().map(|t| format!("\"{t}ms\"")).collect();
    let text = config(
        replications,
        r#"[strategies.p]
detector = { kind = "fixed-timeout", interval = "1h", timeout = "3h" }
checkpoint = { kind = "periodic", interval = "10m", cost = "60s", during = "pause" }"#,
        &format!(
            "[sweep]\n\"strategies.p.checkpoint.interval\" = [{}]",
            values.join(", ")
        ),
    );
    let exp = experiment("young-daly", &text)?;
    // One strategy: its reports come in run order, cell by cell.
    let runs: Vec<(u32, f64)> = exp
        .runs()
        .zip(reports(&exp, threads).remove(0))
        .map(|(k, r)| (k.cell, r.job_waste_mean_s.unwrap_or(f64::NAN)))
        .collect();
    let by_cell = |cell: u32| -> Vec<f64> {
        runs.iter()
            .filter(|(c, _)| *c == cell)
            .map(|(_, w)| *w)
            .collect()
    };
    Ok(intervals
        .iter()
        .enumerate()
        .map(|(cell, &t_ms)| {
            let tau = t_ms / 1000.0;
            let samples = by_cell(cell as u32);
            let (mean, sd, _) = mean_ci(&samples, 0.95);
            let n = samples.len();
            Check {
                scenario: format!("checkpoint every {tau:.1}s, MTBF 1h, cost 60s: job waste (s)"),
                expected: expected_waste(tau),
                measured: mean,
                tolerance: 4.0 * sd / (n as f64).sqrt(),
                basis: format!(
                    "4 standard errors of the mean of {n} replications of {SERVERS} jobs"
                ),
                samples,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn daly_s_optimum_sits_below_young_s() {
        let optimum = exact_optimum();
        assert!((optimum - 617.89).abs() < 0.01, "{optimum}");
        let young = (2.0 * C * M).sqrt();
        let x = C / (2.0 * M);
        let daly = young * (1.0 + x.sqrt() / 3.0 + x / 9.0) - C;
        assert!((daly / optimum - 1.0).abs() < 0.002);
        assert!(expected_waste(optimum) < expected_waste(young / 2.0));
        assert!(expected_waste(optimum) < expected_waste(2.0 * young));
    }
}
