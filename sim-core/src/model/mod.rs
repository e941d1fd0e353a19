//! The cluster model and its event loop.
//!
//! A [`Simulation`] owns the pending events and every component (clients, servers, the
//! monitor, faults, the network). The loop pops the earliest event, records it in the
//! trace and hands it to the component it concerns, with a [`Ctx`] through which that
//! component schedules, cancels and sends. Nothing in the loop reads a clock, iterates a
//! hash map or depends on threads: a scenario, a strategy and a seed fix the run.
//!
//! The run issues requests during `[0, duration)` and then continues until every request
//! has reached its outcome, at most `workload.timeout` later, and every replication
//! message has been delivered (the run has then settled). A batch run ends when its last
//! job finishes, or at `duration`: its measures cover the jobs, not idle servers after.

pub mod client;
pub mod ctx;
pub mod detect;
pub mod events;
pub mod faults;
pub mod network;
pub mod server;
pub mod state;
pub mod trace;

use crate::config::scenario::Scenario;
use crate::engine::queue::EventQueue;
use crate::engine::rng::{Purpose, RngFactory};
use crate::engine::time::{SimDuration, SimTime};
use crate::model::events::FaultEvent;
use crate::model::events::{Event, Msg, Node, Scheduled};
use crate::model::trace::Trace;
use crate::report::metrics::Metrics;
use crate::report::{Counter, Measured, RunReport, RunResult};
use crate::strategy::{ClusterView, DetectorPlacement, StrategySet};
use client::Clients;
use client::placement::Placement;
use ctx::Ctx;
use detect::Watcher;
use detect::failover::Failover;
use faults::Faults;
use network::Network;
use server::{HeartbeatReceivers, Servers};
use state::State;

pub struct Simulation<'t> {
    now: SimTime,
    queue: EventQueue<Scheduled>,
    net: Network,
    metrics: Metrics,
    trace: Trace<'t>,
    events: u64,
    view: ClusterView,
    clients: Clients,
    servers: Servers,
    /// Failure detection: the monitor alone, or one watcher per client.
    watchers: Vec<Watcher>,
    detector_placement: DetectorPlacement,
    faults: Faults,
    arrivals_ended: bool,
    /// Whether the servers run batch jobs (the run then ends with the last of them).
    batch: bool,
    duration: SimDuration,
    placement: Placement,
}

impl<'t> Simulation<'t> {
    /// Builds a run of `scenario` under `strategy` with `seed`. `trace` receives every event.
    pub fn new(scenario: &Scenario, strategy: &StrategySet, seed: u64, trace: Trace<'t>) -> Self {
        let rngs = RngFactory::new(seed);
        let servers = scenario.cluster.servers;
        let clients = scenario.workload.arrivals.clients();
        let end = SimTime::ZERO + scenario.duration;
        let detector_placement = strategy.detector.placement();
        let mut metrics = Metrics::new(servers, scenario.warmup, scenario.duration);
        if let Some(probe) = scenario.liveness {
            metrics.watch_recovery(probe, &scenario.faults);
        }
        let (view, watchers, receivers) = match detector_placement {
            DetectorPlacement::Monitor { propagation } => {
                let failover = strategy
                    .routing
                    .failover_plan(servers, scenario.workload.keys.count)
                    .map(|plan| Failover::new(plan, propagation));
                let rng = rngs.stream(Purpose::Detector, u32::MAX);
                let monitor = Watcher::monitor(
                    strategy.detector.build(servers, rng),
                    servers,
                    propagation,
                    failover,
                );
                (
                    ClusterView::new(servers),
                    vec![monitor],
                    HeartbeatReceivers::Monitor,
                )
            }
            DetectorPlacement::Clients => {
                metrics.set_observers(clients);
                let watchers = (0..clients)
                    .map(|c| {
                        let rng = rngs.stream(Purpose::Detector, c);
                        Watcher::client(c, strategy.detector.build(servers, rng), servers)
                    })
                    .collect();
                (
                    ClusterView::with_viewers(servers, clients),
                    watchers,
                    HeartbeatReceivers::Clients(clients),
                )
            }
        };
        let heartbeat = strategy
            .detector
            .heartbeat_interval()
            .unwrap_or(SimDuration::ZERO);
        let faults = Faults::new(&scenario.faults, servers, &rngs);
        let mut trace = trace;
        if trace.writes_lines() {
            trace.describe_faults(faults.trace_lines());
        }
        Simulation {
            now: SimTime::ZERO,
            queue: EventQueue::new(),
            net: Network::new(&scenario.network, clients, servers, &rngs),
            metrics,
            trace,
            events: 0,
            view,
            clients: Clients::new(
                &scenario.workload,
                &scenario.cluster,
                servers,
                strategy,
                end,
                &rngs,
            ),
            servers: Servers::new(&scenario.cluster, heartbeat)
                .with_heartbeat_receivers(receivers)
                .with_state(State::new(scenario, strategy, &rngs)),
            watchers,
            detector_placement,
            faults,
            arrivals_ended: false,
            batch: scenario.workload.arrivals.batch_length().is_some(),
            duration: scenario.duration,
            placement: Placement::new(strategy, servers, scenario.workload.keys.count),
        }
        .started(&rngs)
    }

