//! Hedged requests (Dean and Barroso, "The Tail at Scale", CACM 2013): when an attempt has
//! no answer after the hedging delay, another attempt goes to a different server; the
//! first answer wins and the others are ignored (and counted as late answers). The delay is
//! fixed (`delay`) or the client's running estimate of the `percentile` of its request
//! latency (P², see `quantile.rs`), so that about 1 - percentile of requests are hedged.
//! A failed attempt sends the next one at once, as gRPC's hedging policy does.
//!
//! The estimate is fed with each successful request's latency from its creation. It
//! converges to the latency percentile of unhedged attempts: a request whose first attempt
//! answers within the delay d reports that latency, and one whose first attempt does not
//! reports more than d, so the share of reports below d is exactly the share of first
//! attempts answering within d. No hedge is sent before five requests have succeeded.

use crate::params::{Default, Param, Params, Ty};
use crate::registry::{Builder, Family, Kind};
use crate::retry::common;
use crate::retry::quantile::P2Quantile;
use sim_core::SimDuration;
use sim_core::config::ConfigError;
use sim_core::engine::rng::SimRng;
use sim_core::strategy::{RetryLimits, RetryPolicy, RetrySpec};
use std::sync::Arc;

pub const DEFAULT_PERCENTILE: f64 = 0.95;

const PARAMS: &[Param] = &[
    Param::new(
        "delay",
        Ty::Duration,
        Default::Unset,
        "fixed hedging delay (instead of percentile)",
        "",
    )
    .positive(),
    Param::number(
        "percentile",
        DEFAULT_PERCENTILE,
        "hedge after this quantile of the client's observed latency",
        "quantile level",
    )
    .check(
        |v| v.float() > 0.0 && v.float() < 1.0,
        "a quantile level between 0 and 1, like 0.95",
    )
    .instead_of("delay"),
];

pub const KIND: Kind = Kind {
    family: Family::Retry,
    name: "hedge",
    summary: "send another attempt when none answered within a delay or latency percentile",
    params: &[PARAMS, common::HEDGE_PARAMS],
    build: Builder::Retry(build),
};

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum HedgeDelay {
    Fixed(SimDuration),
    Percentile(f64),
}

#[derive(Clone, Debug)]
pub struct HedgeSpec {
    pub delay: HedgeDelay,
    pub limits: RetryLimits,
    pub description: String,
}

fn build(p: &mut Params) -> Result<Arc<dyn RetrySpec>, ConfigError> {
    let delay = match p.get("delay") {
        Some(d) => HedgeDelay::Fixed(d.duration()),
        None => HedgeDelay::Percentile(p.float("percentile")),
    };
    Ok(Arc::new(HedgeSpec {
        delay,
        limits: common::limits(p),
        description: p.describe(),
    }))
}

impl RetrySpec for HedgeSpec {
    fn build(&self) -> Box<dyn RetryPolicy> {
        Box::new(Hedge {
            delay: self.delay,
            limits: self.limits,
            latency: match self.delay {
                HedgeDelay::Percentile(p) => Some(P2Quantile::new(p)),
                HedgeDelay::Fixed(_) => None,
            },
        })
    }

    fn describe(&self) -> String {
        self.description.clone()
    }
}

/// A client's hedging policy, with its latency estimate.
#[derive(Clone, Debug)]
pub struct Hedge {
    delay: HedgeDelay,
    limits: RetryLimits,
    latency: Option<P2Quantile>,
}

impl RetryPolicy for Hedge {
    fn limits(&self) -> RetryLimits {
        self.limits
    }

    fn next_delay(
        &mut self,
        _attempt: u32,
        _previous: SimDuration,
        _rng: &mut SimRng,
    ) -> Option<SimDuration> {
        Some(SimDuration::ZERO)
    }

    fn hedge_delay(&mut self) -> Option<SimDuration> {
        match (self.delay, &self.latency) {
            (HedgeDelay::Fixed(d), _) => Some(d),
            (HedgeDelay::Percentile(_), Some(est)) => {
                est.estimate().map(|ns| SimDuration(ns.round() as u64))
            }
            (HedgeDelay::Percentile(_), None) => None,
        }
    }

    fn on_success(&mut self, latency: SimDuration) {
        if let Some(est) = &mut self.latency {
            est.add(latency.0 as f64);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::retry::testing::from_table;
    use sim_core::config::{f, i, s};

    #[test]
    fn fixed_delay_hedges_at_that_delay_and_failures_hedge_at_once() {
        let spec = from_table::<Arc<dyn RetrySpec>>(
            &[("delay", s("15ms")), ("max_attempts", i(3))],
            &KIND,
        )
        .unwrap();
        let mut h = spec.build();
        let mut rng = sim_core::engine::rng::RngFactory::new(1)
            .stream(sim_core::engine::rng::Purpose::Retry, 0);
        assert_eq!(h.hedge_delay(), Some(SimDuration::from_millis(15)));
        assert_eq!(
            h.next_delay(1, SimDuration::ZERO, &mut rng),
            Some(SimDuration::ZERO)
        );
        assert_eq!(h.limits().max_attempts, 3);
        assert_eq!(
            spec.describe(),
            "{ kind = \"hedge\", delay = \"15ms\", max_attempts = 3, failover = true }"
        );
    }

    #[test]
    fn percentile_delay_follows_observed_latency() {
        let spec = from_table::<Arc<dyn RetrySpec>>(&[("percentile", f(0.9))], &KIND).unwrap();
        let mut h = spec.build();
        for ms in 1..=4 {
            h.on_success(SimDuration::from_millis(ms));
            assert_eq!(h.hedge_delay(), None, "no hedge before five successes");
        }
        // Latencies 1..=1000 ms in a scrambled order (a stride coprime to 1000): the 0.9
        // quantile is 900 ms; P² lands within a few ms of it on so smooth an input.
        for k in 0..1000u64 {
            h.on_success(SimDuration::from_millis(1 + (k * 389 + 4) % 1000));
        }
        let d = h.hedge_delay().unwrap().as_millis_f64();
        assert!((d - 900.0).abs() < 10.0, "{d}");
    }

    #[test]
    fn bad_tables_are_refused() {
        let both =
            from_table::<Arc<dyn RetrySpec>>(&[("delay", s("5ms")), ("percentile", f(0.9))], &KIND);
        assert!(both.unwrap_err().to_string().contains("not both"));
        let one = from_table::<Arc<dyn RetrySpec>>(&[("max_attempts", i(1))], &KIND);
        assert!(one.unwrap_err().to_string().contains("from 2 to 5"));
        let p = from_table::<Arc<dyn RetrySpec>>(&[("percentile", f(1.0))], &KIND);
        assert!(p.unwrap_err().to_string().contains("between 0 and 1"));
    }
}
