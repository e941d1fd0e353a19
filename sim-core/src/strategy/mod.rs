//! The strategy families the model calls: failure detection, routing, retries, retry
//! budgets and circuit breakers (the durability families are in [`crate::strategy::durability`]).
//!
//! Each family is a pair of traits: a `*Spec` built once from a config table (shared,
//! immutable, `Send + Sync`) and the per-run state it builds (`Detector`, `Router`,
//! `RetryPolicy`, `RetryBudget`, `CircuitBreaker`). Implementations live in the `strategies` crate, one file each. A strategy
//! never sees the clock or the event queue: it is called with the time and the view it
//! needs and answers with a decision, so the same code runs under any driver.

pub mod durability;

use crate::engine::rng::SimRng;
use crate::engine::time::{SimDuration, SimTime};
use crate::strategy::durability::DurabilitySet;
use std::fmt;
use std::sync::Arc;

/// Where failure detection runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DetectorPlacement {
    /// At the health monitor, which alone receives heartbeats (or probes); its verdicts
    /// reach the clients' shared view `propagation` after it makes them.
    Monitor { propagation: SimDuration },
    /// In every client: each runs its own detector on the heartbeats (or probes) it
    /// receives, and routes by its own view.
    Clients,
}

impl Default for DetectorPlacement {
    fn default() -> Self {
        DetectorPlacement::Monitor {
            propagation: SimDuration::ZERO,
        }
    }
}

/// Builds a failure detector for a run.
pub trait DetectorSpec: Send + Sync + fmt::Debug {
    /// How often each server sends a heartbeat, or `None` for a detector that probes the
    /// servers instead of listening to them.
    fn heartbeat_interval(&self) -> Option<SimDuration>;
    /// A fresh detector for one detecting node (the monitor or a client) watching
    /// `servers` servers; `rng` is that node's own detector stream.
    fn build(&self, servers: u32, rng: SimRng) -> Box<dyn Detector>;
    /// The spec as config text, for listings and run tables.
    fn describe(&self) -> String;
    /// Where detection runs.
    fn placement(&self) -> DetectorPlacement {
        DetectorPlacement::default()
    }
}

/// A message an active detector asks its node to send.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Probe {
    /// Ping `target`; a live target answers with an ack of `seq`.
    Direct { target: u32, seq: u32 },
    /// Ask server `relay` to ping `target` and forward its ack of `seq`.
    Indirect { relay: u32, target: u32, seq: u32 },
}

/// Decides when its node suspects a server.
///
/// Every detector is a deadline detector: after each sign of life (a heartbeat, or an ack
/// of a probe) it names its deadline, the last instant at which a sign of life keeps the
/// server trusted (for a fixed timeout, `now + timeout`; for phi accrual, the last
/// nanosecond before phi reaches its threshold). A sign of life arriving at the deadline
/// itself keeps it trusted; without one the node suspects the server 1 ns later. A passive detector only listens to heartbeats. An
/// active one (SWIM) also asks to be woken at [`next_tick`](Self::next_tick) and then
/// names the probes its node sends; the acks come back through [`on_ack`](Self::on_ack).
pub trait Detector: Send {
    /// A heartbeat from `server` arrived at `now`; returns the new suspicion deadline.
    fn on_heartbeat(&mut self, server: u32, now: SimTime) -> SimTime;
    /// The deadline of a server not yet heard from, at the start of the run.
    fn initial_deadline(&mut self, server: u32, now: SimTime) -> SimTime;
    /// When the detector next wants [`on_tick`](Self::on_tick); `None` for a passive one.
    fn next_tick(&self) -> Option<SimTime> {
        None
    }
    /// The tick the detector asked for: appends the probes to send now to `out`.
    /// `suspected[s]` is the node's current verdict on server `s`.
    fn on_tick(&mut self, _now: SimTime, _suspected: &[bool], _out: &mut Vec<Probe>) {}
    /// An ack of probe `seq` of `server` arrived (directly or through a relay); returns
    /// the new suspicion deadline, or `None` when the ack is stale and changes nothing.
    fn on_ack(&mut self, _server: u32, _seq: u32, _now: SimTime) -> Option<SimTime> {
        None
    }
}

