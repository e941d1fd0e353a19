//! Plots of a results folder, drawn from its CSV tables alone into `plots/` as PNG and
//! SVG: availability, its nines, p99 latency and attempts per request against each sweep
//! key (or per strategy without a sweep) with 95% confidence bands, latency CDFs, the
//! detectors' trade-off, and the timeline of one run. `faultline run` draws them at the
//! end and `faultline plot DIR` redraws them; each file is written atomically. The files
//! faultline drew are listed in `plots/drawn-by-faultline.txt`, and only those are ever
//! removed: figures the folder no longer calls for go, anything else in `plots/` (a
//! user's own figure) stays.

pub mod axis;
pub mod canvas;
pub mod data;
pub mod forest;
pub mod lines;
pub mod panels;
pub mod raster;
pub mod timeline;
pub mod tradeoff;

use crate::cli::{CliError, PlotArgs, output_error};
use axis::{Axis, Scale, TAIL_MAX};
use canvas::{RenderError, color, render};
use data::{DataError, LatencyCdf, RunValues, Summary, TimelineData};
use lines::{LinesFigure, Point, Series};
use sim_core::SimDuration;
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::path::Path;
use timeline::TimelineFigure;
use tradeoff::{TradeoffFigure, TradeoffPoint, TradeoffSeries};

/// The folder of the figures inside a results folder.
pub const PLOTS_DIR: &str = "plots";

/// The most cells whose points the detectors' trade-off names by their sweep values.
const MAX_TAGGED_CELLS: usize = 12;

/// The figures drawn, by file name without extension.
#[derive(Debug, Default)]
pub struct PlotReport {
    pub figures: Vec<String>,
}

impl PlotReport {
    pub fn describe(&self, dir: &Path) -> String {
        format!(
            "plots: {} figures (PNG and SVG) in {}: {}",
            self.figures.len(),
            dir.join(PLOTS_DIR).display(),
            self.figures.join(", ")
        )
    }
}

pub fn cmd_plot(args: PlotArgs) -> Result<u8, CliError> {
    if std::fs::metadata(&args.dir).is_ok_and(|m| !m.is_dir()) {
        return Err(CliError::Input(format!(
            "{}: is a file, not a folder; expected a results folder written by `faultline run`",
            args.dir.display()
        )));
    }
    let report = draw_folder(&args.dir)?;
    println!("{}", report.describe(&args.dir));
    Ok(0)
}

fn data_error(e: DataError) -> CliError {
    match e {
        DataError::Missing(m) | DataError::Malformed(m) => CliError::Input(m),
    }
}

fn render_error(e: RenderError) -> CliError {
    match e {
        RenderError::Draw(m) => CliError::Internal(format!("drawing a figure failed: {m}")),
        RenderError::Write(path, e) => output_error(&path, e),
    }
}

/// Draws every figure the tables of results folder `dir` call for.
pub fn draw_folder(dir: &Path) -> Result<PlotReport, CliError> {
    let summary = Summary::read(dir).map_err(data_error)?;
    let cdf = LatencyCdf::read(dir).map_err(data_error)?;
    let timeline = TimelineData::read(dir).map_err(data_error)?;
    let headline = crate::headline::of_folder(dir, |m| has_nonzero(&summary, m));
    // Each run's value beside its mean where replications are few.
    let runs = if max_runs_per_point(&summary) <= MAX_STRIP_RUNS {
        let mut columns: Vec<&str> = STRIP_COLUMNS.to_vec();
        for m in &headline {
            if !columns.contains(&m.as_str()) {
                columns.push(m);
            }
        }
        RunValues::read(dir, &columns, &summary.strategies).map_err(data_error)?
    } else {
        None
    };
    let plots = dir.join(PLOTS_DIR);
    std::fs::create_dir_all(&plots).map_err(|e| output_error(&plots, e))?;
    let name = title_prefix(summary.experiment.as_deref());
    // Every figure is chosen first, so that the list of drawn files names each before it is
    // written: a run killed while drawing leaves no figure the list does not own.
    type Draw<'d> = Box<dyn Fn(&Path, &str) -> Result<(), RenderError> + 'd>;
    let mut figures: Vec<(String, Draw)> = Vec::new();
    let mut draw = |file: String, figure: Draw<'static>| figures.push((file, figure));

    let extra: Vec<Metric> = headline
        .iter()
        .filter(|m| !METRICS.iter().any(|s| s.column == m.as_str()))
        .map(|m| headline_metric(m))
        .collect();
    for metric in METRICS.iter().chain(&extra) {
        if !summary.has(&metric.column)
            || (metric.column == "attempts_per_request" && !retried(&summary))
        {
            continue;
        }
        if summary.sweep_keys.is_empty() {
            let figure = per_strategy(&summary, runs.as_ref(), &name, metric);
            draw(
                metric.file.to_string(),
                Box::new(move |d, f| render(d, f, &figure)),
            );
        } else {
            for k in 0..summary.sweep_keys.len() {
                let figure = against_key(&summary, runs.as_ref(), &name, metric, k);
                let file = format!("{}_vs_{}", metric.file, file_safe(&summary.sweep_keys[k]));
                draw(file, Box::new(move |d, f| render(d, f, &figure)));
            }
        }
    }
    if let Some(figure) = cdf
        .as_ref()
        .and_then(|cdf| latency_cdf(&summary, cdf, &name))
    {
        draw(
            "latency_cdf".to_string(),
            Box::new(move |d, f| render(d, f, &figure)),
        );
    }
    for (metric, figure) in forests(&summary, &headline, &name) {
        draw(
            format!("diff_{}", file_safe(&metric)),
            Box::new(move |d, f| render(d, f, &figure)),
        );
    }
    if let Some(figure) = detector_tradeoff(&summary, &name) {
        draw(
            "detector_tradeoff".into(),
            Box::new(move |d, f| render(d, f, &figure)),
        );
    }
    if let Some(data) = timeline {
        let figure = timeline_figure(&name, data);
        draw(
            "timeline".into(),
            Box::new(move |d, f| render(d, f, &figure)),
        );
    }

    let list_error = |e| output_error(&plots.join(DRAWN_LIST), e);
    let drawn_before = read_drawn(&plots).map_err(list_error)?;
    let drawn_now: BTreeSet<String> = figures
        .iter()
        .flat_map(|(file, _)| figure_files(file))
        .collect();
    write_drawn(&plots, &drawn_before.union(&drawn_now).cloned().collect()).map_err(list_error)?;
    let mut report = PlotReport::default();
    for (file, figure) in &figures {
        figure(&plots, file).map_err(render_error)?;
        report.figures.push(file.clone());
    }
    for stale in drawn_before.difference(&drawn_now) {
        remove_if_present(&plots.join(stale)).map_err(|e| output_error(&plots.join(stale), e))?;
    }
    write_drawn(&plots, &drawn_now).map_err(list_error)?;
    Ok(report)
}

