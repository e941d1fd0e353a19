//! Streaming metrics of a run: counters, an HDR latency histogram and time integrals.
//!
//! Memory does not grow with the number of requests: latencies go into a fixed-size
//! histogram (3 significant digits, 1 ns to 1 h) plus an exact sum for the mean, and
//! server states are integrated as they change. Requests count when they are created
//! inside the measurement window `[warmup, duration)`; time integrals cover the same
//! window. The metrics also hold the ground truth (which servers are really down) that the
//! failure-detector measures of Chen, Toueg and Aguilera compare suspicions against: per
//! (observer, server) pair, where the observer is the monitor or, with detection in the
//! clients, each client. With primary/backup failover they follow each key range's
//! primary as the clients see it, against the same ground truth. Placement measures
//! (attempts per server, cache lookups, keys remapped by each change of the view)
//! count what happens inside the window, by the time it happens.
//!
//! Counters are declared with their columns in [`crate::report`] and change only through
//! [`Metrics::count`] and its siblings, which apply the counter's declared window
//! [`Rule`]: model code never adds to a counter itself.

use crate::config::scenario::FaultSpec;
use crate::engine::time::{SimDuration, SimTime};
use crate::model::state::metrics::StateMetrics;
use crate::report::Counter;
use crate::report::liveness::{LivenessProbe, RecoveryWatch, last_fault_end};
use crate::report::timeline::Timeline;
use crate::strategy::FailoverPlan;
use hdrhistogram::Histogram;

/// How a request ended.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Outcome {
    Ok,
    TimedOut,
    Rejected,
    /// No server was believed alive when the request had to be placed.
    Unavailable,
    /// The last attempt was answered with an error.
    Error,
}

/// Width of the buckets in which retries are counted for their peak rate.
pub const RETRY_PEAK_BUCKET: SimDuration = SimDuration::from_millis(10);

/// The longest latency a histogram tells apart (one hour); longer ones are recorded as it.
pub const HIST_MAX_NS: u64 = 3_600_000_000_000;

/// An empty latency histogram from 1 ns to [`HIST_MAX_NS`] at `digits` significant digits:
/// a run's latencies and detection times at 3, the timeline's and latency_cdf.csv's at 2.
pub fn new_latency_histogram(digits: u8) -> Histogram<u64> {
    Histogram::new_with_bounds(1, HIST_MAX_NS, digits).expect("valid histogram bounds")
}

/// Duration of `[a, b)` inside `[lo, hi)`, in nanoseconds.
fn overlap(a: SimTime, b: SimTime, lo: SimTime, hi: SimTime) -> u64 {
    let start = a.max(lo);
    let end = b.min(hi);
    end.0.saturating_sub(start.0)
}

/// A server's ground truth, for time integrals.
#[derive(Clone, Debug)]
struct ServerTrack {
    up: bool,
    /// Last time `up` changed.
    since: SimTime,
    /// When the current outage began, if down.
    down_since: Option<SimTime>,
}

/// One observer's verdict on one server: the state Chen, Toueg and Aguilera's measures
/// are taken from.
#[derive(Clone, Debug)]
struct Watch {
    suspected: bool,
    /// Last time the verdict or the server's state changed.
    since: SimTime,
    /// When the current mistake (up and suspected) began.
    mistake_since: Option<SimTime>,
    /// Whether the server's current outage has been detected by this observer.
    outage_detected: bool,
}

impl Watch {
    fn new() -> Self {
        Watch {
            suspected: false,
            since: SimTime::ZERO,
            mistake_since: None,
            outage_detected: false,
        }
    }
}

/// Primary/backup key ranges as the clients see them, against the ground truth: a range
/// has a usable primary while the primary the clients' view names is up and not suspected
/// in that view.
struct RangeTrack {
    plan: FailoverPlan,
    primary: Vec<Option<u32>>,
    view_suspected: Vec<bool>,
    /// When each range's current span without a usable primary began.
    outage_since: Vec<Option<SimTime>>,
    /// When each range's last span without a usable primary ended.
    last_outage_end: Vec<Option<SimTime>>,
    without_primary_ns: u128,
}

/// When an occurrence of a [`Counter`] counts: the warm-up window rule, declared with
/// each counter in [`crate::report`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// When the instant that decides it lies in the window: its own time, or the time of
    /// what it is about (a detection by the crash it detects).
    Time,
    /// When the request it belongs to was created in the window (`counted`).
    Request,
    /// When the span it covers overlaps the window (or, of zero length, lies in it).
    Span,
    /// Always: over the whole run, warm-up included.
    Run,
}

