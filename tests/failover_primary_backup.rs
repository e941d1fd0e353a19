//! Primary/backup failover against availability arithmetic: with near-instant detection
//! a key range lacks a primary about as often as all its replicas are down, and each
//! crash of a primary costs its range detection time + promotion delay + propagation,
//! and the requests that arrive meanwhile.

use crate::common;

use crate::common::mean_ci;
use sim_core::RunReport;

fn reports(text: &str) -> Vec<(String, RunReport)> {
    common::named_reports(&common::experiment(text))
}

#[test]
fn a_range_lacks_a_primary_about_as_often_as_all_its_replicas_are_down() {
    // 8 servers, each up and down as a two-state Markov process (MTTF 2 s, MTTR 1 s,
    // down a fraction q = 1/3 of the time); 8 ranges on servers (r, r+1). With instant
    // detection and promotion a range has no primary exactly when both its replicas are
    // down: q^2 = 1/9. Detection here takes D = timeout - U (heartbeats every 10 ms,
    // timeout 20 ms, no network delay), mean 15 ms, during which a crashed primary leaves
    // its range without one although the backup is up: to first order in D / MTTF that
    // adds (1 - q)^2 E[D] / MTTF = 0.00333 (the range's current primary crashes at rate
    // 1 / MTTF while both replicas are up).
    //
    // Tolerance: the indicator "both replicas of range r down" has autocovariance
    // C(t) = 2 q^3 (1-q) e^(-rt) + q^2 (1-q)^2 e^(-2rt), r = 1/MTTF + 1/MTTR, and
    // neighbouring ranges (sharing a server) cross-covariance q^3 (1-q) e^(-rt); the mean
    // over n ranges in a ring, averaged over total time T, has variance
    // 2 (J + 2K) / (n T), J = 2 q^3 (1-q) / r + q^2 (1-q)^2 / (2r), K = q^3 (1-q) / r.
    // Allowed: 4 sd, plus the neglected second-order terms (D / MTTF)^2 ~ 6e-5.
    let config = r#"
[experiment]
name = "failover-availability"
seed = 41
replications = 8
duration = "1000s"
warmup = "10s"

[cluster]
servers = 8
service = "1ms"

[workload]
arrivals = { kind = "poisson", rate = 1.0 }
keys = { count = 8 }

[faults]
crash = { mttf = { dist = "exponential", mean = "2s" }, mttr = { dist = "exponential", mean = "1s" } }

[strategies.pb]
detector = { kind = "fixed-timeout", interval = "10ms", timeout = "20ms" }
routing = { kind = "primary-backup", ranges = 8, replicas = 2 }
"#;
    let (mttf, mttr, detection): (f64, f64, f64) = (2.0, 1.0, 0.015);
    let q = mttr / (mttf + mttr);
    let r = 1.0 / mttf + 1.0 / mttr;
    let expected = q * q + (1.0 - q).powi(2) * detection / mttf;
    let runs = reports(config);
    let values: Vec<f64> = runs
        .iter()
        .map(|(_, r)| r.range_unavailability.unwrap())
        .collect();
    let (mean, _, _) = mean_ci(&values, 0.95);
    let j = 2.0 * q.powi(3) * (1.0 - q) / r + q * q * (1.0 - q).powi(2) / (2.0 * r);
    let k = q.powi(3) * (1.0 - q) / r;
    let total_time = 990.0 * values.len() as f64;
    let sd = (2.0 * (j + 2.0 * k) / (8.0 * total_time)).sqrt();
    println!(
        "range unavailability {mean:.5}, all replicas down {:.5}, with detection {expected:.5}, sd {sd:.5}",
        q * q
    );
    assert!(
        (mean - expected).abs() < 4.0 * sd + 6e-5,
        "range unavailability {mean:.5}, theory {expected:.5}, 4 sd = {:.5}",
        4.0 * sd
    );
    for (_, r) in &runs {
        assert!(r.failovers > 0 && r.failbacks == 0, "stay: no failback");
    }
}

