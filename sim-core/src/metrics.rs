//! Streaming metrics of a run: counters, an HDR latency histogram and time integrals.
//!
//! Memory does not grow with the number of requests: latencies go into a fixed-size
//! histogram (3 significant digits, 1 ns to 1 h) plus an exact sum for the mean, and
//! server states are integrated as they change. Requests count when they are created
//! inside the measurement window `[warmup, duration)`; time integrals cover the same
//! window. The metrics also hold the ground truth (which servers are really down) that the
//! failure-detector measures of Chen, Toueg and Aguilera compare suspicions against.
//! Placement measures (attempts per server, cache lookups, keys remapped by each change
//! of the view) count what happens inside the window, by the time it happens.

use crate::state_metrics::StateMetrics;
use crate::time::{SimDuration, SimTime};
use hdrhistogram::Histogram;

/// How a request ended.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Outcome {
    Ok,
    TimedOut,
    Rejected,
    /// No server was believed alive when the request had to be placed.
    Unavailable,
}

const HIST_MAX_NS: u64 = 3_600_000_000_000;

fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, HIST_MAX_NS, 3).expect("valid histogram bounds")
}

/// Duration of `[a, b)` inside `[lo, hi)`, in nanoseconds.
fn overlap(a: SimTime, b: SimTime, lo: SimTime, hi: SimTime) -> u64 {
    let start = a.max(lo);
    let end = b.min(hi);
    end.0.saturating_sub(start.0)
}

/// Per-server truth and suspicion state, for time integrals.
#[derive(Clone, Debug)]
struct ServerTrack {
    up: bool,
    suspected: bool,
    /// Last time `up` or `suspected` changed.
    since: SimTime,
    /// When the current mistake (up and suspected) began.
    mistake_since: Option<SimTime>,
    /// When the current outage began, if down.
    down_since: Option<SimTime>,
    /// Whether the current outage has been detected.
    outage_detected: bool,
}

/// All metrics of one run.
pub struct Metrics {
    window_start: SimTime,
    window_end: SimTime,
    pub requests: u64,
    pub ok: u64,
    pub timed_out: u64,
    pub rejected: u64,
    pub unavailable: u64,
    /// Attempts made by counted requests.
    pub attempts: u64,
    /// Retries (attempts after the first) of counted requests.
    pub retries: u64,
    latency: Histogram<u64>,
    latency_sum_ns: u128,
    servers: Vec<ServerTrack>,
    up_ns: u128,
    wrong_suspicion_ns: u128,
    /// Crashes that began inside the window.
    pub crashes: u64,
    /// Attempts a crashing server was holding (queued or in service), inside the window.
    pub lost_in_crash: u64,
    /// Suspicions of servers that were up, inside the window.
    pub false_suspicions: u64,
    /// Crashes inside the window that the monitor detected before the recovery.
    pub detections: u64,
    /// Crashes inside the window that ended before the monitor suspected anything.
    pub undetected_crashes: u64,
    detection: Histogram<u64>,
    detection_sum_ns: u128,
    /// Completed mistakes (spans in which an up server stayed suspected) and their total
    /// length, counted when they end.
    mistakes: u64,
    mistake_sum_ns: u128,
    /// Messages dropped by loss or partitions.
    pub messages_dropped: u64,
    /// Messages sent.
    pub messages_sent: u64,
    /// Attempts that reached each server while it was up, inside the window.
    attempts_per_server: Vec<u64>,
    /// Key-cache lookups inside the window that found, or did not find, the key.
    pub cache_hits: u64,
    pub cache_misses: u64,
    /// Changes of the clients' view inside the window.
    pub membership_changes: u64,
    /// Of those, the changes measured for remapping, and the sum of their fractions of
    /// keys remapped.
    remap_changes: u64,
    remap_sum: f64,
    /// Measures of server state: checkpoints, restores, lost and stale data, jobs.
    pub state: StateMetrics,
}

impl Metrics {
    pub fn new(servers: u32, warmup: SimDuration, duration: SimDuration) -> Self {
        Metrics {
            window_start: SimTime::ZERO + warmup,
            window_end: SimTime::ZERO + duration,
            requests: 0,
            ok: 0,
            timed_out: 0,
            rejected: 0,
            unavailable: 0,
            attempts: 0,
            retries: 0,
            latency: new_histogram(),
            latency_sum_ns: 0,
            servers: vec![
                ServerTrack {
                    up: true,
                    suspected: false,
                    since: SimTime::ZERO,
                    mistake_since: None,
                    down_since: None,
                    outage_detected: false,
                };
                servers as usize
            ],
            up_ns: 0,
            wrong_suspicion_ns: 0,
            crashes: 0,
            lost_in_crash: 0,
            false_suspicions: 0,
            detections: 0,
            undetected_crashes: 0,
            detection: new_histogram(),
            detection_sum_ns: 0,
            mistakes: 0,
            mistake_sum_ns: 0,
            messages_dropped: 0,
            messages_sent: 0,
            attempts_per_server: vec![0; servers as usize],
            cache_hits: 0,
            cache_misses: 0,
            membership_changes: 0,
            remap_changes: 0,
            remap_sum: 0.0,
            state: StateMetrics::new(SimTime::ZERO + warmup, SimTime::ZERO + duration),
        }
    }

