//! Circuit breakers, one per server at each client, set by the `circuit_breaker` key of a
//! strategy.

pub mod none;
