//! A run's timeline, recorded only when asked for: requests ended per time window (by
//! outcome, with the mean and p99 latency of the successes) and every span in which a
//! server was down or suspected, for plotting a run around its faults.
//!
//! Recording is off in ordinary runs (the metrics hold no timeline and each hook is one
//! untaken branch) and never changes what a run does. Memory grows with simulated time
//! (one row per window, one span per state change), never with the number of requests.

use crate::engine::time::{SimDuration, SimTime};
use crate::report::metrics::{HIST_MAX_NS, Outcome, new_latency_histogram};
use hdrhistogram::Histogram;

/// The requests that ended inside one window `[start, start + window)`.
#[derive(Clone, Debug, PartialEq)]
pub struct TimelineWindow {
    pub start: SimTime,
    pub ok: u64,
    /// Timed out, rejected or unavailable.
    pub failed: u64,
    /// Mean latency of the successes, if any.
    pub latency_mean: Option<SimDuration>,
    /// 99th percentile latency of the successes (two significant digits), if any.
    pub latency_p99: Option<SimDuration>,
}

/// What a server span shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SpanKind {
    /// The server was crashed (ground truth).
    Down,
    /// A failure detector (of the monitor or of any client) suspected the server.
    Suspected,
}

impl SpanKind {
    pub fn name(self) -> &'static str {
        match self {
            SpanKind::Down => "down",
            SpanKind::Suspected => "suspected",
        }
    }
}

/// A maximal span of time in which `server` was down or suspected.
#[derive(Clone, Debug, PartialEq)]
pub struct ServerSpan {
    pub server: u32,
    pub kind: SpanKind,
    pub from: SimTime,
    pub until: SimTime,
}

/// The recorder. Requests must end in time order, as the event loop delivers them.
#[derive(Clone, Debug)]
pub struct Timeline {
    window: SimDuration,
    windows: Vec<TimelineWindow>,
    /// Latencies of the current window's successes, and their exact sum.
    latency: Histogram<u64>,
    latency_sum_ns: u128,
    /// Per server, when its open down and suspected spans began, and how many
    /// observers (the monitor, or each detecting client) suspect it.
    down_since: Vec<Option<SimTime>>,
    suspected_since: Vec<Option<SimTime>>,
    suspecting: Vec<u32>,
    spans: Vec<ServerSpan>,
    end: Option<SimTime>,
}

impl Timeline {
    /// A timeline of `servers` servers in windows of `window` (at least 1 ns).
    pub fn new(servers: u32, window: SimDuration) -> Timeline {
        Timeline {
            window: SimDuration(window.0.max(1)),
            windows: Vec::new(),
            latency: new_latency_histogram(2),
            latency_sum_ns: 0,
            down_since: vec![None; servers as usize],
            suspected_since: vec![None; servers as usize],
            suspecting: vec![0; servers as usize],
            spans: Vec::new(),
            end: None,
        }
    }

    pub fn window(&self) -> SimDuration {
        self.window
    }

    /// Closes the current window's latency figures.
    fn close_latency(&mut self) {
        if let Some(w) = self.windows.last_mut()
            && w.ok > 0
        {
            w.latency_mean = Some(SimDuration((self.latency_sum_ns / u128::from(w.ok)) as u64));
            w.latency_p99 = Some(SimDuration(self.latency.value_at_quantile(0.99)));
        }
        self.latency.reset();
        self.latency_sum_ns = 0;
    }

    /// The window holding `now`, opening it (and the empty ones before it) if needed.
    fn window_at(&mut self, now: SimTime) -> &mut TimelineWindow {
        let index = (now.0 / self.window.0) as usize;
        if index >= self.windows.len() {
            self.close_latency();
            while self.windows.len() <= index {
                let start = SimTime(self.windows.len() as u64 * self.window.0);
                self.windows.push(TimelineWindow {
                    start,
                    ok: 0,
                    failed: 0,
                    latency_mean: None,
                    latency_p99: None,
                });
            }
        }
        &mut self.windows[index]
    }

    /// A request ended at `now` with `outcome` after `latency`.
    pub fn request_ended(&mut self, now: SimTime, outcome: Outcome, latency: SimDuration) {
        let w = self.window_at(now);
        match outcome {
            Outcome::Ok => {
                w.ok += 1;
                self.latency_sum_ns += u128::from(latency.0);
                self.latency
                    .saturating_record(latency.0.clamp(1, HIST_MAX_NS));
            }
            _ => w.failed += 1,
        }
    }

    fn open(since: &mut [Option<SimTime>], server: u32, now: SimTime) {
        let slot = &mut since[server as usize];
        if slot.is_none() {
            *slot = Some(now);
        }
    }

