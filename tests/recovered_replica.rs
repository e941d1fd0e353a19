//! A recovered replica is refilled before it serves as one: two crashes of the two
//! replicas of some keys, one after the other with no overlap, lose no acknowledged write
//! under synchronous replication. Only with `catch_up = false`, where the first server
//! comes back holding what its checkpoint kept (here nothing), does the second crash take
//! the last copies, and the writes it loses are lost at that crash and at no other instant.
//!
//! The scenario: four servers on a consistent-hash ring, two copies of each key,
//! acknowledged once both hold it, last writer wins; server 2 crashes at 4 s and server 3
//! at 9 s, each for 1 s, and server 0's links lose 30% of their messages from 12 s to
//! 14 s. Keys replicated on servers 2 and 3 lose server 2's copy at 4 s; when it recovers
//! at 5 s it copies them back from server 3 before it serves again, so the crash at 9 s
//! leaves server 2's copies. The lossy links lose copies and acks, so some writes are
//! never acknowledged, but an acknowledged write is on both replicas.

use crate::common::{Variant, experiment, run_reports};

const TWO_CRASHES: &str = r#"
[experiment]
name = "two-crashes"
seed = 5
replications = 12
duration = "20s"
warmup = "2s"

[cluster]
servers = 4
workers = 2
service = { dist = "exponential", mean = "1ms" }

[workload]
arrivals = { kind = "poisson", rate = 400.0 }
keys = { count = 2000 }
writes = 0.25
timeout = "1s"

[network]
delay = { dist = "uniform", min = "200us", max = "1ms" }

[strategies.sync]
routing = { kind = "consistent-hash" }
replication = { kind = "sync", factor = 2, acks = 2 }
ordering = { kind = "lww" }

[[faults.scripted]]
at = "4s"
kind = "crash"
server = 2
for = "1s"

[[faults.scripted]]
at = "9s"
kind = "crash"
server = 3
for = "1s"

[[faults.scripted]]
at = "12s"
kind = "loss"
server = 0
for = "2s"
probability = 0.3
"#;

/// `acked_writes_lost` of every run of `config`, with the measurement window starting at
/// `warmup` (the window decides what counts, never what happens).
fn lost(config: &str, warmup: &str) -> Vec<u64> {
    let config = config.variant("warmup = \"2s\"", &format!("warmup = \"{warmup}\""));
    run_reports(&experiment(&config))
        .iter()
        .map(|r| r.acked_writes_lost)
        .collect()
}

#[test]
fn crashes_of_both_replicas_one_after_the_other_lose_no_acknowledged_write() {
    let reports = run_reports(&experiment(TWO_CRASHES));
    for r in &reports {
        assert_eq!(r.crashes, 2);
        assert_eq!(r.restores, 2);
        assert_eq!(r.acked_writes_lost, 0, "server 2 was refilled before 9 s");
        assert!(
            r.writes_ok > 0 && r.writes_ok < r.writes,
            "the lossy links cost writes"
        );
    }
}

#[test]
fn without_catch_up_the_second_crash_takes_the_last_copies_and_only_it() {
    let config = TWO_CRASHES.variant("acks = 2 }", "acks = 2, catch_up = false }");
    let from_warmup = lost(&config, "2s");
    assert!(
        from_warmup.iter().all(|&x| x > 0),
        "every seed writes keys of servers 2 and 3 before 4 s: {from_warmup:?}"
    );
    // Nothing is lost before the crash at 9 s, and nothing after it.
    assert_eq!(lost(&config, "8.999s"), from_warmup);
    assert_eq!(lost(&config, "9.001s"), vec![0; from_warmup.len()]);
}
