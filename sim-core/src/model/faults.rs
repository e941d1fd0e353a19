//! Faults: each server's random crash/recovery process and the scripted faults.
//!
//! A server's crash process draws time to failure from its own stream at the start and
//! after each recovery, and time to repair after each crash, so every strategy compared on
//! a seed meets the same outages. Scripted faults start at `at` and end after `for`. While
//! several act at once their effects combine: slow factors multiply, loss probabilities
//! combine as independent losses, delays add; the combination is recomputed from the set
//! of active faults in config order whenever one starts or ends. Partition, loss and
//! delay faults act on links: those between their servers and the nodes `peer` names.

use crate::report::format_real;
use crate::rng::{Purpose, RngFactory, SimRng};
use crate::spec::{CrashSpec, FaultSpec, Peer, ScriptedFault, ScriptedKind, Target};
use crate::time::SimDuration;
use crate::trace::FaultLine;

pub struct Faults {
    crash: Option<CrashSpec>,
    rngs: Vec<SimRng>,
    scripted: Vec<ScriptedFault>,
    active: Vec<bool>,
    servers: u32,
}

/// The combined effect of the active scripted faults other than crashes.
pub struct Effects {
    pub slow: Vec<f64>,
    pub partitions: Vec<(Target, Peer)>,
    /// Active loss and delay faults on links, in config order.
    pub links: Vec<LinkFault>,
    pub load_factor: f64,
}

/// Extra loss and delay on the links between `target` servers and `peer` nodes.
#[derive(Clone, Debug, PartialEq)]
pub struct LinkFault {
    pub target: Target,
    pub peer: Peer,
    pub loss: f64,
    pub delay: SimDuration,
}

impl Faults {
    pub fn new(spec: &FaultSpec, servers: u32, rngs: &RngFactory) -> Self {
        Faults {
            crash: spec.crash.clone(),
            rngs: (0..servers)
                .map(|s| rngs.stream(Purpose::Faults, s))
                .collect(),
            scripted: spec.scripted.clone(),
            active: vec![false; spec.scripted.len()],
            servers,
        }
    }

    pub fn has_crash_process(&self) -> bool {
        self.crash.is_some()
    }

    /// Time until the server's next random crash.
    pub fn time_to_failure(&mut self, server: u32) -> Option<SimDuration> {
        let crash = self.crash.as_ref()?;
        Some(crash.mttf.sample(&mut self.rngs[server as usize]))
    }

    /// Time until the crashed server is repaired.
    pub fn time_to_repair(&mut self, server: u32) -> Option<SimDuration> {
        let crash = self.crash.as_ref()?;
        Some(crash.mttr.sample(&mut self.rngs[server as usize]))
    }

    pub fn scripted(&self) -> &[ScriptedFault] {
        &self.scripted
    }

    pub fn fault(&self, index: u32) -> &ScriptedFault {
        &self.scripted[index as usize]
    }

    pub fn set_active(&mut self, index: u32, active: bool) {
        self.active[index as usize] = active;
    }

    /// Servers a fault applies to, in index order.
    pub fn targets(&self, index: u32) -> Vec<u32> {
        match &self.scripted[index as usize].target {
            Target::All => (0..self.servers).collect(),
            Target::Servers(list) => list.clone(),
        }
    }

    /// How each scripted fault reads in the trace: its kind with its parameters, its
    /// target servers and, for a fault on links, the far end when it is not every node.
    /// A load spike acts on the clients and names no servers.
    pub fn trace_lines(&self) -> Vec<FaultLine> {
        (0..self.scripted.len() as u32)
            .map(|index| {
                let fault = &self.scripted[index as usize];
                let kind = match fault.kind {
                    ScriptedKind::Crash => "kind=crash".to_string(),
                    ScriptedKind::Error => "kind=error".to_string(),
                    ScriptedKind::Partition => "kind=partition".to_string(),
                    ScriptedKind::Slow { factor } => {
                        format!("kind=slow factor={}", format_real(factor))
                    }
                    ScriptedKind::Loss { probability } => {
                        format!("kind=loss probability={}", format_real(probability))
                    }
                    ScriptedKind::Delay { extra } => format!("kind=delay extra={extra}"),
                    ScriptedKind::LoadSpike { factor } => {
                        return FaultLine {
                            servers: Vec::new(),
                            details: format!("kind=load-spike factor={}", format_real(factor)),
                        };
                    }
                };
                let servers = match &fault.target {
                    Target::All => "all".to_string(),
                    Target::Servers(list) => list
                        .iter()
                        .map(u32::to_string)
                        .collect::<Vec<_>>()
                        .join(","),
                };
                let on_links = matches!(
                    fault.kind,
                    ScriptedKind::Partition
                        | ScriptedKind::Loss { .. }
                        | ScriptedKind::Delay { .. }
                );
                let peer = match fault.peer {
                    Peer::All => "",
                    Peer::Monitor => " peer=monitor",
                    Peer::Clients => " peer=clients",
                    Peer::Servers => " peer=servers",
                };
                FaultLine {
                    servers: self.targets(index),
                    details: format!(
                        "{kind} servers={servers}{}",
                        if on_links { peer } else { "" }
                    ),
                }
            })
            .collect()
    }

    /// Recomputes the combined effect of the active faults.
    pub fn effects(&self) -> Effects {
        let n = self.servers as usize;
        let mut e = Effects {
            slow: vec![1.0; n],
            partitions: Vec::new(),
            links: Vec::new(),
            load_factor: 1.0,
        };
        for (fault, _) in self.scripted.iter().zip(&self.active).filter(|(_, a)| **a) {
            let link = |loss: f64, delay: SimDuration| LinkFault {
                target: fault.target.clone(),
                peer: fault.peer,
                loss,
                delay,
            };
            match fault.kind {
                ScriptedKind::Crash | ScriptedKind::Error => {}
                ScriptedKind::Partition => e.partitions.push((fault.target.clone(), fault.peer)),
                ScriptedKind::Slow { factor } => match &fault.target {
                    Target::All => e.slow.iter_mut().for_each(|f| *f *= factor),
                    Target::Servers(list) => {
                        list.iter().for_each(|s| e.slow[*s as usize] *= factor)
                    }
                },
                ScriptedKind::Loss { probability } => {
                    e.links.push(link(probability, SimDuration::ZERO))
                }
                ScriptedKind::Delay { extra } => e.links.push(link(0.0, extra)),
                ScriptedKind::LoadSpike { factor } => e.load_factor *= factor,
            }
        }
        e
    }
}
