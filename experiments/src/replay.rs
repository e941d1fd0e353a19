//! `faultline replay`: one run alone, with its metrics, its trace hash and optionally its
//! event trace.
//!
//! The trace file has one event per line in four aligned columns, `time node event
//! details` (deliveries are named by what they deliver: `recv-request`, `recv-heartbeat`),
//! after a header naming the run; the failure detectors' verdicts (`suspect`, `trust`)
//! follow the events that decided them in the same columns. `--node`, `--from` and
//! `--until` select lines in the engine; `--event` selects kinds here, as the lines are
//! written.
//!
//! Every flag is checked before the run starts, so that a mistyped filter is refused
//! (exit code 2) instead of writing an empty trace: an `--event` must name a kind of
//! [`TRACE_EVENT_KINDS`] or a prefix of one up to a dash, a `--node` a node the run has,
//! `--from` must not come after `--until`, and a `--window` must leave at most
//! [`MAX_TIMELINE_WINDOWS`] windows over the run.

use crate::checks::Violation;
use crate::cli::{CliError, ReplayArgs, load, output_error};
use crate::config::{Experiment, RunKey};
use crate::output::AtomicFile;
use crate::runner;
use crate::runs_csv::{metric_cells, metric_values, numeric_columns};
use sim_core::RunReport;
use sim_core::config::scenario::Scenario;
use sim_core::model::events::TRACE_EVENT_KINDS;
use sim_core::model::trace::TraceFilter;
use sim_core::report::format_real;
use sim_core::{SimDuration, SimTime};
use std::collections::BTreeSet;
use std::io::{self, Write};
use std::path::Path;

fn parse_time_flag(flag: &str, text: &Option<String>) -> Result<Option<SimTime>, CliError> {
    match text {
        None => Ok(None),
        Some(t) => SimDuration::parse(t)
            .map(|d| Some(SimTime::ZERO + d))
            .map_err(|e| CliError::Input(format!("--{flag}: {e}"))),
    }
}

/// The most windows a replay's timeline may hold: a row of timeline.csv and a point of
/// its plot each (about 8 MB of CSV). Beyond it, a window as short as a nanosecond
/// would make the timeline grow without bound.
pub const MAX_TIMELINE_WINDOWS: u64 = 100_000;

/// Checks every `--event` value: a trace kind, or a prefix of one up to a dash.
pub fn check_event_kinds(kinds: &[String]) -> Result<(), CliError> {
    for k in kinds {
        let one = std::slice::from_ref(k);
        if !TRACE_EVENT_KINDS
            .iter()
            .any(|kind| event_selected(kind, one))
        {
            return Err(CliError::Input(format!(
                "--event {k}: no such event kind; expected one of {}, or a prefix of one up to a dash (recv, fault, checkpoint, ...)",
                TRACE_EVENT_KINDS.join(", ")
            )));
        }
    }
    Ok(())
}

/// Checks every `--node` value against the nodes of a run with `servers` servers and
/// `clients` clients.
pub fn check_nodes(nodes: &[String], servers: u32, clients: u32) -> Result<(), CliError> {
    let expected = match clients {
        0 => format!(
            "expected monitor or server-N (N from 0 to {}); this run has no clients",
            servers - 1
        ),
        _ => format!(
            "expected monitor, server-N (N from 0 to {}) or client-N (N from 0 to {})",
            servers - 1,
            clients - 1
        ),
    };
    for name in nodes {
        let (kind, count, index) = if name == "monitor" {
            continue;
        } else if let Some(n) = name.strip_prefix("server-") {
            ("server", servers, n)
        } else if let Some(n) = name.strip_prefix("client-") {
            ("client", clients, n)
        } else {
            return Err(CliError::Input(format!("--node {name}: {expected}")));
        };
        match index.parse::<u32>() {
            Ok(i) if i < count => {}
            Ok(_) if count == 0 => {
                return Err(CliError::Input(format!("--node {name}: {expected}")));
            }
            Ok(_) => {
                let has = match count {
                    1 => format!("1 {kind}, {kind}-0"),
                    _ => format!("{count} {kind}s, {kind}-0 to {kind}-{}", count - 1),
                };
                return Err(CliError::Input(format!(
                    "--node {name}: no such {kind}; this run has {has}"
                )));
            }
            Err(_) => return Err(CliError::Input(format!("--node {name}: {expected}"))),
        }
    }
    Ok(())
}