/// All metrics of one run.
pub struct Metrics {
    window_start: SimTime,
    window_end: SimTime,
    /// The counters, indexed by [`Counter`]; changed only by [`Metrics::count`] and its
    /// siblings, which apply each counter's [`Rule`].
    counters: [u64; Counter::COUNT],
    latency: Histogram<u64>,
    latency_sum_ns: u128,
    servers: Vec<ServerTrack>,
    /// Nodes running a failure detector: 1 (the monitor) or the number of clients.
    observers: u32,
    /// Verdicts, observer-major: observer o's watch of server s is at `o * servers + s`.
    watches: Vec<Watch>,
    up_ns: u128,
    /// Time, summed over (observer, server) pairs, in which an up server was suspected:
    /// the sum of the mistakes' lengths inside the window.
    wrong_suspicion_ns: u128,
    detection: Histogram<u64>,
    detection_sum_ns: u128,
    /// The total length inside the window of the mistakes counted in
    /// [`Counter::FalseSuspicions`]: spans in which an up server stays suspected, per
    /// observer, that overlap the window (Chen, Toueg and Aguilera's mistakes, begun by a
    /// suspicion of an up server or by the recovery of a server still suspected), counted
    /// when they end, or at [`Metrics::finish`] for those still open.
    mistake_sum_ns: u128,
    /// Attempts that reached each server while it was up, inside the window. In a run the
    /// servers count them and hand the counts over ([`Metrics::attempts_arrived`]).
    attempts_per_server: Vec<u64>,
    /// The sum of the fractions of keys remapped by the changes counted in
    /// [`Counter::RemapChanges`].
    remap_sum: f64,
    ranges: Option<RangeTrack>,
    /// Retries (attempts after a request's first, hedges included) sent inside the window,
    /// bucketed by [`RETRY_PEAK_BUCKET`] from the window start: the busiest bucket so far,
    /// and the current bucket with its count.
    retry_peak: u64,
    retry_bucket: u64,
    retry_bucket_count: u64,
    /// The run's timeline, when recorded (see [`Metrics::record_timeline`]).
    timeline: Option<Box<Timeline>>,
    /// Sums of server-state measures: checkpoint, restore and job time.
    pub(crate) state: StateMetrics,
    /// The liveness measure's watch, when the scenario asks for it.
    recovery: Option<RecoveryWatch>,
}

impl Metrics {
    pub fn new(servers: u32, warmup: SimDuration, duration: SimDuration) -> Self {
        Metrics {
            window_start: SimTime::ZERO + warmup,
            window_end: SimTime::ZERO + duration,
            counters: [0; Counter::COUNT],
            latency: new_latency_histogram(3),
            latency_sum_ns: 0,
            servers: vec![
                ServerTrack {
                    up: true,
                    since: SimTime::ZERO,
                    down_since: None,
                };
                servers as usize
            ],
            observers: 1,
            watches: vec![Watch::new(); servers as usize],
            up_ns: 0,
            wrong_suspicion_ns: 0,
            detection: new_latency_histogram(3),
            detection_sum_ns: 0,
            mistake_sum_ns: 0,
            attempts_per_server: vec![0; servers as usize],
            remap_sum: 0.0,
            ranges: None,
            retry_peak: 0,
            retry_bucket: 0,
            retry_bucket_count: 0,
            timeline: None,
            state: StateMetrics::default(),
            recovery: None,
        }
    }

    /// Watches for the cluster's recovery after the last scripted fault of `faults` (see
    /// [`crate::report::liveness`]). Call it before the run starts.
    pub fn watch_recovery(&mut self, probe: LivenessProbe, faults: &FaultSpec) {
        if let Some(end) = last_fault_end(faults) {
            let from = end.max(self.window_start);
            self.recovery = Some(RecoveryWatch::new(probe, from, self.window_end));
        }
    }

    /// The liveness measure: see [`RecoveryWatch::recovery_time`].
    pub fn recovery_time(&self) -> Option<SimDuration> {
        self.recovery.clone()?.recovery_time()
    }

    /// Starts recording a timeline in windows of `window` (see [`crate::report::timeline`]).
    pub fn record_timeline(&mut self, window: SimDuration) {
        self.timeline = Some(Box::new(Timeline::new(self.servers.len() as u32, window)));
    }

    /// The recorded timeline, finished at `end`, if one was being recorded.
    pub fn take_timeline(&mut self, end: SimTime) -> Option<Box<Timeline>> {
        let mut timeline = self.timeline.take()?;
        timeline.finish(end);
        Some(timeline)
    }

    /// Any request, counted or not, ended at `now`: only the timeline and the liveness
    /// watch see it.
    #[inline]
    pub fn request_ended(&mut self, now: SimTime, outcome: Outcome, latency: SimDuration) {
        if let Some(w) = self.recovery.as_mut() {
            w.request_ended(now, outcome == Outcome::Ok);
        }
        if let Some(t) = self.timeline.as_deref_mut() {
            t.request_ended(now, outcome, latency);
        }
    }

    /// Sets how many nodes run a failure detector (each client, with detection in the
    /// clients). Every detector metric then counts per (observer, server) pair. Call it
    /// before the run starts.
    pub fn set_observers(&mut self, observers: u32) {
        self.observers = observers.max(1);
        self.watches = vec![Watch::new(); self.servers.len() * self.observers as usize];
    }

    pub fn observers(&self) -> u32 {
        self.observers
    }

