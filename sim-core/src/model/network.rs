//! The network: one-way delay, loss and partitions between nodes.
//!
//! A message is dropped when a partition separates its endpoints at send time or at
//! delivery time (a partition also cuts what is in flight), or when a loss draw says so.
//! A scripted loss or delay fault acts once on each message whose link it covers: one
//! end among its servers, the other end a node its `peer` names.
//! Delay and loss draws come from the sender's own stream, and only when they are random
//! (a constant delay and zero loss draw nothing), so adding a lossy link does not shift
//! the draws of any other node.

use crate::dist::Dist;
use crate::events::{Event, Msg, Node, Scheduled};
use crate::metrics::Metrics;
use crate::model::faults::LinkFault;
use crate::queue::EventQueue;
use crate::report::Counter;
use crate::rng::{Purpose, RngFactory, SimRng};
use crate::spec::{NetworkSpec, Peer, Target};
use crate::time::{SimDuration, SimTime};
use rand::RngExt;

pub struct Network {
    delay: Dist,
    constant_delay: Option<SimDuration>,
    loss: f64,
    clients: u32,
    /// One stream per sending node: clients, then servers, then the monitor.
    rngs: Vec<SimRng>,
    /// Active partitions: each cuts its servers off from the nodes outside it that its
    /// peer names.
    partitions: Vec<(Target, Peer)>,
    /// Active scripted loss and delay faults.
    links: Vec<LinkFault>,
    /// The delay of every message while the network has a constant delay, no loss, no
    /// partition and no link fault: sending then draws nothing and checks nothing.
    plain: Option<SimDuration>,
}

/// Whether `node` is of the kind `peer` names.
fn is_peer(node: Node, peer: Peer) -> bool {
    matches!(
        (peer, node),
        (Peer::All, _)
            | (Peer::Monitor, Node::Monitor)
            | (Peer::Clients, Node::Client(_))
            | (Peer::Servers, Node::Server(_))
    )
}

fn inside(node: Node, target: &Target) -> bool {
    matches!(node, Node::Server(s) if target.includes(s))
}

impl Network {
    pub fn new(spec: &NetworkSpec, clients: u32, servers: u32, rngs: &RngFactory) -> Self {
        let nodes = clients + servers + 1;
        let mut net = Network {
            constant_delay: match spec.delay {
                Dist::Constant { .. } => {
                    Some(SimDuration::from_secs_f64(spec.delay.mean().unwrap_or(0.0)))
                }
                _ => None,
            },
            delay: spec.delay.clone(),
            loss: spec.loss,
            clients,
            rngs: (0..nodes)
                .map(|n| rngs.stream(Purpose::Network, n))
                .collect(),
            partitions: Vec::new(),
            links: Vec::new(),
            plain: None,
        };
        net.refresh_plain();
        net
    }

    /// Recomputes the plain-network shortcut after a change of faults.
    fn refresh_plain(&mut self) {
        self.plain = self
            .constant_delay
            .filter(|_| self.loss == 0.0 && self.partitions.is_empty() && self.links.is_empty());
    }

    fn node_index(&self, node: Node) -> usize {
        match node {
            Node::Client(c) => c as usize,
            Node::Server(s) => (self.clients + s) as usize,
            Node::Monitor => self.rngs.len() - 1,
        }
    }

    /// Whether an active partition separates `a` and `b`.
    #[inline]
    pub fn is_cut(&self, a: Node, b: Node) -> bool {
        if self.partitions.is_empty() {
            return false;
        }
        self.partitions.iter().any(|(t, peer)| {
            let (ia, ib) = (inside(a, t), inside(b, t));
            (ia && !ib && is_peer(b, *peer)) || (ib && !ia && is_peer(a, *peer))
        })
    }

    /// Sends `msg`; returns whether it is on its way (false when lost or cut at once).
    #[inline]
    pub(crate) fn send(
        &mut self,
        now: SimTime,
        from: Node,
        to: Node,
        msg: Msg,
        queue: &mut EventQueue<Scheduled>,
        metrics: &mut Metrics,
    ) -> bool {
        metrics.count(Counter::MessagesSent, now);
        if let Some(delay) = self.plain {
            queue.schedule(
                now.saturating_add(delay),
                Scheduled::new(Event::Deliver { from, to, msg }),
            );
            return true;
        }
        if self.is_cut(from, to) {
            metrics.count(Counter::MessagesDropped, now);
            return false;
        }
        let (extra_loss, extra_delay) = if self.links.is_empty() {
            (0.0, SimDuration::ZERO)
        } else {
            self.link_faults(from, to)
        };
        let loss = if extra_loss > 0.0 {
            1.0 - (1.0 - self.loss) * (1.0 - extra_loss)
        } else {
            self.loss
        };
        let index = self.node_index(from);
        if loss > 0.0 && self.rngs[index].random::<f64>() < loss {
            metrics.count(Counter::MessagesDropped, now);
            return false;
        }
        let delay = match self.constant_delay {
            Some(d) => d,
            None => self.delay.sample(&mut self.rngs[index]),
        };
        queue.schedule(
            now.saturating_add(delay + extra_delay),
            Scheduled::new(Event::Deliver { from, to, msg }),
        );
        true
    }

    /// The extra loss probability and delay scripted faults put on the link `a`-`b`.
    fn link_faults(&self, a: Node, b: Node) -> (f64, SimDuration) {
        let mut keep = 1.0;
        let mut delay = SimDuration::ZERO;
        for f in &self.links {
            let covered = (inside(a, &f.target) && is_peer(b, f.peer))
                || (inside(b, &f.target) && is_peer(a, f.peer));
            if covered {
                keep *= 1.0 - f.loss;
                delay += f.delay;
            }
        }
        (1.0 - keep, delay)
    }

    /// Replaces the set of active partitions.
    pub fn set_partitions(&mut self, partitions: Vec<(Target, Peer)>) {
        self.partitions = partitions;
        self.refresh_plain();
    }

    /// Replaces the set of active scripted loss and delay faults.
    pub fn set_link_faults(&mut self, links: Vec<LinkFault>) {
        self.links = links;
        self.refresh_plain();
    }
}
