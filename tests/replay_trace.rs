//! `faultline replay --trace`: the trace is one event per line in aligned columns `time
//! node event details` under a header; `--event` keeps only the named kinds (`recv` all
//! deliveries), together with `--node` and the time window; a filter that keeps nothing
//! says which kinds there were. Filters never change the run: the trace hash is the same.
//! A failure detector's verdicts are lines of their own (`suspect`, `trust`) at the node
//! that decided them, at the exact time the detector's rule gives.

use crate::common::{run_cli, stderr, stdout, trace_time_ns};
use sim_core::SimTime;
use std::fs;

const CONFIG: &str = r#"
[experiment]
name = "traced"
seed = 4
duration = "3s"

[cluster]
servers = 2
service = { dist = "constant", value = "5ms" }

[workload]
arrivals = { kind = "poisson", rate = 20.0 }

[network]
delay = { dist = "constant", value = "1ms" }

[[faults.scripted]]
at = "1s"
kind = "crash"
server = 1
for = "500ms"
"#;

fn replay(dir: &std::path::Path, extra: &[&str]) -> (String, String, String) {
    let mut args = vec![
        "replay",
        "t.toml",
        "--run",
        "c0-default-r0",
        "--trace",
        "t.log",
    ];
    args.extend_from_slice(extra);
    let out = run_cli(dir, &args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let trace = fs::read_to_string(dir.join("t.log")).unwrap();
    (stdout(&out), stderr(&out), trace)
}

fn hash_line(stdout: &str) -> String {
    stdout
        .lines()
        .find(|l| l.starts_with("trace_hash "))
        .unwrap()
        .to_string()
}

#[test]
fn the_trace_is_aligned_and_filtered_by_event_kind() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("t.toml"), CONFIG).unwrap();

    let (all_out, _, all) = replay(dir.path(), &[]);
    let mut lines = all.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("# faultline trace of run c0-default-r0 (seed ")
    );
    let header = lines.next().unwrap();
    assert_eq!(header, "#           time node       event          details");
    // Every line puts its node, event name and details where the header names them.
    for column in ["node", "event", "details"] {
        let at = header.find(column).unwrap();
        for line in lines.clone().filter(|l| l.len() > at) {
            let bytes = line.as_bytes();
            assert!(
                bytes[at - 1] == b' ' && bytes[at] != b' ',
                "{column}: {line}"
            );
        }
    }
    let fault = lines.clone().find(|l| l.contains("fault-start")).unwrap();
    assert_eq!(
        fault,
        "    1.000000000s server-1   fault-start    fault=0 kind=crash servers=1"
    );
    let request = lines.clone().find(|l| l.contains("recv-request")).unwrap();
    assert!(
        request.contains(" req=0 attempt=1 key=0 demand=5ms from=client-0"),
        "{request}"
    );

    // `fault` selects fault-start and fault-end.
    let (out, _, faults) = replay(dir.path(), &["--event", "fault"]);
    let events: Vec<&str> = faults.lines().skip(2).collect();
    assert_eq!(
        events,
        [
            "    1.000000000s server-1   fault-start    fault=0 kind=crash servers=1",
            "    1.500000000s server-1   fault-end      fault=0 kind=crash servers=1"
        ]
    );
    assert!(out.contains("trace of 2 lines written to t.log"), "{out}");
    assert_eq!(
        hash_line(&out),
        hash_line(&all_out),
        "filters do not change the run"
    );

    let (_, _, deliveries) = replay(
        dir.path(),
        &[
            "--event", "recv", "--node", "monitor", "--from", "2s", "--until", "2.5s",
        ],
    );
    let kept: Vec<&str> = deliveries.lines().skip(2).collect();
    // Each of the two servers sends a heartbeat every 100 ms (at its own phase): a window
    // of exactly five periods holds five deliveries per server (six only if two landed on
    // both ends, which a random phase makes impossible in practice).
    assert_eq!(kept.len(), 10, "{deliveries}");
    assert!(
        kept.iter()
            .all(|l| l.contains(" monitor    recv-heartbeat server=")),
        "{deliveries}"
    );
}

