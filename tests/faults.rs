//! Scripted faults and network impairments do what their names say, with numbers.

use crate::common;

use crate::common::mean_ci;
use sim_core::RunReport;

fn reports(config: &str) -> Vec<RunReport> {
    common::run_reports(&common::experiment(config))
}

fn base(extra: &str) -> String {
    format!(
        r#"
[experiment]
name = "faults"
seed = 9
replications = 1
duration = "60s"

[cluster]
servers = 2
service = {{ dist = "constant", value = "1ms" }}

[workload]
arrivals = {{ kind = "poisson", rate = 100.0 }}
timeout = "1s"

[strategies.s]
detector = {{ kind = "fixed-timeout", interval = "100ms", timeout = "300ms" }}
{extra}
"#
    )
}

#[test]
fn network_loss_drops_the_configured_fraction_of_messages() {
    // Each message is lost independently with p = 0.1: the dropped count is
    // Binomial(sent, 0.1); allow 4 standard deviations.
    let config = base("[network]\nloss = 0.1\n");
    let r = &reports(&config)[0];
    let (sent, dropped) = (r.messages_sent as f64, r.messages_dropped as f64);
    let sd = (sent * 0.1 * 0.9).sqrt();
    assert!(
        (dropped - 0.1 * sent).abs() < 4.0 * sd,
        "dropped {dropped} of {sent}"
    );
}

#[test]
fn a_partition_is_suspected_within_the_timeout_and_forgiven_after_it_heals() {
    // Server 1 is cut off from 20 s to 30 s. Heartbeats every 100 ms with no network delay:
    // its last heartbeat before the cut arrives in (19.9, 20] s, so the monitor suspects it
    // at last + 300 ms, in (20.2, 20.3] s; after the cut its next heartbeat arrives in
    // [30, 30.1) s. The server is up throughout, so this is one false suspicion lasting
    // between 9.7 and 9.9 s, out of 120 server-seconds of up time.
    let config = base(
        "[[faults.scripted]]\nat = \"20s\"\nkind = \"partition\"\nserver = 1\nfor = \"10s\"\n",
    );
    let r = &reports(&config)[0];
    assert_eq!(r.false_suspicions, 1);
    let wrong_s = r.wrong_suspicion_fraction * 120.0;
    assert!(
        (9.7..=9.9).contains(&wrong_s),
        "wrongly suspected for {wrong_s} s"
    );
    let mistake_s = r.mistake_duration_mean_ms.unwrap() / 1000.0;
    assert!((9.7..=9.9).contains(&mistake_s), "mistake of {mistake_s} s");
    assert_eq!(r.server_availability, 1.0);
    // Requests sent to server 1 during the up to 300 ms before suspicion are lost.
    assert!(
        r.timed_out > 0 && r.timed_out < 2 * 100 * 3 / 10,
        "timed out {}",
        r.timed_out
    );
}

#[test]
fn a_slow_server_serves_at_the_slowed_rate() {
    // One server slowed 2x for the whole run: exponential 10 ms service becomes 20 ms, so
    // at 25 requests/s it is an M/M/1 queue at rho = 0.5 with W = 20 ms / 0.5 = 40 ms.
    let config = r#"
[experiment]
name = "slow"
seed = 4
replications = 12
duration = "20m"
warmup = "1m"
[cluster]
servers = 1
queue_capacity = 100000
service = { dist = "exponential", mean = "10ms" }
[workload]
arrivals = { kind = "poisson", rate = 25.0 }
timeout = "1h"
[[faults.scripted]]
at = "0s"
kind = "slow"
factor = 2.0
"#;
    let w: Vec<f64> = reports(config)
        .iter()
        .map(|r| r.latency_mean_ms.unwrap())
        .collect();
    let (mean, _, half) = mean_ci(&w, 0.999);
    assert!(
        (mean - 40.0).abs() <= half,
        "measured {mean:.3} ± {half:.3} ms, theory 40 ms"
    );
}

