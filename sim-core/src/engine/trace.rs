//! The trace hash: a 64-bit fingerprint for "did these two runs do exactly the same
//! thing". Whoever schedules an event packs its kind and fields into a few 64-bit words
//! and folds them into a digest ([`TraceHasher::fold`]); in processing order,
//! each processed event's time and digest are folded into two lanes (time into one, digest
//! into the other, so the two multiply chains run in parallel) with a multiply-rotate
//! mixer, and a SplitMix64 finaliser combines the lanes. It is stable across platforms and
//! thread counts. What a run's trace writes besides the hash is the model's
//! ([`crate::model::trace`]).

/// Streaming 64-bit hash of a sequence of words.
#[derive(Clone, Debug)]
pub struct TraceHasher {
    lanes: [u64; 2],
}

impl Default for TraceHasher {
    fn default() -> Self {
        TraceHasher {
            lanes: [0x243F_6A88_85A3_08D3, 0x1319_8A2E_0370_7344],
        }
    }
}

const MIX: u64 = 0x9E37_79B9_7F4A_7C15;

#[inline(always)]
fn absorb(lane: u64, w: u64) -> u64 {
    (lane ^ w).wrapping_mul(MIX).rotate_left(29)
}

impl TraceHasher {
    /// Folds one word into the first lane.
    #[inline]
    pub fn word(&mut self, w: u64) {
        self.lanes[0] = absorb(self.lanes[0], w);
    }

    /// Folds words pairwise into the two lanes; an odd last word goes to the first lane.
    #[inline]
    pub fn words(&mut self, ws: &[u64]) {
        let [mut a, mut b] = self.lanes;
        let mut pairs = ws.chunks_exact(2);
        for pair in &mut pairs {
            a = absorb(a, pair[0]);
            b = absorb(b, pair[1]);
        }
        if let [last] = pairs.remainder() {
            a = absorb(a, *last);
        }
        self.lanes = [a, b];
    }

    /// The two lanes folded into one word, without finalising: a digest to be folded into
    /// another hash.
    #[inline(always)]
    pub fn fold(&self) -> u64 {
        (self.lanes[0] ^ self.lanes[1].rotate_left(32)).wrapping_mul(MIX)
    }

    pub fn finish(&self) -> u64 {
        let mut s = self.lanes[0] ^ self.lanes[1].rotate_left(32).wrapping_mul(MIX);
        crate::engine::rng::splitmix64(&mut s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_depends_on_order_and_content() {
        let mut a = TraceHasher::default();
        a.words(&[1, 2, 3]);
        let mut b = TraceHasher::default();
        b.words(&[1, 2, 3]);
        let mut c = TraceHasher::default();
        c.words(&[3, 2, 1]);
        let mut d = TraceHasher::default();
        d.words(&[1, 2, 4]);
        assert_eq!(a.finish(), b.finish());
        assert_ne!(a.finish(), c.finish());
        assert_ne!(a.finish(), d.finish());
    }
}
