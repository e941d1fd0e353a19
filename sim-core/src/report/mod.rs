//! The result of one run: the numbers that become a row of runs.csv, and the one list
//! that declares them.
//!
//! Each measure is declared once, in the `measures!` list below: its column name, unit,
//! one-line doc and how its value is computed, or the [`Counter`] it reads with that
//! counter's warm-up window [`Rule`]. The [`RunReport`] fields, [`COLUMNS`] (which runs.csv,
//! summary.csv, `[checks]`, the resume journal and the README's column table follow) and
//! the report of a finished run all come from it.
//!
//! Column names are part of the user-facing contract (see DESIGN.md): they only grow.
//! Values are formatted deterministically: integers as integers, reals rounded to ten
//! significant digits and then printed in their shortest exact form, missing values (a
//! latency when nothing succeeded) as empty cells, the trace hash as 16 hex digits.

pub mod liveness;
pub mod metrics;
pub mod timeline;

use crate::engine::time::SimDuration;
use crate::report::metrics::{Metrics, Rule};
use hdrhistogram::Histogram;

/// The unit of a column's values, as the README's column table shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// A number of occurrences.
    Count,
    /// A fraction in [0, 1]: summary.csv keeps its interval inside that range.
    Fraction,
    /// A ratio of two non-negative quantities.
    Ratio,
    Ms,
    S,
    PerS,
    /// 16 hexadecimal digits, not a number.
    Hex,
}

impl Unit {
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Count => "count",
            Unit::Fraction => "fraction",
            Unit::Ratio => "ratio",
            Unit::Ms => "ms",
            Unit::S => "s",
            Unit::PerS => "1/s",
            Unit::Hex => "hex",
        }
    }
}

/// How a column's cells are printed (see [`Cell`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CellKind {
    Int,
    Real,
    Hex,
}

/// A metric column of runs.csv, as declared in [`COLUMNS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Column {
    pub name: &'static str,
    pub unit: Unit,
    /// One line, as the README's runs.csv table shows it.
    pub doc: &'static str,
    pub kind: CellKind,
}

impl Column {
    /// Whether the column holds a number (the trace hash does not): summary.csv and
    /// `[checks]` take the numeric columns.
    pub fn is_numeric(&self) -> bool {
        self.kind != CellKind::Hex
    }
}

/// What the columns' values are computed from once a run has finished.
pub struct Measured<'a> {
    pub metrics: &'a Metrics,
    /// Events processed over the whole run.
    pub events: u64,
    pub trace_hash: u64,
    pub servers: u32,
}

impl Measured<'_> {
    fn count(&self, c: Counter) -> u64 {
        self.metrics.counter(c)
    }

    /// The measurement window's length in seconds.
    fn window_s(&self) -> f64 {
        let (start, end) = self.metrics.window();
        end.as_secs_f64() - start.as_secs_f64()
    }

    /// `part / whole` when there is a whole.
    fn per(&self, part: Counter, whole: Counter) -> Option<f64> {
        let whole = self.count(whole);
        (whole > 0).then(|| self.count(part) as f64 / whole as f64)
    }
}

fn ms(d: Option<SimDuration>) -> Option<f64> {
    d.map(SimDuration::as_millis_f64)
}

fn secs(d: Option<SimDuration>) -> Option<f64> {
    d.map(SimDuration::as_secs_f64)
}

/// The value of a real cell.
trait RealValue {
    fn real(self) -> Option<f64>;
}

impl RealValue for f64 {
    fn real(self) -> Option<f64> {
        Some(self)
    }
}

impl RealValue for Option<f64> {
    fn real(self) -> Option<f64> {
        self
    }
}

impl RealValue for Option<u64> {
    fn real(self) -> Option<f64> {
        self.map(|x| x as f64)
    }
}

macro_rules! cell {
    (Int, $v:expr) => {
        Cell::Int($v)
    };
    (Real, $v:expr) => {
        Cell::Real(RealValue::real($v))
    };
    (Hex, $v:expr) => {
        Cell::Hex($v)
    };
}

