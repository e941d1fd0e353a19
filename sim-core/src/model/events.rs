//! The events of a run and the messages nodes exchange: small plain values.
//!
//! Every processed event is written to the trace as one line, `time node event details`,
//! and folded into the run's 64-bit trace hash with its time and its [`Event::digest`], so
//! two runs agree on their hash exactly when they processed the same events at the same
//! times. The digest is computed when the event is scheduled and travels with it through
//! the queue ([`Scheduled`]): there the event's kind is known where it is built, and the
//! packing of its fields folds to a few multiplies, where the event loop would have to
//! branch on the kind once more for every event.

pub use crate::model::client::events::ClientEvent;
pub use crate::model::detect::events::DetectEvent;
pub use crate::model::faults::events::FaultEvent;
pub use crate::model::server::events::ServerEvent;

use crate::engine::time::{SimDuration, SimTime};
use crate::engine::trace::TraceHasher;
use std::fmt;

/// A request's number, unique within a run, in creation order.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct ReqId(pub u64);

/// What every step of an attempt carries of its request, from the server's receipt to
/// its answer and to the copies of a write: the server's job holds it, the state is told
/// it was served, replication ships it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Body {
    pub req: ReqId,
    /// The client that sent the attempt, which the answer goes back to.
    pub client: u32,
    pub attempt: u16,
    pub key: u32,
    /// Whether the request writes its key (else it reads it).
    pub write: bool,
    /// The client's clock: a write's timestamp, or what a read carries of causality.
    pub ts: u64,
}

/// An addressable participant.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Node {
    Client(u32),
    Server(u32),
    Monitor,
}

impl Node {
    pub(crate) fn code(self) -> u64 {
        match self {
            Node::Client(c) => u64::from(c),
            Node::Server(s) => (1 << 32) | u64::from(s),
            Node::Monitor => 2 << 32,
        }
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Client(c) => write!(f, "client-{c}"),
            Node::Server(s) => write!(f, "server-{s}"),
            Node::Monitor => write!(f, "monitor"),
        }
    }
}

/// How a server answered an attempt.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Status {
    Ok,
    /// The server's queue was full.
    Rejected,
    /// The server answered with an error (a scripted `error` fault).
    Error,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Rejected => "rejected",
            Status::Error => "error",
        }
    }
}

/// What travels over the network.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Msg {
    /// An attempt of a request, carrying what the server needs to serve it.
    Request {
        req: ReqId,
        attempt: u16,
        key: u32,
        demand: SimDuration,
        /// The instant after which the client no longer waits for this attempt: the
        /// request's deadline, or the attempt's own timeout if that comes first.
        deadline: SimTime,
        /// Whether the request writes its key (else it reads it).
        write: bool,
        /// The client's clock: a write's timestamp, or what a read carries of causality.
        ts: u64,
    },
    /// A server's answer to an attempt.
    Response {
        req: ReqId,
        attempt: u16,
        server: u32,
        status: Status,
        /// The server's Lamport clock.
        clock: u64,
    },
    /// A server's periodic sign of life.
    Heartbeat { server: u32 },
    /// A failure detector's ping of server `target`, sent by the probing node itself or,
    /// for an indirect probe, by a relay server; `origin` is the node whose detector
    /// probes.
    Probe { target: u32, seq: u32, origin: Node },
    /// A probing node asks a relay server to ping `target` on its behalf.
    ProbeRequest { target: u32, seq: u32 },
    /// `target`'s answer to a ping, sent back to the pinger; a relay forwards it on to
    /// `origin`.
    ProbeAck { target: u32, seq: u32, origin: Node },
    /// A copy of write `req` (timestamp `ts`) of `key`, from the server that applied it
    /// to another replica of the key; `ack` asks for a [`Msg::ReplicaAck`].
    Replicate {
        req: ReqId,
        attempt: u16,
        key: u32,
        ts: u64,
        ack: bool,
    },
    /// A replica applied (or already held) a copy of attempt `attempt` of write `req`.
    ReplicaAck { req: ReqId, attempt: u16 },
}

impl Msg {
    /// Whether the message is replication traffic between servers.
    pub fn is_replication(&self) -> bool {
        matches!(self, Msg::Replicate { .. } | Msg::ReplicaAck { .. })
    }
}

/// An event as the queue holds it, with its [`Event::digest`], computed when it was
/// scheduled (cancelled events are digested and never hashed, a small price for not
/// branching on the kind of every processed event).
#[derive(Clone, Copy, Debug)]
pub struct Scheduled {
    pub event: Event,
    pub digest: u64,
}

