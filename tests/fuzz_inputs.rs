//! No input makes faultline panic: property tests feed the config loader, the duration
//! parser, the distribution parser, `--set` overrides and the simulation itself with
//! generated input, valid and not, and check that every outcome is either a result or an
//! error that names the file.
//!
//! Each property runs a few hundred to a few thousand cases (about a second in release),
//! from a fixed seed so that the suite does the same work on every run. For a longer
//! campaign, `FAULTLINE_FUZZ_CASES=N` multiplies every count by N and
//! `FAULTLINE_FUZZ_SEED=random` (or a number) draws other cases; `FAULTLINE_FUZZ_SLOW=1`
//! prints every simulated case that took over half a second:
//! `FAULTLINE_FUZZ_CASES=200 FAULTLINE_FUZZ_SEED=random cargo test --release -p
//! experiments --test suite fuzz_inputs`.
//! Inputs that once found a bug are kept as named regression cases at the end of this
//! file and, for configs, in `tests/bad_configs/`.

use experiments::load::{parse_document, parse_override_value, set_path};
use experiments::{Experiment, Overrides};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use sim_core::config::{Section, Source, Table, Value, ValueKind};
use sim_core::engine::rng::{Purpose, RngFactory};
use sim_core::{Dist, SimDuration};

/// The number of cases for a property: `base`, times FAULTLINE_FUZZ_CASES if set; the
/// seed is fixed unless FAULTLINE_FUZZ_SEED says otherwise.
fn cases(base: u32) -> Config {
    let factor = std::env::var("FAULTLINE_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse::<u32>().ok())
        .unwrap_or(1);
    let rng_seed = match std::env::var("FAULTLINE_FUZZ_SEED").ok().as_deref() {
        Some("random") => RngSeed::Random,
        Some(n) => RngSeed::Fixed(n.parse().unwrap_or(2024)),
        None => RngSeed::Fixed(2024),
    };
    Config {
        cases: base.saturating_mul(factor),
        failure_persistence: None,
        rng_seed,
        ..Config::default()
    }
}

const BASE: &str = r#"[experiment]
name = "fuzz"
seed = 3
replications = 2
duration = "2s"
warmup = "100ms"

[cluster]
servers = 3
workers = 1
queue_capacity = 10
service = { dist = "exponential", mean = "5ms" }

[workload]
arrivals = { kind = "poisson", rate = 100.0 }
keys = { count = 100, popularity = "zipf", s = 0.9 }
timeout = "200ms"

[network]
delay = { dist = "uniform", min = "1ms", max = "2ms" }
loss = 0.01

[faults]
crash = { mttf = { dist = "exponential", mean = "1s" }, mttr = { dist = "exponential", mean = "200ms" } }

[[faults.scripted]]
at = "500ms"
for = "300ms"
kind = "slow"
factor = 3.0
server = 1

[strategies.a]
detector = { kind = "fixed-timeout", interval = "50ms", timeout = "150ms" }
routing = { kind = "round-robin" }

[strategies.b]
routing = { kind = "consistent-hash", vnodes = 10 }

[sweep]
"cluster.servers" = [2, 3]

[checks]
min_availability = 0.5
"#;

/// Keys config tables hold, to build tables that reach deep into the readers.
const KEY_NAMES: &[&str] = &[
    "dist",
    "mean",
    "value",
    "min",
    "max",
    "sd",
    "median",
    "p99",
    "scale",
    "shape",
    "file",
    "column",
    "unit",
    "kind",
    "rate",
    "clients",
    "think",
    "count",
    "popularity",
    "s",
    "size",
    "miss_penalty",
    "mttf",
    "mttr",
    "at",
    "for",
    "server",
    "servers",
    "factor",
    "probability",
    "extra",
    "up",
    "down",
    "interval",
    "timeout",
    "misses",
    "vnodes",
    "d",
    "decay",
    "default_rtt",
    "choices",
    "threshold",
    "min_requests",
    "table_size",
    "c",
    "detector",
    "routing",
    "retry",
];

/// Words string values take: kinds, distribution names, durations and junk.
const WORDS: &[&str] = &[
    "exponential",
    "constant",
    "uniform",
    "normal",
    "lognormal",
    "pareto",
    "weibull",
    "empirical",
    "poisson",
    "closed",
    "zipf",
    "crash",
    "partition",
    "slow",
    "loss",
    "delay",
    "load-spike",
    "flaky-link",
    "fixed-timeout",
    "round-robin",
    "random",
    "least-outstanding",
    "power-of-d",
    "peak-ewma",
    "error-rate",
    "modulo",
    "consistent-hash",
    "rendezvous",
    "jump-hash",
    "maglev",
    "bounded-load",
    "none",
    "all",
    "0s",
    "1ns",
    "10ms",
    "1.5s",
    "10m",
    "2h",
    "213503d",
    "18446744073709551615ns",
    "0.000000001s",
    "-1s",
    "",
    "ms",
    "bad_configs",
];

/// Dotted paths overrides and mutations aim at, from every table and some that exist nowhere.
const PATHS: &[&str] = &[
    "experiment",
    "experiment.name",
    "experiment.seed",
    "experiment.replications",
    "experiment.duration",
    "experiment.warmup",
    "cluster",
    "cluster.servers",
    "cluster.workers",
    "cluster.queue_capacity",
    "cluster.service",
    "cluster.service.mean",
    "cluster.service.dist",
    "cluster.cache",
    "workload",
    "workload.arrivals",
    "workload.arrivals.kind",
    "workload.arrivals.rate",
    "workload.arrivals.clients",
    "workload.arrivals.think",
    "workload.keys",
    "workload.keys.count",
    "workload.keys.s",
    "workload.timeout",
    "network",
    "network.delay",
    "network.loss",
    "faults",
    "faults.crash",
    "faults.crash.mttf",
    "faults.crash.mttr.mean",
    "faults.scripted",
    "faults.scripted[0]",
    "faults.scripted[0].at",
    "faults.scripted[0].kind",
    "faults.scripted[0].factor",
    "faults.scripted[0].server",
    "faults.scripted[0].servers",
    "faults.scripted[0].for",
    "strategies",
    "strategies.a",
    "strategies.a.detector",
    "strategies.a.detector.timeout",
    "strategies.a.detector.misses",
    "strategies.a.routing",
    "strategies.a.routing.kind",
    "strategies.b.routing.vnodes",
    "strategies.b.retry",
    "strategies.c",
    "sweep",
    "sweep.cluster",
    "checks",
    "checks.min_availability",
    "checks.max_latency_p99",
    "nowhere",
    "cluster.nowhere.deeper",
];

fn int(i: i64) -> Value {
    Value::new(ValueKind::Int(i), Some(1))
}

fn float(x: f64) -> Value {
    Value::new(ValueKind::Float(x), Some(1))
}

fn string(s: String) -> Value {
    Value::new(ValueKind::Str(s), Some(1))
}

/// Duration-like text: a number, maybe a fraction, maybe a unit, maybe junk.
fn duration_text() -> impl Strategy<Value = String> {
    (
        prop_oneof![
            any::<u64>().prop_map(|n| n.to_string()),
            (0u64..100_000).prop_map(|n| n.to_string()),
            Just(String::new()),
            Just("-1".to_string()),
        ],
        prop::option::of("[0-9]{0,20}"),
        prop::sample::select(vec![
            "ns", "us", "µs", "ms", "s", "m", "min", "h", "d", "", " ms", "x", "sec",
        ]),
    )
        .prop_map(|(int, frac, unit)| match frac {
            Some(f) => format!("{int}.{f}{unit}"),
            None => format!("{int}{unit}"),
        })
}

fn leaf_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(int),
        prop::sample::select(vec![
            0i64,
            1,
            -1,
            2,
            7,
            1000,
            u32::MAX as i64,
            u32::MAX as i64 + 1,
            i64::MAX,
            i64::MIN,
        ])
        .prop_map(int),
        any::<f64>().prop_map(float),
        prop::sample::select(vec![
            0.0,
            -0.0,
            1e-300,
            1e-9,
            0.5,
            1.0,
            1.5,
            1e9,
            1e300,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ])
        .prop_map(float),
        duration_text().prop_map(string),
        prop::sample::select(WORDS).prop_map(|w| string(w.to_string())),
        "[ -~]{0,12}".prop_map(string),
        any::<bool>().prop_map(|b| Value::new(ValueKind::Bool(b), Some(1))),
    ]
}

