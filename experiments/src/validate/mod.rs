//! `faultline validate`: the simulator against closed forms of queueing, reliability,
//! failure-detection and load-balancing theory, from the installed binary.
//!
//! Each scenario is a config run through the same loader and runner as `faultline run`,
//! a formula for the expected value, the measured value and a tolerance derived from the
//! statistics of the measurement (stated with each check). The test suite's theory files
//! (`tests/theory_*.rs`) run these same scenarios at [`Effort::Full`]: one source of
//! truth for the configs and the formulas.

pub mod availability;
pub mod consistent_hash;
pub mod detection;
pub mod erlang_c;
pub mod overload;
pub mod pollaczek_khinchine;
pub mod retry;
pub mod two_choices;
pub mod young_daly;

use crate::Overrides;
use crate::cli::{CliError, threads_flag};
use crate::config::Experiment;
use crate::load::parse_document;
use clap::Args;
use sim_core::RunReport;
use sim_core::config::{ConfigError, Source};

/// How long to measure: `Quick` (the default, and the test suite's sizes) finishes every
/// scenario in seconds on two cores; `Full` runs about five times longer, for tighter
/// tolerances.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effort {
    Quick,
    Full,
}

impl Effort {
    /// `quick` or `full`, whichever this is.
    pub fn pick<T>(self, quick: T, full: T) -> T {
        match self {
            Effort::Quick => quick,
            Effort::Full => full,
        }
    }
}

/// One comparison of a measured value with theory.
#[derive(Clone, Debug)]
pub struct Check {
    /// What is compared, with its unit: "M/M/4 mean response time (ms)".
    pub scenario: String,
    pub expected: f64,
    pub measured: f64,
    /// The largest |measured - expected| that passes.
    pub tolerance: f64,
    /// How the tolerance was derived.
    pub basis: String,
    /// The measurement of each replication (or each unit the measurement pools), for
    /// further checks on their spread.
    pub samples: Vec<f64>,
}

impl Check {
    pub fn passed(&self) -> bool {
        (self.measured - self.expected).abs() <= self.tolerance
    }
}

impl std::fmt::Display for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: measured {}, expected {}, tolerance {} ({}): {}",
            self.scenario,
            self.measured,
            self.expected,
            self.tolerance,
            self.basis,
            if self.passed() { "pass" } else { "FAIL" }
        )
    }
}

/// A scenario of the suite: its name, the source of its formula and how to run it.
pub struct Scenario {
    pub name: &'static str,
    pub source: &'static str,
    pub run: fn(Effort, usize) -> Result<Vec<Check>, ConfigError>,
}

/// Every scenario `faultline validate` runs, in the order it prints them.
pub const SCENARIOS: &[Scenario] = &[
    erlang_c::SCENARIO,
    pollaczek_khinchine::SCENARIO,
    overload::SCENARIO,
    availability::SINGLE_SERVER,
    availability::K_OUT_OF_N,
    detection::SCENARIO,
    retry::SCENARIO,
    two_choices::SCENARIO,
    consistent_hash::SCENARIO,
    young_daly::SCENARIO,
];

/// Builds an experiment from config text; errors name the scenario.
pub fn experiment(name: &str, text: &str) -> Result<Experiment, ConfigError> {
    let source = Source::new(format!("<validate: {name}>"), ".");
    let doc = parse_document(text, source.clone())?;
    Experiment::from_document(doc, source.name, Overrides::default())
}

/// One server with `workers` workers sharing a FIFO queue of `queue_capacity`, Poisson
/// arrivals at `rate` per second, no faults and no network delay: a textbook queue.
pub fn queue_config(
    name: &str,
    service: &str,
    rate: f64,
    workers: u32,
    queue_capacity: u64,
    replications: u32,
    duration: &str,
) -> String {
    format!(
        r#"
[experiment]
name = "{name}"
seed = 2024
replications = {replications}
duration = "{duration}"
warmup = "2m"

[cluster]
servers = 1
workers = {workers}
queue_capacity = {queue_capacity}
service = {service}

[workload]
arrivals = {{ kind = "poisson", rate = {rate:?} }}
timeout = "100h"
"#
    )
}

/// Every run's report, grouped by strategy in config order, replications in order.
pub fn reports(exp: &Experiment, threads: usize) -> Vec<Vec<RunReport>> {
    let keys: Vec<_> = exp.runs().collect();
    let mut out = vec![Vec::new(); exp.strategy_names.len()];
    let sink = |k: crate::RunKey, r: sim_core::RunResult| -> Result<(), ()> {
        out[k.strategy as usize].push(r.report);
        Ok(())
    };
    // The sink never fails.
    let _ = crate::runner::run_keys(exp, &keys, threads, sink);
    out
}

/// Mean, sample standard deviation and the half-width of the two-sided Student-t
/// confidence interval at `level` of `xs` (at least two values).
pub fn mean_ci(xs: &[f64], level: f64) -> (f64, f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let sd = var.sqrt();
    let t = sim_core::engine::math::student_t_quantile(0.5 + level / 2.0, n - 1.0);
    (mean, sd, t * sd / n.sqrt())
}

