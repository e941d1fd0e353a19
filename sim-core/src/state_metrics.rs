//! Streaming measures of server state: checkpoint overhead, restores, lost and stale data,
//! replica divergence and batch jobs. Counters and sums only, so memory does not grow
//! with requests.
//!
//! Like the other metrics, events count when they happen inside the measurement window
//! `[warmup, duration)` (a restore by the instant it began, a checkpoint's time by its
//! overlap with the window). Batch jobs are the exception: each job is one measurement
//! from the start of the run to its end, whenever that falls, and a batch run's
//! checkpoint overhead is a fraction of the jobs' own time (a batch run has no warm-up
//! and ends when its last job does).

use crate::time::{SimDuration, SimTime};

#[derive(Clone, Debug)]
pub struct StateMetrics {
    window_start: SimTime,
    window_end: SimTime,
    /// Counted requests that wrote, and those of them that ended ok.
    pub writes: u64,
    pub writes_ok: u64,
    /// Reads served, and those that returned a value older than the newest
    /// acknowledged write of their key.
    pub reads_served: u64,
    pub stale_reads: u64,
    /// Times the newest acknowledged (or the newest applied) write of a key stopped
    /// being held by any server.
    pub acked_writes_lost: u64,
    pub writes_lost: u64,
    /// Checkpoints completed, and the server time spent checkpointing (complete or not).
    pub checkpoints: u64,
    checkpoint_ns: u128,
    /// Restores completed, their total length, and those fed from a backup.
    pub restores: u64,
    restore_ns: u128,
    pub restores_from_backup: u64,
    /// Backups completed.
    pub backups: u64,
    /// Written keys whose replicas disagree once the run has settled.
    pub divergent_keys: Option<u64>,
    /// Batch jobs: started, finished, the total time of the finished ones, their total
    /// waste (time beyond their length), and the work crashes undid.
    pub jobs: u64,
    pub jobs_done: u64,
    job_time_ns: u128,
    job_waste_ns: u128,
    lost_work_ns: u128,
}

/// Duration of `[a, b)` inside `[lo, hi)`, in nanoseconds.
fn overlap(a: SimTime, b: SimTime, lo: SimTime, hi: SimTime) -> u64 {
    b.min(hi).0.saturating_sub(a.max(lo).0)
}

impl StateMetrics {
    pub fn new(window_start: SimTime, window_end: SimTime) -> Self {
        StateMetrics {
            window_start,
            window_end,
            writes: 0,
            writes_ok: 0,
            reads_served: 0,
            stale_reads: 0,
            acked_writes_lost: 0,
            writes_lost: 0,
            checkpoints: 0,
            checkpoint_ns: 0,
            restores: 0,
            restore_ns: 0,
            restores_from_backup: 0,
            backups: 0,
            divergent_keys: None,
            jobs: 0,
            jobs_done: 0,
            job_time_ns: 0,
            job_waste_ns: 0,
            lost_work_ns: 0,
        }
    }

    fn in_window(&self, t: SimTime) -> bool {
        t >= self.window_start && t < self.window_end
    }

    /// A counted write request ended.
    pub fn write_done(&mut self, ok: bool) {
        self.writes += 1;
        self.writes_ok += u64::from(ok);
    }

    /// A server served a read, stale or not.
    pub fn read_served(&mut self, stale: bool, now: SimTime) {
        if self.in_window(now) {
            self.reads_served += 1;
            self.stale_reads += u64::from(stale);
        }
    }

    /// A key's newest applied write, and with `acked` its newest acknowledged one, is
    /// held by no server any more.
    pub fn write_lost(&mut self, acked: bool, applied: bool, now: SimTime) {
        if self.in_window(now) {
            self.acked_writes_lost += u64::from(acked);
            self.writes_lost += u64::from(applied);
        }
    }

    /// A server checkpointed during `[start, end)`; `completed` is false when a crash cut
    /// it short.
    pub fn checkpoint_span(&mut self, start: SimTime, end: SimTime, completed: bool) {
        self.checkpoint_ns += u128::from(overlap(start, end, self.window_start, self.window_end));
        if completed && self.in_window(end) {
            self.checkpoints += 1;
        }
    }

