//! `[swarm]`: fault parameters drawn at random per run seed ("swarm testing", Groce et al.
//! 2012), each fault family switched on or off as a whole per seed.
//!
//! `[swarm.KIND]` names a kind of the fault registry (`faultline faults`): with
//! probability `p` the seed gets `count` faults of that kind, each with its start `at`,
//! its length `for`, its target `servers` (how many, drawn without replacement), its
//! `peer` and its kind's own keys drawn from their ranges. `[swarm.crash]` also takes
//! `mttf` and `mttr`, the means of an exponential crash process. A range is `[lo, hi]`:
//! integers and numbers uniform, `at` uniform, other durations log-uniform (uniform when
//! `lo` is 0); a scalar is fixed. Draws come from a stream of their own per family
//! ([`Purpose::Swarm`], numbered by the kind's place in the registry), so the same run
//! seed draws the same faults on any machine, and adding a family shifts no other
//! family's draws. [`draw`] turns a config and a run seed into the effective config:
//! `[swarm]` gone, the drawn faults ordinary `[[faults.scripted]]` entries after the
//! config's own (and `faults.crash` when the process is drawn).

use crate::load::{Document, get_path, keys_in_file_order, set_path};
use rand::RngExt;
use sim_core::config::scenario::Peer;
use sim_core::config::{ConfigError, Section, Table, Value, ValueKind, quoted_list, suggestion};
use sim_core::engine::rng::{Purpose, RngFactory, SimRng};
use sim_core::model::faults::{KINDS, Scope, kind_names};
use sim_core::{Scenario, SimDuration};

/// The config's table of families.
pub const SWARM_KEY: &str = "swarm";

/// The most faults one family may draw per seed: each has columns of its own in hunt.csv.
pub const MAX_COUNT: u64 = 100;

/// The crash process's keys, in `[swarm.crash]` only.
const PROCESS: [&str; 2] = ["mttf", "mttr"];

/// A value drawn from `[lo, hi]`, or fixed.
#[derive(Clone, Debug, PartialEq)]
enum Range {
    Int(u64, u64),
    Real(f64, f64),
    Duration(SimDuration, SimDuration),
    /// One of these strings, uniformly.
    Choice(Vec<String>),
}

/// How a duration range is drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Scale {
    Uniform,
    /// Log-uniform when the lower end is above 0.
    Log,
}

/// One family of `[swarm]`.
#[derive(Clone, Debug)]
struct Family {
    kind: &'static str,
    /// Its stream: the kind's place in the registry.
    stream: u32,
    p: f64,
    /// The crash process's mean time to failure and to repair.
    process: Option<(Range, Range)>,
    /// Scripted faults: how many, and the ranges of each one's keys (`at`, `for`,
    /// `servers`, `peer`, then the kind's own).
    count: Option<Range>,
    keys: Vec<(String, Range, Scale)>,
}

/// The parsed `[swarm]` table.
#[derive(Clone, Debug)]
pub struct Swarm {
    families: Vec<Family>,
}

/// One drawn parameter: its hunt.csv column (`loss.on`, `loss[0].probability`) and value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Drawn {
    pub name: String,
    pub value: String,
}

