//! Plain runs (no retries, hedges, attempt timeouts, failover, budgets, breakers, writes
//! or shedding) take handlers compiled without those paths. They must change nothing:
//! every plain run, of every example config and of variants that reach the remaining
//! paths (rejections, error answers, partitions, loss, closed-loop and many clients,
//! detection in the clients, load-aware and hashed routers, checkpoints), gives the same
//! report, trace hash included, and the same latency histogram through either handlers.

use crate::common::Variant;
use crate::common::{experiment, repo_root};
use sim_core::Simulation;
use sim_core::model::trace::Trace;
use std::fs;

/// Runs every run of `text` both ways; returns how many runs were plain.
fn compare(name: &str, text: &str) -> usize {
    let exp = experiment(text);
    let mut plain = 0;
    for key in exp.runs() {
        let cell = exp.cell(key);
        let (strategy, seed) = (exp.strategy(key), exp.run_seed(key));
        let sim = || Simulation::new(&cell.scenario, strategy, seed, Trace::hash_only());
        if !sim().is_plain() {
            continue;
        }
        plain += 1;
        let (fast, _) = sim().run();
        let (general, _) = sim().run_general();
        assert_eq!(fast.report, general.report, "{name}: run {key:?}");
        assert_eq!(fast.latency, general.latency, "{name}: run {key:?}");
    }
    plain
}

/// An example config with one replication.
fn example(name: &str) -> String {
    let path = repo_root()
        .join("experiments/configs")
        .join(format!("{name}.toml"));
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = String::new();
    for line in text.lines() {
        if line.trim_start().starts_with("replications") {
            out.push_str("replications = 1\n");
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

#[test]
fn plain_handlers_change_no_run_of_the_example_configs() {
    let mut plain = Vec::new();
    for entry in fs::read_dir(repo_root().join("experiments/configs")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        plain.push((compare(&name, &example(&name)), name));
    }
    plain.sort();
    let r1 = plain.iter().find(|(_, n)| n == "r1").unwrap();
    assert_eq!(r1.0, 1, "R1 is plain");
    let total: usize = plain.iter().map(|(n, _)| n).sum();
    assert!(total >= 20, "plain runs by config: {plain:?}");
}

const VARIANTS: &str = r#"
[experiment]
name = "plain-variants"
seed = 7
replications = 2
duration = "20s"
warmup = "2s"

[cluster]
servers = 4
workers = 2
queue_capacity = 5
service = { dist = "lognormal", median = "4ms", p99 = "40ms" }

[workload]
arrivals = { kind = "poisson", rate = 1500.0, clients = 3 }
keys = { count = 500, popularity = "zipf", s = 1.1 }
timeout = "300ms"

[network]
delay = { dist = "exponential", mean = "2ms" }
loss = 0.01

[faults]
crash = { mttf = { dist = "exponential", mean = "6s" }, mttr = { dist = "exponential", mean = "1s" } }

[[faults.scripted]]
at = "4s"
kind = "error"
servers = [0]
for = "2s"

[[faults.scripted]]
at = "8s"
kind = "partition"
servers = [1]
for = "2s"

[[faults.scripted]]
at = "12s"
kind = "load-spike"
factor = 2.0
for = "2s"

[strategies.least-outstanding]
routing = { kind = "least-outstanding" }
checkpoint = { kind = "periodic", interval = "3s", cost = "100ms" }

[strategies.ring]
routing = { kind = "consistent-hash" }
detector = { kind = "phi-accrual", interval = "100ms", threshold = 8.0 }

[strategies.client-detectors]
routing = { kind = "power-of-d", d = 2 }
detector = { kind = "fixed-timeout", interval = "100ms", timeout = "300ms", placement = "client" }
"#;

#[test]
fn plain_handlers_change_no_run_that_rejects_errs_or_loses_messages() {
    assert_eq!(
        compare("variants", VARIANTS),
        6,
        "every variant run is plain"
    );
    let closed = VARIANTS.variant(
        r#"arrivals = { kind = "poisson", rate = 1500.0, clients = 3 }"#,
        r#"arrivals = { kind = "closed", clients = 40, think = { dist = "exponential", mean = "20ms" } }"#,
    );
    assert_eq!(compare("closed-loop", &closed), 6);
}
