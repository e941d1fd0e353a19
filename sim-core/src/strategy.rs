//! The strategy families the model calls: failure detection, routing and retries (the
//! durability families are in [`crate::durability`]).
//!
//! Each family is a pair of traits: a `*Spec` built once from a config table (shared,
//! immutable, `Send + Sync`) and the per-run state it builds (`Detector`, `Router`,
//! `RetryPolicy`). Implementations live in the `strategies` crate, one file each. A strategy
//! never sees the clock or the event queue: it is called with the time and the view it
//! needs and answers with a decision, so the same code runs under any driver.

use crate::durability::DurabilitySet;
use crate::rng::SimRng;
use crate::time::{SimDuration, SimTime};
use std::fmt;
use std::sync::Arc;

/// Builds a failure detector for a run.
pub trait DetectorSpec: Send + Sync + fmt::Debug {
    /// How often each server sends a heartbeat.
    fn heartbeat_interval(&self) -> SimDuration;
    /// A fresh detector watching `servers` servers.
    fn build(&self, servers: u32) -> Box<dyn Detector>;
    /// The spec as config text, for listings and run tables.
    fn describe(&self) -> String;
}

/// Decides when the monitor suspects a server, from the heartbeats it receives.
///
/// Every detector here is a deadline detector: after each heartbeat it names the instant
/// at which the server becomes suspected if no later heartbeat arrives first (for a
/// fixed timeout, `now + timeout`; for phi accrual, the instant phi crosses its threshold).
pub trait Detector: Send {
    /// A heartbeat from `server` arrived at `now`; returns the new suspicion deadline.
    fn on_heartbeat(&mut self, server: u32, now: SimTime) -> SimTime;
    /// The deadline of a server not yet heard from, at the start of the run.
    fn initial_deadline(&mut self, server: u32, now: SimTime) -> SimTime;
}

/// What routing knows about the cluster: the monitor's suspicions as they reached the
/// clients, and the requests each server has outstanding.
#[derive(Clone, Debug)]
pub struct ClusterView {
    suspected: Vec<bool>,
    /// Unsuspected servers in index order, for O(1) uniform choice.
    alive: Vec<u32>,
    /// Attempts sent to each server and not yet answered or abandoned.
    pub outstanding: Vec<u32>,
    /// Bumped on every change of suspicion, so routers can rebuild cached placements.
    version: u64,
}

impl ClusterView {
    pub fn new(servers: u32) -> Self {
        ClusterView {
            suspected: vec![false; servers as usize],
            alive: (0..servers).collect(),
            outstanding: vec![0; servers as usize],
            version: 0,
        }
    }

    /// How many times suspicion has changed since the start: equal versions mean equal
    /// suspected sets.
    pub fn version(&self) -> u64 {
        self.version
    }

    pub fn servers(&self) -> u32 {
        self.suspected.len() as u32
    }

    pub fn is_suspected(&self, server: u32) -> bool {
        self.suspected[server as usize]
    }

    /// Unsuspected servers, in index order.
    pub fn alive(&self) -> &[u32] {
        &self.alive
    }

    /// Marks a server suspected or trusted; returns whether anything changed.
    pub fn set_suspected(&mut self, server: u32, suspected: bool) -> bool {
        let slot = &mut self.suspected[server as usize];
        if *slot == suspected {
            return false;
        }
        *slot = suspected;
        self.version += 1;
        match self.alive.binary_search(&server) {
            Ok(i) if suspected => {
                self.alive.remove(i);
            }
            Err(i) if !suspected => self.alive.insert(i, server),
            _ => {}
        }
        true
    }
}

/// What a router is asked to place.
#[derive(Clone, Copy, Debug)]
pub struct RouteInput {
    /// The request's key.
    pub key: u32,
    /// 1 for the first attempt, 2 for the first retry, ...
    pub attempt: u32,
    /// The server of the previous attempt, which failover should avoid.
    pub previous: Option<u32>,
    /// When the attempt is sent.
    pub now: SimTime,
}

/// Builds a router for a client.
pub trait RouterSpec: Send + Sync + fmt::Debug {
    fn build(&self, servers: u32, keys: u32) -> Box<dyn Router>;
    fn describe(&self) -> String;
}

/// Picks the server for each attempt.
pub trait Router: Send {
    /// The server for this attempt, or `None` when no server is acceptable (the request
    /// then fails at once as unavailable).
    fn route(&mut self, input: &RouteInput, view: &ClusterView, rng: &mut SimRng) -> Option<u32>;
    /// Feedback: an attempt on `server` ended at `now` after `latency`, successfully or
    /// not (a rejection, or an attempt abandoned when its request's deadline passed).
    fn on_reply(&mut self, _now: SimTime, _server: u32, _latency: SimDuration, _ok: bool) {}
    /// Where the first attempt of `key` goes under `view` with no load anywhere, for
    /// routers that place by key; `None` for the others. Draws no randomness. The model
    /// evaluates it over a sample of keys at each change of the view to measure how many
    /// keys a membership change remaps.
    fn key_owner(&mut self, _key: u32, _view: &ClusterView) -> Option<u32> {
        None
    }
}

/// Builds a client's retry policy.
pub trait RetrySpec: Send + Sync + fmt::Debug {
    fn build(&self) -> Box<dyn RetryPolicy>;
    fn describe(&self) -> String;
}

/// Decides whether and when a failed attempt is retried.
pub trait RetryPolicy: Send {
    /// Attempt number `attempt` (1-based) failed; the wait before the next attempt, or
    /// `None` to give up. The client's overall deadline still applies.
    fn next_delay(&mut self, attempt: u32, rng: &mut SimRng) -> Option<SimDuration>;
}

/// One named strategy of an experiment: a choice in each family.
#[derive(Clone, Debug)]
pub struct StrategySet {
    pub name: String,
    pub detector: Arc<dyn DetectorSpec>,
    pub routing: Arc<dyn RouterSpec>,
    pub retry: Arc<dyn RetrySpec>,
    /// Checkpointing, replication, write ordering and backups.
    pub durability: DurabilitySet,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn view_tracks_alive_servers_in_order() {
        let mut v = ClusterView::new(4);
        assert_eq!(v.alive(), &[0, 1, 2, 3]);
        assert!(v.set_suspected(2, true));
        assert!(!v.set_suspected(2, true));
        assert!(v.set_suspected(0, true));
        assert_eq!(v.alive(), &[1, 3]);
        assert!(v.set_suspected(2, false));
        assert_eq!(v.alive(), &[1, 2, 3]);
        assert!(v.is_suspected(0));
        assert_eq!(
            v.version(),
            3,
            "three changes, the repeated one not counted"
        );
    }
}
