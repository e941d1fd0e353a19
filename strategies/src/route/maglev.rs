//! Maglev hashing (Eisenbud et al., NSDI 2016): a lookup table of `table_size` (a prime M)
//! slots, each naming a server, and a key goes to slot hash(key) mod M. Every server has
//! its own permutation of the slots (offset + j x skip mod M, from two hashes of the
//! server); the servers take turns claiming their next free preferred slot until the
//! table is full, so each owns M/n slots to within one. The table covers the unsuspected
//! servers and is rebuilt when the view changes.
//!
//! Removing a server frees its slots, which the survivors claim, but the turns then run
//! over one server fewer, so a few slots also change hands between survivors: Maglev
//! trades exact minimal disruption for near-perfect balance. Lookups cost O(1); a rebuild
//! costs O(M log M) and M x 4 bytes per client.
//!
//! Failover: a retry walks the table from the key's slot and takes the next distinct
//! server after the previous one.

use crate::registry::{Builder, Family, Kind, Param};
use crate::route::hash;
use sim_core::conf::{ConfigError, Section};
use sim_core::rng::SimRng;
use sim_core::strategy::{ClusterView, RouteInput, Router, RouterSpec};
use std::sync::Arc;

pub const DEFAULT_TABLE_SIZE: u32 = 65_537;
/// Largest table accepted: 64 MiB of slots per client.
const MAX_TABLE_SIZE: u32 = 16_777_213;

pub const KIND: Kind = Kind {
    family: Family::Routing,
    name: "maglev",
    summary: "Maglev lookup table over the unsuspected servers, rebuilt when the view changes",
    params: || {
        vec![Param::new(
            "table_size",
            DEFAULT_TABLE_SIZE,
            "slots M, a prime much larger than the servers (M > 100 n keeps imbalance < 1%)",
        )]
    },
    build: Builder::Routing(build),
};

fn is_prime(m: u32) -> bool {
    if m < 2 {
        return false;
    }
    let m = u64::from(m);
    (2..).take_while(|d| d * d <= m).all(|d| m % d != 0)
}

fn build(sec: &Section) -> Result<Arc<dyn RouterSpec>, ConfigError> {
    let table_size = sec.checked(
        "table_size",
        Some(DEFAULT_TABLE_SIZE),
        |m: &u32| (3..=MAX_TABLE_SIZE).contains(m) && is_prime(*m),
        &format!("a prime number of slots from 3 to {MAX_TABLE_SIZE}, like 65537 or 4099"),
    )?;
    Ok(Arc::new(Maglev { table_size }))
}

#[derive(Clone, Debug)]
pub struct Maglev {
    pub table_size: u32,
}

impl RouterSpec for Maglev {
    fn build(&self, servers: u32, _keys: u32) -> Box<dyn Router> {
        Box::new(MaglevRouter {
            table_size: self.table_size,
            table: Vec::new(),
            built_for: None,
            seen: vec![false; servers as usize],
        })
    }

    fn describe(&self) -> String {
        format!("{{ kind = \"maglev\", table_size = {} }}", self.table_size)
    }
}

/// Fills a table of `m` slots for `servers` (Eisenbud et al. 2016, pseudocode 1).
pub fn populate(servers: &[u32], m: u32) -> Vec<u32> {
    const EMPTY: u32 = u32::MAX;
    if servers.is_empty() {
        return Vec::new();
    }
    let m64 = u64::from(m);
    // Each server's current preferred slot and its step through its permutation.
    let mut cursor: Vec<(u64, u64)> = servers
        .iter()
        .map(|&s| {
            let offset = hash::pair(hash::MAGLEV_OFFSET, u64::from(s), 0) % m64;
            let skip = hash::pair(hash::MAGLEV_SKIP, u64::from(s), 0) % (m64 - 1) + 1;
            (offset, skip)
        })
        .collect();
    let mut table = vec![EMPTY; m as usize];
    let mut filled = 0u32;
    loop {
        for (i, &server) in servers.iter().enumerate() {
            let (slot, skip) = &mut cursor[i];
            while table[*slot as usize] != EMPTY {
                *slot = (*slot + *skip) % m64;
            }
            table[*slot as usize] = server;
            *slot = (*slot + *skip) % m64;
            filled += 1;
            if filled == m {
                return table;
            }
        }
    }
}

