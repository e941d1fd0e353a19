//! faultline's engine: simulated time, the event queue, seeded random streams,
//! distributions, the cluster model (clients, servers, network, monitor, faults), streaming
//! metrics, the trace, and the strategy traits the model calls.
//!
//! Determinism is the contract: a [`Scenario`], a [`StrategySet`] and a seed fix every
//! event of a run, on any machine and any thread count.

pub mod conf;
pub mod deadlines;
pub mod dist;
pub mod durability;
pub mod events;
pub mod liveness;
pub mod math;
pub mod metrics;
pub mod model;
pub mod queue;
pub mod report;
pub mod rng;
pub mod spec;
pub mod state_metrics;
pub mod strategy;
pub mod time;
pub mod timeline;
pub mod trace;

pub use dist::Dist;
pub use model::{Simulation, simulate, simulate_timeline, simulate_traced};
pub use report::{Cell, RunReport, RunResult};
pub use spec::Scenario;
pub use strategy::StrategySet;
pub use time::{SimDuration, SimTime};