fn any_value() -> impl Strategy<Value = Value> {
    leaf_value().prop_recursive(3, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4)
                .prop_map(|items| Value::new(ValueKind::Array(items), Some(1))),
            prop::collection::btree_map(
                prop_oneof![
                    4 => prop::sample::select(KEY_NAMES).prop_map(str::to_string),
                    1 => "[a-z_]{1,8}",
                ],
                inner,
                0..6
            )
            .prop_map(|t: Table| Value::new(ValueKind::Table(t), Some(1))),
        ]
    })
}

/// A value a distribution parameter might hold: mostly plausible, sometimes anything.
fn param_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => duration_text().prop_map(string),
        2 => prop::sample::select(vec![
            "1ns", "1ms", "10ms", "1s", "1h", "213503d", "0s", "18446744073709551615ns",
        ])
        .prop_map(|w| string(w.to_string())),
        2 => prop::sample::select(vec![1e-300, 1e-9, 0.01, 0.5, 1.0, 3.0, 1e3, 1e300]).prop_map(float),
        2 => leaf_value(),
    ]
}

/// A distribution table: a name (sometimes misspelt), its own parameters with values that
/// are mostly plausible, and sometimes a parameter it does not take.
fn dist_table() -> impl Strategy<Value = (String, Table)> {
    let names: Vec<&str> = sim_core::engine::dist::DIST_NAMES
        .iter()
        .copied()
        .chain(["expo"])
        .collect();
    prop::sample::select(names).prop_flat_map(|name| {
        let keys: &[&str] = match name {
            "constant" => &["value"],
            "uniform" => &["min", "max"],
            "exponential" => &["mean"],
            "normal" => &["mean", "sd"],
            "lognormal" => &["median", "p99"],
            "pareto" | "weibull" => &["scale", "shape"],
            "empirical" => &["file", "unit"],
            _ => &["mean"],
        };
        let own = prop::collection::vec(param_value(), keys.len()).prop_map(move |values| {
            keys.iter()
                .map(|k| k.to_string())
                .zip(values)
                .collect::<Table>()
        });
        let extra = prop::collection::btree_map(
            prop::sample::select(vec!["extra", "mean", "column", "sd"]).prop_map(str::to_string),
            param_value(),
            0..2,
        );
        (Just(name.to_string()), own, extra, any::<bool>()).prop_map(
            |(name, mut own, extra, add)| {
                if add {
                    own.extend(extra);
                }
                (name, own)
            },
        )
    })
}