#[test]
fn extra_delay_adds_to_both_directions() {
    // Constant 1 ms service, 2 ms base delay and 5 ms extra on links of server 0 (the only
    // server): an unqueued request takes 2 x (2 + 5) + 1 = 15 ms. At 1 request/s queueing
    // is rare, so the median is exactly that (to the histogram's 3 significant digits).
    let config = r#"
[experiment]
name = "delay"
duration = "10m"
[cluster]
servers = 1
service = { dist = "constant", value = "1ms" }
[workload]
arrivals = { kind = "poisson", rate = 1.0 }
[network]
delay = "2ms"
[[faults.scripted]]
at = "0s"
kind = "delay"
server = 0
extra = "5ms"
"#;
    let r = &reports(config)[0];
    let p50 = r.latency_p50_ms.unwrap();
    assert!((p50 - 15.0).abs() <= 15.0 * 1e-3, "median {p50} ms");
    // The mean exceeds 15 ms only through queueing: M/D/1 at rho = 0.001 waits
    // rho S / (2 (1 - rho)) = 0.0005 ms on average; a few hundred rare waits make the sample
    // mean noisy, so allow 20 times that.
    let excess = r.latency_mean_ms.unwrap() - 15.0;
    assert!(
        (0.0..0.01).contains(&excess),
        "mean exceeds 15 ms by {excess} ms"
    );
}

#[test]
fn a_load_spike_multiplies_the_arrival_rate_while_it_lasts() {
    // 100/s for 50 s and 300/s for 10 s: 8000 requests expected; the count is Poisson, so
    // its sd is sqrt(8000) = 89; allow 4 sd.
    let config = base(
        "[[faults.scripted]]\nat = \"25s\"\nkind = \"load-spike\"\nfactor = 3.0\nfor = \"10s\"\n",
    );
    let r = &reports(&config)[0];
    assert!(
        (r.requests as f64 - 8000.0).abs() < 4.0 * 8000f64.sqrt(),
        "{} requests",
        r.requests
    );
}

#[test]
fn every_server_down_at_once_fails_every_request_meanwhile() {
    // Both servers crash from 10 s to 15 s of a 60 s run: they are up exactly 55/60 of the
    // time. Requests issued while they are down fail, those before and after succeed, so
    // availability is 55/60 up to the Poisson split of arrivals (sd sqrt(A(1-A)/N)) and the
    // few requests in service or in flight at the crash.
    let config = base(
        "[[faults.scripted]]\nat = \"10s\"\nkind = \"crash\"\nservers = \"all\"\nfor = \"5s\"\n",
    );
    let r = &reports(&config)[0];
    assert!(
        (r.server_availability - 55.0 / 60.0).abs() < 1e-12,
        "{}",
        r.server_availability
    );
    let a = r.availability.unwrap();
    let n = r.requests as f64;
    let expected = 55.0 / 60.0;
    let tolerance = 4.0 * (expected * (1.0 - expected) / n).sqrt() + 3.0 / n;
    assert!(
        (a - expected).abs() < tolerance,
        "availability {a}, expected {expected} ± {tolerance}"
    );
    assert_eq!(r.crashes, 2);
    assert_eq!(r.detections, 2, "the monitor notices both crashes");
}