#[test]
fn a_kind_that_matches_nothing_names_the_kinds_there_are() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("t.toml"), CONFIG).unwrap();
    // A kind that exists but that the selected node never has (an unknown kind is
    // refused, see bad_input.rs).
    let (out, err, trace) = replay(dir.path(), &["--event", "hedge-due", "--node", "server-1"]);
    assert_eq!(trace.lines().count(), 2, "only the header");
    assert!(out.contains("trace of 0 lines"), "{out}");
    assert!(err.contains("no event matched --event hedge-due; the selected nodes and times hold crash, fault-end, fault-start, heartbeat-tick, recover, recv-request, service-done"), "{err}");
}

/// The times (ns) of the heartbeats from `server` that `node` received, from a full trace.
fn heartbeats(trace: &str, node: &str, server: u32) -> Vec<u64> {
    let tail = format!(" {node} ");
    let what = format!("recv-heartbeat server={server} ");
    trace
        .lines()
        .filter(|l| l.contains(&tail) && l.contains(&what))
        .map(trace_time_ns)
        .collect()
}

/// Replays the only run of `config` with a full trace and with only `suspect` and `trust`
/// lines; returns both traces and checks the filter left the trace hash alone.
fn verdict_traces(dir: &std::path::Path, config: &str) -> (String, Vec<String>) {
    fs::write(dir.join("v.toml"), config).unwrap();
    let base = ["replay", "v.toml", "--run", "c0-s-r0", "--trace"];
    let full = run_cli(dir, &[&base[..], &["full.log"]].concat());
    assert_eq!(full.status.code(), Some(0), "{}", stderr(&full));
    let args = [
        &base[..],
        &["v.log", "--event", "suspect", "--event", "trust"],
    ]
    .concat();
    let only = run_cli(dir, &args);
    assert_eq!(only.status.code(), Some(0), "{}", stderr(&only));
    assert_eq!(hash_line(&stdout(&only)), hash_line(&stdout(&full)));
    let verdicts = fs::read_to_string(dir.join("v.log"))
        .unwrap()
        .lines()
        .skip(2)
        .map(str::to_string)
        .collect();
    (fs::read_to_string(dir.join("full.log")).unwrap(), verdicts)
}

fn verdict_config(detector: &str) -> String {
    CONFIG.to_string()
        + &format!(
            "\n[strategies.s]\ndetector = {{ kind = \"fixed-timeout\", interval = \"100ms\", timeout = \"300ms\"{detector} }}\n"
        )
}

/// The verdict lines the fixed-timeout rule gives at `node` on server 1, down from 1 s to
/// 1.5 s: suspect 1 ns past the deadline 300 ms after the last heartbeat before the crash,
/// trust at the first heartbeat after the recovery.
fn fixed_timeout_verdicts(full: &str, node: &str) -> [String; 2] {
    const MS: u64 = 1_000_000;
    let beats = heartbeats(full, node, 1);
    let last = beats
        .iter()
        .copied()
        .filter(|&t| t < 1000 * MS)
        .max()
        .unwrap();
    let first = beats.iter().copied().find(|&t| t > 1500 * MS).unwrap();
    let time = |ns: u64| format!("{:>16}", SimTime(ns).to_string());
    [
        format!(
            "{} {node:<10} suspect        server=1",
            time(last + 300 * MS + 1)
        ),
        format!("{} {node:<10} trust          server=1", time(first)),
    ]
}

