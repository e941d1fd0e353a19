//! faultline's strategies: one file per implementation, grouped by family, and the
//! registry that builds them by name from config tables (`kind = "..."`).
//!
//! Every kind is listed in [`KINDS`] with a one-line description and its parameter table
//! ([`params`]): each parameter declared once, with its reader, default, doc and unit.
//! The table drives reading the kind's config table (unknown parameters are refused with
//! a suggestion), the `faultline strategies` listing and the kind's canonical description.

pub mod backup;
pub mod checkpoint;
#[cfg(test)]
mod descriptions;
pub mod detect;
pub mod ordering;
pub mod params;
pub mod registry;
pub mod replication;
pub mod retry;
pub mod route;

pub use params::{Param, Params};
pub use registry::{Family, KINDS, Kind, build_strategy_set, check_fit, find_kind};