    /// Tracks the key ranges of a primary/backup plan, starting with every range served
    /// by its first replica. Call it before the run starts.
    pub fn track_ranges(&mut self, plan: &FailoverPlan) {
        let ranges = plan.replicas.len();
        self.ranges = Some(RangeTrack {
            primary: plan.replicas.iter().map(|r| r.first().copied()).collect(),
            plan: plan.clone(),
            view_suspected: vec![false; self.servers.len()],
            outage_since: vec![None; ranges],
            last_outage_end: vec![None; ranges],
            without_primary_ns: 0,
        });
    }

    /// Whether a request created at `created` counts.
    #[inline]
    pub fn in_window(&self, created: SimTime) -> bool {
        created >= self.window_start && created < self.window_end
    }

    pub fn window(&self) -> (SimTime, SimTime) {
        (self.window_start, self.window_end)
    }

    /// A counter's value.
    #[inline]
    pub fn counter(&self, c: Counter) -> u64 {
        self.counters[c as usize]
    }

    /// One occurrence at `now` of a counter whose rule is [`Rule::Time`] (it counts if
    /// `now` lies in the window) or [`Rule::Run`] (it always counts).
    #[inline]
    pub fn count(&mut self, c: Counter, now: SimTime) {
        self.add(c, 1, now);
    }

    /// `n` occurrences at `now`, as [`count`](Self::count).
    #[inline]
    pub fn add(&mut self, c: Counter, n: u64, now: SimTime) {
        let counts = match c.rule() {
            Rule::Time => self.in_window(now),
            Rule::Run => true,
            Rule::Request | Rule::Span => panic!("{c:?} is not counted by time"),
        };
        if counts {
            self.counters[c as usize] += n;
        }
    }

    /// One occurrence of a [`Rule::Request`] counter, for a request created inside the
    /// window (`counted`) or not.
    #[inline]
    pub fn count_counted(&mut self, c: Counter, counted: bool) {
        self.add_counted(c, 1, counted);
    }

    /// `n` occurrences, as [`count_counted`](Self::count_counted).
    #[inline]
    pub fn add_counted(&mut self, c: Counter, n: u64, counted: bool) {
        assert_eq!(c.rule(), Rule::Request, "{c:?} is not counted by request");
        if counted {
            self.counters[c as usize] += n;
        }
    }

    /// One occurrence of a [`Rule::Span`] counter covering `[start, end)`: it counts if it
    /// overlaps the window, or has zero length inside it. Returns whether it counted.
    #[inline]
    fn count_span(&mut self, c: Counter, start: SimTime, end: SimTime) -> bool {
        assert_eq!(c.rule(), Rule::Span, "{c:?} is not counted by span");
        let (lo, hi) = (self.window_start, self.window_end);
        let counts = start < hi && (end > lo || start >= lo);
        if counts {
            self.counters[c as usize] += 1;
        }
        counts
    }

    /// Records the end of a request, which counts if it was created inside the window
    /// (`counted`).
    #[inline]
    pub fn request_done(
        &mut self,
        counted: bool,
        outcome: Outcome,
        latency: SimDuration,
        attempts: u32,
    ) {
        if !counted {
            return;
        }
        self.count_counted(Counter::Requests, counted);
        self.add_counted(Counter::Attempts, u64::from(attempts), counted);
        self.add_counted(
            Counter::Retries,
            u64::from(attempts.saturating_sub(1)),
            counted,
        );
        let ended = match outcome {
            Outcome::Ok => {
                let ns = latency.0;
                self.latency_sum_ns += u128::from(ns);
                self.latency.saturating_record(ns.clamp(1, HIST_MAX_NS));
                Counter::Ok
            }
            Outcome::TimedOut => Counter::TimedOut,
            Outcome::Rejected => Counter::Rejected,
            Outcome::Unavailable => Counter::Unavailable,
            Outcome::Error => Counter::Errored,
        };
        self.count_counted(ended, counted);
    }

    /// A retry (or hedge) left a client at `now`; feeds the peak retry rate.
    #[inline]
    pub fn retry_sent(&mut self, now: SimTime) {
        if !self.in_window(now) {
            return;
        }
        let bucket = now.since(self.window_start).0 / RETRY_PEAK_BUCKET.0;
        if bucket != self.retry_bucket {
            self.retry_peak = self.retry_peak.max(self.retry_bucket_count);
            self.retry_bucket = bucket;
            self.retry_bucket_count = 0;
        }
        self.retry_bucket_count += 1;
    }

    /// The most retries sent in one [`RETRY_PEAK_BUCKET`] of the window: a synchronized
    /// retry wave shows as a peak far above `retries` per bucket.
    pub fn retries_peak(&self) -> u64 {
        self.retry_peak.max(self.retry_bucket_count)
    }

    /// Integrates the server's up time to `now` before its state changes.
    fn advance_server(&mut self, server: u32, now: SimTime) {
        let (lo, hi) = (self.window_start, self.window_end);
        let t = &mut self.servers[server as usize];
        if t.up {
            self.up_ns += u128::from(overlap(t.since, now, lo, hi));
        }
        t.since = now;
    }

    #[inline]
    fn watch_index(&self, observer: u32, server: u32) -> usize {
        observer as usize * self.servers.len() + server as usize
    }