/// What routing knows about the cluster: the failure detectors' suspicions as they
/// reached the clients, the requests each server has outstanding and, with primary/backup
/// failover, each key range's current primary.
///
/// With detection at the monitor all clients share one set of suspicions. With detection
/// in the clients each client has its own: a client selects it with
/// [`set_viewer`](Self::set_viewer) before routing, and the suspicion accessors then
/// answer for that client.
#[derive(Clone, Debug)]
pub struct ClusterView {
    servers: u32,
    /// Suspicions of every viewer, viewer-major: viewer v's flag for server s is at
    /// `v * servers + s`.
    suspected: Vec<bool>,
    /// Unsuspected servers of every viewer, in index order, for O(1) uniform choice.
    alive: Vec<Vec<u32>>,
    viewer: usize,
    /// Attempts sent to each server and not yet answered or abandoned, kept up to date
    /// only when the routers read it ([`RouterSpec::reads_outstanding`]); all zero else.
    pub outstanding: Vec<u32>,
    /// The current primary of each key range (empty without primary/backup failover).
    primary: Vec<Option<u32>>,
    /// Bumped on every change of a viewer's suspicions, so routers can rebuild cached
    /// placements.
    versions: Vec<u64>,
    /// The last mask applied by [`with_hidden`](Self::with_hidden).
    mask: Mask,
}

/// Versions of masked views have this bit set; real changes never reach it.
const MASKED_VERSION: u64 = 1 << 63;

/// The last masked view: the viewer and real version it masked, the servers it hid
/// (sorted), the version it was given, and a counter of masks for fresh versions.
#[derive(Clone, Debug, Default)]
struct Mask {
    viewer: usize,
    real: u64,
    hidden: Vec<u32>,
    version: u64,
    serial: u64,
    scratch: Vec<u32>,
}

impl ClusterView {
    /// A view shared by every client.
    pub fn new(servers: u32) -> Self {
        ClusterView::with_viewers(servers, 1)
    }

    /// A view holding `viewers` independent sets of suspicions (one per client).
    pub fn with_viewers(servers: u32, viewers: u32) -> Self {
        let viewers = viewers.max(1) as usize;
        ClusterView {
            servers,
            suspected: vec![false; servers as usize * viewers],
            alive: vec![(0..servers).collect(); viewers],
            viewer: 0,
            outstanding: vec![0; servers as usize],
            primary: Vec::new(),
            versions: vec![0; viewers],
            mask: Mask::default(),
        }
    }

    /// How many times the current viewer's suspicions have changed since the start:
    /// equal versions mean equal suspected sets.
    pub fn version(&self) -> u64 {
        self.versions[self.viewer]
    }

    pub fn servers(&self) -> u32 {
        self.servers
    }

    /// Selects whose suspicions the accessors answer with: client `client`'s own when
    /// every client has its own view, the shared ones otherwise.
    #[inline]
    pub fn set_viewer(&mut self, client: u32) {
        self.viewer = if self.alive.len() == 1 {
            0
        } else {
            client as usize
        };
    }

    #[inline]
    pub fn is_suspected(&self, server: u32) -> bool {
        self.suspected[self.viewer * self.servers as usize + server as usize]
    }

    /// Unsuspected servers, in index order.
    pub fn alive(&self) -> &[u32] {
        &self.alive[self.viewer]
    }

    /// Marks a server suspected or trusted in the current viewer's suspicions; returns
    /// whether anything changed.
    pub fn set_suspected(&mut self, server: u32, suspected: bool) -> bool {
        self.set_suspected_by(self.viewer as u32, server, suspected)
    }

