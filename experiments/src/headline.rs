//! The headline metrics of an experiment: the runs.csv columns its forest plots, its
//! report and its terminal summary of significant differences lead with. A config names
//! them in `[report] headline = [...]`; without one they follow from the strategy families
//! the strategies differ in (the question the experiment asks): availability and p99
//! latency always, then detection time and mistakes for detectors, load imbalance, cache
//! hits and keys moved for routing, attempts, retry peaks and budget denials for retries,
//! stale reads and lost writes for replication, overhead and lost work for checkpoints.
//! The `[report]` table changes no run, so it is left out of the config's fingerprint.

use crate::runs_csv::numeric_columns;
use sim_core::RunReport;
use sim_core::config::{ConfigError, Section, Table, ValueKind, quoted_list, suggestion};
use std::path::Path;

/// The root key of the table.
pub const REPORT_KEY: &str = "report";

/// Metrics every experiment leads with.
const ALWAYS: [&str; 2] = ["availability", "latency_p99_ms"];

/// The metrics that answer each strategy family's question, by family key.
const BY_FAMILY: [(&str, &[&str]); 9] = [
    (
        "detector",
        &["detection_time_mean_ms", "mistake_rate_per_s"],
    ),
    (
        "routing",
        &["load_imbalance", "cache_hit_ratio", "keys_remapped_mean"],
    ),
    (
        "retry",
        &["attempts_per_request", "retries_peak_10ms", "budget_denied"],
    ),
    (
        "retry_budget",
        &["attempts_per_request", "retries_peak_10ms", "budget_denied"],
    ),
    (
        "circuit_breaker",
        &["breaker_fast_fails", "attempts_per_request"],
    ),
    ("checkpoint", &["checkpoint_overhead", "lost_work_s"]),
    (
        "replication",
        &["stale_read_fraction", "acked_writes_lost", "divergent_keys"],
    ),
    ("ordering", &["stale_read_fraction", "divergent_keys"]),
    ("backup", &["acked_writes_lost", "restores_from_backup"]),
];

/// The most headline metrics a config may name.
pub const MAX_HEADLINE: usize = 8;

/// The numeric runs.csv columns, the metrics a headline may name.
fn metric_names() -> Vec<&'static str> {
    RunReport::column_names()
        .into_iter()
        .zip(numeric_columns())
        .filter(|(_, numeric)| *numeric)
        .map(|(name, _)| name)
        .collect()
}

/// Reads and checks the `[report]` table of a config root: its headline metrics, or
/// `None` when the config names none.
pub fn read(root: &Section) -> Result<Option<Vec<String>>, ConfigError> {
    let Some(sec) = root.table(REPORT_KEY)? else {
        return Ok(None);
    };
    let Some(value) = sec.get("headline") else {
        sec.finish_known(&["headline"])?;
        return Ok(None);
    };
    let expected = format!(
        "an array of 1 to {MAX_HEADLINE} numeric runs.csv column names, like [\"availability\", \"latency_p99_ms\"]"
    );
    let ValueKind::Array(items) = &value.kind else {
        return Err(sec.error(
            "headline",
            format!("expected {expected}, got {}", value.type_name()),
        ));
    };
    if items.is_empty() || items.len() > MAX_HEADLINE {
        return Err(sec.error(
            "headline",
            format!("expected {expected}, got {} names", items.len()),
        ));
    }
    let names = metric_names();
    let mut headline: Vec<String> = Vec::new();
    for item in items {
        let ValueKind::Str(name) = &item.kind else {
            return Err(sec.error(
                "headline",
                format!("expected {expected}, got {} in it", item.type_name()),
            ));
        };
        if !names.contains(&name.as_str()) {
            let hint = suggestion(name, names.iter().copied());
            return Err(sec.error(
                "headline",
                format!(
                    "\"{name}\" is not a numeric runs.csv column{hint}; expected one of {}",
                    quoted_list(&names)
                ),
            ));
        }
        if headline.contains(name) {
            return Err(sec.error(
                "headline",
                format!("\"{name}\" is named twice; expected each metric once"),
            ));
        }
        headline.push(name.clone());
    }
    sec.finish_known(&["headline"])?;
    Ok(Some(headline))
}

