//! Phi accrual (Hayashibara, Défago, Yared and Katayama 2004), as Akka runs it: the last
//! `max_sample_size` heartbeat inter-arrival times of a server fix a normal model (mean
//! plus `acceptable_heartbeat_pause`, standard deviation at least `min_std_deviation`);
//! phi(t) = -log10 P(the next heartbeat arrives later than t) and the server is suspected
//! once phi reaches `threshold`, i.e. once the silence has become that improbable: the
//! detector's deadline is the last nanosecond before that, at which a heartbeat still
//! keeps the server trusted.
//!
//! Like Akka, the normal tail uses the logistic approximation
//! F(y) = 1 / (1 + exp(-y (1.5976 + 0.070566 y^2))) (Bowling et al. 2009, within 1.4e-4
//! of the normal CDF). Its inverse is the real root of a cubic, so the instant phi crosses
//! the threshold comes out in closed form (Cardano): last heartbeat + mean + pause +
//! y(threshold) x sd. As in Akka, an interval that ended at or after that instant (a pause)
//! is left out of the window, and before the first interval the window holds the two
//! samples `first_heartbeat_estimate` ± a quarter of it.

use crate::detect::placement;
use crate::params::{Param, Params, Val};
use crate::registry::{Builder, Family, Kind};
use sim_core::config::ConfigError;
use sim_core::engine::rng::SimRng;
use sim_core::strategy::{Detector, DetectorPlacement, DetectorSpec};
use sim_core::{SimDuration, SimTime};
use std::collections::VecDeque;
use std::sync::Arc;

pub const DEFAULT_INTERVAL: SimDuration = SimDuration::from_millis(100);
pub const DEFAULT_THRESHOLD: f64 = 8.0;
pub const DEFAULT_MAX_SAMPLE_SIZE: u64 = 1000;
pub const DEFAULT_MIN_STD_DEVIATION: SimDuration = SimDuration::from_millis(10);
/// Inter-arrival times kept per server, at most (larger sizes are clamped to it).
const MAX_SAMPLE_SIZE: u64 = 1 << 24;

const PARAMS: &[Param] = &[
    Param::duration(
        "interval",
        DEFAULT_INTERVAL,
        "heartbeat period of every server",
    )
    .positive(),
    Param::float(
        "threshold",
        DEFAULT_THRESHOLD,
        "phi at which a server is suspected (phi 8: odds of 1e-8 under the model)",
        "phi",
    )
    .check(
        |v| v.float().is_finite() && v.float() > 0.0,
        "a positive number",
    ),
    Param::int(
        "max_sample_size",
        DEFAULT_MAX_SAMPLE_SIZE,
        "inter-arrival times kept per server",
        "intervals",
    )
    .check(|v| v.int() >= 1, "an integer of at least 1"),
    Param::duration(
        "min_std_deviation",
        DEFAULT_MIN_STD_DEVIATION,
        "floor on the model's standard deviation",
    )
    .positive(),
    Param::duration(
        "acceptable_heartbeat_pause",
        SimDuration::ZERO,
        "silence tolerated on top of the mean inter-arrival time",
    ),
    Param::duration(
        "first_heartbeat_estimate",
        DEFAULT_INTERVAL,
        "mean inter-arrival time assumed before any is seen (default: the interval; sd a quarter of it)",
    )
    .same_as("interval")
    .positive(),
];

pub const KIND: Kind = Kind {
    family: Family::Detector,
    name: "phi-accrual",
    summary: "suspect a server once phi = -log10 P(heartbeat still to come), from a normal model of its inter-arrival times, reaches `threshold`",
    params: &[PARAMS, placement::PARAMS],
    build: Builder::Detector(build),
};
/// The coefficients of Akka's logistic approximation of the normal CDF.
const A1: f64 = 1.5976;
const A3: f64 = 0.070566;

/// Phi of a silence of `elapsed` after the last heartbeat, under a normal model with
/// `mean` and `sd` (all in the same unit), exactly as Akka computes it.
pub fn phi(elapsed: f64, mean: f64, sd: f64) -> f64 {
    let y = (elapsed - mean) / sd;
    let e = (-y * (A1 + A3 * y * y)).exp();
    if elapsed > mean {
        -(e / (1.0 + e)).log10()
    } else {
        -(1.0 - 1.0 / (1.0 + e)).log10()
    }
}