/// Runs `faultline run` on `config` in a scratch folder, killing it if it has not ended
/// within `limit` of wall time (a hang fails the test rather than CI), and returns
/// runs.csv.
fn run_bounded(config: &str, limit: std::time::Duration) -> common::Table {
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("c.toml"), config).unwrap();
    let mut child = Command::new(common::faultline())
        .args([
            "run",
            "c.toml",
            "--out",
            "out",
            "--no-plots",
            "--threads",
            "1",
        ])
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "faultline exited with {status}");
            break;
        }
        if start.elapsed() > limit {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("the run did not end within {limit:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    common::Table::read(&dir.path().join("out/runs.csv"))
}

const LOST_CLUSTER: &str = r#"
[experiment]
name = "lost"
seed = 1
replications = 1
duration = "10s"

[cluster]
servers = 1
service = { dist = "exponential", mean = "10ms" }

[workload]
arrivals = { kind = "closed", clients = 1 }
timeout = "1s"

[network]
delay = "1ms"
"#;

#[test]
fn a_closed_loop_client_that_loses_every_server_waits_out_its_timeout() {
    // One client without think time, one server that crashes at 2 s for good. The request
    // in flight at the crash times out at its deadline, in (2, 3) s; the monitor has
    // suspected the server by then (heartbeats every 100 ms, timeout 300 ms), so every
    // later request finds no server at the instant it is issued. Each such request is
    // followed by a wait of the timeout (1 s) instead of a next request at the same
    // instant, forever: so exactly 8 end unavailable, at t0 + k s for k = 0..7 with t0
    // in (2, 3), the last before the run's end at 10 s. (Before this bound the run never
    // ended and grew by gigabytes a second.)
    let config =
        format!("{LOST_CLUSTER}\n[[faults.scripted]]\nat = \"2s\"\nkind = \"crash\"\nserver = 0\n");
    let runs = run_bounded(&config, std::time::Duration::from_secs(60));
    let row = &runs.rows[0];
    assert_eq!(runs.cell(row, "unavailable"), "8");
    assert_eq!(runs.cell(row, "timed_out"), "1");
}

#[test]
fn a_closed_loop_client_behind_open_breakers_waits_out_its_timeout() {
    // The one server answers every request with an error from 2 s on, 2 ms after it is
    // sent (two network delays). Three errors in a row, by 2.006 s, open the client's
    // breaker for 500 ms; the next request fails fast at the instant it is issued, so the
    // client waits 1 s, when the breaker has half-opened: the trial gets an error 2 ms
    // later and reopens it, and the next request fails fast again. Each cycle takes
    // 1.002 s, so fast fails come at 2.006 + 1.002 k s for k = 0..7 (8 before 10 s), with
    // 7 trial errors after the first 3 and 8 openings. (Before this bound the run never
    // ended and grew by gigabytes a second.)
    let config = format!(
        "{LOST_CLUSTER}\n[[faults.scripted]]\nat = \"2s\"\nkind = \"error\"\nserver = 0\n\n[strategies.breaker]\ncircuit_breaker = {{ kind = \"consecutive\", failures = 3, open_for = \"500ms\" }}\n"
    );
    let runs = run_bounded(&config, std::time::Duration::from_secs(60));
    let row = &runs.rows[0];
    assert_eq!(runs.cell(row, "breaker_fast_fails"), "8");
    assert_eq!(runs.cell(row, "unavailable"), "8");
    assert_eq!(runs.cell(row, "errored"), "10");
    assert_eq!(runs.cell(row, "breaker_opens"), "8");
}

#[test]
fn faults_lists_every_kind_with_the_keys_its_reader_accepts() {
    use sim_core::model::faults::{KINDS, accepted_keys};
    let dir = tempfile::tempdir().unwrap();
    let out = common::run_cli(dir.path(), &["faults"]);
    assert_eq!(out.status.code(), Some(0));
    let text = common::stdout(&out);
    for kind in KINDS {
        assert!(
            text.lines()
                .any(|l| l.starts_with(&format!("  {} ", kind.name())) && l.contains(kind.doc())),
            "{} missing:\n{text}",
            kind.name()
        );
        for key in kind.keys() {
            assert!(text.contains(key.doc), "{}.{}", kind.name(), key.name);
        }
    }
    let out = common::run_cli(dir.path(), &["faults", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let listing: serde_json::Value = serde_json::from_str(&common::stdout(&out)).unwrap();
    let kinds = listing["kinds"].as_array().unwrap();
    assert_eq!(kinds.len(), KINDS.len());
    for (kind, listed) in KINDS.iter().zip(kinds) {
        assert_eq!(listed["name"], kind.name());
        let keys: Vec<&str> = listed["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["name"].as_str().unwrap())
            .collect();
        let accepted: Vec<&str> = accepted_keys(*kind).iter().map(|k| k.name).collect();
        assert_eq!(keys, accepted, "{}", kind.name());
    }
    // The strategies listing points to it.
    let strategies = common::stdout(&common::run_cli(dir.path(), &["strategies"]));
    assert!(strategies.contains("`faultline faults`"), "{strategies}");
}
