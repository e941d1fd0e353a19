//! Error-rate aware: each attempt goes to a uniformly random unsuspected server among
//! those whose recent error rate is at most `threshold`. Failed attempts are rejections
//! and attempts abandoned at their request's deadline (a crashed, partitioned or lossy
//! server shows up this way before the detector suspects it).
//!
//! "Recent" is an exponentially decayed window: each client keeps, per server, counts of
//! attempts and of failures that decay as exp(-age / decay), and the error rate is their
//! ratio. A server is avoided only while its decayed attempt count is at least
//! `min_requests`, so a few failures on a quiet server decide nothing, and an avoided
//! server, receiving nothing, is tried again once its count has decayed below
//! `min_requests`: after decay x ln(count / min_requests). When every server is avoided
//! the router ignores error rates and picks among all (Envoy's panic mode).
//!
//! This follows the outlier detection of Envoy (failure percentage over a request volume
//! within an interval, 10 s by default) and Finagle's success-rate failure accrual, with
//! an exponential window in place of fixed intervals so the state stays two numbers per
//! server. Failover: a retry leaves the previous server out when another is left.

use crate::params::{Param, Params};
use crate::registry::{Builder, Family, Kind};
use crate::route::candidates::Candidates;
use rand::RngExt;
use sim_core::config::ConfigError;
use sim_core::engine::rng::SimRng;
use sim_core::strategy::{ClusterView, KeyPlacement, RouteInput, Router, RouterSpec};
use sim_core::{SimDuration, SimTime};
use std::sync::Arc;

pub const DEFAULT_THRESHOLD: f64 = 0.5;
pub const DEFAULT_DECAY: SimDuration = SimDuration::from_secs(10);
pub const DEFAULT_MIN_REQUESTS: f64 = 10.0;

pub const KIND: Kind = Kind {
    family: Family::Routing,
    name: "error-rate",
    summary: "random among unsuspected servers whose decayed recent error rate is <= threshold",
    params: &[&[
        Param::float(
            "threshold",
            DEFAULT_THRESHOLD,
            "error rate above which a server is avoided",
            "share",
        )
        .check(
            |v| (0.0..1.0).contains(&v.float()),
            "an error rate from 0 up to (not including) 1, like 0.5",
        ),
        Param::duration(
            "decay",
            DEFAULT_DECAY,
            "time constant of the exponentially decayed counts",
        )
        .positive(),
        Param::float(
            "min_requests",
            DEFAULT_MIN_REQUESTS,
            "decayed attempt count below which a server is never avoided",
            "attempts",
        )
        .check(
            |v| v.float().is_finite() && v.float() > 0.0,
            "a positive number",
        ),
    ]],
    build: Builder::Routing(build),
};

fn build(p: &mut Params) -> Result<Arc<dyn RouterSpec>, ConfigError> {
    Ok(Arc::new(ErrorRate {
        threshold: p.float("threshold"),
        decay: p.duration("decay"),
        min_requests: p.float("min_requests"),
        description: p.describe(),
    }))
}

#[derive(Clone, Debug)]
pub struct ErrorRate {
    pub threshold: f64,
    pub decay: SimDuration,
    pub min_requests: f64,
    pub description: String,
}

impl RouterSpec for ErrorRate {
    fn build(&self, servers: u32, _keys: u32) -> Box<dyn Router> {
        Box::new(ErrorRateRouter {
            spec: self.clone(),
            decay_ns: self.decay.0 as f64,
            counts: vec![Counts::default(); servers as usize],
        })
    }

    fn describe(&self) -> String {
        self.description.clone()
    }

    fn key_placement(&self) -> KeyPlacement {
        KeyPlacement::Unkeyed
    }
}

/// Decayed attempt and failure counts of a server, as of `at`.
#[derive(Clone, Copy, Debug, Default)]
struct Counts {
    attempts: f64,
    failures: f64,
    at: SimTime,
}

struct ErrorRateRouter {
    spec: ErrorRate,
    decay_ns: f64,
    counts: Vec<Counts>,
}

