//! The result of one run: the numbers that become a row of runs.csv.
//!
//! Column names are part of the user-facing contract (see DESIGN.md): they only grow.
//! Values are formatted deterministically: integers as integers, reals rounded to ten
//! significant digits and then printed in their shortest exact form, missing values (a
//! latency when nothing succeeded) as empty cells, the trace hash as 16 hex digits.

use hdrhistogram::Histogram;

/// One run's metrics.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunReport {
    pub requests: u64,
    pub ok: u64,
    pub failed: u64,
    pub timed_out: u64,
    pub rejected: u64,
    pub unavailable: u64,
    pub availability: Option<f64>,
    pub goodput: f64,
    pub latency_mean_ms: Option<f64>,
    pub latency_p50_ms: Option<f64>,
    pub latency_p99_ms: Option<f64>,
    pub latency_p999_ms: Option<f64>,
    pub attempts_per_request: Option<f64>,
    pub retries: u64,
    pub events: u64,
    pub trace_hash: u64,
    pub server_availability: f64,
    pub crashes: u64,
    pub lost_in_crash: u64,
    pub detections: u64,
    pub undetected_crashes: u64,
    pub detection_time_mean_ms: Option<f64>,
    pub detection_time_p99_ms: Option<f64>,
    pub false_suspicions: u64,
    pub mistake_duration_mean_ms: Option<f64>,
    pub wrong_suspicion_fraction: f64,
    pub messages_sent: u64,
    pub messages_dropped: u64,
    pub load_imbalance: Option<f64>,
    pub membership_changes: u64,
    pub keys_remapped_mean: Option<f64>,
    pub cache_hit_ratio: Option<f64>,
    pub cache_misses: u64,
    pub mistake_rate_per_s: f64,
    pub failovers: u64,
    pub failbacks: u64,
    pub time_without_primary_s: Option<f64>,
    pub range_unavailability: Option<f64>,
    pub lost_in_failover: u64,
    pub errored: u64,
    pub hedges: u64,
    pub late_answers: u64,
    pub attempt_timeouts: u64,
    pub budget_denied: u64,
    pub breaker_opens: u64,
    pub breaker_fast_fails: u64,
    pub shed: u64,
    pub retries_peak_10ms: u64,
    pub writes: u64,
    pub writes_ok: u64,
    pub stale_reads: u64,
    pub stale_read_fraction: Option<f64>,
    pub acked_writes_lost: u64,
    pub writes_lost: u64,
    pub divergent_keys: Option<u64>,
    pub checkpoints: u64,
    pub checkpoint_overhead: f64,
    pub checkpoint_time_s: f64,
    pub restores: u64,
    pub restore_time_mean_ms: Option<f64>,
    pub restores_from_backup: u64,
    pub backups: u64,
    pub lost_work_s: f64,
    pub jobs_done: u64,
    pub jobs_unfinished: u64,
    pub job_time_mean_s: Option<f64>,
    pub job_waste_mean_s: Option<f64>,
}

/// A cell of runs.csv.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Cell {
    Int(u64),
    Real(Option<f64>),
    Hex(u64),
}

impl Cell {
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Cell::Int(i) => Some(i as f64),
            Cell::Real(r) => r,
            Cell::Hex(_) => None,
        }
    }
}

impl std::fmt::Display for Cell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Cell::Int(i) => write!(f, "{i}"),
            Cell::Real(None) => Ok(()),
            Cell::Real(Some(x)) => f.write_str(&format_real(x)),
            Cell::Hex(h) => write!(f, "{h:016x}"),
        }
    }
}

/// Rounds to ten significant digits and prints the shortest text that reads back to that
/// rounded value: stable, exact for what it shows, and free of binary noise like
/// `0.30000000000000004`.
pub fn format_real(x: f64) -> String {
    if !x.is_finite() {
        return if x.is_nan() {
            String::new()
        } else if x > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        };
    }
    if x == 0.0 {
        return "0".into();
    }
    let rounded: f64 = format!("{x:.9e}").parse().unwrap_or(x);
    format!("{rounded}")
}