/// Whether some (cell, strategy) of `summary` has a mean of `metric` other than 0.
pub fn has_nonzero(summary: &Summary, metric: &str) -> bool {
    summary.cells.iter().any(|c| {
        (0..summary.strategies.len()).any(|s| {
            summary
                .stat(c.index, s, metric)
                .and_then(|st| st.mean)
                .is_some_and(|m| m != 0.0)
        })
    })
}

/// A cell's sweep values as a short label ("2m, 0.1"), empty without a sweep.
pub fn cell_label(summary: &Summary, cell: &data::CellInfo) -> String {
    (0..cell.values.len())
        .map(|k| summary.value_label(k, &cell.values[k]))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The forest plot of each headline metric with paired differences: a row per cell and
/// strategy other than the first (the baseline), at most [`forest::MAX_ROWS`].
fn forests(
    summary: &Summary,
    headline: &[String],
    name: &str,
) -> Vec<(String, forest::ForestFigure)> {
    if summary.strategies.len() < 2 {
        return Vec::new();
    }
    let baseline = &summary.strategies[0];
    let mut out = Vec::new();
    for metric in headline {
        let mut rows = Vec::new();
        for cell in &summary.cells {
            for s in 1..summary.strategies.len() {
                let Some(diff) = summary.diff(cell.index, s, metric) else {
                    continue;
                };
                let Some(mean) = diff.mean else { continue };
                let label = if summary.sweep_keys.is_empty() {
                    summary.strategies[s].clone()
                } else {
                    format!("{} · {}", cell_label(summary, cell), summary.strategies[s])
                };
                rows.push(forest::ForestRow {
                    label,
                    strategy: s,
                    mean,
                    ci: diff.ci,
                });
            }
        }
        if rows.is_empty() {
            continue;
        }
        let total = rows.len();
        rows.truncate(forest::MAX_ROWS);
        let significant = rows.iter().filter(|r| r.significant()).count();
        let mut notes = vec![format!(
            "* the 95% interval excludes 0 ({significant} of {} rows): significant at 5%",
            rows.len()
        )];
        if total > rows.len() {
            notes.push(format!(
                "the first {} of {total} rows; summary.csv holds them all",
                rows.len()
            ));
        }
        let x =
            forest::ForestFigure::axis(&format!("{} − {baseline}", metric_label(metric)), &rows);
        let legend = strategy_legend(summary, 1, true);
        let cells = if summary.sweep_keys.is_empty() {
            String::new()
        } else {
            format!("; rows by {}", summary.sweep_keys.join(", "))
        };
        out.push((
            metric.clone(),
            forest::ForestFigure {
                title: format!("{name}difference to {baseline} in {metric}"),
                subtitle: Some(format!(
                    "paired by replication, mean and 95% interval{cells}"
                )),
                x,
                rows,
                legend,
                note: Some(notes.join("; ")),
            },
        ));
    }
    out
}

/// A legend line per strategy from index `from` on, in its colour, with its marker or
/// none.
fn strategy_legend(summary: &Summary, from: usize, markers: bool) -> Vec<canvas::LegendEntry> {
    summary
        .strategies
        .iter()
        .enumerate()
        .skip(from)
        .map(|(s, label)| canvas::LegendEntry {
            label: label.clone(),
            color: color(s),
            marker: markers.then_some(s),
            block: false,
        })
        .collect()
}

/// A cell's sweep values without that of key `k`: the combination of the other keys'.
fn without_key(values: &[String], k: usize) -> Vec<String> {
    let mut rest = values.to_vec();
    rest.remove(k);
    rest
}

/// A runs.csv column named with its unit for an axis.
fn metric_label(metric: &str) -> String {
    if let Some(base) = metric.strip_suffix("_ms") {
        format!("{base} (ms)")
    } else if let Some(base) = metric.strip_suffix("_per_s") {
        format!("{base} (per second)")
    } else if let Some(base) = metric.strip_suffix("_s") {
        format!("{base} (s)")
    } else {
        metric.to_string()
    }
}

/// Whether any strategy made more than one attempt for some request: without retries,
/// attempts per request is 1 everywhere and its figure says nothing.
fn retried(summary: &Summary) -> bool {
    summary.cells.iter().any(|c| {
        (0..summary.strategies.len()).any(|s| {
            summary
                .stat(c.index, s, "attempts_per_request")
                .and_then(|st| st.mean)
                .is_some_and(|m| m != 1.0)
        })
    })
}

/// The start of every title: the experiment's name and a colon, or nothing for a folder
/// without experiment.csv. Never the folder's own name, so the same run draws the same
/// figures wherever it is written.
fn title_prefix(experiment: Option<&str>) -> String {
    experiment.map_or_else(String::new, |n| format!("{n}: "))
}

fn timeline_figure(name: &str, data: TimelineData) -> TimelineFigure {
    let servers = data
        .spans
        .iter()
        .filter_map(|s| s.server)
        .max()
        .map_or(1, |s| s + 1);
    TimelineFigure {
        title: format!("{name}run {} over time", data.run_id),
        data,
        servers,
    }
}

/// Draws only the timeline figure of folder `dir` (from its timeline tables), as
/// `faultline replay --timeline` does; returns the figure's path without extension.
pub fn draw_timeline(dir: &Path, name: &str) -> Result<std::path::PathBuf, CliError> {
    let data = TimelineData::read(dir)
        .map_err(data_error)?
        .ok_or_else(|| {
            CliError::Internal(format!(
                "{}: the timeline tables are missing",
                dir.display()
            ))
        })?;
    let plots = dir.join(PLOTS_DIR);
    std::fs::create_dir_all(&plots).map_err(|e| output_error(&plots, e))?;
    let list_error = |e| output_error(&plots.join(DRAWN_LIST), e);
    let mut drawn = read_drawn(&plots).map_err(list_error)?;
    drawn.extend(figure_files("timeline"));
    write_drawn(&plots, &drawn).map_err(list_error)?;
    render(
        &plots,
        "timeline",
        &timeline_figure(&title_prefix(Some(name)), data),
    )
    .map_err(render_error)?;
    Ok(plots.join("timeline"))
}

/// The list, in a plots folder, of the figure files faultline drew there: one file name a
/// line after a comment. Only the files it names are ever removed or counted as
/// faultline's; it is written before the figures it adds, so it never misses one.
pub const DRAWN_LIST: &str = "drawn-by-faultline.txt";

/// The two files of a figure.
fn figure_files(figure: &str) -> [String; 2] {
    [format!("{figure}.png"), format!("{figure}.svg")]
}

/// The figure files the list in `plots` names: plain PNG and SVG names only, so that an
/// edited list cannot point faultline at any other file. No list, no files.
fn read_drawn(plots: &Path) -> std::io::Result<BTreeSet<String>> {
    let text = match std::fs::read_to_string(plots.join(DRAWN_LIST)) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeSet::new()),
        Err(e) => return Err(e),
    };
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|name| {
            !name.starts_with(['#', '.'])
                && !name.contains(['/', '\\'])
                && (name.ends_with(".png") || name.ends_with(".svg"))
        })
        .map(str::to_string)
        .collect())
}