impl Scheduled {
    #[inline(always)]
    pub fn new(event: Event) -> Self {
        Scheduled {
            digest: event.digest(),
            event,
        }
    }
}

/// Everything that can happen in a run: each component's own events, grouped with their
/// digest, trace text and handler in the component's `events.rs`, and the two that belong
/// to no component.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Event {
    Client(ClientEvent),
    Server(ServerEvent),
    Detect(DetectEvent),
    Fault(FaultEvent),
    /// A message reaches its destination (unless a partition cut the link meanwhile).
    Deliver {
        from: Node,
        to: Node,
        msg: Msg,
    },
    /// No more requests are issued after this instant.
    ArrivalsEnd,
}

/// A kind tag in the low byte and a 32-bit field above it: one word, injective.
#[inline(always)]
pub(crate) fn tag(kind: u8, field: u32) -> u64 {
    u64::from(kind) | (u64::from(field) << 8)
}

/// A kind tag, a 16-bit field and a 32-bit field.
#[inline(always)]
pub(crate) fn tag2(kind: u8, small: u16, field: u32) -> u64 {
    u64::from(kind) | (u64::from(small) << 8) | (u64::from(field) << 24)
}

impl Event {
    /// The node that handles the event; `None` for an event of several nodes (see
    /// [`Event::group`]).
    pub fn node(&self) -> Option<Node> {
        match self {
            Event::Client(e) => Some(Node::Client(e.client())),
            Event::Server(e) => Some(Node::Server(e.server())),
            Event::Detect(e) => e.node(),
            Event::Fault(e) => e.node(),
            Event::Deliver { to, .. } => Some(*to),
            Event::ArrivalsEnd => None,
        }
    }

    /// The trace name of the nodes an event of no single node concerns: `clients` for the
    /// end of arrivals and for what reaches the clients' shared view; `faults` for a
    /// scripted fault, whose trace line names its own targets (see [`crate::model::trace`]).
    pub fn group(&self) -> Option<&'static str> {
        match self {
            Event::Detect(DetectEvent::ViewUpdate { .. } | DetectEvent::PrimaryUpdate { .. })
            | Event::ArrivalsEnd => Some("clients"),
            Event::Fault(FaultEvent::FaultStart { .. } | FaultEvent::FaultEnd { .. }) => {
                Some("faults")
            }
            _ => None,
        }
    }

    /// A 64-bit digest of the event's kind and fields, packed into few words. Computed
    /// where the event is scheduled, where its kind is known and the packing folds to a
    /// few multiplies; the trace hash folds it in with the time when the event is
    /// processed (see [`Scheduled`]).
    #[inline(always)]
    pub fn digest(&self) -> u64 {
        let mut h = TraceHasher::default();
        self.digest_into(&mut h);
        h.fold()
    }

    #[inline(always)]
    fn digest_into(&self, h: &mut TraceHasher) {
        match *self {
            Event::Client(e) => e.digest_into(h),
            Event::Server(e) => e.digest_into(h),
            Event::Detect(e) => e.digest_into(h),
            Event::Fault(e) => e.digest_into(h),
            Event::Deliver { from, to, msg } => {
                let route = [3 | (from.code() << 8), to.code()];
                match msg {
                    Msg::Request {
                        req,
                        attempt,
                        key,
                        demand,
                        deadline,
                        write,
                        ts,
                    } => {
                        let kind = if write { 41 } else { 1 };
                        let head = [route[0], route[1], tag2(kind, attempt, key)];
                        h.words(&head);
                        if write {
                            h.words(&[req.0, demand.0, deadline.0, ts]);
                        } else {
                            h.words(&[req.0, demand.0, deadline.0]);
                        }
                    }
                    Msg::Response {
                        req,
                        attempt,
                        server,
                        status,
                        clock,
                    } => {
                        let word = tag2(2, attempt, server) | ((status as u64) << 56);
                        h.words(&[route[0], route[1], word, req.0]);
                        if clock != 0 {
                            h.word(clock);
                        }
                    }
                    Msg::Heartbeat { server } => h.words(&[route[0], route[1], tag(3, server)]),
                    Msg::Replicate {
                        req,
                        attempt,
                        key,
                        ts,
                        ack,
                    } => h.words(&[
                        route[0],
                        route[1],
                        tag2(43, attempt, key) | (u64::from(ack) << 56),
                        req.0,
                        ts,
                    ]),
                    Msg::ReplicaAck { req, attempt } => {
                        h.words(&[route[0], route[1], tag2(44, attempt, 0), req.0])
                    }
                    Msg::Probe {
                        target,
                        seq,
                        origin,
                    } => h.words(&[
                        route[0],
                        route[1],
                        tag(10, target),
                        u64::from(seq),
                        origin.code(),
                    ]),
                    Msg::ProbeRequest { target, seq } => {
                        h.words(&[route[0], route[1], tag(11, target), u64::from(seq)])
                    }
                    Msg::ProbeAck {
                        target,
                        seq,
                        origin,
                    } => h.words(&[
                        route[0],
                        route[1],
                        tag(12, target),
                        u64::from(seq),
                        origin.code(),
                    ]),
                }
            }
            Event::ArrivalsEnd => h.words(&[14]),
        }
    }
}