/// Builds the experiment of a config tree; an error must name the config file.
fn load_tree(root: Table) -> Result<Experiment, String> {
    let doc = experiments::load::Document {
        root,
        source: Source::new("fuzz.toml", "."),
    };
    Experiment::from_document(doc, "fuzz.toml".into(), Overrides::default()).map_err(|e| {
        let text = e.to_string();
        assert!(
            text.starts_with("fuzz.toml"),
            "error without the file: {text}"
        );
        assert!(!e.message.is_empty());
        text
    })
}

fn base_tree() -> Table {
    parse_document(BASE, Source::new("fuzz.toml", "."))
        .unwrap()
        .root
}

/// Every run of an experiment that loaded: the numbers add up. Runs only experiments whose
/// cost is small by construction (the base config with mutated parameters rarely is not;
/// those are skipped by the budget check).
fn check_reports(exp: &Experiment) {
    for key in exp.runs().take(4) {
        let cell = exp.cell(key);
        if !cheap(&cell.scenario) {
            continue;
        }
        let r = experiments::runner::run_one(exp, key).report;
        assert_eq!(r.failed, r.requests - r.ok);
        assert_eq!(
            r.failed,
            r.timed_out + r.rejected + r.unavailable + r.errored
        );
        if let Some(a) = r.availability {
            assert!((0.0..=1.0).contains(&a), "availability {a}");
        }
        assert!((0.0..=1.0).contains(&r.server_availability));
    }
}

