//! The README's column tables say what the declared measures say: the runs.csv table lists
//! every metric column of `sim_core::report::COLUMNS`, in order, with its unit and its doc
//! word for word, and summary.csv's table names the columns whose unit is `fraction` as
//! the ones with a logit interval. A measure added, renamed, reordered or redocumented
//! without its README row fails here, with the rows the README should hold.

use crate::common;

use sim_core::report::{COLUMNS, Unit};

fn readme() -> String {
    std::fs::read_to_string(common::repo_root().join("README.md")).expect("README.md is readable")
}

/// The text of the section under `heading` (a whole line), up to the next heading.
fn section(text: &str, heading: &str) -> String {
    let mut lines = text.lines().skip_while(|l| *l != heading);
    assert!(lines.next().is_some(), "README has no line {heading:?}");
    let body: Vec<&str> = lines.take_while(|l| !l.starts_with('#')).collect();
    body.join("\n")
}

/// The rows, as trimmed cells, of the table in `text` whose header line is `header`.
fn table(text: &str, header: &str) -> Vec<Vec<String>> {
    let mut lines = text.lines().skip_while(|l| *l != header);
    assert!(lines.next().is_some(), "no table headed {header:?}");
    lines
        .skip(1) // the |---| line
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            l.trim_matches('|')
                .split('|')
                .map(|c| c.trim().to_string())
                .collect()
        })
        .collect()
}

/// The README rows of the declared columns.
fn declared_rows() -> Vec<Vec<String>> {
    COLUMNS
        .iter()
        .map(|c| {
            vec![
                format!("`{}`", c.name),
                c.unit.as_str().to_string(),
                c.doc.to_string(),
            ]
        })
        .collect()
}

#[test]
fn the_runs_csv_table_holds_every_declared_column_with_its_unit_and_doc() {
    let text = readme();
    let rows = table(
        &section(&text, "### runs.csv"),
        "| column | unit | meaning |",
    );
    let declared = declared_rows();
    if rows != declared {
        let expected: String = declared
            .iter()
            .map(|r| format!("| {} |\n", r.join(" | ")))
            .collect();
        let first = rows
            .iter()
            .zip(&declared)
            .position(|(a, b)| a != b)
            .unwrap_or(rows.len().min(declared.len()));
        panic!(
            "README's runs.csv metric table differs from the declared columns from row {} on \
             (README {} rows, declared {}); it should read:\n{expected}",
            first + 1,
            rows.len(),
            declared.len()
        );
    }
    // 67 metric columns today; they only grow.
    assert!(rows.len() >= 67, "{}", rows.len());
}

#[test]
fn the_summary_table_names_the_fraction_columns() {
    let text = readme();
    let rows = table(&section(&text, "### summary.csv"), "| metric | interval |");
    let fractions: Vec<String> = COLUMNS
        .iter()
        .filter(|c| c.unit == Unit::Fraction)
        .map(|c| c.name.to_string())
        .collect();
    let row = rows
        .iter()
        .find(|r| r[0].starts_with("unit `fraction`"))
        .expect("a row for the fraction columns");
    let listed: Vec<String> = row[0]
        .split_once(": `")
        .expect("the row lists the columns after a colon")
        .1
        .trim_end_matches('`')
        .split(", ")
        .map(str::to_string)
        .collect();
    assert_eq!(listed, fractions);
}

#[test]
fn the_units_the_table_uses_are_explained() {
    let text = readme();
    let runs = section(&text, "### runs.csv");
    for unit in [
        Unit::Count,
        Unit::Fraction,
        Unit::Ratio,
        Unit::Ms,
        Unit::S,
        Unit::PerS,
        Unit::Hex,
    ] {
        assert!(
            runs.contains(&format!("`{}`", unit.as_str())),
            "the runs.csv section explains the unit {}",
            unit.as_str()
        );
    }
}

#[test]
fn the_sections_name_only_declared_columns() {
    // Each section's **Measures** paragraph lists its columns (their meaning is in the
    // runs.csv table): every name up to the paragraph's first full stop is a column.
    let text = readme();
    let names: Vec<&str> = COLUMNS.iter().map(|c| c.name).collect();
    let mut listed = 0;
    for (at, _) in text.match_indices("**Measures** (columns of runs.csv") {
        let paragraph = &text[at..];
        let end = paragraph
            .find(".\n")
            .expect("the list ends with a full stop");
        for (i, name) in paragraph[..end].split('`').enumerate() {
            if i % 2 == 1 {
                assert!(names.contains(&name), "`{name}` is no declared column");
                listed += 1;
            }
        }
    }
    // Routing 5, detection and failover 13, retries 9, state 19.
    assert_eq!(listed, 46);
}