/// Reads a range: `[lo, hi]` or a scalar, of integers, numbers, durations or strings.
fn read_range(sec: &Section, key: &str, int: bool) -> Result<Option<Range>, ConfigError> {
    let Some(v) = sec.get(key) else {
        return Ok(None);
    };
    let expected = if int {
        "an integer or a range [lo, hi] of integers"
    } else {
        "a number, a duration or a range [lo, hi] of them"
    };
    let bad = |why: String| sec.error(key, format!("expected {expected}, {why}"));
    let items: Vec<&Value> = match &v.kind {
        ValueKind::Array(items) if items.len() == 2 => items.iter().collect(),
        ValueKind::Array(items)
            if items.iter().all(|i| matches!(i.kind, ValueKind::Str(_))) && key == "peer" =>
        {
            items.iter().collect()
        }
        ValueKind::Array(items) => {
            return Err(bad(format!("got an array of {} values", items.len())));
        }
        _ => vec![v, v],
    };
    let number = |x: &Value| match x.kind {
        ValueKind::Int(i) => Some(i as f64),
        ValueKind::Float(f) if f.is_finite() => Some(f),
        _ => None,
    };
    let range = if key == "peer" {
        let mut names = Vec::new();
        for item in &items {
            match &item.kind {
                ValueKind::Str(s) if Peer::NAMES.contains(&s.as_str()) => names.push(s.clone()),
                _ => {
                    return Err(sec.error(
                        key,
                        format!(
                            "expected one of {} or a list of them, got {}",
                            quoted_list(&Peer::NAMES),
                            item.to_config_text()
                        ),
                    ));
                }
            }
        }
        if matches!(v.kind, ValueKind::Str(_)) {
            names.truncate(1);
        }
        Range::Choice(names)
    } else if int {
        let ints: Option<Vec<u64>> = items
            .iter()
            .map(|x| match x.kind {
                ValueKind::Int(i) if i >= 0 => Some(i as u64),
                _ => None,
            })
            .collect();
        let ints = ints.ok_or_else(|| bad(format!("got {}", v.to_config_text())))?;
        Range::Int(ints[0], ints[1])
    } else if let Some(nums) = items
        .iter()
        .map(|x| number(x))
        .collect::<Option<Vec<f64>>>()
    {
        Range::Real(nums[0], nums[1])
    } else {
        let durations: Result<Vec<SimDuration>, String> = items
            .iter()
            .map(|x| match &x.kind {
                ValueKind::Str(s) => SimDuration::parse(s).map_err(|e| format!("but {e}")),
                _ => Err(format!("got {}", v.to_config_text())),
            })
            .collect();
        let d = durations.map_err(bad)?;
        Range::Duration(d[0], d[1])
    };
    let reversed = match &range {
        Range::Int(lo, hi) => lo > hi,
        Range::Real(lo, hi) => lo > hi,
        Range::Duration(lo, hi) => lo > hi,
        Range::Choice(_) => false,
    };
    if reversed {
        return Err(sec.error(
            key,
            format!(
                "the range {} has its lower end above its upper end; expected [lo, hi] with lo <= hi",
                v.to_config_text()
            ),
        ));
    }
    Ok(Some(range))
}