/// The timeline window `--window` asks for (or the default), refused when it leaves more
/// than [`MAX_TIMELINE_WINDOWS`] windows over the run: its duration plus the
/// `workload.timeout` its last requests may take.
fn timeline_window(text: Option<&str>, scenario: &Scenario) -> Result<SimDuration, CliError> {
    let Some(text) = text else {
        return Ok(crate::timeline::default_window(scenario.duration));
    };
    let window = match SimDuration::parse(text) {
        Ok(d) if !d.is_zero() => d,
        Ok(_) => {
            return Err(CliError::Input(
                "--window: expected a positive duration like 500ms, got 0".into(),
            ));
        }
        Err(e) => return Err(CliError::Input(format!("--window: {e}"))),
    };
    let span = scenario.duration.saturating_add(scenario.workload.timeout);
    let windows = span.0.div_ceil(window.0);
    if windows > MAX_TIMELINE_WINDOWS {
        let shortest = SimDuration(span.0.div_ceil(MAX_TIMELINE_WINDOWS));
        return Err(CliError::Input(format!(
            "--window {text}: gives {windows} windows over the run's {span} (duration {} plus workload.timeout {}); at most {MAX_TIMELINE_WINDOWS}, so a window of at least {shortest}",
            scenario.duration, scenario.workload.timeout
        )));
    }
    Ok(window)
}

/// The run `id` of `exp`, read from `config`, or an error naming the ids it has.
pub fn find_run(exp: &Experiment, id: &str, config: &Path) -> Result<RunKey, CliError> {
    exp.find_run(id).ok_or_else(|| {
        CliError::Input(format!(
            "--run {id}: no such run in {}; run ids look like c<cell>-<strategy>-r<replication>, here cells 0 to {}, strategies {}, replications 0 to {}",
            config.display(),
            exp.cells.len() - 1,
            exp.strategy_names.join(", "),
            exp.replications - 1
        ))
    })
}

/// The checks of `exp` that a run with this report broke, in the order `[checks]` lists
/// them.
pub fn violations_of(exp: &Experiment, report: &RunReport) -> Vec<Violation> {
    let values = metric_values(&metric_cells(report), &numeric_columns());
    exp.checks.violations(&values)
}

