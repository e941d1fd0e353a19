//! The canonical descriptions and error texts of every kind, checked against a committed
//! record (`descriptions.txt`): descriptions feed run tables and fingerprints, error texts
//! feed the bad-input corpus, so neither may change by accident. Each case is a family
//! table; the record holds the family's description, or the error, for each. Set
//! `FAULTLINE_BLESS=1` to rewrite the record after an intended change.

use crate::registry::build_strategy_set;
use sim_core::config::{Section, Source, Table, Value, ValueKind, f, i, s};
use std::fmt::Write;

/// (family key, entries as `key = value` pairs separated by `;`).
const CASES: &[(&str, &str)] = &[
    ("detector", "kind = \"fixed-timeout\""),
    (
        "detector",
        "kind = \"fixed-timeout\"; interval = \"50ms\"; timeout = \"1s\"",
    ),
    (
        "detector",
        "kind = \"fixed-timeout\"; interval = \"50ms\"; misses = 4",
    ),
    ("detector", "kind = \"fixed-timeout\"; misses = 0"),
    (
        "detector",
        "kind = \"fixed-timeout\"; misses = 2; timeout = \"1s\"",
    ),
    ("detector", "kind = \"fixed-timeout\"; timeout = \"50ms\""),
    (
        "detector",
        "kind = \"fixed-timeout\"; interval = \"1s\"; misses = 0",
    ),
    ("detector", "kind = \"fixed-timeout\"; interval = \"0s\""),
    (
        "detector",
        "kind = \"fixed-timeout\"; placement = \"client\"",
    ),
    (
        "detector",
        "kind = \"fixed-timeout\"; placement = \"monitor\"; propagation = \"20ms\"",
    ),
    (
        "detector",
        "kind = \"fixed-timeout\"; placement = \"monitor\"; propagation = \"0s\"",
    ),
    (
        "detector",
        "kind = \"fixed-timeout\"; placement = \"client\"; propagation = \"5ms\"",
    ),
    (
        "detector",
        "kind = \"fixed-timeout\"; placement = \"clients\"",
    ),
    ("detector", "kind = \"fixed-timeout\"; propagation = 5"),
    ("detector", "kind = \"fixed-timeout\"; timeuot = \"1s\""),
    ("detector", "kind = \"phi-accrual\""),
    ("detector", "kind = \"phi-accrual\"; interval = \"200ms\""),
    (
        "detector",
        "kind = \"phi-accrual\"; threshold = 3; max_sample_size = 50; min_std_deviation = \"1ms\"; acceptable_heartbeat_pause = \"100ms\"; first_heartbeat_estimate = \"1s\"",
    ),
    (
        "detector",
        "kind = \"phi-accrual\"; threshold = 2.5; placement = \"client\"",
    ),
    (
        "detector",
        "kind = \"phi-accrual\"; max_sample_size = 100000000",
    ),
    ("detector", "kind = \"phi-accrual\"; max_sample_size = 0"),
    ("detector", "kind = \"phi-accrual\"; threshold = -1.0"),
    (
        "detector",
        "kind = \"phi-accrual\"; min_std_deviation = \"0s\"",
    ),
    (
        "detector",
        "kind = \"phi-accrual\"; first_heartbeat_estimate = \"0s\"",
    ),
    ("detector", "kind = \"phi-accrual\"; propagation = \"1ms\""),
    ("detector", "kind = \"swim\""),
    (
        "detector",
        "kind = \"swim\"; period = \"2s\"; probe_timeout = \"100ms\"; indirect_timeout = \"0s\"; indirect_probes = 0",
    ),
    ("detector", "kind = \"swim\"; indirect_probes = -1"),
    ("detector", "kind = \"swim\"; period = \"0s\""),
    (
        "detector",
        "kind = \"swim\"; placement = \"client\"; period = \"3s\"",
    ),
    (
        "detector",
        "kind = \"swim\"; placement = \"monitor\"; propagation = \"1s\"",
    ),
    ("detector", "kind = \"fixed\""),
    ("detector", "interval = \"1s\""),
    ("detector", "kind = 3"),
    ("routing", "kind = \"round-robin\""),
    ("routing", "kind = \"random\""),
    ("routing", "kind = \"least-outstanding\""),
    ("routing", "kind = \"power-of-d\""),
    ("routing", "kind = \"power-of-d\"; d = 3"),
    ("routing", "kind = \"power-of-d\"; d = 0"),
    ("routing", "kind = \"peak-ewma\""),
    (
        "routing",
        "kind = \"peak-ewma\"; decay = \"1s\"; default_rtt = \"0s\"; choices = 5",
    ),
    ("routing", "kind = \"peak-ewma\"; decay = \"0s\""),
    ("routing", "kind = \"peak-ewma\"; choices = 0"),
    ("routing", "kind = \"error-rate\""),
    (
        "routing",
        "kind = \"error-rate\"; threshold = 0.25; decay = \"5s\"; min_requests = 3",
    ),
    ("routing", "kind = \"error-rate\"; threshold = 1.0"),
    ("routing", "kind = \"error-rate\"; min_requests = 0"),
    ("routing", "kind = \"modulo\""),
    ("routing", "kind = \"consistent-hash\""),
    ("routing", "kind = \"consistent-hash\"; vnodes = 7"),
    ("routing", "kind = \"consistent-hash\"; vnodes = 0"),
    ("routing", "kind = \"rendezvous\""),
    ("routing", "kind = \"jump-hash\""),
    ("routing", "kind = \"maglev\""),
    ("routing", "kind = \"maglev\"; table_size = 4099"),
    ("routing", "kind = \"maglev\"; table_size = 4098"),
    ("routing", "kind = \"bounded-load\""),
    ("routing", "kind = \"bounded-load\"; vnodes = 10; c = 2"),
    ("routing", "kind = \"bounded-load\"; c = 1.5"),
    ("routing", "kind = \"bounded-load\"; c = 0.5"),
    ("routing", "kind = \"primary-backup\""),
    (
        "routing",
        "kind = \"primary-backup\"; ranges = 4; replicas = 2; promotion_delay = \"50ms\"; failback = \"return\"",
    ),
    ("routing", "kind = \"primary-backup\"; ranges = 0"),
    ("routing", "kind = \"primary-backup\"; failback = \"back\""),
    ("routing", "kind = \"round-robin\"; vnodes = 3"),
    ("routing", "kind = \"round-robn\""),
    ("retry", "kind = \"none\""),
    ("retry", "kind = \"fixed\""),
    (
        "retry",
        "kind = \"fixed\"; delay = \"5ms\"; jitter = \"full\"; max_attempts = 5; attempt_timeout = \"100ms\"; failover = false",
    ),
    ("retry", "kind = \"fixed\"; jitter = \"decorrelated\""),
    ("retry", "kind = \"fixed\"; max_attempts = 0"),
    ("retry", "kind = \"fixed\"; max_attempts = 70000"),
    ("retry", "kind = \"fixed\"; attempt_timeout = \"0s\""),
    ("retry", "kind = \"fixed\"; failover = 1"),
    ("retry", "kind = \"random\""),
    (
        "retry",
        "kind = \"random\"; min = \"10ms\"; max = \"20ms\"; max_attempts = 2",
    ),
    ("retry", "kind = \"random\"; min = \"30ms\"; max = \"20ms\""),
    ("retry", "kind = \"linear\""),
    (
        "retry",
        "kind = \"linear\"; initial = \"0s\"; step = \"1s\"; jitter = \"equal\"; attempt_timeout = \"2s\"",
    ),
    ("retry", "kind = \"exponential\""),
    (
        "retry",
        "kind = \"exponential\"; base = \"1ms\"; cap = \"10s\"; jitter = \"decorrelated\"; max_attempts = 10",
    ),
    ("retry", "kind = \"exponential\"; base = \"0s\""),
    ("retry", "kind = \"exponential\"; base = \"2s\""),
    ("retry", "kind = \"exponential\"; jitter = \"half\""),
    ("retry", "kind = \"hedge\""),
    ("retry", "kind = \"hedge\"; delay = \"20ms\""),
    (
        "retry",
        "kind = \"hedge\"; percentile = 0.5; max_attempts = 5; failover = false",
    ),
    (
        "retry",
        "kind = \"hedge\"; delay = \"20ms\"; percentile = 0.5",
    ),
    ("retry", "kind = \"hedge\"; delay = \"0s\""),
    ("retry", "kind = \"hedge\"; percentile = 1.0"),
    ("retry", "kind = \"hedge\"; max_attempts = 1"),
    ("retry", "kind = \"hedge\"; max_attempts = 6"),
    ("retry", "kind = \"hedge\"; attempt_timeout = \"10ms\""),
    ("retry_budget", "kind = \"none\""),
    ("retry_budget", "kind = \"token-bucket\""),
    (
        "retry_budget",
        "kind = \"token-bucket\"; max_tokens = 4; token_ratio = 0.1234567",
    ),
    ("retry_budget", "kind = \"token-bucket\"; max_tokens = 0.5"),
    ("retry_budget", "kind = \"token-bucket\"; token_ratio = 0"),
    ("retry_budget", "kind = \"percentage\""),
    (
        "retry_budget",
        "kind = \"percentage\"; percent = 12.5; min_retry_rate = 0; window = \"1s\"",
    ),
    (
        "retry_budget",
        "kind = \"percentage\"; percent = 0; min_retry_rate = 0",
    ),
    ("retry_budget", "kind = \"percentage\"; percent = 2000"),
    ("retry_budget", "kind = \"percentage\"; min_retry_rate = -1"),
    ("circuit_breaker", "kind = \"none\""),
    ("circuit_breaker", "kind = \"consecutive\""),
    (
        "circuit_breaker",
        "kind = \"consecutive\"; failures = 3; open_for = \"5s\"; trials = 2",
    ),
    ("circuit_breaker", "kind = \"consecutive\"; failures = 0"),
    (
        "circuit_breaker",
        "kind = \"consecutive\"; open_for = \"0s\"",
    ),
    ("circuit_breaker", "kind = \"consecutive\"; trials = 0"),
    ("circuit_breaker", "kind = \"failure-ratio\""),
    (
        "circuit_breaker",
        "kind = \"failure-ratio\"; ratio = 0.25; window = \"2s\"; min_attempts = 3; open_for = \"500ms\"",
    ),
    ("circuit_breaker", "kind = \"failure-ratio\"; ratio = 1"),
    ("circuit_breaker", "kind = \"failure-ratio\"; ratio = 0"),
    (
        "circuit_breaker",
        "kind = \"failure-ratio\"; min_attempts = 0",
    ),
    ("checkpoint", "kind = \"none\""),
    ("checkpoint", "kind = \"none\"; log = true"),
    ("checkpoint", "kind = \"none\"; log = false"),
    ("checkpoint", "kind = \"none\"; cost = \"1s\""),
    ("checkpoint", "kind = \"periodic\""),
    (
        "checkpoint",
        "kind = \"periodic\"; interval = \"5m\"; cost = \"10s\"; during = \"slow\"; slowdown = 3; log = true",
    ),
    ("checkpoint", "kind = \"periodic\"; during = \"slow\""),
    (
        "checkpoint",
        "kind = \"periodic\"; during = \"slow\"; slowdown = 1.5",
    ),
    ("checkpoint", "kind = \"periodic\"; slowdown = 2"),
    (
        "checkpoint",
        "kind = \"periodic\"; during = \"slow\"; slowdown = 0.5",
    ),
    ("checkpoint", "kind = \"periodic\"; during = \"fast\""),
    ("checkpoint", "kind = \"periodic\"; interval = \"0s\""),
    ("checkpoint", "kind = \"periodic\"; cost = \"0s\""),
    ("checkpoint", "kind = \"young-daly\""),
    (
        "checkpoint",
        "kind = \"young-daly\"; formula = \"young\"; initial_mtbf = \"1h\"; cost = \"1m\"; log = true",
    ),
    (
        "checkpoint",
        "kind = \"young-daly\"; formula = \"daly\"; during = \"slow\"; slowdown = 4.25",
    ),
    ("checkpoint", "kind = \"young-daly\"; formula = \"other\""),
    ("checkpoint", "kind = \"young-daly\"; initial_mtbf = \"0s\""),
    ("replication", "kind = \"none\""),
    ("replication", "kind = \"none\"; factor = 2"),
    ("replication", "kind = \"sync\""),
    (
        "replication",
        "kind = \"sync\"; factor = 5; acks = 2; catch_up = false",
    ),
    ("replication", "kind = \"sync\"; factor = 2"),
    ("replication", "kind = \"sync\"; factor = 3; acks = 4"),
    ("replication", "kind = \"sync\"; factor = 3; acks = 0"),
    ("replication", "kind = \"sync\"; factor = 1"),
    ("replication", "kind = \"sync\"; factor = 2000"),
    ("replication", "kind = \"async\""),
    (
        "replication",
        "kind = \"async\"; factor = 2; delay = \"1s\"; catch_up = false",
    ),
    ("replication", "kind = \"async\"; delay = 5"),
    ("ordering", "kind = \"arrival\""),
    ("ordering", "kind = \"lww\""),
    ("ordering", "kind = \"lww\"; clock = \"lamport\""),
    ("ordering", "kind = \"lww\"; clock = \"physical\""),
    (
        "ordering",
        "kind = \"lww\"; clock = \"physical\"; skew = \"5ms\"",
    ),
    ("ordering", "kind = \"lww\"; skew = \"5ms\""),
    ("ordering", "kind = \"lww\"; clock = \"vector\""),
    ("backup", "kind = \"none\""),
    ("backup", "kind = \"periodic\""),
    (
        "backup",
        "kind = \"periodic\"; interval = \"10m\"; transfer = \"1m\"",
    ),
    (
        "backup",
        "kind = \"periodic\"; interval = \"10m\"; transfer = \"10m\"",
    ),
    ("backup", "kind = \"periodic\"; interval = \"0s\""),
    ("backup", "kind = \"periodic\"; transfer = \"0s\""),
];

