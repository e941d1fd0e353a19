//! Retries under primary/backup routing, where only a range's primary may serve it. With
//! failover on (the default) a retry prefers a server the request has not tried, but the
//! router can place it nowhere but the primary, so it goes there again rather than
//! failing as unavailable. Four servers, four ranges of two replicas, server 0 (range 0's
//! primary) answering every request with an error but still heartbeating, so it is never
//! demoted: a quarter of the requests (keys uniform) make all three attempts on server 0
//! and end errored; the others succeed at once. Tolerance: 4 binomial sd.
//!
//! With a circuit breaker, once server 0's opens, range 0 cannot be placed at all: its
//! attempts fail fast and its requests end unavailable instead of loading the server.

use crate::common;

use sim_core::RunReport;

const CONFIG: &str = r#"
[experiment]
name = "retry-primary"
seed = 8
duration = "30s"

[cluster]
servers = 4
workers = 16
service = { dist = "constant", value = "1ms" }

[workload]
arrivals = { kind = "poisson", rate = 200.0 }
keys = { count = 4000 }
timeout = "1s"

[[faults.scripted]]
at = "0s"
kind = "error"
server = 0

[strategies.retry]
routing = { kind = "primary-backup", ranges = 4, replicas = 2 }
retry = { kind = "fixed", delay = "1ms", max_attempts = 3 }

[strategies.breaker]
routing = { kind = "primary-backup", ranges = 4, replicas = 2 }
retry = { kind = "fixed", delay = "1ms", max_attempts = 3 }
circuit_breaker = { kind = "consecutive", failures = 3, open_for = "1s" }
"#;

#[test]
fn retries_return_to_the_only_server_that_may_serve_them() {
    let exp = common::experiment(CONFIG);
    let keys: Vec<_> = exp.runs().collect();
    let mut reports: Vec<RunReport> = Vec::new();
    experiments::runner::run_keys(&exp, &keys, 2, |_, r| -> Result<(), ()> {
        reports.push(r.report);
        Ok(())
    })
    .unwrap();
    let (retry, breaker) = (&reports[0], &reports[1]);
    let n = retry.requests as f64;
    let share = retry.errored as f64 / n;
    assert!(
        (share - 0.25).abs() < 4.0 * (0.25 * 0.75 / n).sqrt(),
        "errored share {share:.4}, theory 0.25"
    );
    assert_eq!(retry.unavailable, 0, "a retry goes back to the primary");
    assert_eq!(
        retry.retries,
        2 * retry.errored,
        "two retries per failing request"
    );
    assert_eq!(retry.ok + retry.errored, retry.requests);

    // The breaker turns most of range 0's errors into fast failures.
    assert!(breaker.breaker_opens > 0);
    assert!(breaker.unavailable > breaker.errored, "{breaker:?}");
    assert!(breaker.breaker_fast_fails >= breaker.unavailable);
    assert_eq!(breaker.ok, retry.ok, "other ranges are untouched");
}