pub fn cmd_replay(mut args: ReplayArgs) -> Result<u8, CliError> {
    // `faultline replay DIR --run ID` replays from a results folder's config.toml.
    args.config.config = crate::manifest::config_of(&args.config.config)?;
    let exp = load(&args.config)?;
    crate::manifest::check_folder(&args.config.config, &exp)?;
    let key = find_run(&exp, &args.run, &args.config.config)?;
    // With `[swarm]` the run runs in the config its seed draws.
    let (run_exp, _) = exp.run_experiment(key)?;
    let cell = run_exp.cell(key);
    let filter = TraceFilter {
        nodes: args.nodes.clone(),
        from: parse_time_flag("from", &args.from)?,
        until: parse_time_flag("until", &args.until)?,
    };
    if let (Some(from), Some(until)) = (filter.from, filter.until)
        && from > until
    {
        return Err(CliError::Input(format!(
            "--from {} is after --until {}: no line could be kept; expected --from at or before --until",
            args.from.as_deref().unwrap_or_default(),
            args.until.as_deref().unwrap_or_default()
        )));
    }
    check_event_kinds(&args.events)?;
    check_nodes(
        &args.nodes,
        cell.scenario.cluster.servers,
        cell.scenario.workload.arrivals.clients(),
    )?;
    let window = match &args.timeline {
        Some(_) => Some(timeline_window(args.window.as_deref(), &cell.scenario)?),
        None => None,
    };
    let strategy = run_exp.strategy(key);
    let seed = exp.run_seed(key);
    let mut trace_summary = None;
    let result = match &args.trace {
        None => runner::run_one(&exp, key),
        Some(path) => {
            let file = AtomicFile::create(path).map_err(|e| output_error(path, e))?;
            let mut lines = TraceLines::new(file, args.events.clone());
            writeln!(
                lines,
                "# faultline trace of run {} (seed {seed}) from {}",
                exp.run_id(key),
                args.config.config.display()
            )
            .map_err(|e| output_error(path, e))?;
            lines.header().map_err(|e| output_error(path, e))?;
            let result =
                sim_core::simulate_traced(&cell.scenario, strategy, seed, &mut lines, filter)
                    .map_err(|e| output_error(path, e))?;
            let (file, kept, kinds) = lines.finish().map_err(|e| output_error(path, e))?;
            file.commit().map_err(|e| output_error(path, e))?;
            trace_summary = Some((kept, kinds));
            result
        }
    };
    let r = &result.report;
    println!(
        "run {} (cell {}, strategy {}, replication {}, seed {seed})",
        exp.run_id(key),
        key.cell,
        strategy.name,
        key.replication
    );
    for (axis, value) in exp.sweep.iter().zip(&cell.values) {
        println!("  {} = {}", axis.key, value.to_config_text());
    }
    for (name, cell) in r.columns() {
        if name != "trace_hash" {
            println!("  {name:<26} {cell}");
        }
    }
    println!("trace_hash {:016x}", r.trace_hash);
    if let (Some(path), Some((kept, kinds))) = (&args.trace, &trace_summary) {
        println!("trace of {kept} lines written to {}", path.display());
        if *kept == 0 && !args.events.is_empty() {
            eprintln!(
                "note: no event matched --event {}; the selected nodes and times hold {}",
                args.events.join(" --event "),
                if kinds.is_empty() {
                    "no events".to_string()
                } else {
                    kinds.iter().cloned().collect::<Vec<_>>().join(", ")
                }
            );
        }
    }
    if let (Some(dir), Some(window)) = (&args.timeline, window) {
        std::fs::create_dir_all(dir).map_err(|e| output_error(dir, e))?;
        let recorded = crate::timeline::record(&exp, key, window);
        if recorded.report.trace_hash != r.trace_hash {
            return Err(CliError::Internal(format!(
                "the run recorded with its timeline has trace hash {:016x}, not {:016x}",
                recorded.report.trace_hash, r.trace_hash
            )));
        }
        let timeline = recorded.timeline.expect("a timeline was recorded");
        crate::timeline::write(dir, &exp, key, &timeline).map_err(|e| output_error(dir, e))?;
        let figure = crate::plot::draw_timeline(dir, &exp.name)?;
        println!(
            "timeline in {window} windows written to {} and {}, drawn in {}.png and .svg",
            dir.join(crate::timeline::WINDOWS_FILE).display(),
            dir.join(crate::timeline::SPANS_FILE).display(),
            figure.display()
        );
    }
    let violations = violations_of(&exp, r);
    for v in &violations {
        println!(
            "check failed: {}: {} against {}",
            v.check,
            v.value.map_or_else(|| "no value".to_string(), format_real),
            format_real(v.threshold)
        );
    }
    Ok(if violations.is_empty() { 0 } else { 1 })
}

/// Width of the time column: enough for ten hours to the nanosecond.
const TIME_WIDTH: usize = 16;
const NODE_WIDTH: usize = 10;
const EVENT_WIDTH: usize = 14;

/// Rewrites the engine's trace lines (`time node event details`, single-spaced) into
/// aligned columns, keeping only the selected event kinds. Lines starting with `#` pass
/// through.
pub struct TraceLines<W: Write> {
    out: W,
    partial: Vec<u8>,
    kinds: Vec<String>,
    kept: u64,
    seen: BTreeSet<String>,
}

/// A trace line split into its columns.
#[derive(Debug, PartialEq, Eq)]
pub struct TraceLine<'a> {
    pub time: &'a str,
    pub node: &'a str,
    pub event: String,
    pub details: &'a str,
}

/// Splits an engine trace line; deliveries take the message kind into the event name.
pub fn split_trace_line(line: &str) -> Option<TraceLine<'_>> {
    let (time, rest) = line.split_once(' ')?;
    let (node, rest) = rest.split_once(' ')?;
    let (word, details) = rest.split_once(' ').unwrap_or((rest, ""));
    let (event, details) = if word == "recv" {
        let (message, details) = details.split_once(' ').unwrap_or((details, ""));
        (format!("recv-{message}"), details)
    } else {
        (word.to_string(), details)
    };
    Some(TraceLine {
        time,
        node,
        event,
        details,
    })
}

