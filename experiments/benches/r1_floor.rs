//! The floor under R1: the same cluster as experiments/configs/r1.toml written as one
//! hard-coded loop over faultline's own event queue, random streams and latency histogram,
//! with none of the engine's generality (no strategy calls, no messages as values, no
//! per-field trace digest, no metrics beyond the completed count and the histogram).
//!
//! It answers how fast R1 could go on these building blocks at all, so that the engine's
//! figure (`cargo bench -p experiments --bench r1`) can be read against it; see
//! BENCHMARKS.md. It is not a second model of the cluster: it is checked only for
//! plausibility (its completed fraction), never against the engine's numbers.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rand::RngExt;
use rand_distr::{Distribution, Exp1};
use sim_core::engine::queue::{EventId, EventQueue};
use sim_core::engine::rng::{Purpose, RngFactory, SimRng};
use sim_core::report::metrics::new_latency_histogram;
use sim_core::{SimDuration, SimTime};
use std::collections::VecDeque;
use std::hint::black_box;

const SERVERS: u32 = 8;
const DURATION_S: u64 = 600;
const RATE: f64 = 640.0;
const SERVICE_MEAN_S: f64 = 0.010;
const DELAY: SimDuration = SimDuration::from_millis(1);
const HEARTBEAT: SimDuration = SimDuration::from_millis(100);
const TIMEOUT: SimDuration = SimDuration::from_millis(300);
const DEADLINE: SimDuration = SimDuration::from_secs(1);
const MTTF_S: f64 = 600.0;
const MTTR_S: f64 = 30.0;
const QUEUE_CAPACITY: usize = 10_000;

#[derive(Clone, Copy)]
enum Ev {
    Arrival,
    AtServer { server: u32, req: u64 },
    Done { server: u32 },
    AtClient { req: u64 },
    Tick { server: u32 },
    Heartbeat { server: u32 },
    Check,
    Deadline,
    Crash { server: u32 },
    Recover { server: u32 },
}

struct Server {
    up: bool,
    /// The request in service and its completion event.
    busy: Option<(u64, EventId)>,
    queue: VecDeque<(u64, SimDuration)>,
    /// The pending heartbeat timer.
    tick: Option<EventId>,
    /// The monitor's view: when it last heard from the server, and whether it suspects it.
    heard: SimTime,
    suspected: bool,
}

struct Request {
    created: SimTime,
    demand: SimDuration,
    live: bool,
}

/// Drops the ended requests at the front of the table; `base` is the number of the first
/// one kept.
fn release_ended(table: &mut VecDeque<Request>, base: &mut u64) {
    while table.front().is_some_and(|r| !r.live) {
        table.pop_front();
        *base += 1;
    }
}

fn exp(rng: &mut SimRng) -> f64 {
    Exp1.sample(rng)
}

fn after(now: SimTime, secs: f64) -> SimTime {
    now.saturating_add(SimDuration::from_secs_f64(secs))
}

