//! `[checks]`: thresholds that make a run a failure, listed in failures.csv.
//!
//! A check is `min_<metric>` or `max_<metric>` for any numeric runs.csv metric column
//! (`min_availability = 0.999`, `max_lost_in_crash = 0`). For a column in milliseconds
//! (`latency_p99_ms`) the key may drop the `_ms` and take a duration instead
//! (`max_latency_p99 = "250ms"`). Checks compare the values as runs.csv shows them. An
//! empty cell (a latency when nothing succeeded) breaks every `min_` check and no `max_`
//! check: nothing shows the minimum was reached, and nothing exceeded the maximum.

use crate::load::keys_in_file_order;
use sim_core::config::{ConfigError, Section, suggestion};
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
}

/// A check a run broke.
#[derive(Clone, Debug, PartialEq)]
pub struct Violation {
    pub check: String,
    /// The run's value; `None` when its cell is empty.
    pub value: Option<f64>,
    pub threshold: f64,
}

/// Every threshold of a config, in the order the file lists them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Checks {
    pub list: Vec<Check>,
}

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
        let Some(sec) = root.table("checks")? else {
            return Ok(Checks::default());
        };
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
            });
        }
        Ok(Checks { list })
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The checks a run broke, given its metric values (see
    /// [`metric_values`](crate::runs_csv::metric_values)).
    pub fn violations(&self, values: &[Option<f64>]) -> Vec<Violation> {
        self.list
            .iter()
            .filter_map(|c| {
                let value = values[c.column];
                let broken = match (c.bound, value) {
                    (Bound::Min, None) => true,
                    (Bound::Max, None) => false,
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