impl ErrorRateRouter {
    /// Whether `server` may receive the attempt at `now`.
    fn acceptable(&self, server: u32, now: SimTime) -> bool {
        let c = &self.counts[server as usize];
        let keep = (-(now.since(c.at).0 as f64) / self.decay_ns).exp();
        c.attempts * keep < self.spec.min_requests || c.failures <= self.spec.threshold * c.attempts
    }
}

impl Router for ErrorRateRouter {
    fn route(&mut self, input: &RouteInput, view: &ClusterView, rng: &mut SimRng) -> Option<u32> {
        let candidates = Candidates::new(view, input.previous);
        let healthy = candidates
            .iter()
            .filter(|&s| self.acceptable(s, input.now))
            .count();
        if healthy == 0 {
            return candidates.uniform(rng);
        }
        let pick = if healthy == 1 {
            0
        } else {
            rng.random_range(0..healthy)
        };
        candidates
            .iter()
            .filter(|&s| self.acceptable(s, input.now))
            .nth(pick)
    }

    fn on_reply(&mut self, now: SimTime, server: u32, _latency: SimDuration, ok: bool) {
        let c = &mut self.counts[server as usize];
        let keep = (-(now.since(c.at).0 as f64) / self.decay_ns).exp();
        c.attempts = c.attempts * keep + 1.0;
        c.failures = c.failures * keep + if ok { 0.0 } else { 1.0 };
        c.at = c.at.max(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::engine::rng::{Purpose, RngFactory};

    fn route_at(r: &mut dyn Router, view: &ClusterView, now: SimTime, rng: &mut SimRng) -> u32 {
        let input = RouteInput {
            key: 0,
            attempt: 1,
            previous: None,
            now,
        };
        r.route(&input, view, rng).unwrap()
    }

    #[test]
    fn a_failing_server_is_avoided_until_its_window_empties() {
        // Server 2 fails 40 attempts in a row at t = 0: decayed count 40, error rate 1.
        // It is avoided until 40 exp(-t / 10 s) < 10, t > 10 s x ln 4 = 13.86 s, and then
        // receives a third of the attempts again.
        let spec = ErrorRate {
            description: String::new(),
            threshold: 0.5,
            decay: SimDuration::from_secs(10),
            min_requests: 10.0,
        };
        let mut r = spec.build(3, 0);
        let view = ClusterView::new(3);
        let mut rng = RngFactory::new(8).stream(Purpose::Routing, 0);
        for _ in 0..40 {
            r.on_reply(SimTime::ZERO, 2, SimDuration::from_millis(5), false);
        }
        // Eight failures in nine attempts on server 1: above the threshold, under the volume.
        for i in 0..9 {
            r.on_reply(SimTime::ZERO, 1, SimDuration::from_millis(5), i == 0);
        }
        let before = SimTime::ZERO + SimDuration::from_secs_f64(13.8);
        let after = SimTime::ZERO + SimDuration::from_secs_f64(13.9);
        let mut got = [0u32; 3];
        for _ in 0..3000 {
            got[route_at(r.as_mut(), &view, before, &mut rng) as usize] += 1;
        }
        assert_eq!(got[2], 0, "{got:?}");
        assert!(got[1] > 1000, "low volume decides nothing: {got:?}");
        let mut got = [0u32; 3];
        for _ in 0..3000 {
            got[route_at(r.as_mut(), &view, after, &mut rng) as usize] += 1;
        }
        // Binomial(3000, 1/3): sd 25.8; allow 5 sd.
        assert!((f64::from(got[2]) - 1000.0).abs() < 5.0 * 25.8, "{got:?}");
    }

    #[test]
    fn when_every_server_fails_it_picks_among_all() {
        let spec = ErrorRate {
            description: String::new(),
            threshold: 0.2,
            decay: SimDuration::from_secs(10),
            min_requests: 1.0,
        };
        let mut r = spec.build(2, 0);
        let view = ClusterView::new(2);
        let mut rng = RngFactory::new(8).stream(Purpose::Routing, 0);
        for s in 0..2 {
            for _ in 0..5 {
                r.on_reply(SimTime::ZERO, s, SimDuration::from_millis(5), false);
            }
        }
        let picks: Vec<u32> = (0..100)
            .map(|_| route_at(r.as_mut(), &view, SimTime::ZERO, &mut rng))
            .collect();
        assert!(picks.contains(&0) && picks.contains(&1));
    }
}