fn write_drawn(plots: &Path, files: &BTreeSet<String>) -> std::io::Result<()> {
    let mut text = String::from(
        "# The figures faultline drew in this folder: it replaces or removes only these.\n",
    );
    for file in files {
        text.push_str(file);
        text.push('\n');
    }
    crate::output::write_atomic(&plots.join(DRAWN_LIST), text.as_bytes())
}

fn remove_if_present(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Removes every figure faultline drew in results folder `dir` (a run with `--no-plots`
/// draws none, so those of an earlier run would belong to other results), then the list,
/// and `plots/` itself when nothing else is in it.
pub fn remove_figures(dir: &Path) -> Result<(), CliError> {
    let plots = dir.join(PLOTS_DIR);
    let list = plots.join(DRAWN_LIST);
    let drawn = read_drawn(&plots).map_err(|e| output_error(&list, e))?;
    for file in &drawn {
        let path = plots.join(file);
        remove_if_present(&path).map_err(|e| output_error(&path, e))?;
    }
    remove_if_present(&list).map_err(|e| output_error(&list, e))?;
    // Fails, leaving it, when the folder holds anything else (or does not exist).
    let _ = std::fs::remove_dir(&plots);
    Ok(())
}

/// A sweep key as part of a file name.
pub fn file_safe(key: &str) -> String {
    key.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// A metric drawn against each sweep key.
struct Metric {
    /// The summary.csv metric.
    column: std::borrow::Cow<'static, str>,
    file: std::borrow::Cow<'static, str>,
    what: std::borrow::Cow<'static, str>,
    y_label: std::borrow::Cow<'static, str>,
    nines: bool,
    /// A logarithmic y axis when the means span more than this many decades.
    log_decades: f64,
}

const METRICS: [Metric; 4] = [
    Metric {
        column: Cow::Borrowed("availability"),
        file: Cow::Borrowed("availability"),
        what: Cow::Borrowed("availability"),
        y_label: Cow::Borrowed("availability (ok / requests)"),
        nines: false,
        log_decades: f64::INFINITY,
    },
    Metric {
        column: Cow::Borrowed("availability"),
        file: Cow::Borrowed("nines"),
        what: Cow::Borrowed("availability in nines"),
        y_label: Cow::Borrowed("nines: −log10(1 − availability)"),
        nines: true,
        log_decades: f64::INFINITY,
    },
    Metric {
        column: Cow::Borrowed("latency_p99_ms"),
        file: Cow::Borrowed("latency_p99"),
        what: Cow::Borrowed("p99 latency"),
        y_label: Cow::Borrowed("p99 latency (ms)"),
        nines: false,
        log_decades: 1.5,
    },
    Metric {
        column: Cow::Borrowed("attempts_per_request"),
        file: Cow::Borrowed("attempts"),
        what: Cow::Borrowed("attempts per request"),
        y_label: Cow::Borrowed("attempts per request"),
        nines: false,
        log_decades: f64::INFINITY,
    },
];

/// The figures of a headline metric other than the standard ones: its mean against each
/// sweep key (or by strategy), like availability's.
fn headline_metric(column: &str) -> Metric {
    let timed = column.ends_with("_ms") || column.ends_with("_s") && !column.ends_with("_per_s");
    Metric {
        column: Cow::Owned(column.to_string()),
        file: Cow::Owned(column.to_string()),
        what: Cow::Owned(column.to_string()),
        y_label: Cow::Owned(metric_label(column)),
        nines: false,
        log_decades: if timed { 1.5 } else { f64::INFINITY },
    }
}

/// The most runs per point for which each run's value is drawn beside the point's mean.
pub const MAX_STRIP_RUNS: u64 = 30;

/// The runs.csv columns drawn as strips (the nines figure maps availability and has none).
const STRIP_COLUMNS: [&str; 3] = ["availability", "latency_p99_ms", "attempts_per_request"];

/// The most runs behind one (cell, strategy) point of any metric.
fn max_runs_per_point(summary: &Summary) -> u64 {
    summary
        .cells
        .iter()
        .flat_map(|c| (0..summary.strategies.len()).map(move |s| (c.index, s)))
        .filter_map(|(c, s)| summary.stat(c, s, "requests").map(|st| st.n))
        .max()
        .unwrap_or(0)
}

/// Every run value of `metric` the strips of `cells` draw (none for the nines figure).
fn strip_values(
    runs: Option<&RunValues>,
    metric: &Metric,
    summary: &Summary,
    cells: &[u32],
) -> Vec<f64> {
    match runs {
        Some(r) if !metric.nines => cells
            .iter()
            .flat_map(|&c| {
                (0..summary.strategies.len()).flat_map(move |s| r.values(c, s, &metric.column))
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The runs' values of `metric` for (cell, strategy) as strip dots at `x`, or none.
fn strip(
    runs: Option<&RunValues>,
    metric: &Metric,
    y: &Axis,
    cell: u32,
    strategy: usize,
    x: f64,
) -> Vec<(f64, f64)> {
    if metric.nines {
        return Vec::new();
    }
    runs.map(|r| r.values(cell, strategy, &metric.column))
        .unwrap_or_default()
        .iter()
        .filter(|v| v.is_finite() && (y.scale != Scale::Log10 || **v > 0.0))
        .map(|v| (x, y.to_plot(*v)))
        .collect()
}

/// Raw (mean, interval) of a point before the y axis is chosen.
type RawPoint = (f64, f64, Option<(f64, f64)>);

/// Maps availabilities to nines, -log10(1 - a), capped where 1 - a falls below one failed
/// request in the largest mean request count: returns the cap when it was reached.
fn to_nines(summary: &Summary, series: &mut [Vec<RawPoint>]) -> Option<f64> {
    let requests = summary
        .cells
        .iter()
        .flat_map(|c| (0..summary.strategies.len()).map(move |s| (c.index, s)))
        .filter_map(|(c, s)| summary.stat(c, s, "requests").and_then(|st| st.mean))
        .fold(1.0f64, f64::max);
    let cap = requests.log10();
    let mut capped = false;
    let mut nines = |a: f64| {
        let miss = 1.0 - a;
        if miss <= 1.0 / requests {
            capped = true;
            cap
        } else {
            -miss.log10()
        }
    };
    for points in series.iter_mut() {
        for p in points.iter_mut() {
            p.1 = nines(p.1);
            p.2 = p.2.map(|(lo, hi)| (nines(lo), nines(hi)));
        }
    }
    capped.then_some(cap)
}

/// The y axis of `series`, covering too `extra` values (the runs drawn as strips).
fn y_axis(metric: &Metric, series: &[Vec<RawPoint>], extra: &[f64]) -> Axis {
    let values: Vec<f64> = series
        .iter()
        .flatten()
        .flat_map(|(_, m, ci)| {
            let mut v = vec![*m];
            if let Some((lo, hi)) = ci {
                v.extend([*lo, *hi]);
            }
            v
        })
        .chain(extra.iter().copied())
        .filter(|v| v.is_finite())
        .collect();
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if values.is_empty() {
        return Axis::linear(&metric.y_label, 0.0, 1.0);
    }
    // The decision uses the means; bounds below zero fall back to linear.
    Axis::auto(&metric.y_label, lo, hi, metric.log_decades)
}

fn to_points(y: &Axis, raw: &[RawPoint]) -> Vec<Point> {
    raw.iter()
        .map(|(x, m, ci)| Point {
            x: *x,
            mean: y.to_plot(*m),
            ci: ci.map(|(lo, hi)| (y.to_plot(lo), y.to_plot(hi))),
        })
        .collect()
}

fn runs_per_point(summary: &Summary, metric: &str) -> String {
    let ns: Vec<u64> = summary
        .cells
        .iter()
        .flat_map(|c| (0..summary.strategies.len()).map(move |s| (c.index, s)))
        .filter_map(|(c, s)| summary.stat(c, s, metric).map(|st| st.n))
        .collect();
    let (lo, hi) = (
        ns.iter().copied().min().unwrap_or(0),
        ns.iter().copied().max().unwrap_or(0),
    );
    let runs = if lo == hi {
        format!("{hi} runs")
    } else {
        format!("{lo} to {hi} runs")
    };
    format!("mean and 95% confidence interval of {runs} per point")
}

fn nines_note(cap: Option<f64>) -> Option<String> {
    cap.map(|c| {
        format!(
            "Values at or past one failure in {} requests (the most in a mean run) are drawn at its {c:.1} nines.",
            10f64.powf(c).round()
        )
    })
}

/// Without a sweep: each strategy's mean and interval.
fn per_strategy(
    summary: &Summary,
    runs: Option<&RunValues>,
    name: &str,
    metric: &Metric,
) -> LinesFigure {
    let cell = summary.cells[0].index;
    let mut raw: Vec<Vec<RawPoint>> = (0..summary.strategies.len())
        .map(|s| {
            summary
                .stat(cell, s, &metric.column)
                .and_then(|st| st.mean.map(|m| vec![(s as f64, m, st.ci)]))
                .unwrap_or_default()
        })
        .collect();
    let cap = if metric.nines {
        to_nines(summary, &mut raw)
    } else {
        None
    };
    let extra = strip_values(runs, metric, summary, &[cell]);
    let y = y_axis(metric, &raw, &extra);
    let series = raw
        .iter()
        .enumerate()
        .map(|(s, points)| Series {
            label: summary.strategies[s].clone(),
            color: color(s),
            marker: 0,
            points: to_points(&y, points),
            strip: strip(runs, metric, &y, cell, s, s as f64),
        })
        .collect();
    LinesFigure {
        title: format!("{name}{} by strategy", metric.what),
        subtitle: Some(runs_per_point(summary, &metric.column)),
        x: Axis::categories("strategy", &summary.strategies),
        y,
        series,
        legend: false,
        markers: true,
        note: nines_note(cap),
    }
}

/// The unit of a numeric sweep key's values, when they have one: durations (ticks keep
/// the config's text, "2m", "1h"), and rates, which are per second.
fn key_unit(key: &str, durations: bool) -> Option<&'static str> {
    if durations {
        Some("duration")
    } else if key.ends_with(".rate") {
        Some("per second")
    } else {
        None
    }
}

/// A sweep key's values on an axis: numbers or durations on a linear or logarithmic
/// scale, anything else as categories in the order of the cells.
fn key_axis(key: &str, values: &[String]) -> (Axis, Vec<f64>) {
    let numbers: Option<Vec<f64>> = values
        .iter()
        .map(|v| {
            v.parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .or_else(|| SimDuration::parse(v).ok().map(|d| d.as_secs_f64()))
        })
        .collect();
    let durations = values.iter().any(|v| v.parse::<f64>().is_err());
    let unit = key_unit(key, durations);
    match numbers {
        Some(xs) if !xs.is_empty() => {
            let (min, max) = xs
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
                    (a.min(x), b.max(x))
                });
            let scale = if min > 0.0 && max / min >= 20.0 {
                Scale::Log10
            } else {
                Scale::Linear
            };
            let notes: Vec<&str> = unit
                .into_iter()
                .chain((scale == Scale::Log10).then_some("log scale"))
                .collect();
            let label = if notes.is_empty() {
                key.to_string()
            } else {
                format!("{key} ({})", notes.join(", "))
            };
            let ticks: Vec<(f64, String)> = xs
                .iter()
                .zip(values)
                .map(|(x, t)| (*x, t.clone()))
                .collect();
            let axis = Axis::at_values(&label, scale, &ticks);
            let positions = xs.iter().map(|x| scale.to_plot(*x)).collect();
            (axis, positions)
        }
        _ => (
            Axis::categories(key, &category_labels(values)),
            (0..values.len()).map(|i| i as f64).collect(),
        ),
    }
}

/// Tick labels for category values. Inline tables (`{ dist = "constant", value = "10ms" }`)
/// are named by what tells them apart: their `kind` or `dist` when that differs between
/// them, else the entries that differ, `key=value`, quotes dropped; other values as they
/// are.
fn category_labels(values: &[String]) -> Vec<String> {
    let tables: Option<Vec<Vec<(String, String)>>> = values
        .iter()
        .map(|v| {
            let inner = v.trim().strip_prefix('{')?.strip_suffix('}')?;
            // Top-level entries only: nested tables stay whole.
            let mut entries = Vec::new();
            let (mut depth, mut start) = (0i32, 0usize);
            let bytes = inner.as_bytes();
            for (i, &b) in bytes.iter().enumerate() {
                match b {
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => depth -= 1,
                    b',' if depth == 0 => {
                        entries.push(&inner[start..i]);
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            entries.push(&inner[start..]);
            entries
                .into_iter()
                .filter(|e| !e.trim().is_empty())
                .map(|e| {
                    let (k, v) = e.split_once('=')?;
                    Some((k.trim().to_string(), v.trim().trim_matches('"').to_string()))
                })
                .collect()
        })
        .collect();
    let Some(tables) = tables else {
        return values.to_vec();
    };
    let value_of = |t: &[(String, String)], key: &str| {
        t.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
    };
    for name_key in ["kind", "dist"] {
        let names: Vec<Option<String>> = tables.iter().map(|t| value_of(t, name_key)).collect();
        let distinct: BTreeSet<&Option<String>> = names.iter().collect();
        if names.iter().all(Option::is_some) && distinct.len() == names.len() {
            return names.into_iter().map(|n| n.unwrap_or_default()).collect();
        }
    }
    let keys: BTreeSet<&String> = tables.iter().flatten().map(|(k, _)| k).collect();
    let differing: Vec<&String> = keys
        .into_iter()
        .filter(|k| {
            let vs: BTreeSet<Option<String>> = tables.iter().map(|t| value_of(t, k)).collect();
            vs.len() > 1
        })
        .collect();
    tables
        .iter()
        .map(|t| {
            let parts: Vec<String> = t
                .iter()
                .filter(|(k, _)| differing.is_empty() || differing.contains(&k))
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            parts.join(", ")
        })
        .collect()
}

/// A metric against sweep key `k`: a line per strategy; with other sweep keys, small
/// multiples, a panel per combination of their values (at most [`panels::MAX_PANELS`]),
/// all on the same axes.
fn against_key(
    summary: &Summary,
    runs: Option<&RunValues>,
    name: &str,
    metric: &Metric,
    k: usize,
) -> LinesOrPanels {
    let key = &summary.sweep_keys[k];
    let mut values: Vec<String> = Vec::new();
    let mut others: Vec<Vec<String>> = Vec::new();
    for c in &summary.cells {
        if !values.contains(&c.values[k]) {
            values.push(c.values[k].clone());
        }
        let other = without_key(&c.values, k);
        if !others.contains(&other) {
            others.push(other);
        }
    }
    let (x, positions) = key_axis(key, &values);
    let other_keys: Vec<(usize, &String)> = summary
        .sweep_keys
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != k)
        .collect();
    let total = others.len();
    others.truncate(panels::MAX_PANELS);
    // raw[o][s]: the points of strategy s in the panel of combination o.
    let mut raw: Vec<Vec<Vec<RawPoint>>> = others
        .iter()
        .map(|other| {
            (0..summary.strategies.len())
                .map(|s| {
                    let mut points: Vec<RawPoint> = summary
                        .cells
                        .iter()
                        .filter(|c| without_key(&c.values, k) == *other)
                        .filter_map(|c| {
                            let st = summary.stat(c.index, s, &metric.column)?;
                            let at = values.iter().position(|v| *v == c.values[k])?;
                            st.mean.map(|m| (positions[at], m, st.ci))
                        })
                        .collect();
                    points.sort_by(|a, b| a.0.total_cmp(&b.0));
                    points
                })
                .collect()
        })
        .collect();
    let mut flat: Vec<Vec<RawPoint>> = raw.iter().flatten().cloned().collect();
    let cap = if metric.nines {
        let cap = to_nines(summary, &mut flat);
        let mut it = flat.iter().cloned();
        for panel in raw.iter_mut() {
            for points in panel.iter_mut() {
                *points = it.next().expect("as many as flattened");
            }
        }
        cap
    } else {
        None
    };
    let drawn: Vec<u32> = summary
        .cells
        .iter()
        .filter(|c| others.contains(&without_key(&c.values, k)))
        .map(|c| c.index)
        .collect();
    let extra = strip_values(runs, metric, summary, &drawn);
    let y = y_axis(metric, &flat, &extra);
    let series_of = |other: &[String], panel: &[Vec<RawPoint>]| -> Vec<Series> {
        panel
            .iter()
            .enumerate()
            .map(|(s, points)| Series {
                label: summary.strategies[s].clone(),
                color: color(s),
                marker: s,
                points: to_points(&y, points),
                strip: summary
                    .cells
                    .iter()
                    .filter(|c| without_key(&c.values, k) == other)
                    .filter_map(|c| {
                        let at = values.iter().position(|v| *v == c.values[k])?;
                        Some(strip(runs, metric, &y, c.index, s, positions[at]))
                    })
                    .flatten()
                    .collect(),
            })
            .collect()
    };
    let title = format!("{name}{} against {key}", metric.what);
    let subtitle = Some(runs_per_point(summary, &metric.column));
    if others.len() == 1 {
        return LinesOrPanels::One(LinesFigure {
            title,
            subtitle,
            x,
            y: y.clone(),
            series: series_of(&others[0], &raw[0]),
            legend: true,
            markers: true,
            note: nines_note(cap),
        });
    }
    let mut notes: Vec<String> = nines_note(cap).into_iter().collect();
    if total > others.len() {
        notes.push(format!(
            "The first {} of {total} combinations of the other keys are drawn, in cell order.",
            others.len()
        ));
    }
    let legend = strategy_legend(summary, 0, true);
    LinesOrPanels::Panels(panels::PanelsFigure {
        title,
        subtitle,
        panels: others
            .iter()
            .zip(&raw)
            .map(|(other, panel)| {
                let fixed: Vec<String> = other_keys
                    .iter()
                    .zip(other)
                    .map(|((i, key), v)| {
                        format!("{}={}", short_key(key), summary.value_label(*i, v))
                    })
                    .collect();
                LinesFigure {
                    title: fixed.join(", "),
                    subtitle: None,
                    x: x.clone(),
                    y: y.clone(),
                    series: series_of(other, panel),
                    legend: false,
                    markers: true,
                    note: None,
                }
            })
            .collect(),
        legend,
        note: (!notes.is_empty()).then(|| notes.join(" ")),
    })
}

/// The latency CDF of each cell, a curve per strategy, on the tail scale: one figure, a
/// panel per cell with a sweep (at most [`panels::MAX_PANELS`], evenly chosen, the
/// footnote saying so), all on the same axes.
fn latency_cdf(summary: &Summary, cdf: &LatencyCdf, name: &str) -> Option<LinesOrPanels> {
    let n = summary.cells.len();
    let cells: Vec<&data::CellInfo> = if n <= panels::MAX_PANELS {
        summary.cells.iter().collect()
    } else {
        (0..panels::MAX_PANELS)
            .map(|i| &summary.cells[i * (n - 1) / (panels::MAX_PANELS - 1)])
            .collect()
    };
    let per_cell: Vec<(&data::CellInfo, Vec<(usize, &data::Curve)>)> = cells
        .into_iter()
        .map(|cell| {
            let curves = summary
                .strategies
                .iter()
                .enumerate()
                .filter_map(|(s, name)| {
                    cdf.curves
                        .get(&(cell.index, name.clone()))
                        .map(|curve| (s, curve))
                })
                .collect();
            (cell, curves)
        })
        .collect();
    let without: Vec<String> = per_cell
        .iter()
        .filter(|(_, curves)| curves.is_empty())
        .map(|(cell, _)| format!("c{}", cell.index))
        .collect();
    let per_cell: Vec<_> = per_cell
        .into_iter()
        .filter(|(_, curves)| !curves.is_empty())
        .collect();
    let all = || per_cell.iter().flat_map(|(_, curves)| curves.iter());
    let n_max = all().map(|c| c.1.1).max()?;
    // Quantiles past one request in the largest pool only repeat the maximum.
    let top = (1.0 - 1.0 / n_max as f64).min(TAIL_MAX);
    let shown = |q: f64| q < 1.0 && q <= top + 1e-12;
    let (lo, hi) = all()
        .flat_map(|c| c.1.0.iter().filter(|(q, _)| shown(*q)).map(|(_, ms)| *ms))
        .filter(|ms| *ms > 0.0)
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    if !lo.is_finite() {
        return None;
    }
    let x = Axis::log("latency (ms, log scale)", lo, hi);
    let top_shown = all()
        .flat_map(|c| c.1.0.iter().map(|(q, _)| *q))
        .filter(|q| shown(*q))
        .fold(0.0, f64::max);
    let y = Axis::tail("percentile (tail scale)", top_shown.max(0.9));
    let requests = all().map(|c| c.1.1).min().unwrap_or(0);
    let panel = |curves: &[(usize, &data::Curve)], title: String| LinesFigure {
        title,
        subtitle: None,
        x: x.clone(),
        y: y.clone(),
        series: curves
            .iter()
            .map(|(s, (points, _))| Series {
                label: summary.strategies[*s].clone(),
                color: color(*s),
                marker: *s,
                strip: Vec::new(),
                points: points
                    .iter()
                    .filter(|(q, ms)| shown(*q) && *ms > 0.0)
                    .map(|(q, ms)| Point {
                        x: ms.log10(),
                        mean: Scale::Tail.to_plot(*q),
                        ci: None,
                    })
                    .collect(),
            })
            .collect(),
        legend: false,
        markers: false,
        note: None,
    };
    let subtitle = format!("all replications pooled, at least {requests} requests per strategy");
    if summary.sweep_keys.is_empty() {
        let (_, curves) = per_cell.first()?;
        let mut figure = panel(curves, format!("{name}latency of successful requests"));
        figure.subtitle = Some(subtitle);
        figure.legend = true;
        return Some(LinesOrPanels::One(figure));
    }
    let legend = strategy_legend(summary, 0, false);
    let mut notes = Vec::new();
    if n > panels::MAX_PANELS {
        notes.push(format!(
            "{} of {n} cells, evenly chosen; latency_cdf.csv holds them all.",
            panels::MAX_PANELS
        ));
    }
    if !without.is_empty() {
        notes.push(format!(
            "No successful request, so no panel: {}.",
            without.join(", ")
        ));
    }
    let note = (!notes.is_empty()).then(|| notes.join(" "));
    Some(LinesOrPanels::Panels(panels::PanelsFigure {
        title: format!("{name}latency of successful requests, by cell"),
        subtitle: Some(subtitle),
        panels: per_cell
            .iter()
            .map(|(cell, curves)| {
                let values: Vec<String> = summary
                    .sweep_keys
                    .iter()
                    .zip(&cell.values)
                    .enumerate()
                    .map(|(i, (k, v))| format!("{}={}", short_key(k), summary.value_label(i, v)))
                    .collect();
                panel(curves, format!("c{}: {}", cell.index, values.join(", ")))
            })
            .collect(),
        legend,
        note,
    }))
}

/// One chart, or small multiples of charts on the same axes.
enum LinesOrPanels {
    One(LinesFigure),
    Panels(panels::PanelsFigure<LinesFigure>),
}

impl canvas::Figure for LinesOrPanels {
    fn size(&self) -> (u32, u32) {
        match self {
            LinesOrPanels::One(f) => f.size(),
            LinesOrPanels::Panels(f) => f.size(),
        }
    }

    fn draw<DB: plotters::prelude::DrawingBackend>(
        &self,
        area: &plotters::prelude::DrawingArea<DB, plotters::coord::Shift>,
    ) -> canvas::DrawResult {
        match self {
            LinesOrPanels::One(f) => f.draw(area),
            LinesOrPanels::Panels(f) => f.draw(area),
        }
    }
}

/// A dotted sweep key by its last segment, for panel titles ("mttf.mean" for
/// "faults.crash.mttf.mean"): the last two segments when the last is a generic word.
fn short_key(key: &str) -> String {
    let parts: Vec<&str> = key.split('.').collect();
    match parts.as_slice() {
        [.., a, b] if matches!(*b, "mean" | "value" | "rate" | "median" | "p99") => {
            format!("{a}.{b}")
        }
        [.., b] => b.to_string(),
        [] => key.to_string(),
    }
}

/// Mean detection time against the false-suspicion rate, a point per (strategy, cell) with
/// a detection, when at least two strategies detected crashes and, where the folder says
/// which detector each strategy has (experiment.csv), some cell has two strategies with
/// different detectors.
pub fn detector_tradeoff(summary: &Summary, name: &str) -> Option<TradeoffFigure> {
    let (y_metric, y_label) = if summary.has("mistake_rate_per_s") {
        (
            "mistake_rate_per_s",
            "mistakes per second (a live server suspected)",
        )
    } else {
        (
            "false_suspicions",
            "mistakes per run (a live server suspected)",
        )
    };
    if !summary.detectors.is_empty() && !detectors_differ(summary) {
        return None;
    }
    let mut series = Vec::new();
    // (strategy, cell) pairs with a false-suspicion figure: all of them, and those without
    // a detection, which have no point.
    let (mut measured, mut undetected) = (Vec::new(), 0usize);
    for (s, strategy) in summary.strategies.iter().enumerate() {
        let mut points = Vec::new();
        for c in &summary.cells {
            let Some(y) = summary
                .stat(c.index, s, y_metric)
                .filter(|y| y.mean.is_some())
            else {
                continue;
            };
            measured.push(y.mean.unwrap_or(0.0));
            let Some(x) = summary
                .stat(c.index, s, "detection_time_mean_ms")
                .filter(|x| x.mean.is_some())
            else {
                undetected += 1;
                continue;
            };
            points.push(TradeoffPoint {
                x: x.mean.unwrap_or(0.0),
                x_ci: x.ci,
                y: y.mean.unwrap_or(0.0),
                y_ci: y.ci,
                tag: if summary.sweep_keys.is_empty() || summary.cells.len() > MAX_TAGGED_CELLS {
                    String::new()
                } else {
                    c.values.join(", ")
                },
            });
        }
        if !points.is_empty() {
            series.push(TradeoffSeries {
                label: strategy.clone(),
                color: color(s),
                marker: s,
                points,
            });
        }
    }
    if series.len() < 2 {
        return None;
    }
    let bound = |f: &dyn Fn(&TradeoffPoint) -> f64| {
        series
            .iter()
            .flat_map(|s| s.points.iter().map(f))
            .fold(0.0f64, f64::max)
    };
    let x_max = bound(&|p| p.x_ci.map_or(p.x, |c| c.1.max(p.x)));
    let y_max = bound(&|p| p.y_ci.map_or(p.y, |c| c.1.max(p.y)));
    let mut x = Axis::from_zero("mean detection time (ms)", x_max);
    x.hi = x.hi.max(x_max * 1.08);
    let y = if y_max > 0.0 {
        let mut y = Axis::from_zero(y_label, y_max);
        y.hi = y.hi.max(y_max * 1.05);
        // Room below 0, so that points without mistakes are not cut by the frame.
        y.lo = -0.04 * y.hi;
        y
    } else {
        // Every point is at 0: a single tick there, in the middle.
        Axis {
            label: y_label.to_string(),
            scale: Scale::Linear,
            lo: -1.0,
            hi: 1.0,
            ticks: vec![(0.0, "0".to_string())],
        }
    };
    let tagged = if summary.sweep_keys.is_empty() {
        String::new()
    } else {
        format!("; points named by {}", summary.sweep_keys.join(", "))
    };
    let mut notes = Vec::new();
    if measured.iter().all(|y| *y == 0.0) {
        notes.push("No strategy suspected a live server in these runs.".to_string());
    }
    if undetected > 0 {
        let pairs = if undetected == 1 {
            "1 (strategy, cell) without a detection has".to_string()
        } else {
            format!("{undetected} (strategy, cell) pairs without a detection have")
        };
        notes.push(format!("{pairs} no point."));
    }
    Some(TradeoffFigure {
        note: (!notes.is_empty()).then(|| notes.join(" ")),
        title: format!("{name}failure detection, speed against mistakes"),
        subtitle: Some(format!(
            "means with 95% confidence intervals; lower left is better{tagged}"
        )),
        x,
        y,
        series,
    })
}

/// Whether some cell has two strategies with different detectors.
fn detectors_differ(summary: &Summary) -> bool {
    summary.cells.iter().any(|c| {
        let mut seen = summary
            .strategies
            .iter()
            .filter_map(|s| summary.detectors.get(&(c.index, s.clone())));
        match seen.next() {
            Some(first) => seen.any(|d| d != first),
            None => false,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_values_are_named_by_what_tells_them_apart() {
        let v = |xs: &[&str]| xs.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            category_labels(&v(&[
                r#"{ dist = "constant", value = "10ms" }"#,
                r#"{ dist = "exponential", mean = "10ms" }"#,
            ])),
            ["constant", "exponential"]
        );
        assert_eq!(
            category_labels(&v(&[
                r#"{ kind = "fixed-timeout", interval = "100ms", timeout = "1s" }"#,
                r#"{ kind = "fixed-timeout", interval = "50ms", timeout = "1s" }"#,
            ])),
            ["interval=100ms", "interval=50ms"]
        );
        assert_eq!(
            category_labels(&v(&[
                r#"{ a = { b = 1, c = 2 }, d = 3 }"#,
                r#"{ a = 1, d = 3 }"#
            ])),
            ["a={ b = 1, c = 2 }", "a=1"]
        );
        assert_eq!(category_labels(&v(&["a", "b"])), ["a", "b"]);
        assert_eq!(short_key("faults.crash.mttf.mean"), "mttf.mean");
        assert_eq!(short_key("cluster.servers"), "servers");
    }
}
