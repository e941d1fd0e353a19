//! summary.csv: per (cell, strategy, metric) the number of runs, mean, standard deviation
//! and a 95% confidence interval of the mean that stays inside the metric's range (see
//! [`mean_ci95`]), and the paired difference to the first strategy with its own 95%
//! Student-t interval.
//!
//! Runs of one cell and replication share their seed, so a strategy's value minus the first
//! strategy's value in the same replication is a paired difference: common random numbers
//! cancel, and the interval of the mean difference is far narrower than the difference of
//! two independent intervals. The accumulator takes runs in run order (cell, replication,
//! strategy) and holds one running mean and variance per (strategy, metric) plus the first
//! strategy's values of the current replication: its size does not depend on the number of
//! runs, and a cell's rows are written as soon as its last run arrives.

use crate::config::{Experiment, RunKey};
use crate::output::{AtomicCsv, commit_csv, create_csv};
use crate::runs_csv::numeric_columns;
use sim_core::RunReport;
use sim_core::engine::math::student_t_quantile;
use sim_core::report::{COLUMNS, Unit, format_real};
use std::io;
use std::path::{Path, PathBuf};

/// Count, mean and sum of squared deviations, updated one value at a time (Welford):
/// numerically stable, and the same bits for the same values in the same order.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Moments {
    pub n: u64,
    mean: f64,
    m2: f64,
}

impl Moments {
    pub fn add(&mut self, x: f64) {
        self.n += 1;
        let delta = x - self.mean;
        self.mean += delta / self.n as f64;
        self.m2 += delta * (x - self.mean);
    }

    pub fn mean(&self) -> Option<f64> {
        (self.n > 0).then_some(self.mean)
    }

    /// The sample standard deviation (n - 1 in the denominator).
    pub fn sd(&self) -> Option<f64> {
        (self.n > 1).then(|| (self.m2 / (self.n - 1) as f64).sqrt())
    }

    /// The two-sided 95% Student-t interval of the mean: mean ± t(0.975, n-1) sd / √n.
    /// Unbounded in both directions: right for differences, not for a metric with a range
    /// (see [`mean_ci95`]).
    pub fn ci95(&self) -> Option<(f64, f64)> {
        let half = self.t_half()?;
        Some((self.mean - half, self.mean + half))
    }

    /// t(0.975, n-1) sd / √n.
    fn t_half(&self) -> Option<f64> {
        let sd = self.sd()?;
        Some(t975(self.n - 1) * sd / (self.n as f64).sqrt())
    }
}

/// The values a metric takes, which decide its confidence interval.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Range {
    /// A fraction in [0, 1].
    Fraction,
    /// A count, a time, a rate or a ratio of counts: never negative.
    NonNegative,
}

/// The range of a runs.csv metric, from its declared unit: the columns in
/// [`Unit::Fraction`] lie in [0, 1]; every other numeric column is a count, a time, a rate
/// or a ratio of non-negative numbers.
pub fn metric_range(metric: &str) -> Range {
    match COLUMNS.iter().find(|c| c.name == metric) {
        Some(c) if c.unit == Unit::Fraction => Range::Fraction,
        _ => Range::NonNegative,
    }
}

/// The metric columns that are fractions in [0, 1], in runs.csv order.
pub fn fraction_columns() -> Vec<&'static str> {
    COLUMNS
        .iter()
        .filter(|c| c.unit == Unit::Fraction)
        .map(|c| c.name)
        .collect()
}

/// z(0.975), for the Wilson bound.
const Z975: f64 = 1.959_963_984_540_054;

