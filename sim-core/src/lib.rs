//! faultline's engine: simulated time, the event queue, seeded random streams,
//! distributions, the cluster model (clients, servers, network, monitor, faults), streaming
//! metrics, the trace, and the strategy traits the model calls.
//!
//! Determinism is the contract: a [`Scenario`], a [`StrategySet`] and a seed fix every
//! event of a run, on any machine and any thread count.

pub mod config;
pub mod engine;
pub mod model;
pub mod report;
pub mod strategy;

pub use config::scenario::Scenario;
pub use engine::dist::Dist;
pub use engine::time::{SimDuration, SimTime};
pub use model::{Simulation, simulate, simulate_timeline, simulate_traced};
pub use report::{Cell, RunReport, RunResult};
pub use strategy::StrategySet;