/// The standardised silence y at which phi equals `threshold`: the real root of
/// A3 y^3 + A1 y = ln((1 - p) / p) with p = 10^-threshold, by Cardano's formula (the
/// cubic is strictly increasing, so the root is unique).
pub fn threshold_quantile(threshold: f64) -> f64 {
    let p = 10f64.powf(-threshold);
    let logit = (-p).ln_1p() + threshold * std::f64::consts::LN_10;
    // y^3 + P y + Q = 0 with P > 0: u = cbrt(-Q/2 + sqrt(Q^2/4 + P^3/27)), y = u - P/(3u).
    let big_p = A1 / A3;
    let big_q = -logit / A3;
    let u = (-big_q / 2.0 + (big_q * big_q / 4.0 + big_p.powi(3) / 27.0).sqrt()).cbrt();
    u - big_p / (3.0 * u)
}

#[derive(Clone, Debug)]
pub struct PhiAccrual {
    pub interval: SimDuration,
    pub threshold: f64,
    pub max_sample_size: usize,
    pub min_std_deviation: SimDuration,
    pub acceptable_heartbeat_pause: SimDuration,
    pub first_heartbeat_estimate: SimDuration,
    pub placement: DetectorPlacement,
    pub description: String,
}

fn build(p: &mut Params) -> Result<Arc<dyn DetectorSpec>, ConfigError> {
    let max_sample_size = p.int("max_sample_size").min(MAX_SAMPLE_SIZE);
    p.set("max_sample_size", Some(Val::Int(max_sample_size)));
    Ok(Arc::new(PhiAccrual {
        interval: p.duration("interval"),
        threshold: p.float("threshold"),
        max_sample_size: max_sample_size as usize,
        min_std_deviation: p.duration("min_std_deviation"),
        acceptable_heartbeat_pause: p.duration("acceptable_heartbeat_pause"),
        first_heartbeat_estimate: p.duration("first_heartbeat_estimate"),
        placement: placement::read(p),
        description: p.describe(),
    }))
}

impl DetectorSpec for PhiAccrual {
    fn heartbeat_interval(&self) -> Option<SimDuration> {
        Some(self.interval)
    }

    fn build(&self, servers: u32, _rng: SimRng) -> Box<dyn Detector> {
        let estimate = self.first_heartbeat_estimate.0;
        let seed = History::seeded(estimate, self.max_sample_size);
        Box::new(PhiDetector {
            y: threshold_quantile(self.threshold),
            spec: self.clone(),
            histories: vec![seed; servers as usize],
        })
    }

    fn describe(&self) -> String {
        self.description.clone()
    }

    fn placement(&self) -> DetectorPlacement {
        self.placement
    }
}

/// A server's window of inter-arrival times, with exact integer sums.
#[derive(Clone, Debug)]
struct History {
    intervals: VecDeque<u64>,
    capacity: usize,
    sum: u128,
    sum_sq: u128,
    latest: Option<SimTime>,
    /// The first nanosecond at which phi reaches the threshold after the latest
    /// heartbeat.
    crossing: SimTime,
}

impl History {
    /// Akka's starting window: the estimate minus and plus a quarter of it.
    fn seeded(estimate: u64, capacity: usize) -> Self {
        let mut h = History {
            intervals: VecDeque::with_capacity(capacity.min(1024)),
            capacity,
            sum: 0,
            sum_sq: 0,
            latest: None,
            crossing: SimTime::ZERO,
        };
        h.push(estimate - estimate / 4);
        h.push(estimate + estimate / 4);
        h
    }

    fn push(&mut self, interval: u64) {
        if self.intervals.len() == self.capacity
            && let Some(old) = self.intervals.pop_front()
        {
            self.sum -= u128::from(old);
            self.sum_sq -= u128::from(old) * u128::from(old);
        }
        self.intervals.push_back(interval);
        self.sum += u128::from(interval);
        self.sum_sq += u128::from(interval) * u128::from(interval);
    }

    /// Mean and (population) standard deviation of the window, in nanoseconds.
    fn mean_sd(&self) -> (f64, f64) {
        let n = self.intervals.len() as u128;
        let mean = self.sum as f64 / n as f64;
        // n^2 var = n sum_sq - sum^2, exact in integers (no cancellation).
        let var = (n * self.sum_sq - self.sum * self.sum) as f64 / (n * n) as f64;
        (mean, var.sqrt())
    }
}

struct PhiDetector {
    spec: PhiAccrual,
    /// The standardised silence at which phi reaches the threshold.
    y: f64,
    histories: Vec<History>,
}

impl PhiDetector {
    /// The instant phi reaches the threshold after a heartbeat at `last`: the first
    /// nanosecond at or after last + mean + pause + y sd.
    fn crossing(&self, h: &History, last: SimTime) -> SimTime {
        let (mean, sd) = h.mean_sd();
        let sd = sd.max(self.spec.min_std_deviation.0 as f64);
        let silence = mean + self.spec.acceptable_heartbeat_pause.0 as f64 + self.y * sd;
        last.saturating_add(SimDuration(silence.max(0.0).ceil() as u64))
    }
}

