//! Jitter, as defined in Marc Brooker's "Exponential Backoff and Jitter" (AWS Architecture
//! Blog, 2015): with `temp` the backoff without jitter, *none* waits `temp`, *full* waits
//! `random_between(0, temp)`, *equal* waits `temp / 2 + random_between(0, temp / 2)`, and
//! *decorrelated* waits `min(cap, random_between(base, previous * 3))`, starting from
//! `previous = base`. Draws are uniform over whole nanoseconds, both ends included.

use rand::RngExt;
use sim_core::SimDuration;
use sim_core::engine::rng::SimRng;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Jitter {
    None,
    Full,
    Equal,
    Decorrelated,
}

impl Jitter {
    pub fn name(self) -> &'static str {
        match self {
            Jitter::None => "none",
            Jitter::Full => "full",
            Jitter::Equal => "equal",
            Jitter::Decorrelated => "decorrelated",
        }
    }

    /// Reads `jitter`, one of `allowed` (names), defaulting to `default`.
    /// The jitter named `name` (one of the names of [`SIMPLE`] or [`ALL`]).
    pub fn from_name(name: &str) -> Jitter {
        *ALL.iter()
            .find(|j| j.name() == name)
            .unwrap_or_else(|| panic!("no jitter {name}"))
    }

    /// Applies none, full or equal jitter to the backoff `temp`. Decorrelated jitter
    /// depends on the previous backoff and is computed by the policy itself.
    pub fn spread(self, temp: SimDuration, rng: &mut SimRng) -> SimDuration {
        match self {
            Jitter::None => temp,
            Jitter::Full => uniform(SimDuration::ZERO, temp, rng),
            Jitter::Equal => uniform(SimDuration(temp.0 / 2), temp, rng),
            Jitter::Decorrelated => unreachable!("decorrelated jitter is drawn by its policy"),
        }
    }
}

/// The jitters that apply to any backoff (decorrelated is tied to exponential growth).
pub const SIMPLE: [Jitter; 3] = [Jitter::None, Jitter::Full, Jitter::Equal];

/// Every jitter.
pub const ALL: [Jitter; 4] = [
    Jitter::None,
    Jitter::Full,
    Jitter::Equal,
    Jitter::Decorrelated,
];

/// The names of [`SIMPLE`], for parameter tables.
pub const SIMPLE_NAMES: &[&str] = &["none", "full", "equal"];

/// The names of [`ALL`].
pub const ALL_NAMES: &[&str] = &["none", "full", "equal", "decorrelated"];

/// A duration drawn uniformly from `[lo, hi]` in whole nanoseconds (`lo <= hi`).
pub fn uniform(lo: SimDuration, hi: SimDuration, rng: &mut SimRng) -> SimDuration {
    debug_assert!(lo <= hi);
    if lo == hi {
        lo
    } else {
        SimDuration(rng.random_range(lo.0..=hi.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::engine::rng::{Purpose, RngFactory};

    #[test]
    fn full_and_equal_jitter_cover_their_ranges_uniformly() {
        let mut rng = RngFactory::new(3).stream(Purpose::Retry, 0);
        let temp = SimDuration::from_millis(100);
        let n = 20_000;
        let mean = |j: Jitter, rng: &mut SimRng| {
            let draws: Vec<u64> = (0..n).map(|_| j.spread(temp, rng).0).collect();
            let (lo, hi) = (*draws.iter().min().unwrap(), *draws.iter().max().unwrap());
            (draws.iter().sum::<u64>() as f64 / n as f64 / 1e6, lo, hi)
        };
        // Full: U[0, 100ms], mean 50 ms, sd 100/sqrt(12) = 28.9 ms; the mean of 20 000
        // draws has sd 0.204 ms: allow 4 sd.
        let (m, lo, hi) = mean(Jitter::Full, &mut rng);
        assert!((m - 50.0).abs() < 4.0 * 0.204, "{m}");
        assert!(hi <= temp.0 && lo < 1_000_000);
        // Equal: U[50, 100ms], mean 75 ms, sd 14.4 ms; mean sd 0.102 ms.
        let (m, lo, hi) = mean(Jitter::Equal, &mut rng);
        assert!((m - 75.0).abs() < 4.0 * 0.102, "{m}");
        assert!(lo >= 50_000_000 && hi <= temp.0);
        assert_eq!(Jitter::None.spread(temp, &mut rng), temp);
    }
}