impl Swarm {
    /// Reads `[swarm]` from a config root, if present; `servers`, `warmup` and `duration`
    /// bound the targets and start times.
    pub fn read(root: &Section, scenario: &Scenario) -> Result<Option<Swarm>, ConfigError> {
        let Some(sec) = root.table(SWARM_KEY)? else {
            return Ok(None);
        };
        let servers = u64::from(scenario.cluster.servers);
        let mut families = Vec::new();
        let names = keys_in_file_order(sec.raw());
        if names.is_empty() {
            return Err(root.error(
                SWARM_KEY,
                format!(
                    "expected at least one family, a table named by a fault kind ({})",
                    quoted_list(&kind_names())
                ),
            ));
        }
        for name in names {
            let Some((stream, kind)) = KINDS.iter().enumerate().find(|(_, k)| k.name() == name)
            else {
                let hint = suggestion(&name, kind_names().into_iter());
                return Err(sec.error(
                    &name,
                    format!(
                        "unknown fault family{hint}; a [swarm] family is named by a fault kind: {}",
                        quoted_list(&kind_names())
                    ),
                ));
            };
            let f = sec
                .table(&name)?
                .ok_or_else(|| sec.error(&name, "expected a table of ranges"))?;
            let p = f.probability("p", Some(1.0))?;
            let mut known: Vec<&str> = vec!["p", "count", "at", "for"];
            if kind.scope() == Scope::Servers {
                known.push("servers");
            }
            if kind.on_links() {
                known.push("peer");
            }
            let own: Vec<&str> = kind.keys().iter().map(|k| k.name).collect();
            known.extend(&own);
            let process = if name == "crash" {
                known.extend(PROCESS);
                match (
                    read_range(&f, "mttf", false)?,
                    read_range(&f, "mttr", false)?,
                ) {
                    (None, None) => None,
                    (Some(mttf), Some(mttr)) => {
                        for (key, r) in [("mttf", &mttf), ("mttr", &mttr)] {
                            match r {
                                Range::Duration(lo, _) if !lo.is_zero() => {}
                                _ => {
                                    return Err(f.error(
                                        key,
                                        "expected a duration longer than 0, or a range [lo, hi] of them",
                                    ));
                                }
                            }
                        }
                        Some((mttf, mttr))
                    }
                    (Some(_), None) => return Err(f.missing("mttr", "a duration range, with mttf")),
                    (None, Some(_)) => return Err(f.missing("mttf", "a duration range, with mttr")),
                }
            } else {
                None
            };
            let scripted = f.contains("for") || process.is_none();
            let mut keys = Vec::new();
            let count = if scripted {
                let count = read_range(&f, "count", true)?.unwrap_or(Range::Int(1, 1));
                if let Range::Int(_, hi) = count
                    && hi > MAX_COUNT
                {
                    return Err(f.error(
                        "count",
                        format!(
                            "expected at most {MAX_COUNT} faults of one family per seed, got {hi}"
                        ),
                    ));
                }
                let at = read_range(&f, "at", false)?.unwrap_or(Range::Duration(
                    scenario.warmup,
                    SimDuration(scenario.duration.0.saturating_sub(1)),
                ));
                let length = read_range(&f, "for", false)?
                    .ok_or_else(|| f.missing("for", "a duration range like [\"1s\", \"10s\"]"))?;
                for (key, r) in [("at", &at), ("for", &length)] {
                    if !matches!(r, Range::Duration(..)) {
                        return Err(
                            f.error(key, "expected a duration, or a range [lo, hi] of them")
                        );
                    }
                }
                if let Range::Duration(_, hi) = at
                    && hi >= scenario.duration
                {
                    return Err(f.error(
                        "at",
                        format!("expected start times before `experiment.duration` ({}), got up to {hi}", scenario.duration),
                    ));
                }
                keys.push(("at".to_string(), at, Scale::Uniform));
                keys.push(("for".to_string(), length, Scale::Log));
                if kind.scope() == Scope::Servers {
                    let n = read_range(&f, "servers", true)?.unwrap_or(Range::Int(1, 1));
                    if let Range::Int(lo, hi) = n
                        && (lo == 0 || hi > servers)
                    {
                        return Err(f.error(
                            "servers",
                            format!("expected a number of target servers from 1 to the cluster's {servers}, got {}", f.get("servers").map(Value::to_config_text).unwrap_or_default()),
                        ));
                    }
                    keys.push(("servers".to_string(), n, Scale::Uniform));
                }
                if kind.on_links()
                    && let Some(peer) = read_range(&f, "peer", false)?
                {
                    keys.push(("peer".to_string(), peer, Scale::Uniform));
                }
                for name in &own {
                    if let Some(r) = read_range(&f, name, false)? {
                        keys.push((name.to_string(), r, Scale::Log));
                    }
                }
                Some(count)
            } else {
                None
            };
            f.finish_known(&known)?;
            families.push(Family {
                kind: kind.name(),
                stream: stream as u32,
                p,
                process,
                count,
                keys,
            });
        }
        Ok(Some(Swarm { families }))
    }

    /// The families as the plan lists them: `partition (p 0.5, 1 to 3 faults)`.
    pub fn describe(&self) -> Vec<String> {
        self.families
            .iter()
            .map(|f| {
                let mut parts = vec![format!("p {}", sim_core::report::format_real(f.p))];
                if f.process.is_some() {
                    parts.push("a crash process".into());
                }
                if let Some(Range::Int(lo, hi)) = f.count {
                    parts.push(if lo == hi {
                        format!("{lo} fault{}", if lo == 1 { "" } else { "s" })
                    } else {
                        format!("{lo} to {hi} faults")
                    });
                }
                format!("{} ({})", f.kind, parts.join(", "))
            })
            .collect()
    }

