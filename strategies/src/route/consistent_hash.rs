//! Consistent hashing on a ring with virtual nodes (Karger et al. 1997): every server owns
//! `vnodes` points of a 64-bit ring, and a key goes to the server of the first point at or
//! after its hash, skipping suspected servers. Removing a server moves exactly its own
//! keys, each to the next server clockwise, and nothing between survivors.
//!
//! A server's share of the ring is a sum of `vnodes` gaps between uniform points, about a
//! Gamma(vnodes) variable of mean 1/n: its relative spread is 1/sqrt(vnodes), and the
//! busiest of n servers carries about 1 + sqrt(2 ln n / vnodes) times the mean.
//!
//! Failover: a retry walks clockwise past the previous server to the next distinct
//! unsuspected one, so successive retries visit the key's replicas in ring order.

use crate::params::{Param, Params};
use crate::registry::{Builder, Family, Kind};
use crate::route::hash;
use sim_core::config::ConfigError;
use sim_core::engine::rng::SimRng;
use sim_core::strategy::{ClusterView, KeyPlacement, RouteInput, Router, RouterSpec};
use std::sync::Arc;

pub const DEFAULT_VNODES: u32 = 100;

/// Ring points per server.
pub const fn vnodes(doc: &'static str) -> Param {
    Param::int32("vnodes", DEFAULT_VNODES, doc, "points").check(
        |v| (1..=100_000).contains(&v.int()),
        "a number of ring points per server from 1 to 100000",
    )
}

pub const KIND: Kind = Kind {
    family: Family::Routing,
    name: "consistent-hash",
    summary: "ring with virtual nodes: a key goes to the next unsuspected server clockwise",
    params: &[&[vnodes(
        "ring points per server; imbalance shrinks like 1/sqrt(vnodes)",
    )]],
    build: Builder::Routing(build),
};

fn build(p: &mut Params) -> Result<Arc<dyn RouterSpec>, ConfigError> {
    Ok(Arc::new(ConsistentHash {
        vnodes: p.int32("vnodes"),
        description: p.describe(),
    }))
}

#[derive(Clone, Debug)]
pub struct Ring {
    points: Vec<(u64, u32)>,
    /// The ring cut into 2^(64 - `shift`) equal arcs, at least as many as points: per arc,
    /// the index of its first point (then the number of points), so that finding a key's
    /// first point searches the few points of one arc rather than the whole ring.
    arcs: Vec<u32>,
    shift: u32,
}

impl Ring {
    pub fn new(servers: u32, vnodes: u32) -> Self {
        let mut points: Vec<(u64, u32)> = (0..servers)
            .flat_map(|s| {
                (0..vnodes)
                    .map(move |v| (hash::pair(hash::RING_POINT, u64::from(s), u64::from(v)), s))
            })
            .collect();
        points.sort_unstable();
        let bits = points
            .len()
            .next_power_of_two()
            .trailing_zeros()
            .clamp(1, 32);
        let shift = 64 - bits;
        let arcs = (0..=1u64 << bits)
            .map(|arc| {
                let first = match arc.checked_shl(shift) {
                    Some(start) if arc < 1 << bits => points.partition_point(|p| p.0 < start),
                    _ => points.len(),
                };
                u32::try_from(first).expect("fewer than 2^32 ring points")
            })
            .collect();
        Ring {
            points,
            arcs,
            shift,
        }
    }

    /// The index of the first point at or after position `h` (the number of points when
    /// there is none, for a walk that starts over at the ring's top).
    fn first_at(&self, h: u64) -> usize {
        let arc = (h >> self.shift) as usize;
        let (lo, hi) = (self.arcs[arc] as usize, self.arcs[arc + 1] as usize);
        lo + self.points[lo..hi].partition_point(|p| p.0 < h)
    }

    /// The servers of the points from `key`'s position clockwise, one full turn.
    pub fn walk(&self, key: u32) -> impl Iterator<Item = u32> + '_ {
        let h = hash::key(key);
        let start = self.first_at(h);
        let (tail, head) = self.points.split_at(start);
        head.iter().chain(tail).map(|p| p.1)
    }

    /// The fraction of the ring each server owns (the arcs ending at its points).
    pub fn shares(&self, servers: u32) -> Vec<f64> {
        let mut owned = vec![0u128; servers as usize];
        let n = self.points.len();
        for i in 0..n {
            let (pos, server) = self.points[i];
            let prev = if i == 0 {
                self.points[n - 1].0
            } else {
                self.points[i - 1].0
            };
            owned[server as usize] += u128::from(pos.wrapping_sub(prev));
        }
        let turn = 2f64.powi(64);
        owned.iter().map(|&a| a as f64 / turn).collect()
    }
}

#[derive(Clone, Debug)]
pub struct ConsistentHash {
    pub vnodes: u32,
    pub description: String,
}

