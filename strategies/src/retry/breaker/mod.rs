//! Circuit breakers, one per server at each client, set by the `circuit_breaker` key of a
//! strategy. A closed breaker lets attempts through and feeds their results to its trip
//! rule (one file per rule); when the rule trips, the breaker opens for `open_for`, during
//! which the client hides the server from its router (and fails an attempt at once when
//! every unsuspected server is hidden). Then it turns half-open and admits `trials`
//! attempts: if they all succeed it closes, if any fails it opens again.
//!
//! Attempt results are: an answer (ok, or failed when rejected or an error), a timeout
//! (the attempt timeout, or the request deadline while the attempt was awaited). An
//! attempt abandoned because its request succeeded elsewhere has no result; it frees the
//! trial slot it may hold.

pub mod consecutive;
pub mod failure_ratio;
pub mod none;

use crate::params::{Param, Params};
use sim_core::strategy::{CircuitBreaker, CircuitBreakerSpec};
use sim_core::{SimDuration, SimTime};
use std::fmt;

pub const DEFAULT_OPEN_FOR: SimDuration = SimDuration::from_secs(1);
pub const DEFAULT_TRIALS: u32 = 1;

/// When a closed breaker opens.
pub trait TripRule: Clone + fmt::Debug + Send + Sync + 'static {
    /// What the rule remembers about one server's results.
    type Record: Clone + fmt::Debug + Send;
    fn fresh(&self) -> Self::Record;
    /// Records a result at `now` in closed state; true when the breaker must open.
    fn record(&self, record: &mut Self::Record, ok: bool, now: SimTime) -> bool;
}

/// What every breaker kind shares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BreakerSettings {
    pub open_for: SimDuration,
    pub trials: u32,
}

/// The parameters every breaker kind shares.
pub const SETTINGS: &[Param] = &[
    Param::duration(
        "open_for",
        DEFAULT_OPEN_FOR,
        "how long an open breaker keeps attempts away",
    )
    .positive(),
    Param::int32(
        "trials",
        DEFAULT_TRIALS,
        "half-open trial attempts that must all succeed to close",
        "attempts",
    )
    .check(|v| v.int() >= 1, "an integer of at least 1"),
];

/// The shared settings, from the parameters read.
pub fn settings(p: &Params) -> BreakerSettings {
    BreakerSettings {
        open_for: p.duration("open_for"),
        trials: p.int32("trials"),
    }
}

#[derive(Clone, Debug)]
pub struct BreakerSpec<R> {
    pub rule: R,
    pub settings: BreakerSettings,
    pub description: String,
}

impl<R: TripRule> CircuitBreakerSpec for BreakerSpec<R> {
    fn build(&self, servers: u32) -> Option<Box<dyn CircuitBreaker>> {
        Some(Box::new(Breakers::new(
            self.rule.clone(),
            self.settings,
            servers,
        )))
    }

    fn describe(&self) -> String {
        self.description.clone()
    }
}

/// The state of one server's breaker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Closed,
    Open,
    /// Trial attempts sent and succeeded so far.
    HalfOpen {
        sent: u32,
        succeeded: u32,
    },
}

/// A client's breakers for every server.
#[derive(Clone, Debug)]
pub struct Breakers<R: TripRule> {
    rule: R,
    settings: BreakerSettings,
    phases: Vec<Phase>,
    records: Vec<R::Record>,
    /// Servers taking no attempt now, in index order.
    blocked: Vec<u32>,
}

impl<R: TripRule> Breakers<R> {
    pub fn new(rule: R, settings: BreakerSettings, servers: u32) -> Self {
        Breakers {
            records: (0..servers).map(|_| rule.fresh()).collect(),
            rule,
            settings,
            phases: vec![Phase::Closed; servers as usize],
            blocked: Vec::new(),
        }
    }

    pub fn phase(&self, server: u32) -> Phase {
        self.phases[server as usize]
    }

    fn block(&mut self, server: u32) {
        if let Err(i) = self.blocked.binary_search(&server) {
            self.blocked.insert(i, server);
        }
    }

    fn unblock(&mut self, server: u32) {
        if let Ok(i) = self.blocked.binary_search(&server) {
            self.blocked.remove(i);
        }
    }

    fn open(&mut self, server: u32) -> Option<SimDuration> {
        self.phases[server as usize] = Phase::Open;
        self.records[server as usize] = self.rule.fresh();
        self.block(server);
        Some(self.settings.open_for)
    }
}

impl<R: TripRule> CircuitBreaker for Breakers<R> {
    fn blocked(&self) -> &[u32] {
        &self.blocked
    }

    fn on_send(&mut self, server: u32) {
        if let Phase::HalfOpen { sent, .. } = &mut self.phases[server as usize] {
            *sent += 1;
            if *sent >= self.settings.trials {
                self.block(server);
            }
        }
    }

    fn on_result(&mut self, server: u32, ok: bool, now: SimTime) -> Option<SimDuration> {
        let s = server as usize;
        match self.phases[s] {
            Phase::Closed => {
                if self.rule.record(&mut self.records[s], ok, now) {
                    return self.open(server);
                }
                None
            }
            // A result of an attempt sent before the breaker opened.
            Phase::Open => None,
            Phase::HalfOpen { sent, succeeded } => {
                if !ok {
                    return self.open(server);
                }
                if succeeded + 1 >= self.settings.trials {
                    self.phases[s] = Phase::Closed;
                    self.records[s] = self.rule.fresh();
                    self.unblock(server);
                } else {
                    self.phases[s] = Phase::HalfOpen {
                        sent,
                        succeeded: succeeded + 1,
                    };
                }
                None
            }
        }
    }

    fn on_abandon(&mut self, server: u32) {
        if let Phase::HalfOpen { sent, .. } = &mut self.phases[server as usize]
            && *sent > 0
        {
            *sent -= 1;
            if *sent < self.settings.trials {
                self.unblock(server);
            }
        }
    }

    fn half_open(&mut self, server: u32) {
        if self.phases[server as usize] == Phase::Open {
            self.phases[server as usize] = Phase::HalfOpen {
                sent: 0,
                succeeded: 0,
            };
            self.unblock(server);
        }
    }
}
