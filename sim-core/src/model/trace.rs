//! The event trace of a run: the hash of every processed event
//! ([`crate::engine::trace::TraceHasher`]), always kept, and optionally the events
//! themselves, one per line (`time node event details`), with the failure detectors'
//! verdicts (`time node suspect server=S`, or `trust`) and the servers a scripted crash
//! takes down or brings back (`time server-S crash fault=F`, or `recover`) on lines of
//! their own after the event that decided them. Those lines are not hashed: they follow
//! from the events.
//!
//! Every line names the node it belongs to: the node that handles the event (a client for
//! its requests' retry, hedge and attempt timers), `clients` for the end of arrivals and
//! for verdicts and primaries reaching the clients' shared view, and for a scripted fault
//! its target server, or `servers` when it has several (`clients` for a load spike); the
//! fault's line lists its kind, parameters and targets. `--node` keeps a group's line
//! when it names one of the group's nodes.

use crate::engine::time::SimTime;
use crate::engine::trace::TraceHasher;
use crate::model::events::FaultEvent;
use crate::model::events::{Event, Node, Scheduled};
use std::io::{self, Write};

/// Where a run's events go.
pub struct Trace<'w> {
    hasher: TraceHasher,
    sink: Option<&'w mut dyn Write>,
    error: Option<io::Error>,
    filter: TraceFilter,
    /// How each scripted fault's lines read, by index.
    faults: Vec<FaultLine>,
}

/// How a scripted fault's `fault-start` and `fault-end` lines read.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultLine {
    /// The servers it acts on, in index order; empty for one acting on the clients.
    pub servers: Vec<u32>,
    /// Its kind, parameters and targets, like `kind=slow factor=3 servers=2`.
    pub details: String,
}

/// Whom a trace line belongs to, for its node column and for `--node`.
#[derive(Clone, Copy, Debug)]
enum Owner<'a> {
    Node(Node),
    Clients,
    Servers(&'a [u32]),
    Unknown,
}

impl Owner<'_> {
    fn column(&self) -> String {
        match *self {
            Owner::Node(node) => node.to_string(),
            Owner::Clients => "clients".into(),
            Owner::Servers([one]) => Node::Server(*one).to_string(),
            Owner::Servers(_) => "servers".into(),
            Owner::Unknown => "-".into(),
        }
    }
}

/// Which events a trace file keeps. The hash always covers every event.
#[derive(Clone, Debug, Default)]
pub struct TraceFilter {
    /// Keep only events handled by these nodes (by their trace name, like "server-3").
    pub nodes: Vec<String>,
    /// Keep only events at or after this time.
    pub from: Option<SimTime>,
    /// Keep only events at or before this time.
    pub until: Option<SimTime>,
}

impl TraceFilter {
    /// Whether a line at `time` belonging to `owner` is kept.
    fn keeps(&self, time: SimTime, owner: Owner) -> bool {
        if self.from.is_some_and(|t| time < t) || self.until.is_some_and(|t| time > t) {
            return false;
        }
        if self.nodes.is_empty() {
            return true;
        }
        let named = |node: Node| self.nodes.iter().any(|n| *n == node.to_string());
        match owner {
            Owner::Node(node) => named(node),
            Owner::Clients => self.nodes.iter().any(|n| n.starts_with("client-")),
            Owner::Servers(servers) => servers.iter().any(|&s| named(Node::Server(s))),
            Owner::Unknown => false,
        }
    }
}

impl<'w> Trace<'w> {
    /// A trace that keeps only the hash.
    pub fn hash_only() -> Self {
        Trace {
            hasher: TraceHasher::default(),
            sink: None,
            error: None,
            filter: TraceFilter::default(),
            faults: Vec::new(),
        }
    }

    /// A trace that also writes the events `filter` keeps to `sink`.
    pub fn to_writer(sink: &'w mut dyn Write, filter: TraceFilter) -> Self {
        Trace {
            hasher: TraceHasher::default(),
            sink: Some(sink),
            error: None,
            filter,
            faults: Vec::new(),
        }
    }

    /// Whether lines are written (else only the hash is kept).
    pub fn writes_lines(&self) -> bool {
        self.sink.is_some()
    }

