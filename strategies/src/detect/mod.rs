//! Failure detectors: when the monitor suspects a server, from its heartbeats.

pub mod fixed_timeout;