/// Whether a scenario costs at most a few thousand events: few arrivals and heartbeats.
fn cheap(s: &sim_core::Scenario) -> bool {
    use sim_core::config::scenario::ArrivalSpec;
    let secs = s.duration.as_secs_f64();
    let span = (s.duration + s.workload.timeout).as_secs_f64();
    let spikes: f64 = s
        .faults
        .scripted
        .iter()
        .map(|f| f.kind.load_factor().max(1.0))
        .product();
    let arrivals = match &s.workload.arrivals {
        ArrivalSpec::Poisson { rate, .. } => rate * spikes * secs,
        ArrivalSpec::Closed { clients, think } => {
            let cycle = think.mean().unwrap_or(1.0).max(1e-3);
            f64::from(*clients) * secs / cycle
        }
        // A batch job runs until its work is done, crashes and restarts included.
        ArrivalSpec::Batch { length } if length.as_secs_f64() > 60.0 => return false,
        ArrivalSpec::Batch { .. } => 0.0,
    };
    let crash_events = s.faults.crash.as_ref().map_or(0.0, |c| {
        let cycle = c.mttf.mean().unwrap_or(1.0) + c.mttr.mean().unwrap_or(1.0);
        2.0 * f64::from(s.cluster.servers) * span / cycle.max(1e-3)
    });
    arrivals < 5_000.0
        && crash_events < 5_000.0
        && s.cluster.servers <= 64
        && span <= 120.0
        && s.cluster.cache.is_none()
}

proptest! {
    #![proptest_config(cases(400))]

    /// Any value at any path of a valid config loads or is refused with a located error.
    #[test]
    fn the_config_loader_never_panics(
        edits in prop::collection::vec((prop::sample::select(PATHS), any_value()), 1..5)
    ) {
        let mut root = base_tree();
        for (path, value) in edits {
            let _ = set_path(&mut root, path, value);
        }
        if let Ok(exp) = load_tree(root) {
            check_reports(&exp);
        }
    }

    /// Config text cut, doubled or sprinkled with TOML punctuation parses or is refused.
    #[test]
    fn config_text_never_panics(
        edits in prop::collection::vec(
            (any::<prop::sample::Index>(), 0usize..8, prop::sample::select(vec![
                "", "=", "[", "]", "{", "}", "\"", "'", ",", ".", "\n", "#", "[[", "]]",
                "0", "-", "inf", "nan", "1e999", "99999999999999999999", "\"\"\"", "\\u0000",
                "x = 1\n", "[cluster]\n", "servers = 0\n", "é", "\u{0}",
            ])),
            1..6,
        )
    ) {
        let mut text = BASE.to_string();
        for (at, cut, insert) in edits {
            let mut i = at.index(text.len() + 1);
            while !text.is_char_boundary(i) {
                i -= 1;
            }
            let mut end = (i + cut).min(text.len());
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            text.replace_range(i..end, insert);
        }
        match parse_document(&text, Source::new("fuzz.toml", ".")) {
            Ok(doc) => {
                let _ = load_tree(doc.root);
            }
            Err(e) => prop_assert!(e.to_string().starts_with("fuzz.toml"), "{e}"),
        }
    }

    /// `--set KEY=VALUE` with any key and value text applies or is refused.
    #[test]
    fn overrides_never_panic(
        key in prop_oneof![prop::sample::select(PATHS).prop_map(str::to_string), "[a-z.\\[\\]0-9 ]{0,24}"],
        text in prop_oneof![
            "[ -~]{0,24}",
            prop::sample::select(WORDS).prop_map(str::to_string),
            Just("{ dist = \"constant\", value = \"5ms\" }".to_string()),
            Just("[1, 2".to_string()),
        ],
    ) {
        let mut root = base_tree();
        let value = parse_override_value(&text);
        let _ = set_path(&mut root, &key, value);
        let _ = load_tree(root);
    }
}