    fn started(mut self, rngs: &RngFactory) -> Self {
        let mut ctx = Ctx {
            now: self.now,
            queue: &mut self.queue,
            net: &mut self.net,
            metrics: &mut self.metrics,
            trace: &mut self.trace,
        };
        ctx.at(SimTime::ZERO + self.duration, Event::ArrivalsEnd);
        self.servers.start(&mut ctx, rngs);
        self.servers.state().start(&mut ctx);
        for w in &mut self.watchers {
            w.start(&mut ctx, &mut self.view);
        }
        for s in 0..self.view.servers() {
            if let Some(ttf) = self.faults.time_to_failure(s) {
                ctx.after(ttf, FaultEvent::Crash { server: s });
            }
        }
        for (i, fault) in self.faults.scripted().iter().enumerate() {
            ctx.at(
                SimTime::ZERO + fault.at,
                FaultEvent::FaultStart { fault: i as u32 },
            );
        }
        self.clients.start(&mut ctx);
        self
    }

    /// Runs to the end. Returns the result and the first error met writing the trace.
    pub fn run(mut self) -> (RunResult, Option<std::io::Error>) {
        while let Some((time, scheduled)) = self.queue.pop() {
            self.now = time;
            self.events += 1;
            self.trace.record(time, &scheduled);
            self.dispatch(scheduled.event);
            // Key placement follows the shared view, or client 0's with detection in the
            // clients.
            self.view.set_viewer(0);
            if let Some(remapped) = self.placement.on_event(&self.view) {
                self.metrics.view_changed(time, remapped);
            }
            if self.arrivals_ended
                && self.clients.live_requests() == 0
                && self.servers.state().settled()
            {
                break;
            }
            if self.batch && self.metrics.all_jobs_done() {
                self.metrics.end_window_at(time);
                break;
            }
        }
        self.finish()
    }

