//! The life of a request's attempts: sending one, its answer, the retry policy's
//! backoff, hedges, attempt timeouts, the overall deadline, the retry budget and the
//! circuit breakers' bookkeeping.

use super::Client;
use super::Clients;
use super::routing::Pick;
use super::table::Attempt;
use crate::engine::queue::EventId;
use crate::model::ctx::Ctx;
use crate::model::events::ClientEvent;
use crate::model::events::{Msg, Node, ReqId, Status};
use crate::report::Counter;
use crate::report::metrics::Outcome;
use crate::strategy::{CircuitBreaker, ClusterView};

/// What happens after an attempt failed.
pub(super) enum Next {
    /// Send the next attempt now.
    SendNow,
    /// A backoff is pending, other attempts are still awaited, or the request ended.
    Nothing,
}

/// What became of an attempt the client tried to send.
pub(super) enum Sending {
    Sent,
    /// Every unsuspected server's circuit breaker is open: the attempt failed at once.
    FailedFast,
    /// Nothing was sent: the request ended (no server acceptable) or waits for others.
    Nothing,
}

impl Clients {
    /// Sends the next attempt of `id`; an attempt failed fast by open circuit breakers is
    /// handled like any failed attempt, and may be followed at once by the next.
    #[inline]
    pub(super) fn launch(&mut self, id: ReqId, ctx: &mut Ctx, view: &mut ClusterView) {
        if let Sending::FailedFast = self.send_attempt(id, ctx, view) {
            self.after_fast_fail(id, ctx, view);
        }
    }

    /// What follows attempts of `id` failed fast, for as long as each next one fails fast
    /// too (only with circuit breakers, so out of the way of the common path).
    #[cold]
    #[inline(never)]
    fn after_fast_fail(&mut self, id: ReqId, ctx: &mut Ctx, view: &mut ClusterView) {
        while let Next::SendNow = self.after_failure(id, Outcome::Unavailable, ctx, view) {
            if !matches!(self.send_attempt(id, ctx, view), Sending::FailedFast) {
                return;
            }
        }
    }

    /// Sends the next attempt of `id` to the server [`Clients::pick`] chooses. When only
    /// the open breakers keep the router from placing it, it fails fast; when the router
    /// finds no acceptable server at all, the request fails as unavailable (unless other
    /// attempts are still awaited).
    #[inline(always)]
    pub(super) fn send_attempt(
        &mut self,
        id: ReqId,
        ctx: &mut Ctx,
        view: &mut ClusterView,
    ) -> Sending {
        let Clients {
            table,
            clients,
            hidden,
            timeout,
            service,
            spill,
            count_outstanding,
            ..
        } = self;
        let Some(req) = table.get_mut(id) else {
            return Sending::Nothing;
        };
        let client = &mut clients[req.client as usize];
        let now = ctx.now();
        let deadline = req.created.saturating_add(*timeout);
        let server = match Self::pick(client, req, view, hidden, now) {
            Pick::Server(server) => server,
            Pick::FailFast => return Self::fail_fast(req, ctx),
            Pick::Nowhere => {
                if req.in_flight.is_empty() {
                    self.finish(id, Outcome::Unavailable, ctx, view);
                }
                return Sending::Nothing;
            }
        };
        req.attempts += 1;
        let number = req.attempts;
        let hedge = !req.in_flight.is_empty();
        if *count_outstanding {
            view.outstanding[server as usize] += 1;
        }
        if let Some(breaker) = client.breaker.as_mut() {
            breaker.on_send(server);
        }
        let mut attempt_deadline = deadline;
        let mut timer = EventId::NONE;
        if let Some(t) = client.limits.attempt_timeout
            && now.saturating_add(t) < deadline
        {
            attempt_deadline = now.saturating_add(t);
            timer = ctx.after(
                t,
                ClientEvent::AttemptTimeout {
                    client: req.client,
                    req: id,
                    attempt: number,
                },
            );
        }
        req.in_flight.push(
            Attempt {
                number,
                server,
                sent: now,
                timer,
            },
            spill,
        );
        req.tried.push(server);
        if number > 1 {
            ctx.metrics().retry_sent(now);
            if hedge {
                ctx.metrics().count_counted(Counter::Hedges, req.counted);
            }
        }
        let demand = match &mut client.attempt_service {
            Some(rng) if number > 1 => service.sample(rng),
            _ => req.demand,
        };
        let msg = Msg::Request {
            req: id,
            attempt: number,
            key: req.key,
            demand,
            deadline: attempt_deadline,
            write: req.write,
            ts: req.ts,
        };
        ctx.send(Node::Client(req.client), Node::Server(server), msg);
        // A backoff has ended by now, so a pending timer is the previous hedging delay:
        // the next hedge counts from this attempt.
        if let Some(t) = req.timer.take() {
            ctx.cancel(t);
        }
        if u32::from(number) < client.limits.max_attempts
            && let Some(d) = client.retry.hedge_delay()
            && now.saturating_add(d) < deadline
        {
            req.timer = Some(ctx.after(
                d,
                ClientEvent::HedgeDue {
                    client: req.client,
                    req: id,
                },
            ));
        }
        Sending::Sent
    }

