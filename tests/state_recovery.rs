//! Server state through a crash: a write is volatile until a checkpoint that began after
//! it completes; a crash loses the rest, a log keeps everything at the price of a longer
//! restore, and restore time is fixed + per key + per replayed write. A lost disk leaves
//! only the backup. Checkpoints cost time: a pausing one serves nothing, a slowing one
//! serves slower.
//!
//! The scenario of the crash tests: one server, Poisson arrivals at 200/s of which half
//! write, keys drawn from 10^9 (so writes hit distinct keys: 3000 writes collide with
//! probability 3000^2 / 2e9 = 0.5%, one collision per 200 runs), checkpoints every 10 s of
//! work costing 1 s with the server paused, and a scripted crash at 30 s for 5 s. The
//! checkpoints begin at 10 s and 21 s; the one at 21 s (complete at 22 s) holds every
//! write applied before 21 s. Requests that arrive during a checkpoint wait and are
//! applied after it, so the crash at 30 s loses exactly the writes that arrived in
//! [21 s, 30 s), less the one in service if any: Poisson with mean 100/s x 9 s = 900.

use crate::common;

use crate::common::mean_ci;
use sim_core::RunReport;

const REPLICATIONS: u32 = 10;

fn crash_config(strategies: &str, state: &str) -> String {
    format!(
        r#"
[experiment]
name = "state"
seed = 7
replications = {REPLICATIONS}
duration = "40s"

[cluster]
servers = 1
service = "1ms"
state = {state}

[workload]
arrivals = {{ kind = "poisson", rate = 200.0 }}
keys = {{ count = 1000000000 }}
writes = 0.5
timeout = "1s"

[[faults.scripted]]
at = "30s"
kind = "crash"
server = 0
for = "5s"

{strategies}
"#
    )
}

/// Each strategy's reports, in replication order.
fn reports(text: &str) -> Vec<Vec<RunReport>> {
    common::reports_by_strategy(&common::experiment(text))
}

fn mean(xs: impl Iterator<Item = f64>) -> f64 {
    let v: Vec<f64> = xs.collect();
    v.iter().sum::<f64>() / v.len() as f64
}

#[test]
fn a_crash_loses_the_writes_since_the_last_checkpoint_and_a_log_loses_none() {
    let text = crash_config(
        r#"[strategies.checkpointed]
checkpoint = { kind = "periodic", interval = "10s", cost = "1s", during = "pause" }

[strategies.logged]
checkpoint = { kind = "periodic", interval = "10s", cost = "1s", during = "pause", log = true }

[strategies.volatile]
checkpoint = { kind = "none" }"#,
        r#"{ restore = "1s", restore_per_key = "1ms", replay_per_write = "2ms" }"#,
    );
    let r = reports(&text);
    let (checkpointed, logged, volatile) = (&r[0], &r[1], &r[2]);
    let n = f64::from(REPLICATIONS);

    // Checkpointed: lost acknowledged writes are Poisson(900) per run (module doc), so
    // their mean over 10 runs has sd sqrt(900/10) = 9.5; allow 4 sd plus the one write
    // that may be in service.
    let lost = mean(checkpointed.iter().map(|x| x.acked_writes_lost as f64));
    assert!(
        (lost - 900.0).abs() < 4.0 * (900.0 / n).sqrt() + 1.0,
        "lost {lost}"
    );
    for x in checkpointed {
        // Without replicas a write is acknowledged when applied: every write lost was
        // acknowledged.
        assert_eq!(x.writes_lost, x.acked_writes_lost);
        // Two checkpoints completed before the crash, the next is due 10 s after the
        // restore ends (past the end of the run): 2 s of checkpointing in 40 s.
        assert_eq!(x.checkpoints, 2);
        assert!((x.checkpoint_overhead - 0.05).abs() < 1e-12);
        assert_eq!(x.checkpoint_time_s, 2.0);
        assert_eq!(x.restores, 1);
    }
    // Restore: 1 s + 1 ms per key of the checkpoint (Poisson(100/s x 21 s = 2100) keys):
    // mean 3.1 s, sd per run 1 ms x sqrt(2100) = 46 ms, over 10 runs 14.5 ms.
    let restore = mean(checkpointed.iter().map(|x| x.restore_time_mean_ms.unwrap()));
    assert!(
        (restore - 3100.0).abs() < 4.0 * 14.5,
        "restore {restore} ms"
    );

    // Logged: nothing is lost, and the restore also replays the ~900 writes logged after
    // the checkpoint began at 2 ms each: mean 1 + 2.1 + 1.8 = 4.9 s, sd per run
    // sqrt((1 ms)^2 2100 + (2 ms)^2 900) = 75.5 ms, over 10 runs 23.9 ms.
    for x in logged {
        assert_eq!((x.acked_writes_lost, x.writes_lost), (0, 0));
    }
    let restore = mean(logged.iter().map(|x| x.restore_time_mean_ms.unwrap()));
    assert!(
        (restore - 4900.0).abs() < 4.0 * 23.9,
        "restore {restore} ms"
    );

    // Volatile: every write applied before the crash is lost, Poisson(100/s x 30 s =
    // 3000), over 10 runs sd 17.3; the restore has nothing to read: exactly 1 s.
    let lost = mean(volatile.iter().map(|x| x.acked_writes_lost as f64));
    assert!(
        (lost - 3000.0).abs() < 4.0 * (3000.0 / n).sqrt() + 1.0,
        "lost {lost}"
    );
    for x in volatile {
        assert_eq!(x.restore_time_mean_ms, Some(1000.0));
        assert_eq!(x.checkpoints, 0);
    }
}