    /// Integrates an observer's wrong suspicion of the server to `now` before the verdict
    /// or the server's state changes.
    fn advance_watch(&mut self, observer: u32, server: u32, now: SimTime) {
        let (lo, hi) = (self.window_start, self.window_end);
        let up = self.servers[server as usize].up;
        let i = self.watch_index(observer, server);
        let w = &mut self.watches[i];
        if up && w.suspected {
            self.wrong_suspicion_ns += u128::from(overlap(w.since, now, lo, hi));
        }
        w.since = now;
    }

    /// Opens or closes an observer's current mistake after a state change: a mistake
    /// begins when an up server becomes suspected or a suspected server recovers, and
    /// ends when it is trusted again or crashes.
    fn update_mistake(&mut self, observer: u32, server: u32, now: SimTime) {
        let up = self.servers[server as usize].up;
        let i = self.watch_index(observer, server);
        let w = &mut self.watches[i];
        let wrong = up && w.suspected;
        match (w.mistake_since, wrong) {
            (None, true) => w.mistake_since = Some(now),
            (Some(start), false) => {
                w.mistake_since = None;
                self.mistake_ended(start, now);
            }
            _ => {}
        }
    }

    /// Counts a mistake `[start, end)` if it overlaps the window (one of zero length if it
    /// lies in it), with its length inside the window: the mistakes counted and their
    /// lengths are then exactly the wrongly suspected time that
    /// [`wrong_suspicion_fraction`](Self::wrong_suspicion_fraction) integrates.
    fn mistake_ended(&mut self, start: SimTime, end: SimTime) {
        let (lo, hi) = (self.window_start, self.window_end);
        if self.count_span(Counter::FalseSuspicions, start, end) {
            self.mistake_sum_ns += u128::from(overlap(start, end, lo, hi));
        }
    }

    /// Ground truth: the server crashed, losing `lost` attempts it held.
    pub fn server_crashed(&mut self, server: u32, now: SimTime, lost: u64) {
        if let Some(t) = self.timeline.as_deref_mut() {
            t.server_down(server, now);
        }
        self.advance_server(server, now);
        for o in 0..self.observers {
            self.advance_watch(o, server, now);
        }
        let in_window = self.in_window(now);
        let t = &mut self.servers[server as usize];
        t.up = false;
        t.down_since = Some(now);
        self.count(Counter::Crashes, now);
        self.add(Counter::LostInCrash, lost, now);
        for o in 0..self.observers {
            let i = self.watch_index(o, server);
            let w = &mut self.watches[i];
            // A server already (wrongly) suspected is detected the instant it crashes.
            w.outage_detected = w.suspected;
            if w.suspected {
                self.count(Counter::Detections, now);
                if in_window {
                    self.detection.saturating_record(1);
                }
            }
            self.update_mistake(o, server, now);
        }
        self.refresh_ranges_of(server, now);
    }

    /// The random crash process took `server` down (`down`) or repaired it: only the
    /// timeline sees it.
    pub fn random_outage(&mut self, server: u32, down: bool, now: SimTime) {
        if let Some(t) = self.timeline.as_deref_mut() {
            if down {
                t.random_crash(server, now);
            } else {
                t.random_repair(server, now);
            }
        }
    }

    /// Ground truth: the server recovered.
    pub fn server_recovered(&mut self, server: u32, now: SimTime) {
        if let Some(t) = self.timeline.as_deref_mut() {
            t.server_up(server, now);
        }
        self.advance_server(server, now);
        for o in 0..self.observers {
            self.advance_watch(o, server, now);
        }
        let t = &mut self.servers[server as usize];
        let crash = t.down_since.take();
        t.up = true;
        for o in 0..self.observers {
            let i = self.watch_index(o, server);
            let detected = std::mem::replace(&mut self.watches[i].outage_detected, false);
            if let Some(crash) = crash
                && !detected
            {
                self.count(Counter::UndetectedCrashes, crash);
            }
            self.update_mistake(o, server, now);
        }
        self.refresh_ranges_of(server, now);
    }

    /// Ground truth: a server crashed again while restoring its state (already down).
    pub fn crashed_while_restoring(&mut self, now: SimTime) {
        self.count(Counter::Crashes, now);
    }

    pub fn server_is_up(&self, server: u32) -> bool {
        self.servers[server as usize].up
    }

    /// `observer`'s detector began suspecting the server.
    pub fn suspected(&mut self, observer: u32, server: u32, now: SimTime) {
        self.advance_watch(observer, server, now);
        let (lo, hi) = (self.window_start, self.window_end);
        let down_since = self.servers[server as usize].down_since;
        let i = self.watch_index(observer, server);
        let w = &mut self.watches[i];
        if let Some(t) = self.timeline.as_deref_mut()
            && !w.suspected
        {
            t.suspected(server, now);
        }
        w.suspected = true;
        if let Some(crash) = down_since
            && !w.outage_detected
        {
            w.outage_detected = true;
            if crash >= lo && crash < hi {
                let d = now.since(crash).0;
                self.detection_sum_ns += u128::from(d);
                self.detection.saturating_record(d.clamp(1, HIST_MAX_NS));
            }
            self.count(Counter::Detections, crash);
        }
        // A suspicion of an up server begins a mistake, counted when it ends.
        self.update_mistake(observer, server, now);
    }

