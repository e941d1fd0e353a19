//! The event trace of a run: a 64-bit hash of every processed event, always kept, and
//! optionally the events themselves, one per line (`time node event details`).
//!
//! The hash is a fingerprint for "did these two runs do exactly the same thing": it folds
//! each event's time, kind and fields in processing order with a multiply-xorshift mixer
//! and ends with a SplitMix64 finaliser. It is stable across platforms and thread counts.

use crate::events::Event;
use crate::time::SimTime;
use std::io::{self, Write};

/// Streaming 64-bit hash of a sequence of words.
#[derive(Clone, Debug)]
pub struct TraceHasher {
    state: u64,
}

impl Default for TraceHasher {
    fn default() -> Self {
        TraceHasher {
            state: 0x243F_6A88_85A3_08D3,
        }
    }
}

impl TraceHasher {
    #[inline]
    pub fn word(&mut self, w: u64) {
        let x = (self.state ^ w).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.state = x ^ (x >> 29);
    }

    #[inline]
    pub fn words(&mut self, ws: &[u64]) {
        for &w in ws {
            self.word(w);
        }
    }

    pub fn finish(&self) -> u64 {
        let mut s = self.state;
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
    fn keeps(&self, time: SimTime, event: &Event) -> bool {
        if self.from.is_some_and(|t| time < t) || self.until.is_some_and(|t| time > t) {
            return false;
        }
        if self.nodes.is_empty() {
            return true;
        }
        match event.node() {
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

    #[inline]
    pub fn record(&mut self, time: SimTime, event: &Event) {
        self.hasher.word(time.0);
        event.hash_into(&mut self.hasher);
        if let Some(sink) = self.sink.as_deref_mut()
            && self.error.is_none()
            && self.filter.keeps(time, event)
            && let Err(e) = writeln!(sink, "{time} {event}")
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
