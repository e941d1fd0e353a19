//! The scenario of a run: cluster, workload, network and faults, typed and validated.
//!
//! Read from the `[experiment]` timing keys and the `[cluster]`, `[workload]`, `[network]`
//! and `[faults]` tables of a config. Everything here is plain data; the simulation builds
//! its state from it. Reading checks every value, so a model built from a `Scenario`
//! never meets a parameter it cannot use.

use crate::config::{ConfigError, Section, ValueKind, quoted_list};
use crate::engine::dist::Dist;
use crate::engine::time::SimDuration;
use crate::model::faults::{self, Fault, Scope};
use std::sync::Arc;

/// Everything that defines a run except the strategies and the seed.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Simulated time during which requests are issued.
    pub duration: SimDuration,
    /// Initial span excluded from every metric.
    pub warmup: SimDuration,
    pub cluster: ClusterSpec,
    pub workload: WorkloadSpec,
    pub network: NetworkSpec,
    pub faults: FaultSpec,
}

#[derive(Clone, Debug)]
pub struct ClusterSpec {
    pub servers: u32,
    /// Requests served at once per server.
    pub workers: u32,
    /// Requests waiting per server; beyond it the server rejects.
    pub queue_capacity: u32,
    /// Service demand of a request, drawn when the request is created.
    pub service: Dist,
    /// Each server's key cache; `None` serves every request at its plain demand.
    pub cache: Option<CacheSpec>,
    /// Whether a server drops, instead of starting, a queued attempt whose deadline has
    /// passed (load shedding of work nobody waits for any more).
    pub shed_expired: bool,
    /// Whether each retry and hedge draws its own service demand (variability from the
    /// servers: pauses, interference) instead of repeating its request's (variability
    /// from the work itself, the default).
    pub service_per_attempt: bool,
    /// What recovering a server's state costs; `None` recovers instantly.
    pub state: Option<StateSpec>,
}

/// The cost of bringing a crashed server's state back, and how often a crash also loses
/// its disk.
#[derive(Clone, Debug, PartialEq)]
pub struct StateSpec {
    /// Fixed part of every restore.
    pub restore: SimDuration,
    /// Added per key held in the image restored (a checkpoint or a backup).
    pub restore_per_key: SimDuration,
    /// Added per logged write replayed after the checkpoint.
    pub replay_per_write: SimDuration,
    /// Probability that a crash also destroys the server's disk: its checkpoint and log
    /// are gone, and only a backup can bring its keys back.
    pub disk_loss: f64,
}

/// A per-server cache of recently served keys: a request whose key is not cached takes
/// `miss_penalty` longer, and its key then enters the cache.
#[derive(Clone, Debug, PartialEq)]
pub struct CacheSpec {
    /// Keys each server holds.
    pub size: u32,
    /// Added to the demand of a request whose key is not cached.
    pub miss_penalty: SimDuration,
}

#[derive(Clone, Debug)]
pub struct WorkloadSpec {
    pub arrivals: ArrivalSpec,
    pub keys: KeySpec,
    /// Client deadline for a request, retries included.
    pub timeout: SimDuration,
    /// Fraction of requests that write their key (the others read it).
    pub writes: f64,
}

#[derive(Clone, Debug)]
pub enum ArrivalSpec {
    /// Open loop: Poisson arrivals at `rate` requests/s in total, split evenly over
    /// `clients` independent sources.
    Poisson { rate: f64, clients: u32 },
    /// Closed loop: each client issues a request, waits for its outcome, thinks, repeats.
    Closed { clients: u32, think: Dist },
    /// No requests: every server runs one job needing `length` of work, which only its
    /// checkpoints save from crashes.
    Batch { length: SimDuration },
}

impl ArrivalSpec {
    pub fn clients(&self) -> u32 {
        match self {
            ArrivalSpec::Poisson { clients, .. } | ArrivalSpec::Closed { clients, .. } => *clients,
            ArrivalSpec::Batch { .. } => 0,
        }
    }

