//! Faults: each server's random crash/recovery process and the scripted faults.
//!
//! A server's crash process draws time to failure from its own stream at the start and
//! after each recovery, and time to repair after each crash, so every strategy compared on
//! a seed meets the same outages. Scripted faults start at `at` and end after `for`. While
//! several act at once their effects combine: slow factors multiply, loss probabilities
//! combine as independent losses, delays add; the combination is recomputed from the set
//! of active faults in config order whenever one starts or ends.

use crate::rng::{Purpose, RngFactory, SimRng};
use crate::spec::{CrashSpec, FaultSpec, ScriptedFault, ScriptedKind, Target};
use crate::time::SimDuration;

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
    pub partitions: Vec<Target>,
    pub server_loss: Vec<f64>,
    pub server_delay: Vec<SimDuration>,
    pub global_loss: f64,
    pub global_delay: SimDuration,
    pub load_factor: f64,
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

    /// Recomputes the combined effect of the active faults.
    pub fn effects(&self) -> Effects {
        let n = self.servers as usize;
        let mut e = Effects {
            slow: vec![1.0; n],
            partitions: Vec::new(),
            server_loss: vec![0.0; n],
            server_delay: vec![SimDuration::ZERO; n],
            global_loss: 0.0,
            global_delay: SimDuration::ZERO,
            load_factor: 1.0,
        };
        let mut server_keep = vec![1.0f64; n];
        let mut global_keep = 1.0f64;
        for (fault, _) in self.scripted.iter().zip(&self.active).filter(|(_, a)| **a) {
            let each = |f: &mut dyn FnMut(usize)| match &fault.target {
                Target::All => (0..n).for_each(&mut *f),
                Target::Servers(list) => list.iter().for_each(|s| f(*s as usize)),
            };
            match fault.kind {
                ScriptedKind::Crash | ScriptedKind::Error => {}
                ScriptedKind::Partition => e.partitions.push(fault.target.clone()),
                ScriptedKind::Slow { factor } => each(&mut |s| e.slow[s] *= factor),
                ScriptedKind::Loss { probability } => match fault.target {
                    Target::All => global_keep *= 1.0 - probability,
                    Target::Servers(_) => each(&mut |s| server_keep[s] *= 1.0 - probability),
                },
                ScriptedKind::Delay { extra } => match fault.target {
                    Target::All => e.global_delay += extra,
                    Target::Servers(_) => each(&mut |s| e.server_delay[s] += extra),
                },
                ScriptedKind::LoadSpike { factor } => e.load_factor *= factor,
            }
        }
        e.server_loss = server_keep.iter().map(|k| 1.0 - k).collect();
        e.global_loss = 1.0 - global_keep;
        e
    }
}
