//! A server's batch job: `length` of work done at full speed while the server is up,
//! at a checkpoint's speed while it checkpoints, not at all while it is down or restoring.
//! A checkpoint saves the progress made when it began; a crash undoes everything since
//! the last completed checkpoint, and that work is redone after the restore.

use crate::engine::queue::EventId;
use crate::engine::time::{SimDuration, SimTime};
use crate::model::ctx::Ctx;
use crate::model::events::Event;

pub struct BatchJob {
    length: SimDuration,
    /// Work done as of `since`, and at the last completed checkpoint's start, and at the
    /// start of the checkpoint in progress.
    progress: SimDuration,
    saved: SimDuration,
    captured: SimDuration,
    /// Work per unit of time now: 1 normally, less while checkpointing, 0 while stopped.
    speed: f64,
    since: SimTime,
    done: Option<EventId>,
    finished: bool,
}

impl BatchJob {
    /// A job that starts at time zero.
    pub fn new(length: SimDuration) -> Self {
        BatchJob {
            length,
            progress: SimDuration::ZERO,
            saved: SimDuration::ZERO,
            captured: SimDuration::ZERO,
            speed: 0.0,
            since: SimTime::ZERO,
            done: None,
            finished: false,
        }
    }

    pub fn is_finished(&self) -> bool {
        self.finished
    }

    pub fn length(&self) -> SimDuration {
        self.length
    }

    fn advance(&mut self, now: SimTime) {
        let elapsed = now.since(self.since);
        let gained = if self.speed == 1.0 {
            elapsed
        } else {
            elapsed.mul_f64(self.speed)
        };
        self.progress = (self.progress + gained).min(self.length);
        self.since = now;
    }

    /// Changes the speed from now on and moves the completion accordingly.
    pub fn set_speed(&mut self, speed: f64, server: u32, ctx: &mut Ctx) {
        if self.finished {
            return;
        }
        self.advance(ctx.now());
        self.speed = speed;
        if let Some(id) = self.done.take() {
            ctx.cancel(id);
        }
        if speed > 0.0 {
            let left = self.length - self.progress;
            let wait = if speed == 1.0 {
                left
            } else {
                left.mul_f64(1.0 / speed)
            };
            self.done = Some(ctx.after(wait, Event::JobDone { server }));
        }
    }

    /// A checkpoint begins: its image is the progress now.
    pub fn capture(&mut self, now: SimTime) {
        self.advance(now);
        self.captured = self.progress;
    }

    /// The checkpoint in progress completed.
    pub fn commit(&mut self) {
        self.saved = self.captured;
    }

    /// The server crashed: progress goes back to the last checkpoint. Returns the work
    /// undone.
    pub fn crash(&mut self, server: u32, ctx: &mut Ctx) -> SimDuration {
        if self.finished {
            return SimDuration::ZERO;
        }
        self.set_speed(0.0, server, ctx);
        let lost = self.progress - self.saved;
        self.progress = self.saved;
        lost
    }

    /// The job reached its length.
    pub fn complete(&mut self, now: SimTime) {
        self.done = None;
        self.progress = self.length;
        self.since = now;
        self.finished = true;
    }
}
