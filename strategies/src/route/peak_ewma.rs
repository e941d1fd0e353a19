//! Peak-EWMA response time, as in Finagle's `p2cPeakEwma` and Linkerd's balancer (tower's
//! `PeakEwma`): each client keeps, per server, an estimate of its response time that jumps
//! to any larger observation at once (the peak) and otherwise moves towards observations
//! with weight 1 - exp(-elapsed / decay); reading it also decays it towards zero, so a
//! server left alone is tried again. An attempt samples `choices` unsuspected servers and
//! goes to the one of least cost = estimate x (attempts in flight + 1), ties uniformly.
//!
//! Estimates start at `default_rtt` (Linkerd: 30 ms, decay 10 s). A slow server shows up
//! in its first slow answer; an attempt abandoned at its request's deadline counts as an
//! observation of the time it was abandoned after.
//!
//! Failover: a retry leaves the previous server out of the sample when another is left.

use crate::params::{Param, Params};
use crate::registry::{Builder, Family, Kind};
use crate::route::candidates::{Candidates, cheapest};
use crate::route::power_of_d::choices;
use sim_core::config::ConfigError;
use sim_core::engine::rng::SimRng;
use sim_core::strategy::{ClusterView, KeyPlacement, RouteInput, Router, RouterSpec};
use sim_core::{SimDuration, SimTime};
use std::sync::Arc;

pub const DEFAULT_DECAY: SimDuration = SimDuration::from_secs(10);
pub const DEFAULT_RTT: SimDuration = SimDuration::from_millis(30);
pub const DEFAULT_CHOICES: u32 = 2;

pub const KIND: Kind = Kind {
    family: Family::Routing,
    name: "peak-ewma",
    summary: "least peak-EWMA response time x (in flight + 1) among `choices` sampled servers",
    params: &[&[
        Param::duration(
            "decay",
            DEFAULT_DECAY,
            "time constant of the moving average (and of the decay to zero when idle)",
        )
        .positive(),
        Param::duration(
            "default_rtt",
            DEFAULT_RTT,
            "estimate of a server not yet observed",
        ),
        choices(
            "choices",
            DEFAULT_CHOICES,
            "servers sampled per attempt (2 as in Finagle and Linkerd)",
        ),
    ]],
    build: Builder::Routing(build),
};

fn build(p: &mut Params) -> Result<Arc<dyn RouterSpec>, ConfigError> {
    Ok(Arc::new(PeakEwma {
        decay: p.duration("decay"),
        default_rtt: p.duration("default_rtt"),
        choices: p.int32("choices"),
        description: p.describe(),
    }))
}

#[derive(Clone, Debug)]
pub struct PeakEwma {
    pub decay: SimDuration,
    pub default_rtt: SimDuration,
    pub choices: u32,
    pub description: String,
}

impl RouterSpec for PeakEwma {
    fn build(&self, servers: u32, _keys: u32) -> Box<dyn Router> {
        Box::new(PeakEwmaRouter {
            decay_ns: self.decay.0 as f64,
            estimates: vec![
                Estimate {
                    rtt_ns: self.default_rtt.0 as f64,
                    at: SimTime::ZERO,
                };
                servers as usize
            ],
            choices: self.choices as usize,
            scratch: Vec::new(),
            sample: Vec::new(),
        })
    }

    fn describe(&self) -> String {
        self.description.clone()
    }

    fn key_placement(&self) -> KeyPlacement {
        KeyPlacement::Unkeyed
    }
}

/// A server's response-time estimate and when it was last updated.
#[derive(Clone, Copy, Debug)]
struct Estimate {
    rtt_ns: f64,
    at: SimTime,
}

