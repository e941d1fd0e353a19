//! Failure detectors: when a node (the monitor, or each client) suspects a server, from
//! the heartbeats it receives or the probes it sends, and where that node is.

pub mod fixed_timeout;
pub mod phi_accrual;
pub mod placement;
pub mod swim;