/// The 95% confidence interval of a metric's mean over runs, inside the metric's range.
/// With m the mean and se = sd / √n its standard error, t = t(0.975, n-1):
///
/// - a fraction with 0 < m < 1: the logit-transformed interval, logistic(logit(m) ± t se /
///   (m (1 - m))), strictly inside (0, 1);
/// - a fraction whose every run is 1 (or 0): the mean is at least the probability that a
///   run gives 1, so the Wilson lower bound of n runs all giving 1, n / (n + z²), bounds
///   it below: [n / (n + z²), 1] (and [0, z² / (n + z²)] for all 0);
/// - a non-negative quantity with m > 0: the log-transformed interval, m e^(± t se / m),
///   strictly above 0;
/// - runs that all gave the same value otherwise (sd = 0): [m, m], as the t interval;
/// - a mean outside its range, which faultline's metrics never have: the t interval.
///
/// Both transformed intervals contain the mean and approach the t interval when se is
/// small next to the distance to the range's edge. `None` for fewer than two runs.
pub fn mean_ci95(stats: &Moments, range: Range) -> Option<(f64, f64)> {
    let half = stats.t_half()?;
    let m = stats.mean;
    let n = stats.n as f64;
    let z2 = Z975 * Z975;
    match range {
        Range::Fraction if half == 0.0 && m == 1.0 => Some((n / (n + z2), 1.0)),
        Range::Fraction if half == 0.0 && m == 0.0 => Some((0.0, z2 / (n + z2))),
        _ if half == 0.0 => Some((m, m)),
        Range::Fraction if m > 0.0 && m < 1.0 => {
            let logit = (m / (1.0 - m)).ln();
            let h = half / (m * (1.0 - m));
            let logistic = |y: f64| 1.0 / (1.0 + (-y).exp());
            Some((logistic(logit - h), logistic(logit + h)))
        }
        Range::NonNegative if m > 0.0 => {
            let h = half / m;
            Some((m * (-h).exp(), m * h.exp()))
        }
        _ => stats.ci95(),
    }
}

/// Student's t 97.5% quantile for `df` degrees of freedom, remembered per thread: a
/// summary asks for the same few values thousands of times. At most 1024 are kept.
fn t975(df: u64) -> f64 {
    thread_local! {
        static KNOWN: std::cell::RefCell<std::collections::BTreeMap<u64, f64>> =
            const { std::cell::RefCell::new(std::collections::BTreeMap::new()) };
    }
    KNOWN.with(|known| {
        let mut known = known.borrow_mut();
        if let Some(&t) = known.get(&df) {
            return t;
        }
        if known.len() >= 1024 {
            known.clear();
        }
        let t = student_t_quantile(0.975, df as f64);
        known.insert(df, t);
        t
    })
}

/// One row of summary.csv, before formatting.
#[derive(Clone, Debug, PartialEq)]
pub struct SummaryRow {
    pub cell: u32,
    pub strategy: u32,
    pub metric: &'static str,
    pub stats: Moments,
    /// This strategy minus the first, paired by replication; `None` for the first.
    pub diff: Option<Moments>,
}

impl SummaryRow {
    /// The 95% confidence interval of the mean, inside the metric's range ([`mean_ci95`]).
    pub fn ci95(&self) -> Option<(f64, f64)> {
        mean_ci95(&self.stats, metric_range(self.metric))
    }
}

