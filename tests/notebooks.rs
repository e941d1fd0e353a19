//! Every notebook in notebooks/ runs top to bottom against freshly generated results.
//!
//! The notebooks' Python dependencies (notebooks/requirements.txt, exact versions) are
//! installed into a virtual environment under the target folder, made again only when the
//! requirements or the Python interpreter change. Results of the MTTF sweep (a sweep with
//! broken checks) and of the quickstart (no sweep) are generated with the faultline binary;
//! each notebook is executed into a temporary folder (the committed notebooks are never
//! written) and a failing cell fails the test with the notebook's error.

use crate::common::{faultline, repo_root, run_cli, stderr};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Executes a notebook with nbclient into another file; exits non-zero with the failing
/// cell's traceback on stderr.
const RUN_NOTEBOOK: &str = r#"
import sys, nbformat
from nbclient import NotebookClient
source, target, workdir = sys.argv[1:4]
notebook = nbformat.read(source, as_version=4)
NotebookClient(notebook, timeout=600, kernel_name="python3",
               resources={"metadata": {"path": workdir}}).execute()
nbformat.write(notebook, target)
"#;

/// The target folder: the test executable sits in target/<profile>/deps/.
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    exe.ancestors()
        .nth(3)
        .expect("target/<profile>/deps/<test>")
        .to_path_buf()
}

fn run(command: &mut Command, what: &str) -> String {
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot start {command:?}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The virtual environment's Python, installed from notebooks/requirements.txt unless an
/// environment of the same requirements and interpreter is already there.
fn notebook_python() -> PathBuf {
    let requirements = repo_root().join("notebooks/requirements.txt");
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let version = run(
        Command::new(&python).args(["-c", "import sys; print(sys.version)"]),
        "python3 (needed for the notebooks)",
    );
    let text = std::fs::read(&requirements).expect("notebooks/requirements.txt");
    let stamp = format!(
        "{:016x} {}",
        experiments::journal::fnv1a64(&text),
        version.trim()
    );
    let venv = target_dir().join("notebook-venv");
    let stamp_file = venv.join("requirements.stamp");
    let bin = venv.join("bin/python");
    if std::fs::read_to_string(&stamp_file).ok().as_deref() == Some(stamp.as_str()) && bin.exists()
    {
        return bin;
    }
    if venv.exists() {
        std::fs::remove_dir_all(&venv).expect("remove the stale notebook environment");
    }
    run(
        Command::new(&python).args(["-m", "venv"]).arg(&venv),
        "creating the notebook environment",
    );
    run(
        Command::new(&bin)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
            ])
            .arg(&requirements),
        "installing notebooks/requirements.txt",
    );
    std::fs::write(&stamp_file, stamp).expect("write the environment's stamp");
    bin
}

fn generate(dir: &Path, config: &str, name: &str) -> PathBuf {
    let config = repo_root().join("experiments/configs").join(config);
    let out = dir.join(name);
    let result = run_cli(
        dir,
        &[
            "run",
            config.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(
        matches!(result.status.code(), Some(0 | 1)),
        "{}",
        stderr(&result)
    );
    out
}

fn execute(python: &Path, notebook: &str, results: &Path, config: &str, scratch: &Path) {
    let source = repo_root().join("notebooks").join(notebook);
    let label = format!(
        "{}-{}",
        notebook.trim_end_matches(".ipynb"),
        results.file_name().unwrap().to_string_lossy()
    );
    let target = scratch.join(format!("{label}.ipynb"));
    let workdir = scratch.join(&label);
    std::fs::create_dir_all(&workdir).unwrap();
    let out = Command::new(python)
        .args(["-c", RUN_NOTEBOOK])
        .arg(&source)
        .arg(&target)
        .arg(&workdir)
        .env("FAULTLINE_RESULTS", results)
        .env(
            "FAULTLINE_CONFIG",
            repo_root().join("experiments/configs").join(config),
        )
        .env("FAULTLINE_BIN", faultline())
        .env("MPLBACKEND", "Agg")
        .output()
        .expect("python runs");
    let errors: String = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| !l.contains("Kernel is running over TCP"))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        out.status.success(),
        "notebook {notebook} failed on {}:\n{errors}",
        results.display()
    );
    assert!(
        target.exists(),
        "the executed copy of {notebook} was written"
    );
}

#[test]
fn every_notebook_runs_top_to_bottom_on_fresh_results() {
    let python = notebook_python();
    let dir = tempfile::tempdir().unwrap();
    let sweep = generate(dir.path(), "mttf-sweep.toml", "mttf-sweep");
    let quickstart = generate(dir.path(), "quickstart.toml", "quickstart");
    let scratch = dir.path().join("executed");

    let runs: [(&str, &Path, &str); 3] = [
        ("compare.ipynb", &sweep, "mttf-sweep.toml"),
        ("compare.ipynb", &quickstart, "quickstart.toml"),
        ("replay.ipynb", &sweep, "mttf-sweep.toml"),
    ];
    let mut committed: Vec<String> = std::fs::read_dir(repo_root().join("notebooks"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".ipynb"))
        .collect();
    committed.sort();
    let mut executed: Vec<String> = runs.iter().map(|r| r.0.to_string()).collect();
    executed.sort();
    executed.dedup();
    assert_eq!(committed, executed, "every committed notebook is executed");

    let before: Vec<Vec<u8>> = committed
        .iter()
        .map(|n| std::fs::read(repo_root().join("notebooks").join(n)).unwrap())
        .collect();
    for (notebook, results, config) in runs {
        execute(&python, notebook, results, config, &scratch);
    }
    for (name, bytes) in committed.iter().zip(before) {
        assert_eq!(
            std::fs::read(repo_root().join("notebooks").join(name)).unwrap(),
            bytes,
            "{name} was left as committed"
        );
    }
}
