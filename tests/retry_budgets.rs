//! Retry budgets under a total outage: both servers answer every request at once with an
//! error, and every request wants up to nine retries (fixed 1 ms backoff). What gets
//! through is exactly what the budget allows.
//!
//! Token bucket (gRPC retry throttling, max_tokens 10, token_ratio 0.1): the bucket starts
//! full; the first request fails five times (tokens 9, 8, 7, 6 allow four retries; at 5
//! the threshold max/2 is reached and its fifth failure is refused), every later request
//! fails once more and is refused. So exactly 4 retries in the run and one refusal per
//! request, whatever the arrivals.
//!
//! Percentage budget (Finagle, 20% of requests plus 10 retries/s, 10 s window in 1 s
//! slices): at the end of every slice the window holds exactly ten whole slices, and the
//! budget can never go below zero, so the retries inside any such window are at most
//! 10/s x 10 s + 0.2 x its requests. The 60 s of arrivals fill six disjoint windows, and
//! the last retries (within milliseconds after 60 s) a seventh: retries <= 0.2 N + 700.
//! Saturated demand also fills each window: its last retry decision comes right after its
//! last arrival and is refused only when less than one retry remains, so each window
//! loses at most one retry of its budget, and a request arriving in a window may see its
//! retries refused in the next (at most one per window): retries >= 0.2 N + 600 - 12.

use crate::common;

use sim_core::RunReport;

const CONFIG: &str = r#"
[experiment]
name = "budgets"
seed = 5
duration = "60s"

[cluster]
servers = 2
workers = 8
service = { dist = "constant", value = "1ms" }

[workload]
arrivals = { kind = "poisson", rate = 100.0 }
timeout = "1s"

[[faults.scripted]]
at = "0s"
kind = "error"

[strategies.unbudgeted]
retry = { kind = "fixed", delay = "1ms", max_attempts = 10 }

[strategies.bucket]
retry = { kind = "fixed", delay = "1ms", max_attempts = 10 }
retry_budget = { kind = "token-bucket", max_tokens = 10, token_ratio = 0.1 }

[strategies.percentage]
retry = { kind = "fixed", delay = "1ms", max_attempts = 10 }
retry_budget = { kind = "percentage", percent = 20.0, min_retry_rate = 10.0, window = "10s" }
"#;

#[test]
fn budgets_cap_retries_at_their_stated_levels() {
    let exp = common::experiment(CONFIG);
    let keys: Vec<_> = exp.runs().collect();
    let mut reports: Vec<RunReport> = Vec::new();
    experiments::runner::run_keys(&exp, &keys, 2, |_, r| -> Result<(), ()> {
        reports.push(r.report);
        Ok(())
    })
    .unwrap();
    let (free, bucket, percentage) = (&reports[0], &reports[1], &reports[2]);
    let n = free.requests;
    assert!(n > 5_000);
    assert_eq!(free.ok, 0);
    // Without a budget every request makes all ten attempts.
    assert_eq!(free.retries, 9 * n);
    assert_eq!(free.budget_denied, 0);

    assert_eq!(bucket.retries, 4, "the bucket stops retries at 5 tokens");
    assert_eq!(bucket.budget_denied, n, "one refusal per request");
    assert_eq!(bucket.errored, n);

    let earned = 0.2 * n as f64;
    let retries = percentage.retries as f64;
    assert!(
        (earned + 600.0 - 12.0..=earned + 700.0).contains(&retries),
        "{retries} retries for {n} requests: expected 0.2 N + 600 = {}",
        earned + 600.0
    );
}
