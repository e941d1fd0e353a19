//! Replication: replica sets follow the router's preference order; synchronous
//! replication loses no acknowledged write when a replica crashes, asynchronous loses the
//! copies still waiting to leave; asynchronous replicas serve stale reads in the
//! proportion the replication delay predicts, synchronous ones none.

use crate::common;

use crate::common::mean_ci;
use sim_core::RunReport;
use sim_core::engine::rng::{Purpose, RngFactory};
use sim_core::model::state::replication::ReplicaSets;
use sim_core::strategy::{ClusterView, RouteInput};
use strategies::route::consistent_hash::Ring;

fn reports(text: &str) -> Vec<Vec<RunReport>> {
    common::reports_by_strategy(&common::experiment(text))
}

fn strategy_config(routing: &[&str]) -> String {
    let mut text = String::from(
        r#"
[experiment]
name = "sets"
seed = 1
duration = "1s"
[cluster]
servers = 7
service = "1ms"
[workload]
arrivals = { kind = "poisson", rate = 1.0 }
keys = { count = 1000 }
"#,
    );
    for (i, r) in routing.iter().enumerate() {
        text.push_str(&format!("[strategies.s{i}]\nrouting = {r}\n"));
    }
    text
}

#[test]
fn replicas_are_the_key_s_failover_order() {
    let kinds = [
        r#"{ kind = "consistent-hash", vnodes = 50 }"#,
        r#"{ kind = "rendezvous" }"#,
        r#"{ kind = "jump-hash" }"#,
        r#"{ kind = "maglev", table_size = 4099 }"#,
        r#"{ kind = "modulo" }"#,
        r#"{ kind = "round-robin" }"#,
        r#"{ kind = "primary-backup", ranges = 8, replicas = 3 }"#,
    ];
    let exp = common::experiment(&strategy_config(&kinds));
    let n = 7;
    let rng = || RngFactory::new(0).stream(Purpose::State, 0);
    let ring = Ring::new(n, 50);
    for (i, set) in exp.cells[0].strategies.iter().enumerate() {
        let mut sets = ReplicaSets::new(set, n, 1000, 3, rng());
        let mut router = set.routing.build(n, 1000);
        let mut replicas = Vec::new();
        let mut first_asked = Vec::new();
        for key in 0..1000 {
            sets.of(key, &mut replicas);
            first_asked.push(replicas.clone());
            let mut distinct = replicas.clone();
            distinct.sort_unstable();
            distinct.dedup();
            assert_eq!(distinct.len(), 3, "{}: key {key}: {replicas:?}", kinds[i]);
            let all = ClusterView::new(n);
            if let Some(plan) = set.routing.failover_plan(n, 1000) {
                // Primary/backup: the key's range's replicas, its preferred primary first.
                assert_eq!(replicas, plan.replicas[plan.range_of(key) as usize]);
                continue;
            }
            let Some(owner) = router.key_owner(key, &all) else {
                // Round-robin places no key: consecutive servers from a hash of the key.
                assert_eq!(replicas[1], (replicas[0] + 1) % n);
                assert_eq!(replicas[2], (replicas[0] + 2) % n);
                continue;
            };
            assert_eq!(replicas[0], owner, "the primary is the key's owner");
            // Each further replica is where a retry goes after the one before.
            for j in 1..3 {
                let input = RouteInput {
                    key,
                    attempt: j as u32 + 1,
                    previous: Some(replicas[j - 1]),
                    now: sim_core::SimTime::ZERO,
                };
                assert_eq!(router.route(&input, &all, &mut rng()), Some(replicas[j]));
            }
            if i == 0 {
                // The ring: the first three distinct servers clockwise from the key.
                let mut walk: Vec<u32> = Vec::new();
                for s in ring.walk(key) {
                    if !walk.contains(&s) {
                        walk.push(s);
                    }
                }
                assert_eq!(&walk[..3], &replicas[..]);
            }
            if i <= 2 {
                // Ring, rendezvous and jump hash move a key to its next replica when its
                // primary is suspected: the replicas hold the key after a failover.
                let mut view = ClusterView::new(n);
                view.set_suspected(replicas[0], true);
                assert_eq!(router.key_owner(key, &view), Some(replicas[1]));
                view.set_suspected(replicas[1], true);
                assert_eq!(router.key_owner(key, &view), Some(replicas[2]));
            }
        }
        // Asked again, in another order, a key gets the set found the first time (the
        // sets are kept once found).
        for key in (0..1000).rev() {
            sets.of(key, &mut replicas);
            assert_eq!(
                replicas, first_asked[key as usize],
                "{}: key {key}",
                kinds[i]
            );
        }
    }
}

