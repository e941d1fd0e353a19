//! `[checks]`: thresholds that make a run a failure, listed in failures.csv.
//!
//! A check is `min_<metric>` or `max_<metric>` for any numeric runs.csv metric column
//! (`min_availability = 0.999`, `max_lost_in_crash = 0`). For a column in milliseconds
//! (`latency_p99_ms`) the key may drop the `_ms` and take a duration instead
//! (`max_latency_p99 = "250ms"`). Checks compare the values as runs.csv shows them. An
//! empty cell (a latency when nothing succeeded) breaks every `min_` check and no `max_`
//! check: nothing shows the minimum was reached, and nothing exceeded the maximum.
//!
//! `[invariants]` states properties every run must keep, by name: safety (no acknowledged
//! write lost, replicas converge, a single primary per range, stale reads bounded) and
//! liveness (`recovers`: after the
//! last scripted fault ends, availability comes back within a given time). Each is a
//! threshold on a runs.csv column too, so [`Checks::violations`] yields broken invariants
//! and broken checks alike, an invariant under its own name.

use crate::load::keys_in_file_order;
use sim_core::config::{ConfigError, Section, ValueKind, suggestion};
use sim_core::report::liveness::LivenessProbe;
use sim_core::report::{COLUMNS, Column, Unit, format_real};
use sim_core::{RunReport, SimDuration};

/// Which side of the threshold a run must stay on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bound {
    /// The value must be at least the threshold.
    Min,
    /// The value must be at most the threshold.
    Max,
}

/// One threshold.
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    /// The key as written in `[checks]`.
    pub key: String,
    /// The runs.csv column it tests.
    pub metric: &'static str,
    /// The column's position among [`RunReport::column_names`].
    pub column: usize,
    pub bound: Bound,
    /// In the column's unit (milliseconds for `_ms` columns).
    pub threshold: f64,
    /// Whether an empty cell breaks it: a `min_` check's, as nothing shows the minimum
    /// was reached.
    pub empty_breaks: bool,
}

/// A check a run broke.
#[derive(Clone, Debug, PartialEq)]
pub struct Violation {
    pub check: String,
    /// The run's value; `None` when its cell is empty.
    pub value: Option<f64>,
    pub threshold: f64,
}

/// Every threshold of a config, in the order the file lists them: `[checks]`, then
/// `[invariants]`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Checks {
    pub list: Vec<Check>,
    /// What the `recovers` invariant watches for, which the runs measure.
    pub liveness: Option<LivenessProbe>,
}

/// The safety invariants of `[invariants]`: name, column, and what the value means.
/// `true` states the invariant (the column must stay 0), `false` leaves it out.
const SAFETY_INVARIANTS: [(&str, &str, &str); 3] = [
    (
        "no_lost_acked_writes",
        "acked_writes_lost",
        "no acknowledged write is ever lost",
    ),
    (
        "replicas_converge",
        "divergent_keys",
        "every written key's replicas hold one value once the run has settled",
    ),
    (
        "single_primary",
        "split_primary_writes",
        "no range ever has two primaries: no write is coordinated by a server whose term as its primary ended",
    ),
];

/// Every key `[invariants]` accepts.
pub const INVARIANT_KEYS: [&str; 5] = [
    "no_lost_acked_writes",
    "replicas_converge",
    "single_primary",
    "bounded_stale_reads",
    "recovers",
];

/// The keys of `[invariants] recovers`.
const RECOVERS_KEYS: [&str; 3] = ["within", "window", "availability"];

/// The key of a millisecond column as a duration: its name without `_ms`.
fn duration_key(column: &Column) -> Option<&'static str> {
    (column.unit == Unit::Ms)
        .then(|| column.name.strip_suffix("_ms"))
        .flatten()
}

/// Every key `[checks]` accepts, for suggestions: `min_` and `max_` of each numeric
/// declared column, and of each millisecond column's duration key.
pub fn check_names() -> Vec<String> {
    let mut names = Vec::new();
    for column in COLUMNS.iter().filter(|c| c.is_numeric()) {
        for prefix in ["min_", "max_"] {
            names.push(format!("{prefix}{}", column.name));
            if let Some(base) = duration_key(column) {
                names.push(format!("{prefix}{base}"));
            }
        }
    }
    names
}

impl Checks {
    /// Reads the `[checks]` table of a config root, if any.
    pub fn read(root: &Section) -> Result<Checks, ConfigError> {
        let mut checks = match root.table("checks")? {
            Some(sec) => Checks::read_thresholds(&sec)?,
            None => Checks::default(),
        };
        if let Some(sec) = root.table("invariants")? {
            checks.read_invariants(&sec)?;
        }
        Ok(checks)
    }

