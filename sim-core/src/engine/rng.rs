//! Seeded random streams, one per purpose and entity.
//!
//! Every random draw of a run comes from a ChaCha8 stream keyed by the run seed and
//! numbered by `(purpose, entity)`. Streams are independent of each other, so two
//! strategies run on the same seed see the same arrivals and the same faults (common
//! random numbers), and adding a server adds streams without shifting anyone's draws.
//! ChaCha8 passes the statistical batteries (BigCrush, PractRand) and is the fastest
//! member of the family; it is deterministic across platforms.

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;

/// The generator every stream uses.
pub type SimRng = ChaCha8Rng;

/// What a stream is for. The numbers are part of the determinism promise: changing one
/// changes every run's results, so new purposes get new numbers.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u32)]
pub enum Purpose {
    /// Inter-arrival times of an open-loop client, or think times of a closed-loop one.
    Arrivals = 1,
    /// Per-client request contents: key and service demand, drawn at creation.
    Requests = 2,
    /// Per-sender network delay and loss draws.
    Network = 3,
    /// Per-server crash and recovery times.
    Faults = 4,
    /// Per-server heartbeat phase.
    Heartbeats = 5,
    /// Routing decisions (one stream per client).
    Routing = 6,
    /// Retry and backoff decisions (one stream per client).
    Retry = 7,
    /// Failure-detector randomness (one stream per detecting node).
    Detector = 8,
    /// Scripted-fault draws (one stream per scripted fault).
    Scripted = 9,
    /// Server-side randomness of strategies (one stream per server).
    ServerStrategy = 10,
    /// State and replication decisions (one stream per server).
    State = 11,
    /// Service demands of retries and hedges, with `cluster.service_per = "attempt"`
    /// (one stream per client).
    AttemptService = 12,
    /// Whether each request reads or writes (one stream per client), apart from the
    /// request stream so that adding writes leaves keys and demands as they were.
    Writes = 13,
    /// Each client's clock offset (one stream per client).
    Clock = 14,
}

/// Makes the streams of one run.
#[derive(Clone, Debug)]
pub struct RngFactory {
    key: [u8; 32],
}

impl RngFactory {
    pub fn new(run_seed: u64) -> Self {
        let mut key = [0u8; 32];
        let mut state = run_seed;
        for chunk in key.chunks_exact_mut(8) {
            chunk.copy_from_slice(&splitmix64(&mut state).to_le_bytes());
        }
        RngFactory { key }
    }

    /// The stream for `purpose` and `entity` (a server, client or other index).
    pub fn stream(&self, purpose: Purpose, entity: u32) -> SimRng {
        let mut rng = ChaCha8Rng::from_seed(self.key);
        rng.set_stream(((purpose as u64) << 32) | u64::from(entity));
        rng
    }
}

/// One step of SplitMix64 (Steele, Lea, Flood 2014): a bijective mixer used to expand and
/// derive seeds.
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Derives a run seed from the master seed and a path of indices (cell, replication, ...).
/// Distinct paths give unrelated seeds; the same path always gives the same seed.
pub fn derive_seed(master: u64, path: &[u64]) -> u64 {
    let mut state = master;
    let mut out = splitmix64(&mut state);
    for &part in path {
        state ^= out.rotate_left(17) ^ part.wrapping_mul(0xD6E8_FEB8_6659_FD93);
        out = splitmix64(&mut state);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    fn draws(mut rng: SimRng) -> Vec<u64> {
        (0..4).map(|_| rng.random::<u64>()).collect()
    }

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let f = RngFactory::new(42);
        let a = draws(f.stream(Purpose::Arrivals, 0));
        assert_eq!(a, draws(f.stream(Purpose::Arrivals, 0)));
        let c = draws(f.stream(Purpose::Arrivals, 1));
        let d = draws(f.stream(Purpose::Faults, 0));
        assert_ne!(a, c);
        assert_ne!(a, d);
        assert_ne!(c, d);
        assert_ne!(a, draws(RngFactory::new(43).stream(Purpose::Arrivals, 0)));
    }

    #[test]
    fn derived_seeds_depend_on_every_part() {
        let s = derive_seed(1, &[0, 0]);
        assert_eq!(s, derive_seed(1, &[0, 0]));
        assert_ne!(s, derive_seed(1, &[0, 1]));
        assert_ne!(s, derive_seed(1, &[1, 0]));
        assert_ne!(s, derive_seed(2, &[0, 0]));
        assert_ne!(derive_seed(1, &[0]), derive_seed(1, &[0, 0]));
    }

    #[test]
    fn first_draw_is_pinned() {
        // Guards the determinism promise across dependency updates: if this changes,
        // every published seed replays differently.
        let mut r = RngFactory::new(1).stream(Purpose::Arrivals, 0);
        let first: u64 = r.random();
        assert_eq!(first, FIRST_DRAW_SEED1_ARRIVALS0);
    }

    const FIRST_DRAW_SEED1_ARRIVALS0: u64 = 13_212_945_247_756_270_277;
}
