//! Least outstanding requests: each attempt goes to the unsuspected server with the fewest
//! attempts in flight from all clients (join the shortest queue), ties broken uniformly at
//! random. With exact counts this is the best a router can do without knowing service
//! times, and it steers around a slow server because that server's queue grows; its cost
//! is a scan of every server per attempt.
//!
//! Failover: a retry leaves the previous server out when another is left.

use crate::params::Params;
use crate::registry::{Builder, Family, Kind};
use crate::route::candidates::{Candidates, cheapest};
use sim_core::config::ConfigError;
use sim_core::engine::rng::SimRng;
use sim_core::strategy::{ClusterView, KeyPlacement, RouteInput, Router, RouterSpec};
use std::sync::Arc;

pub const KIND: Kind = Kind {
    family: Family::Routing,
    name: "least-outstanding",
    summary: "send each attempt to the unsuspected server with the fewest attempts in flight",
    params: &[],
    build: Builder::Routing(build),
};

#[derive(Clone, Debug, Default)]
pub struct LeastOutstanding;

fn build(_p: &mut Params) -> Result<Arc<dyn RouterSpec>, ConfigError> {
    Ok(Arc::new(LeastOutstanding))
}

impl RouterSpec for LeastOutstanding {
    fn build(&self, _servers: u32, _keys: u32) -> Box<dyn Router> {
        Box::new(LeastOutstanding)
    }

    fn describe(&self) -> String {
        crate::params::bare(KIND.name)
    }

    fn key_placement(&self) -> KeyPlacement {
        KeyPlacement::Unkeyed
    }
}

impl Router for LeastOutstanding {
    fn route(&mut self, input: &RouteInput, view: &ClusterView, rng: &mut SimRng) -> Option<u32> {
        let candidates = Candidates::new(view, input.previous);
        cheapest(
            candidates.iter().map(|s| (view.outstanding[s as usize], s)),
            rng,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::SimTime;
    use sim_core::engine::rng::{Purpose, RngFactory};

    #[test]
    fn picks_the_shortest_queue_and_skips_suspected_and_previous() {
        let mut view = ClusterView::new(4);
        view.outstanding = vec![3, 1, 0, 2];
        let mut r = LeastOutstanding;
        let mut rng = RngFactory::new(1).stream(Purpose::Routing, 0);
        let mut input = RouteInput {
            key: 0,
            attempt: 1,
            previous: None,
            now: SimTime::ZERO,
        };
        assert_eq!(r.route(&input, &view, &mut rng), Some(2));
        input.previous = Some(2);
        assert_eq!(r.route(&input, &view, &mut rng), Some(1));
        view.set_suspected(1, true);
        assert_eq!(r.route(&input, &view, &mut rng), Some(3));
    }
}
