//! Records by key, for the per-key state of servers and of the ledger: found in O(1)
//! through a hash index, kept in a vector in the order their keys first appeared, and
//! visited in key order where the order can matter.
//!
//! Memory is one record and one index entry per key held, however large the key space.
//! The index is only ever looked up, never iterated, so its order never reaches a run;
//! its hash is a fixed function of the key (no random seed).
//!
//! A `BTreeMap` did this before; its lookups were a quarter of the time of runs with
//! replicated state (see BENCHMARKS.md).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Hashes a `u32` key with the splitmix64 finalizer: every input bit moves every output
/// bit, so dense and strided key sets spread over the table alike.
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }

    fn write_u32(&mut self, key: u32) {
        self.0 = u64::from(key);
    }
}

#[derive(Clone, Debug)]
pub struct KeyMap<V> {
    index: HashMap<u32, u32, BuildHasherDefault<KeyHasher>>,
    keys: Vec<u32>,
    records: Vec<V>,
}

impl<V> Default for KeyMap<V> {
    fn default() -> Self {
        KeyMap {
            index: HashMap::default(),
            keys: Vec::new(),
            records: Vec::new(),
        }
    }
}

impl<V: Default> KeyMap<V> {
    /// The record of `key`, created empty if the key has none yet.
    #[inline]
    pub fn entry(&mut self, key: u32) -> &mut V {
        let next = self.records.len();
        let i = *self
            .index
            .entry(key)
            .or_insert_with(|| u32::try_from(next).expect("fewer than 2^32 keys"))
            as usize;
        if i == next {
            self.keys.push(key);
            self.records.push(V::default());
        }
        &mut self.records[i]
    }
}

impl<V> KeyMap<V> {
    #[inline]
    pub fn get(&self, key: u32) -> Option<&V> {
        let &i = self.index.get(&key)?;
        Some(&self.records[i as usize])
    }

    /// Keys with a record.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Every record, in no particular order (that of first appearance): for updates of
    /// each record on its own and for sums, which no order changes.
    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.records.iter()
    }

    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.records.iter_mut()
    }

    /// The keys with a record, in key order.
    pub fn sorted_keys(&self) -> Vec<u32> {
        let mut keys = self.keys.clone();
        keys.sort_unstable();
        keys
    }

    /// Visits every key and its record in key order.
    pub fn for_each_in_key_order(&mut self, mut f: impl FnMut(u32, &mut V)) {
        let mut order: Vec<u32> = (0..self.keys.len() as u32).collect();
        order.sort_unstable_by_key(|&i| self.keys[i as usize]);
        for i in order {
            f(self.keys[i as usize], &mut self.records[i as usize]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_each_record_and_visits_them_in_key_order() {
        let mut m: KeyMap<u64> = KeyMap::default();
        // Keys spread over the whole u32 range, inserted out of order, some twice.
        let keys: Vec<u32> = (0..5000u32)
            .map(|i| i.wrapping_mul(2_654_435_761))
            .collect();
        for &k in keys.iter().rev() {
            *m.entry(k) += u64::from(k);
        }
        for &k in &keys[..100] {
            *m.entry(k) += 1;
        }
        assert_eq!(m.len(), keys.len());
        for (i, &k) in keys.iter().enumerate() {
            let extra = u64::from(i < 100);
            assert_eq!(m.get(k), Some(&(u64::from(k) + extra)));
        }
        assert_eq!(m.get(7), None);
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        assert_eq!(m.sorted_keys(), sorted);
        let mut visited = Vec::new();
        m.for_each_in_key_order(|k, v| visited.push((k, *v)));
        assert!(visited.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(visited.len(), keys.len());
    }
}
