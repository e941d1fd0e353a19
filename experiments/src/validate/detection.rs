//! Detection delay of a fixed-timeout failure detector. Servers send heartbeats every
//! `interval` over a network with a constant one-way delay d; the monitor suspects a
//! server 1 ns past its deadline, `timeout` after the last heartbeat arrived (a heartbeat
//! landing on the deadline keeps it trusted). A crash at time c cuts the stream after a
//! heartbeat sent at c - U, where U, the crash's phase within the heartbeat period, is
//! uniform on [0, interval) (times to failure are exponential with a mean far above the
//! interval). That heartbeat arrives at c - U + d, so the crash is suspected after
//! timeout + d - U + 1 ns: on average
//!   E[detection] = timeout + d - interval / 2 + 1 ns,   sd = interval / sqrt(12)
//! (Chen, Toueg and Aguilera, "On the quality of service of failure detectors", IEEE
//! Transactions on Computers 2002, for the heartbeat model).
//!
//! Checked: the mean over every detection of every replication, within 4 standard
//! deviations of the pooled mean (interval / sqrt(12 K) for K detections); and that every
//! mistake lasts exactly d: heartbeat gaps (the interval) never reach the timeout, so the
//! only mistakes are recovered servers still suspected until their first heartbeat, sent
//! at the recovery, arrives.

use super::{Check, Effort, Scenario, experiment, reports};
use sim_core::config::ConfigError;

pub const SCENARIO: Scenario = Scenario {
    name: "fixed-timeout detection delay",
    source: "heartbeat detector with constant delay, uniform crash phase (Chen, Toueg and Aguilera 2002)",
    run: checks,
};

/// Mean time (s) from a crash to its suspicion.
pub fn mean_detection(timeout: f64, interval: f64, delay: f64) -> f64 {
    timeout + delay - interval / 2.0 + 1e-9
}

fn checks(effort: Effort, threads: usize) -> Result<Vec<Check>, ConfigError> {
    let (interval, timeout, delay) = (0.100, 0.500, 0.005);
    let (reps, duration) = effort.pick((8, "30m"), (8, "2h"));
    let config = format!(
        r#"
[experiment]
name = "detection"
seed = 5
replications = {reps}
duration = "{duration}"

[cluster]
servers = 4
service = {{ dist = "constant", value = "1ms" }}

[workload]
arrivals = {{ kind = "poisson", rate = 1.0 }}

[network]
delay = "5ms"

[faults]
crash = {{ mttf = {{ dist = "exponential", mean = "20s" }}, mttr = "2s" }}

[strategies.fixed]
detector = {{ kind = "fixed-timeout", interval = "100ms", timeout = "500ms" }}
"#
    );
    let exp = experiment("detection", &config)?;
    let runs = &reports(&exp, threads)[0];
    let detections: u64 = runs.iter().map(|r| r.detections).sum();
    let total_ms: f64 = runs
        .iter()
        .map(|r| r.detection_time_mean_ms.unwrap_or(0.0) * r.detections as f64)
        .sum();
    let sd_ms = 1000.0 * interval / 12f64.sqrt();
    let false_suspicions: u64 = runs.iter().map(|r| r.false_suspicions).sum();
    let mistakes_ms: f64 = runs
        .iter()
        .map(|r| r.mistake_duration_mean_ms.unwrap_or(0.0) * r.false_suspicions as f64)
        .sum();
    Ok(vec![
        Check {
            scenario: "fixed timeout 500ms, heartbeat 100ms, delay 5ms: detection (ms)".into(),
            expected: 1000.0 * mean_detection(timeout, interval, delay),
            measured: total_ms / detections as f64,
            tolerance: 4.0 * sd_ms / (detections as f64).sqrt(),
            basis: format!(
                "4 sd of the mean of {detections} detections, each with sd interval/sqrt(12)"
            ),
            samples: runs
                .iter()
                .filter_map(|r| r.detection_time_mean_ms)
                .collect(),
        },
        Check {
            scenario: "fixed timeout, constant delay: mistake duration (ms)".into(),
            expected: 1000.0 * delay,
            measured: mistakes_ms / false_suspicions.max(1) as f64,
            tolerance: 1e-9,
            basis: format!(
                "exact: heartbeat gaps never reach the timeout; each of the {false_suspicions} mistakes is a recovered server awaiting its first heartbeat"
            ),
            samples: runs
                .iter()
                .filter_map(|r| r.mistake_duration_mean_ms)
                .collect(),
        },
    ])
}
