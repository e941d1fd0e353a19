//! The registry: every strategy kind, its family, its parameters and how to build it.

use crate::params::{Param, Params};
use crate::{backup, checkpoint, detect, ordering, replication, retry, route};
use sim_core::config::{self, ConfigError, Section, Table, quoted_list, suggestion};
use sim_core::strategy::durability::{
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

/// The built value of each family, and how a kind builds it from its parameters; one line
/// per family.
macro_rules! families {
    ($($family:ident => $built:ty),* $(,)?) => {
        /// How a kind builds its family's value from the parameters read from its table.
        #[derive(Clone, Copy)]
        pub enum Builder {
            $($family(BuildFn<$built>),)*
        }

        $(impl Built for $built {
            const FAMILY: Family = Family::$family;
            fn builder(b: Builder) -> Option<BuildFn<Self>> {
                match b {
                    Builder::$family(f) => Some(f),
                    #[allow(unreachable_patterns)]
                    _ => None,
                }
            }
        })*
    };
}

/// How a kind builds `T` from the parameters read from its table.
pub type BuildFn<T> = fn(&mut Params) -> Result<T, ConfigError>;

/// What a family's kinds build.
pub trait Built: Sized {
    const FAMILY: Family;
    fn builder(b: Builder) -> Option<BuildFn<Self>>;
}

families! {
    Detector => Arc<dyn DetectorSpec>,
    Routing => Arc<dyn RouterSpec>,
    Retry => Arc<dyn RetrySpec>,
    RetryBudget => Arc<dyn RetryBudgetSpec>,
    CircuitBreaker => Arc<dyn CircuitBreakerSpec>,
    Checkpoint => Arc<dyn CheckpointSpec>,
    Replication => ReplicationSpec,
    Ordering => OrderingSpec,
    Backup => BackupSpec,
}

/// A strategy kind: its parameter table (in groups, shared groups once each) and its
/// builder.
#[derive(Clone, Copy)]
pub struct Kind {
    pub family: Family,
    pub name: &'static str,
    pub summary: &'static str,
    pub params: &'static [&'static [Param]],
    pub build: Builder,
}

impl Kind {
    /// The kind's parameters, in table order.
    pub fn params(&self) -> impl Iterator<Item = &'static Param> {
        self.params.iter().flat_map(|group| group.iter())
    }
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

/// Builds a table's kind after checking it belongs to `T`'s family: reads its
/// parameters from the kind's table, builds, and refuses unknown parameters with the
/// kind's parameter list.
pub fn build<T: Built>(sec: &Section) -> Result<T, ConfigError> {
    build_kind(kind_of(sec, T::FAMILY)?, sec)
}

/// Builds `kind` from its table `sec` (whose `kind` key is not checked).
pub fn build_kind<T: Built>(kind: &'static Kind, sec: &Section) -> Result<T, ConfigError> {
    let build = T::builder(kind.build).expect("registry kinds are built by their own family");
    let mut params = Params::read(kind.name, kind.params, sec)?;
    let built = build(&mut params)?;
    let mut known: Vec<&str> = vec!["kind"];
    known.extend(kind.params().map(|p| p.name));
    sec.finish_known(&known)?;
    Ok(built)
}

/// Builds the strategy `name` from its `[strategies.NAME]` table; a family left out gets
/// its default kind with default parameters.
pub fn build_strategy_set(name: &str, sec: &Section) -> Result<StrategySet, ConfigError> {
    let defaults: Vec<Table> = Family::ALL
        .iter()
        .map(|f| Table::from([("kind".to_string(), config::s(f.default_kind()))]))
        .collect();
    let family_section = |family: Family| -> Result<Section, ConfigError> {
        let i = Family::ALL
            .iter()
            .position(|f| *f == family)
            .expect("every family is in Family::ALL");
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
    let detector: Arc<dyn DetectorSpec> = build(&family_section(Family::Detector)?)?;
    let routing: Arc<dyn RouterSpec> = build(&family_section(Family::Routing)?)?;
    if detector.placement() == DetectorPlacement::Clients && routing.needs_monitor() {
        let routing_sec = family_section(Family::Routing)?;
        return Err(routing_sec.error(
            "kind",
            "primary/backup promotes backups from the monitor's suspicions; it needs detector.placement = \"monitor\"",
        ));
    }
    let retry = build(&family_section(Family::Retry)?)?;
    let retry_budget = build(&family_section(Family::RetryBudget)?)?;
    let circuit_breaker = build(&family_section(Family::CircuitBreaker)?)?;
    let durability = DurabilitySet {
        checkpoint: build(&family_section(Family::Checkpoint)?)?,
        replication: build(&family_section(Family::Replication)?)?,
        ordering: build(&family_section(Family::Ordering)?)?,
        backup: build(&family_section(Family::Backup)?)?,
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

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::config::Source;
    use sim_core::strategy::durability::FailureHistory;
    use sim_core::strategy::{ClusterView, KeyPlacement};

    /// Every kind of `family` built with its defaults.
    fn defaults<T: Built>() -> Vec<(&'static str, T)> {
        KINDS
            .iter()
            .filter(|k| k.family == T::FAMILY)
            .map(|k| {
                let t = Table::from([("kind".to_string(), config::s(k.name))]);
                let src = Source::inline();
                let built = build_kind(k, &Section::new(&t, T::FAMILY.key(), None, &src));
                (k.name, built.unwrap())
            })
            .collect()
    }

    /// The capabilities a spec states are what its routers and policies do: a keyed
    /// router names an owner for every key, a router that needs the monitor gives a
    /// failover plan, a policy that checkpoints names an interval.
    #[test]
    fn stated_capabilities_match_what_the_kinds_do() {
        for (name, spec) in defaults::<Arc<dyn RouterSpec>>() {
            for (servers, keys) in [(1, 1), (3, 100), (10, 5000)] {
                let view = ClusterView::new(servers);
                let mut router = spec.build(servers, keys);
                let owners = (0..keys).filter(|&k| router.key_owner(k, &view).is_some());
                let expected = match spec.key_placement() {
                    KeyPlacement::Keyed => keys as usize,
                    KeyPlacement::Unkeyed => 0,
                };
                assert_eq!(owners.count(), expected, "{name} on {servers} servers");
                assert_eq!(
                    spec.needs_monitor(),
                    spec.failover_plan(servers, keys).is_some(),
                    "{name}"
                );
            }
        }
        for (name, spec) in defaults::<Arc<dyn CheckpointSpec>>() {
            let history = FailureHistory::default();
            let interval = spec.build().next_interval(&history);
            assert_eq!(spec.checkpoints(), interval.is_some(), "{name}");
        }
    }
}
