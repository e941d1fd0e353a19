//! The power of two choices at high load: 32 exponential servers at load 0.9. Random
//! routing makes 32 independent M/M/1 queues (mean 10 service times, p99 46); sending each
//! request to the shorter of two sampled queues approaches Mitzenmacher's supermarket
//! limit of 2.61 service times (scenario and formulas in
//! `experiments::validate::two_choices`, as `faultline validate` runs them). The
//! load-aware routers against a slow or lossy server are in `routing_load_aware.rs`.
//!
//! Tolerances: the 99.9% Student-t intervals of the replications, and for two choices a
//! 10% allowance for the finite n (the correction is O(1/n)).

use crate::common::{assert_checks, mean_ci, validation};

#[test]
fn two_choices_cut_mean_latency_from_ten_to_under_three_service_times() {
    let checks = validation("power of two choices");
    assert_checks(&checks);
    let (random, random_p99, two) = (&checks[0], &checks[1], &checks[2]);
    assert!((random.expected - 100.0).abs() < 1e-9);
    assert!((two.expected - 26.14).abs() < 0.01, "{two}");
    // The gap, 74 ms in theory, against intervals of a few ms.
    let (rm, _, rh) = mean_ci(&random.samples, 0.999);
    let (tm, _, th) = mean_ci(&two.samples, 0.999);
    assert!(
        rm - tm > 60.0 && rm - tm > 4.0 * (rh + th),
        "{rm:.2} ± {rh:.2} vs {tm:.2} ± {th:.2}"
    );
    assert!((random_p99.expected - 460.5).abs() < 0.1);
}