    /// `observer`'s detector trusts the server again.
    pub fn trusted(&mut self, observer: u32, server: u32, now: SimTime) {
        self.advance_watch(observer, server, now);
        let i = self.watch_index(observer, server);
        if let Some(t) = self.timeline.as_deref_mut()
            && self.watches[i].suspected
        {
            t.trusted(server, now);
        }
        self.watches[i].suspected = false;
        self.update_mistake(observer, server, now);
    }

    /// The clients' shared view now suspects (or trusts) the server. Only primary/backup
    /// ranges care: a suspected primary is not usable.
    pub fn view_suspicion(&mut self, server: u32, suspected: bool, now: SimTime) {
        if let Some(r) = self.ranges.as_mut() {
            r.view_suspected[server as usize] = suspected;
            self.refresh_ranges_of(server, now);
        }
    }

    /// The clients' view now names `primary` as the primary of `range`.
    pub fn primary_changed(&mut self, range: u32, primary: Option<u32>, now: SimTime) {
        if let Some(r) = self.ranges.as_mut() {
            r.primary[range as usize] = primary;
            self.refresh_range(range as usize, now);
        }
    }

    /// The monitor changed a range's primary: a failover away from a suspected primary,
    /// or a failback when the old primary was still trusted.
    pub fn promotion(&mut self, failback: bool, now: SimTime) {
        let c = if failback {
            Counter::Failbacks
        } else {
            Counter::Failovers
        };
        self.count(c, now);
    }

    /// A request for `key`, created at `created`, ended now; it counts if created inside
    /// the window (`counted`). With primary/backup ranges, a failure counts as lost in
    /// failover when its range was without a usable primary at some instant since
    /// `created`.
    pub fn request_outcome_for_key(&mut self, counted: bool, key: u32, created: SimTime, ok: bool) {
        let Some(r) = self.ranges.as_ref() else {
            return;
        };
        if ok || !counted {
            return;
        }
        let range = r.plan.range_of(key) as usize;
        if r.outage_since[range].is_some() || r.last_outage_end[range].is_some_and(|e| e >= created)
        {
            self.count_counted(Counter::LostInFailover, counted);
        }
    }

    fn refresh_ranges_of(&mut self, server: u32, now: SimTime) {
        let Some(ranges) = self.ranges.as_ref().map(|r| r.primary.len()) else {
            return;
        };
        for range in 0..ranges {
            if self
                .ranges
                .as_ref()
                .is_some_and(|r| r.primary[range] == Some(server))
            {
                self.refresh_range(range, now);
            }
        }
    }

    /// Opens or closes the range's span without a usable primary.
    fn refresh_range(&mut self, range: usize, now: SimTime) {
        let (lo, hi) = (self.window_start, self.window_end);
        let servers = &self.servers;
        let Some(r) = self.ranges.as_mut() else {
            return;
        };
        let usable = r.primary[range]
            .is_some_and(|p| servers[p as usize].up && !r.view_suspected[p as usize]);
        match (r.outage_since[range], usable) {
            (None, false) => r.outage_since[range] = Some(now),
            (Some(start), true) => {
                r.without_primary_ns += u128::from(overlap(start, now, lo, hi));
                r.outage_since[range] = None;
                r.last_outage_end[range] = Some(now);
            }
            _ => {}
        }
    }

    /// `n` attempts inside the window reached `server` while it was up, counted by the
    /// server itself (see [`Servers::hand_over_attempts`](crate::model::server::Servers::hand_over_attempts)).
    pub fn attempts_arrived(&mut self, server: u32, n: u64) {
        self.attempts_per_server[server as usize] += n;
    }

    /// A server looked a request's key up in its cache.
    #[inline]
    pub fn cache_lookup(&mut self, hit: bool, now: SimTime) {
        let c = if hit {
            Counter::CacheHits
        } else {
            Counter::CacheMisses
        };
        self.count(c, now);
    }

    /// The clients' view changed; `remapped` is the fraction of keys whose owner changed,
    /// for routers that place by key.
    pub fn view_changed(&mut self, now: SimTime, remapped: Option<f64>) {
        self.count(Counter::MembershipChanges, now);
        if let Some(fraction) = remapped
            && self.in_window(now)
        {
            self.count(Counter::RemapChanges, now);
            self.remap_sum += fraction;
        }
    }

    /// The most attempts any server received over the mean per server, inside the window.
    pub fn load_imbalance(&self) -> Option<f64> {
        let total: u64 = self.attempts_per_server.iter().sum();
        let max = self.attempts_per_server.iter().copied().max()?;
        (total > 0).then(|| max as f64 * self.attempts_per_server.len() as f64 / total as f64)
    }

    /// Fraction of key lookups that hit the cache.
    pub fn cache_hit_ratio(&self) -> Option<f64> {
        let hits = self.counter(Counter::CacheHits);
        let lookups = hits + self.counter(Counter::CacheMisses);
        (lookups > 0).then(|| hits as f64 / lookups as f64)
    }