    /// Marks a server suspected or trusted in `viewer`'s suspicions; returns whether
    /// anything changed.
    pub fn set_suspected_by(&mut self, viewer: u32, server: u32, suspected: bool) -> bool {
        let v = viewer as usize;
        let slot = &mut self.suspected[v * self.servers as usize + server as usize];
        if *slot == suspected {
            return false;
        }
        *slot = suspected;
        self.versions[v] += 1;
        let alive = &mut self.alive[v];
        match alive.binary_search(&server) {
            Ok(i) if suspected => {
                alive.remove(i);
            }
            Err(i) if !suspected => alive.insert(i, server),
            _ => {}
        }
        true
    }

    /// Runs `f` on the view with the `hidden` servers also marked suspected by the current
    /// viewer, then restores the view. Clients use it to keep a router off servers their circuit breakers block
    /// and, on failover, off servers a request already tried; routers need not know.
    ///
    /// While masked the view carries a version of its own, with the top bit set: equal
    /// for the same hidden servers over the same real view (so a router's cached placement
    /// survives a run of identically masked routes), never equal to any other. Afterwards
    /// the real version is back, so a mask is not a change of suspicion.
    #[inline]
    pub fn with_hidden<R>(&mut self, hidden: &[u32], f: impl FnOnce(&ClusterView) -> R) -> R {
        if hidden.is_empty() {
            return f(self);
        }
        let mut masked = std::mem::take(&mut self.mask.scratch);
        masked.clear();
        masked.extend(hidden.iter().filter(|&&s| !self.is_suspected(s)));
        masked.sort_unstable();
        masked.dedup();
        if masked.is_empty() {
            self.mask.scratch = masked;
            return f(self);
        }
        let (viewer, real) = (self.viewer, self.versions[self.viewer]);
        if self.mask.viewer != viewer || self.mask.real != real || self.mask.hidden != masked {
            self.mask.serial += 1;
            self.mask.viewer = viewer;
            self.mask.real = real;
            self.mask.hidden.clone_from(&masked);
            self.mask.version = MASKED_VERSION | self.mask.serial;
        }
        for &s in &masked {
            self.set_suspected(s, true);
        }
        self.versions[viewer] = self.mask.version;
        let result = f(self);
        for &s in &masked {
            self.set_suspected(s, false);
        }
        self.versions[viewer] = real;
        self.mask.scratch = masked;
        result
    }

    /// How many unsuspected servers are not in `hidden` (a list without repeats).
    pub fn alive_except(&self, hidden: &[u32]) -> usize {
        let hidden_alive = hidden.iter().filter(|&&s| !self.is_suspected(s)).count();
        self.alive().len() - hidden_alive
    }

    /// The current primary of key range `range`, if it has one.
    #[inline]
    pub fn primary(&self, range: u32) -> Option<u32> {
        self.primary.get(range as usize).copied().flatten()
    }

    /// Sets the primary of key range `range` (growing the table as needed).
    pub fn set_primary(&mut self, range: u32, primary: Option<u32>) {
        let r = range as usize;
        if self.primary.len() <= r {
            self.primary.resize(r + 1, None);
        }
        self.primary[r] = primary;
    }
}

/// What happens when a range's original primary is trusted again after a failover.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failback {
    /// The promoted backup stays primary.
    Stay,
    /// The primary moves back to the range's first replica.
    Return,
}

/// Primary/backup replication of key ranges, as a router that needs it describes it to
/// the monitor: the keys `0..keys` fall into contiguous ranges of (almost) equal size,
/// each served by its first replica while the monitor trusts it; when the monitor
/// suspects the primary it promotes the first trusted replica after `promotion_delay`.
#[derive(Clone, Debug, PartialEq)]
pub struct FailoverPlan {
    /// The replicas of each range, its preferred primary first.
    pub replicas: Vec<Vec<u32>>,
    /// The key space the ranges split.
    pub keys: u32,
    /// Time from the verdict that calls for a new primary to the promotion.
    pub promotion_delay: SimDuration,
    pub failback: Failback,
}