impl Estimate {
    /// Folds in an observation of `rtt_ns` at `now`: a larger one replaces the estimate,
    /// a smaller one is averaged in with the weight of the time elapsed.
    fn observe(&mut self, rtt_ns: f64, now: SimTime, decay_ns: f64) -> f64 {
        if rtt_ns > self.rtt_ns {
            self.rtt_ns = rtt_ns;
        } else {
            let elapsed = now.since(self.at).0 as f64;
            let keep = (-elapsed / decay_ns).exp();
            self.rtt_ns = self.rtt_ns * keep + rtt_ns * (1.0 - keep);
        }
        self.at = self.at.max(now);
        self.rtt_ns
    }
}

struct PeakEwmaRouter {
    decay_ns: f64,
    estimates: Vec<Estimate>,
    choices: usize,
    scratch: Vec<usize>,
    sample: Vec<u32>,
}

impl Router for PeakEwmaRouter {
    fn route(&mut self, input: &RouteInput, view: &ClusterView, rng: &mut SimRng) -> Option<u32> {
        let candidates = Candidates::new(view, input.previous);
        candidates.sample(self.choices, rng, &mut self.scratch, &mut self.sample);
        let (estimates, decay_ns, now) = (&mut self.estimates, self.decay_ns, input.now);
        let costs = self.sample.iter().map(|&s| {
            // Reading decays the estimate towards zero (an observation of 0).
            let rtt = estimates[s as usize].observe(0.0, now, decay_ns);
            (rtt * f64::from(view.outstanding[s as usize] + 1), s)
        });
        cheapest(costs, rng)
    }

    fn on_reply(&mut self, now: SimTime, server: u32, latency: SimDuration, _ok: bool) {
        self.estimates[server as usize].observe(latency.0 as f64, now, self.decay_ns);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::engine::rng::{Purpose, RngFactory};

    const MS: f64 = 1e6;

    #[test]
    fn estimates_jump_to_peaks_and_decay_with_elapsed_time() {
        let decay = 10_000.0 * MS;
        let mut e = Estimate {
            rtt_ns: 30.0 * MS,
            at: SimTime::ZERO,
        };
        let t = |ms: u64| SimTime(ms * 1_000_000);
        // A peak replaces the estimate at once.
        assert_eq!(e.observe(500.0 * MS, t(1000), decay), 500.0 * MS);
        // A smaller observation one decay later keeps exp(-1) of the estimate:
        // 500 e^-1 + 10 (1 - e^-1) = 190.2 ms.
        let expected = 500.0 * (-1.0f64).exp() + 10.0 * (1.0 - (-1.0f64).exp());
        let got = e.observe(10.0 * MS, t(11_000), decay) / MS;
        assert!((got - expected).abs() < 1e-9, "{got} vs {expected}");
        // Reading after ln 2 decays halves it.
        let half = t(11_000) + SimDuration::from_secs_f64(10.0 * std::f64::consts::LN_2);
        let read = e.observe(0.0, half, decay) / MS;
        assert!((read - expected / 2.0).abs() < 1e-3, "{read}");
    }

    #[test]
    fn a_server_seen_slow_is_avoided_until_its_estimate_decays() {
        // Two servers, both sampled every time (choices = 2 = n). Server 1 answered in
        // 1 s; server 0 in 10 ms, averaged with its 30 ms default to 28 ms. Server 1
        // costs 35 times more and loses every draw: the decay towards zero on reading
        // keeps the ratio, since both decay alike.
        let spec = PeakEwma {
            description: String::new(),
            decay: DEFAULT_DECAY,
            default_rtt: DEFAULT_RTT,
            choices: 2,
        };
        let mut r = spec.build(2, 0);
        let view = ClusterView::new(2);
        let mut rng = RngFactory::new(1).stream(Purpose::Routing, 0);
        let now = SimTime(1_000_000_000);
        r.on_reply(now, 0, SimDuration::from_millis(10), true);
        r.on_reply(now, 1, SimDuration::from_secs(1), true);
        for step in 0..100u64 {
            let input = RouteInput {
                key: 0,
                attempt: 1,
                previous: None,
                now: now + SimDuration::from_millis(step * 50),
            };
            assert_eq!(r.route(&input, &view, &mut rng), Some(0));
        }
    }
}
