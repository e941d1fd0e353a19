//! report.html: a results folder in one self-contained page a person reads at a glance.
//! It holds the experiment's question (the config's leading comment), the plan, the
//! headline metrics per cell and strategy with their intervals and paired differences,
//! the forest plots, every other figure, the failures with their replay commands and the
//! timeline, with filters by cell and strategy. Everything is inline (SVG figures, style,
//! a few lines of script): the page loads nothing from the network, so it opens the same
//! from a laptop, a cluster's file share or a CI artifact. It is drawn from the folder's
//! files alone, like the plots, so `faultline report DIR` rewrites it at any time.

use crate::cli::{CliError, output_error};
use crate::output::write_atomic;
use crate::plot::PLOTS_DIR;
use crate::plot::axis::{grouped, short_number};
use crate::plot::data::{DataError, Summary};
use crate::run::plural;
use clap::Args;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The file's name inside a results folder.
pub const REPORT_FILE: &str = "report.html";

/// The most failures the page lists (failures.csv holds them all).
const MAX_FAILURES: usize = 200;

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// A results folder written by `faultline run` (it holds summary.csv).
    pub dir: PathBuf,
}

pub fn cmd_report(args: ReportArgs) -> Result<u8, CliError> {
    if std::fs::metadata(&args.dir).is_ok_and(|m| !m.is_dir()) {
        return Err(CliError::Input(format!(
            "{}: is a file, not a folder; expected a results folder written by `faultline run`",
            args.dir.display()
        )));
    }
    let path = write(&args.dir)?;
    println!("report: {}", path.display());
    Ok(0)
}

/// Writes report.html into results folder `dir` (atomically) and returns its path.
pub fn write(dir: &Path) -> Result<PathBuf, CliError> {
    let summary = Summary::read(dir).map_err(|e| match e {
        DataError::Missing(m) | DataError::Malformed(m) => CliError::Input(m),
    })?;
    let page = page(dir, &summary)?;
    let path = dir.join(REPORT_FILE);
    write_atomic(&path, page.as_bytes()).map_err(|e| output_error(&path, e))?;
    Ok(path)
}

/// Removes the report.html of an earlier run from `dir`, if any: a run with `--no-plots`
/// writes none, and one left behind would describe other results.
pub fn remove(dir: &Path) -> Result<(), CliError> {
    let path = dir.join(REPORT_FILE);
    match std::fs::remove_file(&path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(output_error(&path, e)),
        _ => Ok(()),
    }
}

/// Text escaped for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A number for a table: four significant digits, whole parts grouped from 10,000 up.
fn number(v: f64) -> String {
    if v.abs() >= 10_000.0 {
        grouped(&format!("{v:.0}"))
    } else {
        short_number(v, 4)
    }
}

fn signed(v: f64) -> String {
    let text = number(v);
    if v > 0.0 { format!("+{text}") } else { text }
}

/// A file of the folder as text, or `None` when it is absent.
fn read_optional(path: &Path) -> Result<Option<String>, CliError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(CliError::Input(format!(
            "{}: cannot read it ({})",
            path.display(),
            crate::load::describe_io(&e)
        ))),
    }
}

/// A figure of `plots/`: its file name without extension and its SVG text.
struct Figure {
    name: String,
    svg: String,
}

/// Where a figure goes in the page, and its order there.
fn section_of(name: &str) -> (u8, &'static str) {
    if name.starts_with("diff_") {
        (0, "differences")
    } else if name == "timeline" {
        (3, "timeline")
    } else if name.starts_with("latency_cdf") {
        (2, "figures")
    } else {
        (1, "figures")
    }
}

/// The SVG figures faultline drew in the folder (those `plots/drawn-by-faultline.txt`
/// lists), in the page's order.
fn figures(dir: &Path) -> Result<Vec<Figure>, CliError> {
    let plots = dir.join(PLOTS_DIR);
    let Some(list) = read_optional(&plots.join(crate::plot::DRAWN_LIST))? else {
        return Ok(Vec::new());
    };
    let mut names: Vec<String> = list
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.strip_suffix(".svg"))
        .map(str::to_string)
        .collect();
    names.sort_by(|a, b| (section_of(a).0, a).cmp(&(section_of(b).0, b)));
    let mut out = Vec::new();
    for name in names {
        if let Some(svg) = read_optional(&plots.join(format!("{name}.svg")))? {
            // Only the <svg> element: no XML prolog inside HTML.
            let start = svg.find("<svg").unwrap_or(0);
            out.push(Figure {
                name,
                svg: svg[start..].to_string(),
            });
        }
    }
    Ok(out)
}