/// The families the strategies of a config tree differ in, in the registry's order: a
/// family differs when two strategies give it different tables (a missing one is the
/// default), or when a sweep key sets it.
pub fn differing_families(root: &Table) -> Vec<&'static str> {
    let strategies: Vec<&Table> = match root.get("strategies").map(|v| &v.kind) {
        Some(ValueKind::Table(t)) => t
            .values()
            .filter_map(|v| match &v.kind {
                ValueKind::Table(t) => Some(t),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    let swept: Vec<String> = match root.get("sweep").map(|v| &v.kind) {
        Some(ValueKind::Table(t)) => t.keys().cloned().collect(),
        _ => Vec::new(),
    };
    BY_FAMILY
        .iter()
        .map(|(family, _)| *family)
        .filter(|family| {
            let text = |s: &Table| s.get(*family).map(|v| v.to_config_text());
            let differs = strategies.windows(2).any(|w| text(w[0]) != text(w[1]));
            let is_swept = swept.iter().any(|key| {
                key.strip_prefix("strategies.")
                    .and_then(|rest| rest.split_once('.'))
                    .is_some_and(|(_, path)| {
                        path == *family || path.starts_with(&format!("{family}."))
                    })
            });
            differs || is_swept
        })
        .collect()
}

/// The headline metrics of an experiment whose config tree is `root`: the config's own
/// list, or the defaults for the families its strategies differ in. `has` says whether
/// the results hold a value of a metric other than 0; a default without one is left out
/// (a cache hit ratio where no server caches), a named one never.
pub fn headline(root: &Table, has: impl Fn(&str) -> bool) -> Vec<String> {
    let recording = sim_core::config::Source::new("config.toml", ".").recording();
    let section = Section::new(root, "", None, &recording);
    if let Ok(Some(named)) = read(&section) {
        return named;
    }
    let mut out: Vec<String> = ALWAYS.iter().map(|m| m.to_string()).collect();
    for family in differing_families(root) {
        let (_, metrics) = BY_FAMILY
            .iter()
            .find(|(f, _)| *f == family)
            .expect("families come from the table");
        for m in *metrics {
            if !out.iter().any(|o| o == m) && has(m) {
                out.push(m.to_string());
            }
        }
    }
    out
}

/// The headline metrics of results folder `dir`, from its config.toml (the defaults
/// alone for a folder without one).
pub fn of_folder(dir: &Path, has: impl Fn(&str) -> bool) -> Vec<String> {
    match crate::load::read_document(&dir.join(crate::manifest::CONFIG_FILE)) {
        Ok(doc) => headline(&doc.root, has),
        Err(_) => ALWAYS.iter().map(|m| m.to_string()).collect(),
    }
}

/// A paired difference to the baseline whose 95% interval excludes 0.
#[derive(Clone, Debug, PartialEq)]
pub struct Significant {
    pub cell: u32,
    pub strategy: String,
    pub metric: String,
    pub mean: f64,
    pub ci: (f64, f64),
}

/// The headline metrics' significant differences to the first strategy in results folder
/// `dir`, in summary.csv's order (cell, strategy, then the headline's order), read back
/// from its summary.csv.
pub fn significant(dir: &Path) -> Result<(String, Vec<Significant>), String> {
    use crate::plot::data::{DataError, Summary};
    let summary = Summary::read(dir).map_err(|e| match e {
        DataError::Missing(m) | DataError::Malformed(m) => m,
    })?;
    let baseline = summary.strategies.first().cloned().unwrap_or_default();
    let metrics = of_folder(dir, |m| crate::plot::has_nonzero(&summary, m));
    let mut out = Vec::new();
    for cell in &summary.cells {
        for (s, strategy) in summary.strategies.iter().enumerate().skip(1) {
            for metric in &metrics {
                let Some(d) = summary.diff(cell.index, s, metric) else {
                    continue;
                };
                if let (Some(mean), Some((lo, hi))) = (d.mean, d.ci)
                    && crate::plot::data::excludes_zero(d.ci)
                {
                    out.push(Significant {
                        cell: cell.index,
                        strategy: strategy.clone(),
                        metric: metric.clone(),
                        mean,
                        ci: (lo, hi),
                    });
                }
            }
        }
    }
    Ok((baseline, out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::parse_document;
    use sim_core::config::Source;

    fn tree(text: &str) -> Table {
        parse_document(text, Source::new("t.toml", "."))
            .unwrap_or_else(|e| panic!("{e}"))
            .root
    }

    #[test]
    fn defaults_follow_the_families_the_strategies_differ_in() {
        let root = tree(
            r#"
[strategies.a]
retry = { kind = "none" }
[strategies.b]
retry = { kind = "fixed", delay = "1ms", max_attempts = 3 }
detector = { kind = "fixed-timeout", interval = "100ms", timeout = "300ms" }
"#,
        );
        assert_eq!(differing_families(&root), ["detector", "retry"]);
        let all = headline(&root, |_| true);
        assert_eq!(
            all,
            [
                "availability",
                "latency_p99_ms",
                "detection_time_mean_ms",
                "mistake_rate_per_s",
                "attempts_per_request",
                "retries_peak_10ms",
                "budget_denied"
            ]
        );
        let some = headline(&root, |m| m != "budget_denied");
        assert!(!some.iter().any(|m| m == "budget_denied"));
    }

    #[test]
    fn a_swept_family_differs_and_a_named_headline_wins() {
        let root = tree(
            r#"
[strategies.a]
[sweep]
"strategies.a.routing.vnodes" = [10, 100]
"#,
        );
        assert_eq!(differing_families(&root), ["routing"]);
        let named = tree(
            r#"
[report]
headline = ["goodput", "availability"]
[strategies.a]
"#,
        );
        assert_eq!(headline(&named, |_| false), ["goodput", "availability"]);
    }
}
