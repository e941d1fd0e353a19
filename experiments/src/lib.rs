//! faultline's experiments: config loading and validation, sweep expansion, the parallel
//! runner, output files, and the `faultline` command line.

pub mod cli;
pub mod config;
pub mod load;
pub mod output;
pub mod runner;
pub mod runs_csv;

pub use config::{Experiment, Overrides, RunKey};
