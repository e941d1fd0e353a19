//! The servers a load-aware router may pick for an attempt, and the two ways it picks:
//! the cheapest of a uniform sample (ties broken uniformly at random), or uniform.
//!
//! Candidates are the unsuspected servers, without the previous attempt's server when
//! another one is left, so that a retry fails over.

use rand::RngExt;
use sim_core::engine::rng::SimRng;
use sim_core::strategy::ClusterView;

#[derive(Clone, Copy, Debug)]
pub struct Candidates<'a> {
    alive: &'a [u32],
    /// Position in `alive` of the server left out.
    skip: Option<usize>,
}

impl<'a> Candidates<'a> {
    pub fn new(view: &'a ClusterView, previous: Option<u32>) -> Self {
        let alive = view.alive();
        let skip = match previous {
            Some(p) if alive.len() > 1 => alive.binary_search(&p).ok(),
            _ => None,
        };
        Candidates { alive, skip }
    }

    pub fn len(&self) -> usize {
        self.alive.len() - usize::from(self.skip.is_some())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `i`-th candidate, in index order.
    pub fn get(&self, i: usize) -> u32 {
        match self.skip {
            Some(p) if i >= p => self.alive[i + 1],
            _ => self.alive[i],
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    /// A uniformly random candidate.
    pub fn uniform(&self, rng: &mut SimRng) -> Option<u32> {
        match self.len() {
            0 => None,
            1 => Some(self.get(0)),
            n => Some(self.get(rng.random_range(0..n))),
        }
    }

    /// `d` distinct candidates drawn uniformly without replacement (all of them, in index
    /// order, when there are no more than `d`), into `out`. `scratch` is reused memory.
    pub fn sample(&self, d: usize, rng: &mut SimRng, scratch: &mut Vec<usize>, out: &mut Vec<u32>) {
        out.clear();
        let n = self.len();
        if d >= n {
            out.extend(self.iter());
            return;
        }
        if 2 * d <= n {
            // Rejection: at most half the candidates are taken, so each draw is new with
            // probability at least 1/2.
            scratch.clear();
            while scratch.len() < d {
                let i = rng.random_range(0..n);
                if !scratch.contains(&i) {
                    scratch.push(i);
                }
            }
        } else {
            // Partial Fisher-Yates shuffle of the positions.
            scratch.clear();
            scratch.extend(0..n);
            for i in 0..d {
                let j = rng.random_range(i..n);
                scratch.swap(i, j);
            }
            scratch.truncate(d);
        }
        out.extend(scratch.iter().map(|&i| self.get(i)));
    }
}

/// The server of least cost among `costs`, ties broken uniformly at random (reservoir
/// sampling: the k-th tie replaces the choice with probability 1/k).
pub fn cheapest<C: PartialOrd + Copy>(
    costs: impl Iterator<Item = (C, u32)>,
    rng: &mut SimRng,
) -> Option<u32> {
    let mut best: Option<(C, u32)> = None;
    let mut ties = 0u32;
    for (cost, server) in costs {
        match best {
            Some((b, _)) if cost > b => {}
            Some((b, _)) if cost == b => {
                ties += 1;
                if rng.random_range(0..ties) == 0 {
                    best = Some((cost, server));
                }
            }
            _ => {
                best = Some((cost, server));
                ties = 1;
            }
        }
    }
    best.map(|(_, s)| s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::engine::rng::{Purpose, RngFactory};

    #[test]
    fn the_previous_server_is_left_out_unless_alone() {
        let mut view = ClusterView::new(5);
        view.set_suspected(1, true);
        let c = Candidates::new(&view, Some(3));
        assert_eq!(c.iter().collect::<Vec<_>>(), vec![0, 2, 4]);
        for s in [0, 2, 4] {
            view.set_suspected(s, true);
        }
        let c = Candidates::new(&view, Some(3));
        assert_eq!(c.iter().collect::<Vec<_>>(), vec![3]);
    }

    #[test]
    fn samples_are_distinct_and_uniform() {
        // Each of n = 6 candidates is in a sample of d = 4 with probability 4/6: over m
        // samples its count is Binomial(m, 2/3); allow 5 sd. Then d = 2 (rejection path).
        let view = ClusterView::new(6);
        let c = Candidates::new(&view, None);
        let mut rng = RngFactory::new(2).stream(Purpose::Routing, 0);
        let (mut scratch, mut out) = (Vec::new(), Vec::new());
        for d in [4usize, 2] {
            let m = 30_000u32;
            let mut counts = [0u32; 6];
            for _ in 0..m {
                c.sample(d, &mut rng, &mut scratch, &mut out);
                let mut sorted = out.clone();
                sorted.sort_unstable();
                sorted.dedup();
                assert_eq!(sorted.len(), d);
                for s in &out {
                    counts[*s as usize] += 1;
                }
            }
            let p = d as f64 / 6.0;
            let sd = (f64::from(m) * p * (1.0 - p)).sqrt();
            for k in counts {
                assert!(
                    (f64::from(k) - f64::from(m) * p).abs() < 5.0 * sd,
                    "{counts:?}"
                );
            }
        }
    }

    #[test]
    fn ties_are_broken_uniformly() {
        // Three servers tie at cost 1: each should win a third of m draws (binomial,
        // 5 sd); server 9 at cost 2 never.
        let mut rng = RngFactory::new(4).stream(Purpose::Routing, 0);
        let m = 30_000u32;
        let mut wins = [0u32; 10];
        for _ in 0..m {
            let costs = [(1u32, 2u32), (2, 9), (1, 5), (1, 7)];
            wins[cheapest(costs.into_iter(), &mut rng).unwrap() as usize] += 1;
        }
        let sd = (f64::from(m) / 3.0 * 2.0 / 3.0).sqrt();
        for s in [2, 5, 7] {
            assert!(
                (f64::from(wins[s]) - f64::from(m) / 3.0).abs() < 5.0 * sd,
                "{wins:?}"
            );
        }
        assert_eq!(wins[9], 0);
    }
}
