//! SWIM-style probing (Das, Gupta and Motivala 2002): instead of listening to heartbeats,
//! the detecting node pings every server once per protocol `period` (each server at its
//! own phase, drawn once). A ping unanswered after `probe_timeout` goes out again through
//! `indirect_probes` relays (other servers the node trusts, drawn at random), which ping
//! the target and forward its ack; a server still silent `indirect_timeout` later is
//! suspected. An ack of the current round, direct or relayed, trusts it again.
//!
//! So a server acked in round k is suspected 1 ns after the start of round k+1 plus
//! `probe_timeout + indirect_timeout` unless that round is acked by then (an ack arriving
//! at that very instant still counts): with one-way delay d a
//! crash is detected between `probe_timeout + indirect_timeout - d` and
//! `period + probe_timeout + indirect_timeout - d` after it. Indirect probes route around
//! a bad link between the prober and the target. Without relays (`indirect_probes = 0`)
//! the indirect wait is skipped. SWIM's dissemination and its suspicion sub-protocol
//! (incarnation numbers) are not modelled: the verdict is the detector's alone.

use crate::detect::placement;
use crate::params::{Param, Params};
use crate::registry::{Builder, Family, Kind};
use rand::RngExt;
use sim_core::config::ConfigError;
use sim_core::engine::deadlines::Deadlines;
use sim_core::engine::rng::SimRng;
use sim_core::strategy::{Detector, DetectorPlacement, DetectorSpec, Probe};
use sim_core::{SimDuration, SimTime};
use std::sync::Arc;

pub const DEFAULT_PERIOD: SimDuration = SimDuration::from_secs(1);
pub const DEFAULT_PROBE_TIMEOUT: SimDuration = SimDuration::from_millis(500);
pub const DEFAULT_INDIRECT_TIMEOUT: SimDuration = SimDuration::from_millis(500);
pub const DEFAULT_INDIRECT_PROBES: u32 = 3;

const PARAMS: &[Param] = &[
    Param::duration(
        "period",
        DEFAULT_PERIOD,
        "protocol period: every server is probed once per period",
    )
    .positive(),
    Param::duration(
        "probe_timeout",
        DEFAULT_PROBE_TIMEOUT,
        "wait for a direct ack before asking relays",
    )
    .positive(),
    Param::duration(
        "indirect_timeout",
        DEFAULT_INDIRECT_TIMEOUT,
        "further wait for a relayed ack before suspecting",
    ),
    Param::int32(
        "indirect_probes",
        DEFAULT_INDIRECT_PROBES,
        "relays (k) asked to probe an unanswered server",
        "servers",
    ),
];

pub const KIND: Kind = Kind {
    family: Family::Detector,
    name: "swim",
    summary: "probe each server once per period, retry an unanswered probe through k relays, suspect it if still silent (SWIM)",
    params: &[PARAMS, placement::PARAMS],
    build: Builder::Detector(build),
};

#[derive(Clone, Debug)]
pub struct Swim {
    pub period: SimDuration,
    pub probe_timeout: SimDuration,
    pub indirect_timeout: SimDuration,
    pub indirect_probes: u32,
    pub placement: DetectorPlacement,
    pub description: String,
}

fn build(p: &mut Params) -> Result<Arc<dyn DetectorSpec>, ConfigError> {
    let period = p.duration("period");
    let indirect_probes = p.int32("indirect_probes");
    let spec = Swim {
        period,
        probe_timeout: p.duration("probe_timeout"),
        indirect_timeout: p.duration("indirect_timeout"),
        indirect_probes,
        placement: placement::read(p),
        description: p.describe(),
    };
    if spec.round_length() > period {
        let key = if indirect_probes > 0 && p.given("indirect_timeout") {
            "indirect_timeout"
        } else {
            "probe_timeout"
        };
        return Err(p.error(
            key,
            format!(
                "expected probe_timeout{} ({}) to fit in the period ({period}), so that a round ends before the next begins",
                if indirect_probes > 0 { " + indirect_timeout" } else { "" },
                spec.round_length()
            ),
        ));
    }
    Ok(Arc::new(spec))
}

impl Swim {
    /// From a probe to the suspicion if nothing answers it.
    fn round_length(&self) -> SimDuration {
        if self.indirect_probes > 0 {
            self.probe_timeout + self.indirect_timeout
        } else {
            self.probe_timeout
        }
    }
}

