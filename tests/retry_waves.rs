//! Synchronized retry waves, and how jitter breaks them up. Four servers build a backlog
//! of about 350 requests under a scripted slowdown; then an `error` fault answers all of
//! it with an error at the same instant t0. Exponential backoff (base 100 ms) without
//! jitter sends every one of those retries at exactly t0 + 100 ms: the whole cohort lands
//! in one 10 ms bucket. The jitters of Brooker's "Exponential Backoff and Jitter" spread
//! the first retry uniformly over their range: full over [0, 100] ms (10 buckets), equal
//! over [50, 100] ms (5 buckets), decorrelated over [100, 300] ms (20 buckets).
//!
//! Tolerance: with M requests in the cohort and the retries spread uniformly over B
//! buckets, each bucket holds Binomial(M, 1/B); the busiest holds a share above
//! 1/B + 4 sqrt((1/B)(1 - 1/B)/M) with probability below B x 3.2e-5 (union bound).

use crate::common;

use crate::common::trace_time_ns;
use experiments::Experiment;
use sim_core::model::trace::TraceFilter;
use std::collections::BTreeMap;

const CONFIG: &str = r#"
[experiment]
name = "waves"
seed = 3
duration = "4s"

[cluster]
servers = 4
workers = 1
queue_capacity = 10000
service = { dist = "constant", value = "5ms" }

[workload]
arrivals = { kind = "poisson", rate = 400.0 }
timeout = "5s"

[[faults.scripted]]
at = "1s"
kind = "slow"
factor = 20.0
for = "1s"

[[faults.scripted]]
at = "2s"
kind = "error"
for = "1s"

[strategies.none]
retry = { kind = "exponential", base = "100ms", cap = "10s", jitter = "none", max_attempts = 3 }

[strategies.full]
retry = { kind = "exponential", base = "100ms", cap = "10s", jitter = "full", max_attempts = 3 }

[strategies.equal]
retry = { kind = "exponential", base = "100ms", cap = "10s", jitter = "equal", max_attempts = 3 }

[strategies.decorrelated]
retry = { kind = "exponential", base = "100ms", cap = "10s", jitter = "decorrelated", max_attempts = 3 }
"#;

const FLUSH_NS: u64 = 2_000_000_000;
const BUCKET_NS: u64 = 10_000_000;

fn field<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    line.split(' ')
        .find_map(|w| w.strip_prefix(name)?.strip_prefix('='))
}

/// The requests failed by the flush, and the delay from the flush to each one's first
/// retry.
fn first_retry_delays(exp: &Experiment, strategy: u32) -> Vec<u64> {
    let key = exp.runs().find(|k| k.strategy == strategy).unwrap();
    let mut trace = Vec::new();
    sim_core::simulate_traced(
        &exp.cell(key).scenario,
        exp.strategy(key),
        exp.run_seed(key),
        &mut trace,
        TraceFilter::default(),
    )
    .unwrap();
    let text = String::from_utf8(trace).unwrap();
    let mut cohort: BTreeMap<u64, Option<u64>> = BTreeMap::new();
    for line in text.lines() {
        let at = trace_time_ns(line);
        if at == FLUSH_NS && line.contains("recv response") && line.contains("status=error") {
            cohort.insert(field(line, "req").unwrap().parse().unwrap(), None);
        } else if at > FLUSH_NS && line.contains("retry-due") {
            let req: u64 = field(line, "req").unwrap().parse().unwrap();
            if let Some(slot @ None) = cohort.get_mut(&req) {
                *slot = Some(at - FLUSH_NS);
            }
        }
    }
    cohort
        .values()
        .map(|d| d.expect("every flushed request retries"))
        .collect()
}

/// The largest share of `delays` in one 10 ms bucket counted from the flush.
fn busiest_share(delays: &[u64]) -> f64 {
    let mut buckets: BTreeMap<u64, u32> = BTreeMap::new();
    for d in delays {
        *buckets.entry(d / BUCKET_NS).or_default() += 1;
    }
    f64::from(*buckets.values().max().unwrap()) / delays.len() as f64
}

#[test]
fn without_jitter_a_failed_cohort_retries_in_one_wave_and_jitter_spreads_it() {
    let exp = common::experiment(CONFIG);
    let ms = 1_000_000;
    // (strategy, range of the first retry's delay, buckets it spans)
    let cases = [
        (0, (100 * ms, 100 * ms), 1.0),
        (1, (0, 100 * ms), 10.0),
        (2, (50 * ms, 100 * ms), 5.0),
        (3, (100 * ms, 300 * ms), 20.0),
    ];
    let mut cohort_size = 0;
    for (strategy, (lo, hi), buckets) in cases {
        let delays = first_retry_delays(&exp, strategy);
        let m = delays.len();
        assert!(m > 300, "the flush fails a large cohort at once ({m})");
        if strategy == 0 {
            cohort_size = m;
        } else {
            assert_eq!(m, cohort_size, "every strategy meets the same flush");
        }
        assert!(
            delays.iter().all(|d| (lo..=hi).contains(d)),
            "strategy {strategy}: first retries outside [{lo}, {hi}] ns"
        );
        let share = busiest_share(&delays);
        let p = 1.0 / buckets;
        let bound = p + 4.0 * (p * (1.0 - p) / m as f64).sqrt();
        if strategy == 0 {
            assert_eq!(
                share, 1.0,
                "without jitter the whole cohort retries at once"
            );
        } else {
            assert!(
                share <= bound,
                "strategy {strategy}: busiest 10 ms holds {share:.3} of {m}, expected at most {bound:.3}"
            );
        }
    }

    // The same seen through the runs.csv column: the busiest 10 ms of the run holds the
    // whole cohort without jitter. With full jitter the busiest holds at most the cohort's
    // wave-one share (0.1 M + 4 sd = 57 of 348), its wave two spread over 200 ms (at most
    // 0.05 M + 4 sd = 33) and the retries of requests failing on arrival during the fault
    // (400/s, two retries each spread over >= 100 ms: about 8 per 10 ms, at most 20): 110,
    // under half the no-jitter peak.
    let keys: Vec<_> = exp.runs().collect();
    let mut peaks = Vec::new();
    experiments::runner::run_keys(&exp, &keys, 2, |_, r| -> Result<(), ()> {
        peaks.push(r.report.retries_peak_10ms);
        Ok(())
    })
    .unwrap();
    assert!(
        peaks[0] >= cohort_size as u64,
        "peaks {peaks:?}, cohort {cohort_size}"
    );
    assert!(2 * peaks[1] < peaks[0], "peaks {peaks:?}");
}
