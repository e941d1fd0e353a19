//! The network: one-way delay, and the link rules that drop or delay messages.
//!
//! Each message meets an ordered list of link rules; the first verdict other than
//! [`Verdict::Pass`] wins (`Drop`, or `Delay` by an extra time on top of the network's
//! own delay), and a message every rule passes is delivered after the network's delay.
//! The rules, in order:
//! 1. each active partition: `Drop` when it separates the endpoints (a partition also
//!    cuts what is in flight: delivery checks the partitions again);
//! 2. the loss rule: `Drop` when one draw from the sender's stream falls below the
//!    network's loss combined, as independent losses, with every active loss fault on
//!    the link;
//! 3. each active fault's own rule (like a flaky link) on the link, in config order;
//! 4. the delay rule: `Delay` by the sum of the active delay faults' extras on the link.
//!
//! Losses and delays are folded into one rule each so that their draws and sums stay
//! those of one combined fault whatever their order in the config. A fault acts on a
//! link when one end is among its servers and the other a node its `peer` names.
//! Delay and loss draws come from the sender's own stream, and only when they are random
//! (a constant delay and zero loss draw nothing), so adding a lossy link does not shift
//! the draws of any other node; a fault's own rule draws from its own stream.

use crate::config::scenario::{NetworkSpec, Peer, Target};
use crate::engine::dist::Dist;
use crate::engine::queue::EventQueue;
use crate::engine::rng::{Purpose, RngFactory, SimRng};
use crate::engine::time::{SimDuration, SimTime};
use crate::model::events::{Event, Msg, Node, Scheduled};
use crate::report::Counter;
use crate::report::metrics::Metrics;
use rand::RngExt;

/// What a link rule decides for one message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Leave the message to the next rule.
    Pass,
    /// Lose the message.
    Drop,
    /// Deliver it this much later than the network's delay.
    Delay(SimDuration),
}

/// The message a rule judges, when it is sent.
#[derive(Clone, Copy, Debug)]
pub struct Message {
    pub now: SimTime,
    pub from: Node,
    pub to: Node,
}

/// A fault's own rule for the messages on its links.
pub trait LinkRule: Send {
    fn verdict(&mut self, msg: &Message) -> Verdict;
}

/// What a fault puts on its links while it is active.
pub enum LinkEffect {
    /// A partition: the links are cut.
    Cut,
    /// Extra loss with this probability, folded into the loss rule.
    Loss(f64),
    /// Extra one-way delay, folded into the delay rule.
    Delay(SimDuration),
    /// A rule of the fault's own.
    Rule(Box<dyn LinkRule>),
}

/// An active fault's effect on the links between `target` servers and `peer` nodes.
struct Link {
    fault: u32,
    target: Target,
    peer: Peer,
    effect: LinkEffect,
}

impl Link {
    /// Whether the link `a`-`b` has one end among the servers and the other a peer.
    fn covers(&self, a: Node, b: Node) -> bool {
        (inside(a, &self.target) && is_peer(b, self.peer))
            || (inside(b, &self.target) && is_peer(a, self.peer))
    }

    /// Whether a partition on these links separates `a` and `b`: one end inside, the
    /// other outside and a peer.
    fn cuts(&self, a: Node, b: Node) -> bool {
        let (ia, ib) = (inside(a, &self.target), inside(b, &self.target));
        (ia && !ib && is_peer(b, self.peer)) || (ib && !ia && is_peer(a, self.peer))
    }
}

