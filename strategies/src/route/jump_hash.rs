//! Jump consistent hash (Lamping and Veach 2014): a key goes to bucket jump(hash(key), n)
//! of the n configured servers, computed in O(log n) steps with no table. Growing from n
//! to n + 1 buckets moves exactly the keys that land in the new bucket, 1/(n + 1) of them,
//! and nothing else.
//!
//! Jump hash numbers its buckets and can only remove the last one, so a suspected server
//! is skipped instead: its keys rehash, jump(hash(key, j), n) for j = 1, 2, ..., until an
//! unsuspected server comes up (after 64 rehashes, the next unsuspected server in index
//! order). Keys of unsuspected servers never move, and a suspected server's keys spread
//! evenly over the others, since every rehash is uniform over the n buckets.
//!
//! Failover: a retry continues down the same sequence (owner, rehash 1, rehash 2, ...)
//! past the previous server.

use crate::params::Params;
use crate::registry::{Builder, Family, Kind};
use crate::route::hash;
use sim_core::config::ConfigError;
use sim_core::engine::rng::SimRng;
use sim_core::strategy::{ClusterView, KeyPlacement, RouteInput, Router, RouterSpec};
use std::sync::Arc;

pub const KIND: Kind = Kind {
    family: Family::Routing,
    name: "jump-hash",
    summary: "jump consistent hash over the configured servers; a suspected server's keys rehash",
    params: &[],
    build: Builder::Routing(build),
};

/// Rehashes tried before falling back to index order.
const REHASHES: u64 = 64;

#[derive(Clone, Debug, Default)]
pub struct JumpHash;

fn build(_p: &mut Params) -> Result<Arc<dyn RouterSpec>, ConfigError> {
    Ok(Arc::new(JumpHash))
}

impl RouterSpec for JumpHash {
    fn build(&self, servers: u32, _keys: u32) -> Box<dyn Router> {
        Box::new(JumpRouter {
            servers,
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

/// The bucket of `key` among `buckets` (Lamping and Veach 2014, figure 1): the key drives
/// a 64-bit linear congruential generator whose draws decide where the key would jump
/// next as buckets are added.
pub fn jump(mut key: u64, buckets: u32) -> u32 {
    let mut b: i64 = -1;
    let mut j: i64 = 0;
    while j < i64::from(buckets) {
        b = j;
        key = key.wrapping_mul(2_862_933_555_777_941_757).wrapping_add(1);
        j = ((b + 1) as f64 * ((1u64 << 31) as f64 / ((key >> 33) + 1) as f64)) as i64;
    }
    b as u32
}

struct JumpRouter {
    servers: u32,
    seen: hash::Seen,
}

impl JumpRouter {
    /// The key's servers in preference order: its bucket, its rehashes, then every
    /// server in index order from the bucket on.
    fn order(&self, key: u32) -> impl Iterator<Item = u32> + use<> {
        let n = self.servers;
        let h = hash::key(key);
        let first = jump(h, n);
        std::iter::once(first)
            .chain((1..=REHASHES).map(move |j| jump(hash::pair(hash::REHASH, h, j), n)))
            .chain((1..n).map(move |i| (first + i) % n))
    }
}

impl Router for JumpRouter {
    fn route(&mut self, input: &RouteInput, view: &ClusterView, _rng: &mut SimRng) -> Option<u32> {
        let order = self.order(input.key);
        hash::choose(
            order,
            input.previous,
            |s| !view.is_suspected(s),
            &mut self.seen,
        )
    }

    fn key_owner(&mut self, key: u32, view: &ClusterView) -> Option<u32> {
        self.order(key).find(|&s| !view.is_suspected(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route::testing::moved_by_removal;

    #[test]
    fn adding_a_bucket_moves_keys_only_into_it() {
        // The defining property, exact: from n to n + 1 buckets a key either stays or
        // moves to bucket n. The moved share is Binomial(K, 1/(n + 1)); allow 5 sd.
        let keys = 50_000u32;
        for n in [1u32, 2, 7, 10, 31] {
            let mut moved = 0u32;
            for k in 0..keys {
                let h = hash::key(k);
                let (before, after) = (jump(h, n), jump(h, n + 1));
                assert!(before < n && after <= n);
                if before != after {
                    assert_eq!(after, n, "key {k} moved between old buckets");
                    moved += 1;
                }
            }
            let p = 1.0 / f64::from(n + 1);
            let sd = (p * (1.0 - p) / f64::from(keys)).sqrt();
            let share = f64::from(moved) / f64::from(keys);
            assert!((share - p).abs() < 5.0 * sd, "n {n}: {share} vs {p}");
        }
    }

    #[test]
    fn matches_the_reference_values_other_implementations_share() {
        // The "golden" values the published implementations (Guava's consistentHash and
        // the C and Go ports of the paper's code) check against one another.
        let golden100 = [
            0, 55, 62, 8, 45, 59, 86, 97, 82, 59, 73, 37, 17, 56, 86, 21, 90, 37, 38, 83,
        ];
        for (key, bucket) in golden100.iter().enumerate() {
            assert_eq!(jump(key as u64, 100), *bucket, "key {key}");
        }
        assert_eq!(jump(10_863_919_174_838_991, 11), 6);
        assert_eq!(jump(2_016_238_256_797_177_309, 11), 3);
        assert_eq!(jump(1_673_758_223_894_951_030, 11), 5);
        assert_eq!(jump(2, 100_001), 80_343);
        assert_eq!(jump(2201, 100_001), 22_152);
        assert_eq!(jump(2202, 100_001), 15_018);
    }

    #[test]
    fn removing_one_of_n_servers_moves_only_its_keys() {
        let (n, keys) = (10u32, 100_000u32);
        let m = moved_by_removal(&JumpHash, n, keys, 3);
        assert_eq!(m.moved_between_survivors, 0.0, "{m:?}");
        assert_eq!(m.moved, m.removed_share);
        // Binomial(K, 1/n) share of the removed server: allow 5 sd.
        let p = 1.0 / f64::from(n);
        let sd = (p * (1.0 - p) / f64::from(keys)).sqrt();
        assert!((m.moved - p).abs() < 5.0 * sd, "{m:?}");
    }

    #[test]
    fn a_suspected_servers_keys_spread_evenly() {
        // Keys of server 3 rehash uniformly over the 10 buckets until an unsuspected one:
        // each survivor receives Binomial(K3, 1/9) of them; allow 5 sd.
        let n = 10u32;
        let mut r = JumpHash.build(n, 0);
        let mut view = ClusterView::new(n);
        view.set_suspected(3, true);
        let mut got = vec![0u32; n as usize];
        let mut k3 = 0u32;
        for k in 0..200_000u32 {
            if jump(hash::key(k), n) == 3 {
                k3 += 1;
                got[r.key_owner(k, &view).unwrap() as usize] += 1;
            }
        }
        let p = 1.0 / 9.0;
        let sd = (f64::from(k3) * p * (1.0 - p)).sqrt();
        for (s, g) in got.iter().enumerate() {
            if s == 3 {
                assert_eq!(*g, 0);
            } else {
                assert!(
                    (f64::from(*g) - f64::from(k3) * p).abs() < 5.0 * sd,
                    "{got:?}"
                );
            }
        }
    }
}