    /// Every column a draw may fill, in order: per family `KIND.on`, the process's
    /// `crash.mttf` and `crash.mttr`, `KIND.count`, then each possible fault's keys
    /// (`KIND[i].KEY`).
    pub fn columns(&self) -> Vec<String> {
        let mut columns = Vec::new();
        for f in &self.families {
            columns.push(format!("{}.on", f.kind));
            if f.process.is_some() {
                columns.push(format!("{}.mttf", f.kind));
                columns.push(format!("{}.mttr", f.kind));
            }
            if let Some(Range::Int(_, hi)) = f.count {
                columns.push(format!("{}.count", f.kind));
                for i in 0..hi {
                    for (key, ..) in &f.keys {
                        columns.push(format!("{}[{i}].{key}", f.kind));
                    }
                }
            }
        }
        columns
    }

    /// Draws the faults of run seed `seed` into `root`, after its own faults; returns
    /// the drawn parameters in [`columns`](Self::columns) order.
    fn draw_into(
        &self,
        root: &mut Table,
        seed: u64,
        sampler: Sampler,
    ) -> Result<Vec<Drawn>, String> {
        let rngs = RngFactory::new(seed);
        let mut drawn = Vec::new();
        let mut entries = Vec::new();
        let mut crash = None;
        let servers = match get_path(root, "cluster.servers").map(|v| &v.kind) {
            Some(ValueKind::Int(n)) if *n > 0 => *n as u64,
            _ => 1,
        };
        for f in &self.families {
            let mut rng = rngs.stream(Purpose::Swarm, f.stream);
            let on = match sampler {
                Sampler::Random => rng.random::<f64>() < f.p,
                Sampler::Low | Sampler::High => true,
            };
            let mut put = |name: String, value: String| drawn.push(Drawn { name, value });
            put(format!("{}.on", f.kind), u8::from(on).to_string());
            if !on {
                continue;
            }
            if let Some((mttf, mttr)) = &f.process {
                let mttf = sampler.duration(&mut rng, mttf, Scale::Log);
                let mttr = sampler.duration(&mut rng, mttr, Scale::Log);
                put(format!("{}.mttf", f.kind), mttf.to_string());
                put(format!("{}.mttr", f.kind), mttr.to_string());
                let exponential = |mean: SimDuration| {
                    sim_core::config::table(&[
                        ("dist", sim_core::config::s("exponential")),
                        ("mean", sim_core::config::s(&mean.to_string())),
                    ])
                };
                crash = Some(sim_core::config::table(&[
                    ("mttf", exponential(mttf)),
                    ("mttr", exponential(mttr)),
                ]));
            }
            let Some(count) = &f.count else { continue };
            let count = sampler.int(&mut rng, count);
            put(format!("{}.count", f.kind), count.to_string());
            for i in 0..count {
                let mut entry = Table::new();
                entry.insert("kind".into(), sim_core::config::s(f.kind));
                for (key, range, scale) in &f.keys {
                    let (value, text) = match (key.as_str(), range) {
                        ("servers", Range::Int(..)) => {
                            let n = sampler.int(&mut rng, range).min(servers);
                            let targets = pick(&mut rng, servers, n, sampler);
                            let text = targets
                                .iter()
                                .map(u64::to_string)
                                .collect::<Vec<_>>()
                                .join(" ");
                            let list = targets
                                .iter()
                                .map(|&s| sim_core::config::i(s as i64))
                                .collect();
                            (Value::new(ValueKind::Array(list), None), text)
                        }
                        (_, Range::Duration(..)) => {
                            let d = sampler.duration(&mut rng, range, *scale);
                            (sim_core::config::s(&d.to_string()), d.to_string())
                        }
                        (_, Range::Real(..)) => {
                            let x = sampler.real(&mut rng, range);
                            (sim_core::config::f(x), sim_core::report::format_real(x))
                        }
                        (_, Range::Int(..)) => {
                            let n = sampler.int(&mut rng, range);
                            (sim_core::config::i(n as i64), n.to_string())
                        }
                        (_, Range::Choice(names)) => {
                            let name = match sampler {
                                Sampler::Random => names[rng.random_range(0..names.len())].clone(),
                                Sampler::Low => names[0].clone(),
                                Sampler::High => names[names.len() - 1].clone(),
                            };
                            (sim_core::config::s(&name), name)
                        }
                    };
                    entry.insert(key.clone(), value);
                    put(format!("{}[{i}].{key}", f.kind), text);
                }
                entries.push(Value::new(ValueKind::Table(entry), None));
            }
        }
        if let Some(crash) = crash {
            if get_path(root, "faults.crash").is_some() {
                return Err("[swarm.crash] draws a crash process and `faults.crash` sets one; keep one of them".into());
            }
            set_path(root, "faults.crash", crash)?;
        }
        if !entries.is_empty() {
            let mut scripted = match get_path(root, "faults.scripted").map(|v| &v.kind) {
                Some(ValueKind::Array(items)) => items.clone(),
                _ => Vec::new(),
            };
            scripted.extend(entries);
            set_path(
                root,
                "faults.scripted",
                Value::new(ValueKind::Array(scripted), None),
            )?;
        }
        root.remove(SWARM_KEY);
        Ok(drawn)
    }
}

