//! Keys moved by membership changes: when each of n servers leaves once and comes back,
//! consistent hashing, rendezvous and jump hashing move exactly 1/n of the keys per change
//! on average (each move is the leaving server's own keys, and the shares sum to 1), and
//! modulo-n moves (n - 1)/n (scenario in `experiments::validate::consistent_hash`, as
//! `faultline validate` runs it). The routers' unit tests pin the same property for a
//! single removal, and `hashing_churn.rs` checks a run's measure against the placement
//! computed outside the run, per scheme, Maglev and bounded loads included.
//!
//! Tolerance: exact (floating-point rounding) for the consistent schemes; 4 binomial
//! standard deviations over the 4096 sampled keys for modulo.

use crate::common::{assert_checks, validation};

#[test]
fn consistent_schemes_move_one_nth_of_the_keys_and_modulo_most_of_them() {
    let checks = validation("consistent-hash movement");
    assert_checks(&checks);
    for c in &checks {
        // Every server left and came back: 2 changes of the view per server.
        assert!(c.basis.ends_with("20 membership changes"), "{c}");
    }
}
