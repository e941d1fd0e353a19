//! A percentage retry budget, as Finagle's `RetryBudget` (and Envoy's retry budget):
//! retries over a sliding `window` may add up to `percent` of the requests issued in that
//! window, plus a reserve of `min_retry_rate` x `window` retries so that a client
//! with little traffic can still retry. In Finagle's arithmetic, each request deposits
//! 1000, each retry withdraws floor(1000 / fraction) (fraction = percent / 100), the
//! reserve holds the minimum's worth of withdrawals, and a retry is allowed while the
//! balance covers one withdrawal. Deposits and withdrawals expire with the window, which
//! slides a tenth of its length at a time (see `window.rs`).

use crate::params::{Param, Params};
use crate::registry::{Builder, Family, Kind};
use crate::retry::window::SlicedWindow;
use sim_core::config::ConfigError;
use sim_core::strategy::{RetryBudget, RetryBudgetSpec};
use sim_core::{SimDuration, SimTime};
use std::sync::Arc;

pub const DEFAULT_PERCENT: f64 = 20.0;
pub const DEFAULT_MIN_PER_SEC: f64 = 10.0;
pub const DEFAULT_WINDOW: SimDuration = SimDuration::from_secs(10);

const PARAMS: &[Param] = &[
    Param::number(
        "percent",
        DEFAULT_PERCENT,
        "retries allowed per 100 requests in the window",
        "%",
    )
    .check(
        |v| (0.0..=1000.0).contains(&v.float()),
        "a percentage from 0 to 1000",
    ),
    Param::number(
        "min_retry_rate",
        DEFAULT_MIN_PER_SEC,
        "retries per second allowed on top, whatever the traffic",
        "retries/s",
    )
    .check(
        |v| v.float().is_finite() && v.float() >= 0.0,
        "a number of at least 0",
    ),
    Param::duration(
        "window",
        DEFAULT_WINDOW,
        "how long deposits and withdrawals count",
    )
    .positive(),
];

pub const KIND: Kind = Kind {
    family: Family::RetryBudget,
    name: "percentage",
    summary: "Finagle-style budget: retries up to percent of recent requests plus a minimum rate",
    params: &[PARAMS],
    build: Builder::RetryBudget(build),
};

#[derive(Clone, Debug)]
pub struct PercentageSpec {
    pub percent: f64,
    pub min_retry_rate: f64,
    pub window: SimDuration,
    pub description: String,
}

fn build(p: &mut Params) -> Result<Arc<dyn RetryBudgetSpec>, ConfigError> {
    let percent = p.float("percent");
    let min_retry_rate = p.float("min_retry_rate");
    if percent == 0.0 && min_retry_rate == 0.0 {
        return Err(p.error(
            "percent",
            "expected `percent` or `min_retry_rate` above 0 (with both 0 nothing is ever retried: use retry = { kind = \"none\" })",
        ));
    }
    Ok(Arc::new(PercentageSpec {
        percent,
        min_retry_rate,
        window: p.duration("window"),
        description: p.describe(),
    }))
}

impl RetryBudgetSpec for PercentageSpec {
    fn build(&self) -> Option<Box<dyn RetryBudget>> {
        let fraction = self.percent / 100.0;
        let (deposit, withdrawal) = if fraction == 0.0 {
            (0, 1)
        } else {
            (1000, (1000.0 / fraction).floor().max(1.0) as i64)
        };
        let reserve_retries = (self.min_retry_rate * self.window.as_secs_f64()).round();
        Some(Box::new(Percentage {
            deposit,
            withdrawal,
            reserve: reserve_retries as i64 * withdrawal,
            balance: SlicedWindow::new(self.window),
        }))
    }

    fn describe(&self) -> String {
        self.description.clone()
    }
}

#[derive(Clone, Debug)]
pub struct Percentage {
    deposit: i64,
    withdrawal: i64,
    reserve: i64,
    balance: SlicedWindow<i64>,
}

impl RetryBudget for Percentage {
    fn on_request(&mut self, now: SimTime) {
        self.balance.add(now, self.deposit);
    }

    fn try_retry(&mut self, now: SimTime) -> bool {
        if self.reserve + self.balance.sum(now) >= self.withdrawal {
            self.balance.add(now, -self.withdrawal);
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::retry::testing::from_table;
    use sim_core::config::{f, s};

    #[test]
    fn retries_are_a_percentage_of_requests_plus_the_reserve() {
        // 20% and no reserve: 10 requests earn exactly 2 retries.
        let spec =
            from_table::<Arc<dyn RetryBudgetSpec>>(&[("min_retry_rate", f(0.0))], &KIND).unwrap();
        let mut b = spec.build().expect("a budget");
        let t = SimTime(1_000);
        assert!(!b.try_retry(t), "nothing earned yet");
        for _ in 0..10 {
            b.on_request(t);
        }
        assert_eq!((0..5).filter(|_| b.try_retry(t)).count(), 2);
        // Five more requests earn one more retry.
        for _ in 0..5 {
            b.on_request(t);
        }
        assert_eq!((0..5).filter(|_| b.try_retry(t)).count(), 1);
    }

    #[test]
    fn the_reserve_allows_min_rate_times_window_and_deposits_expire() {
        // 2 retries/s over a 5 s window: a reserve of 10 retries without any request.
        let spec = from_table::<Arc<dyn RetryBudgetSpec>>(
            &[
                ("percent", f(50.0)),
                ("min_retry_rate", f(2.0)),
                ("window", s("5s")),
            ],
            &KIND,
        )
        .unwrap();
        let mut b = spec.build().expect("a budget");
        let at = |ms: u64| SimTime(ms * 1_000_000);
        assert_eq!((0..20).filter(|_| b.try_retry(at(0))).count(), 10);
        // 4 requests at 50% earn 2 more at once.
        for _ in 0..4 {
            b.on_request(at(100));
        }
        assert_eq!((0..20).filter(|_| b.try_retry(at(100))).count(), 2);
        // Once the window has slid past the withdrawals (slices of 500 ms; those at 0 and
        // 100 ms expire at 5 s), the reserve is whole again.
        assert_eq!((0..20).filter(|_| b.try_retry(at(5_000))).count(), 10);
    }

    #[test]
    fn zero_percent_and_zero_minimum_is_refused() {
        let e = from_table::<Arc<dyn RetryBudgetSpec>>(
            &[("percent", f(0.0)), ("min_retry_rate", f(0.0))],
            &KIND,
        )
        .unwrap_err();
        assert!(e.to_string().contains("nothing is ever retried"), "{e}");
    }
}