/// A config value from its text: a quoted string, a boolean, a float (with a point) or an
/// integer.
fn value(text: &str) -> Value {
    if let Some(q) = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        s(q)
    } else if text == "true" || text == "false" {
        Value::new(ValueKind::Bool(text == "true"), None)
    } else if text.contains('.') {
        f(text.parse().unwrap())
    } else {
        i(text.parse().unwrap())
    }
}

/// The family table of a case.
fn table(entries: &str) -> Table {
    entries
        .split("; ")
        .map(|e| {
            let (k, v) = e.split_once(" = ").unwrap();
            (k.to_string(), value(v))
        })
        .collect()
}

/// The record: each case, then its family's description or the error.
fn record() -> String {
    let mut out = String::new();
    for (family, entries) in CASES {
        let inner = table(entries);
        let mut outer = Table::new();
        outer.insert(
            family.to_string(),
            Value::new(ValueKind::Table(inner), Some(7)),
        );
        let src = Source::inline();
        let sec = Section::new(&outer, "strategies.s", Some(3), &src);
        let result = match build_strategy_set("s", &sec) {
            Ok(set) => {
                let d = &set.durability;
                match *family {
                    "detector" => set.detector.describe(),
                    "routing" => set.routing.describe(),
                    "retry" => set.retry.describe(),
                    "retry_budget" => set.retry_budget.describe(),
                    "circuit_breaker" => set.circuit_breaker.describe(),
                    "checkpoint" => d.checkpoint.describe(),
                    "replication" => d.replication.describe(),
                    "ordering" => d.ordering.describe(),
                    "backup" => d.backup.describe(),
                    other => panic!("no family {other}"),
                }
            }
            Err(e) => format!("error: {e}"),
        };
        writeln!(out, "{family} {{ {entries} }}\n  => {result}").unwrap();
    }
    out
}

