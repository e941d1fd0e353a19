//! Replication: which servers hold each key, and the copies a write sends them.
//!
//! A key's replicas are the first `factor` servers of its preference order: the servers
//! its requests fail over to, one after another, under the strategy's router with every
//! server trusted (ring successors, rendezvous ranks, the rehash sequence, ...); under
//! primary/backup, its range's replicas in order. For a router that does not place by key
//! the order is h, h + 1, ... (mod n) from a fixed hash h of the key. The server that applies a client's write sends a copy to every other
//! replica (to all of them when it is not one itself). Synchronous replication
//! acknowledges the write once `acks` servers applied it, the sender included;
//! asynchronous acknowledges at once and sends the copies `delay` later, unless the sender
//! crashes first. Copies are not resent: a replica that is down, restoring or cut off when
//! one arrives misses it, until it catches up from the others when it next recovers
//! (see [`state`](crate::model::state)). Memory holds only writes in flight: a synchronous write still
//! short of acks is forgotten after the client's timeout.

use crate::engine::queue::EventId;
use crate::engine::rng::{SimRng, splitmix64};
use crate::engine::time::{SimDuration, SimTime};
use crate::model::ctx::Ctx;
use crate::model::events::Body;
use crate::model::events::ServerEvent;
use crate::model::events::{Msg, Node, ReqId};
use crate::model::state::keymap::KeyMap;
use crate::strategy::durability::AckRule;
use crate::strategy::{ClusterView, FailoverPlan, KeyPlacement, RouteInput, Router, StrategySet};
use std::collections::VecDeque;

/// The replica sets of keys, each found once and kept.
pub struct ReplicaSets {
    servers: u32,
    factor: u32,
    /// A router of the strategy, its all-trusted view and a stream it never draws from
    /// (routers that place by key draw nothing).
    keyed: Option<(Box<dyn Router>, ClusterView, SimRng)>,
    /// The key ranges of primary/backup routing.
    ranges: Option<FailoverPlan>,
    /// The sets found so far, `factor` servers each, by where they start in `sets`: a
    /// key's set depends on the key alone, and every write and every catch-up asks for it.
    found: KeyMap<usize>,
    sets: Vec<u32>,
}

impl ReplicaSets {
    pub fn new(strategy: &StrategySet, servers: u32, keys: u32, factor: u32, rng: SimRng) -> Self {
        let keyed = (strategy.routing.key_placement() == KeyPlacement::Keyed).then(|| {
            (
                strategy.routing.build(servers, keys),
                ClusterView::new(servers),
                rng,
            )
        });
        ReplicaSets {
            servers,
            factor: factor.min(servers),
            keyed,
            ranges: strategy.routing.failover_plan(servers, keys),
            found: KeyMap::default(),
            sets: Vec::new(),
        }
    }

    /// Replica sets that ignore the router: h, h + 1, ... from a hash h of the key.
    pub fn unkeyed(servers: u32, factor: u32) -> Self {
        ReplicaSets {
            servers,
            factor: factor.min(servers),
            keyed: None,
            ranges: None,
            found: KeyMap::default(),
            sets: Vec::new(),
        }
    }

    /// The replicas of `key`, first the primary, into `out`.
    pub fn of(&mut self, key: u32, out: &mut Vec<u32>) {
        out.clear();
        let factor = self.factor as usize;
        if let Some(&start) = self.found.get(key) {
            out.extend_from_slice(&self.sets[start..start + factor]);
            return;
        }
        self.find(key, out);
        *self.found.entry(key) = self.sets.len();
        self.sets.extend_from_slice(out);
    }

    fn find(&mut self, key: u32, out: &mut Vec<u32>) {
        if let Some(plan) = &self.ranges {
            let replicas = &plan.replicas[plan.range_of(key) as usize];
            out.extend(replicas.iter().take(self.factor as usize));
        } else if let Some((router, view, rng)) = &mut self.keyed {
            let mut previous = None;
            for attempt in 1..=self.factor {
                let input = RouteInput {
                    key,
                    attempt,
                    previous,
                    now: SimTime::ZERO,
                };
                match router.route(&input, view, rng) {
                    Some(s) if !out.contains(&s) => {
                        out.push(s);
                        previous = Some(s);
                    }
                    _ => break,
                }
            }
        }
        let n = self.servers;
        let mut next = match out.last() {
            Some(&last) => last + 1,
            None => {
                let mut h = u64::from(key);
                (splitmix64(&mut h) % u64::from(n)) as u32
            }
        };
        while (out.len() as u32) < self.factor {
            let s = next % n;
            if !out.contains(&s) {
                out.push(s);
            }
            next = s + 1;
        }
    }
}

struct Pending {
    write: Body,
    since: SimTime,
    needed: u32,
    got: u32,
}

struct Outgoing {
    due: SimTime,
    write: Body,
}