    /// Whether a request created at `created` counts.
    #[inline]
    pub fn in_window(&self, created: SimTime) -> bool {
        created >= self.window_start && created < self.window_end
    }

    pub fn window(&self) -> (SimTime, SimTime) {
        (self.window_start, self.window_end)
    }

    /// Records the end of a counted request.
    #[inline]
    pub fn request_done(&mut self, outcome: Outcome, latency: SimDuration, attempts: u32) {
        self.requests += 1;
        self.attempts += u64::from(attempts);
        self.retries += u64::from(attempts.saturating_sub(1));
        match outcome {
            Outcome::Ok => {
                self.ok += 1;
                let ns = latency.0;
                self.latency_sum_ns += u128::from(ns);
                self.latency.saturating_record(ns.clamp(1, HIST_MAX_NS));
            }
            Outcome::TimedOut => self.timed_out += 1,
            Outcome::Rejected => self.rejected += 1,
            Outcome::Unavailable => self.unavailable += 1,
        }
    }

    /// Integrates the server's state up to `now` before it changes.
    fn advance(&mut self, server: u32, now: SimTime) {
        let (lo, hi) = (self.window_start, self.window_end);
        let t = &mut self.servers[server as usize];
        let span = overlap(t.since, now, lo, hi);
        if t.up {
            self.up_ns += u128::from(span);
            if t.suspected {
                self.wrong_suspicion_ns += u128::from(span);
            }
        }
        t.since = now;
    }

    /// Opens or closes the server's current mistake after a state change.
    fn update_mistake(&mut self, server: u32, now: SimTime) {
        let (lo, hi) = (self.window_start, self.window_end);
        let t = &mut self.servers[server as usize];
        let wrong = t.up && t.suspected;
        match (t.mistake_since, wrong) {
            (None, true) => t.mistake_since = Some(now),
            (Some(start), false) => {
                t.mistake_since = None;
                if now > lo && start < hi {
                    self.mistakes += 1;
                    self.mistake_sum_ns += u128::from(overlap(start, now, lo, hi));
                }
            }
            _ => {}
        }
    }

    /// Ground truth: the server crashed, losing `lost` attempts it held.
    pub fn server_crashed(&mut self, server: u32, now: SimTime, lost: u64) {
        self.advance(server, now);
        let in_window = self.in_window(now);
        let t = &mut self.servers[server as usize];
        t.up = false;
        t.down_since = Some(now);
        // A server already (wrongly) suspected is detected the instant it crashes.
        t.outage_detected = t.suspected;
        self.update_mistake(server, now);
        let t = &self.servers[server as usize];
        if in_window {
            self.crashes += 1;
            self.lost_in_crash += lost;
            if t.suspected {
                self.detections += 1;
                self.detection.saturating_record(1);
            }
        }
    }

    /// Ground truth: the server recovered.
    pub fn server_recovered(&mut self, server: u32, now: SimTime) {
        self.advance(server, now);
        let t = &mut self.servers[server as usize];
        if let Some(since) = t.down_since.take()
            && !t.outage_detected
            && since >= self.window_start
            && since < self.window_end
        {
            self.undetected_crashes += 1;
        }
        t.up = true;
        t.outage_detected = false;
        self.update_mistake(server, now);
    }

    /// Ground truth: a server crashed again while restoring its state (already down).
    pub fn crashed_while_restoring(&mut self, now: SimTime) {
        if self.in_window(now) {
            self.crashes += 1;
        }
    }

    pub fn server_is_up(&self, server: u32) -> bool {
        self.servers[server as usize].up
    }

    /// The monitor began suspecting the server.
    pub fn suspected(&mut self, server: u32, now: SimTime) {
        self.advance(server, now);
        let in_window = self.in_window(now);
        let t = &mut self.servers[server as usize];
        t.suspected = true;
        match t.down_since {
            Some(crash) if !t.outage_detected => {
                t.outage_detected = true;
                if crash >= self.window_start && crash < self.window_end {
                    let d = now.since(crash).0;
                    self.detections += 1;
                    self.detection_sum_ns += u128::from(d);
                    self.detection.saturating_record(d.clamp(1, HIST_MAX_NS));
                }
            }
            Some(_) => {}
            None => {
                if in_window {
                    self.false_suspicions += 1;
                }
            }
        }
        self.update_mistake(server, now);
    }

    /// The monitor trusts the server again.
    pub fn trusted(&mut self, server: u32, now: SimTime) {
        self.advance(server, now);
        self.servers[server as usize].suspected = false;
        self.update_mistake(server, now);
    }

    /// An attempt reached `server` while it was up.
    #[inline]
    pub fn attempt_arrived(&mut self, server: u32, now: SimTime) {
        if self.in_window(now) {
            self.attempts_per_server[server as usize] += 1;
        }
    }

    /// A server looked a request's key up in its cache.
    #[inline]
    pub fn cache_lookup(&mut self, hit: bool, now: SimTime) {
        if self.in_window(now) {
            if hit {
                self.cache_hits += 1;
            } else {
                self.cache_misses += 1;
            }
        }
    }

