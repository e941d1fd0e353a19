//! faultline's experiments: config loading and validation, sweep expansion, the parallel
//! runner, output files and statistics, the resume journal, and the `faultline` command
//! line.

pub mod campaign;
pub mod checks;
pub mod cli;
pub mod config;
pub mod fault_kinds;
pub mod headline;
pub mod hunt;
pub mod journal;
pub mod latency_cdf;
pub mod load;
pub mod manifest;
pub mod merge;
pub mod output;
pub mod plot;
pub mod progress;
pub mod replay;
pub mod report_html;
pub mod run;
pub mod runner;
pub mod runs_csv;
pub mod shard;
pub mod shrink;
pub mod slurm;
pub mod summary;
pub mod swarm;
pub mod timeline;
pub mod validate;

pub use config::{Experiment, Overrides, RunKey};
