//! Which key a request reads or writes: uniform over `workload.keys.count`, or Zipf
//! popularity (key 0 the most popular), drawn from the client's request stream.

use crate::config::scenario::Popularity;
use crate::engine::rng::SimRng;
use rand::RngExt;
use rand_distr::{Distribution, Zipf};

/// Draws keys by popularity.
pub(super) enum KeySampler {
    Uniform(u32),
    Zipf(Zipf<f64>),
}

impl KeySampler {
    pub(super) fn new(count: u32, popularity: &Popularity) -> Self {
        match popularity {
            Popularity::Uniform => KeySampler::Uniform(count),
            Popularity::Zipf { s } => KeySampler::Zipf(
                Zipf::new(f64::from(count), *s).expect("validated zipf parameters"),
            ),
        }
    }

    #[inline]
    pub(super) fn sample(&self, rng: &mut SimRng) -> u32 {
        match self {
            KeySampler::Uniform(1) => 0,
            KeySampler::Uniform(n) => rng.random_range(0..*n),
            // Zipf draws ranks 1..=n; rank 1 is the most popular key, key 0.
            KeySampler::Zipf(z) => z.sample(rng) as u32 - 1,
        }
    }
}
