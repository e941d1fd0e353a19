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

use crate::engine::time::{SimDuration, SimTime};
use crate::report::Counter;
use crate::report::metrics::Metrics;

/// The sums behind the state measures; their counters are [`Metrics`]' own.
#[derive(Clone, Debug, Default)]
pub struct StateMetrics {
    /// Server time spent checkpointing inside the window (complete or not).
    checkpoint_ns: u128,
    /// The total length of the restores counted in [`Counter::Restores`].
    restore_ns: u128,
    /// Written keys whose replicas disagree once the run has settled.
    divergent_keys: Option<u64>,
    /// Batch jobs started; the total time of the finished ones, their total waste (time
    /// beyond their length), and the work crashes undid.
    jobs: u64,
    job_time_ns: u128,
    job_waste_ns: u128,
    lost_work_ns: u128,
}

/// Duration of `[a, b)` inside `[lo, hi)`, in nanoseconds.
fn overlap(a: SimTime, b: SimTime, lo: SimTime, hi: SimTime) -> u64 {
    b.min(hi).0.saturating_sub(a.max(lo).0)
}

impl Metrics {
    /// A write request ended, counted if it was created inside the window (`counted`).
    pub fn write_done(&mut self, counted: bool, ok: bool) {
        self.count_counted(Counter::Writes, counted);
        if ok {
            self.count_counted(Counter::WritesOk, counted);
        }
    }

    /// A server served a read, stale or not.
    pub fn read_served(&mut self, stale: bool, now: SimTime) {
        self.count(Counter::ReadsServed, now);
        if stale {
            self.count(Counter::StaleReads, now);
        }
    }

    /// A key's newest applied write, and with `acked` its newest acknowledged one, is
    /// held by no server any more.
    pub fn write_lost(&mut self, acked: bool, applied: bool, now: SimTime) {
        if acked {
            self.count(Counter::AckedWritesLost, now);
        }
        if applied {
            self.count(Counter::WritesLost, now);
        }
    }

    /// A server coordinated a write as primary of a range after its term there ended.
    pub fn split_primary_write(&mut self, now: SimTime) {
        self.count(Counter::SplitPrimaryWrites, now);
    }

    /// Writes coordinated by a server whose term as primary had ended; measured in runs
    /// whose requests write (those that count divergent keys), empty in the others.
    pub fn split_primary_writes(&self) -> Option<u64> {
        self.state
            .divergent_keys
            .map(|_| self.counter(Counter::SplitPrimaryWrites))
    }

    /// A server checkpointed during `[start, end)`; `completed` is false when a crash cut
    /// it short. A checkpoint counts by its end.
    pub fn checkpoint_span(&mut self, start: SimTime, end: SimTime, completed: bool) {
        let (lo, hi) = self.window();
        self.state.checkpoint_ns += u128::from(overlap(start, end, lo, hi));
        if completed {
            self.count(Counter::Checkpoints, end);
        }
    }

    /// A server restored its state during `[start, end)`: it counts by its start.
    pub fn restore_done(&mut self, start: SimTime, end: SimTime, from_backup: bool) {
        if self.in_window(start) {
            self.state.restore_ns += u128::from(end.since(start).0);
        }
        self.count(Counter::Restores, start);
        if from_backup {
            self.count(Counter::RestoresFromBackup, start);
        }
    }

    pub fn backup_done(&mut self, now: SimTime) {
        self.count(Counter::Backups, now);
    }

    /// The run has `jobs` batch jobs, all starting at time zero.
    pub fn set_jobs(&mut self, jobs: u64) {
        self.state.jobs = jobs;
    }

    pub fn jobs(&self) -> u64 {
        self.state.jobs
    }

    /// A batch job of `length` finished at `now` (it started at time zero).
    pub fn job_done(&mut self, length: SimDuration, now: SimTime) {
        self.count(Counter::JobsDone, now);
        self.state.job_time_ns += u128::from(now.0);
        self.state.job_waste_ns += u128::from(now.0.saturating_sub(length.0));
    }

