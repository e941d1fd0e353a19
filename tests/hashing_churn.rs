//! Routing by key inside whole runs: the keys a membership change remaps, the cache hit
//! ratio that key affinity buys, and a crash emptying a server's cache.
//!
//! The model's measures are checked against the placement computed outside the run from
//! the same router (`Router::key_owner`), and against the LRU hit ratio of independent
//! uniform references: a cache of C keys serving K' keys hits C / K' of the time.

use crate::common;

use crate::common::mean_ci;
use experiments::Experiment;
use sim_core::RunReport;
use sim_core::model::client::placement::EXACT_KEYS;
use sim_core::strategy::ClusterView;

fn reports(exp: &Experiment) -> Vec<Vec<RunReport>> {
    common::reports_by_strategy(exp)
}

/// Keys `keys` owned by each server with every server trusted, by strategy `s`'s router.
fn owned(exp: &Experiment, s: usize, servers: u32, keys: &[u32]) -> Vec<u32> {
    let spec = &exp.cells[0].strategies[s].routing;
    let mut router = spec.build(servers, keys.len() as u32);
    let view = ClusterView::new(servers);
    let mut owned = vec![0u32; servers as usize];
    for &k in keys {
        owned[router.key_owner(k, &view).unwrap() as usize] += 1;
    }
    owned
}

/// Fraction of `keys` whose owner changes when `server` becomes suspected.
fn remapped_by_removal(exp: &Experiment, s: usize, servers: u32, keys: &[u32], server: u32) -> f64 {
    let spec = &exp.cells[0].strategies[s].routing;
    let mut router = spec.build(servers, 10_000);
    let mut view = ClusterView::new(servers);
    let before: Vec<_> = keys.iter().map(|&k| router.key_owner(k, &view)).collect();
    view.set_suspected(server, true);
    let moved = keys
        .iter()
        .zip(&before)
        .filter(|(k, b)| router.key_owner(**k, &view) != **b)
        .count();
    moved as f64 / keys.len() as f64
}

#[test]
fn a_crash_remaps_one_nth_of_keys_with_consistent_schemes_and_most_with_modulo() {
    // Ten servers, server 3 crashes at 20 s for 10 s: the view changes twice (suspected,
    // then trusted again), each change moving the same keys back and forth. The run's
    // keys_remapped_mean must equal the fraction computed outside the run over every one
    // of the 10000 keys (at most EXACT_KEYS, so the run measures every key): exactly
    // server 3's share for the consistent schemes (about 1/10, see each router's unit
    // tests), and (n - 1)/n = 0.9 for modulo-N, within 5 binomial sd over 10000 keys.
    let exp = common::experiment(
        r#"
[experiment]
name = "remap"
seed = 3
replications = 1
duration = "40s"
warmup = "5s"

[cluster]
servers = 10
service = { dist = "exponential", mean = "5ms" }

[workload]
arrivals = { kind = "poisson", rate = 200.0 }
keys = { count = 10000 }

[network]
delay = "1ms"

[[faults.scripted]]
at = "20s"
for = "10s"
kind = "crash"
server = 3

[strategies.modulo]
routing = { kind = "modulo" }
[strategies.ring]
routing = { kind = "consistent-hash", vnodes = 100 }
[strategies.rendezvous]
routing = { kind = "rendezvous" }
[strategies.jump]
routing = { kind = "jump-hash" }
[strategies.maglev]
routing = { kind = "maglev" }
[strategies.bounded]
routing = { kind = "bounded-load" }
[strategies.round-robin]
routing = { kind = "round-robin" }
"#,
    );
    const { assert!(10_000 <= EXACT_KEYS) };
    let every_key: Vec<u32> = (0..10_000).collect();
    let runs = reports(&exp);
    for (s, name) in exp.strategy_names.iter().enumerate() {
        let r = &runs[s][0];
        assert_eq!(r.membership_changes, 2, "{name}: suspected, then trusted");
        if name == "round-robin" {
            assert_eq!(r.keys_remapped_mean, None, "round-robin places no key");
            continue;
        }
        let measured = r.keys_remapped_mean.unwrap();
        let expected = remapped_by_removal(&exp, s, 10, &every_key, 3);
        if name != "maglev" {
            // Maglev rebuilds its table on the way back too, so its two changes differ
            // slightly; the others move exactly the same keys back.
            assert_eq!(measured, expected, "{name}");
        } else {
            assert!(
                (measured - expected).abs() < 0.005,
                "{name}: {measured} vs {expected}"
            );
        }
        let share3 = f64::from(owned(&exp, s, 10, &every_key)[3]) / 10_000.0;
        if name == "modulo" {
            let sd = (0.9f64 * 0.1 / 10_000.0).sqrt();
            assert!((measured - 0.9).abs() < 5.0 * sd, "modulo: {measured}");
        } else if name == "maglev" {
            assert!(
                measured >= share3 && measured < share3 + 0.01,
                "{measured} vs {share3}"
            );
        } else {
            assert_eq!(measured, share3, "{name}: only server 3's keys move");
        }
    }
}

