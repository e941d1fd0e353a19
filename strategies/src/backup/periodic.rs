//! Periodic backups: every `interval` (from the start or the end of a restore) a server
//! ships a copy of its keys as they are, which becomes restorable `transfer` later. It
//! does not slow serving. A restore uses the newer of the server's checkpoint and its
//! backup (the backup alone when the disk is lost), and fetching a backup adds `transfer`.

use crate::params::{Param, Params};
use crate::registry::{Builder, Family, Kind};
use sim_core::SimDuration;
use sim_core::config::ConfigError;
use sim_core::strategy::durability::BackupSpec;

pub const DEFAULT_INTERVAL: SimDuration = SimDuration::from_secs(3600);
pub const DEFAULT_TRANSFER: SimDuration = SimDuration::from_secs(60);

pub const KIND: Kind = Kind {
    family: Family::Backup,
    name: "periodic",
    summary: "ship a copy of each server's keys every `interval`; restore it when the disk is lost",
    params: &[&[
        Param::duration("interval", DEFAULT_INTERVAL, "time between backup starts").positive(),
        Param::duration(
            "transfer",
            DEFAULT_TRANSFER,
            "time to ship a backup, and to fetch it back in a restore",
        ),
    ]],
    build: Builder::Backup(build),
};

fn build(p: &mut Params) -> Result<BackupSpec, ConfigError> {
    let interval = p.duration("interval");
    let transfer = p.duration("transfer");
    if p.given("transfer") {
        p.check(
            "transfer",
            transfer < interval,
            &format!("a duration shorter than the interval ({interval})"),
        )?;
    }
    Ok(BackupSpec {
        interval: Some(interval),
        transfer,
    })
}