    /// A server restored its state during `[start, end)`.
    pub fn restore_done(&mut self, start: SimTime, end: SimTime, from_backup: bool) {
        if self.in_window(start) {
            self.restores += 1;
            self.restore_ns += u128::from(end.since(start).0);
            self.restores_from_backup += u64::from(from_backup);
        }
    }

    pub fn backup_done(&mut self, now: SimTime) {
        if self.in_window(now) {
            self.backups += 1;
        }
    }

    /// A batch job of `length` finished at `now` (it started at time zero).
    pub fn job_done(&mut self, length: SimDuration, now: SimTime) {
        self.jobs_done += 1;
        self.job_time_ns += u128::from(now.0);
        self.job_waste_ns += u128::from(now.0.saturating_sub(length.0));
    }

    /// A crash undid `lost` of a batch job's progress.
    pub fn work_lost(&mut self, lost: SimDuration) {
        self.lost_work_ns += u128::from(lost.0);
    }

    /// Server time inside the window spent checkpointing, summed over servers.
    pub fn checkpoint_time(&self) -> SimDuration {
        SimDuration(self.checkpoint_ns as u64)
    }

    /// The window ends at `end` (the run stopped there).
    pub fn end_window_at(&mut self, end: SimTime) {
        self.window_end = end;
    }

    /// Whether the run has batch jobs and every one of them finished.
    pub fn all_jobs_done(&self) -> bool {
        self.jobs > 0 && self.jobs_done == self.jobs
    }

    /// Fraction of server time inside the window spent checkpointing; with batch jobs,
    /// of the jobs' own time: each from the start of the run to its completion, or to the
    /// end of the window if it did not finish.
    pub fn checkpoint_overhead(&self, servers: u32) -> f64 {
        let window = self.window_end.since(self.window_start).0 as f64;
        if self.jobs > 0 {
            let unfinished = (self.jobs - self.jobs_done) as f64;
            let job_time = self.job_time_ns as f64 + unfinished * self.window_end.0 as f64;
            return self.checkpoint_ns as f64 / job_time;
        }
        self.checkpoint_ns as f64 / (window * f64::from(servers))
    }

    pub fn restore_time_mean(&self) -> Option<SimDuration> {
        (self.restores > 0)
            .then(|| SimDuration((self.restore_ns / u128::from(self.restores)) as u64))
    }

    pub fn stale_read_fraction(&self) -> Option<f64> {
        (self.reads_served > 0).then(|| self.stale_reads as f64 / self.reads_served as f64)
    }

    pub fn job_time_mean(&self) -> Option<SimDuration> {
        (self.jobs_done > 0)
            .then(|| SimDuration((self.job_time_ns / u128::from(self.jobs_done)) as u64))
    }

    pub fn job_waste_mean(&self) -> Option<SimDuration> {
        (self.jobs_done > 0)
            .then(|| SimDuration((self.job_waste_ns / u128::from(self.jobs_done)) as u64))
    }

    /// Work undone by crashes, over every job of the run.
    pub fn lost_work(&self) -> SimDuration {
        SimDuration(self.lost_work_ns as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: u64) -> SimTime {
        SimTime(s * 1_000_000_000)
    }

    #[test]
    fn checkpoint_time_is_clipped_to_the_window() {
        let mut m = StateMetrics::new(t(10), t(110));
        m.checkpoint_span(t(5), t(15), true); // 5 s inside
        m.checkpoint_span(t(50), t(60), false); // 10 s, cut short by a crash
        m.checkpoint_span(t(105), t(120), true); // 5 s inside, completes outside
        assert_eq!(m.checkpoints, 1);
        // 20 s of 2 servers x 100 s.
        assert!((m.checkpoint_overhead(2) - 0.1).abs() < 1e-12);
    }

    #[test]
    fn restores_count_by_their_start() {
        let mut m = StateMetrics::new(t(10), t(110));
        m.restore_done(t(5), t(12), false);
        m.restore_done(t(20), t(23), true);
        m.restore_done(t(30), t(31), false);
        assert_eq!((m.restores, m.restores_from_backup), (2, 1));
        assert_eq!(m.restore_time_mean(), Some(SimDuration::from_secs(2)));
    }
}
