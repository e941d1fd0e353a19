//! Young/Daly checkpoints: the interval that minimises expected waste for the checkpoint
//! cost C and the server's mean time between failures M, re-estimated from the failures
//! the server has seen every time it schedules a checkpoint.
//!
//! - `young` (Young 1974): sqrt(2 C M), the first-order optimum of the waste rate
//!   C/tau + tau/(2 M).
//! - `daly` (Daly 2006, the higher-order estimate): sqrt(2 C M) (1 + sqrt(C/(2M))/3 +
//!   C/(18 M)) - C when C < 2 M, else M. It is within a fraction of a percent of the
//!   exact optimum of Daly's waste model for exponential failures, whose minimum solves
//!   e^((tau + C)/M) (1 - tau/M) = 1.
//!
//! The MTBF estimate starts at `initial_mtbf` and learns: after k failures in total
//! exposure T (time up or restoring, the current lifetime included) it is
//! (initial_mtbf + T) / (1 + k), the maximum-likelihood estimate for exponential lifetimes
//! with `initial_mtbf` counted as one lifetime already seen. It tends to the true MTBF as
//! failures accumulate, and the prior keeps it finite before the first one.

use crate::checkpoint::{self, SETTINGS};
use crate::params::{Param, Params};
use crate::registry::{Builder, Family, Kind};
use sim_core::SimDuration;
use sim_core::config::ConfigError;
use sim_core::strategy::durability::{
    CheckpointPolicy, CheckpointSettings, CheckpointSpec, FailureHistory,
};
use std::sync::Arc;

pub const DEFAULT_INITIAL_MTBF: SimDuration = SimDuration::from_secs(3600);

const PARAMS: &[Param] = &[
    Param::choice(
        "formula",
        &["young", "daly"],
        "daly",
        "\"young\": sqrt(2 C M); \"daly\": Daly's higher-order optimum",
    ),
    Param::duration(
        "initial_mtbf",
        DEFAULT_INITIAL_MTBF,
        "MTBF estimate before any failure, weighted as one observed lifetime",
    )
    .positive(),
];

pub const KIND: Kind = Kind {
    family: Family::Checkpoint,
    name: "young-daly",
    summary: "interval from the cost and the MTBF the server observes (Young 1974, Daly 2006)",
    params: &[PARAMS, SETTINGS],
    build: Builder::Checkpoint(build),
};

/// Which optimum the interval follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Formula {
    Young,
    Daly,
}

#[derive(Clone, Debug)]
pub struct YoungDaly {
    pub formula: Formula,
    pub initial_mtbf: SimDuration,
    pub settings: CheckpointSettings,
    pub description: String,
}

fn build(p: &mut Params) -> Result<Arc<dyn CheckpointSpec>, ConfigError> {
    Ok(Arc::new(YoungDaly {
        formula: match p.choice("formula") {
            "young" => Formula::Young,
            _ => Formula::Daly,
        },
        initial_mtbf: p.duration("initial_mtbf"),
        settings: checkpoint::settings(p),
        description: p.describe(),
    }))
}

/// Young's interval sqrt(2 C M), in seconds.
pub fn young(cost: f64, mtbf: f64) -> f64 {
    (2.0 * cost * mtbf).sqrt()
}

/// Daly's higher-order interval, in seconds.
pub fn daly(cost: f64, mtbf: f64) -> f64 {
    if cost >= 2.0 * mtbf {
        return mtbf;
    }
    let x = cost / (2.0 * mtbf);
    young(cost, mtbf) * (1.0 + x.sqrt() / 3.0 + x / 9.0) - cost
}

/// The MTBF estimate after `history`, in seconds.
pub fn mtbf_estimate(initial: SimDuration, history: &FailureHistory) -> f64 {
    (initial.as_secs_f64() + history.exposed.as_secs_f64()) / (1.0 + history.failures as f64)
}

impl CheckpointSpec for YoungDaly {
    fn settings(&self) -> CheckpointSettings {
        self.settings
    }

    fn build(&self) -> Box<dyn CheckpointPolicy> {
        Box::new(self.clone())
    }

    fn describe(&self) -> String {
        self.description.clone()
    }

    fn checkpoints(&self) -> bool {
        true
    }
}

impl CheckpointPolicy for YoungDaly {
    fn next_interval(&mut self, history: &FailureHistory) -> Option<SimDuration> {
        let m = mtbf_estimate(self.initial_mtbf, history);
        let c = self.settings.cost.as_secs_f64();
        let tau = match self.formula {
            Formula::Young => young(c, m),
            Formula::Daly => daly(c, m),
        };
        // At least a nanosecond of work between checkpoints.
        Some(SimDuration::from_secs_f64(tau).max(SimDuration(1)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::strategy::durability::During;

    fn policy(formula: Formula, initial: u64) -> YoungDaly {
        YoungDaly {
            formula,
            initial_mtbf: SimDuration::from_secs(initial),
            settings: CheckpointSettings {
                cost: SimDuration::from_secs(60),
                during: During::Pause,
                log: false,
            },
            description: String::new(),
        }
    }

    #[test]
    fn intervals_follow_the_formulas_for_the_estimated_mtbf() {
        // C = 60 s, M = 3600 s: Young sqrt(432000) = 657.27 s; Daly with
        // x = C/(2M) = 1/120: 657.27 (1 + 0.030429 + 0.000926) - 60 = 617.88 s.
        let none = FailureHistory::default();
        let y = policy(Formula::Young, 3600).next_interval(&none).unwrap();
        assert!((y.as_secs_f64() - 657.267).abs() < 1e-3, "{y}");
        let d = policy(Formula::Daly, 3600).next_interval(&none).unwrap();
        assert!((d.as_secs_f64() - 617.876).abs() < 1e-3, "{d}");
        // Daly's estimate against the exact optimum of its waste model, the root of
        // e^((t + C)/M) (1 - t/M) = 1 found by bisection: within 0.1%.
        let (c, m) = (60.0f64, 3600.0f64);
        let g = |t: f64| ((t + c) / m).exp() * (1.0 - t / m) - 1.0;
        let (mut lo, mut hi) = (1.0, m);
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if g(mid) > 0.0 { lo = mid } else { hi = mid }
        }
        assert!((d.as_secs_f64() / lo - 1.0).abs() < 1e-3, "exact {lo}");
        // A cost above 2 M checkpoints every M.
        assert_eq!(daly(10.0, 4.0), 4.0);
    }

    #[test]
    fn the_mtbf_estimate_learns_from_failures() {
        // Prior 600 s counted as one lifetime; 9 failures in 35400 s of exposure:
        // (600 + 35400) / 10 = 3600 s, the Young interval for which is 657.27 s.
        let h = FailureHistory {
            failures: 9,
            exposed: SimDuration::from_secs(35_400),
        };
        assert_eq!(mtbf_estimate(SimDuration::from_secs(600), &h), 3600.0);
        let y = policy(Formula::Young, 600).next_interval(&h).unwrap();
        assert!((y.as_secs_f64() - 657.267).abs() < 1e-3);
        // Before any failure, exposure alone lengthens the estimate.
        let quiet = FailureHistory {
            failures: 0,
            exposed: SimDuration::from_secs(3000),
        };
        assert_eq!(mtbf_estimate(SimDuration::from_secs(600), &quiet), 3600.0);
    }
}
