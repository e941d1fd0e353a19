//! latency_cdf.csv: the latency distribution of the successful requests of each (cell,
//! strategy), pooled over its replications, as quantiles on a grid dense in the tail.
//!
//! Each run's latency histogram is first reduced to two significant digits (every value
//! within 1%) and pooled by adding counts, so the pooled figures are exact for the reduced
//! histograms. The reduced histogram is what the resume journal keeps of a run, which
//! makes a resumed run's file byte-identical to an uninterrupted one. Memory holds one
//! pooled histogram per strategy, for the cell in progress only.

use crate::config::{Experiment, RunKey};
use crate::output::{AtomicCsv, commit_csv, create_csv};
use hdrhistogram::Histogram;
use sim_core::report::format_real;
use sim_core::report::metrics::{HIST_MAX_NS, new_latency_histogram};
use std::io;
use std::path::Path;

/// The file's name in a results folder.
pub const FILE: &str = "latency_cdf.csv";

/// Significant digits of the reduced histograms.
const DIGITS: u8 = 2;

/// An empty reduced histogram.
pub fn empty() -> Histogram<u64> {
    new_latency_histogram(DIGITS)
}

/// A run's latency histogram (nanoseconds) reduced to two significant digits.
pub fn reduce(latency: &Histogram<u64>) -> Histogram<u64> {
    let mut reduced = empty();
    for v in latency.iter_recorded() {
        reduced.saturating_record_n(
            v.value_iterated_to().clamp(1, HIST_MAX_NS),
            v.count_at_value(),
        );
    }
    reduced
}

/// A reduced histogram as text without commas or spaces: its non-empty buckets joined by
/// `;`, each as `delta:count`, where `delta` is the bucket's value less the previous
/// bucket's, or as a bare `count` when the delta is the previous bucket's again (as it is
/// between neighbouring buckets of one width, the common case: a 60 s run of R1 writes
/// about 3.5 KB rather than 11 KB).
pub fn encode(h: &Histogram<u64>) -> String {
    let mut out = String::new();
    let (mut previous, mut step) = (0u64, 0u64);
    for v in h.iter_recorded() {
        let value = v.value_iterated_to();
        if !out.is_empty() {
            out.push(';');
        }
        let delta = value - previous;
        if delta != step {
            out.push_str(&format!("{delta}:"));
        }
        out.push_str(&v.count_at_value().to_string());
        (previous, step) = (value, delta);
    }
    out
}

/// Reads back [`encode`]'s text; `None` if it is not such text. Text in which every bucket
/// names its delta (as journals written before the bare form did) reads the same.
pub fn decode(text: &str) -> Option<Histogram<u64>> {
    let mut h = empty();
    if text.is_empty() {
        return Some(h);
    }
    let (mut value, mut step) = (0u64, None);
    for pair in text.split(';') {
        let count = match pair.split_once(':') {
            Some((delta, count)) => {
                step = Some(delta.parse().ok().filter(|&d: &u64| d > 0)?);
                count
            }
            None => pair,
        };
        value = value.checked_add(step?)?;
        let count: u64 = count.parse().ok()?;
        if value > HIST_MAX_NS * 2 || count == 0 {
            return None;
        }
        h.record_n(value, count).ok()?;
    }
    Some(h)
}

/// The quantiles written for each (cell, strategy), as exact decimal text: every 5% to
/// 90%, every 1% to 99%, then nine steps in each further nine up to 99.999%, and the
/// maximum (1).
pub fn quantile_grid() -> Vec<String> {
    let mut grid: Vec<String> = (0..18).map(|k| decimal(k * 5, 2)).collect();
    grid.extend((90..100).map(|k| decimal(k, 2)));
    for digits in 3..=5u32 {
        let base = 10u64.pow(digits) - 10;
        grid.extend((1..10).map(|k| decimal(base + k, digits)));
    }
    grid.push("1".into());
    grid
}

/// `units / 10^digits` as decimal text.
fn decimal(units: u64, digits: u32) -> String {
    if units == 0 {
        return "0".into();
    }
    let text = format!("{:0>width$}", units, width = digits as usize + 1);
    let (int, frac) = text.split_at(text.len() - digits as usize);
    let frac = frac.trim_end_matches('0');
    if frac.is_empty() {
        int.to_string()
    } else {
        format!("{int}.{frac}")
    }
}

/// The header of latency_cdf.csv.
pub fn header(exp: &Experiment) -> Vec<String> {
    let mut h = vec!["cell".to_string()];
    h.extend(exp.sweep.iter().map(|a| a.key.clone()));
    h.extend(["strategy", "quantile", "latency_ms", "n"].map(String::from));
    h
}

/// latency_cdf.csv being written: runs come in run order, and a cell's rows are written
/// when its last run arrives.
pub struct LatencyCdfCsv {
    writer: AtomicCsv,
    pooled: Vec<Histogram<u64>>,
    runs_per_cell: u64,
    seen_in_cell: u64,
    grid: Vec<(String, f64)>,
}

