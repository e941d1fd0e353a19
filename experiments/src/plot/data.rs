//! Reading a results folder's tables back for plotting: summary.csv (required), runs.csv
//! (for the strips, where replications are few),
//! latency_cdf.csv, timeline.csv and timeline_spans.csv (each optional). A table that is
//! present but malformed is an error naming the file, the line and what was expected.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Why a table could not be read.
#[derive(Debug)]
pub enum DataError {
    /// The folder or summary.csv is missing.
    Missing(String),
    /// A table is not what faultline writes.
    Malformed(String),
}

fn malformed(path: &Path, line: Option<u64>, what: impl std::fmt::Display) -> DataError {
    match line {
        Some(l) => DataError::Malformed(format!("{}: line {l}: {what}", path.display())),
        None => DataError::Malformed(format!("{}: {what}", path.display())),
    }
}

/// A CSV table with its header, read whole (results tables of a folder are small next to
/// the runs that made them; runs.csv is read only where replications are few, for the
/// strips).
struct Csv {
    path: PathBuf,
    header: Vec<String>,
    rows: Vec<(u64, csv::StringRecord)>,
}

impl Csv {
    fn read(path: &Path, required: &[&str]) -> Result<Csv, DataError> {
        let mut reader = csv::Reader::from_path(path).map_err(|e| malformed(path, None, e))?;
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| malformed(path, Some(1), e))?
            .iter()
            .map(str::to_string)
            .collect();
        for column in required {
            if !header.iter().any(|h| h == column) {
                return Err(malformed(
                    path,
                    Some(1),
                    format!(
                        "expected a column `{column}` in the header (is this a table written by faultline?)"
                    ),
                ));
            }
        }
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| {
                let line = e.position().map(|p| p.line());
                malformed(path, line, e)
            })?;
            let line = record.position().map_or(0, |p| p.line());
            rows.push((line, record));
        }
        Ok(Csv {
            path: path.to_path_buf(),
            header,
            rows,
        })
    }

    fn column(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|h| h == name)
            .expect("required columns are checked on reading")
    }

    /// A number, or `None` for an empty cell.
    fn number(
        &self,
        line: u64,
        record: &csv::StringRecord,
        column: usize,
    ) -> Result<Option<f64>, DataError> {
        let text = record.get(column).unwrap_or("");
        if text.is_empty() {
            return Ok(None);
        }
        text.parse::<f64>().map(Some).map_err(|_| {
            malformed(
                &self.path,
                Some(line),
                format!("`{}`: expected a number, got {text:?}", self.header[column]),
            )
        })
    }

    fn integer(
        &self,
        line: u64,
        record: &csv::StringRecord,
        column: usize,
    ) -> Result<u64, DataError> {
        let text = record.get(column).unwrap_or("");
        text.parse::<u64>().map_err(|_| {
            malformed(
                &self.path,
                Some(line),
                format!(
                    "`{}`: expected a whole number, got {text:?}",
                    self.header[column]
                ),
            )
        })
    }
}

/// Whether an interval excludes 0: a difference significant at its level.
pub fn excludes_zero(ci: Option<(f64, f64)>) -> bool {
    ci.is_some_and(|(lo, hi)| lo > 0.0 || hi < 0.0)
}

/// A metric's statistics for one (cell, strategy).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stat {
    pub n: u64,
    pub mean: Option<f64>,
    pub ci: Option<(f64, f64)>,
}

/// A sweep cell: its index and the text of its value of each sweep key.
#[derive(Clone, Debug, PartialEq)]
pub struct CellInfo {
    pub index: u32,
    pub values: Vec<String>,
}

/// summary.csv.
#[derive(Debug)]
pub struct Summary {
    pub sweep_keys: Vec<String>,
    /// In cell order.
    pub cells: Vec<CellInfo>,
    /// In the config's order (first appearance).
    pub strategies: Vec<String>,
    /// The experiment's name, from experiment.csv (absent in folders written before it).
    pub experiment: Option<String>,
    /// Each (cell, strategy name)'s detector as config text, from experiment.csv.
    pub detectors: BTreeMap<(u32, String), String>,
    /// Each sweep key's values by their short labels (see [`super::category_labels`]),
    /// worked out once for the figures' ticks, panel titles and rows.
    value_labels: Vec<BTreeMap<String, String>>,
    stats: BTreeMap<(u32, usize, String), Stat>,
    /// Each (cell, strategy, metric)'s paired difference to the first strategy (none on
    /// the first strategy's own rows, nor in a folder whose summary.csv predates them).
    diffs: BTreeMap<(u32, usize, String), Stat>,
}

