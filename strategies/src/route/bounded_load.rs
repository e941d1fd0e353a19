//! Consistent hashing with bounded loads (Mirrokni, Thorup and Zadimoghaddam 2018): the
//! ring of `consistent-hash`, where each server accepts at most ceil(c x (m + 1) / n)
//! attempts in flight, m being the attempts in flight on the n unsuspected servers before
//! this one. A key goes to the first server clockwise from its hash that is unsuspected
//! and below that capacity. The n capacities add up to at least c (m + 1) > m, so some
//! server always has room, and no server ever takes an attempt that lifts it above
//! ceil(c x mean).
//!
//! Loads are the attempts in flight on each server from every client (the view's
//! outstanding counts). Keys keep their ring owner while it has room, so hit ratios and
//! remapping follow the ring; the remapping measure uses the ring placement (no load).
//! Failover: a retry walks clockwise past the previous server, with the same capacity.
//! `c` is applied to 1/2^20 precision with integer arithmetic, so capacities are exact.

use crate::params::{Param, Params};
use crate::registry::{Builder, Family, Kind};
use crate::route::consistent_hash::{Ring, vnodes};
use crate::route::hash;
use sim_core::config::ConfigError;
use sim_core::engine::rng::SimRng;
use sim_core::strategy::{ClusterView, KeyPlacement, RouteInput, Router, RouterSpec};
use std::sync::Arc;

pub const DEFAULT_C: f64 = 1.25;

pub const KIND: Kind = Kind {
    family: Family::Routing,
    name: "bounded-load",
    summary: "consistent hashing with bounded loads: skip servers above ceil(c x mean) in flight",
    params: &[&[
        vnodes("ring points per server"),
        Param::float(
            "c",
            DEFAULT_C,
            "load bound factor (at least 1): capacity ceil(c x mean in flight)",
            "x mean",
        )
        .check(
            |v| v.float().is_finite() && (1.0..=1000.0).contains(&v.float()),
            "a load factor from 1.0 to 1000, like 1.25",
        ),
    ]],
    build: Builder::Routing(build),
};

const C_SCALE: u64 = 1 << 20;

fn build(p: &mut Params) -> Result<Arc<dyn RouterSpec>, ConfigError> {
    Ok(Arc::new(BoundedLoad {
        vnodes: p.int32("vnodes"),
        c: p.float("c"),
        description: p.describe(),
    }))
}

#[derive(Clone, Debug)]
pub struct BoundedLoad {
    pub vnodes: u32,
    pub c: f64,
    pub description: String,
}

impl RouterSpec for BoundedLoad {
    fn build(&self, servers: u32, _keys: u32) -> Box<dyn Router> {
        Box::new(BoundedRouter {
            ring: Ring::new(servers, self.vnodes),
            c_scaled: (self.c * C_SCALE as f64).round() as u64,
            seen: hash::Seen::new(servers),
        })
    }

    fn describe(&self) -> String {
        self.description.clone()
    }

    fn key_placement(&self) -> KeyPlacement {
        KeyPlacement::Keyed
    }
}

/// ceil(c x balls / bins), with c given as `c_scaled / 2^20`.
pub fn capacity(c_scaled: u64, balls: u64, bins: u64) -> u64 {
    let numerator = u128::from(c_scaled) * u128::from(balls);
    let denominator = u128::from(C_SCALE) * u128::from(bins);
    numerator.div_ceil(denominator) as u64
}

struct BoundedRouter {
    ring: Ring,
    c_scaled: u64,
    seen: hash::Seen,
}

impl Router for BoundedRouter {
    fn route(&mut self, input: &RouteInput, view: &ClusterView, _rng: &mut SimRng) -> Option<u32> {
        let alive = view.alive();
        if alive.is_empty() {
            return None;
        }
        let in_flight: u64 = alive
            .iter()
            .map(|&s| u64::from(view.outstanding[s as usize]))
            .sum();
        let cap = capacity(self.c_scaled, in_flight + 1, alive.len() as u64);
        hash::choose(
            self.ring.walk(input.key),
            input.previous,
            |s| !view.is_suspected(s) && u64::from(view.outstanding[s as usize]) < cap,
            &mut self.seen,
        )
    }

