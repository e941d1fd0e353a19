//! The retry families read from config: every kind builds with its defaults, runs stay
//! identical at any thread count with hedges, budgets, breakers and shedding all active,
//! and mistakes in their tables get errors naming the file, line, dotted key and what is
//! expected.

use crate::common;
use crate::common::Variant;

use experiments::load::parse_document;
use experiments::{Experiment, Overrides};
use sim_core::RunReport;
use sim_core::config::Source;

const SCENARIO: &str = r#"
[experiment]
name = "retry-config"
seed = 31
replications = 3
duration = "20s"
warmup = "2s"

[cluster]
servers = 6
workers = 2
queue_capacity = 50
service = { dist = "lognormal", median = "5ms", p99 = "60ms" }
shed_expired = true
service_per = "attempt"

[workload]
arrivals = { kind = "poisson", rate = 600.0, clients = 4 }
keys = { count = 500 }
timeout = "300ms"

[network]
delay = { dist = "exponential", mean = "1ms" }
loss = 0.01

[faults]
crash = { mttf = { dist = "exponential", mean = "10s" }, mttr = { dist = "exponential", mean = "2s" } }

[[faults.scripted]]
at = "5s"
kind = "error"
servers = [0, 1]
for = "4s"

[[faults.scripted]]
at = "12s"
kind = "slow"
server = 2
factor = 8.0
for = "3s"
"#;

const STRATEGIES: &str = r#"
[strategies.defaults]
retry = { kind = "exponential" }
retry_budget = { kind = "token-bucket" }
circuit_breaker = { kind = "consecutive" }

[strategies.everything]
routing = { kind = "random" }
retry = { kind = "exponential", base = "5ms", cap = "80ms", jitter = "decorrelated", max_attempts = 4, attempt_timeout = "40ms" }
retry_budget = { kind = "percentage", percent = 10.0, min_retry_rate = 5.0, window = "2s" }
circuit_breaker = { kind = "failure-ratio", ratio = 0.4, window = "1s", min_attempts = 10, open_for = "300ms", trials = 2 }

[strategies.hedged]
retry = { kind = "hedge", percentile = 0.9, max_attempts = 3, attempt_timeout = "100ms" }
retry_budget = { kind = "token-bucket", max_tokens = 20, token_ratio = 0.5 }
circuit_breaker = { kind = "consecutive", failures = 3, open_for = "200ms" }

[strategies.others]
retry = { kind = "linear", initial = "2ms", step = "3ms", jitter = "equal", max_attempts = 3 }

[strategies.random-backoff]
retry = { kind = "random", min = "1ms", max = "9ms", failover = false }

[strategies.fixed-hedge]
retry = { kind = "hedge", delay = "12ms" }
"#;

fn build(text: &str) -> Result<Experiment, String> {
    let doc = parse_document(text, Source::new("retry.toml", ".")).map_err(|e| e.to_string())?;
    Experiment::from_document(doc, "retry.toml".into(), Overrides::default())
        .map_err(|e| e.to_string())
}

fn run(exp: &Experiment, threads: usize) -> Vec<RunReport> {
    common::run_reports_on(exp, threads)
}

#[test]
fn every_feature_at_once_is_deterministic_across_thread_counts() {
    let exp = build(&format!("{SCENARIO}{STRATEGIES}")).unwrap();
    // `faultline check` names the budget and breaker of the strategies that have them.
    let plan = experiments::cli::plan(&exp, std::path::Path::new("retry.toml"));
    assert!(plan.contains(", retry_budget { kind = \"token-bucket\", max_tokens = 10, token_ratio = 0.1 }, circuit_breaker { kind = \"consecutive\", failures = 5, open_for = \"1s\", trials = 1 }"), "{plan}");
    assert!(plan.contains("retry { kind = \"random\", min = \"1ms\", max = \"9ms\", max_attempts = 3, failover = false }\n"), "{plan}");
    let one = run(&exp, 1);
    assert_eq!(one, run(&exp, 1), "the same runs twice differ");
    assert_eq!(one, run(&exp, 3), "1 and 3 threads differ");
    assert_eq!(one.len(), 18);
    // The features are live, not inert, somewhere in the runs.
    let total = |f: fn(&RunReport) -> u64| one.iter().map(f).sum::<u64>();
    assert!(total(|r| r.hedges) > 0);
    assert!(total(|r| r.breaker_opens) > 0);
    assert!(total(|r| r.budget_denied) > 0);
    assert!(total(|r| r.shed) > 0);
    assert!(total(|r| r.attempt_timeouts) > 0);
    assert!(total(|r| r.errored) > 0);
    assert!(total(|r| r.late_answers) > 0);
}

