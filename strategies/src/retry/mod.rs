//! Retry policies: whether and when a failed attempt is tried again.

pub mod none;
