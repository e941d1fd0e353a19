//! Fixed 64-bit hashes for placement by key, and the failover walk the hashed routers
//! share.
//!
//! The hashes are pure functions of their arguments built on the SplitMix64 mixer
//! (Steele, Lea and Flood 2014): integer arithmetic only, so every platform, process and
//! run places a key on the same server. Each use has its own domain constant, so a key's
//! ring position, its rendezvous weights and a server's Maglev permutation are unrelated.

use sim_core::engine::rng::splitmix64;

/// Domains separating the uses of [`pair`].
pub const KEY: u64 = 0x6b65_795f_6861_7368;
pub const RING_POINT: u64 = 0x7269_6e67_706f_696e;
pub const RENDEZVOUS: u64 = 0x7265_6e64_657a_766f;
pub const MAGLEV_OFFSET: u64 = 0x6d61_676c_6576_6f66;
pub const MAGLEV_SKIP: u64 = 0x6d61_676c_6576_736b;
pub const REHASH: u64 = 0x7265_6861_7368_6b79;

/// One SplitMix64 step from `x`: a bijection of 64-bit words with full avalanche.
#[inline]
pub fn mix(x: u64) -> u64 {
    let mut state = x;
    splitmix64(&mut state)
}

/// The hash of a request key: its position on rings and tables.
#[inline]
pub fn key(key: u32) -> u64 {
    mix(u64::from(key) ^ KEY)
}

/// The hash of a pair of words in `domain`.
#[inline]
pub fn pair(domain: u64, a: u64, b: u64) -> u64 {
    mix(mix(a ^ domain) ^ b)
}

/// Scratch space for [`choose`]: which servers one call has met. Each call marks with a
/// number of its own, so nothing needs clearing between calls and nothing is allocated.
#[derive(Clone, Debug, Default)]
pub struct Seen {
    marks: Vec<u32>,
    call: u32,
}

impl Seen {
    pub fn new(servers: u32) -> Self {
        Seen {
            marks: vec![0; servers as usize],
            call: 0,
        }
    }

    fn begin(&mut self) {
        self.call = self.call.wrapping_add(1);
        if self.call == 0 {
            self.marks.fill(0);
            self.call = 1;
        }
    }

    /// Marks `server`; returns whether this call had met it already.
    fn mark(&mut self, server: u32) -> bool {
        let i = server as usize;
        if i >= self.marks.len() {
            self.marks.resize(i + 1, 0);
        }
        let met = self.marks[i] == self.call;
        self.marks[i] = self.call;
        met
    }
}

/// Chooses among a key's servers listed in preference order (repeats allowed), the way
/// every hashed router fails over:
///
/// - a first attempt takes the first acceptable server;
/// - a retry, which avoids `previous`, takes the first acceptable server listed after
///   `previous`'s first appearance, so that successive retries walk down the key's
///   replicas; when none is listed after it, the first acceptable one before it; when
///   `previous` is not listed at all, the first acceptable server;
/// - `previous` itself only when it is the one acceptable server left.
pub fn choose(
    order: impl Iterator<Item = u32>,
    previous: Option<u32>,
    acceptable: impl Fn(u32) -> bool,
    seen: &mut Seen,
) -> Option<u32> {
    let Some(previous) = previous else {
        let mut order = order;
        return order.find(|&s| acceptable(s));
    };
    seen.begin();
    let mut before = None;
    let mut after_previous = false;
    let mut chosen = None;
    for s in order {
        if seen.mark(s) {
            continue;
        }
        if s == previous {
            after_previous = true;
        } else if acceptable(s) {
            if after_previous {
                chosen = Some(s);
                break;
            }
            before.get_or_insert(s);
        }
    }
    chosen
        .or(before)
        .or_else(|| acceptable(previous).then_some(previous))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_pinned() {
        // Placement must not change between builds or platforms: these are the values of
        // the SplitMix64-based definitions above, computed once.
        assert_eq!(mix(0), 0xe220_a839_7b1d_cdaf);
        assert_eq!(key(0), mix(KEY));
        assert_eq!(pair(RING_POINT, 3, 7), mix(mix(3 ^ RING_POINT) ^ 7));
        assert_ne!(pair(RING_POINT, 3, 7), pair(RENDEZVOUS, 3, 7));
    }

    #[test]
    fn failover_walks_down_the_preference_order() {
        let mut seen = Seen::new(5);
        let order = [2u32, 2, 4, 0, 4, 1, 3];
        let all = |_: u32| true;
        let pick = |prev: Option<u32>, ok: &dyn Fn(u32) -> bool, seen: &mut Seen| {
            choose(order.iter().copied(), prev, ok, seen)
        };
        assert_eq!(pick(None, &all, &mut seen), Some(2));
        assert_eq!(pick(Some(2), &all, &mut seen), Some(4));
        assert_eq!(pick(Some(4), &all, &mut seen), Some(0));
        assert_eq!(
            pick(Some(3), &all, &mut seen),
            Some(2),
            "wraps to the front"
        );
        let not_0 = |s: u32| s != 0;
        assert_eq!(pick(Some(4), &not_0, &mut seen), Some(1));
        let only_4 = |s: u32| s == 4;
        assert_eq!(pick(Some(4), &only_4, &mut seen), Some(4));
        let none = |_: u32| false;
        assert_eq!(pick(Some(4), &none, &mut seen), None);
        // A scratch that has come round to its first mark again still starts clean.
        seen.call = u32::MAX;
        assert_eq!(pick(Some(2), &all, &mut seen), Some(4));
        assert_eq!(seen.call, 1);
    }
}
