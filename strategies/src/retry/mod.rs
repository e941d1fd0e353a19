//! Retries: whether and when a failed attempt is tried again (backoff policies and
//! hedging), how many retries a client may spend (retry budgets), and which servers a
//! client keeps attempts away from (circuit breakers). One file per kind.

pub mod breaker;
pub mod budget;
pub mod none;
