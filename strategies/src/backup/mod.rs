//! Backups: copies of each server's keys kept off the server, which survive the loss of
//! its disk (`[cluster] state.disk_loss`).

pub mod none;
pub mod periodic;
