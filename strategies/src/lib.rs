//! faultline's strategies: one file per implementation, grouped by family, and the
//! registry that builds them by name from config tables (`kind = "..."`).
//!
//! Every kind is listed in [`KINDS`] with a one-line description and its parameters with
//! their defaults; `faultline strategies` prints that table, and building a kind from a
//! table rejects unknown parameters with a suggestion.

pub mod backup;
pub mod checkpoint;
#[cfg(test)]
mod descriptions;
pub mod detect;
pub mod ordering;
pub mod registry;
pub mod replication;
pub mod retry;
pub mod route;

pub use registry::{Family, KINDS, Kind, Param, build_strategy_set, check_fit, find_kind};