/// Which values a draw takes: random ones, or every range's lower or upper end with every
/// family on (the extremes that loading a config checks).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Sampler {
    Random,
    Low,
    High,
}

/// Rounds to four significant digits, so that drawn values read well and write exactly.
fn round4(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    format!("{x:.3e}").parse().unwrap_or(x)
}

impl Sampler {
    fn int(self, rng: &mut SimRng, range: &Range) -> u64 {
        let Range::Int(lo, hi) = *range else {
            unreachable!("an integer range")
        };
        match self {
            Sampler::Random => rng.random_range(lo..=hi),
            Sampler::Low => lo,
            Sampler::High => hi,
        }
    }

    fn real(self, rng: &mut SimRng, range: &Range) -> f64 {
        let Range::Real(lo, hi) = *range else {
            unreachable!("a number range")
        };
        let u = match self {
            Sampler::Random => rng.random::<f64>(),
            Sampler::Low => 0.0,
            Sampler::High => 1.0,
        };
        round4(lo + (hi - lo) * u)
    }

    fn duration(self, rng: &mut SimRng, range: &Range, scale: Scale) -> SimDuration {
        let Range::Duration(lo, hi) = *range else {
            unreachable!("a duration range")
        };
        let u = match self {
            Sampler::Random => rng.random::<f64>(),
            Sampler::Low => return lo,
            Sampler::High => return hi,
        };
        let (a, b) = (lo.as_secs_f64(), hi.as_secs_f64());
        let secs = if scale == Scale::Log && a > 0.0 {
            (a.ln() + (b.ln() - a.ln()) * u).exp()
        } else {
            a + (b - a) * u
        };
        SimDuration::from_secs_f64(round4(secs)).max(lo).min(hi)
    }
}

/// `n` distinct servers of `0..servers`, sorted: a partial Fisher-Yates shuffle.
fn pick(rng: &mut SimRng, servers: u64, n: u64, sampler: Sampler) -> Vec<u64> {
    let mut all: Vec<u64> = (0..servers).collect();
    if sampler == Sampler::Random {
        for i in 0..n as usize {
            let j = rng.random_range(i..all.len());
            all.swap(i, j);
        }
    }
    let mut chosen = all[..n as usize].to_vec();
    chosen.sort_unstable();
    chosen
}

/// The effective config of run seed `seed`: `doc` with `[swarm]` drawn (see the module
/// doc), and the parameters drawn. A config without `[swarm]` comes back unchanged.
pub fn draw(doc: &Document, seed: u64) -> Result<(Document, Vec<Drawn>), ConfigError> {
    let Some(swarm) = read_swarm(doc)? else {
        return Ok((doc.clone(), Vec::new()));
    };
    draw_with(&swarm, doc, seed, Sampler::Random)
}

fn read_swarm(doc: &Document) -> Result<Option<Swarm>, ConfigError> {
    let source = doc.source.recording();
    let root = Section::new(&doc.root, "", None, &source);
    let scenario = Scenario::read(&root)?;
    Swarm::read(&root, &scenario)
}

fn draw_with(
    swarm: &Swarm,
    doc: &Document,
    seed: u64,
    sampler: Sampler,
) -> Result<(Document, Vec<Drawn>), ConfigError> {
    let mut effective = doc.clone();
    let line = doc.root.get(SWARM_KEY).and_then(|v| v.line);
    let drawn = swarm
        .draw_into(&mut effective.root, seed, sampler)
        .map_err(|why| ConfigError::new(why).at(Some(&doc.source.name), Some(SWARM_KEY), line))?;
    Ok((effective, drawn))
}