#[test]
fn a_lost_disk_leaves_only_the_backup() {
    // Every crash destroys the disk. Backups begin every 10 s and ship in 1 s; the one
    // begun at 20 s holds the writes applied before 20 s, so the crash at 30 s loses
    // those of [20 s, 30 s): Poisson(1000). The checkpoint alone is no help when the disk
    // goes: all 3000 writes are lost. Restoring the backup takes 1 s + 1 ms per key
    // (Poisson(2000)) + the 1 s transfer: 4 s, sd over 10 runs 1 ms x sqrt(200) = 14 ms.
    let text = crash_config(
        r#"[strategies.backup]
backup = { kind = "periodic", interval = "10s", transfer = "1s" }

[strategies.checkpoint-only]
checkpoint = { kind = "periodic", interval = "10s", cost = "1s" }"#,
        r#"{ restore = "1s", restore_per_key = "1ms", disk_loss = 1.0 }"#,
    );
    let r = reports(&text);
    let n = f64::from(REPLICATIONS);
    let lost = mean(r[0].iter().map(|x| x.acked_writes_lost as f64));
    assert!(
        (lost - 1000.0).abs() < 4.0 * (1000.0 / n).sqrt() + 1.0,
        "lost {lost}"
    );
    let restore = mean(r[0].iter().map(|x| x.restore_time_mean_ms.unwrap()));
    assert!(
        (restore - 4000.0).abs() < 4.0 * 14.2,
        "restore {restore} ms"
    );
    for x in &r[0] {
        assert_eq!((x.restores, x.restores_from_backup), (1, 1));
        // Backups completed at 11 s and 21 s; the one begun at 30 s died with the server.
        assert_eq!(x.backups, 2);
    }
    let lost = mean(r[1].iter().map(|x| x.acked_writes_lost as f64));
    assert!(
        (lost - 3000.0).abs() < 4.0 * (3000.0 / n).sqrt() + 1.0,
        "lost {lost}"
    );
    for x in &r[1] {
        assert_eq!(x.restore_time_mean_ms, Some(1000.0), "nothing to restore");
        assert_eq!(x.restores_from_backup, 0);
    }
}

fn latency_config(checkpoint: &str) -> String {
    format!(
        r#"
[experiment]
name = "checkpoint-latency"
seed = 3
replications = 4
duration = "1000s"

[cluster]
servers = 1
service = "1ms"

[workload]
arrivals = {{ kind = "poisson", rate = 5.0 }}

[strategies.s]
checkpoint = {checkpoint}
"#
    )
}

