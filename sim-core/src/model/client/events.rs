//! The clients' own events, their trace digest and text, and where each is handled.

use super::Clients;
use crate::engine::trace::TraceHasher;
use crate::model::ctx::Ctx;
use crate::model::events::{Event, ReqId, tag, tag2};
use crate::strategy::ClusterView;
use std::fmt;

/// What happens at one client.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ClientEvent {
    /// An open-loop client issues its next request.
    Arrival { client: u32 },
    /// A closed-loop client finished thinking and issues a request.
    ThinkDone { client: u32 },
    /// A client's earliest pending request deadline (see `Clients::on_deadline`).
    Deadline { client: u32 },
    /// A client's backoff before the next attempt of a request ends. `client`, the
    /// request's, is for the trace: the digest leaves it out, as the request fixes it.
    RetryDue { client: u32, req: ReqId },
    /// An attempt of a request got no answer within the retry policy's attempt timeout
    /// (`client` as in [`ClientEvent::RetryDue`]).
    AttemptTimeout {
        client: u32,
        req: ReqId,
        attempt: u16,
    },
    /// A hedging delay ended with the request still unanswered: the next attempt goes out
    /// (`client` as in [`ClientEvent::RetryDue`]).
    HedgeDue { client: u32, req: ReqId },
    /// A client's circuit breaker for a server ends its open period and turns half-open.
    BreakerHalfOpen { client: u32, server: u32 },
}

impl From<ClientEvent> for Event {
    #[inline(always)]
    fn from(e: ClientEvent) -> Event {
        Event::Client(e)
    }
}

impl ClientEvent {
    /// The client that handles it.
    pub fn client(&self) -> u32 {
        match *self {
            ClientEvent::Arrival { client }
            | ClientEvent::ThinkDone { client }
            | ClientEvent::Deadline { client }
            | ClientEvent::RetryDue { client, .. }
            | ClientEvent::AttemptTimeout { client, .. }
            | ClientEvent::HedgeDue { client, .. }
            | ClientEvent::BreakerHalfOpen { client, .. } => client,
        }
    }

    /// Its words of the trace hash (see [`Event::digest`]); the tags are the ones every
    /// recorded trace hash was computed with.
    #[inline(always)]
    pub(crate) fn digest_into(&self, h: &mut TraceHasher) {
        match *self {
            ClientEvent::Arrival { client } => h.words(&[tag(1, client)]),
            ClientEvent::ThinkDone { client } => h.words(&[tag(2, client)]),
            ClientEvent::Deadline { client } => h.words(&[tag(6, client)]),
            ClientEvent::RetryDue { req, .. } => h.words(&[7, req.0]),
            // Retry-family events number from 31, apart from other families' additions.
            ClientEvent::AttemptTimeout { req, attempt, .. } => {
                h.words(&[tag2(31, attempt, 0), req.0])
            }
            ClientEvent::HedgeDue { req, .. } => h.words(&[32, req.0]),
            ClientEvent::BreakerHalfOpen { client, server } => {
                h.words(&[tag(33, client), u64::from(server)])
            }
        }
    }
}

/// The trace text after the node: `retry-due req=5`.
impl fmt::Display for ClientEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ClientEvent::Arrival { .. } => write!(f, "arrival"),
            ClientEvent::ThinkDone { .. } => write!(f, "think-done"),
            ClientEvent::Deadline { .. } => write!(f, "deadline"),
            ClientEvent::RetryDue { req, .. } => write!(f, "retry-due req={}", req.0),
            ClientEvent::AttemptTimeout { req, attempt, .. } => {
                write!(f, "attempt-timeout req={} attempt={attempt}", req.0)
            }
            ClientEvent::HedgeDue { req, .. } => write!(f, "hedge-due req={}", req.0),
            ClientEvent::BreakerHalfOpen { server, .. } => {
                write!(f, "breaker-half-open server={server}")
            }
        }
    }
}

impl Clients {
    /// Hands one of the clients' events to its handler.
    #[inline(always)]
    pub fn handle(&mut self, event: ClientEvent, ctx: &mut Ctx, view: &mut ClusterView) {
        match event {
            ClientEvent::Arrival { client } => self.on_arrival(client, ctx, view),
            ClientEvent::ThinkDone { client } => self.on_think_done(client, ctx, view),
            ClientEvent::Deadline { client } => self.on_deadline(client, ctx, view),
            ClientEvent::RetryDue { req, .. } => self.on_retry_due(req, ctx, view),
            ClientEvent::AttemptTimeout { req, attempt, .. } => {
                self.on_attempt_timeout(req, attempt, ctx, view)
            }
            ClientEvent::HedgeDue { req, .. } => self.on_hedge_due(req, ctx, view),
            ClientEvent::BreakerHalfOpen { client, server } => {
                self.on_breaker_half_open(client, server)
            }
        }
    }
}