#[test]
fn mistakes_in_retry_tables_name_the_key_and_the_fix() {
    let cases = [
        (
            "retry = { kind = \"exponential\", base = \"1s\", cap = \"10ms\" }",
            "`strategies.s.retry.cap`: expected a duration of at least `base` (1s), got 10ms",
        ),
        (
            "retry = { kind = \"exponential\", jitter = \"ful\" }",
            "unknown value \"ful\"; expected one of \"none\", \"full\", \"equal\" or \"decorrelated\" (did you mean `full`?)",
        ),
        (
            "retry = { kind = \"hedge\", delay = \"5ms\", percentile = 0.9 }",
            "give either `delay` or `percentile`, not both",
        ),
        (
            "retry = { kind = \"hedge\", max_attempts = 9 }",
            "`strategies.s.retry.max_attempts`: expected an integer from 2 to 5",
        ),
        (
            "retry = { kind = \"fixed\", attempt_timeout = \"0ms\" }",
            "leave it out to wait until the request deadline",
        ),
        (
            "retry_budget = { kind = \"token-bucket\", max_token = 5 }",
            "`strategies.s.retry_budget.max_token`: unknown key (did you mean `max_tokens`?)",
        ),
        (
            "retry_budget = { kind = \"leaky\" }",
            "unknown retry_budget kind \"leaky\"; expected one of \"none\", \"token-bucket\" or \"percentage\"",
        ),
        (
            "circuit_breaker = { kind = \"failure-ratio\", ratio = 1.5 }",
            "`strategies.s.circuit_breaker.ratio`: expected a share above 0 and at most 1, got 1.5",
        ),
        (
            "circuit_breaker = { kind = \"consecutive\", trials = 0 }",
            "`strategies.s.circuit_breaker.trials`: expected an integer of at least 1",
        ),
        (
            "retry_breaker = { kind = \"consecutive\" }",
            "`strategies.s.retry_breaker`: unknown key",
        ),
    ];
    for (line, expected) in cases {
        let err = build(&format!("{SCENARIO}\n[strategies.s]\n{line}\n")).unwrap_err();
        assert!(err.contains("retry.toml:"), "no file and line in: {err}");
        assert!(
            err.contains(expected),
            "for {line}:\n  got {err}\n  expected {expected}"
        );
    }
    let bad_cluster = SCENARIO.variant("service_per = \"attempt\"", "service_per = \"attempts\"");
    let err = build(&bad_cluster).unwrap_err();
    assert!(
        err.contains("`cluster.service_per`: unknown value \"attempts\"; expected one of \"request\" or \"attempt\""),
        "{err}"
    );
    let bad_fault = SCENARIO.variant("kind = \"error\"", "kind = \"errors\"");
    let err = build(&bad_fault).unwrap_err();
    assert!(err.contains("(did you mean `error`?)"), "{err}");
}

#[test]
fn the_retries_example_runs_and_tells_its_story() {
    let path = common::repo_root().join("experiments/configs/retries.toml");
    let overrides = Overrides {
        replications: Some(2),
        ..Overrides::default()
    };
    let exp = Experiment::load(&path, &overrides).unwrap_or_else(|e| panic!("{e}"));
    let keys: Vec<_> = exp.runs().collect();
    let mut runs = Vec::new();
    experiments::runner::run_keys(&exp, &keys, 2, |key, r| -> Result<(), ()> {
        runs.push((exp.strategy_names[key.strategy as usize].clone(), r.report));
        Ok(())
    })
    .unwrap();
    let mean = |name: &str, f: fn(&RunReport) -> f64| {
        let values: Vec<f64> = runs
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, r)| f(r))
            .collect();
        assert_eq!(values.len(), 2);
        values.iter().sum::<f64>() / 2.0
    };
    let availability = |r: &RunReport| r.availability.unwrap();
    // Without retries a request fails when its one attempt meets a failing server: half
    // the time during 20 of the 55 measured seconds, 1 - 0.5 x 20/55 = 0.8182. Two runs of
    // about 66 000 requests: binomial sd 0.0011, 4 sd.
    let none = mean("no-retry", availability);
    assert!(
        (none - (1.0 - 0.5 * 20.0 / 55.0)).abs() < 4.0 * 0.0011,
        "{none}"
    );
    // The breaker keeps attempts off the failing half once five errors opened it.
    assert!(mean("jitter-breaker", availability) > 0.999);
    // A 50% failure rate drains gRPC's bucket (it refills only if failures stay under
    // 0.1 / 1.1 = 9% of attempts): retries stop and availability stays that of no retry.
    let bucket = mean("jitter-token-bucket", availability);
    assert!((bucket - none).abs() < 0.002, "{bucket} against {none}");
    // Hedging at the p95 of a lognormal service brings its p99 to about two thirds (see
    // hedging.rs); mixed with the outage it stays well under 0.85 of the unhedged p99.
    let p99 = |r: &RunReport| r.latency_p99_ms.unwrap();
    assert!(mean("hedge", p99) < 0.85 * mean("no-retry", p99));
}