/// Running statistics of the cell in progress.
pub struct SummaryAccumulator {
    strategies: usize,
    replications: u32,
    /// Positions and names of the numeric metric columns.
    metrics: Vec<(usize, &'static str)>,
    /// Per strategy, then per metric.
    stats: Vec<Moments>,
    diffs: Vec<Moments>,
    /// The first strategy's values in the current replication, per metric.
    baseline: Vec<Option<f64>>,
    /// The run expected next, to enforce run order.
    expected: RunKey,
    runs_per_cell: u64,
    seen_in_cell: u64,
}

impl SummaryAccumulator {
    pub fn new(exp: &Experiment) -> SummaryAccumulator {
        let metrics: Vec<(usize, &'static str)> = RunReport::column_names()
            .into_iter()
            .zip(numeric_columns())
            .enumerate()
            .filter(|(_, (_, numeric))| *numeric)
            .map(|(i, (name, _))| (i, name))
            .collect();
        let strategies = exp.strategy_names.len();
        let slots = strategies * metrics.len();
        SummaryAccumulator {
            strategies,
            replications: exp.replications,
            stats: vec![Moments::default(); slots],
            diffs: vec![Moments::default(); slots],
            baseline: vec![None; metrics.len()],
            metrics,
            expected: exp.run_key(0),
            runs_per_cell: strategies as u64 * u64::from(exp.replications),
            seen_in_cell: 0,
        }
    }

    /// The numbers held, whatever the number of runs: running moments per (strategy,
    /// metric) twice, and one baseline value per metric.
    pub fn state_len(&self) -> usize {
        self.stats.len() + self.diffs.len() + self.baseline.len()
    }

    /// Adds a run's metric values (as from
    /// [`metric_values`](crate::runs_csv::metric_values)); runs must come in run order.
    /// Returns the rows of the cell when this was its last run.
    pub fn add(&mut self, key: RunKey, values: &[Option<f64>]) -> Option<Vec<SummaryRow>> {
        assert_eq!(
            key, self.expected,
            "summary statistics take runs in run order"
        );
        let m = self.metrics.len();
        let s = key.strategy as usize;
        for (slot, &(column, _)) in self.metrics.iter().enumerate() {
            let value = values[column];
            if let Some(x) = value {
                self.stats[s * m + slot].add(x);
            }
            if s == 0 {
                self.baseline[slot] = value;
            } else if let (Some(x), Some(base)) = (value, self.baseline[slot]) {
                self.diffs[s * m + slot].add(x - base);
            }
        }
        self.seen_in_cell += 1;
        self.expected = next_key(key, self.strategies as u32, self.replications);
        if self.seen_in_cell < self.runs_per_cell {
            return None;
        }
        self.seen_in_cell = 0;
        let mut rows = Vec::with_capacity(self.strategies * m);
        for strategy in 0..self.strategies {
            for (slot, &(_, metric)) in self.metrics.iter().enumerate() {
                let i = strategy * m + slot;
                rows.push(SummaryRow {
                    cell: key.cell,
                    strategy: strategy as u32,
                    metric,
                    stats: std::mem::take(&mut self.stats[i]),
                    diff: (strategy > 0).then(|| std::mem::take(&mut self.diffs[i])),
                });
            }
        }
        Some(rows)
    }
}

fn next_key(key: RunKey, strategies: u32, replications: u32) -> RunKey {
    if key.strategy + 1 < strategies {
        RunKey {
            strategy: key.strategy + 1,
            ..key
        }
    } else if key.replication + 1 < replications {
        RunKey {
            strategy: 0,
            replication: key.replication + 1,
            ..key
        }
    } else {
        RunKey {
            cell: key.cell + 1,
            strategy: 0,
            replication: 0,
        }
    }
}

/// The header of summary.csv.
pub fn header(exp: &Experiment) -> Vec<String> {
    let mut h = vec!["cell".to_string()];
    h.extend(exp.sweep.iter().map(|a| a.key.clone()));
    h.extend(
        [
            "strategy",
            "metric",
            "n",
            "mean",
            "sd",
            "ci95_low",
            "ci95_high",
            "diff_vs",
            "diff_n",
            "diff_mean",
            "diff_sd",
            "diff_ci95_low",
            "diff_ci95_high",
        ]
        .map(String::from),
    );
    h
}

fn real(x: Option<f64>) -> String {
    x.map(format_real).unwrap_or_default()
}

/// The cells of one row.
pub fn row_cells(exp: &Experiment, row: &SummaryRow) -> Vec<String> {
    let mut cells = vec![row.cell.to_string()];
    cells.extend(
        exp.cells[row.cell as usize]
            .values
            .iter()
            .map(|v| v.to_cell_text()),
    );
    let ci = row.ci95();
    cells.extend([
        exp.strategy_names[row.strategy as usize].clone(),
        row.metric.to_string(),
        row.stats.n.to_string(),
        real(row.stats.mean()),
        real(row.stats.sd()),
        real(ci.map(|c| c.0)),
        real(ci.map(|c| c.1)),
    ]);
    match &row.diff {
        None => cells.extend(std::iter::repeat_n(String::new(), 6)),
        Some(d) => {
            let ci = d.ci95();
            cells.extend([
                exp.strategy_names[0].clone(),
                d.n.to_string(),
                real(d.mean()),
                real(d.sd()),
                real(ci.map(|c| c.0)),
                real(ci.map(|c| c.1)),
            ]);
        }
    }
    cells
}

/// experiment.csv, beside summary.csv: a row per (cell, strategy) with the experiment's
/// name and the strategy's detector as config text, so that figures drawn from the tables
/// alone are titled by the config (not by the folder they sit in) and know which
/// strategies share a detector.
pub const EXPERIMENT_FILE: &str = "experiment.csv";

/// The header of experiment.csv.
pub const EXPERIMENT_COLUMNS: [&str; 4] = ["name", "cell", "strategy", "detector"];

/// summary.csv being written, and experiment.csv with it.
pub struct SummaryCsv {
    writer: AtomicCsv,
    /// experiment.csv's path and rows, written whole when summary.csv is committed, so
    /// that a killed run leaves no temporary file of it.
    experiment: (PathBuf, Vec<[String; 4]>),
    accumulator: SummaryAccumulator,
}

impl SummaryCsv {
    pub fn create(path: &Path, exp: &Experiment) -> io::Result<SummaryCsv> {
        let mut writer = create_csv(path)?;
        writer.write_record(header(exp))?;
        let experiment = path.with_file_name(EXPERIMENT_FILE);
        let mut rows = Vec::new();
        for cell in &exp.cells {
            for strategy in &cell.strategies {
                rows.push([
                    exp.name.clone(),
                    cell.index.to_string(),
                    strategy.name.clone(),
                    strategy.detector.describe(),
                ]);
            }
        }
        Ok(SummaryCsv {
            writer,
            experiment: (experiment, rows),
            accumulator: SummaryAccumulator::new(exp),
        })
    }

