//! Server-side load shedding of expired work (`cluster.shed_expired`). One FIFO server
//! serves 10 ms requests at 50/s (load 0.5); a load spike quadruples arrivals from 5 s to
//! 7 s, leaving a backlog of about (200 - 100)/s x 2 s = 200 requests, far beyond the
//! 200 ms deadline.
//!
//! Without shedding the server works through that backlog, every answer too late, and
//! drains it at (100 - 50)/s: requests keep timing out for about 4 s after the spike. At
//! 9 s the queue still holds about 200 + 100 - 200 = 100 requests (sd 22, from the Poisson
//! counts), more than the 20 a request can wait behind: requests created after 9 s still
//! time out, a 3.6 sd margin.
//!
//! With shedding the server drops each queued request whose deadline has passed when its
//! turn comes, in no time. A request created at or after the spike's end plus 200 ms
//! finds every spike request expired, at most one of them in service (10 ms), and behind
//! it only requests of the ordinary load, an M/D/1 queue at load 0.5 whose chance of a
//! 190 ms wait is about exp(-125.6/s x 0.19 s) = 4e-11: none of them times out.
//!
//! Shedding only removes requests that had already failed, so with the same arrivals
//! every request served in time without it is served at least as early with it: ok can
//! only grow. And each timed-out request's single attempt was either shed or answered
//! late: timed_out = shed + late_answers, exactly.

use crate::common;

use sim_core::{RunReport, SimDuration};

const MS: u64 = 1_000_000;
const SPIKE_END: u64 = 7_000 * MS;

fn config(shed: bool) -> String {
    format!(
        r#"
[experiment]
name = "shed"
seed = 21
duration = "15s"

[cluster]
servers = 1
workers = 1
queue_capacity = 10000
service = {{ dist = "constant", value = "10ms" }}
shed_expired = {shed}

[workload]
arrivals = {{ kind = "poisson", rate = 50.0 }}
timeout = "200ms"

[[faults.scripted]]
at = "5s"
kind = "load-spike"
factor = 4.0
for = "2s"
"#
    )
}

/// The report, and bounds on the creation time of the last request that timed out: the
/// run's timeline in 1 ms windows gives the window of the last failure (here every
/// failure is a timeout, 200 ms after its creation).
fn run(shed: bool) -> (RunReport, u64, u64) {
    let exp = common::experiment(&config(shed));
    let key = exp.runs().next().unwrap();
    let result = sim_core::simulate_timeline(
        &exp.cell(key).scenario,
        exp.strategy(key),
        exp.run_seed(key),
        SimDuration::from_millis(1),
    );
    let timeline = result.timeline.as_ref().expect("a recorded timeline");
    let last = timeline
        .windows()
        .iter()
        .rev()
        .find(|w| w.failed > 0)
        .expect("some request timed out");
    let end_lower = last.start.as_nanos();
    (
        result.report,
        end_lower - 200 * MS,
        end_lower + MS - 200 * MS,
    )
}

#[test]
fn shedding_expired_work_ends_a_backlog_within_one_deadline() {
    let (plain, plain_last, _) = run(false);
    let (shed, _, shed_last) = run(true);
    assert_eq!(plain.requests, shed.requests, "the same arrivals");

    assert_eq!(plain.shed, 0);
    assert_eq!(
        plain.late_answers, plain.timed_out,
        "every late request is still served"
    );
    assert!(
        plain_last > SPIKE_END + 2_000 * MS,
        "without shedding the last timeout was created at {plain_last} ns"
    );

    assert!(shed.shed > 100, "{} shed", shed.shed);
    assert_eq!(shed.timed_out, shed.shed + shed.late_answers);
    assert!(
        shed_last < SPIKE_END + 210 * MS,
        "with shedding the last timeout was created at {shed_last} ns"
    );
    assert!(
        shed.ok >= plain.ok,
        "shedding lost successes: {} < {}",
        shed.ok,
        plain.ok
    );
}