impl DetectorSpec for Swim {
    fn heartbeat_interval(&self) -> Option<SimDuration> {
        None
    }

    fn build(&self, servers: u32, mut rng: SimRng) -> Box<dyn Detector> {
        let mut wakes = Deadlines::new();
        let targets = (0..servers)
            .map(|s| {
                let phase = SimTime(rng.random_range(0..self.period.0));
                wakes.set(s, phase);
                Target {
                    next_probe: phase,
                    seq: 0,
                    acked: true,
                    awaiting_direct: false,
                }
            })
            .collect();
        Box::new(SwimDetector {
            spec: self.clone(),
            rng,
            targets,
            wakes,
            candidates: Vec::new(),
        })
    }

    fn describe(&self) -> String {
        self.description.clone()
    }

    fn placement(&self) -> DetectorPlacement {
        self.placement
    }
}

/// The probing state of one server.
struct Target {
    /// Start of the next round.
    next_probe: SimTime,
    /// Number of the current round; acks must carry it.
    seq: u32,
    /// Whether the current round has been acked.
    acked: bool,
    /// Whether the next wake is the end of the direct wait (else the next round).
    awaiting_direct: bool,
}

struct SwimDetector {
    spec: Swim,
    rng: SimRng,
    targets: Vec<Target>,
    /// Each server's next wake: its next round, or the end of its direct wait.
    wakes: Deadlines,
    /// Scratch space for relay candidates.
    candidates: Vec<u32>,
}

impl SwimDetector {
    /// The suspicion deadline once the current round is acked: the end of the next one.
    fn deadline_after_ack(&self, server: u32) -> SimTime {
        self.targets[server as usize]
            .next_probe
            .saturating_add(self.spec.round_length())
    }
}

impl Detector for SwimDetector {
    /// Servers send no heartbeats to a SWIM detector; one would count as an ack.
    fn on_heartbeat(&mut self, server: u32, _now: SimTime) -> SimTime {
        self.deadline_after_ack(server)
    }

    fn initial_deadline(&mut self, server: u32, _now: SimTime) -> SimTime {
        self.deadline_after_ack(server)
    }

    fn next_tick(&self) -> Option<SimTime> {
        self.wakes.earliest().map(|(_, at)| at)
    }

    fn on_tick(&mut self, now: SimTime, suspected: &[bool], out: &mut Vec<Probe>) {
        while let Some((server, at)) = self.wakes.pop_due(now) {
            let k = self.spec.indirect_probes as usize;
            let t = &mut self.targets[server as usize];
            if t.awaiting_direct {
                // The direct wait is over: ask relays if the round is still unanswered.
                t.awaiting_direct = false;
                self.wakes.set(server, t.next_probe);
                if t.acked {
                    continue;
                }
                let seq = t.seq;
                self.candidates.clear();
                self.candidates.extend(
                    (0..suspected.len() as u32).filter(|&r| r != server && !suspected[r as usize]),
                );
                // The first k of a partial Fisher-Yates shuffle: k relays drawn uniformly
                // without replacement.
                let chosen = k.min(self.candidates.len());
                for i in 0..chosen {
                    let j = self.rng.random_range(i..self.candidates.len());
                    self.candidates.swap(i, j);
                    out.push(Probe::Indirect {
                        relay: self.candidates[i],
                        target: server,
                        seq,
                    });
                }
            } else {
                // A new round.
                t.seq = t.seq.wrapping_add(1);
                t.acked = false;
                t.next_probe = at.saturating_add(self.spec.period);
                out.push(Probe::Direct {
                    target: server,
                    seq: t.seq,
                });
                if k > 0 {
                    t.awaiting_direct = true;
                    self.wakes
                        .set(server, at.saturating_add(self.spec.probe_timeout));
                } else {
                    self.wakes.set(server, t.next_probe);
                }
            }
        }
    }

