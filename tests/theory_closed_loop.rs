//! Closed-loop clients: N users that think, send a request, wait for its outcome and think
//! again form the machine-repairman queue (M/M/1//N) when think and service times are
//! exponential. Its throughput is exact:
//!   p0 = 1 / sum_{k=0..N} N!/(N-k)! (S/Z)^k,   X = (1 - p0) / S,   R = N / X - Z
//! (Kleinrock, Queueing Systems vol. 1, 1975, section 3.8; R from the interactive response
//! time law). Tolerance: the 99.9% Student-t interval of the replication means.

use crate::common;

use crate::common::mean_ci;

#[test]
fn closed_loop_matches_the_machine_repairman_model() {
    let (n, think_s, service_s) = (20u32, 0.150, 0.010);
    let config = format!(
        r#"
[experiment]
name = "closed"
seed = 77
replications = 12
duration = "30m"
warmup = "1m"

[cluster]
servers = 1
service = {{ dist = "exponential", mean = "10ms" }}

[workload]
arrivals = {{ kind = "closed", clients = {n}, think = {{ dist = "exponential", mean = "150ms" }} }}
timeout = "1h"
"#
    );
    let ratio = service_s / think_s;
    let mut sum = 0.0;
    let mut term = 1.0;
    for k in 0..=n {
        if k > 0 {
            term *= f64::from(n - k + 1) * ratio;
        }
        sum += term;
    }
    let p0 = 1.0 / sum;
    let throughput = (1.0 - p0) / service_s;
    let response_ms = 1000.0 * (f64::from(n) / throughput - think_s);

    let exp = common::experiment(&config);
    let keys: Vec<_> = exp.runs().collect();
    let (mut goodput, mut latency) = (Vec::new(), Vec::new());
    experiments::runner::run_keys(&exp, &keys, 2, |_, r| -> Result<(), ()> {
        assert_eq!(r.report.ok, r.report.requests);
        goodput.push(r.report.goodput);
        latency.push(r.report.latency_mean_ms.unwrap());
        Ok(())
    })
    .unwrap();
    let (x, _, x_half) = mean_ci(&goodput, 0.999);
    let (w, _, w_half) = mean_ci(&latency, 0.999);
    assert!(
        (x - throughput).abs() <= x_half,
        "throughput {x:.3} ± {x_half:.3}/s, theory {throughput:.3}/s"
    );
    assert!(
        (w - response_ms).abs() <= w_half,
        "response {w:.3} ± {w_half:.3} ms, theory {response_ms:.3} ms"
    );
}