/// Every event kind a trace line can show, as `faultline replay` names them (a delivery
/// by what it delivers: `recv-request`), followed by the kinds of the lines that are not
/// events (detector verdicts; a scripted crash's `crash` and `recover` share the random
/// ones' names).
pub const TRACE_EVENT_KINDS: [&str; 36] = [
    "arrival",
    "think-done",
    "recv-request",
    "recv-response",
    "recv-heartbeat",
    "recv-probe",
    "recv-probe-request",
    "recv-probe-ack",
    "recv-replicate",
    "recv-replica-ack",
    "service-done",
    "heartbeat-tick",
    "deadline",
    "retry-due",
    "check",
    "view-update",
    "crash",
    "recover",
    "fault-start",
    "fault-end",
    "arrivals-end",
    "detector-tick",
    "promote",
    "primary-update",
    "attempt-timeout",
    "hedge-due",
    "breaker-half-open",
    "checkpoint-start",
    "checkpoint-done",
    "restore-done",
    "backup-start",
    "backup-done",
    "replication-due",
    "job-done",
    "suspect",
    "trust",
];

/// `node event details`, as in a trace line after the time.
impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.node(), self.group()) {
            (Some(node), _) => write!(f, "{node} ")?,
            (None, Some(group)) => write!(f, "{group} ")?,
            (None, None) => write!(f, "- ")?,
        }
        match *self {
            Event::Client(e) => write!(f, "{e}"),
            Event::Server(e) => write!(f, "{e}"),
            Event::Detect(e) => write!(f, "{e}"),
            Event::Fault(e) => write!(f, "{e}"),
            Event::Deliver { from, msg, .. } => match msg {
                Msg::Request {
                    req,
                    attempt,
                    key,
                    demand,
                    deadline,
                    write,
                    ts,
                } => {
                    write!(
                        f,
                        "recv request req={} attempt={attempt} key={key} demand={demand}",
                        req.0
                    )?;
                    if write {
                        write!(f, " write ts={ts}")?;
                    }
                    write!(f, " from={from} deadline={deadline}")
                }
                Msg::Response {
                    req,
                    attempt,
                    server,
                    status,
                    ..
                } => write!(
                    f,
                    "recv response req={} attempt={attempt} server={server} status={} from={from}",
                    req.0,
                    status.name()
                ),
                Msg::Heartbeat { server } => {
                    write!(f, "recv heartbeat server={server} from={from}")
                }
                Msg::Probe {
                    target,
                    seq,
                    origin,
                } => write!(
                    f,
                    "recv probe target={target} seq={seq} origin={origin} from={from}"
                ),
                Msg::ProbeRequest { target, seq } => {
                    write!(
                        f,
                        "recv probe-request target={target} seq={seq} from={from}"
                    )
                }
                Msg::ProbeAck {
                    target,
                    seq,
                    origin,
                } => write!(
                    f,
                    "recv probe-ack target={target} seq={seq} origin={origin} from={from}"
                ),
                Msg::Replicate {
                    req,
                    attempt,
                    key,
                    ts,
                    ack,
                } => write!(
                    f,
                    "recv replicate req={} attempt={attempt} key={key} ts={ts}{} from={from}",
                    req.0,
                    if ack { " ack" } else { "" }
                ),
                Msg::ReplicaAck { req, attempt } => {
                    write!(
                        f,
                        "recv replica-ack req={} attempt={attempt} from={from}",
                        req.0
                    )
                }
            },
            Event::ArrivalsEnd => write!(f, "arrivals-end"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_stay_small() {
        // Payloads live in the queue's slab; keeping them small keeps it in cache.
        assert!(
            std::mem::size_of::<Event>() <= 56,
            "Event is {} bytes",
            std::mem::size_of::<Event>()
        );
        assert!(
            std::mem::size_of::<Option<Scheduled>>() <= 64,
            "a slab slot is {} bytes",
            std::mem::size_of::<Option<Scheduled>>()
        );
    }

    #[test]
    fn digests_tell_kinds_and_fields_apart() {
        let request = |req, demand| Event::Deliver {
            from: Node::Client(0),
            to: Node::Server(1),
            msg: Msg::Request {
                req: ReqId(req),
                attempt: 1,
                key: 0,
                demand: SimDuration::from_millis(demand),
                deadline: SimTime(1_000_000_000),
                write: false,
                ts: 0,
            },
        };
        let events = [
            Event::from(ClientEvent::Arrival { client: 0 }),
            Event::from(ClientEvent::Arrival { client: 1 }),
            Event::from(ClientEvent::ThinkDone { client: 0 }),
            Event::from(ServerEvent::ServiceDone {
                server: 0,
                worker: 1,
            }),
            Event::from(ServerEvent::ServiceDone {
                server: 1,
                worker: 0,
            }),
            request(1, 10),
            request(2, 10),
            request(1, 11),
            Event::Deliver {
                from: Node::Server(1),
                to: Node::Client(0),
                msg: Msg::Heartbeat { server: 1 },
            },
            Event::Deliver {
                from: Node::Client(0),
                to: Node::Server(1),
                msg: Msg::Heartbeat { server: 1 },
            },
        ];
        let mut digests: Vec<u64> = events.iter().map(Event::digest).collect();
        digests.sort_unstable();
        digests.dedup();
        assert_eq!(digests.len(), events.len());
        assert_eq!(Scheduled::new(events[5]).digest, request(1, 10).digest());
    }

    /// The kind a trace line shows for `e`, as `faultline replay` names it.
    fn kind(e: &Event) -> String {
        let text = e.to_string();
        let mut words = text.split(' ').skip(1);
        let word = words.next().unwrap();
        if word == "recv" {
            format!("recv-{}", words.next().unwrap())
        } else {
            word.to_string()
        }
    }

    #[test]
    fn every_event_kind_is_listed() {
        let msgs = [
            Msg::Request {
                req: ReqId(1),
                attempt: 1,
                key: 0,
                demand: SimDuration(1),
                deadline: SimTime(1),
                write: false,
                ts: 0,
            },
            Msg::Response {
                req: ReqId(1),
                attempt: 1,
                server: 0,
                status: Status::Ok,
                clock: 0,
            },
            Msg::Heartbeat { server: 0 },
            Msg::Probe {
                target: 0,
                seq: 0,
                origin: Node::Monitor,
            },
            Msg::ProbeRequest { target: 0, seq: 0 },
            Msg::ProbeAck {
                target: 0,
                seq: 0,
                origin: Node::Monitor,
            },
            Msg::Replicate {
                req: ReqId(1),
                attempt: 1,
                key: 0,
                ts: 0,
                ack: false,
            },
            Msg::ReplicaAck {
                req: ReqId(1),
                attempt: 1,
            },
        ];
        let (req, client, server) = (ReqId(1), 0, 0);
        let mut events: Vec<Event> = msgs
            .into_iter()
            .map(|msg| Event::Deliver {
                from: Node::Client(0),
                to: Node::Server(0),
                msg,
            })
            .collect();
        events.extend([
            Event::from(ClientEvent::Arrival { client }),
            Event::from(ClientEvent::ThinkDone { client }),
            Event::from(ServerEvent::ServiceDone { server, worker: 0 }),
            Event::from(ServerEvent::HeartbeatTick { server }),
            Event::from(ClientEvent::Deadline { client }),
            Event::from(ClientEvent::RetryDue { client, req }),
            Event::from(DetectEvent::MonitorCheck),
            Event::from(DetectEvent::ViewUpdate {
                server,
                suspected: true,
            }),
            Event::from(FaultEvent::Crash { server }),
            Event::from(FaultEvent::Recover { server }),
            Event::from(FaultEvent::FaultStart { fault: 0 }),
            Event::from(FaultEvent::FaultEnd { fault: 0 }),
            Event::ArrivalsEnd,
            Event::from(DetectEvent::ClientCheck { client }),
            Event::from(DetectEvent::DetectorTick {
                node: Node::Monitor,
            }),
            Event::from(DetectEvent::Promote { range: 0 }),
            Event::from(DetectEvent::PrimaryUpdate {
                range: 0,
                primary: None,
            }),
            Event::from(ClientEvent::AttemptTimeout {
                client,
                req,
                attempt: 1,
            }),
            Event::from(ClientEvent::HedgeDue { client, req }),
            Event::from(ClientEvent::BreakerHalfOpen { client, server }),
            Event::from(ServerEvent::CheckpointStart { server }),
            Event::from(ServerEvent::CheckpointDone { server }),
            Event::from(ServerEvent::RestoreDone { server }),
            Event::from(ServerEvent::BackupStart { server }),
            Event::from(ServerEvent::BackupDone { server }),
            Event::from(ServerEvent::ReplicationDue { server }),
            Event::from(ServerEvent::JobDone { server }),
        ]);
        // Adding an event kind breaks this match until the samples above cover it.
        for e in &events {
            match e {
                Event::Client(
                    ClientEvent::Arrival { .. }
                    | ClientEvent::ThinkDone { .. }
                    | ClientEvent::Deadline { .. }
                    | ClientEvent::RetryDue { .. }
                    | ClientEvent::AttemptTimeout { .. }
                    | ClientEvent::HedgeDue { .. }
                    | ClientEvent::BreakerHalfOpen { .. },
                )
                | Event::Server(
                    ServerEvent::ServiceDone { .. }
                    | ServerEvent::HeartbeatTick { .. }
                    | ServerEvent::CheckpointStart { .. }
                    | ServerEvent::CheckpointDone { .. }
                    | ServerEvent::RestoreDone { .. }
                    | ServerEvent::BackupStart { .. }
                    | ServerEvent::BackupDone { .. }
                    | ServerEvent::ReplicationDue { .. }
                    | ServerEvent::JobDone { .. },
                )
                | Event::Detect(
                    DetectEvent::MonitorCheck
                    | DetectEvent::ClientCheck { .. }
                    | DetectEvent::DetectorTick { .. }
                    | DetectEvent::ViewUpdate { .. }
                    | DetectEvent::Promote { .. }
                    | DetectEvent::PrimaryUpdate { .. },
                )
                | Event::Fault(
                    FaultEvent::Crash { .. }
                    | FaultEvent::Recover { .. }
                    | FaultEvent::FaultStart { .. }
                    | FaultEvent::FaultEnd { .. },
                )
                | Event::Deliver { .. }
                | Event::ArrivalsEnd => {}
            }
        }
        let mut shown: Vec<String> = events.iter().map(kind).collect();
        shown.extend(["suspect".to_string(), "trust".to_string()]);
        shown.sort();
        shown.dedup();
        let mut listed: Vec<String> = TRACE_EVENT_KINDS.iter().map(|k| k.to_string()).collect();
        listed.sort();
        assert_eq!(shown, listed);
    }

    #[test]
    fn request_timers_hash_without_their_client() {
        // The client field is for the trace: the digest is the request's alone, as it
        // was before the field existed, so trace hashes stay as they were.
        let digest = |words: &[u64]| {
            let mut h = TraceHasher::default();
            h.words(words);
            h.fold()
        };
        for client in [0, 7] {
            let req = ReqId(42);
            assert_eq!(
                Event::from(ClientEvent::RetryDue { client, req }).digest(),
                digest(&[7, 42])
            );
            assert_eq!(
                Event::from(ClientEvent::HedgeDue { client, req }).digest(),
                digest(&[32, 42])
            );
            let timeout = Event::from(ClientEvent::AttemptTimeout {
                client,
                req,
                attempt: 2,
            });
            assert_eq!(timeout.digest(), digest(&[31 | (2 << 8), 42]));
        }
        let retry = Event::from(ClientEvent::RetryDue {
            client: 3,
            req: ReqId(5),
        });
        assert_eq!(retry.to_string(), "client-3 retry-due req=5");
        assert_eq!(Event::ArrivalsEnd.to_string(), "clients arrivals-end");
    }

    #[test]
    fn display_names_node_and_details() {
        let e = Event::Deliver {
            from: Node::Client(0),
            to: Node::Server(3),
            msg: Msg::Request {
                req: ReqId(17),
                attempt: 1,
                key: 42,
                demand: SimDuration::from_millis(10),
                deadline: SimTime(1_000_000_000),
                write: false,
                ts: 0,
            },
        };
        assert_eq!(
            e.to_string(),
            "server-3 recv request req=17 attempt=1 key=42 demand=10ms from=client-0 deadline=1.000000000s"
        );
    }
}
