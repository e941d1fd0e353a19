//! No backups: a server whose disk is lost comes back empty.

use crate::registry::{Builder, Family, Kind};
use sim_core::conf::{ConfigError, Section};
use sim_core::durability::BackupSpec;

pub const KIND: Kind = Kind {
    family: Family::Backup,
    name: "none",
    summary: "no backups",
    params: Vec::new,
    build: Builder::Backup(build),
};

fn build(_sec: &Section) -> Result<BackupSpec, ConfigError> {
    Ok(BackupSpec::NONE)
}