fn latencies(text: &str) -> (f64, f64) {
    let r = reports(text);
    let xs: Vec<f64> = r[0].iter().map(|x| x.latency_mean_ms.unwrap()).collect();
    let requests: f64 = r[0].iter().map(|x| x.requests as f64).sum();
    (mean_ci(&xs, 0.95).0, requests)
}

#[test]
fn a_pausing_checkpoint_serves_nothing_and_a_slowing_one_serves_slower() {
    // Poisson arrivals at 5/s on a 1 ms server: queueing adds under 0.003 ms (M/D/1 at
    // load 0.005), so a request's latency is its service plus what the checkpoints do to
    // it. Checkpoints take C = 100 ms after every tau = 900 ms of work.
    //
    // Pause: a request arriving during a checkpoint (probability C/(tau + C) = 0.1, by
    // PASTA) waits for its end, uniform on [0, C): mean latency 1 + 0.1 x 50 = 6 ms.
    // Bounded extras: the requests queued behind each other after a pause add
    // (5/s x 0.1 s)^2 / 2 x 1 ms per cycle of 5 requests, 0.025 ms; a request in service
    // when a pause begins (probability 0.005 per cycle) waits C more: 0.1 ms. Per-request
    // sd about 17.5 ms over 20000 requests: standard error 0.12 ms.
    let (pause, n) = latencies(&latency_config(
        r#"{ kind = "periodic", interval = "900ms", cost = "100ms", during = "pause" }"#,
    ));
    let se = 17.5 / n.sqrt();
    assert!(
        (pause - 6.0 - 0.0625).abs() < 4.0 * se + 0.0625,
        "pause: mean latency {pause} ms"
    );
    // Slow by 3: requests starting during a checkpoint take 3 ms instead of 1: mean
    // 1 + 0.1 x 2 = 1.2 ms; latency is 1 or 3 ms, sd 0.6 ms: standard error 0.004 ms.
    let (slow, n) = latencies(&latency_config(
        r#"{ kind = "periodic", interval = "900ms", cost = "100ms", during = "slow", slowdown = 3.0 }"#,
    ));
    let se = 0.6 / n.sqrt();
    assert!(
        (slow - 1.2).abs() < 4.0 * se + 0.003,
        "slow: mean latency {slow} ms"
    );
}

#[test]
fn a_batch_run_ends_with_its_last_job_and_measures_overhead_over_the_jobs() {
    // Two servers each run a 1 h job, checkpointing after every 10 min of work for 1 min
    // with the job paused, and nothing crashes while they run. Checkpoints begin at
    // 10, 21, 32, 43 and 54 min; the next would be due at 65 min, the instant the job
    // completes (60 min of work + 5 min of checkpoints), and the job's end comes first
    // (it was scheduled first, when the checkpoint before ended). So each job takes
    // 65 min, 5 of them checkpointing: overhead 5/65 of the jobs' time. The run ends
    // with the last job at 65 min, so the scripted crash at 2 h never happens and the
    // servers were up the whole run.
    let exp = common::experiment(
        r#"
[experiment]
name = "batch-end"
seed = 1
replications = 1
duration = "100h"

[cluster]
servers = 2
service = "1ms"

[workload]
arrivals = { kind = "batch", length = "1h" }

[[faults.scripted]]
at = "2h"
for = "1m"
kind = "crash"
server = 0

[strategies.periodic]
detector = { kind = "fixed-timeout", interval = "1h", timeout = "3h" }
checkpoint = { kind = "periodic", interval = "10m", cost = "1m" }
"#,
    );
    let r = &common::run_reports(&exp)[0];
    assert_eq!(r.jobs_done, 2);
    assert_eq!(r.jobs_unfinished, 0);
    assert!((r.job_time_mean_s.unwrap() - 3900.0).abs() < 1e-9);
    assert_eq!(r.checkpoints, 10);
    assert!((r.checkpoint_time_s - 600.0).abs() < 1e-9);
    assert!(
        (r.checkpoint_overhead - 5.0 / 65.0).abs() < 1e-12,
        "overhead {}",
        r.checkpoint_overhead
    );
    assert_eq!(r.crashes, 0, "the run ended before the crash at 2 h");
    assert_eq!(r.restores, 0);
    assert_eq!(r.server_availability, 1.0);
}
