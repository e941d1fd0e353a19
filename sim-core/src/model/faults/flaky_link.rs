//! `flaky-link`: while the fault lasts, the links of its servers (those `peer` names)
//! alternate between up and lossy: up for a time drawn from `up`, then lossy for a time
//! drawn from `down`, then up again, and so on, starting up when the fault starts. While
//! lossy, each message on the links is lost with `probability` (default 1).
//!
//! The on/off times come from the fault's own stream (one per scripted fault), drawn in
//! a fixed order (for each cycle: the up time, then a seed for the lossy period's loss
//! draws and the down time) whatever the traffic, so every strategy compared on a seed
//! meets the same outages; the loss draws of each lossy period come from a generator
//! seeded for that period alone. The link's state is advanced when a message is judged,
//! so the fault schedules no events: it costs nothing between messages.

use super::{Fault, FaultCtx, FaultKind, KeyDoc};
use crate::config::{ConfigError, Section};
use crate::engine::dist::Dist;
use crate::model::network::{LinkEffect, LinkRule, Message, Verdict};
use crate::report::format_real;
use crate::engine::rng::SimRng;
use crate::engine::time::SimTime;
use rand::RngExt;
use rand_chacha::rand_core::SeedableRng;
use std::sync::Arc;

const KEYS: &[KeyDoc] = &[
    KeyDoc::required("up", "time the link stays up, a distribution (or a duration)"),
    KeyDoc::required("down", "time the link stays lossy, a distribution (or a duration)"),
    KeyDoc::optional(
        "probability",
        "1.0",
        "chance that each message is lost while the link is lossy",
    ),
];

pub struct FlakyLink;

/// Reads an on or off time, refusing one that takes no time on average (the link would
/// switch forever without simulated time passing).
fn period(sec: &Section, key: &str) -> Result<Dist, ConfigError> {
    let dist = Dist::req(sec, key)?;
    if dist.mean().is_some_and(|m| m <= 0.0) {
        return Err(sec.error(
            key,
            format!("expected a time with a mean above 0, got {dist}: the link would switch between up and lossy forever without time passing"),
        ));
    }
    Ok(dist)
}

impl FaultKind for FlakyLink {
    fn name(&self) -> &'static str {
        "flaky-link"
    }

    fn doc(&self) -> &'static str {
        "the servers' links alternate between up (for `up`) and lossy (for `down`), losing messages with `probability` while lossy"
    }

    fn keys(&self) -> &'static [KeyDoc] {
        KEYS
    }

    fn on_links(&self) -> bool {
        true
    }

    fn read(&self, sec: &Section) -> Result<Arc<dyn Fault>, ConfigError> {
        Ok(Arc::new(FlakyLinkFault {
            up: period(sec, "up")?,
            down: period(sec, "down")?,
            probability: sec.probability("probability", Some(1.0))?,
        }))
    }
}

#[derive(Debug)]
struct FlakyLinkFault {
    up: Dist,
    down: Dist,
    probability: f64,
}

/// A distribution as one word of a trace line: `exponential(mean=300ms)` for its config
/// text `{ dist = "exponential", mean = "300ms" }`.
fn word(dist: &Dist) -> String {
    let text = dist.to_config();
    let inner = text.trim_start_matches('{').trim_end_matches('}').trim();
    let mut name = String::new();
    let mut params = Vec::new();
    for part in inner.split(", ") {
        let (key, value) = part.split_once(" = ").unwrap_or((part, ""));
        let value = value.trim_matches('"').replace(' ', "");
        if key == "dist" {
            name = value;
        } else {
            params.push(format!("{key}={value}"));
        }
    }
    format!("{name}({})", params.join(","))
}

impl Fault for FlakyLinkFault {
    fn kind(&self) -> &'static dyn FaultKind {
        &FlakyLink
    }

    fn trace_words(&self) -> String {
        format!(
            "kind=flaky-link up={} down={} probability={}",
            word(&self.up),
            word(&self.down),
            format_real(self.probability)
        )
    }

    fn timeline_detail(&self) -> String {
        format!(
            "flaky-link up {} down {} loss {}",
            word(&self.up),
            word(&self.down),
            format_real(self.probability)
        )
    }

    fn apply(&self, active: bool, ctx: &mut FaultCtx<'_, '_, '_>) {
        let effect = active.then(|| {
            let rule = FlakyRule::new(
                ctx.now(),
                self.up.clone(),
                self.down.clone(),
                self.probability,
                ctx.stream(),
            );
            LinkEffect::Rule(Box::new(rule))
        });
        ctx.set_link(effect);
    }
}

