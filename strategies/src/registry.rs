//! The registry: every strategy kind, its family, its parameters and how to build it.

use crate::{backup, checkpoint, detect, ordering, replication, retry, route};
use sim_core::conf::{self, ConfigError, Section, Table, quoted_list, suggestion};
use sim_core::durability::{
    BackupSpec, CheckpointSpec, DurabilitySet, OrderingSpec, ReplicationSpec,
};
use sim_core::strategy::{
    CircuitBreakerSpec, DetectorPlacement, DetectorSpec, RetryBudgetSpec, RetrySpec, RouterSpec,
    StrategySet,
};
use std::fmt;
use std::sync::Arc;

/// A strategy family: one key of a `[strategies.NAME]` table.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Family {
    Detector,
    Routing,
    Retry,
    RetryBudget,
    CircuitBreaker,
    Checkpoint,
    Replication,
    Ordering,
    Backup,
}

impl Family {
    pub const ALL: [Family; 9] = [
        Family::Detector,
        Family::Routing,
        Family::Retry,
        Family::RetryBudget,
        Family::CircuitBreaker,
        Family::Checkpoint,
        Family::Replication,
        Family::Ordering,
        Family::Backup,
    ];

    /// The key naming the family in a strategy table.
    pub fn key(self) -> &'static str {
        match self {
            Family::Detector => "detector",
            Family::Routing => "routing",
            Family::Retry => "retry",
            Family::RetryBudget => "retry_budget",
            Family::CircuitBreaker => "circuit_breaker",
            Family::Checkpoint => "checkpoint",
            Family::Replication => "replication",
            Family::Ordering => "ordering",
            Family::Backup => "backup",
        }
    }

    /// The kind used when a strategy leaves the family out.
    pub fn default_kind(self) -> &'static str {
        match self {
            Family::Detector => "fixed-timeout",
            Family::Routing => "round-robin",
            Family::Retry => "none",
            Family::RetryBudget => "none",
            Family::CircuitBreaker => "none",
            Family::Checkpoint => "none",
            Family::Replication => "none",
            Family::Ordering => "arrival",
            Family::Backup => "none",
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// A parameter of a strategy kind, for listings.
#[derive(Clone, Debug)]
pub struct Param {
    pub name: &'static str,
    /// The default as config text, or `None` when the parameter is required.
    pub default: Option<String>,
    pub help: &'static str,
}

impl Param {
    pub fn new(name: &'static str, default: impl fmt::Display, help: &'static str) -> Self {
        Param {
            name,
            default: Some(default.to_string()),
            help,
        }
    }

    pub fn required(name: &'static str, help: &'static str) -> Self {
        Param {
            name,
            default: None,
            help,
        }
    }
}

/// How a kind is built from its table.
#[derive(Clone, Copy)]
pub enum Builder {
    Detector(fn(&Section) -> Result<Arc<dyn DetectorSpec>, ConfigError>),
    Routing(fn(&Section) -> Result<Arc<dyn RouterSpec>, ConfigError>),
    Retry(fn(&Section) -> Result<Arc<dyn RetrySpec>, ConfigError>),
    RetryBudget(fn(&Section) -> Result<Arc<dyn RetryBudgetSpec>, ConfigError>),
    CircuitBreaker(fn(&Section) -> Result<Arc<dyn CircuitBreakerSpec>, ConfigError>),
    Checkpoint(fn(&Section) -> Result<Arc<dyn CheckpointSpec>, ConfigError>),
    Replication(fn(&Section) -> Result<ReplicationSpec, ConfigError>),
    Ordering(fn(&Section) -> Result<OrderingSpec, ConfigError>),
    Backup(fn(&Section) -> Result<BackupSpec, ConfigError>),
}

/// A strategy kind.
#[derive(Clone, Copy)]
pub struct Kind {
    pub family: Family,
    pub name: &'static str,
    pub summary: &'static str,
    pub params: fn() -> Vec<Param>,
    pub build: Builder,
}

/// Every kind, grouped by family.
pub const KINDS: &[Kind] = &[
    detect::fixed_timeout::KIND,
    detect::phi_accrual::KIND,
    detect::swim::KIND,
    route::round_robin::KIND,
    route::random::KIND,
    route::least_outstanding::KIND,
    route::power_of_d::KIND,
    route::peak_ewma::KIND,
    route::error_rate::KIND,
    route::modulo::KIND,
    route::consistent_hash::KIND,
    route::rendezvous::KIND,
    route::jump_hash::KIND,
    route::maglev::KIND,
    route::bounded_load::KIND,
    route::primary_backup::KIND,
    retry::none::KIND,
    retry::fixed::KIND,
    retry::random::KIND,
    retry::linear::KIND,
    retry::exponential::KIND,
    retry::hedge::KIND,
    retry::budget::none::KIND,
    retry::budget::token_bucket::KIND,
    retry::budget::percentage::KIND,
    retry::breaker::none::KIND,
    retry::breaker::consecutive::KIND,
    retry::breaker::failure_ratio::KIND,
    checkpoint::none::KIND,
    checkpoint::periodic::KIND,
    checkpoint::young_daly::KIND,
    replication::none::KIND,
    replication::sync::KIND,
    replication::asynchronous::KIND,
    ordering::arrival::KIND,
    ordering::lww::KIND,
    backup::none::KIND,
    backup::periodic::KIND,
];

/// The kind `name` of `family`, if it exists.
pub fn find_kind(family: Family, name: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.family == family && k.name == name)
}

