//! The liveness measure: how long after the last scripted fault ends the requests succeed
//! again, watched in windows of a fixed length.
//!
//! From the end of the last scripted fault (or the end of the warm-up, if later), time is
//! cut into windows of `window`; the cluster has recovered at the end of the first window
//! whose requests, by the instant they ended, succeeded in at least the `availability`
//! fraction. A window in which no request ended shows nothing and does not count. Only
//! windows that end by the end of the run's arrivals count. Memory is constant: one window
//! is open at a time.

use crate::config::scenario::FaultSpec;
use crate::engine::time::{SimDuration, SimTime};

/// What the liveness measure watches for: a window length and the availability a window
/// must reach.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LivenessProbe {
    pub window: SimDuration,
    /// A fraction in [0, 1].
    pub availability: f64,
}

/// When the last scripted fault ends; `None` when one lasts to the end of the run. No
/// scripted fault: the start of the run.
pub fn last_fault_end(faults: &FaultSpec) -> Option<SimTime> {
    faults.scripted.iter().try_fold(SimTime::ZERO, |last, f| {
        f.length
            .map(|length| last.max(SimTime::ZERO.saturating_add(f.at.saturating_add(length))))
    })
}

/// The watch of one run.
#[derive(Clone, Debug)]
pub struct RecoveryWatch {
    probe: LivenessProbe,
    /// When watching starts: the last fault's end, or the warm-up's.
    from: SimTime,
    /// The end of the arrivals: no window ending later counts.
    stop: SimTime,
    /// The open window's start.
    start: SimTime,
    ok: u64,
    ended: u64,
    recovered: Option<SimTime>,
}

impl RecoveryWatch {
    /// Watches from `from` until `stop`.
    pub fn new(probe: LivenessProbe, from: SimTime, stop: SimTime) -> Self {
        RecoveryWatch {
            probe,
            from,
            stop,
            start: from,
            ok: 0,
            ended: 0,
            recovered: None,
        }
    }

    /// A request ended at `now`, successfully or not.
    #[inline]
    pub fn request_ended(&mut self, now: SimTime, ok: bool) {
        if self.recovered.is_some() || now < self.from {
            return;
        }
        self.close_windows_before(now);
        if self.recovered.is_none() {
            self.ended += 1;
            self.ok += u64::from(ok);
        }
    }

    /// Closes the open window if `now` is past its end, judging it, and moves on to the
    /// window holding `now` (those between saw no request end).
    fn close_windows_before(&mut self, now: SimTime) {
        let window = self.probe.window.0.max(1);
        let end = self.start.saturating_add(SimDuration(window));
        if now < end {
            return;
        }
        if end <= self.stop
            && self.ended > 0
            && self.ok as f64 >= self.probe.availability * self.ended as f64
        {
            self.recovered = Some(end);
            return;
        }
        let skipped = now.since(self.start).0 / window;
        self.start = self.start.saturating_add(SimDuration(skipped * window));
        self.ok = 0;
        self.ended = 0;
    }

    /// The time from the watch's start to the end of the first window that reached the
    /// level; when none did before the arrivals ended, the time to their end (so it took
    /// at least that long); `None` when the last fault ended after the arrivals.
    pub fn recovery_time(&mut self) -> Option<SimDuration> {
        if self.from >= self.stop {
            return None;
        }
        self.close_windows_before(self.stop);
        Some(self.recovered.unwrap_or(self.stop).since(self.from))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: u64) -> SimTime {
        SimTime(ms * 1_000_000)
    }

    fn watch() -> RecoveryWatch {
        let probe = LivenessProbe {
            window: SimDuration::from_millis(100),
            availability: 0.9,
        };
        RecoveryWatch::new(probe, at(1000), at(2000))
    }

    #[test]
    fn recovery_is_the_end_of_the_first_window_at_the_level() {
        let mut w = watch();
        // Window [1000, 1100): 1 of 2 ok; [1100, 1200): none ended; [1200, 1300): 9 of 10.
        w.request_ended(at(999), false);
        w.request_ended(at(1010), true);
        w.request_ended(at(1020), false);
        for i in 0..10 {
            w.request_ended(at(1210 + i), i != 0);
        }
        w.request_ended(at(1400), false);
        assert_eq!(w.recovery_time(), Some(SimDuration::from_millis(300)));
    }

    #[test]
    fn never_recovering_counts_to_the_end_of_the_arrivals() {
        let mut w = watch();
        for i in 0..100 {
            w.request_ended(at(1000 + 10 * i), i % 2 == 0);
        }
        assert_eq!(w.recovery_time(), Some(SimDuration::from_millis(1000)));
        let probe = watch().probe;
        assert_eq!(
            RecoveryWatch::new(probe, at(2000), at(2000)).recovery_time(),
            None
        );
    }
}