const STYLE: &str = r#"
body { font-family: system-ui, sans-serif; margin: 0; color: #1d1d1f; background: #fafafa; }
header, main, nav .wrap { max-width: 1180px; margin: 0 auto; padding: 0 20px; }
header { padding-top: 18px; }
h1 { font-size: 1.6em; margin: 0.2em 0; }
h2 { font-size: 1.25em; margin-top: 1.6em; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
nav { position: sticky; top: 0; background: #fafafa; padding: 8px 0; border-bottom: 1px solid #ddd; z-index: 1; }
nav a { margin-right: 14px; }
nav label { margin-left: 10px; }
.question { white-space: pre-wrap; background: #fff; border-left: 4px solid #1f77b4; padding: 10px 14px; }
table { border-collapse: collapse; background: #fff; font-size: 0.92em; }
th, td { border: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.diff { color: #555; font-size: 0.88em; }
.sig { color: #b00; font-weight: 600; }
figure { background: #fff; border: 1px solid #ddd; margin: 12px 0; padding: 8px; display: inline-block; }
figure svg { max-width: 100%; height: auto; }
figcaption { font-size: 0.85em; color: #555; }
code, pre { font-family: ui-monospace, monospace; font-size: 0.9em; }
pre.config { background: #fff; border: 1px solid #ddd; padding: 10px; overflow-x: auto; }
.muted { color: #666; }
.scroll { overflow-x: auto; }
"#;

/// Shows only the rows and figures of the chosen cell and strategy. `#cell=N&strategy=S`
/// in the address chooses them on load, so a link can point at one cell.
const SCRIPT: &str = r#"
(function () {
  var cell = document.getElementById("filter-cell");
  var strategy = document.getElementById("filter-strategy");
  function apply() {
    var items = document.querySelectorAll("[data-cell], [data-strategy]");
    for (var i = 0; i < items.length; i++) {
      var e = items[i];
      var c = e.getAttribute("data-cell");
      var s = e.getAttribute("data-strategy");
      var show = (c === null || cell.value === "" || c === cell.value) &&
                 (s === null || strategy.value === "" || s === strategy.value);
      e.hidden = !show;
    }
  }
  var params = new URLSearchParams(location.hash.replace(/^#/, ""));
  if (params.has("cell")) { cell.value = params.get("cell"); }
  if (params.has("strategy")) { strategy.value = params.get("strategy"); }
  cell.addEventListener("change", apply);
  strategy.addEventListener("change", apply);
  apply();
  document.body.setAttribute("data-ready", "ok");
})();
"#;

fn page(dir: &Path, summary: &Summary) -> Result<String, CliError> {
    let name = summary.experiment.clone().unwrap_or_default();
    let config = read_optional(&dir.join(crate::manifest::CONFIG_FILE))?;
    let manifest: Option<serde_json::Value> =
        read_optional(&dir.join(crate::manifest::MANIFEST_FILE))?
            .and_then(|t| serde_json::from_str(&t).ok());
    let description = config
        .as_deref()
        .map(crate::manifest::snapshot_description)
        .unwrap_or_default();
    let headline = crate::headline::of_folder(dir, |m| crate::plot::has_nonzero(summary, m));
    let figures = figures(dir)?;
    let baseline = summary.strategies.first().cloned().unwrap_or_default();

    let mut h = String::new();
    let title = if name.is_empty() {
        "faultline results".to_string()
    } else {
        format!("{name}: faultline results")
    };
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<header>\n<h1>{}</h1>\n",
        escape(&title),
        escape(if name.is_empty() { "results" } else { &name })
    );
    if !description.is_empty() {
        let _ = writeln!(h, "<div class=\"question\">{}</div>", escape(&description));
    }
    h.push_str("</header>\n<nav><div class=\"wrap\">");
    for (anchor, text) in [
        ("plan", "plan"),
        ("headline", "headline"),
        ("differences", "differences"),
        ("figures", "figures"),
        ("failures", "failures"),
        ("timeline", "timeline"),
    ] {
        let _ = write!(h, "<a href=\"#{anchor}\">{text}</a>");
    }
    h.push_str("<label>cell <select id=\"filter-cell\"><option value=\"\">all</option>");
    for c in &summary.cells {
        let label = if c.values.is_empty() {
            format!("c{}", c.index)
        } else {
            format!("c{} {}", c.index, crate::plot::cell_label(summary, c))
        };
        let _ = write!(
            h,
            "<option value=\"{}\">{}</option>",
            c.index,
            escape(&label)
        );
    }
    h.push_str(
        "</select></label><label>strategy <select id=\"filter-strategy\"><option value=\"\">all</option>",
    );
    for s in &summary.strategies {
        let _ = write!(h, "<option value=\"{}\">{}</option>", escape(s), escape(s));
    }
    h.push_str("</select></label></div></nav>\n<main>\n");

    // The plan.
    h.push_str("<h2 id=\"plan\">plan</h2>\n<p>");
    let runs = manifest
        .as_ref()
        .and_then(|m| m["runs"].as_u64())
        .map_or_else(String::new, |r| {
            format!("{} runs: ", grouped(&r.to_string()))
        });
    let _ = write!(
        h,
        "{runs}{} cell{} × {} strateg{} ({}), compared with the first, <b>{}</b>, replication by replication.",
        summary.cells.len(),
        plural(summary.cells.len(), "", "s"),
        summary.strategies.len(),
        plural(summary.strategies.len(), "y", "ies"),
        escape(&summary.strategies.join(", ")),
        escape(&baseline)
    );
    if !summary.sweep_keys.is_empty() {
        let _ = write!(
            h,
            " Swept: {}.",
            summary
                .sweep_keys
                .iter()
                .map(|k| format!("<code>{}</code>", escape(k)))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    h.push_str("</p>\n");
    if let Some(m) = &manifest {
        let command: Vec<String> = m["command"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str())
                    .map(crate::config::shell_quote)
                    .collect()
            })
            .unwrap_or_default();
        let _ = writeln!(
            h,
            "<p class=\"muted\">faultline {} ({}), finished {}: <code>{}</code></p>",
            escape(m["faultline_version"].as_str().unwrap_or("?")),
            escape(m["git_commit"].as_str().unwrap_or("?")),
            escape(m["finished"].as_str().unwrap_or("?")),
            escape(&command.join(" "))
        );
    }
    if let Some(text) = &config {
        let _ = writeln!(
            h,
            "<details><summary>config.toml (the resolved config; replay any run from this folder)</summary><pre class=\"config\">{}</pre></details>",
            escape(text)
        );
    }

    // The headline table.
    h.push_str("<h2 id=\"headline\">headline</h2>\n");
    let _ = writeln!(
        h,
        "<p>Mean and 95% confidence interval per cell and strategy (intervals stay inside each metric's range; see summary.csv). Under each, the paired difference to {} with its interval; <span class=\"sig\">red</span> when the interval excludes 0, significant at 5%.</p>",
        escape(&baseline)
    );
    h.push_str("<div class=\"scroll\"><table id=\"headline-table\">\n<tr><th>cell</th>");
    for k in &summary.sweep_keys {
        let _ = write!(h, "<th>{}</th>", escape(k));
    }
    h.push_str("<th>strategy</th>");
    for m in &headline {
        let _ = write!(h, "<th>{}</th>", escape(m));
    }
    h.push_str("</tr>\n");
    for c in &summary.cells {
        for (s, strategy) in summary.strategies.iter().enumerate() {
            let _ = write!(
                h,
                "<tr data-cell=\"{}\" data-strategy=\"{}\"><td>c{}</td>",
                c.index,
                escape(strategy),
                c.index
            );
            for v in &c.values {
                let _ = write!(h, "<td>{}</td>", escape(v));
            }
            let _ = write!(h, "<td>{}</td>", escape(strategy));
            for m in &headline {
                h.push_str("<td class=\"num\">");
                match summary
                    .stat(c.index, s, m)
                    .and_then(|st| st.mean.map(|v| (v, st.ci)))
                {
                    Some((mean, ci)) => {
                        h.push_str(&number(mean));
                        if let Some((lo, hi)) = ci {
                            let _ = write!(h, " [{}, {}]", number(lo), number(hi));
                        }
                    }
                    None => h.push('–'),
                }
                if let Some(d) = summary.diff(c.index, s, m)
                    && let Some(mean) = d.mean
                {
                    let significant = crate::plot::data::excludes_zero(d.ci);
                    let class = if significant { "diff sig" } else { "diff" };
                    let _ = write!(h, "<br><span class=\"{class}\">Δ {}", signed(mean));
                    if let Some((lo, hi)) = d.ci {
                        let _ = write!(h, " [{}, {}]", signed(lo), signed(hi));
                    }
                    h.push_str("</span>");
                }
                h.push_str("</td>");
            }
            h.push_str("</tr>\n");
        }
    }
    h.push_str("</table></div>\n");

    // Figures, by section.
    for (anchor, heading, intro) in [
        (
            "differences",
            "differences to the baseline",
            "Each row is a cell and strategy: its mean paired difference to the baseline with its 95% interval; the line at 0 is no difference, and a starred row's interval excludes it.",
        ),
        (
            "figures",
            "figures",
            "Every figure of plots/, as drawn there.",
        ),
    ] {
        let _ = writeln!(h, "<h2 id=\"{anchor}\">{heading}</h2>\n<p>{intro}</p>");
        let mut any = false;
        for f in figures.iter().filter(|f| section_of(&f.name).1 == anchor) {
            any = true;
            let _ = writeln!(
                h,
                "<figure id=\"figure-{}\" class=\"figure\">{}<figcaption>plots/{}.svg (and .png)</figcaption></figure>",
                escape(&f.name),
                f.svg,
                escape(&f.name)
            );
        }
        if !any {
            let note = if anchor == "differences" && summary.strategies.len() < 2 {
                "One strategy: nothing to compare it with."
            } else {
                "None drawn (the run used --no-plots, or the folder calls for none)."
            };
            let _ = writeln!(h, "<p class=\"muted\">{note}</p>");
        }
    }

    // Failures.
    h.push_str("<h2 id=\"failures\">failures</h2>\n");
    failures(&mut h, dir)?;

    // The timeline.
    h.push_str("<h2 id=\"timeline\">timeline</h2>\n");
    match figures.iter().find(|f| f.name == "timeline") {
        Some(f) => {
            let _ = writeln!(
                h,
                "<p>The run of lowest availability, replayed with its timeline recorded.</p>\n<figure id=\"figure-timeline\" class=\"figure\">{}<figcaption>plots/timeline.svg</figcaption></figure>",
                f.svg
            );
        }
        None => h.push_str("<p class=\"muted\">No timeline in this folder.</p>\n"),
    }
    let _ = write!(h, "</main>\n<script>{SCRIPT}</script>\n</body>\n</html>\n");
    Ok(h)
}

/// The failures table: failures.csv's rows with their replay commands.
fn failures(h: &mut String, dir: &Path) -> Result<(), CliError> {
    let path = dir.join("failures.csv");
    if !path.is_file() {
        h.push_str("<p class=\"muted\">The config has no [checks]: no run can fail.</p>\n");
        return Ok(());
    }
    let malformed = |e: csv::Error| {
        CliError::Input(format!(
            "{}: {e}; expected failures.csv as faultline writes it",
            path.display()
        ))
    };
    let mut reader = csv::Reader::from_path(&path).map_err(malformed)?;
    let header: Vec<String> = reader
        .headers()
        .map_err(malformed)?
        .iter()
        .map(str::to_string)
        .collect();
    let column = |name: &str| header.iter().position(|h| h == name);
    let (
        Some(run),
        Some(cell),
        Some(strategy),
        Some(check),
        Some(value),
        Some(threshold),
        Some(replay),
    ) = (
        column("run_id"),
        column("cell"),
        column("strategy"),
        column("check"),
        column("value"),
        column("threshold"),
        column("replay"),
    )
    else {
        return Err(CliError::Input(format!(
            "{}: line 1: expected the columns run_id, cell, strategy, check, value, threshold and replay",
            path.display()
        )));
    };
    let mut rows = Vec::new();
    let mut total = 0usize;
    for record in reader.records() {
        let record = record.map_err(malformed)?;
        total += 1;
        if rows.len() < MAX_FAILURES {
            rows.push(record);
        }
    }
    if total == 0 {
        h.push_str("<p>No run failed a check.</p>\n");
        return Ok(());
    }
    let _ = writeln!(
        h,
        "<p>{total} failed check{} (a run fails once per check it breaks){}. Each replays alone, event for event, from this folder:</p>",
        plural(total, "", "s"),
        if total > rows.len() {
            format!(
                "; the first {} are listed, failures.csv holds them all",
                rows.len()
            )
        } else {
            String::new()
        }
    );
    h.push_str("<div class=\"scroll\"><table id=\"failures-table\">\n<tr><th>run</th><th>check</th><th>value</th><th>threshold</th><th>replay</th></tr>\n");
    for r in &rows {
        let get = |i: usize| r.get(i).unwrap_or("");
        let _ = writeln!(
            h,
            "<tr data-cell=\"{}\" data-strategy=\"{}\"><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td><code>{}</code></td></tr>",
            escape(get(cell)),
            escape(get(strategy)),
            escape(get(run)),
            escape(get(check)),
            escape(get(value)),
            escape(get(threshold)),
            escape(get(replay))
        );
    }
    h.push_str("</table></div>\n");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_for_html() {
        assert_eq!(
            escape(r#"<a href="x">&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn numbers_keep_four_digits_and_group_large_ones() {
        assert_eq!(number(0.9971234), "0.9971");
        assert_eq!(number(52587.3), "52,587");
        assert_eq!(signed(0.00123), "+0.00123");
        assert_eq!(signed(-2.5), "-2.5");
    }

    #[test]
    fn figures_are_ordered_by_section() {
        let mut names = vec![
            "timeline",
            "latency_cdf",
            "availability",
            "diff_availability",
        ];
        names.sort_by(|a, b| (section_of(a).0, a).cmp(&(section_of(b).0, b)));
        assert_eq!(
            names,
            [
                "diff_availability",
                "availability",
                "latency_cdf",
                "timeline"
            ]
        );
    }
}