#[test]
fn descriptions_and_errors_match_the_record() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/descriptions.txt");
    let got = record();
    if std::env::var_os("FAULTLINE_BLESS").is_some() {
        std::fs::write(path, &got).unwrap();
    }
    let want = std::fs::read_to_string(path).unwrap();
    for (g, w) in got.lines().zip(want.lines()) {
        assert_eq!(g, w, "a description or error text changed");
    }
    assert_eq!(got.lines().count(), want.lines().count());
}

/// Replication, ordering and backups are engine values that describe themselves: their
/// kinds' parameter tables must describe them the same way.
#[test]
fn engine_valued_families_describe_as_their_tables_do() {
    use crate::params::Params;
    use crate::registry::{Built, Family, find_kind};
    use sim_core::strategy::durability::{BackupSpec, OrderingSpec, ReplicationSpec};

    fn same<T: Built>(sec: &Section, kind: &'static crate::Kind, describe: fn(&T) -> String) {
        let Ok(mut params) = Params::read(kind.name, kind.params, sec) else {
            return;
        };
        let build = T::builder(kind.build).unwrap();
        if let Ok(built) = build(&mut params) {
            assert_eq!(describe(&built), params.describe());
        }
    }

    let mut checked = 0;
    for (family, entries) in CASES {
        let fam = match *family {
            "replication" => Family::Replication,
            "ordering" => Family::Ordering,
            "backup" => Family::Backup,
            _ => continue,
        };
        let inner = table(entries);
        let src = Source::inline();
        let sec = Section::new(&inner, *family, None, &src);
        let name: String = sec.req("kind").unwrap();
        let family = fam;
        let Some(kind) = find_kind(family, &name) else {
            continue;
        };
        match family {
            Family::Replication => same::<ReplicationSpec>(&sec, kind, ReplicationSpec::describe),
            Family::Ordering => same::<OrderingSpec>(&sec, kind, OrderingSpec::describe),
            _ => same::<BackupSpec>(&sec, kind, BackupSpec::describe),
        }
        checked += 1;
    }
    assert!(checked >= 20, "{checked} cases");
}