struct MaglevRouter {
    table_size: u32,
    table: Vec<u32>,
    /// The view version the table was built for.
    built_for: Option<u64>,
    seen: Vec<bool>,
}

impl MaglevRouter {
    fn refresh(&mut self, view: &ClusterView) {
        if self.built_for != Some(view.version()) {
            self.table = populate(view.alive(), self.table_size);
            self.built_for = Some(view.version());
        }
    }

    fn slot(&self, key: u32) -> usize {
        (hash::key(key) % u64::from(self.table_size)) as usize
    }
}

impl Router for MaglevRouter {
    fn route(&mut self, input: &RouteInput, view: &ClusterView, _rng: &mut SimRng) -> Option<u32> {
        self.refresh(view);
        if self.table.is_empty() {
            return None;
        }
        let slot = self.slot(input.key);
        if input.previous.is_none() {
            return Some(self.table[slot]);
        }
        let (tail, head) = self.table.split_at(slot);
        hash::choose(
            head.iter().chain(tail).copied(),
            input.previous,
            |s| !view.is_suspected(s),
            &mut self.seen,
        )
    }

    fn key_owner(&mut self, key: u32, view: &ClusterView) -> Option<u32> {
        self.refresh(view);
        let slot = self.slot(key);
        self.table.get(slot).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route::testing::{moved_by_removal, route_first};

    #[test]
    fn every_server_owns_m_over_n_slots_to_within_one() {
        // The servers claim slots in turns, one per turn, until the table is full.
        let m = 65_537u32;
        for n in [1u32, 3, 10, 64] {
            let servers: Vec<u32> = (0..n).collect();
            let table = populate(&servers, m);
            let mut owned = vec![0u32; n as usize];
            for s in &table {
                owned[*s as usize] += 1;
            }
            let (lo, hi) = (m / n, m.div_ceil(n));
            assert!(
                owned.iter().all(|o| (lo..=hi).contains(o)),
                "n {n}: {owned:?}"
            );
        }
    }

    #[test]
    fn removing_one_of_n_servers_moves_its_keys_and_few_others() {
        // The removed server owned M/n slots to within one, so its keys are a
        // Binomial(K, 1/n) share: allow 5 sd. Between survivors some slots change hands
        // (module doc); Maglev has no exact bound for this, Eisenbud et al. measure it.
        // We pin what makes it usable: with M >> n the churn between survivors is small
        // (under 1% at the default M = 65537 for n = 10, against 90% for modulo-N, whose
        // (n - 1)/n is derived in its module) and it falls as the table grows (at least
        // halving for each step 101 -> 4099 -> 65537; measured about 9x and 4x).
        let (n, keys) = (10u32, 100_000u32);
        let p = 1.0 / f64::from(n);
        let sd = (p * (1.0 - p) / f64::from(keys)).sqrt();
        let mut churn = Vec::new();
        for table_size in [101, 4099, DEFAULT_TABLE_SIZE] {
            let m = moved_by_removal(&Maglev { table_size }, n, keys, 3);
            assert!(m.moved >= m.removed_share);
            churn.push(m.moved_between_survivors);
            if table_size == DEFAULT_TABLE_SIZE {
                assert!((m.removed_share - p).abs() < 5.0 * sd, "{m:?}");
                assert!(m.moved_between_survivors < 0.01, "{m:?}");
            }
        }
        for w in churn.windows(2) {
            assert!(w[1] < w[0] / 2.0, "churn by table size: {churn:?}");
        }
    }

    #[test]
    fn a_retry_takes_the_next_distinct_server_in_the_table() {
        let mut r = Maglev { table_size: 101 }.build(4, 10);
        let view = ClusterView::new(4);
        let table = populate(&[0, 1, 2, 3], 101);
        let slot = (hash::key(5) % 101) as usize;
        let owner = table[slot];
        assert_eq!(route_first(r.as_mut(), 5, None, &view), owner);
        let next = (1..101)
            .map(|i| table[(slot + i) % 101])
            .find(|&s| s != owner)
            .unwrap();
        assert_eq!(route_first(r.as_mut(), 5, Some(owner), &view), next);
    }

    #[test]
    fn table_size_must_be_prime() {
        assert!(is_prime(65_537) && is_prime(4099) && is_prime(3));
        assert!(!is_prime(65_536) && !is_prime(1) && !is_prime(4097));
    }
}