#[test]
fn above_exact_keys_the_remapped_fraction_is_within_its_sampling_error() {
    // 1,000,000 keys, more than EXACT_KEYS: the run measures EXACT_KEYS keys spread
    // evenly. Their placements are independent draws of the ring's map (keys are mixed
    // by a 64-bit hash), so the measured fraction of server 3's removal is the exact one
    // over every key plus an error of sd sqrt(p (1 - p) / EXACT_KEYS) at most (less: the
    // sample is a fraction of the whole); allow 4 sd. The README states 0.002 as the
    // largest such sd, at p = 1/2.
    let keys = 1_000_000u32;
    let exp = common::experiment(&format!(
        r#"
[experiment]
name = "remap-sampled"
seed = 5
replications = 1
duration = "30s"

[cluster]
servers = 10
service = {{ dist = "exponential", mean = "5ms" }}

[workload]
arrivals = {{ kind = "poisson", rate = 100.0 }}
keys = {{ count = {keys} }}

[[faults.scripted]]
at = "10s"
kind = "crash"
server = 3

[strategies.ring]
routing = {{ kind = "consistent-hash", vnodes = 20 }}
"#
    ));
    assert!(keys > EXACT_KEYS);
    let r = &reports(&exp)[0][0];
    assert_eq!(r.membership_changes, 1);
    let every_key: Vec<u32> = (0..keys).collect();
    let exact = remapped_by_removal(&exp, 0, 10, &every_key, 3);
    let measured = r.keys_remapped_mean.unwrap();
    let sd = (exact * (1.0 - exact) / f64::from(EXACT_KEYS)).sqrt();
    assert!(sd <= 0.5 / f64::from(EXACT_KEYS).sqrt());
    assert!(
        (measured - exact).abs() < 4.0 * sd,
        "measured {measured}, exact {exact}, sd {sd}"
    );
}