fn kind_names(family: Family) -> Vec<&'static str> {
    KINDS
        .iter()
        .filter(|k| k.family == family)
        .map(|k| k.name)
        .collect()
}

/// Reads `kind` from a family table and checks it names a kind of that family.
fn kind_of(sec: &Section, family: Family) -> Result<&'static Kind, ConfigError> {
    let names = kind_names(family);
    let name: String = sec.req("kind").map_err(|e| ConfigError {
        message: format!("{}; expected one of {}", e.message, quoted_list(&names)),
        ..e
    })?;
    find_kind(family, &name).ok_or_else(|| {
        let hint = suggestion(&name, names.iter().copied());
        sec.error(
            "kind",
            format!(
                "unknown {family} kind \"{name}\"; expected one of {}{hint}",
                quoted_list(&names)
            ),
        )
    })
}

/// Builds a table's kind after checking it belongs to `family`; unknown parameters are
/// reported with the kind's parameter list.
fn build_checked<T>(
    sec: &Section,
    family: Family,
    pick: impl Fn(Builder) -> Option<fn(&Section) -> Result<T, ConfigError>>,
) -> Result<T, ConfigError> {
    let kind = kind_of(sec, family)?;
    let build = pick(kind.build).expect("registry kinds are built by their own family");
    let built = build(sec)?;
    let mut known: Vec<&str> = vec!["kind"];
    known.extend((kind.params)().iter().map(|p| p.name));
    sec.finish_known(&known)?;
    Ok(built)
}

pub fn build_detector(sec: &Section) -> Result<Arc<dyn DetectorSpec>, ConfigError> {
    build_checked(sec, Family::Detector, |b| match b {
        Builder::Detector(f) => Some(f),
        _ => None,
    })
}

pub fn build_router(sec: &Section) -> Result<Arc<dyn RouterSpec>, ConfigError> {
    build_checked(sec, Family::Routing, |b| match b {
        Builder::Routing(f) => Some(f),
        _ => None,
    })
}

pub fn build_retry(sec: &Section) -> Result<Arc<dyn RetrySpec>, ConfigError> {
    build_checked(sec, Family::Retry, |b| match b {
        Builder::Retry(f) => Some(f),
        _ => None,
    })
}

pub fn build_retry_budget(sec: &Section) -> Result<Arc<dyn RetryBudgetSpec>, ConfigError> {
    build_checked(sec, Family::RetryBudget, |b| match b {
        Builder::RetryBudget(f) => Some(f),
        _ => None,
    })
}

pub fn build_checkpoint(sec: &Section) -> Result<Arc<dyn CheckpointSpec>, ConfigError> {
    build_checked(sec, Family::Checkpoint, |b| match b {
        Builder::Checkpoint(f) => Some(f),
        _ => None,
    })
}