#[test]
fn the_monitor_verdicts_are_lines_at_the_times_of_the_fixed_timeout_rule() {
    // Server 1 is down from 1 s to 1.5 s. With verdicts reaching the clients at once, no
    // view-update event shows them: the verdict lines do. The monitor suspects exactly
    // 300 ms + 1 ns after the last heartbeat it received before the crash, and trusts
    // again at the first heartbeat after the recovery.
    let dir = tempfile::tempdir().unwrap();
    let (full, verdicts) = verdict_traces(dir.path(), &verdict_config(""));
    assert_eq!(verdicts, fixed_timeout_verdicts(&full, "monitor"));
    assert!(
        !full.contains("view-update"),
        "verdicts reach the clients at once"
    );
    // Each verdict line follows the event that decided it, at the same time.
    let lines: Vec<&str> = full.lines().collect();
    for verdict in &verdicts {
        let at = lines.iter().position(|l| l == verdict).unwrap();
        assert_eq!(
            trace_time_ns(lines[at - 1]),
            trace_time_ns(verdict),
            "{}",
            lines[at - 1]
        );
    }
}

#[test]
fn client_detectors_give_verdicts_at_each_client() {
    // With detection in the clients, every client suspects and trusts server 1 by its own
    // heartbeats; here one client, so one pair of lines, at that client.
    let dir = tempfile::tempdir().unwrap();
    let (full, verdicts) = verdict_traces(dir.path(), &verdict_config(", placement = \"client\""));
    assert_eq!(verdicts, fixed_timeout_verdicts(&full, "client-0"));
}

#[test]
fn with_propagation_the_verdict_precedes_its_view_update() {
    // The monitor decides at the same times; its verdicts reach the clients 50 ms later,
    // as view-update events.
    let dir = tempfile::tempdir().unwrap();
    let (full, verdicts) = verdict_traces(dir.path(), &verdict_config(", propagation = \"50ms\""));
    assert_eq!(verdicts.len(), 2, "{verdicts:?}");
    for (verdict, update) in verdicts.iter().zip(["suspected", "trusted"]) {
        let at = trace_time_ns(verdict);
        let view = full
            .lines()
            .find(|l| l.contains(" view-update ") && l.ends_with(&format!("server=1 {update}")))
            .unwrap();
        assert_eq!(trace_time_ns(view), at + 50_000_000, "{verdict} / {view}");
    }
}

/// A run with retries after attempt timeouts, hedges, a scripted crash of one server, a
/// partition of two from the monitor and a load spike; three clients.
const OWNED: &str = r#"
[experiment]
name = "owned"
seed = 4
duration = "3s"

[cluster]
servers = 3
service = { dist = "lognormal", median = "5ms", p99 = "30ms" }

[workload]
arrivals = { kind = "poisson", rate = 200.0, clients = 3 }
timeout = "1s"

[network]
delay = { dist = "constant", value = "1ms" }

[[faults.scripted]]
at = "1s"
kind = "crash"
server = 1
for = "500ms"

[[faults.scripted]]
at = "2s"
kind = "partition"
servers = [0, 2]
peer = "monitor"
for = "200ms"

[[faults.scripted]]
at = "2.5s"
kind = "load-spike"
factor = 2.0
for = "100ms"

[strategies.retry]
retry = { kind = "exponential", base = "10ms", cap = "100ms", max_attempts = 3, attempt_timeout = "15ms" }

[strategies.hedge]
retry = { kind = "hedge", delay = "3ms" }
"#;

