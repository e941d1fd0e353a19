//! Helpers shared by the integration tests: building scenarios from config text, running
//! the `faultline` binary, and reading runs.csv.
#![allow(dead_code)]

use experiments::load::parse_document;
use experiments::{Experiment, Overrides};
use sim_core::conf::Source;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// Builds an experiment from config text, as `faultline` would from a file.
pub fn experiment(text: &str) -> Experiment {
    let doc = parse_document(text, Source::new("test.toml", ".")).unwrap_or_else(|e| panic!("{e}"));
    Experiment::from_document(doc, "test.toml".into(), Overrides::default())
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The `faultline` binary of this build profile, built once if needed.
pub fn faultline() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let exe = std::env::current_exe().expect("test executable path");
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("target/<profile>/deps/<test>");
        let bin = profile_dir.join(format!("faultline{}", std::env::consts::EXE_SUFFIX));
        let mut cargo = Command::new(env!("CARGO"));
        cargo.args([
            "build",
            "--quiet",
            "-p",
            "experiments",
            "--bin",
            "faultline",
        ]);
        if !cfg!(debug_assertions) {
            cargo.arg("--release");
        }
        let status = cargo.status().expect("cargo runs");
        assert!(status.success(), "building faultline failed");
        assert!(bin.exists(), "{} was not built", bin.display());
        bin
    })
}

/// Runs `faultline` with `args` in `dir`.
pub fn run_cli(dir: &Path, args: &[&str]) -> Output {
    Command::new(faultline())
        .args(args)
        .current_dir(dir)
        .output()
        .expect("faultline runs")
}

/// The repository root (for example configs).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the repository")
        .to_path_buf()
}

/// runs.csv as a header and rows of named cells.
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn read(path: &Path) -> Table {
        let text =
            std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut lines = text.lines();
        let header = lines
            .next()
            .expect("a header")
            .split(',')
            .map(str::to_string)
            .collect();
        let rows = lines
            .map(|l| l.split(',').map(str::to_string).collect())
            .collect();
        Table { header, rows }
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

/// Mean, sample standard deviation and the half-width of the two-sided confidence
/// interval at `level` (Student's t with n-1 degrees of freedom).
pub fn mean_ci(xs: &[f64], level: f64) -> (f64, f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let sd = var.sqrt();
    let t = sim_core::math::student_t_quantile(0.5 + level / 2.0, n - 1.0);
    (mean, sd, t * sd / n.sqrt())
}
