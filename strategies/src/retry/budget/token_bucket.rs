//! Retry throttling as in gRPC (gRFC A6, "Client Retries"): a bucket starts with
//! `max_tokens`; every failed attempt takes one token (not below zero), every successful
//! attempt adds `token_ratio` (not above `max_tokens`), and retries and hedges are sent
//! only while the bucket holds more than `max_tokens / 2`. Tokens are kept in thousandths,
//! as gRPC does, so the arithmetic is exact: from a full bucket of 10, four failures in a
//! row leave 6 and allow retries; the fifth leaves 5 and stops them until successes lift
//! the bucket above 5 again.

use crate::params::{Param, Params, Val};
use crate::registry::{Builder, Family, Kind};
use sim_core::SimTime;
use sim_core::config::ConfigError;
use sim_core::strategy::{RetryBudget, RetryBudgetSpec};
use std::sync::Arc;

pub const DEFAULT_MAX_TOKENS: f64 = 10.0;
pub const DEFAULT_TOKEN_RATIO: f64 = 0.1;

const MILLI: f64 = 1000.0;

const PARAMS: &[Param] = &[
    Param::number(
        "max_tokens",
        DEFAULT_MAX_TOKENS,
        "bucket size; each failed attempt takes one token",
        "tokens",
    )
    .check(
        |v| (1.0..=1e9).contains(&v.float()),
        "a number of tokens of at least 1",
    ),
    Param::number(
        "token_ratio",
        DEFAULT_TOKEN_RATIO,
        "tokens each successful attempt puts back",
        "tokens",
    )
    .check(
        |v| (0.001..=1e9).contains(&v.float()),
        "a positive number of tokens of at least 0.001",
    ),
];

pub const KIND: Kind = Kind {
    family: Family::RetryBudget,
    name: "token-bucket",
    summary: "gRPC retry throttling: retry only while tokens > max_tokens / 2",
    params: &[PARAMS],
    build: Builder::RetryBudget(build),
};

/// The bucket's parameters, in thousandths of a token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenBucketSpec {
    pub max_milli: u64,
    pub ratio_milli: u64,
    pub description: String,
}

fn build(p: &mut Params) -> Result<Arc<dyn RetryBudgetSpec>, ConfigError> {
    let max_milli = (p.float("max_tokens") * MILLI).round() as u64;
    let ratio_milli = (p.float("token_ratio") * MILLI).round() as u64;
    // Described as kept: in thousandths.
    p.set("max_tokens", Some(Val::Float(max_milli as f64 / MILLI)));
    p.set("token_ratio", Some(Val::Float(ratio_milli as f64 / MILLI)));
    Ok(Arc::new(TokenBucketSpec {
        max_milli,
        ratio_milli,
        description: p.describe(),
    }))
}

impl RetryBudgetSpec for TokenBucketSpec {
    fn build(&self) -> Option<Box<dyn RetryBudget>> {
        Some(Box::new(TokenBucket {
            tokens_milli: self.max_milli,
            max_milli: self.max_milli,
            ratio_milli: self.ratio_milli,
        }))
    }

    fn describe(&self) -> String {
        self.description.clone()
    }
}

#[derive(Clone, Debug)]
pub struct TokenBucket {
    tokens_milli: u64,
    max_milli: u64,
    ratio_milli: u64,
}

impl TokenBucket {
    /// Tokens held now.
    pub fn tokens(&self) -> f64 {
        self.tokens_milli as f64 / MILLI
    }
}

impl RetryBudget for TokenBucket {
    fn on_attempt_end(&mut self, ok: bool, _now: SimTime) {
        self.tokens_milli = if ok {
            (self.tokens_milli + self.ratio_milli).min(self.max_milli)
        } else {
            self.tokens_milli.saturating_sub(1000)
        };
    }

    fn try_retry(&mut self, _now: SimTime) -> bool {
        self.tokens_milli > self.max_milli / 2
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::retry::testing::from_table;
    use sim_core::config::f;

    #[test]
    fn retries_stop_at_half_the_bucket_and_resume_above_it() {
        let spec = from_table::<Arc<dyn RetryBudgetSpec>>(&[], &KIND).unwrap();
        let mut b = spec.build().expect("a budget");
        let t = SimTime::ZERO;
        // From 10 tokens, failures leave 9, 8, 7, 6 (retries allowed), then 5: stopped.
        let mut allowed = Vec::new();
        for _ in 0..6 {
            b.on_attempt_end(false, t);
            allowed.push(b.try_retry(t));
        }
        assert_eq!(allowed, vec![true, true, true, true, false, false]);
        // Now 4 tokens. Each success adds 0.1: eleven bring 5.1 > 5, ten only 5.0.
        for _ in 0..10 {
            b.on_attempt_end(true, t);
        }
        assert!(!b.try_retry(t), "5.0 tokens are not above 5");
        b.on_attempt_end(true, t);
        assert!(b.try_retry(t), "5.1 tokens are above 5");
        assert_eq!(
            spec.describe(),
            "{ kind = \"token-bucket\", max_tokens = 10, token_ratio = 0.1 }"
        );
    }

    #[test]
    fn the_bucket_neither_overflows_nor_goes_negative() {
        // max 3, ratio 0.5, threshold 1.5.
        let spec = from_table::<Arc<dyn RetryBudgetSpec>>(
            &[("max_tokens", f(3.0)), ("token_ratio", f(0.5))],
            &KIND,
        )
        .unwrap();
        let mut b = spec.build().expect("a budget");
        let t = SimTime::ZERO;
        for _ in 0..10 {
            b.on_attempt_end(true, t);
        }
        // Still 3, not 8: one failure leaves 2 (allowed), a second 1 (stopped).
        b.on_attempt_end(false, t);
        assert!(b.try_retry(t));
        b.on_attempt_end(false, t);
        assert!(!b.try_retry(t));
        for _ in 0..10 {
            b.on_attempt_end(false, t);
        }
        // Still 0, not -10: three successes give 1.5 (stopped), a fourth 2.0 (allowed).
        for _ in 0..3 {
            b.on_attempt_end(true, t);
        }
        assert!(!b.try_retry(t));
        b.on_attempt_end(true, t);
        assert!(b.try_retry(t));
    }
}