    /// Adds a run; writes its cell's rows when the cell is complete, and returns them.
    pub fn add(
        &mut self,
        exp: &Experiment,
        key: RunKey,
        values: &[Option<f64>],
    ) -> io::Result<Option<Vec<SummaryRow>>> {
        let rows = self.accumulator.add(key, values);
        for row in rows.iter().flatten() {
            self.writer.write_record(row_cells(exp, row))?;
        }
        Ok(rows)
    }

    pub fn commit(self) -> io::Result<()> {
        commit_csv(self.writer)?;
        let (path, rows) = self.experiment;
        let mut experiment = create_csv(&path)?;
        experiment.write_record(EXPERIMENT_COLUMNS)?;
        for row in rows {
            experiment.write_record(row)?;
        }
        commit_csv(experiment)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_match_the_two_pass_formulas() {
        let xs = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
        let mut m = Moments::default();
        xs.iter().for_each(|&x| m.add(x));
        assert_eq!(m.mean(), Some(5.0));
        // Sum of squared deviations 32 over 7.
        assert!((m.sd().unwrap() - (32.0f64 / 7.0).sqrt()).abs() < 1e-12);
        let (lo, hi) = m.ci95().unwrap();
        // t(0.975, 7) = 2.364624.
        let half = 2.364_624 * (32.0f64 / 7.0).sqrt() / 8f64.sqrt();
        assert!((hi - 5.0 - half).abs() < 1e-5 && (5.0 - lo - half).abs() < 1e-5);
    }

    #[test]
    fn one_value_has_a_mean_but_no_interval() {
        let mut m = Moments::default();
        m.add(3.0);
        assert_eq!((m.mean(), m.sd(), m.ci95()), (Some(3.0), None, None));
        assert_eq!(Moments::default().mean(), None);
    }

    fn moments(xs: &[f64]) -> Moments {
        let mut m = Moments::default();
        xs.iter().for_each(|&x| m.add(x));
        m
    }

    fn near(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs()
    }

    #[test]
    fn a_fraction_has_the_logit_interval() {
        // 0.9 and 0.99: m = 0.945, se = sd / √2 = 0.045, t(0.975, 1) = 12.706205;
        // logit(m) = ln(0.945 / 0.055) = 2.843852, h = t se / (m (1 - m)) = 11.001043;
        // logistic(2.843852 ∓ 11.001043) = 0.000286584, 0.999999029.
        let (lo, hi) = mean_ci95(&moments(&[0.9, 0.99]), Range::Fraction).unwrap();
        assert!(near(lo, 2.865_843e-4, 1e-6), "{lo}");
        assert!(near(1.0 - hi, 9.710_423e-7, 1e-5), "{hi}");
        // The t interval of the same values leaves [0, 1]: 0.945 ± 0.572.
        let (_, thi) = moments(&[0.9, 0.99]).ci95().unwrap();
        assert!(near(thi, 1.516_779, 1e-6), "{thi}");
    }

    #[test]
    fn a_non_negative_quantity_has_the_log_interval() {
        // 100 and 400: m = 250, se = 150, h = t se / m = 7.623723; 250 e^(∓h).
        let (lo, hi) = mean_ci95(&moments(&[100.0, 400.0]), Range::NonNegative).unwrap();
        assert!(near(lo, 0.122_179_754, 1e-7), "{lo}");
        assert!(near(hi, 511_541.38, 1e-7), "{hi}");
        // 2, 4, 4, 4, 5, 5, 7, 9: m = 5, se = √(32/7) / √8, t(0.975, 7) = 2.364624;
        // h = 0.357474, 5 e^(∓h) = 3.497122, 7.148736: inside the t interval's [3.21, 6.79]
        // on the low side, past it on the high side, and about the same width.
        let (lo, hi) = mean_ci95(
            &moments(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]),
            Range::NonNegative,
        )
        .unwrap();
        assert!(
            near(lo, 3.497_122, 1e-6) && near(hi, 7.148_736, 1e-6),
            "{lo} {hi}"
        );
        // Zeros among the values do not matter, only the mean: 0 and 10 give 5 e^(∓12.706).
        let (lo, hi) = mean_ci95(&moments(&[0.0, 10.0]), Range::NonNegative).unwrap();
        let h = 12.706_204_736 * (50f64.sqrt() / 2f64.sqrt()) / 5.0;
        assert!(near(lo, 5.0 * (-h).exp(), 1e-8) && near(hi, 5.0 * h.exp(), 1e-8));
    }

