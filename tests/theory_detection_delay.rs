//! Detection delay of a fixed-timeout failure detector with a constant network delay d:
//! a crash is suspected timeout + d - U + 1 ns after it happens (1 ns past the deadline),
//! U uniform over the heartbeat interval, so on average timeout + d - interval/2 + 1 ns
//! (config and formula in
//! `experiments::validate::detection`, as `faultline validate` runs them). The same law
//! with a random (lognormal) delay is checked on the shipped MTTF sweep example in
//! `example_configs.rs`.
//!
//! Tolerance: 4 standard deviations of the mean over every detection, each with standard
//! deviation interval / sqrt(12); every mistake must last exactly the delay d, since
//! heartbeat gaps never reach the timeout: the only mistakes are recovered servers still
//! suspected until their first heartbeat, sent at the recovery, arrives.

use crate::common::{assert_checks, validation};

#[test]
fn fixed_timeout_detects_a_crash_after_timeout_plus_delay_minus_half_an_interval() {
    let checks = validation("fixed-timeout detection delay");
    assert_checks(&checks);
    assert!((checks[0].expected - 455.000001).abs() < 1e-9);
    // Every replication detected crashes: about 4 servers x 30 min / 22 s = 330 each.
    assert!(checks[0].samples.len() == 8, "{}", checks[0]);
}
