//! Power of d choices (Mitzenmacher 2001; Azar, Broder, Karlin and Upfal 1999): each
//! attempt samples `d` distinct unsuspected servers uniformly and goes to the one with the
//! fewest attempts in flight (ties uniformly). Two choices already change everything: for
//! n queues with Poisson arrivals at load rho and exponential service, the fraction of
//! queues holding at least i requests falls from rho^i (random routing) to
//! rho^((d^i - 1)/(d - 1)), and the mean time in system, in service times, from
//! 1/(1 - rho) to sum over i >= 1 of rho^((d^i - d)/(d - 1)) as n grows: at rho = 0.9,
//! 10 against about 2.6 for d = 2.
//!
//! Failover: a retry leaves the previous server out of the sample when another is left.

use crate::params::{Param, Params};
use crate::registry::{Builder, Family, Kind};
use crate::route::candidates::{Candidates, cheapest};
use sim_core::config::ConfigError;
use sim_core::engine::rng::SimRng;
use sim_core::strategy::{ClusterView, KeyPlacement, RouteInput, Router, RouterSpec};
use std::sync::Arc;

pub const DEFAULT_D: u32 = 2;

/// A number of servers sampled per attempt.
pub const fn choices(name: &'static str, default: u32, doc: &'static str) -> Param {
    Param::int32(name, default, doc, "servers").check(
        |v| (1..=1_000_000).contains(&v.int()),
        "a number of servers to sample of at least 1, like 2",
    )
}

pub const KIND: Kind = Kind {
    family: Family::Routing,
    name: "power-of-d",
    summary: "sample d unsuspected servers, send to the one with the fewest attempts in flight",
    params: &[&[choices(
        "d",
        DEFAULT_D,
        "servers sampled per attempt (1 is random routing)",
    )]],
    build: Builder::Routing(build),
};

fn build(p: &mut Params) -> Result<Arc<dyn RouterSpec>, ConfigError> {
    Ok(Arc::new(PowerOfD {
        d: p.int32("d"),
        description: p.describe(),
    }))
}

#[derive(Clone, Debug)]
pub struct PowerOfD {
    pub d: u32,
    pub description: String,
}

impl RouterSpec for PowerOfD {
    fn build(&self, _servers: u32, _keys: u32) -> Box<dyn Router> {
        Box::new(PowerOfDRouter {
            d: self.d as usize,
            scratch: Vec::new(),
            sample: Vec::new(),
        })
    }

    fn describe(&self) -> String {
        self.description.clone()
    }

    fn key_placement(&self) -> KeyPlacement {
        KeyPlacement::Unkeyed
    }
}

struct PowerOfDRouter {
    d: usize,
    scratch: Vec<usize>,
    sample: Vec<u32>,
}

impl Router for PowerOfDRouter {
    fn route(&mut self, input: &RouteInput, view: &ClusterView, rng: &mut SimRng) -> Option<u32> {
        let candidates = Candidates::new(view, input.previous);
        candidates.sample(self.d, rng, &mut self.scratch, &mut self.sample);
        cheapest(
            self.sample
                .iter()
                .map(|&s| (view.outstanding[s as usize], s)),
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
    fn win_rates_follow_the_sampling() {
        // With d = 2 distinct samples the strictly busiest server always meets a less
        // busy one: it never wins. The second busiest wins only when sampled together
        // with the busiest: probability 1 / C(n, 2) = 2/(n (n - 1)).
        // For n = 5 that is 0.1; over m = 20000 attempts, binomial sd sqrt(m p (1 - p));
        // allow 5 sd.
        let n = 5u32;
        let mut view = ClusterView::new(n);
        view.outstanding = vec![0, 1, 2, 3, 4];
        let mut r = PowerOfD {
            description: String::new(),
            d: 2,
        }
        .build(n, 0);
        let mut rng = RngFactory::new(6).stream(Purpose::Routing, 0);
        let input = RouteInput {
            key: 0,
            attempt: 1,
            previous: None,
            now: SimTime::ZERO,
        };
        let m = 20_000u32;
        let mut wins = [0u32; 5];
        for _ in 0..m {
            wins[r.route(&input, &view, &mut rng).unwrap() as usize] += 1;
        }
        assert_eq!(wins[4], 0, "{wins:?}");
        let p = 2.0 / f64::from(n * (n - 1));
        let sd = (f64::from(m) * p * (1.0 - p)).sqrt();
        assert!(
            (f64::from(wins[3]) - f64::from(m) * p).abs() < 5.0 * sd,
            "{wins:?}"
        );
        // The least busy wins whenever it is sampled: probability d/n = 0.4.
        let p0 = 0.4;
        let sd0 = (f64::from(m) * p0 * (1.0 - p0)).sqrt();
        assert!(
            (f64::from(wins[0]) - f64::from(m) * p0).abs() < 5.0 * sd0,
            "{wins:?}"
        );
    }
}
