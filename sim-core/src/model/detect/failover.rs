//! Primary/backup failover at the monitor: every key range has a primary (at first its
//! first replica) and backups. When the monitor suspects a range's primary it promotes
//! the first replica it trusts, `promotion_delay` after the verdict; while it trusts no
//! replica the range keeps its suspected primary and waits. With `failback = "return"`
//! the range moves back to its first replica, again after the delay, once the monitor
//! trusts that replica. The clients' view learns each new primary after the same
//! propagation delay as suspicions.
//!
//! At most one promotion per range is pending; it decides from the monitor's verdicts at
//! the instant it is due, so a burst of verdicts during the delay leads to one change.

use crate::engine::time::SimDuration;
use crate::model::ctx::Ctx;
use crate::model::events::DetectEvent;
use crate::strategy::{ClusterView, Failback, FailoverPlan};

pub struct Failover {
    plan: FailoverPlan,
    /// The monitor's current primary of each range.
    primary: Vec<u32>,
    /// Whether a promotion of each range is pending.
    pending: Vec<bool>,
    propagation: SimDuration,
}

impl Failover {
    pub fn new(plan: FailoverPlan, propagation: SimDuration) -> Self {
        let primary = plan.replicas.iter().map(|r| r[0]).collect();
        let pending = vec![false; plan.replicas.len()];
        Failover {
            plan,
            primary,
            pending,
            propagation,
        }
    }

    /// Tells the clients' view and the metrics the initial primaries.
    pub fn start(&mut self, ctx: &mut Ctx, view: &mut ClusterView) {
        ctx.metrics().track_ranges(&self.plan);
        for (range, p) in self.primary.iter().enumerate() {
            view.set_primary(range as u32, Some(*p));
        }
    }

    /// The monitor's verdict on `server` changed; `suspected` holds all its verdicts.
    /// Schedules a promotion for every range that needs a new primary.
    pub fn on_verdict(
        &mut self,
        server: u32,
        now_suspected: bool,
        suspected: &[bool],
        ctx: &mut Ctx,
    ) {
        for range in 0..self.primary.len() {
            let primary = self.primary[range];
            let replicas = &self.plan.replicas[range];
            let needs = if now_suspected {
                primary == server
            } else if primary == server || !replicas.contains(&server) {
                false
            } else {
                // A replica is trusted again: a range whose primary is suspected can now
                // fail over to it, and under "return" a range goes back to its first one.
                suspected[primary as usize]
                    || (self.plan.failback == Failback::Return && replicas[0] == server)
            };
            if needs && !self.pending[range] {
                self.pending[range] = true;
                ctx.after(
                    self.plan.promotion_delay,
                    DetectEvent::Promote {
                        range: range as u32,
                    },
                );
            }
        }
    }

    /// The replica that should be primary of `range` given the monitor's verdicts, if any
    /// replica is trusted.
    fn choose(&self, range: usize, suspected: &[bool]) -> Option<u32> {
        let current = self.primary[range];
        if self.plan.failback == Failback::Stay && !suspected[current as usize] {
            return Some(current);
        }
        self.plan.replicas[range]
            .iter()
            .copied()
            .find(|s| !suspected[*s as usize])
    }

    /// A promotion of `range` is due: applies the choice the verdicts now call for.
    /// Returns the primary appointed, if the range has a new one.
    pub fn on_promote(
        &mut self,
        range: u32,
        suspected: &[bool],
        ctx: &mut Ctx,
        view: &mut ClusterView,
    ) -> Option<u32> {
        let r = range as usize;
        self.pending[r] = false;
        let current = self.primary[r];
        let next = self.choose(r, suspected)?;
        if next == current {
            return None;
        }
        let now = ctx.now();
        ctx.metrics().promotion(!suspected[current as usize], now);
        self.primary[r] = next;
        if self.propagation.is_zero() {
            view.set_primary(range, Some(next));
            ctx.metrics().primary_changed(range, Some(next), now);
        } else {
            ctx.after(
                self.propagation,
                DetectEvent::PrimaryUpdate {
                    range,
                    primary: Some(next),
                },
            );
        }
        Some(next)
    }
}