    /// A crash undid `lost` of a batch job's progress.
    pub fn work_lost(&mut self, lost: SimDuration) {
        self.state.lost_work_ns += u128::from(lost.0);
    }

    /// Once the run has settled: `divergent` written keys have replicas that disagree.
    pub fn set_divergent_keys(&mut self, divergent: u64) {
        self.state.divergent_keys = Some(divergent);
    }

    pub fn divergent_keys(&self) -> Option<u64> {
        self.state.divergent_keys
    }

    /// Server time inside the window spent checkpointing, summed over servers.
    pub fn checkpoint_time(&self) -> SimDuration {
        SimDuration(self.state.checkpoint_ns as u64)
    }

    /// Whether the run has batch jobs and every one of them finished.
    pub fn all_jobs_done(&self) -> bool {
        self.state.jobs > 0 && self.counter(Counter::JobsDone) == self.state.jobs
    }

    /// Fraction of server time inside the window spent checkpointing; with batch jobs,
    /// of the jobs' own time: each from the start of the run to its completion, or to the
    /// end of the window if it did not finish.
    pub fn checkpoint_overhead(&self, servers: u32) -> f64 {
        let (start, end) = self.window();
        let window = end.since(start).0 as f64;
        let st = &self.state;
        if st.jobs > 0 {
            let unfinished = (st.jobs - self.counter(Counter::JobsDone)) as f64;
            let job_time = st.job_time_ns as f64 + unfinished * end.0 as f64;
            return st.checkpoint_ns as f64 / job_time;
        }
        st.checkpoint_ns as f64 / (window * f64::from(servers))
    }

    pub fn restore_time_mean(&self) -> Option<SimDuration> {
        let restores = self.counter(Counter::Restores);
        (restores > 0).then(|| SimDuration((self.state.restore_ns / u128::from(restores)) as u64))
    }

    pub fn job_time_mean(&self) -> Option<SimDuration> {
        let done = self.counter(Counter::JobsDone);
        (done > 0).then(|| SimDuration((self.state.job_time_ns / u128::from(done)) as u64))
    }

    pub fn job_waste_mean(&self) -> Option<SimDuration> {
        let done = self.counter(Counter::JobsDone);
        (done > 0).then(|| SimDuration((self.state.job_waste_ns / u128::from(done)) as u64))
    }

    /// Work undone by crashes, over every job of the run.
    pub fn lost_work(&self) -> SimDuration {
        SimDuration(self.state.lost_work_ns as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: u64) -> SimTime {
        SimTime(s * 1_000_000_000)
    }

    /// Metrics of two servers measured over `[10 s, 110 s)`.
    fn metrics() -> Metrics {
        Metrics::new(2, SimDuration::from_secs(10), SimDuration::from_secs(110))
    }

    #[test]
    fn checkpoint_time_is_clipped_to_the_window() {
        let mut m = metrics();
        m.checkpoint_span(t(5), t(15), true); // 5 s inside
        m.checkpoint_span(t(50), t(60), false); // 10 s, cut short by a crash
        m.checkpoint_span(t(105), t(120), true); // 5 s inside, completes outside
        assert_eq!(m.counter(Counter::Checkpoints), 1);
        // 20 s of 2 servers x 100 s.
        assert!((m.checkpoint_overhead(2) - 0.1).abs() < 1e-12);
    }

    #[test]
    fn restores_count_by_their_start() {
        let mut m = metrics();
        m.restore_done(t(5), t(12), false);
        m.restore_done(t(20), t(23), true);
        m.restore_done(t(30), t(31), false);
        let count = |c| m.counter(c);
        assert_eq!(
            (count(Counter::Restores), count(Counter::RestoresFromBackup)),
            (2, 1)
        );
        assert_eq!(m.restore_time_mean(), Some(SimDuration::from_secs(2)));
    }
}
