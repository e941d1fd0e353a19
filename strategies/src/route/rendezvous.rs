//! Rendezvous, or highest-random-weight, hashing (Thaler and Ravishankar 1998): a key
//! goes to the unsuspected server with the highest weight hash(key, server). Removing a
//! server moves exactly its keys, each to the server of its second-highest weight, spread
//! evenly over the survivors; nothing moves between survivors. Each server owns a
//! Binomial(K, 1/n) share of K keys, with no virtual nodes needed. A placement costs n
//! hashes.
//!
//! Failover: a retry goes to the server ranked next below the previous one by weight (the
//! key's replicas in rank order), skipping suspected servers.

use crate::params::Params;
use crate::registry::{Builder, Family, Kind};
use crate::route::hash;
use sim_core::config::ConfigError;
use sim_core::engine::rng::SimRng;
use sim_core::strategy::{ClusterView, KeyPlacement, RouteInput, Router, RouterSpec};
use std::sync::Arc;

pub const KIND: Kind = Kind {
    family: Family::Routing,
    name: "rendezvous",
    summary: "highest random weight: a key goes to the unsuspected server with the top hash(key, server)",
    params: &[],
    build: Builder::Routing(build),
};

#[derive(Clone, Debug, Default)]
pub struct Rendezvous;

fn build(_p: &mut Params) -> Result<Arc<dyn RouterSpec>, ConfigError> {
    Ok(Arc::new(Rendezvous))
}

impl RouterSpec for Rendezvous {
    fn build(&self, servers: u32, _keys: u32) -> Box<dyn Router> {
        Box::new(RendezvousRouter {
            servers,
            ranked: Vec::with_capacity(servers as usize),
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

/// The weight of `server` for a key hashed to `h`.
#[inline]
fn weight(h: u64, server: u32) -> u64 {
    hash::pair(hash::RENDEZVOUS, h, u64::from(server))
}

struct RendezvousRouter {
    servers: u32,
    /// Scratch: (weight, server) of every server, for retries.
    ranked: Vec<(u64, u32)>,
    seen: hash::Seen,
}

impl RendezvousRouter {
    fn top(&self, key: u32, view: &ClusterView) -> Option<u32> {
        let h = hash::key(key);
        view.alive()
            .iter()
            .map(|&s| (weight(h, s), s))
            .max()
            .map(|(_, s)| s)
    }
}

impl Router for RendezvousRouter {
    fn route(&mut self, input: &RouteInput, view: &ClusterView, _rng: &mut SimRng) -> Option<u32> {
        if input.previous.is_none() {
            return self.top(input.key, view);
        }
        let h = hash::key(input.key);
        self.ranked.clear();
        self.ranked
            .extend((0..self.servers).map(|s| (weight(h, s), s)));
        self.ranked.sort_unstable_by(|a, b| b.cmp(a));
        hash::choose(
            self.ranked.iter().map(|p| p.1),
            input.previous,
            |s| !view.is_suspected(s),
            &mut self.seen,
        )
    }

    fn key_owner(&mut self, key: u32, view: &ClusterView) -> Option<u32> {
        self.top(key, view)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route::testing::{moved_by_removal, route_first};

    #[test]
    fn removing_one_of_n_servers_moves_only_its_keys() {
        // The removed server owned a Binomial(K, 1/n) share: sd sqrt(p (1 - p) / K);
        // allow 5 sd. Its keys spread evenly: each survivor receives Binomial(K/n,
        // 1/(n - 1)) of them.
        let (n, keys) = (10u32, 100_000u32);
        let m = moved_by_removal(&Rendezvous, n, keys, 3);
        assert_eq!(m.moved_between_survivors, 0.0, "{m:?}");
        assert_eq!(m.moved, m.removed_share);
        let p = 1.0 / f64::from(n);
        let sd = (p * (1.0 - p) / f64::from(keys)).sqrt();
        assert!((m.moved - p).abs() < 5.0 * sd, "{m:?}");
        for (s, owned) in m.owned.iter().enumerate() {
            let share = f64::from(*owned) / f64::from(keys);
            assert!((share - p).abs() < 5.0 * sd, "server {s}: {share}");
        }
    }

    #[test]
    fn retries_follow_the_weight_ranking() {
        let mut r = Rendezvous.build(5, 100);
        let mut view = ClusterView::new(5);
        let h = hash::key(9);
        let mut ranking: Vec<u32> = (0..5).collect();
        ranking.sort_by_key(|&s| std::cmp::Reverse(weight(h, s)));
        assert_eq!(route_first(r.as_mut(), 9, None, &view), ranking[0]);
        assert_eq!(
            route_first(r.as_mut(), 9, Some(ranking[0]), &view),
            ranking[1]
        );
        assert_eq!(
            route_first(r.as_mut(), 9, Some(ranking[1]), &view),
            ranking[2]
        );
        view.set_suspected(ranking[0], true);
        assert_eq!(route_first(r.as_mut(), 9, None, &view), ranking[1]);
        view.set_suspected(ranking[3], true);
        assert_eq!(
            route_first(r.as_mut(), 9, Some(ranking[2]), &view),
            ranking[4]
        );
    }
}