    /// Reads `[invariants]`, after the checks.
    fn read_invariants(&mut self, sec: &Section) -> Result<(), ConfigError> {
        let column_of = |metric: &str| {
            COLUMNS
                .iter()
                .position(|c| c.name == metric)
                .expect("an invariant's column is declared")
        };
        let mut invariant =
            |key: &str, metric: &'static str, threshold: f64, empty_breaks: bool| {
                self.list.push(Check {
                    key: key.to_string(),
                    metric,
                    column: column_of(metric),
                    bound: Bound::Max,
                    threshold,
                    empty_breaks,
                });
            };
        for key in keys_in_file_order(sec.raw()) {
            if let Some((name, metric, _)) = SAFETY_INVARIANTS.iter().find(|(n, ..)| *n == key) {
                if sec.req::<bool>(name)? {
                    invariant(name, metric, 0.0, false);
                }
            } else if key == "bounded_stale_reads" {
                let bound = sec.probability(&key, None)?;
                invariant("bounded_stale_reads", "stale_read_fraction", bound, false);
            } else if key == "recovers" {
                let Some(r) = sec.table("recovers")? else {
                    unreachable!("the key is present");
                };
                let within: SimDuration = r.req("within")?;
                let window = r.positive_duration("window", Some(SimDuration::from_secs(1)))?;
                let availability = r.probability("availability", None)?;
                r.finish_known(&RECOVERS_KEYS)?;
                invariant("recovers", "recovery_time_s", within.as_secs_f64(), false);
                self.liveness = Some(LivenessProbe {
                    window,
                    availability,
                });
            } else {
                let hint = suggestion(&key, INVARIANT_KEYS.iter().copied());
                let boolean = matches!(sec.raw()[&key].kind, ValueKind::Bool(_));
                return Err(sec.error(
                    &key,
                    format!(
                        "unknown invariant{hint}; [invariants] takes no_lost_acked_writes = true, replicas_converge = true, single_primary = true, bounded_stale_reads = <fraction> and recovers = {{ within, window, availability }}{}",
                        if boolean { "" } else { " (a threshold on another column goes in [checks])" }
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Reads the thresholds of `[checks]`.
    fn read_thresholds(sec: &Section) -> Result<Checks, ConfigError> {
        let columns = RunReport::column_names();
        let column_of = |metric: &str| {
            COLUMNS
                .iter()
                .position(|c| c.name == metric)
                .filter(|&i| COLUMNS[i].is_numeric())
        };
        let duration_column_of =
            |key: &str| COLUMNS.iter().position(|c| duration_key(c) == Some(key));
        let mut list = Vec::new();
        for key in keys_in_file_order(sec.raw()) {
            let parsed = [("min_", Bound::Min), ("max_", Bound::Max)]
                .into_iter()
                .find_map(|(prefix, bound)| key.strip_prefix(prefix).map(|m| (bound, m)));
            let unknown = || {
                let names = check_names();
                let hint = suggestion(&key, names.iter().map(String::as_str));
                sec.error(
                    &key,
                    format!(
                        "unknown check{hint}; a check is min_<metric> or max_<metric> for a numeric runs.csv column, like min_availability, max_lost_in_crash or max_latency_p99 (a duration)"
                    ),
                )
            };
            let Some((bound, metric)) = parsed else {
                return Err(unknown());
            };
            let (column, threshold) = if let Some(column) = column_of(metric) {
                let threshold = if metric == "availability" {
                    sec.probability(&key, None)?
                } else {
                    sec.checked(&key, None, |x: &f64| x.is_finite(), "a finite number")?
                };
                (column, threshold)
            } else if let Some(column) = duration_column_of(metric) {
                let d: SimDuration = sec.req(&key)?;
                (column, d.as_millis_f64())
            } else {
                return Err(unknown());
            };
            let line_of = |key: &str| {
                sec.raw()
                    .get(key)
                    .and_then(|v| v.line)
                    .map_or_else(String::new, |l| format!(" (line {l})"))
            };
            // Two checks of one bound on one column (a duration's key and its `_ms` twin)
            // would leave one of them without effect: refused, naming both keys.
            if let Some(other) = list
                .iter()
                .find(|c: &&Check| c.column == column && c.bound == bound)
            {
                return Err(sec.error(
                    &key,
                    format!(
                        "a second {} check of column {}, after `checks.{}`{}; expected at most one min_ and one max_ check per column",
                        if bound == Bound::Min { "min_" } else { "max_" },
                        columns[column],
                        other.key,
                        line_of(&other.key),
                    ),
                ));
            }
            // A minimum above a maximum of the same column fails every run: refused,
            // naming both keys (a duration's key and its `_ms` twin bound one column).
            if let Some(other) = list.iter().find(|c: &&Check| {
                c.column == column
                    && c.bound != bound
                    && match bound {
                        Bound::Min => threshold > c.threshold,
                        Bound::Max => threshold < c.threshold,
                    }
            }) {
                let line = line_of(&other.key);
                return Err(sec.error(
                    &key,
                    format!(
                        "{} is {} `checks.{}` = {}{line}: no run can pass both",
                        format_real(threshold),
                        if bound == Bound::Min {
                            "above"
                        } else {
                            "below"
                        },
                        other.key,
                        format_real(other.threshold),
                    ),
                ));
            }
            list.push(Check {
                key: key.clone(),
                metric: columns[column],
                column,
                bound,
                threshold,
                empty_breaks: bound == Bound::Min,
            });
        }
        Ok(Checks {
            list,
            liveness: None,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The checks and invariants a run broke, in the order of [`list`](Self::list),
    /// given its metric values (see [`metric_values`](crate::runs_csv::metric_values)).
    pub fn violations(&self, values: &[Option<f64>]) -> Vec<Violation> {
        self.list
            .iter()
            .filter_map(|c| {
                let value = values[c.column];
                let broken = match (c.bound, value) {
                    (_, None) => c.empty_breaks,
                    (Bound::Min, Some(v)) => v < c.threshold,
                    (Bound::Max, Some(v)) => v > c.threshold,
                };
                broken.then(|| Violation {
                    check: c.key.clone(),
                    value,
                    threshold: c.threshold,
                })
            })
            .collect()
    }
}

/// A failure's signature: the sorted set of the checks and invariants it broke, joined by
/// `+` (`no_lost_acked_writes+recovers`); empty for a run that broke none.
pub fn signature(violations: &[Violation]) -> String {
    let names: std::collections::BTreeSet<&str> =
        violations.iter().map(|v| v.check.as_str()).collect();
    names.into_iter().collect::<Vec<_>>().join("+")
}

impl std::fmt::Display for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let op = match self.bound {
            Bound::Min => ">=",
            Bound::Max => "<=",
        };
        write!(
            f,
            "{} ({} {op} {})",
            self.key,
            self.metric,
            format_real(self.threshold)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::parse_document;
    use sim_core::config::Source;

    fn read(text: &str) -> Result<Checks, ConfigError> {
        let doc = parse_document(text, Source::new("c.toml", ".")).unwrap();
        let root = Section::new(&doc.root, "", None, &doc.source);
        Checks::read(&root)
    }

    fn values(pairs: &[(&str, Option<f64>)]) -> Vec<Option<f64>> {
        let names = RunReport::column_names();
        let mut v = vec![None; names.len()];
        for (name, x) in pairs {
            v[names.iter().position(|n| n == name).unwrap()] = *x;
        }
        v
    }

    #[test]
    fn any_numeric_column_can_be_bounded_in_file_order() {
        let checks = read(
            "[checks]\nmax_lost_in_crash = 0\nmin_availability = 0.99\nmax_latency_p99 = \"250ms\"\nmin_goodput = 100\n",
        )
        .unwrap();
        let keys: Vec<&str> = checks.list.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "max_lost_in_crash",
                "min_availability",
                "max_latency_p99",
                "min_goodput"
            ]
        );
        assert_eq!(checks.list[2].metric, "latency_p99_ms");
        assert_eq!(checks.list[2].threshold, 250.0);
        let run = values(&[
            ("lost_in_crash", Some(2.0)),
            ("availability", Some(0.995)),
            ("latency_p99_ms", None),
            ("goodput", Some(99.5)),
        ]);
        let broken: Vec<String> = checks
            .violations(&run)
            .into_iter()
            .map(|v| v.check)
            .collect();
        assert_eq!(broken, ["max_lost_in_crash", "min_goodput"]);
    }

    #[test]
    fn an_empty_value_breaks_min_checks_only() {
        let checks = read("[checks]\nmin_availability = 0.9\nmax_latency_p99_ms = 5\n").unwrap();
        let broken = checks.violations(&values(&[]));
        assert_eq!(broken.len(), 1);
        assert_eq!(broken[0].check, "min_availability");
        assert_eq!(broken[0].value, None);
    }

    #[test]
    fn a_minimum_above_a_maximum_of_one_column_is_refused_naming_both() {
        let e = read("[checks]\nmin_availability = 0.9\nmax_availability = 0.1\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "c.toml:3: `checks.max_availability`: 0.1 is below `checks.min_availability` = 0.9 (line 2): no run can pass both"
        );
        // A duration's key and its `_ms` twin bound the same column.
        let e =
            read("[checks]\nmax_latency_p99_ms = 100\nmin_latency_p99 = \"250ms\"\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "c.toml:3: `checks.min_latency_p99`: 250 is above `checks.max_latency_p99_ms` = 100 (line 2): no run can pass both"
        );
        // Equal bounds pin the value; bounds of different columns never conflict.
        let ok = read(
            "[checks]\nmin_lost_in_crash = 0\nmax_lost_in_crash = 0\nmin_goodput = 5\nmax_retries = 1\n",
        );
        assert_eq!(ok.unwrap().list.len(), 4);
    }

    #[test]
    fn two_checks_of_one_bound_on_one_column_are_refused_naming_both() {
        let e = read("[checks]\nmax_latency_p99_ms = 100\nmin_availability = 0.9\nmax_latency_p99 = \"250ms\"\n")
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "c.toml:4: `checks.max_latency_p99`: a second max_ check of column latency_p99_ms, after `checks.max_latency_p99_ms` (line 2); expected at most one min_ and one max_ check per column"
        );
        // Equal thresholds are refused too: the second key would still be a no-op.
        let e = read("[checks]\nmin_latency_p50 = \"5ms\"\nmin_latency_p50_ms = 5\n").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("c.toml:3: `checks.min_latency_p50_ms`: a second min_ check"),
            "{e}"
        );
    }

    #[test]
    fn invariants_are_checks_under_their_own_names() {
        let checks = read(
            "[checks]\nmin_availability = 0.9\n[invariants]\nno_lost_acked_writes = true\nreplicas_converge = false\nsingle_primary = true\nbounded_stale_reads = 0.01\nrecovers = { within = \"10s\", availability = 0.95 }\n",
        )
        .unwrap();
        let keys: Vec<&str> = checks.list.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "min_availability",
                "no_lost_acked_writes",
                "single_primary",
                "bounded_stale_reads",
                "recovers"
            ]
        );
        assert_eq!(checks.list[2].metric, "split_primary_writes");
        assert_eq!(
            checks.liveness,
            Some(LivenessProbe {
                window: SimDuration::from_secs(1),
                availability: 0.95
            })
        );
        let run = values(&[
            ("availability", Some(0.95)),
            ("acked_writes_lost", Some(3.0)),
            ("stale_read_fraction", None),
            ("recovery_time_s", Some(12.5)),
        ]);
        let broken = checks.violations(&run);
        assert_eq!(signature(&broken), "no_lost_acked_writes+recovers");
        assert_eq!(broken[1].value, Some(12.5));
        assert_eq!(broken[1].threshold, 10.0);
        let split = values(&[
            ("availability", Some(1.0)),
            ("split_primary_writes", Some(2.0)),
        ]);
        assert_eq!(signature(&checks.violations(&split)), "single_primary");
        // Nothing measured breaks no invariant: no reads served, no fault that ended, no
        // writes to coordinate.
        assert!(
            checks
                .violations(&values(&[("availability", Some(1.0))]))
                .is_empty()
        );
    }

    #[test]
    fn unknown_checks_name_the_nearest_one() {
        let e = read("[checks]\n\nmax_lost_in_crsh = 0\n").unwrap_err();
        assert!(
            e.to_string().starts_with(
                "c.toml:3: `checks.max_lost_in_crsh`: unknown check (did you mean `max_lost_in_crash`?)"
            ),
            "{e}"
        );
        let e = read("[checks]\navailability = 0.9\n").unwrap_err();
        assert!(e.to_string().contains("min_availability"), "{e}");
        let e = read("[checks]\nmax_trace_hash = 1\n").unwrap_err();
        assert!(e.to_string().contains("unknown check"), "{e}");
        let e = read("[checks]\nmin_availability = 1.5\n").unwrap_err();
        assert!(e.to_string().contains("a probability"), "{e}");
        let e = read("[checks]\nmax_latency_p99 = 250\n").unwrap_err();
        assert!(e.to_string().contains("a duration"), "{e}");
    }
}
