//! SWIM-style probing against its protocol: the detection time of a crash lies in
//! (probe_timeout + indirect_timeout - d, period + probe_timeout + indirect_timeout - d]
//! with the mean of a uniform law, and indirect probes through relays remove the false
//! suspicions a lossy path between the prober and a server causes, in the proportion
//! the loss arithmetic predicts.

use crate::common;

use sim_core::RunReport;

const PERIOD_MS: f64 = 200.0;
const PROBE_TIMEOUT_MS: f64 = 40.0;
const INDIRECT_TIMEOUT_MS: f64 = 60.0;
const DELAY_MS: f64 = 5.0;

fn reports(text: &str) -> Vec<(String, RunReport)> {
    common::named_reports(&common::experiment(text))
}

fn config(faults: &str, loss: f64, strategies: &str) -> String {
    format!(
        r#"
[experiment]
name = "swim"
seed = 31
replications = 4
duration = "60s"
warmup = "1s"

[cluster]
servers = 8
service = "1ms"

[workload]
arrivals = {{ kind = "poisson", rate = 2.0 }}

[network]
delay = "{DELAY_MS}ms"
loss = {loss}

[faults]
{faults}

{strategies}
"#
    )
}

fn swim(name: &str, k: u32) -> String {
    format!(
        "[strategies.{name}]\ndetector = {{ kind = \"swim\", period = \"{PERIOD_MS}ms\", probe_timeout = \"{PROBE_TIMEOUT_MS}ms\", indirect_timeout = \"{INDIRECT_TIMEOUT_MS}ms\", indirect_probes = {k} }}\n"
    )
}

#[test]
fn a_crash_is_detected_within_one_period_after_its_next_probe_round() {
    // A server answers every probe that reaches it before its crash at c; the first
    // probe round after c - d goes unanswered and the server is suspected
    // probe_timeout + indirect_timeout after that round began. Rounds start every
    // period at a fixed phase, and times to failure are uniform over 20 periods, so the
    // round start is uniform in (c - d, c - d + period]: detection times are uniform on
    // (95 ms, 295 ms], mean 195 ms, variance period^2 / 12.
    let faults = r#"crash = { mttf = { dist = "uniform", min = "1s", max = "5s" }, mttr = "1s" }"#;
    let runs = reports(&config(faults, 0.0, &swim("swim", 2)));
    let low = PROBE_TIMEOUT_MS + INDIRECT_TIMEOUT_MS - DELAY_MS;
    let high = low + PERIOD_MS;
    let mean = low + PERIOD_MS / 2.0;
    let (mut total, mut sum) = (0u64, 0.0);
    for (_, r) in &runs {
        // No loss: the only mistakes are recovered servers still suspected until a probe
        // reaching them after the recovery is acked, at most a period and two delays
        // later (plus relays' delays); one per crash, give or take one per server at the
        // window's edges.
        assert!(
            r.false_suspicions.abs_diff(r.detections) <= 8,
            "{} mistakes, {} detections",
            r.false_suspicions,
            r.detections
        );
        let mistake = r.mistake_duration_mean_ms.unwrap();
        assert!(
            mistake > DELAY_MS && mistake < PERIOD_MS + 2.0 * DELAY_MS,
            "mistakes of {mistake} ms on average"
        );
        assert_eq!(
            r.undetected_crashes, 0,
            "a repair of 1 s outlasts detection"
        );
        total += r.detections;
        sum += r.detection_time_mean_ms.unwrap() * r.detections as f64;
        let p99 = r.detection_time_p99_ms.unwrap();
        assert!(
            p99 <= high * 1.001 && p99 > low,
            "p99 {p99} outside ({low}, {high}]"
        );
    }
    let pooled = sum / total as f64;
    let se = PERIOD_MS / 12f64.sqrt() / (total as f64).sqrt();
    println!(
        "swim detection mean {pooled:.3} ms, theory {mean:.3} ms, se {se:.3}, {total} crashes"
    );
    assert!(
        (pooled - mean).abs() < 4.0 * se,
        "pooled mean {pooled:.3} ms, theory {mean:.3} ms, 4 se = {:.3} ms",
        4.0 * se
    );
}

/// Rounds whose suspicion deadline falls in the measured 59 s, over all runs.
fn rounds(servers: f64) -> f64 {
    4.0 * servers * 59.0 / (PERIOD_MS / 1000.0)
}

/// Mean and sd of the number of false-suspicion onsets in `n` rounds that each fail
/// independently with probability `f`: an onset is a failed round after an answered one,
/// p = (1 - f) f; neighbouring onsets exclude each other (covariance -p^2), so the
/// variance is n p (1 - 3p).
fn onsets(n: f64, f: f64) -> (f64, f64) {
    let p = (1.0 - f) * f;
    (n * p, (n * p * (1.0 - 3.0 * p)).sqrt())
}

#[test]
fn relays_route_around_a_lossy_path_to_the_monitor() {
    // Half the messages between the monitor and server 0 are lost, in each direction;
    // every other path is clean. A direct round then fails with probability
    // 1 - 0.5^2 = 0.75. Relays reach server 0 over server-to-server links and the monitor
    // over their own: with indirect probes no round of server 0 fails.
    let faults = r#"
[[faults.scripted]]
at = "0s"
kind = "loss"
server = 0
peer = "monitor"
probability = 0.5
"#;
    let strategies = format!("{}{}", swim("direct", 0), swim("indirect", 3));
    let runs = reports(&config(faults, 0.0, &strategies));
    let count = |name: &str| -> f64 {
        runs.iter()
            .filter(|(s, _)| s == name)
            .map(|(_, r)| r.false_suspicions as f64)
            .sum()
    };
    let (mean, sd) = onsets(rounds(1.0), 0.75);
    let (direct, indirect) = (count("direct"), count("indirect"));
    println!(
        "lossy path: {direct} false suspicions without relays (model {mean:.1} +- {sd:.1}), {indirect} with 3"
    );
    assert!(
        (direct - mean).abs() < 4.0 * sd,
        "{direct} vs {mean:.1} +- {sd:.1}"
    );
    assert_eq!(indirect, 0.0);
}

#[test]
fn relays_cut_false_suspicions_by_the_loss_arithmetic() {
    // Every message is lost with probability 0.1. A direct round fails with probability
    // 1 - 0.9^2 = 0.19; a relayed probe needs four messages, so it fails with
    // 1 - 0.9^4 = 0.3439, and a round with 3 relays fails with 0.19 x 0.3439^3 = 0.0077.
    let strategies = format!("{}{}", swim("direct", 0), swim("indirect", 3));
    let runs = reports(&config("", 0.1, &strategies));
    let count = |name: &str| -> f64 {
        runs.iter()
            .filter(|(s, _)| s == name)
            .map(|(_, r)| r.false_suspicions as f64)
            .sum()
    };
    let direct_fail = 1.0 - 0.9f64.powi(2);
    let relay_fail = 1.0 - 0.9f64.powi(4);
    for (name, f) in [
        ("direct", direct_fail),
        ("indirect", direct_fail * relay_fail.powi(3)),
    ] {
        let (mean, sd) = onsets(rounds(8.0), f);
        let n = count(name);
        println!("uniform loss, {name}: {n} false suspicions, model {mean:.1} +- {sd:.1}");
        assert!(
            (n - mean).abs() < 4.0 * sd,
            "{name}: {n} false suspicions, model {mean:.1}, 4 sd = {:.1}",
            4.0 * sd
        );
    }
}
