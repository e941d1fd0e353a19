//! Reference scenario R1 in simcore 0.1 (the dslab-core Rust engine), the Rust peer of
//! `experiments/bench/simpy_r1.py`: the same cluster with the same simplifications, so the
//! two peers do the same work and their figures compare with faultline's the same way.
//!
//! 8 servers, one worker each, FIFO queue; exponential service, mean 10 ms; open-loop
//! Poisson arrivals at 640/s routed uniformly at random (the routing ignores the monitor);
//! constant 1 ms network delay each way; each server heartbeats every 100 ms (counted while
//! up); servers crash (MTTF exp 600 s) and recover (MTTR exp 30 s). A request that reaches a
//! crashed server, or whose service ends while its server is down, is lost (the client's
//! 1 s deadline then expires; no retry). Every completed request counts, late or not.
//!
//! The constant-delay messages go through simcore's ordered deque (`emit_ordered`), which
//! its documentation offers for events emitted in time order, and draws come from
//! simcore's seeded generator through `rand_distr`'s exponential, as faultline's do.
//!
//! Usage: `simcore_r1 [SIM_SECONDS] [SEED]`; prints the same line as the SimPy peer.

use serde::Serialize;
use simcore::{cast, Event, EventHandler, Id, Simulation, SimulationContext};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use std::time::Instant;

const SERVERS: usize = 8;
const ARRIVAL_RATE: f64 = 640.0;
const SERVICE_MEAN: f64 = 0.010;
const NET_DELAY: f64 = 0.001;
const HEARTBEAT: f64 = 0.1;
const MTTF: f64 = 600.0;
const MTTR: f64 = 30.0;

#[derive(Clone, Serialize)]
struct NextArrival {}

#[derive(Clone, Serialize)]
struct Request {
    issued: f64,
}

#[derive(Clone, Serialize)]
struct Response {
    issued: f64,
}

#[derive(Clone, Serialize)]
struct ServiceDone {}

#[derive(Clone, Serialize)]
struct Heartbeat {}

#[derive(Clone, Serialize)]
struct Crash {}

#[derive(Clone, Serialize)]
struct Recover {}

fn exponential(ctx: &SimulationContext, mean: f64) -> f64 {
    ctx.sample_from_distribution(&rand_distr::Exp::new(1.0 / mean).unwrap())
}

/// The open-loop client: issues requests and receives their answers.
struct Client {
    ctx: SimulationContext,
    servers: Vec<Id>,
    completed: u64,
    latency_sum: f64,
}

impl Client {
    fn schedule_arrival(&self) {
        self.ctx
            .emit_self(NextArrival {}, exponential(&self.ctx, 1.0 / ARRIVAL_RATE));
    }
}

impl EventHandler for Client {
    fn on(&mut self, event: Event) {
        cast!(match event.data {
            NextArrival {} => {
                let server = self.servers[self.ctx.gen_range(0..self.servers.len())];
                self.ctx.emit_ordered(
                    Request {
                        issued: self.ctx.time(),
                    },
                    server,
                    NET_DELAY,
                );
                self.schedule_arrival();
            }
            Response { issued } => {
                self.completed += 1;
                self.latency_sum += self.ctx.time() - issued;
            }
        })
    }
}

/// A server: one worker, a FIFO queue, heartbeats and crash-recovery cycles.
struct Server {
    ctx: SimulationContext,
    client: Id,
    up: bool,
    /// The request in service, by its issue time.
    serving: Option<f64>,
    queue: VecDeque<f64>,
    lost: u64,
    heartbeats: u64,
}

impl Server {
    fn start(&mut self, issued: f64) {
        self.serving = Some(issued);
        self.ctx
            .emit_self(ServiceDone {}, exponential(&self.ctx, SERVICE_MEAN));
    }
}

impl EventHandler for Server {
    fn on(&mut self, event: Event) {
        cast!(match event.data {
            Request { issued } => {
                if !self.up {
                    self.lost += 1;
                } else if self.serving.is_none() {
                    self.start(issued);
                } else {
                    self.queue.push_back(issued);
                }
            }
            ServiceDone {} => {
                let issued = self.serving.take().unwrap();
                if self.up {
                    self.ctx
                        .emit_ordered(Response { issued }, self.client, NET_DELAY);
                } else {
                    self.lost += 1;
                }
                if let Some(next) = self.queue.pop_front() {
                    self.start(next);
                }
            }
            Heartbeat {} => {
                if self.up {
                    self.heartbeats += 1;
                }
                self.ctx.emit_self(Heartbeat {}, HEARTBEAT);
            }
            Crash {} => {
                self.up = false;
                self.ctx.emit_self(Recover {}, exponential(&self.ctx, MTTR));
            }
            Recover {} => {
                self.up = true;
                self.ctx.emit_self(Crash {}, exponential(&self.ctx, MTTF));
            }
        })
    }
}

/// The argument at `position` parsed, or its default when absent; a bad one ends the
/// program with exit code 2, naming it and what was expected.
fn argument<T: std::str::FromStr>(position: usize, name: &str, expected: &str, default: T) -> T {
    match std::env::args().nth(position) {
        None => default,
        Some(text) => text.parse().unwrap_or_else(|_| {
            eprintln!("simcore_r1: {name} is {text:?}, expected {expected}");
            eprintln!("usage: simcore_r1 [SIM_SECONDS] [SEED]");
            std::process::exit(2)
        }),
    }
}

fn main() {
    let sim_seconds: f64 = argument(1, "SIM_SECONDS", "a number of simulated seconds", 600.0);
    let seed: u64 = argument(2, "SEED", "an unsigned integer", 1);
    if !(sim_seconds.is_finite() && sim_seconds >= 0.0) {
        eprintln!("simcore_r1: SIM_SECONDS is {sim_seconds}, expected a finite number >= 0");
        std::process::exit(2);
    }

    let mut sim = Simulation::new(seed);
    let client_ctx = sim.create_context("client");
    let client_id = client_ctx.id();
    let mut servers = Vec::new();
    let mut server_ids = Vec::new();
    for i in 0..SERVERS {
        let name = format!("server{i}");
        let ctx = sim.create_context(&name);
        ctx.emit_self(Heartbeat {}, HEARTBEAT);
        ctx.emit_self(Crash {}, exponential(&ctx, MTTF));
        let server = Rc::new(RefCell::new(Server {
            ctx,
            client: client_id,
            up: true,
            serving: None,
            queue: VecDeque::new(),
            lost: 0,
            heartbeats: 0,
        }));
        server_ids.push(sim.add_handler(&name, server.clone()));
        servers.push(server);
    }
    let client = Rc::new(RefCell::new(Client {
        ctx: client_ctx,
        servers: server_ids,
        completed: 0,
        latency_sum: 0.0,
    }));
    sim.add_handler("client", client.clone());
    client.borrow().schedule_arrival();

    let start = Instant::now();
    sim.step_until_time(sim_seconds);
    let wall = start.elapsed().as_secs_f64();

    let client = client.borrow();
    let lost: u64 = servers.iter().map(|s| s.borrow().lost).sum();
    let heartbeats: u64 = servers.iter().map(|s| s.borrow().heartbeats).sum();
    println!(
        "completed={} lost={} heartbeats={} mean_latency_ms={:.2} wall_s={:.3} req_per_wall_s={:.0} events={}",
        client.completed,
        lost,
        heartbeats,
        1000.0 * client.latency_sum / client.completed.max(1) as f64,
        wall,
        client.completed as f64 / wall,
        sim.event_count()
    );
}