/// One run of `DURATION_S` simulated seconds; returns the requests answered within their deadline
/// and the histogram's count, which must agree.
fn run(seed: u64) -> (u64, u64) {
    let rngs = RngFactory::new(seed);
    let mut arrivals: SimRng = rngs.stream(Purpose::Arrivals, 0);
    let mut demands: SimRng = rngs.stream(Purpose::Requests, 0);
    let mut routing: SimRng = rngs.stream(Purpose::Routing, 0);
    let mut faults: Vec<SimRng> = (0..SERVERS)
        .map(|s| rngs.stream(Purpose::Faults, s))
        .collect();
    let end = SimTime::ZERO + SimDuration::from_secs(DURATION_S);
    let mut q: EventQueue<Ev> = EventQueue::new();
    let mut servers: Vec<Server> = (0..SERVERS)
        .map(|_| Server {
            up: true,
            busy: None,
            queue: VecDeque::new(),
            tick: None,
            heard: SimTime::ZERO,
            suspected: false,
        })
        .collect();
    let mut alive: Vec<u32> = (0..SERVERS).collect();
    let mut table: VecDeque<Request> = VecDeque::new();
    let mut base = 0u64;
    let mut next = 0u64;
    let mut deadlines: VecDeque<(SimTime, u64)> = VecDeque::new();
    let mut deadline_armed = false;
    let mut latency = new_latency_histogram(3);
    let mut ok = 0u64;

    q.schedule(after(SimTime::ZERO, exp(&mut arrivals) / RATE), Ev::Arrival);
    for s in 0..SERVERS {
        let phase = HEARTBEAT.0 * u64::from(s + 1) / u64::from(SERVERS);
        servers[s as usize].tick = Some(q.schedule(SimTime(phase), Ev::Tick { server: s }));
        let ttf = exp(&mut faults[s as usize]) * MTTF_S;
        q.schedule(after(SimTime::ZERO, ttf), Ev::Crash { server: s });
    }
    q.schedule(SimTime::ZERO + TIMEOUT, Ev::Check);
    let mut check_armed = true;

    while let Some((now, ev)) = q.pop() {
        match ev {
            Ev::Arrival => {
                let id = next;
                next += 1;
                let demand = SimDuration::from_secs_f64(exp(&mut demands) * SERVICE_MEAN_S);
                table.push_back(Request {
                    created: now,
                    demand,
                    live: true,
                });
                deadlines.push_back((now.saturating_add(DEADLINE), id));
                if !deadline_armed {
                    deadline_armed = true;
                    q.schedule(now.saturating_add(DEADLINE), Ev::Deadline);
                }
                if alive.is_empty() {
                    table[(id - base) as usize].live = false;
                } else {
                    let server = alive[routing.random_range(0..alive.len())];
                    q.schedule(now.saturating_add(DELAY), Ev::AtServer { server, req: id });
                }
                let at = after(now, exp(&mut arrivals) / RATE);
                if at < end {
                    q.schedule(at, Ev::Arrival);
                }
            }
            Ev::AtServer { server, req } => {
                let s = &mut servers[server as usize];
                let Some(r) = table.get(req.wrapping_sub(base) as usize) else {
                    continue;
                };
                if !s.up || !r.live {
                    continue;
                }
                if s.busy.is_none() {
                    let done = q.schedule(now.saturating_add(r.demand), Ev::Done { server });
                    s.busy = Some((req, done));
                } else if s.queue.len() < QUEUE_CAPACITY {
                    s.queue.push_back((req, r.demand));
                }
            }
            Ev::Done { server } => {
                let s = &mut servers[server as usize];
                let Some((req, _)) = s.busy.take() else {
                    continue;
                };
                q.schedule(now.saturating_add(DELAY), Ev::AtClient { req });
                if let Some((req, demand)) = s.queue.pop_front() {
                    let done = q.schedule(now.saturating_add(demand), Ev::Done { server });
                    s.busy = Some((req, done));
                }
            }
            Ev::AtClient { req } => {
                if let Some(r) = table.get_mut(req.wrapping_sub(base) as usize)
                    && r.live
                {
                    r.live = false;
                    ok += 1;
                    latency.saturating_record(now.since(r.created).0.max(1));
                    release_ended(&mut table, &mut base);
                }
            }
            Ev::Deadline => {
                deadline_armed = false;
                while let Some(&(at, id)) = deadlines.front() {
                    let slot = table.get_mut(id.wrapping_sub(base) as usize);
                    match slot {
                        Some(r) if r.live && at > now => {
                            deadline_armed = true;
                            q.schedule(at, Ev::Deadline);
                            break;
                        }
                        Some(r) => r.live = false,
                        None => {}
                    }
                    deadlines.pop_front();
                }
                release_ended(&mut table, &mut base);
            }
            Ev::Tick { server } => {
                q.schedule(now.saturating_add(DELAY), Ev::Heartbeat { server });
                let tick = q.schedule(now.saturating_add(HEARTBEAT), Ev::Tick { server });
                servers[server as usize].tick = Some(tick);
            }
            Ev::Heartbeat { server } => {
                let s = &mut servers[server as usize];
                s.heard = now;
                if s.suspected {
                    s.suspected = false;
                    alive.push(server);
                    alive.sort_unstable();
                }
                if !check_armed {
                    check_armed = true;
                    q.schedule(now.saturating_add(TIMEOUT), Ev::Check);
                }
            }
            Ev::Check => {
                // Suspects every server whose deadline passed, then re-arms at the earliest
                // deadline still pending, as the engine's monitor does.
                check_armed = false;
                let mut earliest: Option<SimTime> = None;
                for (i, s) in servers.iter_mut().enumerate() {
                    if s.suspected {
                        continue;
                    }
                    let due = s.heard.saturating_add(TIMEOUT);
                    if due <= now {
                        s.suspected = true;
                        alive.retain(|&a| a != i as u32);
                    } else {
                        earliest = Some(earliest.map_or(due, |e| e.min(due)));
                    }
                }
                if let Some(at) = earliest {
                    check_armed = true;
                    q.schedule(at, Ev::Check);
                }
            }
            Ev::Crash { server } => {
                let s = &mut servers[server as usize];
                s.up = false;
                let pending = [s.busy.take().map(|(_, done)| done), s.tick.take()];
                for id in pending.into_iter().flatten() {
                    q.cancel(id);
                }
                s.queue.clear();
                let ttr = exp(&mut faults[server as usize]) * MTTR_S;
                q.schedule(after(now, ttr), Ev::Recover { server });
            }
            Ev::Recover { server } => {
                let s = &mut servers[server as usize];
                s.up = true;
                s.tick = Some(q.schedule(now, Ev::Tick { server }));
                let ttf = exp(&mut faults[server as usize]) * MTTF_S;
                q.schedule(after(now, ttf), Ev::Crash { server });
            }
        }
        if now >= end && table.is_empty() {
            break;
        }
    }
    (ok, latency.len())
}

fn floor(c: &mut Criterion) {
    let (ok, recorded) = run(1);
    assert_eq!(ok, recorded, "every completed request is recorded once");
    let issued = RATE * DURATION_S as f64;
    assert!(
        (0.9..1.0).contains(&(ok as f64 / issued)),
        "the floor completes {ok} of about {issued} requests"
    );
    let mut group = c.benchmark_group("r1");
    group.throughput(Throughput::Elements(ok));
    group.sample_size(20);
    group.bench_function("floor_600s_one_thread", |b| b.iter(|| black_box(run(1))));
    group.finish();
}

criterion_group!(benches, floor);
criterion_main!(benches);
