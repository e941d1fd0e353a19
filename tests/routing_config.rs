//! Routing and cache configuration from the command line: the example configs are valid
//! and show what they claim, and bad routing or cache values are exit-2 errors naming
//! the key and what was expected.

use crate::common::{Table, repo_root, run_cli};

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn config(name: &str) -> String {
    repo_root()
        .join("experiments/configs")
        .join(name)
        .to_str()
        .unwrap()
        .to_string()
}

#[test]
fn bad_routing_and_cache_values_name_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let hashing = config("hashing.toml");
    let cases = [
        (
            "strategies.maglev.routing.table_size=65536",
            "`strategies.maglev.routing.table_size`: expected a prime number of slots",
        ),
        (
            "strategies.bounded-load.routing.c=0.5",
            "`strategies.bounded-load.routing.c`: expected a load factor from 1.0 to 1000",
        ),
        (
            "strategies.consistent-hash.routing.vnodes=0",
            "`strategies.consistent-hash.routing.vnodes`: expected a number of ring points",
        ),
        (
            "strategies.modulo.routing.vnodes=10",
            "`strategies.modulo.routing.vnodes`: unknown key",
        ),
        (
            "cluster.cache.size=0",
            "`cluster.cache.size`: expected a number of keys",
        ),
        (
            "cluster.cache.miss_penalti=\"1ms\"",
            "`cluster.cache.miss_penalti`: unknown key (did you mean `miss_penalty`?)",
        ),
        (
            "cluster.cache.miss_penalty=5",
            "`cluster.cache.miss_penalty`: expected a duration",
        ),
    ];
    for (set, expected) in cases {
        let out = run_cli(dir.path(), &["check", &hashing, "--set", set]);
        assert_eq!(out.status.code(), Some(2), "--set {set}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(expected),
            "--set {set}: {}",
            stderr(&out)
        );
    }
    let routing = config("routing.toml");
    let out = run_cli(
        dir.path(),
        &[
            "check",
            &routing,
            "--set",
            "strategies.two-choices.routing.d=0",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("`strategies.two-choices.routing.d`: expected a number of servers"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_hashing_example_shows_consistent_hashing_keeping_caches_warm() {
    // One replication of the example: its claim, in the cache hit ratio and the keys
    // remapped per change, holds run by run (means of tens of thousands of lookups).
    let dir = tempfile::tempdir().unwrap();
    let out = run_cli(
        dir.path(),
        &[
            "run",
            &config("hashing.toml"),
            "--out",
            "out",
            "--replications",
            "1",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let table = Table::read(&dir.path().join("out/runs.csv"));
    let strategies = table.values("strategy");
    let hits = table.floats("cache_hit_ratio");
    let remapped = table.values("keys_remapped_mean");
    let of = |name: &str| strategies.iter().position(|s| s == name).unwrap();
    let (modulo, ring, rr) = (of("modulo"), of("consistent-hash"), of("round-robin"));
    assert!(hits[ring] > hits[modulo] + 0.1, "{hits:?}");
    assert!(hits[modulo] > hits[rr], "{hits:?}");
    let remap = |i: usize| remapped[i].parse::<f64>().unwrap();
    // With n of 8 servers up, modulo remaps about (n - 1)/n, the ring about 1/n.
    assert!(remap(modulo) > 0.75 && remap(ring) < 0.25, "{remapped:?}");
    assert_eq!(remapped[rr], "", "round-robin places no key");
}
