//! Modulo-N: key k goes to the (hash(k) mod n)-th of the n unsuspected servers, in index
//! order. The baseline consistent hashing improves on: any change of membership remaps
//! almost every key. From n to n - 1 servers (or back), since gcd(n, n - 1) = 1 the pair
//! (h mod n, h mod (n - 1)) is uniform over all n (n - 1) pairs for a uniform hash h, and
//! a key keeps its server for exactly n - 1 of them: 1/n of the keys stay, (n - 1)/n move.
//!
//! Failover: a retry goes to the next unsuspected server in index order after the
//! previous one (the key's list is the unsuspected servers from its owner onwards).

use crate::params::Params;
use crate::registry::{Builder, Family, Kind};
use crate::route::hash;
use sim_core::config::ConfigError;
use sim_core::engine::rng::SimRng;
use sim_core::strategy::{ClusterView, KeyPlacement, RouteInput, Router, RouterSpec};
use std::sync::Arc;

pub const KIND: Kind = Kind {
    family: Family::Routing,
    name: "modulo",
    summary: "hash(key) mod n over the unsuspected servers; remaps most keys on any change",
    params: &[],
    build: Builder::Routing(build),
};

#[derive(Clone, Debug, Default)]
pub struct Modulo {
    seen: hash::Seen,
}

fn build(_p: &mut Params) -> Result<Arc<dyn RouterSpec>, ConfigError> {
    Ok(Arc::new(Modulo::default()))
}

impl RouterSpec for Modulo {
    fn build(&self, servers: u32, _keys: u32) -> Box<dyn Router> {
        Box::new(Modulo {
            seen: hash::Seen::new(servers),
        })
    }

    fn describe(&self) -> String {
        crate::params::bare(KIND.name)
    }

    fn key_placement(&self) -> KeyPlacement {
        KeyPlacement::Keyed
    }
}

impl Router for Modulo {
    fn route(&mut self, input: &RouteInput, view: &ClusterView, _rng: &mut SimRng) -> Option<u32> {
        let alive = view.alive();
        let n = alive.len();
        if n == 0 {
            return None;
        }
        let start = (hash::key(input.key) % n as u64) as usize;
        let order = (0..n).map(|j| alive[(start + j) % n]);
        hash::choose(order, input.previous, |_| true, &mut self.seen)
    }

    fn key_owner(&mut self, key: u32, view: &ClusterView) -> Option<u32> {
        let alive = view.alive();
        (!alive.is_empty()).then(|| alive[(hash::key(key) % alive.len() as u64) as usize])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route::testing::{moved_by_removal, route_first};

    #[test]
    fn removing_one_of_n_servers_moves_n_minus_1_over_n_of_the_keys() {
        // (n - 1)/n of the keys move (module doc). Each of K keys moves independently
        // with that probability (their hashes are independent), so the moved count is
        // Binomial(K, (n - 1)/n): sd = sqrt(K p (1 - p)); allow 5 sd.
        let (n, keys) = (10u32, 100_000u32);
        let m = moved_by_removal(&Modulo::default(), n, keys, 3);
        let p = f64::from(n - 1) / f64::from(n);
        let sd = (p * (1.0 - p) / f64::from(keys)).sqrt();
        assert!(
            (m.moved - p).abs() < 5.0 * sd,
            "moved {:.4}, expected {p:.4} ± {:.4}",
            m.moved,
            5.0 * sd
        );
        // Most of it is needless: keys whose server survived move too.
        assert!(m.moved_between_survivors > 0.8, "{m:?}");
    }

    #[test]
    fn a_retry_goes_to_the_next_unsuspected_server() {
        let mut view = ClusterView::new(5);
        let mut r = Modulo::default().build(5, 100);
        let owner = route_first(r.as_mut(), 7, None, &view);
        let next = route_first(r.as_mut(), 7, Some(owner), &view);
        assert_eq!(next, (owner + 1) % 5);
        view.set_suspected(next, true);
        let skip = route_first(r.as_mut(), 7, Some(owner), &view);
        assert_ne!(skip, next);
        assert_ne!(skip, owner);
    }
}
