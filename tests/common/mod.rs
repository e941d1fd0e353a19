//! Helpers shared by the integration tests: building scenarios from config text, running
//! the `faultline` binary (directly or through a shell), and reading CSV outputs.
#![allow(dead_code)]

use experiments::load::parse_document;
use experiments::{Experiment, Overrides};
use sim_core::config::Source;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Builds an experiment from config text, as `faultline` would from a file.
pub fn experiment(text: &str) -> Experiment {
    let doc = parse_document(text, Source::new("test.toml", ".")).unwrap_or_else(|e| panic!("{e}"));
    Experiment::from_document(doc, "test.toml".into(), Overrides::default())
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The first run of `exp` traced in full: its report and the engine's trace lines.
pub fn traced_first_run(exp: &Experiment) -> (sim_core::RunReport, String) {
    let key = exp.runs().next().unwrap();
    let mut sink = Vec::new();
    let result = sim_core::simulate_traced(
        &exp.cell(key).scenario,
        exp.strategy(key),
        exp.run_seed(key),
        &mut sink,
        sim_core::model::trace::TraceFilter::default(),
    )
    .unwrap();
    (result.report, String::from_utf8(sink).unwrap())
}

/// The `faultline` binary cargo built for this test run, in the same profile.
pub fn faultline() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_faultline"))
}

/// Runs `faultline` with `args` in `dir`.
pub fn run_cli(dir: &Path, args: &[&str]) -> Output {
    Command::new(faultline())
        .args(args)
        .current_dir(dir)
        .output()
        .expect("faultline runs")
}

/// Runs `faultline` with `args` in `dir`, with extra environment variables.
pub fn run_cli_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(faultline())
        .args(args)
        .envs(env.iter().copied())
        .current_dir(dir)
        .output()
        .expect("faultline runs")
}

/// Runs a shell command line in `dir` with `faultline` on the PATH, as a user would paste
/// it from failures.csv.
pub fn run_shell(dir: &Path, command: &str) -> Output {
    let bin_dir = faultline().parent().expect("the binary is in a folder");
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut paths = vec![bin_dir.to_path_buf()];
    paths.extend(std::env::split_paths(&path));
    Command::new("sh")
        .args(["-c", command])
        .env("PATH", std::env::join_paths(paths).expect("a valid PATH"))
        .current_dir(dir)
        .output()
        .expect("sh runs")
}

/// Runs a shell command line in `dir` on a pseudo-terminal (util-linux `script`) and
/// returns its output, whose stdout is what the terminal showed; None, saying so, where
/// there is no `script` and so no terminal to test on.
pub fn on_terminal(dir: &Path, command: &str) -> Option<Output> {
    let has_script = Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_script {
        println!("no util-linux `script` here: the terminal case is not exercised");
        return None;
    }
    let out = Command::new("script")
        .args(["-qec", command, "/dev/null"])
        .current_dir(dir)
        .output()
        .expect("script runs");
    Some(out)
}

/// The text of a command's stderr.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The text of a command's stdout.
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The time of a trace line (its first column, `2.000000000s`, aligned or not), or of
/// such a field alone, in nanoseconds.
pub fn trace_time_ns(line: &str) -> u64 {
    let (secs, nanos) = line
        .split_whitespace()
        .next()
        .and_then(|t| t.strip_suffix('s'))
        .and_then(|t| t.split_once('.'))
        .unwrap_or_else(|| panic!("trace times look like 2.000000000s: {line}"));
    secs.parse::<u64>().unwrap() * 1_000_000_000 + nanos.parse::<u64>().unwrap()
}

/// The repository root (for example configs).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the experiments package sits in the repository")
        .to_path_buf()
}

/// A CSV output as a header and rows of named cells.
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn read(path: &Path) -> Table {
        let mut reader =
            csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let header = reader
            .headers()
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .iter()
            .map(str::to_string)
            .collect();
        let rows = reader
            .records()
            .map(|r| {
                r.unwrap_or_else(|e| panic!("{}: {e}", path.display()))
                    .iter()
                    .map(str::to_string)
                    .collect()
            })
            .collect();
        Table { header, rows }
    }

    /// The rows whose `column` holds `value`.
    pub fn rows_where(&self, column: &str, value: &str) -> Vec<&Vec<String>> {
        let c = self.column(column);
        self.rows.iter().filter(|r| r[c] == value).collect()
    }

    /// A row's cell by column name.
    pub fn cell<'r>(&self, row: &'r [String], column: &str) -> &'r str {
        &row[self.column(column)]
    }

    pub fn column(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name}"))
    }

    pub fn values(&self, name: &str) -> Vec<String> {
        let c = self.column(name);
        self.rows.iter().map(|r| r[c].clone()).collect()
    }

    pub fn floats(&self, name: &str) -> Vec<f64> {
        self.values(name)
            .iter()
            .map(|v| v.parse().unwrap_or_else(|_| panic!("{name}: {v}")))
            .collect()
    }
}

#[allow(unused_imports)]
pub use experiments::validate::mean_ci;

