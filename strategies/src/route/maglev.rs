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
//! costs O(M log M) and M x 4 bytes per client. Each client keeps the tables of the last
//! views it routed with (up to 8 tables and 4 MiB), so a detector flapping between a few
//! views reuses its tables rather than refilling one at every change.
//!
//! Failover: a retry walks the table from the key's slot and takes the next distinct
//! server after the previous one.

use crate::params::{Param, Params};
use crate::registry::{Builder, Family, Kind};
use crate::route::hash;
use sim_core::config::ConfigError;
use sim_core::engine::rng::SimRng;
use sim_core::strategy::{ClusterView, KeyPlacement, RouteInput, Router, RouterSpec};
use std::sync::Arc;

pub const DEFAULT_TABLE_SIZE: u32 = 65_537;
/// Largest table accepted: 64 MiB of slots per client.
const MAX_TABLE_SIZE: u32 = 16_777_213;

pub const KIND: Kind = Kind {
    family: Family::Routing,
    name: "maglev",
    summary: "Maglev lookup table over the unsuspected servers, rebuilt when the view changes",
    params: &[&[Param::int32(
        "table_size",
        DEFAULT_TABLE_SIZE,
        "slots M, a prime much larger than the servers (M > 100 n keeps imbalance < 1%)",
        "slots",
    )
    .check(
        |v| (3..=u64::from(MAX_TABLE_SIZE)).contains(&v.int()) && is_prime(v.int() as u32),
        "a prime number of slots from 3 to 16777213, like 65537 or 4099",
    )]],
    build: Builder::Routing(build),
};

fn is_prime(m: u32) -> bool {
    if m < 2 {
        return false;
    }
    let m = u64::from(m);
    (2..).take_while(|d| d * d <= m).all(|d| m % d != 0)
}

fn build(p: &mut Params) -> Result<Arc<dyn RouterSpec>, ConfigError> {
    Ok(Arc::new(Maglev {
        table_size: p.int32("table_size"),
        description: p.describe(),
    }))
}

#[derive(Clone, Debug)]
pub struct Maglev {
    pub table_size: u32,
    pub description: String,
}

