//! Where an attempt goes: the client's router over the view, with the servers its circuit
//! breakers block (and, under failover, those the request already tried) masked out.

use super::attempts::Sending;
use super::table::Request;
use super::{Client, Clients};
use crate::engine::time::SimTime;
use crate::model::ctx::Ctx;
use crate::report::Counter;
use crate::strategy::{ClusterView, RouteInput};

/// Where the next attempt of a request goes.
pub(super) enum Pick {
    Server(u32),
    /// Only the open circuit breakers keep the router from placing it: it fails fast, and
    /// may be retried once a breaker half-opens.
    FailFast,
    /// The router finds no acceptable server at all.
    Nowhere,
}

impl Clients {
    /// Picks the server of the next attempt of `req`. The router sees the view without
    /// the servers this client's circuit breakers block and, under failover, without the
    /// servers the request already tried (unless that leaves no server, or the router
    /// finds none there). `hidden` is scratch space.
    #[inline(always)]
    pub(super) fn pick(
        client: &mut Client,
        req: &Request,
        view: &mut ClusterView,
        hidden: &mut Vec<u32>,
        now: SimTime,
    ) -> Pick {
        // Suspicions as this client sees them (its own, with detection in the clients).
        view.set_viewer(req.client);
        hidden.clear();
        if let Some(breaker) = client.breaker.as_ref() {
            hidden.extend_from_slice(breaker.blocked());
        }
        let blocked = hidden.len();
        if blocked > 0 && !view.alive().is_empty() && view.alive_except(hidden) == 0 {
            return Pick::FailFast;
        }
        let input = RouteInput {
            key: req.key,
            attempt: u32::from(req.attempts) + 1,
            previous: req.tried.last(),
            now,
        };
        let mut routed = Self::route(client, &input, view, hidden);
        // Failover: should the router pick a server the request already tried, it picks
        // again without the tried servers, unless that leaves none or it then finds none
        // (a primary-backup router can only use the range's primary). Masking only when
        // needed keeps a router's cached placement (Maglev's table) for the common case.
        if client.limits.failover
            && let Some(pick) = routed
            && req.tried.as_slice().contains(&pick)
        {
            for &s in req.tried.as_slice() {
                if !hidden.contains(&s) {
                    hidden.push(s);
                }
            }
            if view.alive_except(hidden) > 0
                && let Some(other) = Self::route(client, &input, view, hidden)
            {
                routed = Some(other);
            }
            hidden.truncate(blocked);
        }
        match routed {
            Some(server) => Pick::Server(server),
            None if blocked > 0 && Self::route(client, &input, view, &[]).is_some() => {
                Pick::FailFast
            }
            None => Pick::Nowhere,
        }
    }

    /// The router's choice for `input` with the `hidden` servers masked out of the view
    /// (the view itself when none is hidden, the common case, without the masking call).
    #[inline(always)]
    pub(super) fn route(
        client: &mut Client,
        input: &RouteInput,
        view: &mut ClusterView,
        hidden: &[u32],
    ) -> Option<u32> {
        let (router, rng) = (&mut client.router, &mut client.routing);
        if hidden.is_empty() {
            return router.route(input, view, rng);
        }
        view.with_hidden(hidden, |v| router.route(input, v, rng))
    }

    /// An attempt that open circuit breakers keep from any server fails at once.
    pub(super) fn fail_fast(req: &mut Request, ctx: &mut Ctx) -> Sending {
        req.attempts += 1;
        ctx.metrics()
            .count_counted(Counter::BreakerFastFails, req.counted);
        Sending::FailedFast
    }
}
