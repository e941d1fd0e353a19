//! The network: one-way delay, loss and partitions between nodes.
//!
//! A message is dropped when a partition separates its endpoints at send time or at
//! delivery time (a partition also cuts what is in flight), or when a loss draw says so.
//! Delay and loss draws come from the sender's own stream, and only when they are random
//! (a constant delay and zero loss draw nothing), so adding a lossy link does not shift
//! the draws of any other node.

use crate::dist::Dist;
use crate::events::{Event, Msg, Node};
use crate::metrics::Metrics;
use crate::queue::EventQueue;
use crate::rng::{Purpose, RngFactory, SimRng};
use crate::spec::{NetworkSpec, Target};
use crate::time::{SimDuration, SimTime};
use rand::RngExt;

pub struct Network {
    delay: Dist,
    constant_delay: Option<SimDuration>,
    loss: f64,
    clients: u32,
    /// One stream per sending node: clients, then servers, then the monitor.
    rngs: Vec<SimRng>,
    /// Active partitions: each cuts its servers off from every node outside it.
    partitions: Vec<Target>,
    /// Extra loss probability and one-way delay on links touching each server (from
    /// scripted faults), and on every link.
    server_loss: Vec<f64>,
    server_delay: Vec<SimDuration>,
    global_loss: f64,
    global_delay: SimDuration,
}

impl Network {
    pub fn new(spec: &NetworkSpec, clients: u32, servers: u32, rngs: &RngFactory) -> Self {
        let nodes = clients + servers + 1;
        Network {
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
            server_loss: vec![0.0; servers as usize],
            server_delay: vec![SimDuration::ZERO; servers as usize],
            global_loss: 0.0,
            global_delay: SimDuration::ZERO,
        }
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
        let inside = |n: Node, t: &Target| matches!(n, Node::Server(s) if t.includes(s));
        self.partitions.iter().any(|t| inside(a, t) != inside(b, t))
    }

    /// Sends `msg`; returns whether it is on its way (false when lost or cut at once).
    #[inline]
    pub(crate) fn send(
        &mut self,
        now: SimTime,
        from: Node,
        to: Node,
        msg: Msg,
        queue: &mut EventQueue<Event>,
        metrics: &mut Metrics,
    ) -> bool {
        metrics.messages_sent += 1;
        if self.is_cut(from, to) {
            metrics.messages_dropped += 1;
            return false;
        }
        let (extra_loss, extra_delay) = self.link_faults(from, to);
        let loss = if extra_loss > 0.0 {
            1.0 - (1.0 - self.loss) * (1.0 - extra_loss)
        } else {
            self.loss
        };
        let index = self.node_index(from);
        if loss > 0.0 && self.rngs[index].random::<f64>() < loss {
            metrics.messages_dropped += 1;
            return false;
        }
        let delay = match self.constant_delay {
            Some(d) => d,
            None => self.delay.sample(&mut self.rngs[index]),
        };
        queue.schedule(
            now.saturating_add(delay + extra_delay),
            Event::Deliver { from, to, msg },
        );
        true
    }

    fn link_faults(&self, a: Node, b: Node) -> (f64, SimDuration) {
        let mut keep = 1.0 - self.global_loss;
        let mut delay = self.global_delay;
        for n in [a, b] {
            if let Node::Server(s) = n {
                keep *= 1.0 - self.server_loss[s as usize];
                delay += self.server_delay[s as usize];
            }
        }
        (1.0 - keep, delay)
    }

    /// Replaces the set of active partitions.
    pub fn set_partitions(&mut self, partitions: Vec<Target>) {
        self.partitions = partitions;
    }

    /// Sets the scripted extra loss and delay, per server and on every link.
    pub fn set_link_faults(
        &mut self,
        server_loss: Vec<f64>,
        server_delay: Vec<SimDuration>,
        global_loss: f64,
        global_delay: SimDuration,
    ) {
        self.server_loss = server_loss;
        self.server_delay = server_delay;
        self.global_loss = global_loss;
        self.global_delay = global_delay;
    }
}