/// Declares the measures: each entry is one column of runs.csv (in order) or one counter
/// that columns are computed from, and expands to the [`Counter`] enum with each counter's
/// window [`Rule`], the [`RunReport`] fields, [`COLUMNS`], [`RunReport::measure`] and
/// [`RunReport::columns`]. Entries:
///
/// - `counter name = Variant by Rule, "doc";` a count column read from its counter;
/// - `internal Variant by Rule, "doc";` a counter that is no column itself;
/// - `Kind name: Type, Unit, "doc" = |m| value;` a column computed from the [`Measured`]
///   run, `Kind` being how its cells print ([`CellKind`]).
macro_rules! measures {
    (@munch [$($ctr:tt)*] [$($col:tt)*]) => {
        measures!(@emit [$($ctr)*] [$($col)*]);
    };
    (@munch [$($ctr:tt)*] [$($col:tt)*]
        counter $name:ident = $var:ident by $rule:ident, $doc:literal; $($rest:tt)*) => {
        measures!(@munch [$($ctr)* {$var $rule $doc}]
            [$($col)* {$name, u64, Int, Count, $doc, |m| m.count(Counter::$var)}] $($rest)*);
    };
    (@munch [$($ctr:tt)*] [$($col:tt)*]
        internal $var:ident by $rule:ident, $doc:literal; $($rest:tt)*) => {
        measures!(@munch [$($ctr)* {$var $rule $doc}] [$($col)*] $($rest)*);
    };
    (@munch [$($ctr:tt)*] [$($col:tt)*]
        $kind:ident $name:ident: $ty:ty, $unit:ident, $doc:literal = $value:expr; $($rest:tt)*) => {
        measures!(@munch [$($ctr)*] [$($col)* {$name, $ty, $kind, $unit, $doc, $value}] $($rest)*);
    };
    (@emit [$({$var:ident $rule:ident $cdoc:literal})*]
        [$({$name:ident, $ty:ty, $kind:ident, $unit:ident, $doc:literal, $value:expr})*]) => {
        /// A counter of [`Metrics`]: it changes only through the methods that apply its
        /// window [`Rule`] ([`Metrics::count`], [`Metrics::count_counted`]).
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Counter {
            $(#[doc = $cdoc] $var,)*
        }

        impl Counter {
            pub const ALL: &'static [Counter] = &[$(Counter::$var),*];
            pub const COUNT: usize = Counter::ALL.len();

            /// When an occurrence counts.
            #[inline]
            pub const fn rule(self) -> Rule {
                match self {
                    $(Counter::$var => Rule::$rule,)*
                }
            }
        }

        /// One run's metrics, a field per column of [`COLUMNS`].
        #[derive(Clone, Debug, Default, PartialEq)]
        pub struct RunReport {
            $(#[doc = $doc] pub $name: $ty,)*
        }

        /// The metric columns of runs.csv, in order: name, unit, doc and cell kind.
        pub const COLUMNS: &[Column] = &[
            $(Column {
                name: stringify!($name),
                unit: Unit::$unit,
                doc: $doc,
                kind: CellKind::$kind,
            },)*
        ];

        impl RunReport {
            /// Computes every column of a finished run.
            pub fn measure(m: &Measured) -> RunReport {
                RunReport {
                    $($name: {
                        let value: fn(&Measured) -> $ty = $value;
                        value(m)
                    },)*
                }
            }

            /// The metric columns, in runs.csv order, with this run's values.
            pub fn columns(&self) -> Vec<(&'static str, Cell)> {
                vec![$((stringify!($name), cell!($kind, self.$name)),)*]
            }
        }
    };
    ($($body:tt)*) => {
        measures!(@munch [] [] $($body)*);
    };
}

// The one list of measures. A column's place here is its place in runs.csv: columns only
// grow, at the end. Its doc is the README's runs.csv table row, checked by a test.
measures! {
    counter requests = Requests by Request,
        "requests created inside the measurement window (after `warmup`)";
    counter ok = Ok by Request, "requests that succeeded";
    Int failed: u64, Count,
        "requests that did not: `requests - ok`, so `timed_out + rejected + unavailable + errored` (`errored` is further right)"
        = |m| m.count(Counter::Requests) - m.count(Counter::Ok);
    counter timed_out = TimedOut by Request, "requests that ended timed out";
    counter rejected = Rejected by Request,
        "requests whose last attempt a server rejected, its queue being full";
    counter unavailable = Unavailable by Request,
        "requests that found no server to route to (every server suspected, or every usable server's breaker open)";
    Real availability: Option<f64>, Fraction, "`ok / requests`"
        = |m| m.per(Counter::Ok, Counter::Requests);
    Real goodput: f64, PerS, "`ok` per simulated second of the measurement window"
        = |m| m.count(Counter::Ok) as f64 / m.window_s();
    Real latency_mean_ms: Option<f64>, Ms,
        "mean end-to-end latency of successful requests, retries included (empty when none succeeded)"
        = |m| ms(m.metrics.latency_mean());
    Real latency_p50_ms: Option<f64>, Ms, "median latency of successful requests (3 significant digits, as the percentiles)"
        = |m| ms(m.metrics.latency_quantile(0.5));
    Real latency_p99_ms: Option<f64>, Ms,
        "99th percentile latency of successful requests"
        = |m| ms(m.metrics.latency_quantile(0.99));
    Real latency_p999_ms: Option<f64>, Ms, "99.9th percentile latency of successful requests"
        = |m| ms(m.metrics.latency_quantile(0.999));
    internal Attempts by Request, "attempts made by counted requests";
    Real attempts_per_request: Option<f64>, Ratio,
        "attempts per request, hedges included: the retry policy's work"
        = |m| m.per(Counter::Attempts, Counter::Requests);
    counter retries = Retries by Request, "attempts after a request's first, hedges included";
    Int events: u64, Count, "events processed over the whole run" = |m| m.events;
    Hex trace_hash: u64, Hex, "the 64-bit hash of every event processed, in order"
        = |m| m.trace_hash;
    Real server_availability: f64, Fraction, "time-averaged fraction of servers up"
        = |m| m.metrics.server_availability();
    counter crashes = Crashes by Time,
        "server crashes (a crash while restoring included)";
    counter lost_in_crash = LostInCrash by Time,
        "attempts crashing servers were holding, queued or in service";
    counter detections = Detections by Time,
        "crashes that an observer suspected before the repair (per observer)";
    counter undetected_crashes = UndetectedCrashes by Time,
        "crashes repaired before an observer suspected them (per observer)";
    Real detection_time_mean_ms: Option<f64>, Ms, "mean time from crash to suspicion (T_D)"
        = |m| ms(m.metrics.detection_mean());
    Real detection_time_p99_ms: Option<f64>, Ms,
        "99th percentile of the time from crash to suspicion"
        = |m| ms(m.metrics.detection_quantile(0.99));
    counter false_suspicions = FalseSuspicions by Span,
        "mistakes: suspicions of a server that was up, and recoveries of a server still suspected";
    Real mistake_duration_mean_ms: Option<f64>, Ms, "mean length of a mistake (T_M)"
        = |m| ms(m.metrics.mistake_mean());
    Real wrong_suspicion_fraction: f64, Fraction,
        "fraction of up-server time spent suspected (1 - P_A, the query accuracy)"
        = |m| m.metrics.wrong_suspicion_fraction();
    counter messages_sent = MessagesSent by Run, "messages sent over the whole run";
    counter messages_dropped = MessagesDropped by Run,
        "messages lost to loss or partitions over the whole run";
    Real load_imbalance: Option<f64>, Ratio,
        "attempts reaching the busiest server over the mean per server (all servers, while up)"
        = |m| m.metrics.load_imbalance();
    counter membership_changes = MembershipChanges by Time,
        "events that changed the clients' view (a server suspected or trusted again; with detection in the clients, client 0's view)";
    internal RemapChanges by Time, "membership changes measured for the keys they remapped";
    Real keys_remapped_mean: Option<f64>, Fraction,
        "mean over those changes of the fraction of keys whose owner changed; empty for routers that do not place by key"
        = |m| m.metrics.keys_remapped_mean();
    internal CacheHits by Time, "key-cache lookups that found the key";
    Real cache_hit_ratio: Option<f64>, Fraction,
        "fraction of cache lookups that found the key; empty without a cache"
        = |m| m.metrics.cache_hit_ratio();
    counter cache_misses = CacheMisses by Time, "cache lookups that missed";
    Real mistake_rate_per_s: f64, PerS, "mistakes per second of up-server time watched (lambda_M)"
        = |m| m.metrics.mistake_rate();
    counter failovers = Failovers by Time, "primary changes away from a suspected primary";
    counter failbacks = Failbacks by Time,
        "returns to a range's first replica while the promoted one was trusted";
    Real time_without_primary_s: Option<f64>, S,
        "time, summed over ranges, in which the primary the clients know is down, suspected by them, or not yet replaced"
        = |m| secs(m.metrics.time_without_primary());
    Real range_unavailability: Option<f64>, Fraction,
        "`time_without_primary_s` over ranges x measured time"
        = |m| m.metrics.range_unavailability();
    counter lost_in_failover = LostInFailover by Request,
        "requests that failed while their range was without a usable primary at some instant of their life";
    counter errored = Errored by Request, "requests whose last attempt got an error answer";
    counter hedges = Hedges by Request,
        "attempts sent while another attempt of the same request was in flight";
    counter late_answers = LateAnswers by Time,
        "answers to attempts no longer awaited (lost hedge races, past their attempt timeout, request ended), by arrival time";
    counter attempt_timeouts = AttemptTimeouts by Request, "attempts that reached `attempt_timeout`";
    counter budget_denied = BudgetDenied by Request,
        "retries and hedges the policy wanted and the budget refused";
    counter breaker_opens = BreakerOpens by Time, "breakers (client × server) that opened";
    counter breaker_fast_fails = BreakerFastFails by Request,
        "attempts failed at once because every usable server's breaker was open";
    counter shed = Shed by Time, "attempts servers dropped unstarted past their deadline";
    Int retries_peak_10ms: u64, Count,
        "the most retries (hedges included) sent in one 10 ms of the window: a synchronized retry wave shows as a peak far above `retries` per 10 ms"
        = |m| m.metrics.retries_peak();
    counter writes = Writes by Request, "requests that wrote";
    counter writes_ok = WritesOk by Request, "writes that ended ok";
    internal ReadsServed by Time, "reads servers served";
    counter stale_reads = StaleReads by Time,
        "reads served that returned a value older (in creation order) than the newest write of their key acknowledged before";
    Real stale_read_fraction: Option<f64>, Fraction, "`stale_reads` over reads served"
        = |m| m.per(Counter::StaleReads, Counter::ReadsServed);
    counter acked_writes_lost = AckedWritesLost by Time,
        "times a key's newest acknowledged write stopped being held by any server (a crash took the last copy, a late copy overwrote it in arrival order, or last-writer-wins discarded it for an earlier write with a later stamp)";
    counter writes_lost = WritesLost by Time,
        "the same for a key's newest applied write, acknowledged or not";
    Real divergent_keys: Option<u64>, Count,
        "written keys whose replicas hold different values once the run has settled: arrivals stopped, every request ended, every copy delivered; empty without writes"
        = |m| m.metrics.divergent_keys();
    counter checkpoints = Checkpoints by Time, "checkpoints completed";
    Real checkpoint_overhead: f64, Fraction,
        "fraction of server time spent checkpointing (cut-short ones included); in a batch run, of the jobs' own time: each job from the start to its completion (or to the end of the run if unfinished)"
        = |m| m.metrics.checkpoint_overhead(m.servers);
    Real checkpoint_time_s: f64, S, "server time spent checkpointing (cut-short ones included), in server-seconds"
        = |m| m.metrics.checkpoint_time().as_secs_f64();
    counter restores = Restores by Time, "restores begun";
    Real restore_time_mean_ms: Option<f64>, Ms, "mean length of those restores (catch-up included)"
        = |m| ms(m.metrics.restore_time_mean());
    counter restores_from_backup = RestoresFromBackup by Time, "restores fed from a backup";
    counter backups = Backups by Time, "backups completed";
    Real lost_work_s: f64, S, "batch-job work undone by crashes, over all jobs of the run"
        = |m| m.metrics.lost_work().as_secs_f64();
    counter jobs_done = JobsDone by Run, "batch jobs finished (each job is measured whole, over the run)";
    Int jobs_unfinished: u64, Count, "batch jobs not finished"
        = |m| m.metrics.jobs() - m.count(Counter::JobsDone);
    Real job_time_mean_s: Option<f64>, S, "mean completion time of the finished jobs"
        = |m| secs(m.metrics.job_time_mean());
    Real job_waste_mean_s: Option<f64>, S,
        "mean waste (completion time minus length) of the finished jobs"
        = |m| secs(m.metrics.job_waste_mean());
    Real recovery_time_s: Option<f64>, S,
        "time from the end of the last scripted fault (or of the warm-up) to the end of the first `[invariants] recovers` window whose ending requests reach its availability; without one before `duration`, the time to `duration`; empty without `recovers`, or when a fault lasts past `duration`"
        = |m| secs(m.metrics.recovery_time());
    internal SplitPrimaryWrites by Time, "writes coordinated by a server whose term as primary had ended";
    Real split_primary_writes: Option<u64>, Count,
        "writes coordinated by a server whose term as primary of the write's range had ended: under `primary-backup` a server the monitor no longer appointed, otherwise one coming back to a key another server took over while neither crashed (see `single_primary` in [invariants](#invariants)); empty without writes"
        = |m| m.metrics.split_primary_writes();
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
    /// The names of [`columns`](Self::columns), without a run.
    pub fn column_names() -> Vec<&'static str> {
        COLUMNS.iter().map(|c| c.name).collect()
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
    pub timeline: Option<Box<crate::report::timeline::Timeline>>,
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
    fn names_say_their_unit_and_names_are_unique() {
        // `[checks]` takes a duration for a millisecond column by its name without `_ms`.
        for c in COLUMNS {
            assert_eq!(c.name.ends_with("_ms"), c.unit == Unit::Ms, "{}", c.name);
            let per_s = c.name.ends_with("_per_s");
            assert_eq!(
                per_s,
                c.unit == Unit::PerS && c.name != "goodput",
                "{}",
                c.name
            );
            assert_eq!(
                c.name.ends_with("_s") && !per_s,
                c.unit == Unit::S,
                "{}",
                c.name
            );
            assert_eq!(c.kind == CellKind::Hex, c.unit == Unit::Hex, "{}", c.name);
            assert!(!c.doc.contains('|') && !c.doc.contains('\n'), "{}", c.name);
            assert_eq!(COLUMNS.iter().filter(|d| d.name == c.name).count(), 1);
        }
        assert_eq!(RunReport::default().columns().len(), COLUMNS.len());
    }

    #[test]
    fn counters_are_numbered_in_declaration_order() {
        // Metrics indexes its counter array by `Counter as usize`.
        assert_eq!(Counter::ALL.len(), Counter::COUNT);
        for (i, c) in Counter::ALL.iter().enumerate() {
            assert_eq!(*c as usize, i);
        }
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