    /// The work of each server's batch job, for a batch workload.
    pub fn batch_length(&self) -> Option<SimDuration> {
        match self {
            ArrivalSpec::Batch { length } => Some(*length),
            _ => None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct KeySpec {
    pub count: u32,
    pub popularity: Popularity,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Popularity {
    Uniform,
    /// P(key rank k) proportional to 1/k^s.
    Zipf {
        s: f64,
    },
}

#[derive(Clone, Debug)]
pub struct NetworkSpec {
    /// One-way delay of every message.
    pub delay: Dist,
    /// Probability that a message is lost.
    pub loss: f64,
}

#[derive(Clone, Debug, Default)]
pub struct FaultSpec {
    /// Random crash and recovery of every server.
    pub crash: Option<CrashSpec>,
    /// Faults at given times.
    pub scripted: Vec<ScriptedFault>,
}

#[derive(Clone, Debug)]
pub struct CrashSpec {
    /// Time to failure, from each recovery (or the start).
    pub mttf: Dist,
    /// Time to repair, from each crash.
    pub mttr: Dist,
}

#[derive(Clone, Debug)]
pub struct ScriptedFault {
    pub at: SimDuration,
    /// How long it lasts; `None` lasts to the end of the run.
    pub length: Option<SimDuration>,
    pub target: Target,
    /// Which links of the target servers a fault on links acts on.
    pub peer: Peer,
    /// Its kind, with the kind's own parameters.
    pub kind: Arc<dyn Fault>,
}

/// The far end of the links a fault on links acts on: every node, or only the monitor,
/// only clients, or only other servers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Peer {
    #[default]
    All,
    Monitor,
    Clients,
    Servers,
}

impl Peer {
    /// Names accepted by `faults.scripted[].peer`.
    pub const NAMES: [&'static str; 4] = ["all", "monitor", "clients", "servers"];

    fn from_name(name: &str) -> Peer {
        match name {
            "monitor" => Peer::Monitor,
            "clients" => Peer::Clients,
            "servers" => Peer::Servers,
            _ => Peer::All,
        }
    }
}

/// Which servers a scripted fault hits.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    All,
    Servers(Vec<u32>),
}

impl Target {
    pub fn includes(&self, server: u32) -> bool {
        match self {
            Target::All => true,
            Target::Servers(list) => list.contains(&server),
        }
    }
}

/// The most servers a cluster may have. Every server holds its state, its worker slots and
/// its random streams for the whole run; beyond this a run would exhaust memory rather
/// than finish.
pub const MAX_SERVERS: u64 = 100_000;
/// The most worker slots (`servers` x `workers`) a cluster may have.
pub const MAX_WORKER_SLOTS: u64 = 10_000_000;
/// The most clients a workload may have: each holds its own router and random streams.
pub const MAX_CLIENTS: u64 = 100_000;
/// The highest arrival rate, in requests per simulated second, load spikes included: one
/// request per nanosecond, the resolution of simulated time. Beyond it arrivals would
/// pile up at the same instant and time would stop advancing.
pub const MAX_RATE: f64 = 1e9;

/// Keys of each table, for unknown-key checks and suggestions.
const CLUSTER_KEYS: [&str; 8] = [
    "servers",
    "workers",
    "queue_capacity",
    "service",
    "cache",
    "shed_expired",
    "service_per",
    "state",
];
const WORKLOAD_KEYS: [&str; 4] = ["arrivals", "keys", "timeout", "writes"];
const STATE_KEYS: [&str; 4] = [
    "restore",
    "restore_per_key",
    "replay_per_write",
    "disk_loss",
];
const NETWORK_KEYS: [&str; 2] = ["delay", "loss"];
const FAULT_KEYS: [&str; 2] = ["crash", "scripted"];

impl Scenario {
    /// Reads the scenario from a config's root table. `experiment` keys other than the
    /// timing ones are left to the caller; the other tables must hold only known keys.
    pub fn read(root: &Section) -> Result<Scenario, ConfigError> {
        let experiment = root.table("experiment")?.ok_or_else(|| {
            root.error(
                "experiment",
                "missing: the [experiment] table (name, seed, duration, ...)",
            )
        })?;
        let duration = experiment.positive_duration("duration", None)?;
        let warmup = experiment.or("warmup", SimDuration::ZERO)?;
        if warmup >= duration {
            return Err(experiment.error(
                "warmup",
                format!("expected a warm-up shorter than `experiment.duration` ({duration}), got {warmup}"),
            ));
        }

        let cluster_sec = root.table("cluster")?.ok_or_else(|| {
            root.error(
                "cluster",
                "missing: the [cluster] table (servers, service, ...)",
            )
        })?;
        let cluster = read_cluster(&cluster_sec)?;

        let workload_sec = root.table("workload")?.ok_or_else(|| {
            root.error(
                "workload",
                "missing: the [workload] table (arrivals, keys, timeout)",
            )
        })?;
        let workload = read_workload(&workload_sec)?;
        if workload.arrivals.batch_length().is_some() && !warmup.is_zero() {
            return Err(experiment.error(
                "warmup",
                "a batch workload measures each job from the start of the run, and the run ends with the last job; leave `warmup` out",
            ));
        }

        let network = match root.table("network")? {
            Some(sec) => read_network(&sec)?,
            None => NetworkSpec {
                delay: Dist::constant(SimDuration::ZERO),
                loss: 0.0,
            },
        };

        let faults = match root.table("faults")? {
            Some(sec) => read_faults(&sec, cluster.servers, duration)?,
            None => FaultSpec::default(),
        };
        check_time_advances(root, &workload_sec, &cluster, &workload, &network, &faults)?;

        Ok(Scenario {
            duration,
            warmup,
            cluster,
            workload,
            network,
            faults,
        })
    }
}

/// Refuses a scenario in which simulated time could stop: open-loop arrivals (spikes
/// included) faster than one per nanosecond, or closed-loop clients whose think time,
/// network round trip and service (at its fastest slow factor) take no time at all, so
/// that they would issue requests forever at one instant.
fn check_time_advances(
    root: &Section,
    workload_sec: &Section,
    cluster: &ClusterSpec,
    workload: &WorkloadSpec,
    network: &NetworkSpec,
    faults: &FaultSpec,
) -> Result<(), ConfigError> {
    let mean = |d: &Dist| d.mean().unwrap_or(f64::INFINITY);
    match &workload.arrivals {
        ArrivalSpec::Poisson { rate, .. } => {
            let mut peak = *rate;
            for (i, fault) in faults.scripted.iter().enumerate() {
                let factor = fault.kind.load_factor();
                if factor != 1.0 {
                    peak *= factor.max(1.0);
                    if peak > MAX_RATE {
                        let faults_sec = root.table("faults")?;
                        let scripted = match &faults_sec {
                            Some(f) => f.tables("scripted")?,
                            None => Vec::new(),
                        };
                        if let Some(f) = scripted.get(i) {
                            // Only a load spike changes the load; its key is `factor`.
                            return Err(f.error(
                                "factor",
                                format!("with the load spikes up to this one the arrival rate reaches {peak:e} requests/s, above the limit of {MAX_RATE:e} (one per nanosecond, the resolution of simulated time)"),
                            ));
                        }
                    }
                }
            }
        }
        ArrivalSpec::Batch { .. } => {}
        ArrivalSpec::Closed { think, .. } => {
            let shrink: f64 = faults
                .scripted
                .iter()
                .map(|f| f.kind.slow_factor())
                .filter(|factor| *factor < 1.0)
                .product();
            let cycle = mean(think) + 2.0 * mean(&network.delay) + mean(&cluster.service) * shrink;
            if cycle < 1e-9 {
                let message = "expected a think time with a mean of at least 1ns: with no think time, no network delay and no service time, closed-loop clients would issue requests forever without simulated time passing";
                return Err(match workload_sec.table("arrivals")? {
                    Some(arrivals) => arrivals.error("think", message),
                    None => workload_sec.error("arrivals", message),
                });
            }
        }
    }
    Ok(())
}

fn read_cluster(sec: &Section) -> Result<ClusterSpec, ConfigError> {
    let servers = sec.integer_at_least("servers", None, 1)?;
    if servers > MAX_SERVERS {
        return Err(sec.error(
            "servers",
            format!("expected at most {MAX_SERVERS} servers, got {servers}"),
        ));
    }
    let servers = servers as u32;
    let workers = sec.integer_at_least("workers", Some(1), 1)?;
    if workers.saturating_mul(u64::from(servers)) > MAX_WORKER_SLOTS {
        return Err(sec.error(
            "workers",
            format!(
                "expected at most {MAX_WORKER_SLOTS} worker slots in the cluster (servers x workers), got {servers} x {workers}"
            ),
        ));
    }
    let workers = workers as u32;
    let queue_capacity = sec.checked(
        "queue_capacity",
        Some(1000u32),
        |_| true,
        "a non-negative integer",
    )?;
    let service = Dist::req(sec, "service")?;
    let cache = match sec.table("cache")? {
        None => None,
        Some(c) => {
            let size = c.checked(
                "size",
                None,
                |s: &u32| *s >= 1,
                "a number of keys of at least 1, like 1000",
            )?;
            let miss_penalty = c.req("miss_penalty")?;
            c.finish_known(&["size", "miss_penalty"])?;
            Some(CacheSpec { size, miss_penalty })
        }
    };
    let shed_expired = sec.or("shed_expired", false)?;
    let service_per_attempt =
        sec.choice("service_per", Some("request"), &["request", "attempt"])? == "attempt";
    let state = match sec.table("state")? {
        None => None,
        Some(st) => {
            let spec = StateSpec {
                restore: st.or("restore", SimDuration::ZERO)?,
                restore_per_key: st.or("restore_per_key", SimDuration::ZERO)?,
                replay_per_write: st.or("replay_per_write", SimDuration::ZERO)?,
                disk_loss: st.probability("disk_loss", Some(0.0))?,
            };
            st.finish_known(&STATE_KEYS)?;
            Some(spec)
        }
    };
    sec.finish_known(&CLUSTER_KEYS)?;
    Ok(ClusterSpec {
        servers,
        workers,
        queue_capacity,
        service,
        cache,
        shed_expired,
        service_per_attempt,
        state,
    })
}

fn read_workload(sec: &Section) -> Result<WorkloadSpec, ConfigError> {
    let arrivals_sec = sec
        .table("arrivals")?
        .ok_or_else(|| sec.missing("arrivals", "{ kind = \"poisson\", rate = 640.0 } or { kind = \"closed\", clients = 50, think = ... }"))?;
    let kind = arrivals_sec.choice("kind", None, &["poisson", "closed", "batch"])?;
    let clients = |default: Option<u64>| -> Result<u32, ConfigError> {
        let n = arrivals_sec.integer_at_least("clients", default, 1)?;
        if n > MAX_CLIENTS {
            return Err(arrivals_sec.error(
                "clients",
                format!("expected at most {MAX_CLIENTS} clients, got {n}"),
            ));
        }
        Ok(n as u32)
    };
    let arrivals = if kind == "batch" {
        let length = arrivals_sec.positive_duration("length", None)?;
        arrivals_sec.finish_known(&["kind", "length"])?;
        ArrivalSpec::Batch { length }
    } else if kind == "poisson" {
        let rate = arrivals_sec.checked(
            "rate",
            None,
            |r: &f64| r.is_finite() && *r > 0.0 && *r <= MAX_RATE,
            "a positive number of requests per second, at most 1e9 (one per nanosecond)",
        )?;
        let clients = clients(Some(1))?;
        arrivals_sec.finish_known(&["kind", "rate", "clients"])?;
        ArrivalSpec::Poisson { rate, clients }
    } else {
        let clients = clients(None)?;
        let think =
            Dist::read(&arrivals_sec, "think")?.unwrap_or(Dist::constant(SimDuration::ZERO));
        arrivals_sec.finish_known(&["kind", "clients", "think"])?;
        ArrivalSpec::Closed { clients, think }
    };
    let keys = match sec.table("keys")? {
        None => KeySpec {
            count: 1,
            popularity: Popularity::Uniform,
        },
        Some(k) => {
            let count = k.integer_at_least("count", Some(1), 1)?;
            let count = u32::try_from(count)
                .map_err(|_| k.error("count", "expected at most 2^32 - 1 keys"))?;
            let popularity = match k
                .choice("popularity", Some("uniform"), &["uniform", "zipf"])?
                .as_str()
            {
                "uniform" => Popularity::Uniform,
                _ => Popularity::Zipf {
                    s: k.positive_f64("s", Some(0.99))?,
                },
            };
            k.finish_known(&["count", "popularity", "s"])?;
            KeySpec { count, popularity }
        }
    };
    let timeout = sec.positive_duration("timeout", Some(SimDuration::from_secs(1)))?;
    let writes = sec.probability("writes", Some(0.0))?;
    if writes > 0.0 && matches!(arrivals, ArrivalSpec::Batch { .. }) {
        return Err(sec.error(
            "writes",
            "a batch workload issues no requests; leave `writes` out or use poisson or closed arrivals",
        ));
    }
    sec.finish_known(&WORKLOAD_KEYS)?;
    Ok(WorkloadSpec {
        arrivals,
        keys,
        timeout,
        writes,
    })
}

fn read_network(sec: &Section) -> Result<NetworkSpec, ConfigError> {
    let delay = Dist::read(sec, "delay")?.unwrap_or(Dist::constant(SimDuration::ZERO));
    let loss = sec.probability("loss", Some(0.0))?;
    sec.finish_known(&NETWORK_KEYS)?;
    Ok(NetworkSpec { delay, loss })
}

fn read_faults(
    sec: &Section,
    servers: u32,
    duration: SimDuration,
) -> Result<FaultSpec, ConfigError> {
    let crash = match sec.table("crash")? {
        None => None,
        Some(c) => {
            let mttf = Dist::req(&c, "mttf")?;
            let mttr = Dist::req(&c, "mttr")?;
            c.finish_known(&["mttf", "mttr"])?;
            Some(CrashSpec { mttf, mttr })
        }
    };
    let mut scripted = Vec::new();
    for f in sec.tables("scripted")? {
        scripted.push(read_scripted(&f, servers, duration)?);
    }
    sec.finish_known(&FAULT_KEYS)?;
    Ok(FaultSpec { crash, scripted })
}

fn read_scripted(
    f: &Section,
    servers: u32,
    duration: SimDuration,
) -> Result<ScriptedFault, ConfigError> {
    let at: SimDuration = f.req("at")?;
    if at >= duration {
        return Err(f.error(
            "at",
            format!("expected a time before the end of the run (`experiment.duration` = {duration}), got {at}"),
        ));
    }
    let length: Option<SimDuration> = f.opt("for")?;
    if length.is_some_and(|l| l.is_zero()) {
        return Err(f.error(
            "for",
            "expected a duration longer than 0 (leave `for` out to last to the end)",
        ));
    }
    let kind_name = f.choice("kind", None, &faults::kind_names())?;
    let kind = faults::find_kind(&kind_name).expect("a name from the registry");
    let known: Vec<&str> = faults::accepted_keys(kind).iter().map(|k| k.name).collect();
    let accepts = || format!("a {kind_name} fault accepts {}", quoted_list(&known));
    if let Scope::Cluster { why } = kind.scope() {
        for key in ["server", "servers"] {
            if f.contains(key) {
                return Err(f.error(key, format!("{why}; {}", accepts())));
            }
        }
    }
    if f.contains("peer") && !kind.on_links() {
        let on_links: Vec<&str> = faults::KINDS
            .iter()
            .filter(|k| k.on_links())
            .map(|k| k.name())
            .collect();
        let list = match on_links.split_last() {
            Some((last, [])) => last.to_string(),
            Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
            None => "no kind".to_string(),
        };
        return Err(f.error(
            "peer",
            format!(
                "`peer` applies to {list} faults, not to \"{kind_name}\"; {}",
                accepts()
            ),
        ));
    }
    let target = if kind.scope() == Scope::Servers {
        read_target(f, servers)?
    } else {
        Target::All
    };
    let peer = Peer::from_name(&f.choice("peer", Some("all"), &Peer::NAMES)?);
    let kind = kind.read(f)?;
    f.finish_known(&known)?;
    Ok(ScriptedFault {
        at,
        length,
        target,
        peer,
        kind,
    })
}

fn read_target(f: &Section, servers: u32) -> Result<Target, ConfigError> {
    let check = |key: &str, s: i64| -> Result<u32, ConfigError> {
        if s < 0 || s >= i64::from(servers) {
            Err(f.error(
                key,
                format!("expected a server index from 0 to {} (the cluster has {servers} servers), got {s}", servers - 1),
            ))
        } else {
            Ok(s as u32)
        }
    };
    match (f.get("server"), f.get("servers")) {
        (Some(_), Some(_)) => {
            Err(f.error("servers", "give either `server` or `servers`, not both"))
        }
        (Some(_), None) => {
            let s: i64 = f.req("server")?;
            Ok(Target::Servers(vec![check("server", s)?]))
        }
        (None, Some(v)) => match &v.kind {
            ValueKind::Str(s) if s == "all" => Ok(Target::All),
            ValueKind::Array(items) => {
                let mut list = Vec::new();
                for item in items {
                    match item.kind {
                        ValueKind::Int(s) => list.push(check("servers", s)?),
                        _ => {
                            return Err(f.error(
                                "servers",
                                "expected a list of server indices, like [0, 3], or \"all\"",
                            ));
                        }
                    }
                }
                if list.is_empty() {
                    return Err(
                        f.error("servers", "expected at least one server index, or \"all\"")
                    );
                }
                list.sort_unstable();
                list.dedup();
                Ok(Target::Servers(list))
            }
            _ => Err(f.error(
                "servers",
                "expected a list of server indices, like [0, 3], or \"all\"",
            )),
        },
        (None, None) => Ok(Target::All),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Source, Table, Value, f, i, s};

    /// A valid value for every key a scripted fault may take (on a cluster of 2).
    fn value_of(key: &str) -> Value {
        match key {
            "at" => s("1s"),
            "for" => s("2s"),
            "server" => i(1),
            "servers" => Value::new(ValueKind::Array(vec![i(0)]), None),
            "peer" => s("monitor"),
            "factor" => f(2.0),
            "probability" => f(0.5),
            "extra" => s("5ms"),
            "up" => s("1s"),
            "down" => s("100ms"),
            other => panic!("no value for `{other}`"),
        }
    }

    fn read(entries: &[(&str, Value)]) -> Result<ScriptedFault, ConfigError> {
        let t: Table = entries
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        let src = Source::inline();
        read_scripted(
            &Section::new(&t, "faults.scripted[0]", None, &src),
            2,
            SimDuration::from_secs(10),
        )
    }

    /// The keys `kind`'s error for an unknown key says it accepts.
    fn listed(kind: &str, params: &[&str]) -> Vec<String> {
        let mut entries = vec![("kind", s(kind)), ("at", value_of("at")), ("bogus", i(1))];
        entries.extend(params.iter().map(|p| (*p, value_of(p))));
        let e = read(&entries).unwrap_err();
        assert_eq!(e.key.as_deref(), Some("faults.scripted[0].bogus"), "{e}");
        let list = e
            .message
            .split_once("this table accepts ")
            .unwrap_or_else(|| panic!("{kind}: {e}"))
            .1;
        list.replace(" or ", ", ")
            .split(", ")
            .map(|k| k.trim_matches('"').to_string())
            .collect()
    }

    #[test]
    fn every_fault_kind_accepts_exactly_the_keys_its_errors_list() {
        for kind in faults::kind_names() {
            let params: Vec<&str> = faults::find_kind(kind)
                .unwrap()
                .keys()
                .iter()
                .filter(|k| k.default.is_none())
                .map(|k| k.name)
                .collect();
            let params = params.as_slice();
            let keys = listed(kind, params);
            // Each listed key is accepted with a valid value.
            for key in &keys {
                let mut entries = vec![("kind", s(kind)), ("at", value_of("at"))];
                entries.extend(params.iter().map(|p| (*p, value_of(p))));
                if !["kind", "at"].contains(&key.as_str()) && !params.contains(&key.as_str()) {
                    entries.push((key.as_str(), value_of(key)));
                }
                assert!(read(&entries).is_ok(), "{kind} refuses its listed `{key}`");
            }
            // Each key of some kind that is not listed is refused.
            for key in [
                "for",
                "server",
                "servers",
                "peer",
                "factor",
                "probability",
                "extra",
                "up",
                "down",
            ] {
                if keys.iter().any(|k| k == key) {
                    continue;
                }
                let mut entries = vec![("kind", s(kind)), ("at", value_of("at"))];
                entries.extend(params.iter().map(|p| (*p, value_of(p))));
                entries.push((key, value_of(key)));
                let e = read(&entries).expect_err(&format!("{kind} takes unlisted `{key}`"));
                assert_eq!(
                    e.key.as_deref(),
                    Some(format!("faults.scripted[0].{key}").as_str()),
                    "{e}"
                );
            }
        }
        let spike = listed("load-spike", &["factor"]);
        assert_eq!(spike, ["at", "for", "kind", "factor"]);
        let crash = listed("crash", &[]);
        assert_eq!(crash, ["at", "for", "kind", "server", "servers"]);
    }
}
