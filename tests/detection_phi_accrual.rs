//! Phi accrual against its model: the detection time of a crash under steady heartbeats,
//! and the rate of false suspicions under jittered ones as the threshold rises.

use crate::common;

use sim_core::RunReport;
use sim_core::engine::math::{normal_cdf, normal_pdf};
use strategies::detect::phi_accrual::phi;

fn reports(text: &str) -> Vec<(String, RunReport)> {
    common::named_reports(&common::experiment(text))
}

/// The standardised silence at which Akka's phi reaches `threshold`, by bisection on the
/// phi formula itself (independent of the detector's closed form).
fn silence_at(threshold: f64) -> f64 {
    let (mut lo, mut hi) = (-10.0, 20.0);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if phi(mid, 0.0, 1.0) < threshold {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

#[test]
fn steady_heartbeats_detect_a_crash_at_mean_plus_pause_plus_y_sd() {
    // Heartbeats exactly i = 100 ms apart over a constant d = 5 ms: once the 20-sample
    // window holds only those (after 2 s; crashes count from 3 s), its mean is i and its
    // sd 0, floored to min_std_deviation = 20 ms. A server whose last heartbeat left U
    // before its crash is suspected d + i + pause + y(8) x 20 ms - U after it, where
    // y(8) = 5.226 solves phi = 8. Crashes fall uniformly within an interval (times to
    // failure uniform over 40 intervals), so the mean detection time is
    // d + i/2 + pause + y x 20 ms (+ up to 1 ns of rounding up), with variance i^2/12.
    let (i, d, pause, sd_floor, threshold) = (100.0, 5.0, 50.0, 20.0, 8.0);
    let config = r#"
[experiment]
name = "phi-detection"
seed = 23
replications = 8
duration = "60s"
warmup = "3s"

[cluster]
servers = 8
service = "1ms"

[workload]
arrivals = { kind = "poisson", rate = 5.0 }

[network]
delay = "5ms"

[faults]
crash = { mttf = { dist = "uniform", min = "3s", max = "7s" }, mttr = "1s" }

[strategies.phi]
detector = { kind = "phi-accrual", interval = "100ms", threshold = 8.0, max_sample_size = 20, min_std_deviation = "20ms", acceptable_heartbeat_pause = "50ms" }
"#;
    let y = silence_at(threshold);
    let mean = d + i / 2.0 + pause + y * sd_floor;
    let var = i * i / 12.0;
    let runs = reports(config);
    let (mut total, mut sum) = (0u64, 0.0);
    for (_, r) in &runs {
        // The only mistakes: each recovered server stays suspected until its first
        // heartbeat, sent at the recovery, arrives d later; one per crash, give or take
        // one per server at the window's edges.
        assert_eq!(r.mistake_duration_mean_ms, Some(d));
        assert!(
            r.false_suspicions.abs_diff(r.detections) <= 8,
            "{} mistakes, {} detections",
            r.false_suspicions,
            r.detections
        );
        assert_eq!(r.undetected_crashes, 0);
        total += r.detections;
        sum += r.detection_time_mean_ms.unwrap() * r.detections as f64;
        // Every detection time lies in (d + pause + y sd, d + i + pause + y sd]; the
        // histogram adds at most 0.1% to its p99.
        let p99 = r.detection_time_p99_ms.unwrap();
        let top = d + i + pause + y * sd_floor;
        assert!(p99 <= top * 1.001 && p99 > top - i, "p99 {p99}, top {top}");
    }
    let pooled = sum / total as f64;
    let se = (var / total as f64).sqrt();
    println!("phi detection mean {pooled:.3} ms, theory {mean:.3} ms, se {se:.3}, {total} crashes");
    assert!(
        (pooled - mean).abs() < 4.0 * se,
        "pooled mean {pooled:.3} ms, theory {mean:.3} ms, 4 se = {:.3} ms",
        4.0 * se
    );
}

/// The probability that a heartbeat interval outlasts the detector's deadline when the
/// inter-arrival times are Normal(mu, s) and the window holds only the intervals that
/// did not (Akka leaves those out): the window's mean and sd are those of the normal
/// truncated above at the deadline, c = mean_w + y sd_w, solved as a fixed point.
fn false_suspicion_probability(mu: f64, s: f64, y: f64) -> f64 {
    let (mut m, mut sd) = (mu, s);
    for _ in 0..500 {
        let b = (m + y * sd - mu) / s;
        let mills = normal_pdf(b) / normal_cdf(b);
        m = mu - s * mills;
        sd = s * (1.0 - b * mills - mills * mills).sqrt();
    }
    1.0 - normal_cdf((m + y * sd - mu) / s)
}

#[test]
fn false_suspicions_fall_as_the_threshold_rises() {
    // Heartbeats every 100 ms over a delay Normal(20 ms, 5 ms): the inter-arrival times
    // are i + D_k - D_(k-1), Normal(100 ms, 5 sqrt(2) ms) (the truncation of the delay at
    // 0 is 4 sd away). Eight servers for 280 s of measurement: 22,400 intervals per run.
    let config = r#"
[experiment]
name = "phi-thresholds"
seed = 5
replications = 4
duration = "300s"
warmup = "20s"

[cluster]
servers = 8
service = "1ms"

[workload]
arrivals = { kind = "poisson", rate = 1.0 }

[network]
delay = { dist = "normal", mean = "20ms", sd = "5ms" }

[strategies.phi1]
detector = { kind = "phi-accrual", interval = "100ms", threshold = 1.0, min_std_deviation = "1ms" }
[strategies.phi2]
detector = { kind = "phi-accrual", interval = "100ms", threshold = 2.0, min_std_deviation = "1ms" }
[strategies.phi3]
detector = { kind = "phi-accrual", interval = "100ms", threshold = 3.0, min_std_deviation = "1ms" }
[strategies.phi5]
detector = { kind = "phi-accrual", interval = "100ms", threshold = 5.0, min_std_deviation = "1ms" }
[strategies.phi8]
detector = { kind = "phi-accrual", interval = "100ms", threshold = 8.0, min_std_deviation = "1ms" }
"#;
    let runs = reports(config);
    let total = |name: &str| -> f64 {
        runs.iter()
            .filter(|(s, _)| s == name)
            .map(|(_, r)| r.false_suspicions as f64)
            .sum()
    };
    let counts: Vec<f64> = ["phi1", "phi2", "phi3", "phi5", "phi8"]
        .iter()
        .map(|n| total(n))
        .collect();
    println!("false suspicions over 4 runs at phi 1, 2, 3, 5, 8: {counts:?}");
    // Each step up in threshold cuts false suspicions by far more than the noise: the
    // next count is below the previous one minus 4 Poisson sd of the previous.
    for w in counts[..4].windows(2) {
        assert!(w[1] < w[0] - 4.0 * w[0].sqrt(), "{counts:?}");
    }
    assert_eq!(counts[4], 0.0, "phi 8: odds of 1e-8 per interval");

    // At thresholds 2 and 3 the counts match the model. Intervals per run: 22,400, so
    // 89,600 in all. Each interval that outlasts its deadline is one false suspicion
    // (trusted again at the next arrival). Neighbouring intervals share a delay and are
    // negatively correlated (rho = -1/2), so their exceedances are too, and the binomial
    // variance 89,600 p (1 - p) bounds the count's; tolerance 4 of its sd. Neglected:
    // the window's own estimation noise (sd of its sd about 2%), whose convexity raises
    // p by about 1% at phi 2 and 2% at phi 3, below a quarter of the tolerance.
    let intervals = 4.0 * 8.0 * 280.0 / 0.1;
    let (mu, s) = (100.0, 5.0 * 2f64.sqrt());
    for (count, threshold) in [(counts[1], 2.0), (counts[2], 3.0)] {
        let p = false_suspicion_probability(mu, s, silence_at(threshold));
        let expected = intervals * p;
        let sd = (intervals * p * (1.0 - p)).sqrt();
        println!("phi {threshold}: {count} false suspicions, model {expected:.1} +- {sd:.1}");
        assert!(
            (count - expected).abs() < 4.0 * sd,
            "phi {threshold}: {count} false suspicions, model {expected:.1}, 4 sd = {:.1}",
            4.0 * sd
        );
    }
}
