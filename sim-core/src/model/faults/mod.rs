//! Faults: each server's random crash/recovery process and the scripted faults.
//!
//! A server's crash process draws time to failure from its own stream at the start and
//! after each recovery, and time to repair after each crash, so every strategy compared on
//! a seed meets the same outages. Scripted faults start at `at` and end after `for`.
//!
//! Each scripted fault kind lives in a file of its own beside this one and is listed once
//! in [`KINDS`]: a [`FaultKind`] names the kind, documents its keys and reads its table
//! into a [`Fault`], which says how the fault reads in the trace and the timeline and
//! what it does when it starts and ends, through a [`FaultCtx`]. While several faults act
//! at once their effects combine: slow factors multiply, load factors multiply, loss
//! probabilities combine as independent losses, delays add; a combination is recomputed
//! from the set of active faults in config order whenever one of its faults starts or
//! ends. Link faults act on the links between their servers and the nodes `peer` names,
//! as rules of the network (see [`crate::model::network`]).

pub mod events;

use crate::config::scenario::{CrashSpec, FaultSpec, Peer, ScriptedFault, Target};
use crate::config::{ConfigError, Section};
use crate::engine::rng::{Purpose, RngFactory, SimRng};
use crate::engine::time::{SimDuration, SimTime};
use crate::model::client::Clients;
use crate::model::ctx::Ctx;
use crate::model::network::LinkEffect;
use crate::model::server::{DownCause, Servers};
use crate::model::trace::FaultLine;
use std::fmt;
use std::sync::Arc;

/// Declares each kind's module and lists the kind in [`KINDS`], in the order listings and
/// error messages name them: a new kind is its file and one line here.
macro_rules! fault_kinds {
    ($($module:ident :: $kind:ident,)*) => {
        $(pub mod $module;)*
        /// Every scripted fault kind.
        pub static KINDS: &[&dyn FaultKind] = &[$(&$module::$kind),*];
    };
}

fault_kinds! {
    crash::Crash,
    partition::Partition,
    slow::Slow,
    loss::Loss,
    delay::Delay,
    load_spike::LoadSpike,
    error::Error,
    flaky_link::FlakyLink,
}

/// The kind named `name`, if there is one.
pub fn find_kind(name: &str) -> Option<&'static dyn FaultKind> {
    KINDS.iter().copied().find(|k| k.name() == name)
}

/// The names of every kind, in registry order.
pub fn kind_names() -> Vec<&'static str> {
    KINDS.iter().map(|k| k.name()).collect()
}

/// What a fault acts on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// The servers `server` or `servers` name (every server when neither is given).
    Servers,
    /// The whole cluster: the fault takes no servers. The text says why, for the error
    /// that refuses `server` or `servers` on it.
    Cluster { why: &'static str },
}

/// A key a fault kind reads from its table, besides the keys every fault takes.
#[derive(Clone, Copy, Debug)]
pub struct KeyDoc {
    pub name: &'static str,
    /// The default as config text, or `None` when the key is required.
    pub default: Option<&'static str>,
    pub doc: &'static str,
}

impl KeyDoc {
    pub const fn required(name: &'static str, doc: &'static str) -> Self {
        KeyDoc {
            name,
            default: None,
            doc,
        }
    }

    pub const fn optional(name: &'static str, default: &'static str, doc: &'static str) -> Self {
        KeyDoc {
            name,
            default: Some(default),
            doc,
        }
    }
}

/// The keys every scripted fault takes, before its kind's own.
const AT: KeyDoc = KeyDoc::required("at", "when it starts, from the start of the run");
const FOR: KeyDoc = KeyDoc::optional(
    "for",
    "end of run",
    "how long it lasts; left out, to the end of the run",
);
const KIND: KeyDoc = KeyDoc::required("kind", "the fault kind");
const SERVER: KeyDoc = KeyDoc::optional("server", "-", "one target server, by index");
const SERVERS: KeyDoc = KeyDoc::optional(
    "servers",
    "\"all\"",
    "the target servers, a list of indices like [0, 3] or \"all\"",
);
const PEER: KeyDoc = KeyDoc::optional(
    "peer",
    "\"all\"",
    "the far end of the links it acts on: \"all\", \"monitor\", \"clients\" or \"servers\"",
);

/// The keys every scripted fault may take, for listings (a cluster-wide kind takes no
/// `server` or `servers`, and only a kind on links takes `peer`).
pub const COMMON_KEYS: &[KeyDoc] = &[AT, FOR, KIND, SERVER, SERVERS, PEER];

/// Every key a fault of `kind` accepts, in the order listings and errors name them: the
/// common ones (no servers for a cluster-wide kind, `peer` only for a kind on links),
/// then its own.
pub fn accepted_keys(kind: &dyn FaultKind) -> Vec<KeyDoc> {
    let mut keys = vec![AT, FOR, KIND];
    if kind.scope() == Scope::Servers {
        keys.extend([SERVER, SERVERS]);
    }
    if kind.on_links() {
        keys.push(PEER);
    }
    keys.extend_from_slice(kind.keys());
    keys
}

/// A kind of scripted fault: its name, its documentation and its reader.
pub trait FaultKind: Sync {
    /// The value of `kind` that selects it.
    fn name(&self) -> &'static str;
    /// One line saying what it does.
    fn doc(&self) -> &'static str;
    /// Its own keys, in the order listings and errors name them.
    fn keys(&self) -> &'static [KeyDoc];
    fn scope(&self) -> Scope {
        Scope::Servers
    }
    /// Whether it acts on links, and so takes `peer`.
    fn on_links(&self) -> bool {
        false
    }
    /// Reads its own keys from a `[[faults.scripted]]` table (the common keys are read
    /// already; unknown keys are refused after this).
    fn read(&self, sec: &Section) -> Result<Arc<dyn Fault>, ConfigError>;
}