    fn close(&mut self, kind: SpanKind, server: u32, now: SimTime) {
        let since = match kind {
            SpanKind::Down => &mut self.down_since,
            SpanKind::Suspected => &mut self.suspected_since,
        };
        if let Some(from) = since[server as usize].take() {
            self.spans.push(ServerSpan {
                server,
                kind,
                from,
                until: now,
            });
        }
    }

    pub fn server_down(&mut self, server: u32, now: SimTime) {
        Timeline::open(&mut self.down_since, server, now);
    }

    pub fn server_up(&mut self, server: u32, now: SimTime) {
        self.close(SpanKind::Down, server, now);
    }

    /// One more observer suspects the server: a suspected span runs while any does.
    pub fn suspected(&mut self, server: u32, now: SimTime) {
        self.suspecting[server as usize] += 1;
        Timeline::open(&mut self.suspected_since, server, now);
    }

    /// One observer trusts the server again.
    pub fn trusted(&mut self, server: u32, now: SimTime) {
        let n = &mut self.suspecting[server as usize];
        *n = n.saturating_sub(1);
        if *n == 0 {
            self.close(SpanKind::Suspected, server, now);
        }
    }

    /// Ends the recording at `end`: closes the last window and every open span.
    pub fn finish(&mut self, end: SimTime) {
        if self.end.is_some() {
            return;
        }
        self.close_latency();
        for server in 0..self.down_since.len() as u32 {
            self.close(SpanKind::Down, server, end);
            self.close(SpanKind::Suspected, server, end);
        }
        self.spans
            .sort_by_key(|s| (s.server, s.kind, s.from, s.until));
        self.end = Some(end);
    }

    /// The windows from time 0 to the last request's end.
    pub fn windows(&self) -> &[TimelineWindow] {
        &self.windows
    }

    /// The spans, by server, kind and start.
    pub fn spans(&self) -> &[ServerSpan] {
        &self.spans
    }

    /// When the run ended, once finished.
    pub fn end(&self) -> Option<SimTime> {
        self.end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(x: u64) -> SimTime {
        SimTime(x * 1_000_000)
    }

    #[test]
    fn requests_fall_into_the_window_of_their_end() {
        let mut t = Timeline::new(1, SimDuration::from_millis(100));
        t.request_ended(ms(10), Outcome::Ok, SimDuration::from_millis(4));
        t.request_ended(ms(99), Outcome::Ok, SimDuration::from_millis(8));
        t.request_ended(ms(150), Outcome::TimedOut, SimDuration::from_millis(1000));
        t.request_ended(ms(350), Outcome::Ok, SimDuration::from_millis(2));
        t.finish(ms(400));
        let w = t.windows();
        assert_eq!(w.len(), 4, "windows 0, 100, 200 (empty) and 300 ms");
        assert_eq!((w[0].ok, w[0].failed), (2, 0));
        assert_eq!(w[0].latency_mean, Some(SimDuration::from_millis(6)));
        // Two significant digits: 8 ms is held to within 1%.
        let p99 = w[0].latency_p99.unwrap().as_millis_f64();
        assert!((p99 - 8.0).abs() <= 0.08, "{p99}");
        assert_eq!((w[1].ok, w[1].failed, w[1].latency_mean), (0, 1, None));
        assert_eq!((w[2].ok, w[2].failed), (0, 0));
        assert_eq!(w[3].start, ms(300));
        assert_eq!(w[3].latency_mean, Some(SimDuration::from_millis(2)));
    }

    #[test]
    fn spans_open_and_close_with_the_states_and_end_with_the_run() {
        let mut t = Timeline::new(3, SimDuration::from_secs(1));
        t.server_down(1, ms(100));
        t.suspected(1, ms(400));
        t.server_up(1, ms(900));
        t.trusted(1, ms(950));
        t.suspected(0, ms(1000)); // never trusted again: closed at the end
        // Two observers: the span lasts until the last of them trusts the server.
        t.suspected(2, ms(100));
        t.suspected(2, ms(150));
        t.trusted(2, ms(300));
        t.trusted(2, ms(500));
        t.finish(ms(2000));
        let spans: Vec<(u32, &str, u64, u64)> = t
            .spans()
            .iter()
            .map(|s| {
                (
                    s.server,
                    s.kind.name(),
                    s.from.0 / 1_000_000,
                    s.until.0 / 1_000_000,
                )
            })
            .collect();
        assert_eq!(
            spans,
            [
                (0, "suspected", 1000, 2000),
                (1, "down", 100, 900),
                (1, "suspected", 400, 950),
                (2, "suspected", 100, 500)
            ]
        );
    }
}