    #[inline(always)]
    fn dispatch(&mut self, event: Event) {
        let mut ctx = Ctx {
            now: self.now,
            queue: &mut self.queue,
            net: &mut self.net,
            metrics: &mut self.metrics,
            trace: &mut self.trace,
        };
        let view = &mut self.view;
        match event {
            Event::Client(e) => self.clients.handle(e, &mut ctx, view),
            Event::Server(e) => self.servers.handle(e, &mut ctx),
            Event::Detect(e) => {
                if let Some((range, primary)) =
                    detect::events::handle(&mut self.watchers, e, &mut ctx, view)
                {
                    self.servers.state().appointed(range, primary);
                }
            }
            Event::Fault(e) => {
                if let Some((fault, active)) = self.faults.handle(e, &mut self.servers, &mut ctx) {
                    self.apply_fault(fault, active);
                }
            }
            Event::Deliver { from, to, msg } => {
                if msg.is_replication() {
                    self.servers.state().delivered();
                }
                if ctx.net.is_cut(from, to) {
                    ctx.metrics.count(Counter::MessagesDropped, ctx.now());
                    return;
                }
                match (to, msg) {
                    (Node::Server(s), _) => self.servers.on_message(s, from, msg, &mut ctx),
                    (Node::Client(c), Msg::Heartbeat { .. } | Msg::ProbeAck { .. }) => {
                        if let Some(w) = self.watchers.get_mut(c as usize)
                            && self.detector_placement == DetectorPlacement::Clients
                        {
                            w.on_message(msg, &mut ctx, view);
                        }
                    }
                    (Node::Client(_), _) => self.clients.on_message(msg, &mut ctx, view),
                    (Node::Monitor, _) => {
                        if let DetectorPlacement::Monitor { .. } = self.detector_placement {
                            self.watchers[0].on_message(msg, &mut ctx, view);
                        }
                    }
                }
            }
            Event::ArrivalsEnd => {
                self.arrivals_ended = true;
                self.clients.close_arrivals();
            }
        }
    }

    /// Starts (`active`) or ends scripted fault `fault`: its kind acts through a
    /// [`faults::FaultCtx`].
    fn apply_fault(&mut self, fault: u32, active: bool) {
        self.faults.set_active(fault, active);
        let mut ctx = Ctx {
            now: self.now,
            queue: &mut self.queue,
            net: &mut self.net,
            metrics: &mut self.metrics,
            trace: &mut self.trace,
        };
        let kind = self.faults.fault(fault).kind.clone();
        kind.apply(
            active,
            &mut faults::FaultCtx {
                index: fault,
                faults: &self.faults,
                servers: &mut self.servers,
                clients: &mut self.clients,
                ctx: &mut ctx,
            },
        );
    }

    fn finish(mut self) -> (RunResult, Option<std::io::Error>) {
        self.servers.hand_over_attempts(&mut self.metrics);
        self.metrics.finish();
        self.servers.state().finish(&mut self.metrics);
        let report = RunReport::measure(&Measured {
            metrics: &self.metrics,
            events: self.events,
            trace_hash: self.trace.hash(),
            servers: self.view.servers(),
        });
        let result = RunResult {
            report,
            latency: self.metrics.latency_histogram().clone(),
            timeline: self.metrics.take_timeline(self.now),
        };
        (result, self.trace.take_error())
    }
}

/// Runs one simulation, keeping only the trace hash.
pub fn simulate(scenario: &Scenario, strategy: &StrategySet, seed: u64) -> RunResult {
    Simulation::new(scenario, strategy, seed, Trace::hash_only())
        .run()
        .0
}

/// Runs one simulation and records its timeline in windows of `window` (in
/// [`RunResult::timeline`]); the run is the same as without it, trace hash included.
pub fn simulate_timeline(
    scenario: &Scenario,
    strategy: &StrategySet,
    seed: u64,
    window: SimDuration,
) -> RunResult {
    let mut sim = Simulation::new(scenario, strategy, seed, Trace::hash_only());
    sim.metrics.record_timeline(window);
    sim.run().0
}

/// Runs one simulation and writes the events `filter` keeps to `sink`, one per line.
pub fn simulate_traced(
    scenario: &Scenario,
    strategy: &StrategySet,
    seed: u64,
    sink: &mut dyn std::io::Write,
    filter: crate::model::trace::TraceFilter,
) -> std::io::Result<RunResult> {
    let (result, error) =
        Simulation::new(scenario, strategy, seed, Trace::to_writer(sink, filter)).run();
    match error {
        Some(e) => Err(e),
        None => Ok(result),
    }
}