    /// Mean over membership changes of the fraction of keys they remapped.
    pub fn keys_remapped_mean(&self) -> Option<f64> {
        let changes = self.counter(Counter::RemapChanges);
        (changes > 0).then(|| self.remap_sum / changes as f64)
    }

    /// Ends the measurement window at `end` when that comes before its planned end: the
    /// run stopped there (a batch run whose last job finished).
    pub fn end_window_at(&mut self, end: SimTime) {
        self.window_end = self.window_end.min(end).max(self.window_start);
    }

    /// Closes the time integrals at the end of the window, and counts the mistakes still
    /// open with their part inside it.
    pub fn finish(&mut self) {
        let end = self.window_end;
        for s in 0..self.servers.len() as u32 {
            self.advance_server(s, end);
            for o in 0..self.observers {
                self.advance_watch(o, s, end);
                let i = self.watch_index(o, s);
                if let Some(start) = self.watches[i].mistake_since.take() {
                    self.mistake_ended(start, end.max(start));
                }
            }
        }
        let lo = self.window_start;
        if let Some(r) = self.ranges.as_mut() {
            for since in r.outage_since.iter_mut() {
                if let Some(start) = since.as_mut() {
                    r.without_primary_ns += u128::from(overlap(*start, end, lo, end));
                    *start = end;
                }
            }
        }
    }

    pub fn latency_mean(&self) -> Option<SimDuration> {
        let ok = self.counter(Counter::Ok);
        (ok > 0).then(|| SimDuration((self.latency_sum_ns / u128::from(ok)) as u64))
    }

    /// Latency quantile of successful requests (0 < q <= 1), to 3 significant digits.
    pub fn latency_quantile(&self, q: f64) -> Option<SimDuration> {
        (self.counter(Counter::Ok) > 0).then(|| SimDuration(self.latency.value_at_quantile(q)))
    }

    /// The latency histogram of successful requests, in nanoseconds.
    pub fn latency_histogram(&self) -> &Histogram<u64> {
        &self.latency
    }

    /// Time-averaged fraction of servers up over the window.
    pub fn server_availability(&self) -> f64 {
        let window = self.window_end.since(self.window_start).0 as f64;
        self.up_ns as f64 / (window * self.servers.len() as f64)
    }

    /// Fraction of up-server time during which a detector wrongly suspected the server
    /// (over every (observer, server) pair with detection in the clients).
    pub fn wrong_suspicion_fraction(&self) -> f64 {
        if self.up_ns == 0 {
            0.0
        } else {
            self.wrong_suspicion_ns as f64 / (self.up_ns as f64 * f64::from(self.observers))
        }
    }

    /// Mistakes per second of up-server time watched by one observer: Chen, Toueg and
    /// Aguilera's mistake rate lambda_M. With [`mistake_mean`](Self::mistake_mean) (T_M)
    /// and [`wrong_suspicion_fraction`](Self::wrong_suspicion_fraction) (1 - P_A) it
    /// satisfies 1 - P_A = lambda_M T_M, exactly up to rounding, since all three come
    /// from the same mistakes inside the window.
    pub fn mistake_rate(&self) -> f64 {
        if self.up_ns == 0 {
            0.0
        } else {
            self.counter(Counter::FalseSuspicions) as f64 * 1e9
                / (self.up_ns as f64 * f64::from(self.observers))
        }
    }

    /// Time, summed over key ranges, without a usable primary (`None` without ranges).
    pub fn time_without_primary(&self) -> Option<SimDuration> {
        self.ranges
            .as_ref()
            .map(|r| SimDuration(r.without_primary_ns.min(u128::from(u64::MAX)) as u64))
    }

    /// Fraction of range-time without a usable primary (`None` without ranges).
    pub fn range_unavailability(&self) -> Option<f64> {
        let r = self.ranges.as_ref()?;
        let window = self.window_end.since(self.window_start).0 as f64;
        Some(r.without_primary_ns as f64 / (window * r.primary.len() as f64))
    }

    /// Mean of crash-to-suspicion delays.
    pub fn detection_mean(&self) -> Option<SimDuration> {
        let detections = self.counter(Counter::Detections);
        (detections > 0)
            .then(|| SimDuration((self.detection_sum_ns / u128::from(detections)) as u64))
    }

    pub fn detection_quantile(&self, q: f64) -> Option<SimDuration> {
        (self.counter(Counter::Detections) > 0)
            .then(|| SimDuration(self.detection.value_at_quantile(q)))
    }

