//! The event trace of a run: a 64-bit hash of every processed event, always kept, and
//! optionally the events themselves, one per line (`time node event details`), with the
//! failure detectors' verdicts (`time node suspect server=S`, or `trust`) on lines of
//! their own after the event that decided them. Verdicts are not hashed: they follow from
//! the events.
//!
//! The hash is a fingerprint for "did these two runs do exactly the same thing": each
//! event's kind and fields, packed into a few 64-bit words, are folded into a digest when
//! the event is scheduled (see [`crate::events`]); in processing order, each processed
//! event's time and digest are folded into two lanes (time into one, digest into the
//! other, so the two multiply chains run in parallel) with a multiply-rotate mixer, and a
//! SplitMix64 finaliser combines the lanes. It is stable across platforms and thread
//! counts.

use crate::events::{Node, Scheduled};
use crate::time::SimTime;
use std::io::{self, Write};

/// Streaming 64-bit hash of a sequence of words.
#[derive(Clone, Debug)]
pub struct TraceHasher {
    lanes: [u64; 2],
}

impl Default for TraceHasher {
    fn default() -> Self {
        TraceHasher {
            lanes: [0x243F_6A88_85A3_08D3, 0x1319_8A2E_0370_7344],
        }
    }
}

const MIX: u64 = 0x9E37_79B9_7F4A_7C15;

#[inline(always)]
fn absorb(lane: u64, w: u64) -> u64 {
    (lane ^ w).wrapping_mul(MIX).rotate_left(29)
}

impl TraceHasher {
    /// Folds one word into the first lane.
    #[inline]
    pub fn word(&mut self, w: u64) {
        self.lanes[0] = absorb(self.lanes[0], w);
    }

    /// Folds words pairwise into the two lanes; an odd last word goes to the first lane.
    #[inline]
    pub fn words(&mut self, ws: &[u64]) {
        let [mut a, mut b] = self.lanes;
        let mut pairs = ws.chunks_exact(2);
        for pair in &mut pairs {
            a = absorb(a, pair[0]);
            b = absorb(b, pair[1]);
        }
        if let [last] = pairs.remainder() {
            a = absorb(a, *last);
        }
        self.lanes = [a, b];
    }

    /// The two lanes folded into one word, without finalising: a digest to be folded into
    /// another hash.
    #[inline(always)]
    pub fn fold(&self) -> u64 {
        (self.lanes[0] ^ self.lanes[1].rotate_left(32)).wrapping_mul(MIX)
    }

    pub fn finish(&self) -> u64 {
        let mut s = self.lanes[0] ^ self.lanes[1].rotate_left(32).wrapping_mul(MIX);
        crate::rng::splitmix64(&mut s)
    }
}

/// Where a run's events go.
pub struct Trace<'w> {
    hasher: TraceHasher,
    sink: Option<&'w mut dyn Write>,
    error: Option<io::Error>,
    filter: TraceFilter,
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
    /// Whether a line at `time` about `node` (`None` for events of no node) is kept.
    fn keeps(&self, time: SimTime, node: Option<Node>) -> bool {
        if self.from.is_some_and(|t| time < t) || self.until.is_some_and(|t| time > t) {
            return false;
        }
        if self.nodes.is_empty() {
            return true;
        }
        match node {
            Some(node) => {
                let name = node.to_string();
                self.nodes.contains(&name)
            }
            None => false,
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
        }
    }

    /// A trace that also writes the events `filter` keeps to `sink`.
    pub fn to_writer(sink: &'w mut dyn Write, filter: TraceFilter) -> Self {
        Trace {
            hasher: TraceHasher::default(),
            sink: Some(sink),
            error: None,
            filter,
        }
    }

    /// Folds a processed event into the hash, its time into one lane and its digest into
    /// the other, and writes its line if the trace keeps it.
    #[inline(always)]
    pub fn record(&mut self, time: SimTime, scheduled: &Scheduled) {
        self.hasher.words(&[time.0, scheduled.digest]);
        if self.sink.is_some() {
            let event = &scheduled.event;
            self.line(time, event.node(), format_args!("{event}"));
        }
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
            Some(node),
            format_args!("{node} {verdict} server={server}"),
        );
    }

    /// Writes `time` and `text` as a line, if lines are written and the filter keeps
    /// lines at `time` about `node`. Out of line: a run that keeps only the hash never
    /// calls it.
    #[cold]
    fn line(&mut self, time: SimTime, node: Option<Node>, text: std::fmt::Arguments) {
        if let Some(sink) = self.sink.as_deref_mut()
            && self.error.is_none()
            && self.filter.keeps(time, node)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_depends_on_order_and_content() {
        let mut a = TraceHasher::default();
        a.words(&[1, 2, 3]);
        let mut b = TraceHasher::default();
        b.words(&[1, 2, 3]);
        let mut c = TraceHasher::default();
        c.words(&[3, 2, 1]);
        let mut d = TraceHasher::default();
        d.words(&[1, 2, 4]);
        assert_eq!(a.finish(), b.finish());
        assert_ne!(a.finish(), c.finish());
        assert_ne!(a.finish(), d.finish());
    }
}