proptest! {
    #![proptest_config(cases(4000))]

    /// Any text parses as a duration or gives a reason; nothing panics.
    #[test]
    fn duration_parsing_never_panics(text in prop_oneof!["\\PC{0,24}", duration_text()]) {
        match SimDuration::parse(&text) {
            Ok(d) => {
                // What parses prints back to the same value.
                prop_assert_eq!(SimDuration::parse(&d.to_string()), Ok(d));
            }
            Err(e) => prop_assert!(!e.reason.is_empty()),
        }
    }

    /// A whole number of a unit parses to exactly that many nanoseconds, or is refused as
    /// too long exactly when it exceeds u64 nanoseconds.
    #[test]
    fn whole_durations_parse_exactly(n in any::<u64>(), unit in 0usize..7) {
        let (name, ns) = [
            ("ns", 1u128), ("us", 1_000), ("ms", 1_000_000), ("s", 1_000_000_000),
            ("m", 60_000_000_000), ("h", 3_600_000_000_000), ("d", 86_400_000_000_000),
        ][unit];
        let exact = u128::from(n) * ns;
        match SimDuration::parse(&format!("{n}{name}")) {
            Ok(d) => prop_assert_eq!(u128::from(d.as_nanos()), exact),
            Err(e) => {
                prop_assert!(exact > u128::from(u64::MAX), "{n}{name}: {e}");
                prop_assert!(e.reason.contains("too long"), "{e}");
            }
        }
    }

    /// Every duration prints in a form that parses back to itself.
    #[test]
    fn every_duration_round_trips(ns in any::<u64>()) {
        let d = SimDuration(ns);
        prop_assert_eq!(SimDuration::parse(&d.to_string()), Ok(d));
    }
}

proptest! {
    #![proptest_config(cases(1500))]

    /// Any distribution table builds or is refused naming its key; one that builds draws
    /// only finite, non-negative durations and has a sane mean.
    #[test]
    fn distributions_build_or_explain_and_sample_safely(
        (name, params) in dist_table(),
        seed in any::<u64>(),
    ) {
        let mut table = params;
        table.insert("dist".into(), string(name));
        let mut root = Table::new();
        root.insert("service".into(), Value::new(ValueKind::Table(table), Some(4)));
        let source = Source::new("fuzz.toml", ".");
        let sec = Section::new(&root, "cluster", Some(3), &source);
        match Dist::req(&sec, "service") {
            Ok(dist) => {
                let mut rng = RngFactory::new(seed).stream(Purpose::Requests, 0);
                for _ in 0..32 {
                    let x = dist.sample_secs(&mut rng);
                    prop_assert!(x >= 0.0, "{dist}: drew {x}");
                    let _ = dist.sample(&mut rng);
                }
                if let Some(m) = dist.mean() {
                    prop_assert!(m >= 0.0, "{dist}: mean {m}");
                }
                let _ = dist.second_moment();
                let _ = dist.to_config();
            }
            Err(e) => {
                prop_assert!(e.to_string().starts_with("fuzz.toml:"), "{e}");
                prop_assert!(e.key.as_deref().is_some_and(|k| k.starts_with("cluster.service")), "{e}");
            }
        }
    }
}