#[test]
fn key_affinity_multiplies_the_hit_ratio_by_the_number_of_servers() {
    // 1000 uniform keys, 4 servers with 100-key caches. Random routing shows every
    // server every key: an LRU of 100 over 1000 independent uniform references hits
    // 100/1000 = 0.1. Jump hashing shows server s only its K_s keys: it hits
    // min(1, 100 / K_s), so the cluster hits sum over s of min(K_s, 100) / 1000, about
    // 4 x 0.1 = 0.4. Each run's ratio is a mean of about 36000 lookups; the 99.9%
    // interval over the replications must hold the prediction.
    //
    // With a 5 ms miss penalty on 1 ms of exponential service the affinity shows in
    // latency. Random routing makes each server an M/G/1 queue at 100/s with service
    // 1 ms + 5 ms w.p. 0.9: mean 5.5 ms, second moment 2 + 9 + 22.5 = 33.5 ms^2, so
    // Pollaczek-Khinchine gives 5.5 + 0.1 x 33.5 / (2 x 0.45) = 9.222 ms. Jump hashing cuts
    // the mean service to about 1 + 0.6 x 5 = 4 ms, and the response time with it.
    let exp = common::experiment(
        r#"
[experiment]
name = "affinity"
seed = 5
replications = 6
duration = "100s"
warmup = "10s"

[cluster]
servers = 4
service = { dist = "exponential", mean = "1ms" }
cache = { size = 100, miss_penalty = "5ms" }

[workload]
arrivals = { kind = "poisson", rate = 400.0 }
keys = { count = 1000, popularity = "uniform" }

[strategies.random]
routing = { kind = "random" }
[strategies.jump]
routing = { kind = "jump-hash" }
"#,
    );
    let runs = reports(&exp);
    let all_keys: Vec<u32> = (0..1000).collect();
    let expected_jump: f64 = owned(&exp, 1, 4, &all_keys)
        .iter()
        .map(|&k| f64::from(k.min(100)))
        .sum::<f64>()
        / 1000.0;
    for (s, expected) in [(0usize, 0.1), (1, expected_jump)] {
        let ratios: Vec<f64> = runs[s].iter().map(|r| r.cache_hit_ratio.unwrap()).collect();
        let (m, _, h) = mean_ci(&ratios, 0.999);
        assert!(
            (m - expected).abs() <= h,
            "{}: hit ratio {m:.4} ± {h:.4}, expected {expected:.4}",
            exp.strategy_names[s]
        );
    }
    assert!((expected_jump - 0.4).abs() < 0.02, "{expected_jump}");
    let latency = |s: usize| {
        mean_ci(
            &runs[s]
                .iter()
                .map(|r| r.latency_mean_ms.unwrap())
                .collect::<Vec<_>>(),
            0.999,
        )
    };
    let ((rm, _, rh), (jm, _, jh)) = (latency(0), latency(1));
    assert!(
        (rm - 9.222).abs() < rh,
        "random: {rm:.3} ± {rh:.3} ms, M/G/1 9.222 ms"
    );
    assert!(
        jm + jh < rm - rh - 2.0,
        "latency: jump {jm:.2} ± {jh:.2}, random {rm:.2} ± {rh:.2}"
    );
}

#[test]
fn a_crash_empties_the_servers_cache() {
    // 200 keys, caches as large as the key space (no evictions), ring routing. After
    // the warm-up every server holds its own keys. Server 1 crashes at 20 s for 10 s:
    // while it is suspected its K_1 keys go to their next servers, each missing once
    // there; when it is trusted again they come back to server 1, which lost its cache
    // in the crash and misses each once more. So the window sees exactly 2 K_1 misses
    // (a cache surviving the crash would see K_1). At 2 requests/s per key, a key goes
    // unrequested through a 9.7 s phase with probability e^-19.4, so every key is seen in
    // every phase.
    let exp = common::experiment(
        r#"
[experiment]
name = "crash-cache"
seed = 9
replications = 3
duration = "60s"
warmup = "10s"

[cluster]
servers = 4
service = { dist = "exponential", mean = "1ms" }
cache = { size = 200, miss_penalty = "2ms" }

[workload]
arrivals = { kind = "poisson", rate = 400.0 }
keys = { count = 200, popularity = "uniform" }

[network]
delay = "1ms"

[[faults.scripted]]
at = "20s"
for = "10s"
kind = "crash"
server = 1

[strategies.ring]
routing = { kind = "consistent-hash" }
"#,
    );
    let all_keys: Vec<u32> = (0..200).collect();
    let k1 = owned(&exp, 0, 4, &all_keys)[1];
    assert!(k1 > 20, "server 1 owns {k1} keys");
    for r in &reports(&exp)[0] {
        assert_eq!(r.membership_changes, 2);
        assert_eq!(r.cache_misses, 2 * u64::from(k1), "{r:?}");
    }
}