#[test]
fn each_primary_crash_costs_detection_plus_promotion_delay_plus_propagation() {
    // Server 0, primary of range 0 (keys 0..250 of 1000) and backup of range 3, crashes
    // at 1 s for 1 s. Heartbeats every i = 100 ms at a random phase, constant delay
    // d = 5 ms, timeout T = 300 ms: the monitor suspects it after d + T - U, U uniform on
    // [0, i); the backup takes over promotion_delay D = 200 ms later, and the clients
    // learn both after the propagation delay P. Range 0 is without a usable primary for
    // exactly detection + D + P, whose mean is d + T - i/2 + D + P (sd i / sqrt(12) per
    // run).
    //
    // Requests for range 0 (100/s) are lost while that lasts: those sent to the dead
    // primary before the clients suspect it time out, those issued before the promotion
    // reaches them find no primary. Add those in flight at the crash: in transit (100/s
    // x d) or at the server (M/D/1 at load 0.1: L = 0.1 + 0.01 / 1.8). Their count is
    // Poisson given the window, whose length varies with U: variance
    // 100 E[W] + 100^2 i^2 / 12 per run; tolerance 4 sd over all runs.
    let config = r#"
[experiment]
name = "failover-cost"
seed = 43
replications = 100
duration = "3s"

[cluster]
servers = 4
service = "1ms"

[workload]
arrivals = { kind = "poisson", rate = 400.0 }
keys = { count = 1000 }
timeout = "1s"

[network]
delay = "5ms"

[[faults.scripted]]
at = "1s"
kind = "crash"
server = 0
for = "1s"

[strategies.stay]
detector = { kind = "fixed-timeout", interval = "100ms", timeout = "300ms" }
routing = { kind = "primary-backup", ranges = 4, replicas = 2, promotion_delay = "200ms", failback = "stay" }

[strategies.return]
detector = { kind = "fixed-timeout", interval = "100ms", timeout = "300ms" }
routing = { kind = "primary-backup", ranges = 4, replicas = 2, promotion_delay = "200ms", failback = "return" }

[strategies.propagated]
detector = { kind = "fixed-timeout", interval = "100ms", timeout = "300ms", propagation = "50ms" }
routing = { kind = "primary-backup", ranges = 4, replicas = 2, promotion_delay = "200ms", failback = "return" }
"#;
    let (i, d, timeout, delay): (f64, f64, f64, f64) = (0.1, 0.005, 0.3, 0.2);
    let rate = 100.0;
    let in_server = 0.1 + 0.01 / 1.8;
    let runs = reports(config);
    for (name, propagation, failbacks) in [
        ("stay", 0.0, 0),
        ("return", 0.0, 1),
        ("propagated", 0.05, 1),
    ] {
        let mine: Vec<&RunReport> = runs
            .iter()
            .filter(|(s, _)| s == name)
            .map(|(_, r)| r)
            .collect();
        let mut outage = Vec::new();
        let mut lost = 0.0;
        for r in &mine {
            assert_eq!((r.crashes, r.detections), (1, 1));
            assert_eq!(r.failovers, 1, "{name}: range 0 fails over once");
            assert_eq!(r.failbacks, failbacks, "{name}");
            let detection = r.detection_time_mean_ms.unwrap() / 1000.0;
            let without = r.time_without_primary_s.unwrap();
            // Exactly, up to the nanosecond clock and float printing.
            assert!(
                (without - (detection + delay + propagation)).abs() < 1e-8,
                "{name}: {without} s without primary, detection {detection} s"
            );
            // Only range 0 fails: every failed request is one lost to the failover.
            assert_eq!(r.failed, r.lost_in_failover, "{name}");
            outage.push(without);
            lost += r.lost_in_failover as f64;
        }
        let n = mine.len() as f64;
        let mean_outage = outage.iter().sum::<f64>() / n;
        let expected_outage = d + timeout - i / 2.0 + delay + propagation;
        let se = i / 12f64.sqrt() / n.sqrt();
        assert!(
            (mean_outage - expected_outage).abs() < 4.0 * se,
            "{name}: mean outage {mean_outage:.4} s, theory {expected_outage:.4} s, 4 se {:.4}",
            4.0 * se
        );
        let window = d + expected_outage;
        let expected_lost = n * (rate * window + in_server);
        let sd = (n * (rate * window + rate * rate * i * i / 12.0)).sqrt();
        println!(
            "{name}: outage {mean_outage:.4} s (theory {expected_outage:.4}), lost {lost} (theory {expected_lost:.1} +- {sd:.1})"
        );
        assert!(
            (lost - expected_lost).abs() < 4.0 * sd,
            "{name}: {lost} requests lost, theory {expected_lost:.1}, 4 sd {:.1}",
            4.0 * sd
        );
    }
}