impl Summary {
    pub fn read(dir: &Path) -> Result<Summary, DataError> {
        if !dir.is_dir() {
            return Err(DataError::Missing(format!(
                "{}: no such folder; expected a results folder written by `faultline run`",
                dir.display()
            )));
        }
        let path = dir.join("summary.csv");
        if !path.is_file() {
            return Err(DataError::Missing(format!(
                "{}: not found; `faultline plot` draws from the summary.csv of a results folder written by `faultline run`",
                path.display()
            )));
        }
        let table = Csv::read(
            &path,
            &[
                "cell",
                "strategy",
                "metric",
                "n",
                "mean",
                "ci95_low",
                "ci95_high",
            ],
        )?;
        let (cell_c, strategy_c, metric_c) = (
            table.column("cell"),
            table.column("strategy"),
            table.column("metric"),
        );
        if cell_c != 0 || strategy_c <= cell_c {
            return Err(malformed(
                &path,
                Some(1),
                "expected `cell`, the sweep keys, then `strategy`",
            ));
        }
        let sweep_keys = table.header[1..strategy_c].to_vec();
        let (n_c, mean_c, lo_c, hi_c) = (
            table.column("n"),
            table.column("mean"),
            table.column("ci95_low"),
            table.column("ci95_high"),
        );
        let mut cells: BTreeMap<u32, CellInfo> = BTreeMap::new();
        let mut strategies: Vec<String> = Vec::new();
        let mut stats = BTreeMap::new();
        let mut diffs = BTreeMap::new();
        let diff_columns = ["diff_n", "diff_mean", "diff_ci95_low", "diff_ci95_high"]
            .map(|c| table.header.iter().position(|h| h == c));
        for (line, record) in &table.rows {
            let line = *line;
            let cell = table.integer(line, record, cell_c)? as u32;
            let values: Vec<String> = (1..strategy_c)
                .map(|c| record.get(c).unwrap_or("").to_string())
                .collect();
            match cells.get(&cell) {
                Some(known) if known.values != values => {
                    return Err(malformed(
                        &path,
                        Some(line),
                        format!("cell {cell} has other sweep values than on an earlier line"),
                    ));
                }
                Some(_) => {}
                None => {
                    cells.insert(
                        cell,
                        CellInfo {
                            index: cell,
                            values,
                        },
                    );
                }
            }
            let strategy = record.get(strategy_c).unwrap_or("").to_string();
            let s = match strategies.iter().position(|x| *x == strategy) {
                Some(s) => s,
                None => {
                    strategies.push(strategy);
                    strategies.len() - 1
                }
            };
            let metric = record.get(metric_c).unwrap_or("").to_string();
            let lo = table.number(line, record, lo_c)?;
            let hi = table.number(line, record, hi_c)?;
            if let [Some(dn), Some(dm), Some(dlo), Some(dhi)] = diff_columns
                && !record.get(dn).unwrap_or("").is_empty()
            {
                let lo = table.number(line, record, dlo)?;
                let hi = table.number(line, record, dhi)?;
                diffs.insert(
                    (cell, s, metric.clone()),
                    Stat {
                        n: table.integer(line, record, dn)?,
                        mean: table.number(line, record, dm)?,
                        ci: lo.zip(hi),
                    },
                );
            }
            stats.insert(
                (cell, s, metric),
                Stat {
                    n: table.integer(line, record, n_c)?,
                    mean: table.number(line, record, mean_c)?,
                    ci: lo.zip(hi),
                },
            );
        }
        if stats.is_empty() {
            return Err(malformed(
                &path,
                None,
                "has no rows: the run wrote no statistics",
            ));
        }
        let (experiment, detectors) = read_experiment(dir)?;
        let cells: Vec<CellInfo> = cells.into_values().collect();
        let value_labels = (0..sweep_keys.len())
            .map(|k| {
                let mut values: Vec<String> = Vec::new();
                for c in &cells {
                    if !values.contains(&c.values[k]) {
                        values.push(c.values[k].clone());
                    }
                }
                let labels = super::category_labels(&values);
                values.into_iter().zip(labels).collect()
            })
            .collect();
        Ok(Summary {
            sweep_keys,
            cells,
            strategies,
            experiment,
            detectors,
            stats,
            diffs,
            value_labels,
        })
    }

    pub fn stat(&self, cell: u32, strategy: usize, metric: &str) -> Option<&Stat> {
        self.stats.get(&(cell, strategy, metric.to_string()))
    }

    /// Sweep key `k`'s value `value` as a short label: an inline table by what tells it
    /// apart from the key's other values, anything else as it is.
    pub fn value_label<'s>(&'s self, k: usize, value: &'s str) -> &'s str {
        self.value_labels
            .get(k)
            .and_then(|labels| labels.get(value))
            .map_or(value, String::as_str)
    }