impl PhiDetector {
    /// Records the crossing after a heartbeat (or the start) at `last` and returns the
    /// deadline: the nanosecond before it, the last at which phi is below the threshold.
    fn deadline_after(&mut self, server: u32, last: SimTime) -> SimTime {
        let crossing = self.crossing(&self.histories[server as usize], last);
        self.histories[server as usize].crossing = crossing;
        SimTime(crossing.0.saturating_sub(1))
    }
}

impl Detector for PhiDetector {
    fn on_heartbeat(&mut self, server: u32, now: SimTime) -> SimTime {
        let h = &mut self.histories[server as usize];
        if let Some(latest) = h.latest
            && now < h.crossing
        {
            h.push(now.since(latest).0);
        }
        h.latest = Some(now);
        self.deadline_after(server, now)
    }

    /// Before the first heartbeat the start of the run stands in for one.
    fn initial_deadline(&mut self, server: u32, now: SimTime) -> SimTime {
        self.deadline_after(server, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::config::Section;
    use sim_core::config::{Source, Table, f, s};
    use sim_core::engine::rng::{Purpose, RngFactory};

    fn spec(entries: &[(&str, sim_core::config::Value)]) -> Arc<dyn DetectorSpec> {
        let t: Table = entries
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        let src = Source::inline();
        crate::registry::build_kind(&KIND, &Section::new(&t, "detector", None, &src)).unwrap()
    }

    fn rng() -> SimRng {
        RngFactory::new(1).stream(Purpose::Detector, 0)
    }

    #[test]
    fn closed_form_quantile_puts_phi_exactly_on_the_threshold() {
        for threshold in [0.1, 0.301, 1.0, 3.0, 8.0, 12.0, 16.0] {
            let y = threshold_quantile(threshold);
            let at = phi(y, 0.0, 1.0);
            assert!(
                (at - threshold).abs() < 1e-9 * threshold.max(1.0),
                "threshold {threshold}: phi(y = {y}) = {at}"
            );
        }
        // Phi 1, 2, 3 mean odds of 1 in 10, 100, 1000 under the logistic fit, which is
        // within 1.4e-4 of the normal CDF: the true normal tail beyond y(threshold) is
        // 10^-threshold to within that (0.0999, 0.0101, 0.00111).
        for threshold in [1.0, 2.0, 3.0] {
            let tail = 1.0 - sim_core::engine::math::normal_cdf(threshold_quantile(threshold));
            assert!(
                (tail - 10f64.powf(-threshold)).abs() < 1.4e-4,
                "threshold {threshold}: normal tail {tail}"
            );
        }
    }

    #[test]
    fn steady_heartbeats_give_mean_plus_y_min_sd() {
        // Heartbeats exactly 100 ms apart: once the two seed samples have left a window
        // of 4, mean = 100 ms and sd = 0, floored to min_std_deviation = 10 ms; with a
        // pause of 50 ms phi reaches the threshold at last + 150 ms + y(8) x 10 ms, and
        // the deadline is the nanosecond before.
        let d = spec(&[
            ("threshold", f(8.0)),
            ("max_sample_size", sim_core::config::i(4)),
            ("acceptable_heartbeat_pause", s("50ms")),
        ]);
        let mut det = d.build(1, rng());
        let ms = |x: u64| SimTime(x * 1_000_000);
        det.initial_deadline(0, SimTime::ZERO);
        let mut deadline = SimTime::ZERO;
        for k in 1..=10 {
            deadline = det.on_heartbeat(0, ms(100 * k));
        }
        let expected = 1_000e6 + 150e6 + threshold_quantile(8.0) * 10e6;
        assert_eq!(deadline.0, expected.ceil() as u64 - 1);
        // Phi at the deadline is just below the threshold, 1 ns later at it.
        let at = |ns: u64| phi((ns - 1_000_000_000) as f64, 150e6, 10e6);
        assert!(at(deadline.0) < 8.0, "{}", at(deadline.0));
        assert!(
            (at(deadline.0 + 1) - 8.0).abs() < 1e-6,
            "{}",
            at(deadline.0 + 1)
        );
    }

    #[test]
    fn a_pause_is_left_out_of_the_window() {
        let d = spec(&[("max_sample_size", sim_core::config::i(100))]);
        let mut det = d.build(1, rng());
        det.initial_deadline(0, SimTime::ZERO);
        let ms = |x: u64| SimTime(x * 1_000_000);
        for k in 1..=50 {
            det.on_heartbeat(0, ms(100 * k));
        }
        let before = det.on_heartbeat(0, ms(5_100)).0 - 5_100_000_000;
        // A 10 s silence ends far past the deadline: not a sample.
        let after = det.on_heartbeat(0, ms(15_100)).0 - 15_100_000_000;
        assert_eq!(before, after);
    }
}
