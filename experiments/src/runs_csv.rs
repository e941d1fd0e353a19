//! runs.csv: one row per run, in run order. Identity columns (`run_id, cell, strategy,
//! replication, seed`), one column per sweep key named by its dotted path, then every
//! metric of [`RunReport::columns`]. No wall-clock value appears, so the file is
//! byte-identical for the same config and seed at any thread count.
//!
//! Everything downstream of a run (summary statistics, checks, the resume journal) reads
//! the metric cells as written here, so a run's numbers are the same wherever they appear.

use crate::config::{Experiment, RunKey};
use crate::output::{AtomicCsv, commit_csv, create_csv};
use sim_core::RunReport;
use sim_core::report::{COLUMNS, Column};
use std::io;
use std::path::Path;

pub const ID_COLUMNS: [&str; 5] = ["run_id", "cell", "strategy", "replication", "seed"];

pub struct RunsCsv {
    writer: AtomicCsv,
}

impl RunsCsv {
    pub fn create(path: &Path, exp: &Experiment) -> io::Result<RunsCsv> {
        let mut writer = create_csv(path)?;
        writer.write_record(header(exp))?;
        Ok(RunsCsv { writer })
    }

    /// Writes a run's row from its metric cells (see [`metric_cells`]).
    pub fn write(&mut self, exp: &Experiment, key: RunKey, metrics: &[String]) -> io::Result<()> {
        self.writer.write_record(row(exp, key, metrics))?;
        Ok(())
    }

    pub fn commit(self) -> io::Result<()> {
        commit_csv(self.writer)
    }
}

/// The header of runs.csv for an experiment.
pub fn header(exp: &Experiment) -> Vec<String> {
    ID_COLUMNS
        .iter()
        .map(|s| s.to_string())
        .chain(exp.sweep.iter().map(|a| a.key.clone()))
        .chain(RunReport::column_names().into_iter().map(str::to_string))
        .collect()
}

/// The identity and sweep cells of a run's row.
pub fn id_cells(exp: &Experiment, key: RunKey) -> Vec<String> {
    let cell = exp.cell(key);
    let mut row = vec![
        exp.run_id(key),
        key.cell.to_string(),
        exp.strategy_names[key.strategy as usize].clone(),
        key.replication.to_string(),
        exp.run_seed(key).to_string(),
    ];
    row.extend(cell.values.iter().map(|v| v.to_cell_text()));
    row
}

/// One run's row.
pub fn row(exp: &Experiment, key: RunKey, metrics: &[String]) -> Vec<String> {
    let mut row = id_cells(exp, key);
    row.extend(metrics.iter().cloned());
    row
}

/// A report's metric cells as runs.csv writes them, in [`RunReport::column_names`] order.
pub fn metric_cells(report: &RunReport) -> Vec<String> {
    report
        .columns()
        .into_iter()
        .map(|(_, c)| c.to_string())
        .collect()
}

/// Whether each metric column holds a number (the trace hash does not), as declared.
pub fn numeric_columns() -> Vec<bool> {
    COLUMNS.iter().map(Column::is_numeric).collect()
}

/// The numbers of metric cells: `None` for an empty cell and for non-numeric columns.
pub fn metric_values(cells: &[String], numeric: &[bool]) -> Vec<Option<f64>> {
    cells
        .iter()
        .zip(numeric)
        .map(|(cell, &is_number)| {
            if is_number {
                cell.parse::<f64>().ok()
            } else {
                None
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_back_what_the_cells_show() {
        let report = RunReport {
            requests: 3,
            availability: Some(2.0 / 3.0),
            latency_mean_ms: None,
            trace_hash: 0xff,
            ..RunReport::default()
        };
        let cells = metric_cells(&report);
        let values = metric_values(&cells, &numeric_columns());
        let names = RunReport::column_names();
        let at = |name: &str| names.iter().position(|n| *n == name).unwrap();
        assert_eq!(values[at("requests")], Some(3.0));
        // Ten significant digits, as runs.csv shows them.
        assert_eq!(cells[at("availability")], "0.6666666667");
        assert_eq!(values[at("availability")], Some(0.6666666667));
        assert_eq!(values[at("latency_mean_ms")], None);
        assert_eq!(values[at("trace_hash")], None);
    }
}