    fn on_ack(&mut self, server: u32, seq: u32, _now: SimTime) -> Option<SimTime> {
        let t = &mut self.targets[server as usize];
        if seq != t.seq || t.acked {
            return None;
        }
        t.acked = true;
        if t.awaiting_direct {
            t.awaiting_direct = false;
            self.wakes.set(server, t.next_probe);
        }
        Some(self.deadline_after_ack(server))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::config::Section;
    use sim_core::config::{Source, Table, i, s};
    use sim_core::engine::rng::{Purpose, RngFactory};

    fn spec(
        entries: &[(&str, sim_core::config::Value)],
    ) -> Result<Arc<dyn DetectorSpec>, ConfigError> {
        let t: Table = entries
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        let src = Source::inline();
        crate::registry::build_kind(&KIND, &Section::new(&t, "detector", None, &src))
    }

    const MS: u64 = 1_000_000;

    #[test]
    fn unanswered_probe_goes_to_k_distinct_trusted_relays() {
        let d = spec(&[
            ("period", s("100ms")),
            ("probe_timeout", s("20ms")),
            ("indirect_timeout", s("30ms")),
            ("indirect_probes", i(3)),
        ])
        .unwrap();
        assert_eq!(d.heartbeat_interval(), None);
        let mut det = d.build(6, RngFactory::new(3).stream(Purpose::Detector, 0));
        let mut suspected = vec![false; 6];
        suspected[4] = true;
        let mut out = Vec::new();
        // Run the first round of every server without any ack.
        let mut now = SimTime::ZERO;
        let mut direct = 0;
        let mut indirect: Vec<(u32, u32)> = Vec::new();
        while let Some(at) = det.next_tick() {
            if at.0 >= 100 * MS {
                break;
            }
            now = at;
            out.clear();
            det.on_tick(now, &suspected, &mut out);
            for p in &out {
                match *p {
                    Probe::Direct { .. } => direct += 1,
                    Probe::Indirect { relay, target, .. } => indirect.push((target, relay)),
                }
            }
        }
        assert!(now.0 < 100 * MS);
        assert_eq!(direct, 6, "one probe per server per period");
        for target in 0..6 {
            let mut relays: Vec<u32> = indirect
                .iter()
                .filter(|(t, _)| *t == target)
                .map(|(_, r)| *r)
                .collect();
            // Probes whose direct wait ended after 100 ms are not in the list yet.
            if relays.is_empty() {
                continue;
            }
            relays.sort_unstable();
            relays.dedup();
            assert_eq!(relays.len(), 3, "target {target}: {relays:?}");
            assert!(!relays.contains(&target) && !relays.contains(&4));
        }
    }

    #[test]
    fn an_ack_of_the_round_pushes_the_deadline_to_the_end_of_the_next() {
        let d = spec(&[
            ("period", s("100ms")),
            ("probe_timeout", s("20ms")),
            ("indirect_timeout", s("30ms")),
        ])
        .unwrap();
        let mut det = d.build(1, RngFactory::new(5).stream(Purpose::Detector, 0));
        let first = det.next_tick().unwrap();
        assert_eq!(
            det.initial_deadline(0, SimTime::ZERO),
            first + SimDuration(50 * MS)
        );
        let mut out = Vec::new();
        det.on_tick(first, &[false], &mut out);
        let Probe::Direct { seq, .. } = out[0] else {
            panic!("{out:?}")
        };
        assert_eq!(det.on_ack(0, seq + 1, first), None, "wrong round");
        let deadline = det.on_ack(0, seq, first + SimDuration(2 * MS)).unwrap();
        assert_eq!(deadline, first + SimDuration(150 * MS));
        assert_eq!(
            det.on_ack(0, seq, first + SimDuration(3 * MS)),
            None,
            "duplicate"
        );
        // The acked round asks no relay: the next wake is the next round.
        assert_eq!(det.next_tick(), Some(first + SimDuration(100 * MS)));
    }

    #[test]
    fn a_round_must_fit_in_the_period() {
        let e = spec(&[
            ("period", s("100ms")),
            ("probe_timeout", s("60ms")),
            ("indirect_timeout", s("50ms")),
        ])
        .unwrap_err();
        assert!(e.message.contains("fit in the period"), "{e}");
        assert_eq!(e.key.as_deref(), Some("detector.indirect_timeout"));
        // Without relays only the direct wait must fit.
        assert!(
            spec(&[
                ("period", s("100ms")),
                ("probe_timeout", s("60ms")),
                ("indirect_timeout", s("50ms")),
                ("indirect_probes", i(0)),
            ])
            .is_ok()
        );
    }
}