pub fn build_circuit_breaker(sec: &Section) -> Result<Arc<dyn CircuitBreakerSpec>, ConfigError> {
    build_checked(sec, Family::CircuitBreaker, |b| match b {
        Builder::CircuitBreaker(f) => Some(f),
        _ => None,
    })
}

pub fn build_replication(sec: &Section) -> Result<ReplicationSpec, ConfigError> {
    build_checked(sec, Family::Replication, |b| match b {
        Builder::Replication(f) => Some(f),
        _ => None,
    })
}

pub fn build_ordering(sec: &Section) -> Result<OrderingSpec, ConfigError> {
    build_checked(sec, Family::Ordering, |b| match b {
        Builder::Ordering(f) => Some(f),
        _ => None,
    })
}

pub fn build_backup(sec: &Section) -> Result<BackupSpec, ConfigError> {
    build_checked(sec, Family::Backup, |b| match b {
        Builder::Backup(f) => Some(f),
        _ => None,
    })
}

/// Builds the strategy `name` from its `[strategies.NAME]` table; a family left out gets
/// its default kind with default parameters.
pub fn build_strategy_set(name: &str, sec: &Section) -> Result<StrategySet, ConfigError> {
    let defaults: Vec<Table> = Family::ALL
        .iter()
        .map(|f| Table::from([("kind".to_string(), conf::s(f.default_kind()))]))
        .collect();
    let family_section = |i: usize| -> Result<Section, ConfigError> {
        let family = Family::ALL[i];
        Ok(match sec.table(family.key())? {
            Some(t) => t,
            None => Section::new(
                &defaults[i],
                sec.key(family.key()),
                sec.line(),
                sec.source(),
            ),
        })
    };
    let detector = build_detector(&family_section(0)?)?;
    let routing = build_router(&family_section(1)?)?;
    if detector.placement() == DetectorPlacement::Clients && routing.failover_plan(1, 1).is_some() {
        let routing_sec = family_section(1)?;
        return Err(routing_sec.error(
            "kind",
            "primary/backup promotes backups from the monitor's suspicions; it needs detector.placement = \"monitor\"",
        ));
    }
    let retry = build_retry(&family_section(2)?)?;
    let retry_budget = build_retry_budget(&family_section(3)?)?;
    let circuit_breaker = build_circuit_breaker(&family_section(4)?)?;
    let durability = DurabilitySet {
        checkpoint: build_checkpoint(&family_section(5)?)?,
        replication: build_replication(&family_section(6)?)?,
        ordering: build_ordering(&family_section(7)?)?,
        backup: build_backup(&family_section(8)?)?,
    };
    let families: Vec<&str> = Family::ALL.iter().map(|f| f.key()).collect();
    sec.finish_known(&families)?;
    Ok(StrategySet {
        name: name.to_string(),
        detector,
        routing,
        retry,
        retry_budget,
        circuit_breaker,
        durability,
    })
}

/// Checks a built strategy against the cluster it will run on (`servers` servers,
/// `keys` keys), naming the parameter at fault in its `[strategies.NAME]` table.
pub fn check_fit(
    sec: &Section,
    set: &StrategySet,
    servers: u32,
    keys: u32,
) -> Result<(), ConfigError> {
    if let Err((param, why)) = set.routing.validate(servers, keys) {
        let at = match sec.table(Family::Routing.key())? {
            Some(routing) => routing.error(param, why),
            None => sec.error(Family::Routing.key(), why),
        };
        return Err(at);
    }
    let replication = &set.durability.replication;
    if replication.factor > servers {
        // A factor above the servers would be clamped to them: refused like primary/backup
        // replicas, so that two factors never give the same run under different names.
        let why = format!(
            "expected at most cluster.servers ({servers}) copies of each key, got {}",
            replication.factor
        );
        return Err(match sec.table(Family::Replication.key())? {
            Some(r) if r.contains("factor") => r.error("factor", why),
            Some(r) => r.error(
                "factor",
                format!("{why} (the default); set `factor` to at most {servers}"),
            ),
            None => sec.error(Family::Replication.key(), why),
        });
    }
    Ok(())
}
