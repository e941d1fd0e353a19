//! Overload beyond saturation with a finite queue: M/M/1/K rejects an arrival with the
//! blocking probability P_K = (1 - ρ)ρ^K / (1 - ρ^(K+1)), which tends to 1 - 1/ρ for
//! ρ > 1: a server offered 1.25 times what it can serve rejects a fifth of the requests
//! at steady state, however long its queue (configs and formula in
//! `experiments::validate::overload`, as `faultline validate` runs them).
//!
//! Tolerance: the 99.9% Student-t interval of 12 replications' rejected fractions.

use crate::common::{assert_checks, validation};

#[test]
fn overload_rejects_the_blocking_probability_of_m_m_1_k() {
    let checks = validation("M/M/1/K overload");
    assert_checks(&checks);
    // rho = 1.5, K = 10: P_K = 0.3372, a little above 1 - 1/rho = 1/3.
    assert!((checks[0].expected - 0.33723).abs() < 1e-5);
    // rho = 1.25 with a queue of a thousand: 1 - 1/rho = 0.2.
    assert!((checks[1].expected - 0.2).abs() < 1e-12);
}