/// Every run's report, in run order, on `threads` threads.
pub fn run_reports_on(exp: &Experiment, threads: usize) -> Vec<sim_core::RunReport> {
    let keys: Vec<_> = exp.runs().collect();
    let mut out = Vec::with_capacity(keys.len());
    experiments::runner::run_keys(exp, &keys, threads, |_, r| -> Result<(), ()> {
        out.push(r.report);
        Ok(())
    })
    .unwrap();
    out
}

/// Every run's report, in run order.
pub fn run_reports(exp: &Experiment) -> Vec<sim_core::RunReport> {
    run_reports_on(exp, 2)
}

/// Every run's report with its strategy's name, in run order.
pub fn named_reports(exp: &Experiment) -> Vec<(String, sim_core::RunReport)> {
    let names = exp
        .runs()
        .map(|k| exp.strategy_names[k.strategy as usize].clone());
    names.zip(run_reports(exp)).collect()
}

/// Every run's report, grouped by strategy in config order, replications in order.
pub fn reports_by_strategy(exp: &Experiment) -> Vec<Vec<sim_core::RunReport>> {
    experiments::validate::reports(exp, 2)
}

/// Asserts that every check of a validation scenario passes, printing them all.
pub fn assert_checks(checks: &[experiments::validate::Check]) {
    for c in checks {
        println!("{c}");
    }
    let failed: Vec<String> = checks
        .iter()
        .filter(|c| !c.passed())
        .map(|c| c.to_string())
        .collect();
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

/// The scenario of the validation suite named `name`, run at the test suite's effort.
pub fn validation(name: &str) -> Vec<experiments::validate::Check> {
    use experiments::validate::{Effort, SCENARIOS};
    let scenario = SCENARIOS
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no validation scenario {name}"));
    (scenario.run)(Effort::Quick, 2).unwrap_or_else(|e| panic!("{e}"))
}

/// Config variants built by editing a base config's text. Each edit fails when the text it
/// replaces is absent, so that a variant cannot silently equal its base after the base is
/// reworded.
pub trait Variant {
    /// This text with every `from` replaced by `to`; panics when `from` does not occur.
    fn variant(&self, from: &str, to: &str) -> String;
}

impl Variant for str {
    fn variant(&self, from: &str, to: &str) -> String {
        assert!(
            self.contains(from),
            "a config variant replaces text its base does not hold: {from:?}"
        );
        self.replace(from, to)
    }
}

/// Every file under `dir`, by path relative to it, sorted.
pub fn files(dir: &Path) -> Vec<PathBuf> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                out.push(path.strip_prefix(root).unwrap().to_path_buf());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// Asserts that results folders `a` and `b` hold the same files with the same bytes, but
/// for what names the sitting rather than the runs: timing.csv, manifest.json's `command`
/// and `finished`, report.html's line of version, finish time and command, and the
/// folder named in failures.csv's and report.html's replay commands. The folders of `b`
/// named in `besides` (a campaign's `shards` and `slurm`) are left out; `context` is added
/// to the message of a failure.
pub fn assert_same_results(a: &Path, b: &Path, besides: &[&str], context: &str) {
    let names = files(a);
    let in_b: Vec<PathBuf> = files(b)
        .into_iter()
        .filter(|n| !besides.iter().any(|f| n.starts_with(f)))
        .collect();
    assert_eq!(names, in_b, "the folders hold other files\n{context}");
    assert!(names.len() >= 12, "{names:?}");
    let folder = |bytes: &[u8], dir: &Path| {
        // The folder's path as a word or a path's start, never a prefix of a longer name.
        let path = std::path::absolute(dir).unwrap().display().to_string();
        String::from_utf8(bytes.to_vec())
            .unwrap()
            .replace(&format!("{path} "), "FOLDER ")
            .replace(&format!("{path}/"), "FOLDER/")
    };
    for name in &names {
        let (x, y) = (
            std::fs::read(a.join(name)).unwrap(),
            std::fs::read(b.join(name)).unwrap(),
        );
        match name.to_str().unwrap() {
            "timing.csv" => {}
            "manifest.json" => {
                let strip = |bytes: &[u8]| {
                    let mut v: serde_json::Value = serde_json::from_slice(bytes).unwrap();
                    let o = v.as_object_mut().unwrap();
                    o.remove("command").unwrap();
                    o.remove("finished").unwrap();
                    v
                };
                assert_eq!(strip(&x), strip(&y), "manifest.json differs\n{context}");
            }
            "failures.csv" => {
                let (x, y) = (folder(&x, a), folder(&y, b));
                assert!(x.lines().count() > 1, "no run broke the check:\n{x}");
                assert_eq!(x, y, "failures.csv differs\n{context}");
            }
            "report.html" => {
                let strip = |text: String| -> String {
                    text.lines()
                        .filter(|l| !l.starts_with("<p class=\"muted\">faultline "))
                        .collect::<Vec<_>>()
                        .join("\n")
                };
                let (x, y) = (strip(folder(&x, a)), strip(folder(&y, b)));
                if let Some((l, r)) = x.lines().zip(y.lines()).find(|(l, r)| l != r) {
                    panic!("report.html differs:\n  {l}\n  {r}\n{context}");
                }
                assert!(x == y, "report.html differs in length\n{context}");
            }
            other => assert!(x == y, "{other} differs\n{context}"),
        }
    }
}
