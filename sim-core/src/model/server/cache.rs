//! A server's key cache: least-recently-used eviction over at most `size` keys.
//!
//! Memory is bounded by `size` whatever the number of keys or requests. Every operation is
//! O(1) and deterministic: the victim is always the key touched longest ago, and the
//! index is a hash map with a fixed hasher, only ever looked up, never iterated.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

const NONE: u32 = u32::MAX;

/// One cached key and its neighbours in recency order.
#[derive(Clone, Copy, Debug)]
struct Entry {
    key: u32,
    /// Towards the most recently used end.
    newer: u32,
    /// Towards the least recently used end.
    older: u32,
}

/// An LRU set of keys.
#[derive(Clone, Debug)]
pub struct KeyCache {
    size: usize,
    entries: Vec<Entry>,
    index: HashMap<u32, u32, BuildHasherDefault<KeyHasher>>,
    /// Most recently used entry.
    newest: u32,
    /// Least recently used entry: the next victim.
    oldest: u32,
}

impl KeyCache {
    /// An empty cache holding at most `size` keys (at least 1).
    pub fn new(size: u32) -> Self {
        let size = size.max(1) as usize;
        KeyCache {
            size,
            entries: Vec::new(),
            index: HashMap::default(),
            newest: NONE,
            oldest: NONE,
        }
    }

    /// Keys held now.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Looks `key` up and makes it the most recently used: returns whether it was cached.
    /// A missing key is inserted, evicting the least recently used key when full.
    pub fn access(&mut self, key: u32) -> bool {
        if let Some(&slot) = self.index.get(&key) {
            self.unlink(slot);
            self.push_newest(slot);
            return true;
        }
        let slot = if self.entries.len() < self.size {
            self.entries.push(Entry {
                key,
                newer: NONE,
                older: NONE,
            });
            (self.entries.len() - 1) as u32
        } else {
            let victim = self.oldest;
            self.unlink(victim);
            let old_key = self.entries[victim as usize].key;
            self.index.remove(&old_key);
            self.entries[victim as usize].key = key;
            victim
        };
        self.index.insert(key, slot);
        self.push_newest(slot);
        false
    }

    /// Forgets every key (a crashed server loses its memory).
    pub fn clear(&mut self) {
        self.entries.clear();
        self.index.clear();
        self.newest = NONE;
        self.oldest = NONE;
    }

    fn unlink(&mut self, slot: u32) {
        let Entry { newer, older, .. } = self.entries[slot as usize];
        match newer {
            NONE => self.newest = older,
            n => self.entries[n as usize].older = older,
        }
        match older {
            NONE => self.oldest = newer,
            o => self.entries[o as usize].newer = newer,
        }
    }

    fn push_newest(&mut self, slot: u32) {
        let previous = self.newest;
        let e = &mut self.entries[slot as usize];
        e.newer = NONE;
        e.older = previous;
        match previous {
            NONE => self.oldest = slot,
            p => self.entries[p as usize].newer = slot,
        }
        self.newest = slot;
    }
}

/// A fixed hasher for `u32` keys (the SplitMix64 finaliser), so that the index behaves
/// the same in every process.
#[derive(Clone, Copy, Debug, Default)]
pub struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        let mut state = self.0;
        crate::engine::rng::splitmix64(&mut state)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8 | u64::from(b)).rotate_left(5);
        }
    }

    fn write_u32(&mut self, x: u32) {
        self.0 = (self.0 << 32) ^ u64::from(x);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::{Purpose, RngFactory};
    use rand::RngExt;

    #[test]
    fn evicts_the_least_recently_used_key() {
        let mut c = KeyCache::new(3);
        assert!(!c.access(1));
        assert!(!c.access(2));
        assert!(!c.access(3));
        assert!(c.access(1)); // order, oldest first: 2 3 1
        assert!(!c.access(4)); // evicts 2
        assert_eq!(c.len(), 3);
        assert!(!c.access(2)); // evicts 3
        assert!(c.access(1));
        assert!(c.access(4));
        assert!(!c.access(3)); // evicts 2, the oldest of 2 1 4
        assert!(c.access(1));
        c.clear();
        assert!(c.is_empty());
        assert!(!c.access(1), "a cleared cache remembers nothing");
    }

    #[test]
    fn uniform_keys_hit_in_proportion_to_the_cache_size() {
        // Independent uniform references over K keys: a full cache of C keys holds the
        // next key with probability C / K whatever the policy (the references carry no
        // memory), so LRU hits exactly C / K in the long run. Hits over m references are
        // then a sum of Bernoulli(C / K) draws: sd sqrt(m p (1 - p)); allow 5 sd.
        let (k, c, m) = (1000u32, 250u32, 200_000u32);
        let mut cache = KeyCache::new(c);
        let mut rng = RngFactory::new(5).stream(Purpose::Requests, 0);
        for _ in 0..10 * k {
            cache.access(rng.random_range(0..k));
        }
        let hits = (0..m)
            .filter(|_| cache.access(rng.random_range(0..k)))
            .count() as f64;
        let p = f64::from(c) / f64::from(k);
        let sd = (f64::from(m) * p * (1.0 - p)).sqrt();
        assert!(
            (hits - f64::from(m) * p).abs() < 5.0 * sd,
            "hits {hits} vs {}",
            f64::from(m) * p
        );
        assert_eq!(cache.len(), c as usize, "memory stays at the cache size");
    }
}