    pub fn on_message(&mut self, msg: Msg, ctx: &mut Ctx, view: &mut ClusterView) {
        let Msg::Response {
            req: id,
            attempt,
            server,
            status,
            clock,
        } = msg
        else {
            return;
        };
        let now = ctx.now();
        let awaited = self.table.get_mut(id).and_then(|req| {
            // Every answer carries the server's Lamport clock (0 while nothing writes).
            self.clients[req.client as usize].clock.observe(clock);
            Some((
                req.in_flight.take(attempt, &mut self.spill)?,
                req.client,
                req.created,
            ))
        });
        let Some((a, c, created)) = awaited else {
            // The request ended, or gave up on this attempt: a late answer.
            ctx.metrics().count(Counter::LateAnswers, now);
            return;
        };
        let ok = status == Status::Ok;
        ctx.cancel(a.timer);
        self.attempt_ended(c, a, ok, ctx, view);
        let client = &mut self.clients[c as usize];
        client.router.on_reply(now, server, now.since(a.sent), ok);
        match status {
            Status::Ok => {
                client.retry.on_success(now.since(created));
                self.finish(id, Outcome::Ok, ctx, view);
            }
            Status::Rejected => self.failed(id, Outcome::Rejected, ctx, view),
            Status::Error => self.failed(id, Outcome::Error, ctx, view),
        }
    }

    /// Bookkeeping of an attempt that ended with an answer (`ok` or not) or a timeout:
    /// releases it from the view and tells the retry budget and the circuit breaker.
    pub(super) fn attempt_ended(
        &mut self,
        c: u32,
        a: Attempt,
        ok: bool,
        ctx: &mut Ctx,
        view: &mut ClusterView,
    ) {
        if self.count_outstanding {
            view.outstanding[a.server as usize] -= 1;
        }
        let now = ctx.now();
        let client = &mut self.clients[c as usize];
        if let Some(budget) = &mut client.budget {
            budget.on_attempt_end(ok, now);
        }
        Self::breaker_result(client, c, a.server, ok, ctx);
    }

    /// Tells the client's circuit breaker, if it has one, how an attempt at `server` ended.
    #[inline(always)]
    pub(super) fn breaker_result(
        client: &mut Client,
        c: u32,
        server: u32,
        ok: bool,
        ctx: &mut Ctx,
    ) {
        if let Some(breaker) = client.breaker.as_deref_mut() {
            Self::breaker_verdict(breaker, c, server, ok, ctx);
        }
    }

    #[inline(never)]
    fn breaker_verdict(
        breaker: &mut dyn CircuitBreaker,
        c: u32,
        server: u32,
        ok: bool,
        ctx: &mut Ctx,
    ) {
        let now = ctx.now();
        if let Some(open_for) = breaker.on_result(server, ok, now) {
            ctx.after(open_for, ClientEvent::BreakerHalfOpen { client: c, server });
            ctx.metrics().count(Counter::BreakerOpens, now);
        }
    }

    /// An attempt of `id` failed with `outcome`; the next one goes out now or later, or the
    /// request ends.
    pub(super) fn failed(
        &mut self,
        id: ReqId,
        outcome: Outcome,
        ctx: &mut Ctx,
        view: &mut ClusterView,
    ) {
        if let Next::SendNow = self.after_failure(id, outcome, ctx, view) {
            self.launch(id, ctx, view);
        }
    }

    /// Decides what follows a failed attempt: a retry if attempts remain, the policy wants
    /// one, it leaves before the overall deadline and the retry budget allows it; else the
    /// request waits for its other attempts in flight, or ends with `outcome`.
    pub(super) fn after_failure(
        &mut self,
        id: ReqId,
        outcome: Outcome,
        ctx: &mut Ctx,
        view: &mut ClusterView,
    ) -> Next {
        let Some(req) = self.table.get_mut(id) else {
            return Next::Nothing;
        };
        let client = &mut self.clients[req.client as usize];
        let now = ctx.now();
        let deadline = req.created.saturating_add(self.timeout);
        let attempts = u32::from(req.attempts);
        let wanted = if attempts < client.limits.max_attempts {
            client
                .retry
                .next_delay(attempts, req.last_backoff, &mut client.retry_rng)
                .filter(|d| now.saturating_add(*d) < deadline)
        } else {
            None
        };
        if let Some(delay) = wanted {
            if client.budget.as_mut().is_none_or(|b| b.try_retry(now)) {
                req.last_backoff = delay;
                if delay.is_zero() {
                    return Next::SendNow;
                }
                if let Some(t) = req.timer.take() {
                    ctx.cancel(t);
                }
                req.timer = Some(ctx.after(
                    delay,
                    ClientEvent::RetryDue {
                        client: req.client,
                        req: id,
                    },
                ));
                return Next::Nothing;
            }
            ctx.metrics()
                .count_counted(Counter::BudgetDenied, req.counted);
        }
        if req.in_flight.is_empty() {
            self.finish(id, outcome, ctx, view);
        }
        Next::Nothing
    }