    /// The paired difference of `strategy` to the first strategy in `cell` for `metric`.
    pub fn diff(&self, cell: u32, strategy: usize, metric: &str) -> Option<&Stat> {
        self.diffs.get(&(cell, strategy, metric.to_string()))
    }

    /// Whether any (cell, strategy) has a mean of `metric`.
    pub fn has(&self, metric: &str) -> bool {
        self.stats
            .iter()
            .any(|((_, _, m), s)| m == metric && s.mean.is_some())
    }
}

/// Each run's value of a few runs.csv columns, by (cell, strategy, column), for the strips
/// beside the means (read only where replications are few).
#[derive(Debug, Default)]
pub struct RunValues {
    values: BTreeMap<(u32, usize, String), Vec<f64>>,
}

impl RunValues {
    /// Reads `columns` of the folder's runs.csv; `None` without runs.csv. A column runs.csv
    /// lacks is left out; `strategies` gives each strategy name its index.
    pub fn read(
        dir: &Path,
        columns: &[&str],
        strategies: &[String],
    ) -> Result<Option<RunValues>, DataError> {
        let path = dir.join("runs.csv");
        if !path.is_file() {
            return Ok(None);
        }
        let table = Csv::read(&path, &["cell", "strategy"])?;
        let (cell_c, strategy_c) = (table.column("cell"), table.column("strategy"));
        let present: Vec<(usize, &str)> = columns
            .iter()
            .filter_map(|c| table.header.iter().position(|h| h == c).map(|i| (i, *c)))
            .collect();
        let mut values: BTreeMap<(u32, usize, String), Vec<f64>> = BTreeMap::new();
        for (line, record) in &table.rows {
            let cell = table.integer(*line, record, cell_c)? as u32;
            let name = record.get(strategy_c).unwrap_or("");
            let Some(s) = strategies.iter().position(|x| x == name) else {
                return Err(malformed(
                    &path,
                    Some(*line),
                    format!("strategy {name:?} is not in summary.csv"),
                ));
            };
            for &(i, column) in &present {
                if let Some(v) = table.number(*line, record, i)? {
                    values
                        .entry((cell, s, column.to_string()))
                        .or_default()
                        .push(v);
                }
            }
        }
        Ok(Some(RunValues { values }))
    }

    /// The runs' values of `column` for (cell, strategy), in runs.csv's order.
    pub fn values(&self, cell: u32, strategy: usize, column: &str) -> Vec<f64> {
        self.values
            .get(&(cell, strategy, column.to_string()))
            .cloned()
            .unwrap_or_default()
    }
}

/// experiment.csv, if the folder has one: the experiment's name (the same on every row)
/// and each (cell, strategy)'s detector.
type ExperimentTable = (Option<String>, BTreeMap<(u32, String), String>);

fn read_experiment(dir: &Path) -> Result<ExperimentTable, DataError> {
    let path = dir.join(crate::summary::EXPERIMENT_FILE);
    if !path.is_file() {
        return Ok((None, BTreeMap::new()));
    }
    let table = Csv::read(&path, &crate::summary::EXPERIMENT_COLUMNS)?;
    let [name_c, cell_c, strategy_c, detector_c] =
        crate::summary::EXPERIMENT_COLUMNS.map(|c| table.column(c));
    let mut name: Option<String> = None;
    let mut detectors = BTreeMap::new();
    for (line, record) in &table.rows {
        let text = |c: usize| record.get(c).unwrap_or("").to_string();
        match &name {
            Some(known) if *known != text(name_c) => {
                return Err(malformed(
                    &path,
                    Some(*line),
                    format!(
                        "`name`: expected the experiment's name {known:?} on every row, got {:?}",
                        text(name_c)
                    ),
                ));
            }
            Some(_) => {}
            None => name = Some(text(name_c)),
        }
        let cell = table.integer(*line, record, cell_c)? as u32;
        detectors.insert((cell, text(strategy_c)), text(detector_c));
    }
    if name.is_none() {
        return Err(malformed(
            &path,
            None,
            "has no rows: expected a row per cell and strategy",
        ));
    }
    Ok((name, detectors))
}

/// A pooled latency distribution: (quantile, latency ms) in file order, and the
/// requests pooled.
pub type Curve = (Vec<(f64, f64)>, u64);

/// latency_cdf.csv: per (cell, strategy), the pooled latency quantiles.
#[derive(Debug, Default)]
pub struct LatencyCdf {
    /// By (cell, strategy name).
    pub curves: BTreeMap<(u32, String), Curve>,
}