impl RouterSpec for Maglev {
    fn build(&self, servers: u32, _keys: u32) -> Box<dyn Router> {
        Box::new(MaglevRouter {
            table_size: self.table_size,
            table: Vec::new(),
            built_for: None,
            covers: Vec::new(),
            cached: Vec::new(),
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

/// Fills a table of `m` slots for `servers` (Eisenbud et al. 2016, pseudocode 1).
pub fn populate(servers: &[u32], m: u32) -> Vec<u32> {
    const EMPTY: u32 = u32::MAX;
    if servers.is_empty() {
        return Vec::new();
    }
    let m64 = u64::from(m);
    // Each server's current preferred slot and its step through its permutation, both
    // below m: stepping is an addition and at most one subtraction (m < 2^31).
    let mut cursor: Vec<(u32, u32)> = servers
        .iter()
        .map(|&s| {
            let offset = hash::pair(hash::MAGLEV_OFFSET, u64::from(s), 0) % m64;
            let skip = hash::pair(hash::MAGLEV_SKIP, u64::from(s), 0) % (m64 - 1) + 1;
            (offset as u32, skip as u32)
        })
        .collect();
    let step = |slot: u32, skip: u32| {
        let next = slot + skip;
        if next >= m { next - m } else { next }
    };
    let mut table = vec![EMPTY; m as usize];
    let mut filled = 0u32;
    loop {
        for (&server, (slot, skip)) in servers.iter().zip(&mut cursor) {
            while table[*slot as usize] != EMPTY {
                *slot = step(*slot, *skip);
            }
            table[*slot as usize] = server;
            *slot = step(*slot, *skip);
            filled += 1;
            if filled == m {
                return table;
            }
        }
    }
}

/// Tables kept for the views seen last, so that a detector that flaps between a few
/// views, or a retry that masks the servers it tried, does not refill a table each time:
/// at most this many, and at most `CACHE_BYTES` of them per client.
const CACHED_TABLES: usize = 8;
const CACHE_BYTES: usize = 4 << 20;

struct MaglevRouter {
    table_size: u32,
    table: Vec<u32>,
    /// The view version the table was last checked against.
    built_for: Option<u64>,
    /// The servers `table` covers, in the view's order (the order of turns).
    covers: Vec<u32>,
    /// Earlier tables with the servers each covers, the most recently used first.
    cached: Vec<(Vec<u32>, Vec<u32>)>,
    seen: hash::Seen,
}

impl MaglevRouter {
    fn refresh(&mut self, view: &ClusterView) {
        if self.built_for == Some(view.version()) {
            return;
        }
        self.built_for = Some(view.version());
        let alive = view.alive();
        if self.covers == alive {
            return;
        }
        let table = match self.cached.iter().position(|(covers, _)| covers == alive) {
            Some(i) => self.cached.remove(i).1,
            None => populate(alive, self.table_size),
        };
        let old = std::mem::replace(&mut self.table, table);
        let covered = std::mem::replace(&mut self.covers, alive.to_vec());
        let capacity = CACHED_TABLES.min(CACHE_BYTES / (self.table_size as usize * 4));
        if !old.is_empty() && capacity > 0 {
            self.cached.insert(0, (covered, old));
            self.cached.truncate(capacity);
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
            let m = moved_by_removal(
                &Maglev {
                    description: String::new(),
                    table_size,
                },
                n,
                keys,
                3,
            );
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
        let mut r = Maglev {
            description: String::new(),
            table_size: 101,
        }
        .build(4, 10);
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
    fn stepping_without_division_fills_the_pseudocode_table() {
        // Eisenbud et al.'s pseudocode 1 as written, with a modulo at every step.
        fn reference(servers: &[u32], m: u32) -> Vec<u32> {
            let m = u64::from(m);
            let perm: Vec<(u64, u64)> = servers
                .iter()
                .map(|&s| {
                    let offset = hash::pair(hash::MAGLEV_OFFSET, u64::from(s), 0) % m;
                    let skip = hash::pair(hash::MAGLEV_SKIP, u64::from(s), 0) % (m - 1) + 1;
                    (offset, skip)
                })
                .collect();
            let mut next = vec![0u64; servers.len()];
            let mut table = vec![u32::MAX; m as usize];
            let mut filled = 0;
            loop {
                for (i, &s) in servers.iter().enumerate() {
                    let (offset, skip) = perm[i];
                    let mut c = (offset + next[i] * skip) % m;
                    while table[c as usize] != u32::MAX {
                        next[i] += 1;
                        c = (offset + next[i] * skip) % m;
                    }
                    table[c as usize] = s;
                    next[i] += 1;
                    filled += 1;
                    if filled == m {
                        return table;
                    }
                }
            }
        }
        for (servers, m) in [
            (vec![0u32, 1, 2, 3], 101u32),
            (vec![2, 5, 7], 4099),
            ((0..10).collect(), DEFAULT_TABLE_SIZE),
        ] {
            assert_eq!(populate(&servers, m), reference(&servers, m), "m {m}");
        }
    }

    #[test]
    fn a_view_seen_before_routes_as_a_fresh_table_would() {
        // A detector flapping on servers 0 to 3 in turn: the full view and each view
        // without one of them come back again and again, and the tables kept for them
        // must route exactly as tables filled anew.
        let m = 4099;
        let mut r = Maglev {
            description: String::new(),
            table_size: m,
        }
        .build(10, 1000);
        let mut view = ClusterView::new(10);
        for round in 0..40u32 {
            let (s, suspect) = ((round / 2) % 4, round % 2 == 0);
            view.set_suspected(s, suspect);
            let table = populate(view.alive(), m);
            for key in 0..200 {
                let expected = table[(hash::key(key) % u64::from(m)) as usize];
                assert_eq!(
                    route_first(r.as_mut(), key, None, &view),
                    expected,
                    "round {round}, key {key}"
                );
            }
        }
    }

    #[test]
    fn table_size_must_be_prime() {
        assert!(is_prime(65_537) && is_prime(4099) && is_prime(3));
        assert!(!is_prime(65_536) && !is_prime(1) && !is_prime(4097));
    }
}
