//! Extreme but valid input works, with numbers to show it: one server and ten thousand,
//! ten million requests in one run, load at and beyond saturation with a finite queue, a
//! repair time longer than the run, every server down at once, and a run of 584 years.
//! (Input beyond the limits is refused clearly: see `bad_input.rs`.)

use crate::common::{experiment, mean_ci};
use experiments::validate::overload::{blocking_probability, measure};
use sim_core::model::trace::TraceFilter;
use sim_core::{RunReport, SimDuration};

fn run(config: &str) -> Vec<RunReport> {
    let exp = experiment(config);
    experiments::validate::reports(&exp, 2).remove(0)
}

#[test]
fn ten_thousand_servers_share_the_load_evenly() {
    // 10,000 servers, round-robin over a stable view: every server receives its turn, so
    // the busiest gets at most one attempt more than the mean of 50000 x 9 s / 10000 = 45
    // attempts; nothing fails at load 0.05.
    let reports = run(r#"
[experiment]
duration = "10s"
warmup = "1s"

[cluster]
servers = 10000
service = { dist = "exponential", mean = "10ms" }

[workload]
arrivals = { kind = "poisson", rate = 50000.0 }

[strategies.rr]
detector = { kind = "fixed-timeout", interval = "1s", timeout = "3s" }
"#);
    let r = &reports[0];
    assert_eq!(r.ok, r.requests);
    // Poisson count of mean 450000, sd 671: within 5 sd.
    assert!(
        (r.requests as f64 - 450_000.0).abs() < 5.0 * 671.0,
        "{}",
        r.requests
    );
    let mean = r.requests as f64 / 10_000.0;
    let imbalance = r.load_imbalance.unwrap();
    assert!(
        imbalance <= (mean.ceil() + 1.0) / mean,
        "busiest server {imbalance} x the mean of {mean}"
    );
}

#[test]
fn ten_million_requests_run_in_one_run() {
    // 100,000 requests/s for 100 s over 20 servers at load 0.5: a Poisson count of mean
    // 10^7 (sd 3162), all served. Measured: about 5 s in release on one core (see also
    // memory_flat.rs: memory does not grow with requests).
    let reports = run(r#"
[experiment]
duration = "100s"

[cluster]
servers = 20
service = { dist = "exponential", mean = "100us" }

[workload]
arrivals = { kind = "poisson", rate = 100000.0 }
timeout = "10s"

[strategies.rr]
detector = { kind = "fixed-timeout", interval = "1s", timeout = "3s" }
"#);
    let r = &reports[0];
    assert!(
        (r.requests as f64 - 1e7).abs() < 5.0 * 3162.3,
        "{}",
        r.requests
    );
    assert_eq!(r.ok, r.requests);
}

#[test]
fn one_server_at_and_beyond_saturation_rejects_the_blocking_probability() {
    // M/M/1/K at rho = 1 (every queue length equally likely: P_K = 1/(K + 1)) and at
    // rho = 2 (P_K -> 1 - 1/rho = 1/2). Tolerance: the 99.9% Student-t interval of 12
    // replications of 10 minutes.
    for (rate, waiting) in [(100.0, 19), (200.0, 49)] {
        let rho = rate * 0.010;
        let expected = blocking_probability(rho, waiting + 1);
        let fractions = measure(rate, waiting, 12, "10m", 2).unwrap();
        let (mean, _, half) = mean_ci(&fractions, 0.999);
        println!(
            "rho {rho}, K {}: rejected {mean:.4} ± {half:.4}, theory {expected:.4}",
            waiting + 1
        );
        assert!(
            (mean - expected).abs() <= half,
            "rho {rho}: rejected {mean:.4} ± {half:.4}, theory {expected:.4}"
        );
    }
    assert!((blocking_probability(1.0, 20) - 1.0 / 21.0).abs() < 1e-12);
    assert!((blocking_probability(2.0, 50) - 0.5).abs() < 1e-12);
}

#[test]
fn a_repair_longer_than_the_run_leaves_the_server_up_until_its_first_crash() {
    // With MTTR far beyond the run, each server is up exactly from the start to its first
    // crash: server availability is the time to the first crash over the run, capped at
    // the run, averaged over servers. Checked exactly against the crash times in each
    // run's trace, and on average against E[min(T1, T)] / T = (MTTF/T)(1 - e^(-T/MTTF))
    // for exponential T1 (0.5 x (1 - e^-2) = 0.4323 for MTTF 30 s over T = 60 s).
    let exp = experiment(
        r#"
[experiment]
replications = 40
duration = "60s"

[cluster]
servers = 3
service = { dist = "constant", value = "1ms" }

[workload]
arrivals = { kind = "poisson", rate = 5.0 }

[faults]
crash = { mttf = { dist = "exponential", mean = "30s" }, mttr = "1000h" }
"#,
    );
    let mut fractions = Vec::new();
    for key in exp.runs() {
        let cell = exp.cell(key);
        let mut trace = Vec::new();
        let r = sim_core::simulate_traced(
            &cell.scenario,
            exp.strategy(key),
            exp.run_seed(key),
            &mut trace,
            TraceFilter::default(),
        )
        .unwrap()
        .report;
        let text = String::from_utf8(trace).unwrap();
        let mut up = [60.0f64; 3];
        for line in text.lines().filter(|l| l.ends_with(" crash")) {
            let mut words = line.split(' ');
            let at = SimDuration::parse(words.next().unwrap())
                .unwrap()
                .as_secs_f64();
            let server: usize = words.next().unwrap()["server-".len()..].parse().unwrap();
            up[server] = up[server].min(at);
        }
        let expected = up.iter().sum::<f64>() / (3.0 * 60.0);
        assert!(
            (r.server_availability - expected).abs() < 1e-9,
            "{}: {} vs {expected}",
            exp.run_id(key),
            r.server_availability
        );
        assert_eq!(text.lines().filter(|l| l.ends_with(" recover")).count(), 0);
        fractions.push(r.server_availability);
    }
    let (mean, _, half) = mean_ci(&fractions, 0.999);
    let expected = 0.5 * (1.0 - (-2.0f64).exp());
    assert!(
        (mean - expected).abs() <= half,
        "{mean:.4} ± {half:.4} vs {expected:.4}"
    );
}

#[test]
fn every_server_down_at_once_fails_exactly_the_requests_of_the_outage() {
    // All 4 servers crash at 20 s for 10 s. A request created in the outage fails: it
    // times out if routed before the detector suspects the servers (about timeout -
    // interval/2 + delay = 251 ms), else it is unavailable at once; so does one created
    // in the 1 ms after the recovery before the first heartbeat arrives. Requests in
    // service at the crash (1 ms each) are lost. Everything else succeeds. So failures
    // are a Poisson count of mean 200/s x 10.001 s = 2000.2 (sd 44.7) plus the few in
    // flight; time-outs about 200/s x 0.251 s = 50. Server availability is exactly
    // 1 - 10/50 over the 50 s window.
    let reports = run(r#"
[experiment]
replications = 4
duration = "60s"
warmup = "10s"

[cluster]
servers = 4
service = { dist = "constant", value = "1ms" }

[workload]
arrivals = { kind = "poisson", rate = 200.0 }
timeout = "1s"

[network]
delay = "1ms"

[[faults.scripted]]
at = "20s"
for = "10s"
kind = "crash"
servers = "all"

[strategies.s]
detector = { kind = "fixed-timeout", interval = "100ms", timeout = "300ms" }
"#);
    for r in &reports {
        assert!(
            (r.server_availability - 0.8).abs() < 1e-12,
            "{}",
            r.server_availability
        );
        assert_eq!(r.rejected, 0);
        let failed = r.failed as f64;
        assert!(
            (failed - 2000.2).abs() < 5.0 * 44.7 + 4.0,
            "failed {failed}, expected 2000 ± 224"
        );
        // Time-outs: a Poisson count over about 251 ms (sd 7), within 5 sd.
        assert!(
            (r.timed_out as f64 - 50.2).abs() < 5.0 * 7.1,
            "timed out {}",
            r.timed_out
        );
        assert_eq!(r.unavailable, r.failed - r.timed_out);
        assert_eq!(r.crashes, 4);
        assert_eq!(r.detections, 4);
    }
}

#[test]
fn a_run_of_584_years_finishes() {
    // The longest duration a nanosecond clock holds (213503 days), at a rate low enough
    // for a few requests: the clock saturates instead of wrapping and every number is
    // sane. Arrivals at 1e-9/s over 1.845e10 s: a Poisson count of mean 18.4.
    let reports = run(r#"
[experiment]
duration = "213503d"

[cluster]
servers = 2
service = "1ms"

[workload]
arrivals = { kind = "poisson", rate = 1e-9 }

[strategies.s]
detector = { kind = "fixed-timeout", interval = "1000d", timeout = "3000d" }
"#);
    let r = &reports[0];
    assert!(r.requests > 0 && r.requests < 60, "{}", r.requests);
    assert_eq!(r.ok, r.requests);
    assert_eq!(r.server_availability, 1.0);
}