impl RunReport {
    /// The metric columns, in runs.csv order, with this run's values.
    pub fn columns(&self) -> Vec<(&'static str, Cell)> {
        use Cell::{Hex, Int, Real};
        vec![
            ("requests", Int(self.requests)),
            ("ok", Int(self.ok)),
            ("failed", Int(self.failed)),
            ("timed_out", Int(self.timed_out)),
            ("rejected", Int(self.rejected)),
            ("unavailable", Int(self.unavailable)),
            ("availability", Real(self.availability)),
            ("goodput", Real(Some(self.goodput))),
            ("latency_mean_ms", Real(self.latency_mean_ms)),
            ("latency_p50_ms", Real(self.latency_p50_ms)),
            ("latency_p99_ms", Real(self.latency_p99_ms)),
            ("latency_p999_ms", Real(self.latency_p999_ms)),
            ("attempts_per_request", Real(self.attempts_per_request)),
            ("retries", Int(self.retries)),
            ("events", Int(self.events)),
            ("trace_hash", Hex(self.trace_hash)),
            ("server_availability", Real(Some(self.server_availability))),
            ("crashes", Int(self.crashes)),
            ("lost_in_crash", Int(self.lost_in_crash)),
            ("detections", Int(self.detections)),
            ("undetected_crashes", Int(self.undetected_crashes)),
            ("detection_time_mean_ms", Real(self.detection_time_mean_ms)),
            ("detection_time_p99_ms", Real(self.detection_time_p99_ms)),
            ("false_suspicions", Int(self.false_suspicions)),
            (
                "mistake_duration_mean_ms",
                Real(self.mistake_duration_mean_ms),
            ),
            (
                "wrong_suspicion_fraction",
                Real(Some(self.wrong_suspicion_fraction)),
            ),
            ("messages_sent", Int(self.messages_sent)),
            ("messages_dropped", Int(self.messages_dropped)),
            ("load_imbalance", Real(self.load_imbalance)),
            ("membership_changes", Int(self.membership_changes)),
            ("keys_remapped_mean", Real(self.keys_remapped_mean)),
            ("cache_hit_ratio", Real(self.cache_hit_ratio)),
            ("cache_misses", Int(self.cache_misses)),
            ("mistake_rate_per_s", Real(Some(self.mistake_rate_per_s))),
            ("failovers", Int(self.failovers)),
            ("failbacks", Int(self.failbacks)),
            ("time_without_primary_s", Real(self.time_without_primary_s)),
            ("range_unavailability", Real(self.range_unavailability)),
            ("lost_in_failover", Int(self.lost_in_failover)),
            ("errored", Int(self.errored)),
            ("hedges", Int(self.hedges)),
            ("late_answers", Int(self.late_answers)),
            ("attempt_timeouts", Int(self.attempt_timeouts)),
            ("budget_denied", Int(self.budget_denied)),
            ("breaker_opens", Int(self.breaker_opens)),
            ("breaker_fast_fails", Int(self.breaker_fast_fails)),
            ("shed", Int(self.shed)),
            ("retries_peak_10ms", Int(self.retries_peak_10ms)),
            ("writes", Int(self.writes)),
            ("writes_ok", Int(self.writes_ok)),
            ("stale_reads", Int(self.stale_reads)),
            ("stale_read_fraction", Real(self.stale_read_fraction)),
            ("acked_writes_lost", Int(self.acked_writes_lost)),
            ("writes_lost", Int(self.writes_lost)),
            (
                "divergent_keys",
                Real(self.divergent_keys.map(|d| d as f64)),
            ),
            ("checkpoints", Int(self.checkpoints)),
            ("checkpoint_overhead", Real(Some(self.checkpoint_overhead))),
            ("checkpoint_time_s", Real(Some(self.checkpoint_time_s))),
            ("restores", Int(self.restores)),
            ("restore_time_mean_ms", Real(self.restore_time_mean_ms)),
            ("restores_from_backup", Int(self.restores_from_backup)),
            ("backups", Int(self.backups)),
            ("lost_work_s", Real(Some(self.lost_work_s))),
            ("jobs_done", Int(self.jobs_done)),
            ("jobs_unfinished", Int(self.jobs_unfinished)),
            ("job_time_mean_s", Real(self.job_time_mean_s)),
            ("job_waste_mean_s", Real(self.job_waste_mean_s)),
        ]
    }

    /// The names of [`columns`](Self::columns), without a run.
    pub fn column_names() -> Vec<&'static str> {
        RunReport::default()
            .columns()
            .into_iter()
            .map(|(name, _)| name)
            .collect()
    }

    /// The value of a metric column by name.
    pub fn get(&self, name: &str) -> Option<Cell> {
        self.columns()
            .into_iter()
            .find(|(n, _)| *n == name)
            .map(|(_, c)| c)
    }
}

/// A run's report and the latency histogram of its successful requests (nanoseconds),
/// for CDFs and pooled percentiles.
#[derive(Clone, Debug)]
pub struct RunResult {
    pub report: RunReport,
    pub latency: Histogram<u64>,
    /// The run's timeline, when it was recorded (see [`crate::simulate_timeline`]).
    pub timeline: Option<Box<crate::timeline::Timeline>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reals_print_short_and_stable() {
        assert_eq!(format_real(0.1 + 0.2), "0.3");
        assert_eq!(format_real(0.999), "0.999");
        assert_eq!(format_real(50.87123456789), "50.87123457");
        assert_eq!(format_real(640.0), "640");
        assert_eq!(format_real(0.0), "0");
        assert_eq!(format_real(1e-7), "0.0000001");
        assert_eq!(Cell::Real(None).to_string(), "");
        assert_eq!(Cell::Hex(255).to_string(), "00000000000000ff");
    }

    #[test]
    fn column_names_start_with_the_contract() {
        let names = RunReport::column_names();
        assert_eq!(
            &names[..12],
            &[
                "requests",
                "ok",
                "failed",
                "timed_out",
                "rejected",
                "unavailable",
                "availability",
                "goodput",
                "latency_mean_ms",
                "latency_p50_ms",
                "latency_p99_ms",
                "latency_p999_ms"
            ]
        );
    }
}