impl Swarm {
    /// The effective configs at the lower and at the upper end of every range, every
    /// family on: what loading a config builds to check that any draw is a valid config.
    pub fn extremes(&self, doc: &Document) -> Result<[Document; 2], ConfigError> {
        let low = draw_with(self, doc, 0, Sampler::Low)?.0;
        let high = draw_with(self, doc, 0, Sampler::High)?.0;
        Ok([low, high])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::parse_document;
    use sim_core::config::Source;

    const BASE: &str = "[experiment]\nduration = \"60s\"\nwarmup = \"5s\"\n[cluster]\nservers = 4\nservice = \"1ms\"\n[workload]\narrivals = { kind = \"poisson\", rate = 10.0 }\n";

    fn doc(swarm: &str) -> Document {
        parse_document(&format!("{BASE}{swarm}"), Source::new("c.toml", ".")).unwrap()
    }

    #[test]
    fn a_seed_draws_the_same_faults_every_time_and_seeds_differ() {
        let d = doc(
            "[swarm.loss]\np = 1.0\ncount = [1, 3]\nfor = [\"1s\", \"10s\"]\nprobability = [0.0, 0.3]\nservers = [1, 2]\n[swarm.crash]\np = 0.5\nmttf = [\"5s\", \"60s\"]\nmttr = [\"1s\", \"20s\"]\n",
        );
        let (a, drawn_a) = draw(&d, 7).unwrap();
        let (b, drawn_b) = draw(&d, 7).unwrap();
        assert_eq!(a.root, b.root);
        assert_eq!(drawn_a, drawn_b);
        assert!(!a.root.contains_key("swarm"));
        let differ = (0..20).any(|seed| draw(&d, seed).unwrap().1 != drawn_a);
        assert!(differ);
        let scripted = get_path(&a.root, "faults.scripted").unwrap();
        let ValueKind::Array(items) = &scripted.kind else {
            panic!()
        };
        let count: usize = drawn_a
            .iter()
            .find(|d| d.name == "loss.count")
            .unwrap()
            .value
            .parse()
            .unwrap();
        assert_eq!(items.len(), count);
        for d in drawn_a.iter().filter(|d| d.name.ends_with("].probability")) {
            let p: f64 = d.value.parse().unwrap();
            assert!((0.0..=0.3).contains(&p), "{p}");
        }
    }

    #[test]
    fn the_on_fraction_follows_p() {
        let d = doc("[swarm.partition]\np = 0.3\nfor = \"1s\"\n");
        let on = (0..2000)
            .filter(|&seed| draw(&d, seed).unwrap().1[0].value == "1")
            .count();
        // Binomial(2000, 0.3): mean 600, sd 20.5; 4 sd either side.
        assert!((518..=682).contains(&on), "{on}");
    }

    #[test]
    fn bad_ranges_and_keys_name_the_key() {
        let e = |text: &str| read_swarm(&doc(text)).unwrap_err().to_string();
        assert!(
            e("[swarm.loss]\nfor = \"1s\"\nprobability = [0.3, 0.1]\n")
                .contains("`swarm.loss.probability`: the range [0.3, 0.1] has its lower end above")
        );
        assert!(
            e("[swarm.los]\nfor = \"1s\"\n")
                .contains("unknown fault family (did you mean `loss`?)")
        );
        assert!(
            e("[swarm.loss]\nfor = \"1s\"\nprobabilty = 0.1\n")
                .contains("`swarm.loss.probabilty`: unknown key (did you mean `probability`?)")
        );
        assert!(
            e("[swarm.slow]\nfor = \"1s\"\nservers = [1, 9]\n")
                .contains("from 1 to the cluster's 4")
        );
        assert!(e("[swarm.crash]\nmttf = \"5s\"\n").contains("`swarm.crash.mttr`: missing"));
        assert!(e("[swarm.delay]\nextra = \"1ms\"\n").contains("`swarm.delay.for`: missing"));
    }
}