/// The lines (after the header) of a replay of run `run` of [`OWNED`] with `extra` flags,
/// and its trace hash line.
fn owned_trace(dir: &std::path::Path, run: &str, extra: &[&str]) -> (Vec<String>, String) {
    fs::write(dir.join("o.toml"), OWNED).unwrap();
    let mut args = vec!["replay", "o.toml", "--run", run, "--trace", "o.log"];
    args.extend_from_slice(extra);
    let out = run_cli(dir, &args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let lines = fs::read_to_string(dir.join("o.log"))
        .unwrap()
        .lines()
        .skip(2)
        .map(str::to_string)
        .collect();
    (lines, hash_line(&stdout(&out)))
}

/// The node and event columns of an aligned trace line.
fn node_and_event(line: &str) -> (&str, &str) {
    let mut words = line.split_whitespace().skip(1);
    (words.next().unwrap(), words.next().unwrap())
}

#[test]
fn request_timers_and_the_end_of_arrivals_belong_to_their_clients() {
    // Every retry, hedge and attempt timer is at the client whose request it times, so
    // `--node client-0` keeps client 0's own and no other client's; the end of arrivals
    // belongs to every client.
    let dir = tempfile::tempdir().unwrap();
    for (run, kinds) in [
        ("c0-retry-r0", &["retry-due", "attempt-timeout"][..]),
        ("c0-hedge-r0", &["hedge-due"][..]),
    ] {
        let (all, hash) = owned_trace(dir.path(), run, &[]);
        let mut counts = [0usize; 3];
        for line in &all {
            let (node, event) = node_and_event(line);
            if kinds.contains(&event) {
                let client: usize = node.strip_prefix("client-").unwrap().parse().unwrap();
                counts[client] += 1;
            }
        }
        assert!(
            counts.iter().all(|&n| n > 0),
            "{run}: timers per client {counts:?}"
        );
        let (mine, filtered_hash) = owned_trace(dir.path(), run, &["--node", "client-0"]);
        assert_eq!(hash, filtered_hash, "filters do not change the run");
        let kept = mine
            .iter()
            .filter(|l| kinds.contains(&node_and_event(l).1))
            .count();
        assert_eq!(kept, counts[0], "{run}: client 0's own timers");
        assert!(mine.iter().all(|l| {
            let (node, _) = node_and_event(l);
            node == "client-0" || node == "clients"
        }));
        assert!(
            mine.iter().any(|l| l.ends_with("clients    arrivals-end")),
            "{mine:?}"
        );
    }
}

#[test]
fn fault_lines_name_their_kind_and_targets_and_scripted_crashes_their_outages() {
    let dir = tempfile::tempdir().unwrap();
    let (all, hash) = owned_trace(dir.path(), "c0-retry-r0", &[]);
    let faults: Vec<String> = all
        .iter()
        .filter(|l| l.contains(" fault-"))
        .cloned()
        .collect();
    assert_eq!(
        faults,
        [
            "    1.000000000s server-1   fault-start    fault=0 kind=crash servers=1",
            "    1.500000000s server-1   fault-end      fault=0 kind=crash servers=1",
            "    2.000000000s servers    fault-start    fault=1 kind=partition servers=0,2 peer=monitor",
            "    2.200000000s servers    fault-end      fault=1 kind=partition servers=0,2 peer=monitor",
            "    2.500000000s clients    fault-start    fault=2 kind=load-spike factor=2",
            "    2.600000000s clients    fault-end      fault=2 kind=load-spike factor=2",
        ]
    );
    // The scripted crash writes the server's crash and recover lines right after its
    // fault's start and end, so `--event crash --event recover` finds them.
    let (outages, filtered_hash) = owned_trace(
        dir.path(),
        "c0-retry-r0",
        &["--event", "crash", "--event", "recover"],
    );
    assert_eq!(hash, filtered_hash);
    assert_eq!(
        outages,
        [
            "    1.000000000s server-1   crash          fault=0",
            "    1.500000000s server-1   recover        fault=0",
        ]
    );
    let start = all
        .iter()
        .position(|l| l.contains("fault=0 kind=crash"))
        .unwrap();
    assert_eq!(all[start + 1], outages[0]);
    // A fault on several servers is kept by `--node` for any of them, and not for a
    // server outside it; the load spike belongs to the clients.
    let (on_two, _) = owned_trace(
        dir.path(),
        "c0-retry-r0",
        &["--node", "server-2", "--event", "fault"],
    );
    assert_eq!(on_two, faults[2..4]);
    let (on_one, _) = owned_trace(
        dir.path(),
        "c0-retry-r0",
        &["--node", "server-1", "--event", "fault"],
    );
    assert_eq!(on_one, faults[..2]);
    let (on_client, _) = owned_trace(
        dir.path(),
        "c0-retry-r0",
        &["--node", "client-2", "--event", "fault"],
    );
    assert_eq!(on_client, faults[4..]);
}