impl FailoverPlan {
    pub fn ranges(&self) -> u32 {
        self.replicas.len() as u32
    }

    /// The range holding `key`: `floor(key * ranges / keys)`, so ranges differ in size by at
    /// most one key.
    #[inline]
    pub fn range_of(&self, key: u32) -> u32 {
        let ranges = self.replicas.len() as u64;
        ((u64::from(key) * ranges) / u64::from(self.keys.max(1))).min(ranges - 1) as u32
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

/// Whether a router places a request by its key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyPlacement {
    /// A key's first attempt goes to one server while the view allows: the router's
    /// [`Router::key_owner`] names it for every key (the model measures remapped keys and
    /// picks replica sets by it).
    Keyed,
    /// Attempts are spread by load, in turn or at random; `key_owner` answers `None`.
    Unkeyed,
}

/// Builds a router for a client.
pub trait RouterSpec: Send + Sync + fmt::Debug {
    fn build(&self, servers: u32, keys: u32) -> Box<dyn Router>;
    fn describe(&self) -> String;
    /// Whether the routers it builds place by key.
    fn key_placement(&self) -> KeyPlacement;
    /// Whether the routers it builds read [`ClusterView::outstanding`]: when not, the
    /// clients leave it at zero and spare a random read and write of it per attempt sent
    /// and per attempt ended. The safe default is that they do.
    fn reads_outstanding(&self) -> bool {
        true
    }
    /// Whether it routes to primaries the health monitor promotes, and so needs detection
    /// at the monitor; such a router gives a [`failover_plan`](Self::failover_plan).
    fn needs_monitor(&self) -> bool {
        false
    }
    /// Checks the spec fits a cluster of `servers` servers and `keys` keys; on a misfit,
    /// the parameter at fault and what it should be.
    fn validate(&self, _servers: u32, _keys: u32) -> Result<(), (&'static str, String)> {
        Ok(())
    }
    /// The primary/backup plan the monitor must run for this router, if it routes to
    /// the primaries of key ranges (exactly when [`needs_monitor`](Self::needs_monitor)).
    fn failover_plan(&self, _servers: u32, _keys: u32) -> Option<FailoverPlan> {
        None
    }
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
    /// A fresh budget, or `None` for no budget at all (every retry allowed), which the
    /// client then skips without a call.
    fn build(&self) -> Option<Box<dyn RetryBudget>>;
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
    /// Fresh breakers, or `None` for no breaker at all, which the client then skips
    /// without a call.
    fn build(&self, servers: u32) -> Option<Box<dyn CircuitBreaker>>;
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
    /// Checkpointing, replication, write ordering and backups.
    pub durability: DurabilitySet,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_client_view_is_its_own() {
        let mut v = ClusterView::with_viewers(3, 2);
        assert!(v.set_suspected_by(1, 0, true));
        v.set_viewer(0);
        assert!(!v.is_suspected(0));
        assert_eq!(v.alive(), &[0, 1, 2]);
        v.set_viewer(1);
        assert!(v.is_suspected(0));
        assert_eq!(v.alive(), &[1, 2]);
        // A shared view ignores the viewer.
        let mut shared = ClusterView::new(3);
        shared.set_suspected(2, true);
        shared.set_viewer(5);
        assert_eq!(shared.alive(), &[0, 1]);
    }

    #[test]
    fn ranges_split_the_key_space_evenly() {
        let plan = FailoverPlan {
            replicas: vec![vec![0], vec![1], vec![2]],
            keys: 10,
            promotion_delay: SimDuration::ZERO,
            failback: Failback::Stay,
        };
        let ranges: Vec<u32> = (0..10).map(|k| plan.range_of(k)).collect();
        assert_eq!(ranges, vec![0, 0, 0, 0, 1, 1, 1, 2, 2, 2]);
    }

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
