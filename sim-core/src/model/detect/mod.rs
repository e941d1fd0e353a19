//! Failure detection at a node: the health monitor or, with detection in the clients,
//! every client. A [`Watcher`] feeds its detector the heartbeats and probe acks it
//! receives, sends the probes an active detector asks for, and suspects a server whose
//! suspicion deadline passes. The monitor's verdicts reach the clients' shared view at
//! once or after a propagation delay, and drive primary/backup failover; a client's
//! verdicts are its own view.
//!
//! Tie rule: a detector's deadline is the last instant at which a sign of life keeps the
//! server trusted, so one arriving exactly at the deadline (processed after the check,
//! in the same nanosecond) still does; the server is suspected 1 ns past its deadline,
//! when the silence has exceeded what the detector allows.
//!
//! Suspicion instants (deadline + 1 ns) sit in a keyed priority queue; one check event is
//! pending at a time, at the earliest, and is moved earlier (cancel and reschedule) only
//! when a new one undercuts it. A check that finds its instant pushed back by a heartbeat
//! just re-arms itself at the new earliest one. An active detector's ticks are armed the
//! same way.

pub mod events;
pub mod failover;

use crate::engine::deadlines::Deadlines;
use crate::engine::queue::EventId;
use crate::engine::time::{SimDuration, SimTime};
use crate::model::ctx::Ctx;
use crate::model::detect::failover::Failover;
use crate::model::events::DetectEvent;
use crate::model::events::{Msg, Node};
use crate::strategy::{ClusterView, Detector, Probe};

/// The instant a server becomes suspected when its detector's deadline passes without a
/// sign of life: 1 ns after it (see the tie rule above).
fn suspicion_instant(deadline: SimTime) -> SimTime {
    deadline.saturating_add(SimDuration(1))
}

pub struct Watcher {
    /// The node running the detector: the monitor or a client.
    node: Node,
    detector: Box<dyn Detector>,
    /// Each server's suspicion instant: its detector's deadline plus 1 ns.
    suspicions: Deadlines,
    suspected: Vec<bool>,
    check: Option<(SimTime, EventId)>,
    tick: Option<(SimTime, EventId)>,
    /// Delay before the monitor's verdicts reach the clients' view.
    propagation: SimDuration,
    /// Scratch space for the probes of a tick.
    probes: Vec<Probe>,
    failover: Option<Failover>,
}

impl Watcher {
    /// The health monitor, whose verdicts reach the shared view after `propagation`.
    pub fn monitor(
        detector: Box<dyn Detector>,
        servers: u32,
        propagation: SimDuration,
        failover: Option<Failover>,
    ) -> Self {
        Watcher::new(Node::Monitor, detector, servers, propagation, failover)
    }

    /// Client `client`'s own detector, whose verdicts are that client's view.
    pub fn client(client: u32, detector: Box<dyn Detector>, servers: u32) -> Self {
        Watcher::new(
            Node::Client(client),
            detector,
            servers,
            SimDuration::ZERO,
            None,
        )
    }

    fn new(
        node: Node,
        detector: Box<dyn Detector>,
        servers: u32,
        propagation: SimDuration,
        failover: Option<Failover>,
    ) -> Self {
        Watcher {
            node,
            detector,
            suspicions: Deadlines::new(),
            suspected: vec![false; servers as usize],
            check: None,
            tick: None,
            propagation,
            probes: Vec::new(),
            failover,
        }
    }

    /// The index of this node among detecting nodes, for the metrics.
    fn observer(&self) -> u32 {
        match self.node {
            Node::Client(c) => c,
            _ => 0,
        }
    }

    pub fn start(&mut self, ctx: &mut Ctx, view: &mut ClusterView) {
        let now = ctx.now();
        for s in 0..self.suspected.len() as u32 {
            let deadline = self.detector.initial_deadline(s, now);
            self.suspicions.set(s, suspicion_instant(deadline));
        }
        if let Some(f) = self.failover.as_mut() {
            f.start(ctx, view);
        }
        self.arm(ctx);
        self.arm_tick(ctx);
    }

    fn check_event(&self) -> DetectEvent {
        match self.node {
            Node::Client(client) => DetectEvent::ClientCheck { client },
            _ => DetectEvent::MonitorCheck,
        }
    }

