//! The timeline of one run, as two tidy tables beside a results folder's other files:
//! timeline.csv (requests ended per window: successes, failures, latency) and
//! timeline_spans.csv (each server's whole run, the warmup, the drain after requests stop,
//! each scripted fault, and every span in which a server was down or suspected). The run is replayed with recording on and must reproduce its
//! trace hash.

use crate::config::{Experiment, RunKey};
use crate::output::{create_csv, finish_csv};
use sim_core::config::scenario::Target;
use sim_core::report::format_real;
use sim_core::report::timeline::Timeline;
use sim_core::{RunResult, SimDuration, SimTime};
use std::io;
use std::path::Path;

pub const WINDOWS_FILE: &str = "timeline.csv";
pub const SPANS_FILE: &str = "timeline_spans.csv";

pub const WINDOW_COLUMNS: [&str; 9] = [
    "run_id",
    "time_s",
    "window_s",
    "ok",
    "failed",
    "goodput",
    "failed_per_s",
    "latency_mean_ms",
    "latency_p99_ms",
];

pub const SPAN_COLUMNS: [&str; 6] = ["run_id", "kind", "server", "from_s", "until_s", "detail"];

/// A window of about a two-hundredth of `duration`, rounded down to 1, 2 or 5 times a
/// power of ten (at least 1 ms): 2 minutes give 500 ms windows.
pub fn default_window(duration: SimDuration) -> SimDuration {
    let target_ms = (duration.0 / 200 / 1_000_000).max(1);
    let mut nice = 1u64;
    for step in (0..19).flat_map(|e| [1u64, 2, 5].map(|m| m * 10u64.pow(e))) {
        if step <= target_ms {
            nice = step;
        } else {
            break;
        }
    }
    SimDuration::from_millis(nice)
}

/// Replays run `key` of `exp` with its timeline recorded in windows of `window`.
pub fn record(exp: &Experiment, key: RunKey, window: SimDuration) -> RunResult {
    let cell = exp.cell(key);
    sim_core::simulate_timeline(&cell.scenario, exp.strategy(key), exp.run_seed(key), window)
}

fn seconds(t: SimTime) -> String {
    format_real(t.0 as f64 / 1e9)
}

fn opt_ms(d: Option<SimDuration>) -> String {
    d.map(|d| format_real(d.as_millis_f64()))
        .unwrap_or_default()
}

/// Writes timeline.csv and timeline_spans.csv of run `key` into `dir`.
pub fn write(dir: &Path, exp: &Experiment, key: RunKey, timeline: &Timeline) -> io::Result<()> {
    let run_id = exp.run_id(key);
    let window = timeline.window();
    let window_s = window.as_secs_f64();
    let mut windows = create_csv(&dir.join(WINDOWS_FILE))?;
    windows.write_record(WINDOW_COLUMNS)?;
    for w in timeline.windows() {
        windows.write_record([
            run_id.clone(),
            seconds(w.start),
            format_real(window_s),
            w.ok.to_string(),
            w.failed.to_string(),
            format_real(w.ok as f64 / window_s),
            format_real(w.failed as f64 / window_s),
            opt_ms(w.latency_mean),
            opt_ms(w.latency_p99),
        ])?;
    }

    let scenario = &exp.cell(key).scenario;
    let end = timeline.end().unwrap_or(SimTime::ZERO + scenario.duration);
    let mut spans = create_csv(&dir.join(SPANS_FILE))?;
    spans.write_record(SPAN_COLUMNS)?;
    let mut span =
        |kind: &str, server: Option<u32>, from: SimTime, until: SimTime, detail: &str| {
            spans.write_record([
                run_id.as_str(),
                kind,
                &server.map(|s| s.to_string()).unwrap_or_default(),
                &seconds(from),
                &seconds(until),
                detail,
            ])
        };
    for server in 0..scenario.cluster.servers {
        span("run", Some(server), SimTime::ZERO, end, "")?;
    }
    if !scenario.warmup.is_zero() {
        span(
            "warmup",
            None,
            SimTime::ZERO,
            SimTime::ZERO + scenario.warmup,
            "",
        )?;
    }
    let stop = SimTime::ZERO + scenario.duration;
    if end > stop {
        span("drain", None, stop, end, "")?;
    }
    for fault in &scenario.faults.scripted {
        let from = SimTime::ZERO + fault.at;
        if from > end {
            continue;
        }
        let until = fault.length.map_or(end, |l| (from + l).min(end));
        let detail = fault.kind.timeline_detail();
        match &fault.target {
            Target::All => span("fault", None, from, until, &detail)?,
            Target::Servers(list) => {
                for &s in list {
                    span("fault", Some(s), from, until, &detail)?;
                }
            }
        }
    }
    for s in timeline.spans() {
        span(s.kind.name(), Some(s.server), s.from, s.until, "")?;
    }
    let spans = finish_csv(spans)?;
    let windows = finish_csv(windows)?;
    windows.commit()?;
    spans.commit()
}

/// Removes timeline.csv and timeline_spans.csv from `dir` where they are.
pub fn remove(dir: &Path) -> io::Result<()> {
    let mut removed = false;
    for name in [WINDOWS_FILE, SPANS_FILE] {
        match std::fs::remove_file(dir.join(name)) {
            Ok(()) => removed = true,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    if removed {
        crate::output::sync_folder_of(&dir.join(WINDOWS_FILE))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_round_and_about_a_two_hundredth_of_the_run() {
        let w = |s: u64| default_window(SimDuration::from_secs(s)).as_millis_f64();
        assert_eq!(w(120), 500.0);
        assert_eq!(w(600), 2000.0);
        assert_eq!(w(3600), 10_000.0);
        assert_eq!(w(1), 5.0);
        assert_eq!(
            default_window(SimDuration::from_millis(10)).as_millis_f64(),
            1.0
        );
    }
}