    #[test]
    fn fractions_all_at_an_edge_have_the_wilson_bound() {
        // Three runs at 1: n / (n + z²) = 3 / (3 + 3.841459) = 0.438503.
        let (lo, hi) = mean_ci95(&moments(&[1.0; 3]), Range::Fraction).unwrap();
        assert!(near(lo, 0.438_503, 1e-6) && hi == 1.0, "{lo} {hi}");
        // Four runs at 0: z² / (n + z²) = 3.841459 / 7.841459 = 0.489891.
        let (lo, hi) = mean_ci95(&moments(&[0.0; 4]), Range::Fraction).unwrap();
        assert!(lo == 0.0 && near(hi, 0.489_891, 1e-6), "{lo} {hi}");
    }

    #[test]
    fn equal_values_inside_the_range_have_a_point_interval() {
        for (xs, range) in [
            (&[0.5, 0.5][..], Range::Fraction),
            (&[7.0, 7.0, 7.0][..], Range::NonNegative),
            (&[0.0, 0.0][..], Range::NonNegative),
        ] {
            let ci = mean_ci95(&moments(xs), range);
            assert_eq!(ci, Some((xs[0], xs[0])));
        }
        assert_eq!(mean_ci95(&moments(&[0.5]), Range::Fraction), None);
    }

    #[test]
    fn the_fractions_are_the_columns_declared_in_fraction() {
        assert_eq!(
            fraction_columns(),
            [
                "availability",
                "server_availability",
                "wrong_suspicion_fraction",
                "keys_remapped_mean",
                "cache_hit_ratio",
                "range_unavailability",
                "stale_read_fraction",
                "checkpoint_overhead",
            ]
        );
        assert_eq!(metric_range("availability"), Range::Fraction);
        assert_eq!(metric_range("latency_p99_ms"), Range::NonNegative);
    }
}