/// The link's state while the fault lasts.
struct FlakyRule {
    up: Dist,
    down: Dist,
    probability: f64,
    /// The on/off times and each lossy period's seed.
    schedule: SimRng,
    lossy: bool,
    /// When the link next switches.
    next_switch: SimTime,
    /// The loss draws of the current lossy period.
    losses: SimRng,
}

impl FlakyRule {
    fn new(now: SimTime, up: Dist, down: Dist, probability: f64, mut schedule: SimRng) -> Self {
        let next_switch = now.saturating_add(up.sample(&mut schedule));
        FlakyRule {
            up,
            down,
            probability,
            schedule,
            lossy: false,
            next_switch,
            losses: SimRng::seed_from_u64(0),
        }
    }

    /// Brings the state forward to `now`.
    fn advance(&mut self, now: SimTime) {
        while now >= self.next_switch && self.next_switch < SimTime::MAX {
            self.lossy = !self.lossy;
            let length = if self.lossy {
                self.losses = SimRng::seed_from_u64(self.schedule.random::<u64>());
                self.down.sample(&mut self.schedule)
            } else {
                self.up.sample(&mut self.schedule)
            };
            self.next_switch = self.next_switch.saturating_add(length);
        }
    }
}

impl LinkRule for FlakyRule {
    fn verdict(&mut self, msg: &Message) -> Verdict {
        self.advance(msg.now);
        let lost = self.lossy
            && (self.probability >= 1.0 || self.losses.random::<f64>() < self.probability);
        if lost { Verdict::Drop } else { Verdict::Pass }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::events::Node;
    use crate::engine::rng::{Purpose, RngFactory};
    use crate::engine::time::SimDuration;

    fn rule(probability: f64) -> FlakyRule {
        FlakyRule::new(
            SimTime::ZERO,
            Dist::exponential(SimDuration::from_millis(30)),
            Dist::exponential(SimDuration::from_millis(10)),
            probability,
            RngFactory::new(3).stream(Purpose::Scripted, 0),
        )
    }

    fn at(ms: u64) -> Message {
        Message {
            now: SimTime::ZERO + SimDuration::from_millis(ms),
            from: Node::Client(0),
            to: Node::Server(0),
        }
    }

    #[test]
    fn the_state_at_a_time_does_not_depend_on_the_messages_before_it() {
        // One rule judges a message every millisecond, the other one every 97 ms: at
        // the times both judge, they agree, and the busy one switched often in between.
        let (mut busy, mut quiet) = (rule(1.0), rule(1.0));
        let mut switches = 0;
        let mut last = Verdict::Pass;
        for ms in 0..20_000 {
            let v = busy.verdict(&at(ms));
            switches += u32::from(v != last);
            last = v;
            if ms % 97 == 0 {
                assert_eq!(quiet.verdict(&at(ms)), v, "at {ms} ms");
            }
        }
        // About 20 s / 40 ms = 500 cycles, 1000 switches.
        assert!((700..1300).contains(&switches), "{switches} switches");
    }

    #[test]
    fn while_lossy_a_message_is_lost_with_the_probability() {
        let mut r = rule(0.3);
        let (mut lossy, mut lost) = (0u32, 0u32);
        for ms in 0..200_000 {
            r.advance(at(ms).now);
            if r.lossy {
                lossy += 1;
                lost += u32::from(r.verdict(&at(ms)) == Verdict::Drop);
            } else {
                assert_eq!(r.verdict(&at(ms)), Verdict::Pass);
            }
        }
        // Binomial(lossy, 0.3): 4 standard deviations.
        let (n, k) = (f64::from(lossy), f64::from(lost));
        let sd = (n * 0.3 * 0.7).sqrt();
        assert!((k - 0.3 * n).abs() < 4.0 * sd, "{k} lost of {n}");
    }
}
