//! Round-robin: attempts go to the unsuspected servers in turn. With a stable view each
//! server receives exactly every n-th attempt, so load is even to within one request.

use crate::params::Params;
use crate::registry::{Builder, Family, Kind};
use sim_core::config::ConfigError;
use sim_core::engine::rng::SimRng;
use sim_core::strategy::{ClusterView, KeyPlacement, RouteInput, Router, RouterSpec};
use std::sync::Arc;

pub const KIND: Kind = Kind {
    family: Family::Routing,
    name: "round-robin",
    summary: "send attempts to the unsuspected servers in turn",
    params: &[],
    build: Builder::Routing(build),
};

#[derive(Clone, Debug, Default)]
pub struct RoundRobin {
    next: u32,
}

fn build(_p: &mut Params) -> Result<Arc<dyn RouterSpec>, ConfigError> {
    Ok(Arc::new(RoundRobin::default()))
}

impl RouterSpec for RoundRobin {
    fn build(&self, _servers: u32, _keys: u32) -> Box<dyn Router> {
        Box::new(RoundRobin::default())
    }

    fn describe(&self) -> String {
        crate::params::bare(KIND.name)
    }

    fn key_placement(&self) -> KeyPlacement {
        KeyPlacement::Unkeyed
    }
}

impl Router for RoundRobin {
    fn route(&mut self, _input: &RouteInput, view: &ClusterView, _rng: &mut SimRng) -> Option<u32> {
        let n = view.servers();
        // The next server in index order from the cursor that is not suspected.
        for step in 0..n {
            let candidate = (self.next + step) % n;
            if !view.is_suspected(candidate) {
                self.next = (candidate + 1) % n;
                return Some(candidate);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::engine::rng::{Purpose, RngFactory};

    #[test]
    fn cycles_through_unsuspected_servers() {
        let mut view = ClusterView::new(4);
        view.set_suspected(2, true);
        let mut r = RoundRobin::default();
        let mut rng = RngFactory::new(1).stream(Purpose::Routing, 0);
        let input = RouteInput {
            key: 0,
            attempt: 1,
            previous: None,
            now: sim_core::SimTime::ZERO,
        };
        let picks: Vec<u32> = (0..6)
            .map(|_| r.route(&input, &view, &mut rng).unwrap())
            .collect();
        assert_eq!(picks, vec![0, 1, 3, 0, 1, 3]);
        for s in [0, 1, 3] {
            view.set_suspected(s, true);
        }
        assert_eq!(r.route(&input, &view, &mut rng), None);
    }
}