const CRASH: &str = r#"
[experiment]
name = "replication-crash"
seed = 11
replications = 10
duration = "20s"

[cluster]
servers = 2
service = "1ms"
workers = 4

[workload]
arrivals = { kind = "poisson", rate = 1000.0 }
keys = { count = 1000000000 }
writes = 0.5

[[faults.scripted]]
at = "10s"
kind = "crash"
server = 0
for = "5s"

[strategies.sync]
routing = { kind = "consistent-hash", vnodes = 100 }
replication = { kind = "sync", factor = 2 }

[strategies.async]
routing = { kind = "consistent-hash", vnodes = 100 }
replication = { kind = "async", factor = 2, delay = "200ms" }
"#;

#[test]
fn sync_replication_keeps_every_acknowledged_write_and_async_loses_its_queue() {
    // Two servers, each key on both; server 0 crashes at 10 s with no checkpoint. Every
    // write it applied is also on server 1, except, with asynchronous replication, the
    // copies still queued: those of the writes it applied in the last 200 ms. Server 0
    // applies the writes of the keys it owns, a share s0 of the ring (0.5 on average;
    // computed exactly here), at 500 writes/s: the loss is Poisson(500 s0 x 0.2), its
    // mean over 10 runs has sd sqrt(100 s0 / 10). Keys are drawn from 10^9, so each lost
    // write is a distinct key.
    let s0 = Ring::new(2, 100).shares(2)[0];
    let r = reports(CRASH);
    for x in &r[0] {
        assert_eq!(x.acked_writes_lost, 0, "sync loses no acknowledged write");
        assert_eq!(x.writes_lost, 0, "every applied write is on the survivor");
        // While server 0 is down, writes of its keys cannot get their second copy.
        assert!(x.writes_ok < x.writes);
    }
    let expected = 500.0 * s0 * 0.2;
    let lost: Vec<f64> = r[1].iter().map(|x| x.acked_writes_lost as f64).collect();
    let mean = lost.iter().sum::<f64>() / lost.len() as f64;
    assert!(
        (mean - expected).abs() < 4.0 * (expected / 10.0).sqrt() + 1.0,
        "async lost {mean} acknowledged writes, expected {expected:.1}"
    );
}

#[test]
fn async_replicas_serve_stale_reads_in_proportion_to_the_delay() {
    // Random routing over two servers holding every key: a write is applied and
    // acknowledged by the server it reaches, and reaches the other d = 100 ms later
    // (asynchronous; no network delay). Replicas keep the latest timestamp, and physical
    // clocks without skew stamp writes in creation order. A read is stale when the
    // newest write of its key came through the other server (probability 1/2) less than
    // d ago. Writes of a key are Poisson at 500/s / 100 keys = 5/s, so by PASTA the
    // newest is older than d with probability e^(-5 x 0.1): stale fraction
    // (1 - e^(-0.5))/2 = 0.197. Tolerance: Student's t interval at 99.99% over the 16
    // runs' fractions (CLT).
    //
    // In arrival order a late copy also overwrites a newer local write, so every read
    // stale under the timestamp rule is stale under arrival order too (the runs are
    // paired: same arrivals, same routing), and more are. Synchronous replication
    // acknowledges only once both servers hold the write: no stale read at all.
    let text = r#"
[experiment]
name = "stale"
seed = 5
replications = 16
duration = "20s"
warmup = "2s"

[cluster]
servers = 2
service = "100us"
workers = 4

[workload]
arrivals = { kind = "poisson", rate = 1000.0 }
keys = { count = 100 }
writes = 0.5

[strategies.async]
routing = { kind = "random" }
replication = { kind = "async", factor = 2, delay = "100ms" }
ordering = { kind = "lww", clock = "physical" }

[strategies.async-arrival]
routing = { kind = "random" }
replication = { kind = "async", factor = 2, delay = "100ms" }
ordering = { kind = "arrival" }

[strategies.sync]
routing = { kind = "random" }
replication = { kind = "sync", factor = 2 }
"#;
    let r = reports(text);
    let fractions: Vec<f64> = r[0]
        .iter()
        .map(|x| x.stale_read_fraction.unwrap())
        .collect();
    let (mean, _, half) = mean_ci(&fractions, 0.9999);
    let expected = (1.0 - (-0.5f64).exp()) / 2.0;
    assert!(
        (mean - expected).abs() < half,
        "stale fraction {mean:.4}, expected {expected:.4} (99.99% interval ±{half:.4})"
    );
    for (lww, arrival) in r[0].iter().zip(&r[1]) {
        assert!(arrival.stale_reads > lww.stale_reads);
    }
    for x in &r[2] {
        assert_eq!(x.stale_reads, 0);
    }
}
