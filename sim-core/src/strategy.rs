//! The strategy families the model calls: failure detection, routing, retries, retry
//! budgets and circuit breakers.
//!
//! Each family is a pair of traits: a `*Spec` built once from a config table (shared,
//! immutable, `Send + Sync`) and the per-run state it builds (`Detector`, `Router`,
//! `RetryPolicy`, `RetryBudget`, `CircuitBreaker`). Implementations live in the `strategies` crate, one file each. A strategy
//! never sees the clock or the event queue: it is called with the time and the view it
//! needs and answers with a decision, so the same code runs under any driver.

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
    /// The last mask applied by [`with_hidden`](Self::with_hidden).
    mask: Mask,
}

/// Versions of masked views have this bit set; real changes never reach it.
const MASKED_VERSION: u64 = 1 << 63;

/// The last masked view: the real version it masked, the servers it hid (sorted), the
/// version it was given, and a counter of masks for fresh versions.
#[derive(Clone, Debug, Default)]
struct Mask {
    real: u64,
    hidden: Vec<u32>,
    version: u64,
    serial: u64,
    scratch: Vec<u32>,
}

impl ClusterView {
    pub fn new(servers: u32) -> Self {
        ClusterView {
            suspected: vec![false; servers as usize],
            alive: (0..servers).collect(),
            outstanding: vec![0; servers as usize],
            version: 0,
            mask: Mask::default(),
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

    /// Runs `f` on the view with the `hidden` servers also marked suspected, then restores
    /// the view. Clients use it to keep a router off servers their circuit breakers block
    /// and, on failover, off servers a request already tried; routers need not know.
    ///
    /// While masked the view carries a version of its own, with the top bit set: equal
    /// for the same hidden servers over the same real view (so a router's cached placement
    /// survives a run of identically masked routes), never equal to any other. Afterwards
    /// the real version is back, so a mask is not a change of suspicion.
    pub fn with_hidden<R>(&mut self, hidden: &[u32], f: impl FnOnce(&ClusterView) -> R) -> R {
        let mut masked = std::mem::take(&mut self.mask.scratch);
        masked.clear();
        masked.extend(hidden.iter().filter(|&&s| !self.is_suspected(s)));
        masked.sort_unstable();
        masked.dedup();
        if masked.is_empty() {
            self.mask.scratch = masked;
            return f(self);
        }
        let real = self.version;
        if self.mask.real != real || self.mask.hidden != masked {
            self.mask.serial += 1;
            self.mask.real = real;
            self.mask.hidden.clone_from(&masked);
            self.mask.version = MASKED_VERSION | self.mask.serial;
        }
        for &s in &masked {
            self.set_suspected(s, true);
        }
        self.version = self.mask.version;
        let result = f(self);
        for &s in &masked {
            self.set_suspected(s, false);
        }
        self.version = real;
        self.mask.scratch = masked;
        result
    }

    /// How many unsuspected servers are not in `hidden` (a list without repeats).
    pub fn alive_except(&self, hidden: &[u32]) -> usize {
        let hidden_alive = hidden.iter().filter(|&&s| !self.is_suspected(s)).count();
        self.alive.len() - hidden_alive
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
    /// not (a rejection, an error answer, an attempt timeout, or an attempt abandoned when
    /// its request's deadline passed). Hedges that lost their race report nothing.
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

/// The most attempts of one request that may await answers at once (hedging).
pub const MAX_HEDGED_ATTEMPTS: u32 = 5;

/// The limits every retry policy sets on a request's attempts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryLimits {
    /// Attempts a request may make in all, the first included (1: never retried).
    pub max_attempts: u32,
    /// How long an attempt waits for its answer before it counts as failed; `None`
    /// waits until the request's overall deadline.
    pub attempt_timeout: Option<SimDuration>,
    /// Whether each new attempt avoids the servers the request already tried, as long as
    /// another unsuspected server remains (client-side failover).
    pub failover: bool,
}

impl RetryLimits {
    /// One attempt, no attempt timeout: a request is never retried.
    pub const SINGLE: RetryLimits = RetryLimits {
        max_attempts: 1,
        attempt_timeout: None,
        failover: false,
    };
}

/// Decides whether and when a failed attempt is tried again, and when a hedge goes out.
///
/// An attempt fails when it times out (`attempt_timeout`), when the server rejects it
/// (queue full), when the server answers with an error, or when every usable server's
/// circuit breaker is open. The client asks for a retry only while attempts remain, and
/// sends it only if it leaves before the request's overall deadline and the retry budget
/// allows it.
pub trait RetryPolicy: Send {
    fn limits(&self) -> RetryLimits;
    /// Attempt number `attempt` (1-based) failed, and the wait before it was `previous`
    /// (zero before the first attempt); the wait before the next attempt, or `None` to
    /// give up.
    fn next_delay(
        &mut self,
        attempt: u32,
        previous: SimDuration,
        rng: &mut SimRng,
    ) -> Option<SimDuration>;
    /// For hedging policies: how long after an attempt is sent the next one follows if no
    /// answer has arrived. `None`: no hedge (the default).
    fn hedge_delay(&mut self) -> Option<SimDuration> {
        None
    }
    /// A request of this client succeeded `latency` after it was created.
    fn on_success(&mut self, _latency: SimDuration) {}
}

/// Builds a client's retry budget.
pub trait RetryBudgetSpec: Send + Sync + fmt::Debug {
    fn build(&self) -> Box<dyn RetryBudget>;
    fn describe(&self) -> String;
}

/// Caps the retries (and hedges) a client sends, whatever its retry policy wants, so that
/// retries cannot multiply the load on a failing cluster. Each client holds its own.
pub trait RetryBudget: Send {
    /// The client issued a new request at `now`.
    fn on_request(&mut self, _now: SimTime) {}
    /// An attempt ended at `now`: answered successfully (`ok`) or failed.
    fn on_attempt_end(&mut self, _ok: bool, _now: SimTime) {}
    /// The client wants to send a retry or a hedge at `now`: whether the budget allows it
    /// (an allowed retry is charged to the budget).
    fn try_retry(&mut self, now: SimTime) -> bool;
}

/// Builds a client's circuit breakers, one per server.
pub trait CircuitBreakerSpec: Send + Sync + fmt::Debug {
    fn build(&self, servers: u32) -> Box<dyn CircuitBreaker>;
    fn describe(&self) -> String;
}

/// A client's circuit breakers, one per server: closed (attempts flow), open (the client
/// keeps attempts away from the server until the open period ends) and half-open (a few
/// trial attempts decide between closing and opening again).
pub trait CircuitBreaker: Send {
    /// Servers that take no attempt now (open, or half-open with every trial slot taken),
    /// in index order.
    fn blocked(&self) -> &[u32];
    /// An attempt was sent to `server` (in half-open state it takes a trial slot).
    fn on_send(&mut self, _server: u32) {}
    /// An attempt to `server` ended at `now`, answered successfully (`ok`) or failed.
    /// Returns the open period when this result opened the breaker.
    fn on_result(&mut self, _server: u32, _ok: bool, _now: SimTime) -> Option<SimDuration> {
        None
    }
    /// An attempt to `server` was abandoned without a result (its request succeeded
    /// elsewhere): a trial slot it held is freed.
    fn on_abandon(&mut self, _server: u32) {}
    /// The open period of `server` ended: its breaker turns half-open.
    fn half_open(&mut self, _server: u32) {}
}

/// One named strategy of an experiment: a choice in each family.
#[derive(Clone, Debug)]
pub struct StrategySet {
    pub name: String,
    pub detector: Arc<dyn DetectorSpec>,
    pub routing: Arc<dyn RouterSpec>,
    pub retry: Arc<dyn RetrySpec>,
    pub retry_budget: Arc<dyn RetryBudgetSpec>,
    pub circuit_breaker: Arc<dyn CircuitBreakerSpec>,
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

    #[test]
    fn hidden_servers_are_masked_and_restored() {
        let mut v = ClusterView::new(5);
        v.set_suspected(1, true);
        assert_eq!(v.alive_except(&[1, 3]), 3);
        let seen = v.with_hidden(&[1, 3], |view| view.alive().to_vec());
        assert_eq!(seen, vec![0, 2, 4]);
        // Server 1 was suspected before and stays so; server 3 comes back.
        assert_eq!(v.alive(), &[0, 2, 3, 4]);
        assert!(v.is_suspected(1));
        let many: Vec<u32> = (0..5).chain(0..20).map(|s| s % 5).collect();
        assert_eq!(v.with_hidden(&many, |view| view.alive().len()), 0);
        assert_eq!(v.alive(), &[0, 2, 3, 4]);
        // A mask is not a change of suspicion: the real version comes back.
        let real = v.version();
        let a = v.with_hidden(&[3], |view| view.version());
        let b = v.with_hidden(&[3, 1], |view| view.version());
        let c = v.with_hidden(&[2], |view| view.version());
        assert_eq!(v.version(), real);
        assert_ne!(a, real);
        assert_eq!(
            a, b,
            "the same servers hidden (1 was suspected anyway): the same version"
        );
        assert_ne!(a, c);
        // After a real change the same mask gets a fresh version.
        v.set_suspected(4, true);
        let d = v.with_hidden(&[3], |view| view.version());
        assert!(d != a && d != c && d != v.version());
        assert_eq!(v.with_hidden(&[1], |view| view.version()), v.version());
    }
}
