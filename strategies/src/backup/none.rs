//! No backups: a server whose disk is lost comes back empty.

use crate::params::Params;
use crate::registry::{Builder, Family, Kind};
use sim_core::config::ConfigError;
use sim_core::strategy::durability::{BackupSchedule, BackupSpec};
use std::sync::Arc;

pub const KIND: Kind = Kind {
    family: Family::Backup,
    name: "none",
    summary: "no backups",
    params: &[],
    build: Builder::Backup(build),
};

/// Takes no backups.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoBackup;

fn build(_p: &mut Params) -> Result<Arc<dyn BackupSpec>, ConfigError> {
    Ok(Arc::new(NoBackup))
}

impl BackupSpec for NoBackup {
    fn schedule(&self) -> Option<BackupSchedule> {
        None
    }

    fn describe(&self) -> String {
        crate::params::bare(KIND.name)
    }
}