    /// Makes sure a check is pending at the earliest suspicion instant.
    fn arm(&mut self, ctx: &mut Ctx) {
        let Some((_, earliest)) = self.suspicions.earliest() else {
            return;
        };
        match self.check {
            Some((at, _)) if at <= earliest => {}
            Some((_, id)) => {
                ctx.cancel(id);
                self.check = Some((earliest, ctx.at(earliest, self.check_event())));
            }
            None => self.check = Some((earliest, ctx.at(earliest, self.check_event()))),
        }
    }

    /// Makes sure a tick is pending when an active detector wants one.
    fn arm_tick(&mut self, ctx: &mut Ctx) {
        let Some(next) = self.detector.next_tick() else {
            return;
        };
        let next = next.max(ctx.now());
        let event = DetectEvent::DetectorTick { node: self.node };
        match self.tick {
            Some((at, _)) if at <= next => {}
            Some((_, id)) => {
                ctx.cancel(id);
                self.tick = Some((next, ctx.at(next, event)));
            }
            None => self.tick = Some((next, ctx.at(next, event))),
        }
    }

    /// A heartbeat or a probe ack reached this node.
    pub fn on_message(&mut self, msg: Msg, ctx: &mut Ctx, view: &mut ClusterView) {
        let now = ctx.now();
        match msg {
            Msg::Heartbeat { server } => {
                let deadline = self.detector.on_heartbeat(server, now);
                self.alive(server, deadline, ctx, view);
            }
            Msg::ProbeAck {
                target,
                seq,
                origin,
            } if origin == self.node => {
                if let Some(deadline) = self.detector.on_ack(target, seq, now) {
                    self.alive(target, deadline, ctx, view);
                }
                self.arm_tick(ctx);
            }
            _ => {}
        }
    }

    /// A sign of life from `server`: its new deadline, and trust if it was suspected.
    fn alive(&mut self, server: u32, deadline: SimTime, ctx: &mut Ctx, view: &mut ClusterView) {
        self.suspicions.set(server, suspicion_instant(deadline));
        if self.suspected[server as usize] {
            self.suspected[server as usize] = false;
            let now = ctx.now();
            let observer = self.observer();
            ctx.metrics().trusted(observer, server, now);
            ctx.verdict(self.node, server, false);
            self.publish(server, false, ctx, view);
        }
        self.arm(ctx);
    }

    pub fn on_check(&mut self, ctx: &mut Ctx, view: &mut ClusterView) {
        self.check = None;
        let now = ctx.now();
        let observer = self.observer();
        while let Some((server, _)) = self.suspicions.pop_due(now) {
            self.suspected[server as usize] = true;
            ctx.metrics().suspected(observer, server, now);
            ctx.verdict(self.node, server, true);
            self.publish(server, true, ctx, view);
        }
        self.arm(ctx);
    }

    /// An active detector's tick: sends the probes it asks for.
    pub fn on_tick(&mut self, ctx: &mut Ctx) {
        self.tick = None;
        self.probes.clear();
        self.detector
            .on_tick(ctx.now(), &self.suspected, &mut self.probes);
        for probe in &self.probes {
            match *probe {
                Probe::Direct { target, seq } => ctx.send(
                    self.node,
                    Node::Server(target),
                    Msg::Probe {
                        target,
                        seq,
                        origin: self.node,
                    },
                ),
                Probe::Indirect { relay, target, seq } => ctx.send(
                    self.node,
                    Node::Server(relay),
                    Msg::ProbeRequest { target, seq },
                ),
            }
        }
        self.arm_tick(ctx);
    }

    /// A promotion the monitor scheduled for `range` is due. Returns the primary
    /// appointed, if the range has a new one.
    pub fn on_promote(&mut self, range: u32, ctx: &mut Ctx, view: &mut ClusterView) -> Option<u32> {
        let f = self.failover.as_mut()?;
        f.on_promote(range, &self.suspected, ctx, view)
    }

    fn publish(&mut self, server: u32, suspected: bool, ctx: &mut Ctx, view: &mut ClusterView) {
        match self.node {
            Node::Client(c) => {
                view.set_suspected_by(c, server, suspected);
            }
            _ => {
                if self.propagation.is_zero() {
                    view.set_suspected_by(0, server, suspected);
                    let now = ctx.now();
                    ctx.metrics().view_suspicion(server, suspected, now);
                } else {
                    ctx.after(
                        self.propagation,
                        DetectEvent::ViewUpdate { server, suspected },
                    );
                }
                if let Some(f) = self.failover.as_mut() {
                    f.on_verdict(server, suspected, &self.suspected, ctx);
                }
            }
        }
    }

    pub fn is_suspected(&self, server: u32) -> bool {
        self.suspected[server as usize]
    }
}