/// A small scenario with parameters drawn across their whole valid range, extremes
/// included: tiny and huge rates, queues of 0 and 2^32 - 1, durations near 584 years with
/// rates low enough to finish, slow and fast detectors, faults at the edges of the run.
fn extreme_config() -> impl Strategy<Value = String> {
    (
        (1u32..=40, 1u32..=4, prop::sample::select(vec![0u64, 1, 5, 1000, u32::MAX as u64])),
        prop::sample::select(vec!["1ms", "1s", "1h", "1000d", "213503d"]),
        prop::sample::select(vec![1e-9f64, 1e-3, 0.5, 20.0, 200.0]),
        prop::sample::select(vec![
            "\"1ns\"", "\"0s\"", "{ dist = \"exponential\", mean = \"10ms\" }",
            "{ dist = \"pareto\", scale = \"1ms\", shape = 0.5 }",
            "{ dist = \"weibull\", scale = \"1ms\", shape = 0.05 }",
            "{ dist = \"lognormal\", median = \"1ms\", p99 = \"100000h\" }",
        ]),
        prop::sample::select(vec!["1ns", "1ms", "1s", "213503d"]),
        prop::sample::select(vec![
            "", "crash = { mttf = \"1ns\", mttr = \"1ns\" }",
            "crash = { mttf = { dist = \"exponential\", mean = \"1s\" }, mttr = \"213503d\" }",
            "crash = { mttf = \"213503d\", mttr = \"1ms\" }",
        ]),
        prop::sample::select(vec![
            "", "[[faults.scripted]]\nat = \"0s\"\nkind = \"crash\"\n",
            "[[faults.scripted]]\nat = \"213503d\"\nkind = \"partition\"\n",
            "[[faults.scripted]]\nat = \"0s\"\nkind = \"slow\"\nfactor = 1e-300\n",
            "[[faults.scripted]]\nat = \"0s\"\nkind = \"loss\"\nprobability = 1.0\n",
            "[[faults.scripted]]\nat = \"1ms\"\nfor = \"1ns\"\nkind = \"delay\"\nextra = \"213503d\"\n",
            "[[faults.scripted]]\nat = \"0s\"\nkind = \"error\"\nservers = [0]\n",
            "[[faults.scripted]]\nat = \"0s\"\nkind = \"partition\"\npeer = \"monitor\"\n",
            "[[faults.scripted]]\nat = \"0s\"\nfor = \"1s\"\nkind = \"flaky-link\"\nup = \"1ms\"\ndown = { dist = \"exponential\", mean = \"1ms\" }\nprobability = 0.5\npeer = \"clients\"\n",
            "[[faults.scripted]]\nat = \"1ms\"\nfor = \"1ns\"\nkind = \"flaky-link\"\nup = \"213503d\"\ndown = \"1ns\"\n",
        ]),
        (
            prop::sample::select(vec![
                "{ kind = \"fixed-timeout\", interval = \"1ns\", timeout = \"1ns\" }",
                "{ kind = \"fixed-timeout\", interval = \"213503d\", timeout = \"213503d\" }",
                "{ kind = \"fixed-timeout\", misses = 1, placement = \"client\" }",
                "{ kind = \"fixed-timeout\", propagation = \"213503d\" }",
                "{ kind = \"phi-accrual\", interval = \"1ms\", threshold = 1e-9, min_std_deviation = \"1ns\" }",
                "{ kind = \"phi-accrual\", threshold = 1e6, acceptable_heartbeat_pause = \"213503d\", max_sample_size = 1 }",
                "{ kind = \"swim\", period = \"1ms\", probe_timeout = \"1ns\", indirect_timeout = \"1ns\", indirect_probes = 0 }",
                "{ kind = \"swim\", placement = \"client\", indirect_probes = 1000 }",
            ]),
            prop::sample::select(vec![
                "round-robin", "random", "least-outstanding", "power-of-d", "peak-ewma",
                "error-rate", "modulo", "consistent-hash", "rendezvous", "jump-hash", "maglev",
                "bounded-load", "primary-backup",
            ]),
            prop::sample::select(vec!["1", "1000", "4294967295"]),
            prop::sample::select(vec![
                "",
                "retry = { kind = \"fixed\", delay = \"0s\", max_attempts = 1000, failover = false }",
                "retry = { kind = \"exponential\", base = \"1ns\", cap = \"213503d\", max_attempts = 64, attempt_timeout = \"1ns\" }",
                "retry = { kind = \"linear\", initial = \"213503d\", step = \"213503d\", max_attempts = 5 }",
                "retry = { kind = \"hedge\", percentile = 0.999, max_attempts = 8 }",
                "retry = { kind = \"hedge\", delay = \"1ns\", max_attempts = 3 }\nretry_budget = { kind = \"token-bucket\", max_tokens = 1, token_ratio = 1e-9 }",
                "retry = { kind = \"random\", min = \"0s\", max = \"213503d\" }\ncircuit_breaker = { kind = \"consecutive\", failures = 1, open_for = \"213503d\" }",
                "circuit_breaker = { kind = \"failure-ratio\", ratio = 1e-9, window = \"1ns\", min_attempts = 1, open_for = \"1ns\" }",
            ]),
        ),
    )
        .prop_map(
            |((servers, workers, queue), duration, rate, service, timeout, crash, scripted, (detector, routing, keys, retry))| {
                // Keep the expected number of arrivals small whatever the duration.
                let secs = SimDuration::parse(duration).unwrap().as_secs_f64();
                let rate = rate.min(500.0 / secs).max(1e-12);
                let keys_line = format!("keys = {{ count = {keys} }}");
                let network = "[network]\ndelay = \"1ms\"\n";
                format!(
                    "[experiment]\nduration = \"{duration}\"\n\n[cluster]\nservers = {servers}\nworkers = {workers}\nqueue_capacity = {queue}\nservice = {service}\n\n[workload]\narrivals = {{ kind = \"poisson\", rate = {rate:e} }}\n{keys_line}\ntimeout = \"{timeout}\"\n\n{network}\n[faults]\n{crash}\n\n{scripted}\n[strategies.s]\ndetector = {detector}\nrouting = {{ kind = \"{routing}\" }}\n{retry}\n"
                )
            },
        )
}

