//! No backups: a server whose disk is lost comes back empty.

use crate::params::Params;
use crate::registry::{Builder, Family, Kind};
use sim_core::config::ConfigError;
use sim_core::strategy::durability::BackupSpec;

pub const KIND: Kind = Kind {
    family: Family::Backup,
    name: "none",
    summary: "no backups",
    params: &[],
    build: Builder::Backup(build),
};

fn build(_p: &mut Params) -> Result<BackupSpec, ConfigError> {
    Ok(BackupSpec::NONE)
}
