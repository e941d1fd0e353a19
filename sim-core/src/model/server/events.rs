//! The servers' own events, their trace digest and text, and where each is handled.

use super::Servers;
use crate::engine::trace::TraceHasher;
use crate::model::ctx::Ctx;
use crate::model::events::{Event, tag};
use std::fmt;

/// What happens at one server.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ServerEvent {
    /// A worker of a server finishes its request (cancelled if the server crashes first).
    ServiceDone { server: u32, worker: u32 },
    /// A server's heartbeat timer.
    HeartbeatTick { server: u32 },
    /// A server begins a checkpoint.
    CheckpointStart { server: u32 },
    /// A server's checkpoint is complete and durable.
    CheckpointDone { server: u32 },
    /// A recovering server has restored its state and serves again.
    RestoreDone { server: u32 },
    /// A server begins a backup.
    BackupStart { server: u32 },
    /// A server's backup has shipped.
    BackupDone { server: u32 },
    /// A server's oldest asynchronous copies are due to leave.
    ReplicationDue { server: u32 },
    /// A server's batch job is complete.
    JobDone { server: u32 },
}

impl From<ServerEvent> for Event {
    #[inline(always)]
    fn from(e: ServerEvent) -> Event {
        Event::Server(e)
    }
}

impl ServerEvent {
    /// The server that handles it.
    pub fn server(&self) -> u32 {
        match *self {
            ServerEvent::ServiceDone { server, .. }
            | ServerEvent::HeartbeatTick { server }
            | ServerEvent::CheckpointStart { server }
            | ServerEvent::CheckpointDone { server }
            | ServerEvent::RestoreDone { server }
            | ServerEvent::BackupStart { server }
            | ServerEvent::BackupDone { server }
            | ServerEvent::ReplicationDue { server }
            | ServerEvent::JobDone { server } => server,
        }
    }

    /// Its words of the trace hash (see [`Event::digest`]); the tags are the ones every
    /// recorded trace hash was computed with.
    #[inline(always)]
    pub(crate) fn digest_into(&self, h: &mut TraceHasher) {
        match *self {
            ServerEvent::ServiceDone { server, worker } => {
                h.words(&[tag(4, server), u64::from(worker)])
            }
            ServerEvent::HeartbeatTick { server } => h.words(&[tag(5, server)]),
            // State events number from 41, apart from other families' additions.
            ServerEvent::CheckpointStart { server } => h.words(&[tag(41, server)]),
            ServerEvent::CheckpointDone { server } => h.words(&[tag(42, server)]),
            ServerEvent::RestoreDone { server } => h.words(&[tag(43, server)]),
            ServerEvent::BackupStart { server } => h.words(&[tag(44, server)]),
            ServerEvent::BackupDone { server } => h.words(&[tag(45, server)]),
            ServerEvent::ReplicationDue { server } => h.words(&[tag(46, server)]),
            ServerEvent::JobDone { server } => h.words(&[tag(47, server)]),
        }
    }
}

/// The trace text after the node: `service-done worker=0`.
impl fmt::Display for ServerEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ServerEvent::ServiceDone { worker, .. } => write!(f, "service-done worker={worker}"),
            ServerEvent::HeartbeatTick { .. } => write!(f, "heartbeat-tick"),
            ServerEvent::CheckpointStart { .. } => write!(f, "checkpoint-start"),
            ServerEvent::CheckpointDone { .. } => write!(f, "checkpoint-done"),
            ServerEvent::RestoreDone { .. } => write!(f, "restore-done"),
            ServerEvent::BackupStart { .. } => write!(f, "backup-start"),
            ServerEvent::BackupDone { .. } => write!(f, "backup-done"),
            ServerEvent::ReplicationDue { .. } => write!(f, "replication-due"),
            ServerEvent::JobDone { .. } => write!(f, "job-done"),
        }
    }
}

impl Servers {
    /// Hands one of the servers' events to its handler.
    #[inline(always)]
    pub fn handle(&mut self, event: ServerEvent, ctx: &mut Ctx) {
        match event {
            ServerEvent::ServiceDone { server, worker } => {
                self.on_service_done(server, worker, ctx)
            }
            ServerEvent::HeartbeatTick { server } => self.on_heartbeat_tick(server, ctx),
            ServerEvent::CheckpointStart { server } => self.on_checkpoint_start(server, ctx),
            ServerEvent::CheckpointDone { server } => self.on_checkpoint_done(server, ctx),
            ServerEvent::RestoreDone { server } => self.on_restore_done(server, ctx),
            ServerEvent::BackupStart { server } => self.state().backup_start(server, ctx),
            ServerEvent::BackupDone { server } => self.state().backup_done(server, ctx),
            ServerEvent::ReplicationDue { server } => self.state().replication_due(server, ctx),
            ServerEvent::JobDone { server } => self.state().job_done(server, ctx),
        }
    }
}