impl RouterSpec for ConsistentHash {
    fn build(&self, servers: u32, _keys: u32) -> Box<dyn Router> {
        Box::new(RingRouter {
            ring: Ring::new(servers, self.vnodes),
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

struct RingRouter {
    ring: Ring,
    seen: hash::Seen,
}

impl Router for RingRouter {
    fn route(&mut self, input: &RouteInput, view: &ClusterView, _rng: &mut SimRng) -> Option<u32> {
        hash::choose(
            self.ring.walk(input.key),
            input.previous,
            |s| !view.is_suspected(s),
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
    use crate::route::testing::{moved_by_removal, route_first};

    #[test]
    fn removing_one_of_n_servers_moves_only_its_keys() {
        let (n, keys) = (10u32, 100_000u32);
        let m = moved_by_removal(
            &ConsistentHash {
                description: String::new(),
                vnodes: 100,
            },
            n,
            keys,
            3,
        );
        assert_eq!(m.moved_between_survivors, 0.0, "{m:?}");
        assert_eq!(m.moved, m.removed_share);
        // The removed server's share is about Gamma(vnodes) / n: relative sd
        // 1/sqrt(vnodes) = 0.1, so sd 0.01 around 1/n = 0.1, plus the binomial sampling of
        // K keys, sqrt(0.1 * 0.9 / K) ~ 0.001. Allow 4 sd of the sum.
        let sd = (0.01f64.powi(2) + 0.09 / f64::from(keys)).sqrt();
        assert!((m.moved - 0.1).abs() < 4.0 * sd, "{m:?}");
    }

    #[test]
    fn imbalance_shrinks_like_one_over_sqrt_vnodes() {
        // Each server's share is a sum of v gaps between n v uniform points: close to
        // Gamma(v, 1/(n v)), relative sd 1/sqrt(v). The largest of n = 32 such shares over
        // their mean is about 1 + z/sqrt(v), where z is the largest of 32 standard
        // normals: mean 2.07, sd 0.42 (order statistics of the normal). So
        // (imbalance - 1) sqrt(v) should sit in 2.07 ± 3 x 0.42 once v is large enough
        // for the normal approximation, and each tenfold increase of v should shrink
        // imbalance - 1 by about sqrt(10) = 3.2 (we ask for at least 2).
        let n = 32u32;
        let mut excess = Vec::new();
        for v in [1u32, 10, 100, 1000] {
            let shares = Ring::new(n, v).shares(n);
            let total: f64 = shares.iter().sum();
            assert!((total - 1.0).abs() < 1e-9, "shares cover the ring: {total}");
            let max = shares.iter().cloned().fold(0.0, f64::max);
            let imbalance = max * f64::from(n);
            excess.push(imbalance - 1.0);
            if v >= 100 {
                let z = (imbalance - 1.0) * f64::from(v).sqrt();
                assert!(
                    (0.8..3.4).contains(&z),
                    "vnodes {v}: imbalance {imbalance:.4}, z {z:.2}"
                );
            }
        }
        for w in excess.windows(2) {
            assert!(
                w[1] < w[0] / 2.0,
                "imbalance - 1 by vnodes 1, 10, 100, 1000: {excess:?}"
            );
        }
    }

    #[test]
    fn the_arcs_find_the_same_first_point_as_a_search_of_the_whole_ring() {
        for (servers, vnodes) in [(1u32, 1u32), (3, 1), (5, 100), (32, 7)] {
            let ring = Ring::new(servers, vnodes);
            let whole = |h: u64| ring.points.partition_point(|p| p.0 < h);
            let mut probes = vec![0, 1, u64::MAX, 1 << 63];
            for p in &ring.points {
                probes.extend([p.0.wrapping_sub(1), p.0, p.0.wrapping_add(1)]);
            }
            probes.extend((0..10_000u32).map(hash::key));
            for h in probes {
                assert_eq!(
                    ring.first_at(h),
                    whole(h),
                    "{servers} x {vnodes}, at {h:#x}"
                );
            }
        }
    }

    #[test]
    fn retries_walk_the_replicas_in_ring_order() {
        let spec = ConsistentHash {
            description: String::new(),
            vnodes: 20,
        };
        let mut r = spec.build(6, 1000);
        let view = ClusterView::new(6);
        let ring = Ring::new(6, 20);
        let mut replicas: Vec<u32> = Vec::new();
        for s in ring.walk(42) {
            if !replicas.contains(&s) {
                replicas.push(s);
            }
        }
        assert_eq!(replicas.len(), 6);
        let mut previous = None;
        for expected in &replicas {
            let got = route_first(r.as_mut(), 42, previous, &view);
            assert_eq!(got, *expected);
            previous = Some(got);
        }
        // After the last replica, back to the first.
        assert_eq!(route_first(r.as_mut(), 42, previous, &view), replicas[0]);
    }
}