/// A check whose tolerance is the 99.9% Student-t interval of replication values: a
/// correct simulator fails it with probability 0.001.
pub fn t_check(scenario: String, expected: f64, samples: Vec<f64>) -> Check {
    let (mean, _, half) = mean_ci(&samples, 0.999);
    Check {
        scenario,
        expected,
        measured: mean,
        tolerance: half,
        basis: format!("99.9% Student-t interval of {} replications", samples.len()),
        samples,
    }
}

/// Runs every scenario and returns their checks, in order.
pub fn run_all(
    effort: Effort,
    threads: usize,
) -> Result<Vec<(&'static Scenario, Vec<Check>)>, ConfigError> {
    SCENARIOS
        .iter()
        .map(|s| Ok((s, (s.run)(effort, threads)?)))
        .collect()
}

/// The table `faultline validate` prints: scenario, expected, measured, tolerance, pass;
/// then each scenario's source and each tolerance's basis.
pub fn table(results: &[(&'static Scenario, Vec<Check>)]) -> String {
    use std::fmt::Write as _;
    let checks: Vec<&Check> = results.iter().flat_map(|(_, c)| c).collect();
    let width = checks
        .iter()
        .map(|c| c.scenario.len())
        .max()
        .unwrap_or(8)
        .max("scenario".len());
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<width$}  {:>12}  {:>12}  {:>12}  pass",
        "scenario", "expected", "measured", "tolerance"
    );
    for c in &checks {
        let _ = writeln!(
            out,
            "{:<width$}  {:>12}  {:>12}  {:>12}  {}",
            c.scenario,
            number(c.expected),
            number(c.measured),
            number(c.tolerance),
            if c.passed() { "yes" } else { "NO" }
        );
    }
    let _ = writeln!(out, "\nsources and tolerances:");
    for (scenario, checks) in results {
        let _ = writeln!(out, "  {}: {}", scenario.name, scenario.source);
        for c in checks {
            let _ = writeln!(out, "    {}: {}", c.scenario, c.basis);
        }
    }
    let failed = checks.iter().filter(|c| !c.passed()).count();
    let _ = writeln!(
        out,
        "\n{} of {} checks passed{}",
        checks.len() - failed,
        checks.len(),
        if failed > 0 {
            "; the simulator disagrees with theory"
        } else {
            ""
        }
    );
    out
}

/// Six significant digits, without exponent for ordinary magnitudes.
fn number(x: f64) -> String {
    if x == 0.0 {
        "0".into()
    } else if (1e-4..1e7).contains(&x.abs()) {
        let digits = (5 - x.abs().log10().floor() as i32).clamp(0, 9) as usize;
        format!("{x:.digits$}")
    } else {
        format!("{x:.5e}")
    }
}

#[derive(Args, Debug)]
pub struct ValidateArgs {
    /// Run about five times longer, for tighter tolerances (half a minute on two cores
    /// instead of seconds).
    #[arg(long)]
    pub full: bool,
    /// Worker threads, 1 to 1024 [default: FAULTLINE_THREADS, else RAYON_NUM_THREADS, else
    /// all cores].
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub threads: Option<String>,
}

/// `faultline validate`: prints the table; exit code 1 if any check fails.
pub fn cmd_validate(args: ValidateArgs) -> Result<u8, CliError> {
    let threads = threads_flag(args.threads.as_deref())?;
    let effort = if args.full {
        Effort::Full
    } else {
        Effort::Quick
    };
    let results = run_all(effort, threads)
        .map_err(|e| CliError::Internal(format!("a validation scenario does not load: {e}")))?;
    print!("{}", table(&results));
    let failed = results.iter().flat_map(|(_, c)| c).any(|c| !c.passed());
    Ok(u8::from(failed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_with_six_significant_digits() {
        assert_eq!(number(50.0), "50.0000");
        assert_eq!(number(0.1), "0.100000");
        assert_eq!(number(0.0), "0");
        assert_eq!(number(1234.5678), "1234.57");
        assert_eq!(number(1e-7), "1.00000e-7");
    }

    #[test]
    fn a_failing_check_is_marked_and_counted() {
        let scenario = &SCENARIOS[0];
        let check = |measured| Check {
            scenario: "mean (ms)".into(),
            expected: 50.0,
            measured,
            tolerance: 1.0,
            basis: "interval".into(),
            samples: Vec::new(),
        };
        let text = table(&[(scenario, vec![check(50.5), check(52.0)])]);
        let rows: Vec<&str> = text.lines().skip(1).take(2).collect();
        assert!(rows[0].ends_with("yes"), "{text}");
        assert!(rows[1].ends_with("NO"), "{text}");
        assert!(
            text.trim_end()
                .ends_with("1 of 2 checks passed; the simulator disagrees with theory"),
            "{text}"
        );
    }

    #[test]
    fn a_check_passes_within_its_tolerance_inclusive() {
        let c = |measured| Check {
            scenario: "x".into(),
            expected: 1.0,
            measured,
            tolerance: 0.5,
            basis: String::new(),
            samples: Vec::new(),
        };
        assert!(c(1.5).passed());
        assert!(c(0.5).passed());
        assert!(!c(1.51).passed());
        assert!(!c(f64::NAN).passed());
    }
}