impl LatencyCdf {
    /// Reads the file if the folder has one.
    pub fn read(dir: &Path) -> Result<Option<LatencyCdf>, DataError> {
        let path = dir.join(crate::latency_cdf::FILE);
        if !path.is_file() {
            return Ok(None);
        }
        let table = Csv::read(&path, &["cell", "strategy", "quantile", "latency_ms", "n"])?;
        let (cell_c, strategy_c, q_c, ms_c, n_c) = (
            table.column("cell"),
            table.column("strategy"),
            table.column("quantile"),
            table.column("latency_ms"),
            table.column("n"),
        );
        let mut curves: BTreeMap<(u32, String), Curve> = BTreeMap::new();
        for (line, record) in &table.rows {
            let line = *line;
            let cell = table.integer(line, record, cell_c)? as u32;
            let strategy = record.get(strategy_c).unwrap_or("").to_string();
            let need = |v: Option<f64>, what: &str| {
                v.ok_or_else(|| malformed(&path, Some(line), format!("`{what}` is empty")))
            };
            let q = need(table.number(line, record, q_c)?, "quantile")?;
            let ms = need(table.number(line, record, ms_c)?, "latency_ms")?;
            let n = table.integer(line, record, n_c)?;
            let entry = curves.entry((cell, strategy)).or_default();
            entry.0.push((q, ms));
            entry.1 = n;
        }
        Ok(Some(LatencyCdf { curves }))
    }
}

/// One row of timeline.csv.
#[derive(Clone, Debug)]
pub struct TimelineRow {
    pub time_s: f64,
    pub window_s: f64,
    pub goodput: f64,
    pub failed_per_s: f64,
    pub latency_mean_ms: Option<f64>,
    pub latency_p99_ms: Option<f64>,
}

/// One row of timeline_spans.csv.
#[derive(Clone, Debug)]
pub struct SpanRow {
    pub kind: String,
    pub server: Option<u32>,
    pub from_s: f64,
    pub until_s: f64,
    pub detail: String,
}

/// A run's timeline tables.
#[derive(Debug)]
pub struct TimelineData {
    pub run_id: String,
    pub rows: Vec<TimelineRow>,
    pub spans: Vec<SpanRow>,
}

impl TimelineData {
    /// Reads timeline.csv and timeline_spans.csv if the folder has them.
    pub fn read(dir: &Path) -> Result<Option<TimelineData>, DataError> {
        use crate::timeline::{SPANS_FILE, WINDOWS_FILE};
        let (wpath, spath) = (dir.join(WINDOWS_FILE), dir.join(SPANS_FILE));
        if !wpath.is_file() || !spath.is_file() {
            return Ok(None);
        }
        let windows = Csv::read(&wpath, &crate::timeline::WINDOW_COLUMNS)?;
        let c = |name: &str| windows.column(name);
        let mut rows = Vec::new();
        let mut run_id = String::new();
        for (line, record) in &windows.rows {
            let line = *line;
            let num = |name: &str| -> Result<f64, DataError> {
                windows
                    .number(line, record, c(name))?
                    .ok_or_else(|| malformed(&wpath, Some(line), format!("`{name}` is empty")))
            };
            run_id = record.get(c("run_id")).unwrap_or("").to_string();
            rows.push(TimelineRow {
                time_s: num("time_s")?,
                window_s: num("window_s")?,
                goodput: num("goodput")?,
                failed_per_s: num("failed_per_s")?,
                latency_mean_ms: windows.number(line, record, c("latency_mean_ms"))?,
                latency_p99_ms: windows.number(line, record, c("latency_p99_ms"))?,
            });
        }
        let table = Csv::read(&spath, &crate::timeline::SPAN_COLUMNS)?;
        let c = |name: &str| table.column(name);
        let mut spans = Vec::new();
        for (line, record) in &table.rows {
            let line = *line;
            let server = match record.get(c("server")).unwrap_or("") {
                "" => None,
                _ => Some(table.integer(line, record, c("server"))? as u32),
            };
            let num = |name: &str| -> Result<f64, DataError> {
                table
                    .number(line, record, c(name))?
                    .ok_or_else(|| malformed(&spath, Some(line), format!("`{name}` is empty")))
            };
            spans.push(SpanRow {
                kind: record.get(c("kind")).unwrap_or("").to_string(),
                server,
                from_s: num("from_s")?,
                until_s: num("until_s")?,
                detail: record.get(c("detail")).unwrap_or("").to_string(),
            });
        }
        Ok(Some(TimelineData {
            run_id,
            rows,
            spans,
        }))
    }
}