    /// Mean length inside the window of a mistake: a span in which an up server stays
    /// suspected (after a suspicion of an up server, or from the recovery of a server
    /// still suspected), over the mistakes counted in `false_suspicions`.
    pub fn mistake_mean(&self) -> Option<SimDuration> {
        let mistakes = self.counter(Counter::FalseSuspicions);
        (mistakes > 0).then(|| SimDuration((self.mistake_sum_ns / u128::from(mistakes)) as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Counter::*;

    fn t(ms: u64) -> SimTime {
        SimTime(ms * 1_000_000)
    }

    #[test]
    fn uptime_integrates_inside_the_window() {
        let mut m = Metrics::new(
            2,
            SimDuration::from_millis(100),
            SimDuration::from_millis(1100),
        );
        m.server_crashed(0, t(50), 0); // before the window: not counted as a crash
        m.server_recovered(0, t(300)); // down 100..300 inside the window
        m.server_crashed(1, t(600), 3);
        m.finish();
        // server 0 up 800 of 1000 ms, server 1 up 500 of 1000 ms.
        assert!((m.server_availability() - 0.65).abs() < 1e-12);
        assert_eq!(m.counter(Crashes), 1);
        assert_eq!(m.counter(LostInCrash), 3);
    }

    #[test]
    fn detection_and_false_suspicion_are_told_apart() {
        let mut m = Metrics::new(1, SimDuration::ZERO, SimDuration::from_secs(10));
        m.suspected(0, 0, t(100)); // false: the server is up
        m.trusted(0, 0, t(150));
        m.server_crashed(0, t(1000), 0);
        m.suspected(0, 0, t(1300)); // detection after 300 ms
        m.server_recovered(0, t(2000));
        m.trusted(0, 0, t(2100));
        m.finish();
        // Two mistakes: the suspicion of the up server (100..150) and the recovered
        // server not yet trusted again (2000..2100).
        assert_eq!(m.counter(FalseSuspicions), 2);
        assert_eq!(m.counter(Detections), 1);
        assert_eq!(m.detection_mean(), Some(SimDuration::from_millis(300)));
        let wrong = m.wrong_suspicion_fraction() * (10_000.0 - 1_000.0) * 1e6;
        assert!((wrong - 150e6).abs() < 1.0, "{wrong}");
        assert_eq!(m.mistake_mean(), Some(SimDuration::from_millis(75)));
        assert!((m.mistake_rate() - 2.0 / 9.0).abs() < 1e-12);
    }

    #[test]
    fn client_detectors_count_per_observer_server_pair() {
        // Three clients each watch two servers for 10 s: 60 s of observer-server time
        // minus the 0.9 s server 0 is down, three times over.
        let mut m = Metrics::new(2, SimDuration::ZERO, SimDuration::from_secs(10));
        m.set_observers(3);
        m.server_crashed(0, t(100), 0);
        m.suspected(0, 0, t(400));
        m.suspected(1, 0, t(500));
        m.server_recovered(0, t(1000)); // client 2 never noticed
        m.trusted(0, 0, t(1100));
        m.trusted(1, 0, t(1100));
        m.suspected(1, 1, t(2000)); // false
        m.trusted(1, 1, t(2500));
        m.finish();
        let count = |c| m.counter(c);
        assert_eq!(
            (count(Crashes), count(Detections), count(UndetectedCrashes)),
            (1, 2, 1)
        );
        assert_eq!(m.detection_mean(), Some(SimDuration::from_millis(350)));
        // Three mistakes: 100 ms for each of clients 0 and 1 after the recovery, and
        // client 1's 500 ms suspicion of an up server, over 3 x 19.1 s.
        assert_eq!(m.counter(FalseSuspicions), 3);
        let watched = 3.0 * 19.1;
        assert!((m.wrong_suspicion_fraction() - 0.7 / watched).abs() < 1e-12);
        assert!((m.mistake_rate() - 3.0 / watched).abs() < 1e-12);
        // 700 ms over three mistakes.
        assert_eq!(m.mistake_mean(), Some(SimDuration(700_000_000 / 3)));
    }

    #[test]
    fn mistakes_across_the_window_edges_count_with_their_part_inside() {
        // Window [1 s, 5 s). One mistake from 0.5 s to 1.2 s (200 ms inside), one from
        // 4.9 s still open at the end (100 ms inside), one wholly before, one of zero
        // length at 3 s, and one beginning at the window's end.
        let mut m = Metrics::new(2, SimDuration::from_secs(1), SimDuration::from_secs(5));
        m.suspected(0, 0, t(100));
        m.trusted(0, 0, t(300));
        m.suspected(0, 0, t(500));
        m.trusted(0, 0, t(1200));
        m.suspected(0, 1, t(3000));
        m.trusted(0, 1, t(3000));
        m.suspected(0, 0, t(4900));
        m.suspected(0, 1, t(5000));
        m.finish();
        assert_eq!(m.counter(FalseSuspicions), 3);
        assert_eq!(m.mistake_mean(), Some(SimDuration::from_millis(100)));
        // 1 - P_A = lambda_M T_M: 300 ms wrong over 8 s of up time, 3 mistakes of 100 ms.
        let watched_s = 8.0;
        assert!((m.wrong_suspicion_fraction() - 0.3 / watched_s).abs() < 1e-12);
        assert!((m.mistake_rate() - 3.0 / watched_s).abs() < 1e-12);
    }

    #[test]
    fn a_range_is_without_primary_from_its_crash_to_the_promotion() {
        use crate::strategy::{Failback, FailoverPlan};
        let plan = FailoverPlan {
            replicas: vec![vec![0, 1], vec![1, 0]],
            keys: 10,
            promotion_delay: SimDuration::from_millis(200),
            failback: Failback::Stay,
        };
        let mut m = Metrics::new(2, SimDuration::ZERO, SimDuration::from_secs(10));
        m.track_ranges(&plan);
        m.server_crashed(0, t(1000), 0);
        m.request_outcome_for_key(true, 2, t(900), false); // range 0, alive across the crash
        m.request_outcome_for_key(true, 7, t(900), false); // range 1: its primary is up
        m.view_suspicion(0, true, t(1300));
        m.promotion(false, t(1500));
        m.primary_changed(0, Some(1), t(1500));
        m.request_outcome_for_key(true, 2, t(1600), false); // after the failover
        m.request_outcome_for_key(true, 3, t(1400), true); // succeeded: not lost
        m.finish();
        assert_eq!(
            m.time_without_primary(),
            Some(SimDuration::from_millis(500))
        );
        assert_eq!(m.range_unavailability(), Some(0.5 / 20.0));
        let count = |c| m.counter(c);
        assert_eq!(
            (count(Failovers), count(Failbacks), count(LostInFailover)),
            (1, 0, 1)
        );
    }

    #[test]
    fn latency_mean_is_exact_and_quantiles_close() {
        let mut m = Metrics::new(1, SimDuration::ZERO, SimDuration::from_secs(10));
        for ms in 1..=1000u64 {
            m.request_done(true, Outcome::Ok, SimDuration::from_millis(ms), 1);
        }
        m.request_done(true, Outcome::TimedOut, SimDuration::ZERO, 2);
        assert_eq!(m.latency_mean(), Some(SimDuration(500_500_000)));
        let p99 = m.latency_quantile(0.99).unwrap().as_millis_f64();
        assert!((p99 - 990.0).abs() <= 990.0 * 1e-3, "{p99}");
        assert_eq!(
            [Requests, Ok, TimedOut, Attempts, Retries].map(|c| m.counter(c)),
            [1001, 1000, 1, 1002, 1]
        );
    }

    #[test]
    fn retry_peak_is_the_busiest_10ms_bucket_of_the_window() {
        let mut m = Metrics::new(1, SimDuration::from_millis(5), SimDuration::from_secs(1));
        let us = |x: u64| SimTime(x * 1_000);
        m.retry_sent(us(1_000)); // before the window: ignored
        // Buckets start at the window start, 5 ms: [5, 15) holds 3, [15, 25) holds 4.
        for t in [5_000, 9_000, 14_999, 15_000, 16_000, 20_000, 24_999, 40_000] {
            m.retry_sent(us(t));
        }
        assert_eq!(m.retries_peak(), 4);
        m.request_done(true, Outcome::Error, SimDuration::ZERO, 3);
        m.request_done(false, Outcome::Error, SimDuration::ZERO, 3); // created outside
        assert_eq!([Errored, Requests, Ok].map(|c| m.counter(c)), [1, 1, 0]);
    }

    #[test]
    fn each_counter_counts_by_its_declared_rule() {
        // Window [100 ms, 1 s): by time at 50 ms no, at 500 ms yes; by request as told;
        // over the whole run always.
        let mut m = Metrics::new(1, SimDuration::from_millis(100), SimDuration::from_secs(1));
        m.count(Shed, t(50));
        m.count(Shed, t(500));
        m.count_counted(Hedges, false);
        m.add_counted(Hedges, 2, true);
        m.count(MessagesSent, t(50));
        m.count(MessagesSent, t(2000));
        assert_eq!(
            [Shed, Hedges, MessagesSent].map(|c| m.counter(c)),
            [1, 2, 2]
        );
        assert_eq!(
            (
                Shed.rule(),
                Hedges.rule(),
                FalseSuspicions.rule(),
                JobsDone.rule()
            ),
            (Rule::Time, Rule::Request, Rule::Span, Rule::Run)
        );
    }

    #[test]
    #[should_panic(expected = "Hedges is not counted by time")]
    fn a_counter_counted_by_another_rule_is_refused() {
        let mut m = Metrics::new(1, SimDuration::ZERO, SimDuration::from_secs(1));
        m.count(Hedges, t(1));
    }

    #[test]
    fn placement_measures_count_inside_the_window() {
        let mut m = Metrics::new(4, SimDuration::from_millis(100), SimDuration::from_secs(1));
        // The servers count their attempts inside the window and hand the counts over.
        for (server, n) in [(0u32, 6), (1, 2), (2, 2), (3, 2)] {
            m.attempts_arrived(server, n);
        }
        // 12 attempts over 4 servers: mean 3, max 6.
        assert_eq!(m.load_imbalance(), Some(2.0));
        m.cache_lookup(true, t(200));
        m.cache_lookup(false, t(200));
        m.cache_lookup(true, t(300));
        m.cache_lookup(false, t(2000)); // after the window
        assert_eq!(m.cache_hit_ratio(), Some(2.0 / 3.0));
        m.view_changed(t(10), Some(1.0));
        m.view_changed(t(200), Some(0.25));
        m.view_changed(t(300), Some(0.5));
        m.view_changed(t(400), None);
        assert_eq!(m.counter(MembershipChanges), 3);
        assert_eq!(m.keys_remapped_mean(), Some(0.375));
    }
}
