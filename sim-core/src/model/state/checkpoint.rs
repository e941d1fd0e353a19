//! A server's checkpoint schedule: work for the interval its policy names, checkpoint
//! for the policy's cost, repeat; start over after each restore. The server also keeps the
//! history its policy may learn from: its failures, and the time it was exposed to them
//! (from the start of the run or each recovery to the next crash).

use crate::engine::queue::EventId;
use crate::engine::time::SimTime;
use crate::model::ctx::Ctx;
use crate::model::events::Event;
use crate::strategy::durability::{CheckpointPolicy, CheckpointSettings, FailureHistory};

pub struct Checkpointer {
    policy: Box<dyn CheckpointPolicy>,
    pub settings: CheckpointSettings,
    /// Failures so far, and exposure up to the start of the current lifetime.
    past: FailureHistory,
    alive_since: SimTime,
    /// The next checkpoint's start.
    due: Option<EventId>,
    /// The checkpoint in progress: when it began and its completion.
    running: Option<(SimTime, EventId)>,
}

impl Checkpointer {
    pub fn new(policy: Box<dyn CheckpointPolicy>, settings: CheckpointSettings) -> Self {
        Checkpointer {
            policy,
            settings,
            past: FailureHistory::default(),
            alive_since: SimTime::ZERO,
            due: None,
            running: None,
        }
    }

    /// What the server has seen of its failures by `now`.
    pub fn history(&self, now: SimTime) -> FailureHistory {
        FailureHistory {
            failures: self.past.failures,
            exposed: self.past.exposed + now.since(self.alive_since),
        }
    }

    pub fn is_running(&self) -> bool {
        self.running.is_some()
    }

    /// Asks the policy when to checkpoint next, from now, and schedules it.
    pub fn schedule(&mut self, server: u32, ctx: &mut Ctx) {
        let history = self.history(ctx.now());
        if let Some(interval) = self.policy.next_interval(&history) {
            self.due = Some(ctx.after(interval, Event::CheckpointStart { server }));
        }
    }

    /// The scheduled checkpoint begins.
    pub fn start(&mut self, server: u32, ctx: &mut Ctx) {
        self.due = None;
        let done = ctx.after(self.settings.cost, Event::CheckpointDone { server });
        self.running = Some((ctx.now(), done));
    }

    /// The checkpoint in progress completed; returns when it began.
    pub fn finish(&mut self, ctx: &mut Ctx) -> SimTime {
        let (started, _) = self.running.take().expect("a checkpoint in progress");
        let now = ctx.now();
        ctx.metrics().checkpoint_span(started, now, true);
        started
    }

    /// Stops checkpointing: cancels the next checkpoint and cuts short the one in
    /// progress (its time still counts as overhead).
    pub fn stop(&mut self, ctx: &mut Ctx) {
        if let Some(id) = self.due.take() {
            ctx.cancel(id);
        }
        if let Some((started, id)) = self.running.take() {
            ctx.cancel(id);
            let now = ctx.now();
            ctx.metrics().checkpoint_span(started, now, false);
        }
    }

    /// The server crashed: the checkpoint schedule stops and the failure is recorded.
    pub fn crashed(&mut self, ctx: &mut Ctx) {
        self.stop(ctx);
        let now = ctx.now();
        self.past.failures += 1;
        self.past.exposed += now.since(self.alive_since);
        // Until the server recovers it is not exposed.
        self.alive_since = SimTime::MAX;
    }

    /// The server recovered (its restore begins): it is exposed to failure again.
    pub fn recovered(&mut self, now: SimTime) {
        self.alive_since = now;
    }
}
