//! `faultline replay --trace`: the trace is one event per line in aligned columns `time
//! node event details` under a header; `--event` keeps only the named kinds (`recv` all
//! deliveries), together with `--node` and the time window; a filter that keeps nothing
//! says which kinds there were. Filters never change the run: the trace hash is the same.

mod common;

use common::{run_cli, stderr, stdout};
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
    assert_eq!(fault, "    1.000000000s -          fault-start    fault=0");
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
            "    1.000000000s -          fault-start    fault=0",
            "    1.500000000s -          fault-end      fault=0"
        ]
    );
    assert!(out.contains("trace of 2 events written to t.log"), "{out}");
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
    let (out, err, trace) = replay(dir.path(), &["--event", "crsh", "--node", "server-1"]);
    assert_eq!(trace.lines().count(), 2, "only the header");
    assert!(out.contains("trace of 0 events"), "{out}");
    assert!(err.contains("no event matched --event crsh; the selected nodes and times hold heartbeat-tick, recv-request, service-done"), "{err}");
}