/// A scripted fault's kind with its parameters, as read from its table.
pub trait Fault: fmt::Debug + Send + Sync {
    fn kind(&self) -> &'static dyn FaultKind;
    /// How its kind and parameters read in the trace, like `kind=slow factor=3`.
    fn trace_words(&self) -> String;
    /// How it reads in the timeline's spans table, like `slow x3`.
    fn timeline_detail(&self) -> String;
    /// Starts (`active`) or ends its effect.
    fn apply(&self, active: bool, ctx: &mut FaultCtx<'_, '_, '_>);
    /// The factor by which it multiplies its servers' service time while active.
    fn slow_factor(&self) -> f64 {
        1.0
    }
    /// The factor by which it multiplies the clients' arrival rate while active.
    fn load_factor(&self) -> f64 {
        1.0
    }
}

/// What a fault may touch when it starts or ends: its target servers, the clients' load,
/// the network's link rules, the trace, and a random stream of its own.
pub struct FaultCtx<'a, 'c, 't> {
    pub(crate) index: u32,
    pub(crate) faults: &'a Faults,
    pub(crate) servers: &'a mut Servers,
    pub(crate) clients: &'a mut Clients,
    pub(crate) ctx: &'a mut Ctx<'c, 't>,
}

impl FaultCtx<'_, '_, '_> {
    pub fn now(&self) -> SimTime {
        self.ctx.now
    }

    /// The fault's target servers, in index order.
    pub fn targets(&self) -> Vec<u32> {
        self.faults.targets(self.index)
    }

    /// Takes `server` down (`down`) or brings it back, as a scripted outage, and writes a
    /// trace line when its state changes (one already down, or kept down by another
    /// cause, gets none).
    pub fn set_down(&mut self, server: u32, down: bool) {
        let changed = if down {
            self.servers.crash(server, DownCause::Scripted, self.ctx)
        } else {
            self.servers.recover(server, DownCause::Scripted, self.ctx)
        };
        if changed {
            self.ctx.scripted_outage(server, down, self.index);
        }
    }

    /// Makes `server` answer every request with an error, or stop doing so.
    pub fn set_erroring(&mut self, server: u32, erroring: bool) {
        self.servers.set_erroring(server, erroring, self.ctx);
    }

    /// Sets every server's slow factor to the product of the active faults' ones.
    pub fn refresh_slow(&mut self) {
        for (s, factor) in self.faults.slow_factors().into_iter().enumerate() {
            self.servers.set_slow_factor(s as u32, factor);
        }
    }

    /// Sets the clients' load factor to the product of the active faults' ones.
    pub fn refresh_load(&mut self) {
        let factor = self.faults.load_factor();
        self.clients.set_load_factor(factor, self.ctx);
    }

    /// Installs `effect` on the fault's links (between its servers and its peer nodes),
    /// or with `None` removes what it installed.
    pub fn set_link(&mut self, effect: Option<LinkEffect>) {
        let fault = self.faults.fault(self.index);
        self.ctx
            .net
            .set_link(self.index, fault.target.clone(), fault.peer, effect);
    }

    /// The fault's own random stream (the same at every call).
    pub fn stream(&self) -> SimRng {
        self.faults
            .rng_factory
            .stream(Purpose::Scripted, self.index)
    }
}

pub struct Faults {
    crash: Option<CrashSpec>,
    rngs: Vec<SimRng>,
    rng_factory: RngFactory,
    scripted: Vec<ScriptedFault>,
    active: Vec<bool>,
    servers: u32,
}

impl Faults {
    pub fn new(spec: &FaultSpec, servers: u32, rngs: &RngFactory) -> Self {
        Faults {
            crash: spec.crash.clone(),
            rngs: (0..servers)
                .map(|s| rngs.stream(Purpose::Faults, s))
                .collect(),
            rng_factory: rngs.clone(),
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
    /// A cluster-wide fault acts on the clients and names no servers.
    pub fn trace_lines(&self) -> Vec<FaultLine> {
        (0..self.scripted.len() as u32)
            .map(|index| {
                let fault = &self.scripted[index as usize];
                let kind = fault.kind.trace_words();
                if let Scope::Cluster { .. } = fault.kind.kind().scope() {
                    return FaultLine {
                        servers: Vec::new(),
                        details: kind,
                    };
                }
                let servers = match &fault.target {
                    Target::All => "all".to_string(),
                    Target::Servers(list) => list
                        .iter()
                        .map(u32::to_string)
                        .collect::<Vec<_>>()
                        .join(","),
                };
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
                        if fault.kind.kind().on_links() {
                            peer
                        } else {
                            ""
                        }
                    ),
                }
            })
            .collect()
    }

    /// The active faults, in config order.
    fn active(&self) -> impl Iterator<Item = &ScriptedFault> {
        self.scripted
            .iter()
            .zip(&self.active)
            .filter(|(_, a)| **a)
            .map(|(f, _)| f)
    }

    /// Each server's slow factor: the product of the active faults' ones on it.
    fn slow_factors(&self) -> Vec<f64> {
        let mut slow = vec![1.0; self.servers as usize];
        for fault in self.active() {
            let factor = fault.kind.slow_factor();
            match &fault.target {
                Target::All => slow.iter_mut().for_each(|f| *f *= factor),
                Target::Servers(list) => list.iter().for_each(|s| slow[*s as usize] *= factor),
            }
        }
        slow
    }

    /// The clients' load factor: the product of the active faults' ones.
    fn load_factor(&self) -> f64 {
        self.active().map(|f| f.kind.load_factor()).product()
    }
}