pub struct Network {
    delay: Dist,
    constant_delay: Option<SimDuration>,
    loss: f64,
    clients: u32,
    /// One stream per sending node (`Purpose::Network`, node index): clients, then
    /// servers, then the monitor. Made all at once at the first draw: a network of
    /// constant delay without loss never draws, and a stream holds a 256-byte buffer (30
    /// MB for 100,000 servers). The same draws either way.
    rngs: Vec<SimRng>,
    factory: RngFactory,
    nodes: u32,
    /// The active faults' link effects, in config order.
    links: Vec<Link>,
    /// How many of them are partitions.
    cuts: usize,
    /// The delay of every message while the network has a constant delay, no loss and
    /// no link fault: sending then draws nothing and checks nothing.
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
            rngs: Vec::new(),
            factory: rngs.clone(),
            nodes,
            links: Vec::new(),
            cuts: 0,
            plain: None,
        };
        net.refresh_plain();
        net
    }

    /// Recomputes the plain-network shortcut after a change of faults.
    fn refresh_plain(&mut self) {
        self.plain = self
            .constant_delay
            .filter(|_| self.loss == 0.0 && self.links.is_empty());
    }

    /// Makes every node's stream, once.
    #[inline]
    fn make_streams(&mut self) {
        #[cold]
        fn make(net: &mut Network) {
            net.rngs = (0..net.nodes)
                .map(|n| net.factory.stream(Purpose::Network, n))
                .collect();
        }
        if self.rngs.is_empty() {
            make(self);
        }
    }

    fn node_index(&self, node: Node) -> usize {
        match node {
            Node::Client(c) => c as usize,
            Node::Server(s) => (self.clients + s) as usize,
            Node::Monitor => self.nodes as usize - 1,
        }
    }

    /// Whether an active partition separates `a` and `b`.
    #[inline]
    pub fn is_cut(&self, a: Node, b: Node) -> bool {
        if self.cuts == 0 {
            return false;
        }
        self.links
            .iter()
            .any(|l| matches!(l.effect, LinkEffect::Cut) && l.cuts(a, b))
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
        let extra_delay = match self.verdict(&Message { now, from, to }) {
            Verdict::Drop => {
                metrics.count(Counter::MessagesDropped, now);
                return false;
            }
            Verdict::Pass => SimDuration::ZERO,
            Verdict::Delay(extra) => extra,
        };
        let delay = match self.constant_delay {
            Some(d) => d,
            None => {
                let index = self.node_index(from);
                self.make_streams();
                self.delay.sample(&mut self.rngs[index])
            }
        };
        queue.schedule(
            now.saturating_add(delay + extra_delay),
            Scheduled::new(Event::Deliver { from, to, msg }),
        );
        true
    }

    /// Runs the link rules on `msg` in order (see the module doc): the first verdict
    /// other than pass.
    fn verdict(&mut self, msg: &Message) -> Verdict {
        let (from, to) = (msg.from, msg.to);
        if self.is_cut(from, to) {
            return Verdict::Drop;
        }
        // The loss rule.
        let mut keep = 1.0;
        for l in &self.links {
            if let LinkEffect::Loss(p) = l.effect
                && l.covers(from, to)
            {
                keep *= 1.0 - p;
            }
        }
        let extra_loss = 1.0 - keep;
        let loss = if extra_loss > 0.0 {
            1.0 - (1.0 - self.loss) * (1.0 - extra_loss)
        } else {
            self.loss
        };
        let index = self.node_index(from);
        if loss > 0.0 && {
            self.make_streams();
            self.rngs[index].random::<f64>() < loss
        } {
            return Verdict::Drop;
        }
        // The faults' own rules.
        for l in &mut self.links {
            if !l.covers(from, to) {
                continue;
            }
            if let LinkEffect::Rule(rule) = &mut l.effect {
                let verdict = rule.verdict(msg);
                if verdict != Verdict::Pass {
                    return verdict;
                }
            }
        }
        // The delay rule.
        let mut extra = SimDuration::ZERO;
        for l in &self.links {
            if let LinkEffect::Delay(d) = l.effect
                && l.covers(from, to)
            {
                extra += d;
            }
        }
        if extra.is_zero() {
            Verdict::Pass
        } else {
            Verdict::Delay(extra)
        }
    }

    /// Installs fault `fault`'s effect on the links between `target` servers and `peer`
    /// nodes, in config order among the others, or with `None` removes it.
    pub fn set_link(&mut self, fault: u32, target: Target, peer: Peer, effect: Option<LinkEffect>) {
        self.links.retain(|l| l.fault != fault);
        if let Some(effect) = effect {
            let at = self.links.partition_point(|l| l.fault < fault);
            self.links.insert(
                at,
                Link {
                    fault,
                    target,
                    peer,
                    effect,
                },
            );
        }
        self.cuts = self
            .links
            .iter()
            .filter(|l| matches!(l.effect, LinkEffect::Cut))
            .count();
        self.refresh_plain();
    }
}