    /// Sets how the scripted faults' lines read, by fault index.
    pub fn describe_faults(&mut self, faults: Vec<FaultLine>) {
        self.faults = faults;
    }

    /// Folds a processed event into the hash, its time into one lane and its digest into
    /// the other, and writes its line if the trace keeps it.
    #[inline(always)]
    pub fn record(&mut self, time: SimTime, scheduled: &Scheduled) {
        self.hasher.words(&[time.0, scheduled.digest]);
        if self.sink.is_some() {
            self.event_line(time, &scheduled.event);
        }
    }

    /// Writes an event's line, at the node or group it belongs to.
    #[cold]
    fn event_line(&mut self, time: SimTime, event: &Event) {
        if let Event::Fault(
            e @ (FaultEvent::FaultStart { fault } | FaultEvent::FaultEnd { fault }),
        ) = *event
        {
            let faults = std::mem::take(&mut self.faults);
            if let Some(l) = faults.get(fault as usize) {
                let owner = if l.servers.is_empty() {
                    Owner::Clients
                } else {
                    Owner::Servers(&l.servers)
                };
                let what = match e {
                    FaultEvent::FaultStart { .. } => "fault-start",
                    _ => "fault-end",
                };
                let column = owner.column();
                self.line(
                    time,
                    owner,
                    format_args!("{column} {what} fault={fault} {}", l.details),
                );
                self.faults = faults;
                return;
            }
            self.faults = faults;
        }
        let owner = match (event.node(), event.group()) {
            (Some(node), _) => Owner::Node(node),
            (None, Some("clients")) => Owner::Clients,
            _ => Owner::Unknown,
        };
        self.line(time, owner, format_args!("{event}"));
    }

    /// Writes a failure detector's verdict on `server` at `node`, `suspect` or `trust`, as
    /// a line of the event it followed from. A verdict is not an event: it takes effect
    /// inside the event that decided it (a check, a heartbeat), so it is not hashed, but
    /// a reader of the trace needs it, above all when it reaches the clients at once and
    /// no view-update event follows.
    pub fn verdict(&mut self, time: SimTime, node: Node, server: u32, suspected: bool) {
        let verdict = if suspected { "suspect" } else { "trust" };
        self.line(
            time,
            Owner::Node(node),
            format_args!("{node} {verdict} server={server}"),
        );
    }

    /// Writes that scripted fault `fault` took `server` down (`crash`) or brought it back
    /// (`recover`), as a line of the fault's event: a random crash or repair is an event
    /// of its own, a scripted one happens inside the fault's start or end.
    pub fn scripted_outage(&mut self, time: SimTime, server: u32, down: bool, fault: u32) {
        if self.sink.is_none() {
            return;
        }
        let node = Node::Server(server);
        let what = if down { "crash" } else { "recover" };
        self.line(
            time,
            Owner::Node(node),
            format_args!("{node} {what} fault={fault}"),
        );
    }

    /// Writes `time` and `text` as a line, if lines are written and the filter keeps
    /// lines at `time` belonging to `owner`. Out of line: a run that keeps only the hash
    /// never calls it.
    #[cold]
    fn line(&mut self, time: SimTime, owner: Owner, text: std::fmt::Arguments) {
        if let Some(sink) = self.sink.as_deref_mut()
            && self.error.is_none()
            && self.filter.keeps(time, owner)
            && let Err(e) = writeln!(sink, "{time} {text}")
        {
            self.error = Some(e);
        }
    }

    /// Writes a free-form note line (run header, summary) without hashing it.
    pub fn note(&mut self, text: &str) {
        if let Some(sink) = self.sink.as_deref_mut()
            && self.error.is_none()
            && let Err(e) = writeln!(sink, "# {text}")
        {
            self.error = Some(e);
        }
    }

    pub fn hash(&self) -> u64 {
        self.hasher.finish()
    }

    /// The first write error, if writing the trace failed.
    pub fn take_error(&mut self) -> Option<io::Error> {
        if let Some(sink) = self.sink.as_deref_mut()
            && self.error.is_none()
            && let Err(e) = sink.flush()
        {
            self.error = Some(e);
        }
        self.error.take()
    }
}