impl LatencyCdfCsv {
    pub fn create(path: &Path, exp: &Experiment) -> io::Result<LatencyCdfCsv> {
        let mut writer = create_csv(path)?;
        writer.write_record(header(exp))?;
        let strategies = exp.strategy_names.len();
        Ok(LatencyCdfCsv {
            writer,
            pooled: (0..strategies).map(|_| empty()).collect(),
            runs_per_cell: strategies as u64 * u64::from(exp.replications),
            seen_in_cell: 0,
            grid: quantile_grid()
                .into_iter()
                .map(|q| {
                    let x = q.parse().expect("grid quantiles are numbers");
                    (q, x)
                })
                .collect(),
        })
    }

    /// Adds a run's reduced histogram; runs must come in run order.
    pub fn add(
        &mut self,
        exp: &Experiment,
        key: RunKey,
        reduced: &Histogram<u64>,
    ) -> io::Result<()> {
        self.pooled[key.strategy as usize]
            .add(reduced)
            .map_err(|e| io::Error::other(format!("pooling latency histograms: {e:?}")))?;
        self.seen_in_cell += 1;
        if self.seen_in_cell < self.runs_per_cell {
            return Ok(());
        }
        self.seen_in_cell = 0;
        let values: Vec<String> = exp.cells[key.cell as usize]
            .values
            .iter()
            .map(|v| v.to_cell_text())
            .collect();
        for (strategy, pooled) in self.pooled.iter_mut().enumerate() {
            let n = pooled.len();
            if n > 0 {
                for (text, q) in &self.grid {
                    let ms = pooled.value_at_quantile(*q) as f64 / 1e6;
                    let mut row = vec![key.cell.to_string()];
                    row.extend(values.iter().cloned());
                    row.extend([
                        exp.strategy_names[strategy].clone(),
                        text.clone(),
                        format_real(ms),
                        n.to_string(),
                    ]);
                    self.writer.write_record(&row)?;
                }
            }
            pooled.reset();
        }
        Ok(())
    }

    pub fn commit(self) -> io::Result<()> {
        commit_csv(self.writer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grid_is_increasing_and_dense_in_the_tail() {
        let grid: Vec<f64> = quantile_grid().iter().map(|q| q.parse().unwrap()).collect();
        assert!(grid.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(grid.first(), Some(&0.0));
        assert_eq!(grid.last(), Some(&1.0));
        for q in ["0.5", "0.9", "0.99", "0.999", "0.9999", "0.99999"] {
            assert!(quantile_grid().contains(&q.to_string()), "{q}");
        }
        assert_eq!(grid.len(), 18 + 10 + 27 + 1);
    }

    #[test]
    fn reduced_histograms_survive_their_text_and_stay_within_one_percent() {
        let mut fine = new_latency_histogram(3);
        for ms in 1..=2000u64 {
            fine.record(ms * 1_000_000 + ms * 37).unwrap();
        }
        let reduced = reduce(&fine);
        assert_eq!(reduced.len(), 2000);
        let back = decode(&encode(&reduced)).unwrap();
        assert_eq!(back, reduced);
        for q in [0.5, 0.9, 0.99] {
            let (a, b) = (
                fine.value_at_quantile(q) as f64,
                reduced.value_at_quantile(q) as f64,
            );
            // Two significant digits: a bucket spans at most 1/128 of its values.
            assert!((a - b).abs() <= a / 128.0, "q {q}: {a} against {b}");
        }
        assert_eq!(decode("").unwrap().len(), 0);
        assert!(decode("5:x").is_none() && decode("5").is_none() && decode("0:1").is_none());
        assert!(decode("5:1;0:2").is_none() && decode("5:1;x").is_none());
    }

    #[test]
    fn neighbouring_buckets_leave_out_their_delta_and_the_long_form_still_reads() {
        let mut h = empty();
        // 1.00 to 1.05 ms: six neighbouring buckets of one width, then one far off
        for (k, count) in (0..6u64).zip([3u64, 1, 4, 1, 5, 9]) {
            h.record_n(1_000_000 + k * 8192, count).unwrap();
        }
        h.record_n(400_000_000, 2).unwrap();
        let text = encode(&h);
        let values: Vec<u64> = h.iter_recorded().map(|v| v.value_iterated_to()).collect();
        let (first, width) = (values[0], values[1] - values[0]);
        let far = values[6] - values[5];
        assert_eq!(text, format!("{first}:3;{width}:1;4;1;5;9;{far}:2"));
        assert_eq!(decode(&text).unwrap(), h);
        let long: Vec<String> = h
            .iter_recorded()
            .scan(0u64, |previous, v| {
                let value = v.value_iterated_to();
                let pair = format!("{}:{}", value - *previous, v.count_at_value());
                *previous = value;
                Some(pair)
            })
            .collect();
        assert_eq!(decode(&long.join(";")).unwrap(), h);
    }
}
