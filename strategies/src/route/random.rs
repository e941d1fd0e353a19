//! Uniform random: each attempt goes to a server drawn uniformly among the unsuspected
//! ones. With n servers each gets a Binomial(m, 1/n) share of m attempts, so its
//! imbalance shrinks like 1/sqrt(m/n): the reference against which smarter routers gain.

use crate::params::Params;
use crate::registry::{Builder, Family, Kind};
use rand::RngExt;
use sim_core::config::ConfigError;
use sim_core::engine::rng::SimRng;
use sim_core::strategy::{ClusterView, KeyPlacement, RouteInput, Router, RouterSpec};
use std::sync::Arc;

pub const KIND: Kind = Kind {
    family: Family::Routing,
    name: "random",
    summary: "send each attempt to a server drawn uniformly among the unsuspected ones",
    params: &[],
    build: Builder::Routing(build),
};

#[derive(Clone, Debug, Default)]
pub struct Random;

fn build(_p: &mut Params) -> Result<Arc<dyn RouterSpec>, ConfigError> {
    Ok(Arc::new(Random))
}

impl RouterSpec for Random {
    fn build(&self, _servers: u32, _keys: u32) -> Box<dyn Router> {
        Box::new(Random)
    }

    fn describe(&self) -> String {
        crate::params::bare(KIND.name)
    }

    fn key_placement(&self) -> KeyPlacement {
        KeyPlacement::Unkeyed
    }

    fn reads_outstanding(&self) -> bool {
        false
    }
}

impl Router for Random {
    fn route(&mut self, _input: &RouteInput, view: &ClusterView, rng: &mut SimRng) -> Option<u32> {
        let alive = view.alive();
        match alive.len() {
            0 => None,
            1 => Some(alive[0]),
            n => Some(alive[rng.random_range(0..n)]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::engine::rng::{Purpose, RngFactory};

    #[test]
    fn spreads_evenly_over_unsuspected_servers() {
        let mut view = ClusterView::new(5);
        view.set_suspected(4, true);
        let mut r = Random;
        let mut rng = RngFactory::new(9).stream(Purpose::Routing, 0);
        let input = RouteInput {
            key: 0,
            attempt: 1,
            previous: None,
            now: sim_core::SimTime::ZERO,
        };
        let m = 40_000;
        let mut counts = [0u32; 5];
        for _ in 0..m {
            counts[r.route(&input, &view, &mut rng).unwrap() as usize] += 1;
        }
        assert_eq!(counts[4], 0, "a suspected server gets nothing");
        // Each count is Binomial(m, 1/4): sd = sqrt(m * 1/4 * 3/4) ~ 87; allow 5 sd.
        for c in &counts[..4] {
            assert!((f64::from(*c) - 10_000.0).abs() < 5.0 * 86.6, "{counts:?}");
        }
    }
}