    pub fn on_retry_due(&mut self, id: ReqId, ctx: &mut Ctx, view: &mut ClusterView) {
        if let Some(req) = self.table.get_mut(id) {
            req.timer = None;
            self.launch(id, ctx, view);
        }
    }

    /// The hedging delay ended without an answer: the next attempt goes out if the retry
    /// budget allows it.
    pub fn on_hedge_due(&mut self, id: ReqId, ctx: &mut Ctx, view: &mut ClusterView) {
        let Some(req) = self.table.get_mut(id) else {
            return;
        };
        req.timer = None;
        let client = &mut self.clients[req.client as usize];
        if u32::from(req.attempts) >= client.limits.max_attempts {
            return;
        }
        if client
            .budget
            .as_mut()
            .is_none_or(|b| b.try_retry(ctx.now()))
        {
            self.launch(id, ctx, view);
        } else {
            ctx.metrics()
                .count_counted(Counter::BudgetDenied, req.counted);
        }
    }

    /// Attempt `attempt` of `id` got no answer within the attempt timeout: it counts as
    /// failed (its answer, if it comes, is ignored) and may be retried elsewhere.
    pub fn on_attempt_timeout(
        &mut self,
        id: ReqId,
        attempt: u16,
        ctx: &mut Ctx,
        view: &mut ClusterView,
    ) {
        let Some(req) = self.table.get_mut(id) else {
            return;
        };
        let Some(mut a) = req.in_flight.take(attempt, &mut self.spill) else {
            return;
        };
        let (c, counted) = (req.client, req.counted);
        a.timer = EventId::NONE;
        ctx.metrics()
            .count_counted(Counter::AttemptTimeouts, counted);
        let now = ctx.now();
        self.attempt_ended(c, a, false, ctx, view);
        self.clients[c as usize]
            .router
            .on_reply(now, a.server, now.since(a.sent), false);
        self.failed(id, Outcome::TimedOut, ctx, view);
    }

    /// A client's deadline event: every request of the client whose deadline has come and
    /// that is still in flight times out, in creation order. The event is re-armed at the
    /// deadline of the oldest request still in flight, skipping the ones that already
    /// ended, so it fires about once per `timeout` plus once per request that times out.
    pub fn on_deadline(&mut self, c: u32, ctx: &mut Ctx, view: &mut ClusterView) {
        let now = ctx.now();
        self.clients[c as usize].deadline_armed = false;
        while let Some((id, req)) = self.clients[c as usize].deadlines.oldest(&self.table) {
            let at = req.created.saturating_add(self.timeout);
            if at <= now {
                self.time_out(id, ctx, view);
            } else {
                self.clients[c as usize].deadline_armed = true;
                ctx.at(at, ClientEvent::Deadline { client: c });
                return;
            }
        }
    }

    /// The request's overall deadline passed: attempts still awaited count as failures
    /// for the router and the circuit breakers, and the request ends as timed out.
    pub(super) fn time_out(&mut self, id: ReqId, ctx: &mut Ctx, view: &mut ClusterView) {
        let Some(req) = self.table.get_mut(id) else {
            return; // it ended before its deadline
        };
        let in_flight = req.in_flight;
        req.in_flight.clear();
        let c = req.client;
        let now = ctx.now();
        for a in in_flight.attempts(&self.spill) {
            ctx.cancel(a.timer);
            if self.count_outstanding {
                view.outstanding[a.server as usize] -= 1;
            }
            let client = &mut self.clients[c as usize];
            // The router learns that the abandoned attempt failed.
            client
                .router
                .on_reply(now, a.server, now.since(a.sent), false);
            Self::breaker_result(client, c, a.server, false, ctx);
        }
        self.finish(id, Outcome::TimedOut, ctx, view);
    }

    /// A circuit breaker's open period ended.
    pub fn on_breaker_half_open(&mut self, client: u32, server: u32) {
        if let Some(breaker) = &mut self.clients[client as usize].breaker {
            breaker.half_open(server);
        }
    }
}