    /// The clients' view changed; `remapped` is the fraction of keys whose owner changed,
    /// for routers that place by key.
    pub fn view_changed(&mut self, now: SimTime, remapped: Option<f64>) {
        if self.in_window(now) {
            self.membership_changes += 1;
            if let Some(fraction) = remapped {
                self.remap_changes += 1;
                self.remap_sum += fraction;
            }
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
        let lookups = self.cache_hits + self.cache_misses;
        (lookups > 0).then(|| self.cache_hits as f64 / lookups as f64)
    }

    /// Mean over membership changes of the fraction of keys they remapped.
    pub fn keys_remapped_mean(&self) -> Option<f64> {
        (self.remap_changes > 0).then(|| self.remap_sum / self.remap_changes as f64)
    }

    /// Closes the time integrals at the end of the window.
    pub fn finish(&mut self) {
        let end = self.window_end;
        for s in 0..self.servers.len() as u32 {
            self.advance(s, end);
        }
    }

    pub fn latency_mean(&self) -> Option<SimDuration> {
        (self.ok > 0).then(|| SimDuration((self.latency_sum_ns / u128::from(self.ok)) as u64))
    }

    /// Latency quantile of successful requests (0 < q <= 1), to 3 significant digits.
    pub fn latency_quantile(&self, q: f64) -> Option<SimDuration> {
        (self.ok > 0).then(|| SimDuration(self.latency.value_at_quantile(q)))
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

    /// Fraction of up-server time during which the monitor wrongly suspected the server.
    pub fn wrong_suspicion_fraction(&self) -> f64 {
        if self.up_ns == 0 {
            0.0
        } else {
            self.wrong_suspicion_ns as f64 / self.up_ns as f64
        }
    }

    /// Mean of crash-to-suspicion delays.
    pub fn detection_mean(&self) -> Option<SimDuration> {
        (self.detections > 0)
            .then(|| SimDuration((self.detection_sum_ns / u128::from(self.detections)) as u64))
    }

    pub fn detection_quantile(&self, q: f64) -> Option<SimDuration> {
        (self.detections > 0).then(|| SimDuration(self.detection.value_at_quantile(q)))
    }

    /// Mean length of a mistake: a span in which an up server stays suspected (a false
    /// suspicion, or a recovered server not yet trusted again), over mistakes that ended.
    pub fn mistake_mean(&self) -> Option<SimDuration> {
        (self.mistakes > 0)
            .then(|| SimDuration((self.mistake_sum_ns / u128::from(self.mistakes)) as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(m.crashes, 1);
        assert_eq!(m.lost_in_crash, 3);
    }

    #[test]
    fn detection_and_false_suspicion_are_told_apart() {
        let mut m = Metrics::new(1, SimDuration::ZERO, SimDuration::from_secs(10));
        m.suspected(0, t(100)); // false: the server is up
        m.trusted(0, t(150));
        m.server_crashed(0, t(1000), 0);
        m.suspected(0, t(1300)); // detection after 300 ms
        m.server_recovered(0, t(2000));
        m.trusted(0, t(2100));
        m.finish();
        assert_eq!(m.false_suspicions, 1);
        assert_eq!(m.detections, 1);
        assert_eq!(m.detection_mean(), Some(SimDuration::from_millis(300)));
        // Wrongly suspected while up: 100..150 and 2000..2100 (recovered, not yet trusted).
        let wrong = m.wrong_suspicion_fraction() * (10_000.0 - 1_000.0) * 1e6;
        assert!((wrong - 150e6).abs() < 1.0, "{wrong}");
        assert_eq!(m.mistake_mean(), Some(SimDuration::from_millis(75)));
    }

    #[test]
    fn latency_mean_is_exact_and_quantiles_close() {
        let mut m = Metrics::new(1, SimDuration::ZERO, SimDuration::from_secs(10));
        for ms in 1..=1000u64 {
            m.request_done(Outcome::Ok, SimDuration::from_millis(ms), 1);
        }
        m.request_done(Outcome::TimedOut, SimDuration::ZERO, 2);
        assert_eq!(m.latency_mean(), Some(SimDuration(500_500_000)));
        let p99 = m.latency_quantile(0.99).unwrap().as_millis_f64();
        assert!((p99 - 990.0).abs() <= 990.0 * 1e-3, "{p99}");
        assert_eq!(
            (m.requests, m.ok, m.timed_out, m.attempts, m.retries),
            (1001, 1000, 1, 1002, 1)
        );
    }

    #[test]
    fn placement_measures_count_inside_the_window() {
        let mut m = Metrics::new(4, SimDuration::from_millis(100), SimDuration::from_secs(1));
        m.attempt_arrived(0, t(50)); // before the window
        for (server, n) in [(0u32, 6), (1, 2), (2, 2), (3, 2)] {
            for _ in 0..n {
                m.attempt_arrived(server, t(500));
            }
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
        assert_eq!(m.membership_changes, 3);
        assert_eq!(m.keys_remapped_mean(), Some(0.375));
    }
}