/// Whether `event` is selected by `--event` values: a value selects its own kind and the
/// kinds it prefixes up to a dash (`recv` selects `recv-request`, `fault` `fault-start`).
pub fn event_selected(event: &str, kinds: &[String]) -> bool {
    kinds.is_empty()
        || kinds.iter().any(|k| {
            event == k
                || event
                    .strip_prefix(k.as_str())
                    .is_some_and(|rest| rest.starts_with('-'))
        })
}

impl<W: Write> TraceLines<W> {
    pub fn new(out: W, kinds: Vec<String>) -> Self {
        TraceLines {
            out,
            partial: Vec::new(),
            kinds,
            kept: 0,
            seen: BTreeSet::new(),
        }
    }

    /// Writes the column header.
    pub fn header(&mut self) -> io::Result<()> {
        writeln!(
            self.out,
            "#{:>w$} {:<nw$} {:<ew$} details",
            "time",
            "node",
            "event",
            w = TIME_WIDTH - 1,
            nw = NODE_WIDTH,
            ew = EVENT_WIDTH
        )
    }

    fn line(&mut self, raw: &[u8]) -> io::Result<()> {
        let text = String::from_utf8_lossy(raw);
        if text.starts_with('#') {
            return writeln!(self.out, "{text}");
        }
        let Some(line) = split_trace_line(&text) else {
            return writeln!(self.out, "{text}");
        };
        if !self.seen.contains(&line.event) {
            self.seen.insert(line.event.clone());
        }
        if !event_selected(&line.event, &self.kinds) {
            return Ok(());
        }
        self.kept += 1;
        let formatted = format!(
            "{:>tw$} {:<nw$} {:<ew$} {}",
            line.time,
            line.node,
            line.event,
            line.details,
            tw = TIME_WIDTH,
            nw = NODE_WIDTH,
            ew = EVENT_WIDTH
        );
        writeln!(self.out, "{}", formatted.trim_end())
    }

    /// Flushes and returns the writer, the number of events written and the event kinds
    /// met.
    pub fn finish(mut self) -> io::Result<(W, u64, BTreeSet<String>)> {
        if !self.partial.is_empty() {
            let rest = std::mem::take(&mut self.partial);
            self.line(&rest)?;
        }
        self.out.flush()?;
        Ok((self.out, self.kept, self.seen))
    }
}

impl<W: Write> Write for TraceLines<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut rest = buf;
        while let Some(end) = rest.iter().position(|&b| b == b'\n') {
            if self.partial.is_empty() {
                self.line(&rest[..end])?;
            } else {
                self.partial.extend_from_slice(&rest[..end]);
                let whole = std::mem::take(&mut self.partial);
                self.line(&whole)?;
            }
            rest = &rest[end + 1..];
        }
        self.partial.extend_from_slice(rest);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deliveries_are_named_by_their_message() {
        let line = split_trace_line(
            "1.000000000s server-3 recv request req=17 attempt=1 key=42 demand=10ms from=client-0",
        )
        .unwrap();
        assert_eq!(line.node, "server-3");
        assert_eq!(line.event, "recv-request");
        assert_eq!(
            line.details,
            "req=17 attempt=1 key=42 demand=10ms from=client-0"
        );
        let line = split_trace_line("2.500000000s server-1 crash").unwrap();
        assert_eq!((line.event.as_str(), line.details), ("crash", ""));
    }

    #[test]
    fn event_kinds_select_by_name_or_dash_prefix() {
        let kinds = vec!["recv".to_string(), "crash".to_string()];
        assert!(event_selected("recv-heartbeat", &kinds));
        assert!(event_selected("crash", &kinds));
        assert!(!event_selected("receive", &kinds));
        assert!(!event_selected("recover", &kinds));
        assert!(event_selected("anything", &[]));
    }

    #[test]
    fn lines_come_out_aligned_and_filtered_whatever_the_write_sizes() {
        let mut lines = TraceLines::new(Vec::new(), vec!["crash".into()]);
        for piece in [
            "1.000000000s server-0 heart",
            "beat-tick\n2.000000000s server-1 cr",
            "ash\n",
        ] {
            lines.write_all(piece.as_bytes()).unwrap();
        }
        let (out, kept, seen) = lines.finish().unwrap();
        assert_eq!(kept, 1);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "    2.000000000s server-1   crash\n"
        );
        assert_eq!(
            seen.into_iter().collect::<Vec<_>>(),
            ["crash", "heartbeat-tick"]
        );
    }
}
