//! Client-side failover when attempts time out. Of two servers, server 0 is crashed for
//! the whole run and the failure detector is too slow to notice (a one-hour timeout), so
//! routing keeps choosing it; only the per-attempt timeout (20 ms) tells the client.
//! With random routing and two attempts each attempt independently lands on the dead
//! server with probability 1/2: success 1 - 1/4 = 0.75. With failover the retry goes to
//! the server the request has not tried: every request succeeds. Tolerance: 4 binomial sd.
//!
//! Second case: server 0 is alive but 50 times slower (50 ms instead of 1 ms). Attempts
//! on it time out after 10 ms and are retried on server 1; their answers still come, 40 ms
//! later, and are ignored: each timed-out attempt yields one late answer (but for those
//! still on their way when the run ends), and every request succeeds within 10 ms + 1 ms.

use crate::common;

use sim_core::RunReport;

fn reports(config: &str) -> Vec<RunReport> {
    common::run_reports(&common::experiment(config))
}

const BASE: &str = r#"
[experiment]
name = "timeouts"
seed = 12
duration = "60s"

[cluster]
servers = 2
workers = 32
service = { dist = "constant", value = "1ms" }

[workload]
arrivals = { kind = "poisson", rate = 100.0 }
timeout = "1s"
"#;

#[test]
fn timed_out_attempts_fail_over_to_a_server_not_tried() {
    let config = format!(
        r#"{BASE}
[[faults.scripted]]
at = "0s"
kind = "crash"
server = 0

[strategies.independent]
detector = {{ kind = "fixed-timeout", timeout = "1h" }}
routing = {{ kind = "random" }}
retry = {{ kind = "fixed", delay = "0s", max_attempts = 2, attempt_timeout = "20ms", failover = false }}

[strategies.failover]
detector = {{ kind = "fixed-timeout", timeout = "1h" }}
routing = {{ kind = "random" }}
retry = {{ kind = "fixed", delay = "0s", max_attempts = 2, attempt_timeout = "20ms" }}
"#
    );
    let r = reports(&config);
    let (independent, failover) = (&r[0], &r[1]);
    let n = independent.requests as f64;
    let a = independent.availability.unwrap();
    assert!(
        (a - 0.75).abs() < 4.0 * (0.75 * 0.25 / n).sqrt(),
        "success {a:.4} without failover, theory 0.75"
    );
    // Failures there are second attempts timing out too: the request ends at once.
    assert_eq!(independent.timed_out, independent.requests - independent.ok);
    assert_eq!(
        failover.ok, failover.requests,
        "failover after a timeout always works"
    );
    // Exactly the requests whose first attempt went to server 0 timed out once.
    assert_eq!(failover.attempt_timeouts, failover.retries);
    assert_eq!(failover.late_answers, 0, "a crashed server never answers");
}

#[test]
fn answers_after_an_attempt_timeout_are_ignored_and_counted() {
    let config = format!(
        r#"{BASE}
[[faults.scripted]]
at = "0s"
kind = "slow"
server = 0
factor = 50.0

[strategies.failover]
routing = {{ kind = "round-robin" }}
retry = {{ kind = "fixed", delay = "0s", max_attempts = 2, attempt_timeout = "10ms" }}
"#
    );
    let r = &reports(&config)[0];
    assert_eq!(r.ok, r.requests);
    // Round-robin sends every other attempt to server 0, and each of those times out.
    assert!(
        r.attempt_timeouts * 3 > r.requests,
        "{} of {}",
        r.attempt_timeouts,
        r.requests
    );
    // Answers of attempts sent in the last 50 ms arrive after the run has ended (it stops
    // once every request has its outcome): about 50/s x 0.05 s = 2.5 of them, Poisson,
    // at most 10 at 4 sd.
    assert!(r.late_answers <= r.attempt_timeouts);
    assert!(
        r.attempt_timeouts - r.late_answers <= 10,
        "{} late answers for {} timed-out attempts",
        r.late_answers,
        r.attempt_timeouts
    );
    assert!(
        r.latency_p999_ms.unwrap() < 11.02,
        "p99.9 {:?}",
        r.latency_p999_ms
    );
}
