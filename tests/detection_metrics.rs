//! Chen, Toueg and Aguilera's accuracy measures agree with each other and with the trace.
//!
//! A mistake is a span in which an up server stays suspected by an observer: it begins
//! when an up server is suspected or when a server recovers while still suspected, and
//! ends when the server is trusted again or crashes. `false_suspicions` counts the
//! mistakes that overlap the measurement window, `mistake_duration_mean_ms` (T_M) is
//! their mean length inside it, `wrong_suspicion_fraction` (1 - P_A) the suspected share
//! of up time and `mistake_rate_per_s` (lambda_M) the mistakes per second of up time, so
//! that 1 - P_A = lambda_M T_M holds to rounding on any run.

use crate::common;

use sim_core::RunReport;

/// One run of `text` (its first run) traced in full: the report and the engine's lines.
fn traced_run(text: &str) -> (RunReport, String) {
    common::traced_first_run(&common::experiment(text))
}

/// Phi accrual at a low threshold over a jittery network, with crashes whose repairs
/// (100 ms to 1 s) often come before the detector has trusted the server again, or
/// before it has even suspected it: many mistakes of both kinds.
fn config(placement: &str) -> String {
    format!(
        r#"
[experiment]
name = "accuracy"
seed = 11
duration = "120s"
warmup = "5s"

[cluster]
servers = 6
service = "1ms"

[workload]
arrivals = {{ kind = "poisson", rate = 5.0, clients = 2 }}

[network]
delay = {{ dist = "normal", mean = "20ms", sd = "8ms" }}
loss = 0.02

[faults]
crash = {{ mttf = {{ dist = "exponential", mean = "4s" }}, mttr = {{ dist = "uniform", min = "100ms", max = "1s" }} }}

[strategies.phi]
detector = {{ kind = "phi-accrual", interval = "100ms", threshold = 2.0, min_std_deviation = "5ms"{placement} }}
"#
    )
}

/// The mistakes of every (observer, server) pair rebuilt from the trace's crash,
/// recover, suspect and trust lines: how many overlap the window `[lo, hi)` (ns), their
/// total length inside it, and how many of them began with a recovery.
fn mistakes_from_trace(trace: &str, servers: usize, lo: u64, hi: u64) -> (u64, u64, u64) {
    #[derive(Clone, Copy, Default)]
    struct Pair {
        suspected: bool,
        since: Option<(u64, bool)>,
    }
    let mut up = vec![true; servers];
    let mut pairs: std::collections::BTreeMap<(String, usize), Pair> = Default::default();
    let (mut count, mut total, mut by_recovery) = (0u64, 0u64, 0u64);
    let mut close = |start: u64, end: u64, recovery: bool| {
        if start < hi && (end > lo || start >= lo) {
            count += 1;
            total += end.min(hi).saturating_sub(start.max(lo));
            by_recovery += u64::from(recovery);
        }
    };
    for line in trace.lines() {
        let mut words = line.split_whitespace();
        let (Some(_), Some(node), Some(event)) = (words.next(), words.next(), words.next()) else {
            continue;
        };
        let now = common::trace_time_ns(line);
        match event {
            "crash" | "recover" => {
                let s: usize = node.strip_prefix("server-").unwrap().parse().unwrap();
                up[s] = event == "recover";
                for ((_, server), p) in pairs.iter_mut() {
                    if *server != s {
                        continue;
                    }
                    match (p.since, up[s] && p.suspected) {
                        (None, true) => p.since = Some((now, true)),
                        (Some((start, r)), false) => {
                            p.since = None;
                            close(start, now, r);
                        }
                        _ => {}
                    }
                }
            }
            "suspect" | "trust" => {
                let s: usize = words
                    .next()
                    .and_then(|w| w.strip_prefix("server="))
                    .unwrap()
                    .parse()
                    .unwrap();
                let p = pairs.entry((node.to_string(), s)).or_default();
                p.suspected = event == "suspect";
                match (p.since, up[s] && p.suspected) {
                    (None, true) => p.since = Some((now, false)),
                    (Some((start, r)), false) => {
                        p.since = None;
                        close(start, now, r);
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    for p in pairs.values() {
        if let Some((start, r)) = p.since {
            close(start, hi.max(start), r);
        }
    }
    (count, total, by_recovery)
}

fn check_accuracy_measures(placement: &str, observers: f64) {
    let (r, trace) = traced_run(&config(placement));
    let (lo, hi) = (5_000_000_000, 120_000_000_000);
    let (count, total_ns, by_recovery) = mistakes_from_trace(&trace, 6, lo, hi);
    println!(
        "{count} mistakes ({by_recovery} begun by a recovery), {} crashes, T_M {:?} ms, 1 - P_A {}, lambda_M {}/s",
        r.crashes, r.mistake_duration_mean_ms, r.wrong_suspicion_fraction, r.mistake_rate_per_s
    );
    assert!(count >= 300, "{count} mistakes: the run must hold many");
    assert!(
        by_recovery >= 30 && by_recovery * 4 <= count * 3,
        "{by_recovery} of {count} mistakes begun by a recovery: both kinds must be common"
    );
    // The counts are the trace's, exactly; the mean to the nanosecond it is kept in.
    assert_eq!(r.false_suspicions, count);
    let mean_ms = r.mistake_duration_mean_ms.unwrap();
    assert!(
        (mean_ms * 1e6 - (total_ns / count) as f64).abs() < 1e-3,
        "T_M {mean_ms} ms, trace {} ns",
        total_ns / count
    );
    // Up time watched: the rate and the fraction share it.
    let up_s = r.server_availability * 6.0 * 115.0 * observers;
    assert!((r.mistake_rate_per_s - count as f64 / up_s).abs() < 1e-9 * r.mistake_rate_per_s);
    assert!(
        (r.wrong_suspicion_fraction - total_ns as f64 / 1e9 / up_s).abs()
            < 1e-9 * r.wrong_suspicion_fraction
    );
    // The identity 1 - P_A = lambda_M T_M, up to T_M's rounding to the nanosecond.
    let product = r.mistake_rate_per_s * mean_ms / 1e3;
    let relative = (product - r.wrong_suspicion_fraction).abs() / r.wrong_suspicion_fraction;
    assert!(
        relative < 1e-6,
        "lambda_M T_M = {product}, 1 - P_A = {}",
        r.wrong_suspicion_fraction
    );
}

#[test]
fn one_minus_p_a_is_lambda_m_times_t_m_at_the_monitor() {
    check_accuracy_measures("", 1.0);
}

#[test]
fn one_minus_p_a_is_lambda_m_times_t_m_in_the_clients() {
    check_accuracy_measures(", placement = \"client\"", 2.0);
}
