//! runs.csv: one row per run, in run order. Identity columns (`run_id, cell, strategy,
//! replication, seed`), one column per sweep key named by its dotted path, then every
//! metric of [`RunReport::columns`]. No wall-clock value appears, so the file is
//! byte-identical for the same config and seed at any thread count.

use crate::config::{Experiment, RunKey};
use crate::output::AtomicFile;
use sim_core::RunReport;
use std::io;
use std::path::Path;

pub const ID_COLUMNS: [&str; 5] = ["run_id", "cell", "strategy", "replication", "seed"];

pub struct RunsCsv {
    writer: csv::Writer<AtomicFile>,
}

impl RunsCsv {
    pub fn create(path: &Path, exp: &Experiment) -> io::Result<RunsCsv> {
        let mut writer = csv::WriterBuilder::new().from_writer(AtomicFile::create(path)?);
        writer.write_record(header(exp))?;
        Ok(RunsCsv { writer })
    }

    pub fn write(&mut self, exp: &Experiment, key: RunKey, report: &RunReport) -> io::Result<()> {
        self.writer.write_record(row(exp, key, report))?;
        Ok(())
    }

    pub fn commit(self) -> io::Result<()> {
        let file = self.writer.into_inner().map_err(|e| e.into_error())?;
        file.commit()
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

/// One run's row.
pub fn row(exp: &Experiment, key: RunKey, report: &RunReport) -> Vec<String> {
    let cell = exp.cell(key);
    let mut row = vec![
        exp.run_id(key),
        key.cell.to_string(),
        exp.strategy_names[key.strategy as usize].clone(),
        key.replication.to_string(),
        exp.run_seed(key).to_string(),
    ];
    row.extend(cell.values.iter().map(|v| v.to_cell_text()));
    row.extend(report.columns().into_iter().map(|(_, c)| c.to_string()));
    row
}