pub struct Replication {
    factor: u32,
    acks: AckRule,
    sets: ReplicaSets,
    scratch: Vec<u32>,
    /// Per server: synchronous writes waiting for acks, oldest first.
    pending: Vec<VecDeque<Pending>>,
    /// Per server: asynchronous copies not yet sent, oldest first, and the timer of the
    /// oldest.
    outbox: Vec<VecDeque<Outgoing>>,
    timers: Vec<Option<EventId>>,
    /// Copies and acks sent and not yet delivered or dropped.
    in_flight: u64,
    forget_after: SimDuration,
}

impl Replication {
    pub fn new(
        factor: u32,
        acks: AckRule,
        sets: ReplicaSets,
        servers: u32,
        timeout: SimDuration,
    ) -> Self {
        let n = servers as usize;
        Replication {
            factor,
            acks,
            sets,
            scratch: Vec::new(),
            pending: (0..n).map(|_| VecDeque::new()).collect(),
            outbox: (0..n).map(|_| VecDeque::new()).collect(),
            timers: vec![None; n],
            in_flight: 0,
            forget_after: timeout,
        }
    }

    /// The replicas of `key` into `out`.
    pub fn replicas(&mut self, key: u32, out: &mut Vec<u32>) {
        self.sets.of(key, out);
    }

    fn send_copies(&mut self, server: u32, w: Body, ack: bool, ctx: &mut Ctx) -> u32 {
        self.sets.of(w.key, &mut self.scratch);
        let mut sent = 0;
        for &r in &self.scratch {
            if r == server {
                continue;
            }
            sent += 1;
            let msg = Msg::Replicate {
                req: w.req,
                attempt: w.attempt,
                key: w.key,
                ts: w.ts,
                ack,
            };
            if ctx.send_tracked(Node::Server(server), Node::Server(r), msg) {
                self.in_flight += 1;
            }
        }
        sent
    }

    /// `server` applied `w` for its client: sends or queues the copies. Returns whether
    /// the write is to be acknowledged now.
    pub fn on_applied(&mut self, server: u32, w: Body, ctx: &mut Ctx) -> bool {
        if self.factor <= 1 {
            return true;
        }
        let now = ctx.now();
        match self.acks {
            AckRule::Async { delay } if delay.is_zero() => {
                self.send_copies(server, w, false, ctx);
                true
            }
            AckRule::Async { delay } => {
                let due = now.saturating_add(delay);
                let queue = &mut self.outbox[server as usize];
                queue.push_back(Outgoing { due, write: w });
                if queue.len() == 1 {
                    self.timers[server as usize] =
                        Some(ctx.at(due, ServerEvent::ReplicationDue { server }));
                }
                true
            }
            AckRule::Sync { acks } => {
                let sent = self.send_copies(server, w, true, ctx);
                let needed = acks.saturating_sub(1).min(sent);
                if needed == 0 {
                    return true;
                }
                let queue = &mut self.pending[server as usize];
                while queue
                    .front()
                    .is_some_and(|p| now.since(p.since) > self.forget_after)
                {
                    queue.pop_front();
                }
                queue.push_back(Pending {
                    write: w,
                    since: now,
                    needed,
                    got: 0,
                });
                false
            }
        }
    }

    /// An ack of a copy reached `server`: returns the write to acknowledge when it now has
    /// all the acks it waited for.
    pub fn on_ack(&mut self, server: u32, req: ReqId, attempt: u16) -> Option<Body> {
        let queue = &mut self.pending[server as usize];
        let i = queue
            .iter()
            .position(|p| p.write.req == req && p.write.attempt == attempt)?;
        let p = &mut queue[i];
        p.got += 1;
        if p.got < p.needed {
            return None;
        }
        queue.remove(i).map(|p| p.write)
    }

    /// The oldest queued copies of `server` are due: sends every copy due by now.
    pub fn on_due(&mut self, server: u32, ctx: &mut Ctx) {
        let now = ctx.now();
        self.timers[server as usize] = None;
        while let Some(o) = self.outbox[server as usize].front() {
            if o.due > now {
                let due = o.due;
                self.timers[server as usize] =
                    Some(ctx.at(due, ServerEvent::ReplicationDue { server }));
                return;
            }
            let w = o.write;
            self.outbox[server as usize].pop_front();
            self.send_copies(server, w, false, ctx);
        }
    }

    /// `server` crashed: its queued copies and the writes it waited on are gone.
    pub fn crash(&mut self, server: u32, ctx: &mut Ctx) {
        self.outbox[server as usize].clear();
        self.pending[server as usize].clear();
        if let Some(id) = self.timers[server as usize].take() {
            ctx.cancel(id);
        }
    }

    /// A copy or an ack was delivered (or cut on arrival).
    pub fn delivered(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
    }

    /// Whether no copy or ack is queued or travelling.
    pub fn settled(&self) -> bool {
        self.in_flight == 0 && self.outbox.iter().all(VecDeque::is_empty)
    }

    /// Sends a copy's ack from `server` back to `to`.
    pub fn send_ack(&mut self, server: u32, to: Node, req: ReqId, attempt: u16, ctx: &mut Ctx) {
        if ctx.send_tracked(Node::Server(server), to, Msg::ReplicaAck { req, attempt }) {
            self.in_flight += 1;
        }
    }
}
