//! Ordering at replicas: applied in arrival order, copies that the network reorders leave
//! replicas disagreeing once the run has settled (arrivals stopped, every request ended,
//! every copy delivered); last-writer-wins by timestamp converges, with Lamport clocks
//! and with skewed physical clocks alike: divergence exactly 0.
//!
//! The prediction for arrival order. Each key's writes reach its primary as a Poisson
//! process (Poisson arrivals displaced by independent network delays stay Poisson) at
//! rate lambda; the primary applies each and sends a copy to each other replica, delayed
//! uniformly on [a, b] (width w). A replica ends on the primary's last write unless an
//! earlier copy overtakes that write's copy: the copy sent s earlier overtakes when its
//! delay exceeds the last one's by more than s. Given the last copy's delays x1, x2 to the
//! two replicas, earlier writes overtake at replica i with probability
//! q_i(s) = (u_i - s)+ / w, u_i = b - x_i, independently, so by Poisson marking both
//! replicas agree with probability exp(-lambda (int q1 + int q2 - int q1 q2)), where
//! int q_i = u_i^2 / (2 w) and int q1 q2 = (u1 u2 m - (u1 + u2) m^2 / 2 + m^3 / 3) / w^2,
//! m = min(u1, u2). Averaged over u1, u2 uniform on [0, w] (numerically), this is the
//! chance a key's three replicas agree. Keys are independent (a thinned Poisson process
//! per key), so the divergent keys of N runs of K keys are Binomial(N K, p).
//!
//! Retries add to the reordering: an attempt that times out is retried on the key's next
//! replica, which applies the same write again and sends its own copies, so copies of an
//! old write can land after newer ones. Arrival order then diverges at least as often;
//! last-writer-wins treats the duplicate as the same write (same stamp and number) and
//! still converges exactly.

use crate::common;

use sim_core::RunReport;

const KEYS: u32 = 20;
const RUNS: u32 = 40;
const WRITE_RATE: f64 = 1000.0;
const DELAY_MIN_MS: f64 = 0.1;
const DELAY_MAX_MS: f64 = 5.0;

fn reports(text: &str) -> Vec<Vec<RunReport>> {
    common::reports_by_strategy(&common::experiment(text))
}

/// The probability that a key's three replicas disagree (module doc).
fn divergence_probability() -> f64 {
    let lambda = WRITE_RATE / f64::from(KEYS) / 1000.0; // per ms
    let w = DELAY_MAX_MS - DELAY_MIN_MS;
    let steps = 600;
    let h = w / f64::from(steps);
    let mut agree = 0.0;
    for i in 0..steps {
        let u1 = (f64::from(i) + 0.5) * h;
        for j in 0..steps {
            let u2 = (f64::from(j) + 0.5) * h;
            let m = u1.min(u2);
            let both = (u1 * u2 * m - (u1 + u2) * m * m / 2.0 + m * m * m / 3.0) / (w * w);
            let marked = (u1 * u1 + u2 * u2) / (2.0 * w) - both;
            agree += (-lambda * marked).exp();
        }
    }
    1.0 - agree / f64::from(steps * steps)
}

fn config(retry: &str) -> String {
    format!(
        r#"
[experiment]
name = "ordering"
seed = 3
replications = {RUNS}
duration = "5s"

[cluster]
servers = 3
service = "100us"
workers = 4

[workload]
arrivals = {{ kind = "poisson", rate = {rate}, clients = 10 }}
keys = {{ count = {KEYS} }}
writes = 0.5

[network]
delay = {{ dist = "uniform", min = "{DELAY_MIN_MS}ms", max = "{DELAY_MAX_MS}ms" }}

[strategies.arrival]
routing = {{ kind = "consistent-hash" }}
replication = {{ kind = "async", factor = 3, delay = "0s" }}
ordering = {{ kind = "arrival" }}
retry = {retry}

[strategies.lamport]
routing = {{ kind = "consistent-hash" }}
replication = {{ kind = "async", factor = 3, delay = "0s" }}
ordering = {{ kind = "lww", clock = "lamport" }}
retry = {retry}

[strategies.skewed]
routing = {{ kind = "consistent-hash" }}
replication = {{ kind = "async", factor = 3, delay = "0s" }}
ordering = {{ kind = "lww", clock = "physical", skew = "10ms" }}
retry = {retry}
"#,
        rate = 2.0 * WRITE_RATE
    )
}

fn divergent(runs: &[RunReport]) -> f64 {
    runs.iter().map(|x| x.divergent_keys.unwrap() as f64).sum()
}

fn assert_converges(runs: &[RunReport]) {
    for x in runs {
        assert_eq!(x.divergent_keys, Some(0), "last-writer-wins converges");
        assert_eq!(x.messages_dropped, 0, "every copy arrived");
    }
}

#[test]
fn arrival_order_diverges_under_reordering_and_timestamps_converge() {
    let r = reports(&config(r#"{ kind = "none" }"#));
    let p = divergence_probability();
    let trials = f64::from(RUNS * KEYS);
    let divergent = divergent(&r[0]);
    let sd = (trials * p * (1.0 - p)).sqrt();
    assert!(
        (divergent - trials * p).abs() < 4.0 * sd,
        "arrival order: {divergent} divergent keys in {RUNS} runs, expected {:.1} ± {:.1}",
        trials * p,
        4.0 * sd
    );
    assert_converges(&r[1]);
    assert_converges(&r[2]);
    // Skewed clocks converge on the wrong write: a write stamped earlier than the one
    // it follows is acknowledged and discarded, so acknowledged writes are lost.
    assert!(r[2].iter().map(|x| x.acked_writes_lost).sum::<u64>() > 0);
}

#[test]
fn retries_add_divergence_in_arrival_order_and_timestamps_still_converge() {
    // Attempts time out after 6 ms, and a round trip takes two uniform delays of 0.1 to
    // 5 ms: it exceeds 6 ms (less the 0.1 ms of service) with probability
    // (9.8 - 5.9)^2 / (2 x 4.9^2) = 0.32, so about a third of the attempts are retried on
    // the next replica, while the original is still on its way and gets applied too.
    let r = reports(&config(
        r#"{ kind = "fixed", delay = "0s", max_attempts = 3, attempt_timeout = "6ms" }"#,
    ));
    let attempts: f64 = r[0]
        .iter()
        .map(|x| x.attempts_per_request.unwrap())
        .sum::<f64>()
        / f64::from(RUNS);
    assert!(
        attempts > 1.3,
        "retries happen: {attempts} attempts per request"
    );
    // Without retries arrival order leaves N K p = 53 keys divergent in these runs
    // (previous test); the duplicates only add chances to reorder, so at least about as
    // many, and none at all has probability below e^-53.
    let p = divergence_probability();
    let trials = f64::from(RUNS * KEYS);
    let divergent = divergent(&r[0]);
    let sd = (trials * p * (1.0 - p)).sqrt();
    assert!(
        divergent > trials * p - 4.0 * sd,
        "arrival order with retries: {divergent} divergent keys"
    );
    assert_converges(&r[1]);
    assert_converges(&r[2]);
}