proptest! {
    #![proptest_config(cases(120))]

    /// Extreme but valid scenarios run to the end, or are refused; the numbers add up.
    #[test]
    fn extreme_scenarios_run_or_are_refused(config in extreme_config()) {
        let doc = parse_document(&config, Source::new("fuzz.toml", ".")).unwrap();
        let Ok(exp) = load_tree(doc.root) else {
            return Ok(());
        };
        let scenario = &exp.cells[0].scenario;
        // Heartbeats of a 1 ns interval over a long run would take forever: not panics,
        // just time. Those configs only load.
        let interval = exp.cells[0].strategies[0].detector.heartbeat_interval();
        // A detector without heartbeats (SWIM) probes at its own period: count 1 ms.
        let interval = interval.map_or(1e-3, |i| i.as_secs_f64());
        // Requests issued during the run may last until their deadline, and heartbeats go
        // on meanwhile.
        let span = (scenario.duration + scenario.workload.timeout).as_secs_f64();
        let heartbeats = span / interval
            * f64::from(scenario.cluster.servers);
        let crash_cycle = scenario.faults.crash.as_ref().map_or(f64::INFINITY, |c| {
            c.mttf.mean().unwrap_or(f64::INFINITY) + c.mttr.mean().unwrap_or(f64::INFINITY)
        });
        let crashes = span / crash_cycle * f64::from(scenario.cluster.servers);
        // Every change of the clients' view places a sample of up to 4096 keys again (the
        // keys_remapped measure): a detector that flaps on each heartbeat, with many keys,
        // costs milliseconds per heartbeat. Such runs are slow, not wrong.
        let budget = if scenario.workload.keys.count > 1000 { 2_000.0 } else { 200_000.0 };
        if heartbeats > budget || crashes > 200_000.0 {
            return Ok(());
        }
        let t0 = std::time::Instant::now();
        let r = experiments::runner::run_one(&exp, exp.run_key(0)).report;
        if std::env::var("FAULTLINE_FUZZ_SLOW").is_ok() && t0.elapsed().as_secs_f64() > 0.5 {
            eprintln!("slow case: {:.1} s, {} events: {config:?}", t0.elapsed().as_secs_f64(), r.events);
        }
        prop_assert_eq!(r.failed, r.requests - r.ok);
        prop_assert_eq!(r.failed, r.timed_out + r.rejected + r.unavailable + r.errored);
        prop_assert!((0.0..=1.0).contains(&r.server_availability), "{}", r.server_availability);
    }
}

/// Inputs that found bugs, kept as they were found.
mod regressions {
    use super::*;

    fn dist(text: &str) -> Result<Dist, sim_core::config::ConfigError> {
        let doc = parse_document(&format!("d = {text}\n"), Source::new("fuzz.toml", ".")).unwrap();
        let sec = Section::new(&doc.root, "", None, &doc.source);
        Dist::req(&sec, "d")
    }

    #[test]
    fn a_weibull_with_a_tiny_shape_has_no_finite_mean_rather_than_nan() {
        // Found by distributions_build_or_explain_and_sample_safely: Γ(1 + 1/shape)
        // overflowed and the mean came out NaN.
        let d = dist(r#"{ dist = "weibull", scale = "1ns", shape = 2e-300 }"#).unwrap();
        assert_eq!(d.mean(), None);
        assert_eq!(d.second_moment(), None);
        let mut rng = RngFactory::new(1).stream(Purpose::Requests, 0);
        assert!(d.sample_secs(&mut rng) >= 0.0);
    }
}
