//! M/G/1 against the Pollaczek-Khinchine formula W = E[S] + λE[S²] / (2(1 - ρ)): M/D/1
//! with constant service and M/G/1 with lognormal service (configs and formula in
//! `experiments::validate::pollaczek_khinchine`, as `faultline validate` runs them).
//!
//! Tolerance: the 99.9% Student-t interval of 12 replication means of an hour each.

use crate::common::{assert_checks, validation};

#[test]
fn md1_and_lognormal_mg1_match_pollaczek_khinchine() {
    let checks = validation("Pollaczek-Khinchine");
    assert_checks(&checks);
    // M/D/1 at rho = 0.8 waits half as long as M/M/1: W = S + rho S / (2 (1 - rho)) = 3 S.
    assert!((checks[0].expected - 30.0).abs() < 1e-9);
    // Lognormal service, median 5 ms and p99 30 ms: sigma = ln 6 / 2.326 = 0.770, E[S] =
    // 5 e^(sigma²/2) = 6.727 ms, E[S²] = 25 e^(2 sigma²) = 80.9 ms², so at 100/s rho =
    // 0.673 and W = 6.727 + 0.1 x 80.9 / (2 x 0.327) = 19.23 ms.
    assert!((checks[1].expected - 19.23).abs() < 0.01, "{}", checks[1]);
}