    fn key_owner(&mut self, key: u32, view: &ClusterView) -> Option<u32> {
        self.ring.walk(key).find(|&s| !view.is_suspected(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route::testing::moved_by_removal;
    use rand::RngExt;
    use rand_distr::{Distribution, Zipf};
    use sim_core::SimTime;
    use sim_core::engine::rng::{Purpose, RngFactory};

    #[test]
    fn capacity_is_exact_integer_ceiling() {
        let c = (1.25 * C_SCALE as f64) as u64;
        assert_eq!(capacity(c, 8, 8), 2); // 1.25 -> 2
        assert_eq!(capacity(c, 16, 5), 4); // 4.0 exactly stays 4
        assert_eq!(capacity(c, 1, 8), 1);
        assert_eq!(capacity(C_SCALE, 9, 3), 3);
    }

    #[test]
    fn no_server_ever_exceeds_ceil_c_times_mean() {
        // A hot-key workload (Zipf s = 1.2 over 1000 keys, half the draws on a handful of
        // keys) that plain consistent hashing would pile onto one server. Attempts arrive
        // and depart at random; after every placement the chosen server must hold at most
        // ceil(c x mean) of the attempts in flight, and while attempts only arrive the
        // bound holds for every server at once. Both are theorems of the scheme (module
        // doc), so the check is exact, over 100000 placements.
        let n = 10u32;
        let spec = BoundedLoad {
            description: String::new(),
            vnodes: 100,
            c: 1.25,
        };
        let mut router = spec.build(n, 1000);
        let mut view = ClusterView::new(n);
        view.set_suspected(7, true);
        let alive = f64::from(n - 1);
        let mut rng = RngFactory::new(3).stream(Purpose::Requests, 0);
        let zipf = Zipf::new(1000.0, 1.2).unwrap();
        let c_scaled = (1.25 * C_SCALE as f64).round() as u64;
        let mut in_flight: Vec<u32> = Vec::new();
        let mut worst = 0.0f64;
        for step in 0..100_000u32 {
            let arriving_only = step < 500;
            if !arriving_only && !in_flight.is_empty() && rng.random_bool(0.5) {
                let i = rng.random_range(0..in_flight.len());
                let s = in_flight.swap_remove(i);
                view.outstanding[s as usize] -= 1;
                continue;
            }
            let key = zipf.sample(&mut rng) as u32 - 1;
            let input = RouteInput {
                key,
                attempt: 1,
                previous: None,
                now: SimTime::ZERO,
            };
            let s = router.route(&input, &view, &mut rng).unwrap();
            assert_ne!(s, 7, "suspected servers are skipped");
            view.outstanding[s as usize] += 1;
            in_flight.push(s);
            let total = in_flight.len() as u64;
            let bound = capacity(c_scaled, total, u64::from(n - 1));
            assert!(
                u64::from(view.outstanding[s as usize]) <= bound,
                "step {step}: server {s} holds {} of {total}, bound {bound}",
                view.outstanding[s as usize]
            );
            if arriving_only {
                let max = *view.outstanding.iter().max().unwrap();
                assert!(
                    u64::from(max) <= bound,
                    "step {step}: max {max}, bound {bound}"
                );
            }
            let mean = total as f64 / alive;
            worst = worst.max(f64::from(view.outstanding[s as usize]) / mean.max(1.0));
        }
        assert!(
            worst > 1.0,
            "the hot keys did press against the bound: {worst}"
        );
    }

    #[test]
    fn with_no_load_it_places_like_the_ring() {
        let m = moved_by_removal(
            &BoundedLoad {
                description: String::new(),
                vnodes: 100,
                c: 1.25,
            },
            10,
            20_000,
            4,
        );
        assert_eq!(m.moved_between_survivors, 0.0);
        assert_eq!(m.moved, m.removed_share);
    }
}
