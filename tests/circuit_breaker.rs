//! Circuit breakers at exact times. One client, two servers a millisecond away, server 0
//! answering every request with an error from 1 s to 3 s, retries failing over to the
//! other server. A `consecutive` breaker (3 failures, open 500 ms, one trial) must open at
//! the client the instant the third error from server 0 arrives, keep every attempt away
//! from server 0 for exactly 500 ms, then let one trial through: a failed trial opens it
//! again for 500 ms, a successful one (after 3 s) closes it. Nothing here is random
//! except the arrival times, which the test reads from the trace, so every instant is
//! checked to the nanosecond.

use crate::common;
use crate::common::Variant;

use crate::common::trace_time_ns;
use experiments::Experiment;
use sim_core::RunReport;

const CONFIG: &str = r#"
[experiment]
name = "breaker"
seed = 4
duration = "5s"

[cluster]
servers = 2
workers = 4
service = { dist = "constant", value = "2ms" }

[workload]
arrivals = { kind = "poisson", rate = 50.0 }
timeout = "1s"

[network]
delay = "1ms"

[[faults.scripted]]
at = "1s"
kind = "error"
server = 0
for = "2s"

[strategies.consecutive]
routing = { kind = "round-robin" }
retry = { kind = "fixed", delay = "0s", max_attempts = 2 }
circuit_breaker = { kind = "consecutive", failures = 3, open_for = "500ms" }
"#;

const MS: u64 = 1_000_000;

fn trace_and_report(exp: &Experiment) -> (String, RunReport) {
    let (report, trace) = common::traced_first_run(exp);
    (trace, report)
}

#[test]
fn a_breaker_opens_at_the_threshold_and_half_opens_after_its_open_period() {
    let (trace, report) = trace_and_report(&common::experiment(CONFIG));
    let errors: Vec<u64> = trace
        .lines()
        .filter(|l| l.contains("client-0 recv response") && l.contains("server=0 status=error"))
        .map(trace_time_ns)
        .collect();
    let half_opens: Vec<u64> = trace
        .lines()
        .filter(|l| l.contains("breaker-half-open server=0"))
        .map(trace_time_ns)
        .collect();
    let arrivals_at_0: Vec<u64> = trace
        .lines()
        .filter(|l| l.contains("server-0 recv request"))
        .map(trace_time_ns)
        .collect();

    // Replay the rule on the trace: the third error opens, and after each half-open the
    // first error (the failed trial) opens again.
    let mut expected_opens = vec![errors[2]];
    for &h in &half_opens {
        if let Some(&e) = errors.iter().find(|&&e| e > h) {
            expected_opens.push(e);
        }
    }
    assert!(half_opens.len() >= 2, "trials fail while the fault lasts");
    assert_eq!(
        expected_opens.len(),
        half_opens.len(),
        "every opening half-opens once"
    );
    for (open, half_open) in expected_opens.iter().zip(&half_opens) {
        assert_eq!(
            *half_open,
            open + 500 * MS,
            "half-open exactly 500 ms after opening"
        );
        // Attempts sent while it is open would reach server 0 one millisecond later.
        let leaked: Vec<_> = arrivals_at_0
            .iter()
            .filter(|&&t| t > open + MS && t < half_open + MS)
            .collect();
        assert!(
            leaked.is_empty(),
            "attempts reached server 0 while open: {leaked:?}"
        );
    }
    // The last trial falls after the fault: it succeeds and the breaker stays closed, so
    // server 0 takes its share again (about half of the 1.5 s x 50/s arrivals left).
    let last = *half_opens.last().unwrap();
    assert!(last > 3_000 * MS - 500 * MS && errors.iter().all(|&e| e < last));
    let after = arrivals_at_0.iter().filter(|&&t| t > last).count();
    assert!(
        after > 20,
        "{after} attempts reached server 0 after the breaker closed"
    );
    assert_eq!(report.breaker_opens, half_opens.len() as u64);
    // Every error was retried on server 1: nothing failed.
    assert_eq!(report.ok, report.requests);
    assert_eq!(report.retries, errors.len() as u64);
    assert_eq!(report.breaker_fast_fails, 0);
}

#[test]
fn with_every_breaker_open_attempts_fail_fast() {
    // Both servers answer with errors for the whole run. A failure-ratio breaker (half of
    // at least 10 attempts in 1 s) opens on each server's tenth error; from then on a
    // request finds no server to try and fails at once as unavailable, except the one
    // trial each half-open admits, which fails and opens the breaker again. Requests are
    // 20 ms apart on average and answered in 2 ms, so each sees the state its predecessor
    // left: 20 errors open both breakers, every later error is a failed trial, and every
    // other request failed fast.
    let config = CONFIG
        .variant(
            "at = \"1s\"\nkind = \"error\"\nserver = 0\nfor = \"2s\"",
            "at = \"0s\"\nkind = \"error\"",
        )
        .variant(
            "retry = { kind = \"fixed\", delay = \"0s\", max_attempts = 2 }\ncircuit_breaker = { kind = \"consecutive\", failures = 3, open_for = \"500ms\" }",
            "circuit_breaker = { kind = \"failure-ratio\", ratio = 0.5, min_attempts = 10, window = \"1s\", open_for = \"1s\" }",
        );
    assert!(config.contains("failure-ratio") && config.contains("at = \"0s\""));
    let (_, r) = trace_and_report(&common::experiment(&config));
    assert_eq!(r.ok, 0);
    assert!(r.breaker_opens >= 2 + 4, "opens {}", r.breaker_opens);
    assert_eq!(
        r.errored,
        20 + (r.breaker_opens - 2),
        "failed trials reopen"
    );
    assert_eq!(r.unavailable, r.breaker_fast_fails);
    assert_eq!(r.errored + r.unavailable, r.requests);
}
