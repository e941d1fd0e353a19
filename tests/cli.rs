//! The command line end to end: exit codes, error messages that name file, key and line,
//! and the example config.

use crate::common;

use crate::common::{Table, repo_root, run_cli};
use std::fs;

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn quickstart_runs_and_passes_its_checks_deterministically() {
    let dir = tempfile::tempdir().unwrap();
    let config = repo_root().join("experiments/configs/quickstart.toml");
    let config = config.to_str().unwrap();
    let out = run_cli(dir.path(), &["run", config, "--out", "a"]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    let again = run_cli(dir.path(), &["run", config, "--out", "b", "--threads", "1"]);
    assert_eq!(out.status.code(), again.status.code());
    let a = fs::read(dir.path().join("a/runs.csv")).unwrap();
    assert_eq!(a, fs::read(dir.path().join("b/runs.csv")).unwrap());
    let table = Table::read(&dir.path().join("a/runs.csv"));
    assert!(table.rows.len() >= 2);
    assert!(table.floats("requests").iter().all(|r| *r > 1000.0));
}

#[test]
fn a_bad_value_names_file_line_key_and_expectation() {
    let dir = tempfile::tempdir().unwrap();
    let text = "[experiment]\nduration = \"1m\"\n\n[cluster]\nservers = 2\nservice = { dist = \"exponential\", mean = \"-5ms\" }\n\n[workload]\narrivals = { kind = \"poisson\", rate = 10.0 }\n";
    fs::write(dir.path().join("bad.toml"), text).unwrap();
    let out = run_cli(dir.path(), &["run", "bad.toml"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("bad.toml:6: `cluster.service.mean`"), "{err}");
    assert!(err.contains("negative"), "{err}");
    assert!(
        !dir.path().join("results").exists(),
        "nothing is written for a bad config"
    );
}

#[test]
fn an_unknown_key_gets_a_suggestion() {
    let dir = tempfile::tempdir().unwrap();
    let text = "[experiment]\nduration = \"1m\"\n[cluster]\nservers = 2\nservise = \"1ms\"\n[workload]\narrivals = { kind = \"poisson\", rate = 10.0 }\n";
    fs::write(dir.path().join("typo.toml"), text).unwrap();
    let out = run_cli(dir.path(), &["check", "typo.toml"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("typo.toml:5: `cluster.service`: missing"),
        "{err}"
    );
    assert!(
        err.contains("the table has `servise`: did you mean `service`?"),
        "{err}"
    );
}

#[test]
fn set_overrides_are_validated_like_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let config = repo_root().join("experiments/configs/quickstart.toml");
    let config = config.to_str().unwrap();
    let out = run_cli(
        dir.path(),
        &["check", config, "--set", "workload.arrivals.rat=5"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("did you mean `rate`"),
        "{}",
        stderr(&out)
    );
    let out = run_cli(dir.path(), &["check", config, "--set", "cluster.servers=0"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("`cluster.servers`: expected an integer of at least 1, got 0"),
        "{}",
        stderr(&out)
    );
    let out = run_cli(dir.path(), &["check", config, "--set", "cluster.servers=4"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn missing_files_and_bad_flags_exit_with_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_cli(dir.path(), &["run", "nope.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("nope.toml: cannot read the config file: no such file or folder"),
        "{}",
        stderr(&out)
    );
    let out = run_cli(dir.path(), &["run"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run_cli(dir.path(), &["run", "x.toml", "--threads", "many"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn an_unwritable_output_folder_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let config = repo_root().join("experiments/configs/quickstart.toml");
    fs::write(dir.path().join("file"), "not a folder").unwrap();
    let out = run_cli(
        dir.path(),
        &["run", config.to_str().unwrap(), "--out", "file/sub"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("file/sub: cannot create the output folder"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn strategies_lists_every_kind_with_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_cli(dir.path(), &["strategies"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    for kind in strategies::KINDS {
        assert!(text.contains(kind.name), "{} missing", kind.name);
    }
    assert!(text.contains("timeout") && text.contains("300ms"), "{text}");
}

#[test]
fn seeds_take_the_whole_u64_range() {
    // Above 2^63 - 1 a --seed used to be clamped to it: these three gave one runs.csv.
    let dir = tempfile::tempdir().unwrap();
    let config = "[experiment]\nname = \"seeded\"\nreplications = 2\nduration = \"2s\"\n\n[cluster]\nservers = 2\nservice = { dist = \"exponential\", mean = \"10ms\" }\n\n[workload]\narrivals = { kind = \"poisson\", rate = 100.0 }\n";
    fs::write(dir.path().join("s.toml"), config).unwrap();
    let mut tables = Vec::new();
    for seed in [i64::MAX as u64, 1 << 63, u64::MAX] {
        let folder = format!("s{seed}");
        let seed_text = seed.to_string();
        let out = run_cli(
            dir.path(),
            &["run", "s.toml", "--out", &folder, "--seed", &seed_text],
        );
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let runs = Table::read(&dir.path().join(&folder).join("runs.csv"));
        // Each run's seed derives from the master seed given, cell 0 and its replication.
        let expected: Vec<String> = (0..2)
            .map(|r| sim_core::engine::rng::derive_seed(seed, &[0, r]).to_string())
            .collect();
        assert_eq!(runs.values("seed"), expected, "--seed {seed}");
        tables.push(fs::read(dir.path().join(&folder).join("runs.csv")).unwrap());
    }
    assert!(tables[0] != tables[1] && tables[1] != tables[2] && tables[0] != tables[2]);
}

/// Runs `faultline` with its stdout a pipe whose reading end is already closed, as under
/// `faultline ... | head` once head has exited.
fn run_into_closed_pipe(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    std::process::Command::new(common::faultline())
        .args(args)
        .current_dir(dir)
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap()
}

#[test]
fn a_closed_stdout_ends_every_command_quietly_without_a_panic() {
    use std::os::unix::process::ExitStatusExt;
    let dir = tempfile::tempdir().unwrap();
    let config = repo_root().join("experiments/configs/quickstart.toml");
    let config = config.to_str().unwrap();
    let commands: [&[&str]; 5] = [
        &["strategies"],
        &["check", config],
        &[
            "run",
            config,
            "--out",
            "out",
            "--replications",
            "2",
            "--no-plots",
        ],
        &["replay", config, "--run", "c0-baseline-r0"],
        &["--help"],
    ];
    for args in commands {
        let out = run_into_closed_pipe(dir.path(), args);
        let err = stderr(&out);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_ne!(out.status.code(), Some(101), "{args:?}: {err}");
        assert_eq!(out.status.signal(), Some(libc::SIGPIPE), "{args:?}: {err}");
    }
    // The run's files were all written before its report met the closed pipe.
    assert!(dir.path().join("out/summary.csv").exists());
    assert!(!dir.path().join("out/resume.journal").exists());
}

#[test]
fn thread_count_environment_variables_set_the_default_and_bad_values_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let config = repo_root().join("experiments/configs/quickstart.toml");
    let config = config.to_str().unwrap();
    let threads_of = |out_dir: &str, extra: &[&str], env: &[(&str, &str)]| {
        let mut args = vec!["run", config, "--out", out_dir, "--replications", "2"];
        args.extend_from_slice(extra);
        args.push("--no-plots");
        let out = common::run_cli_env(dir.path(), &args, env);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let timing = Table::read(&dir.path().join(out_dir).join("timing.csv"));
        timing.values("threads")[0].clone()
    };
    assert_eq!(threads_of("a", &[], &[("FAULTLINE_THREADS", "3")]), "3");
    assert_eq!(threads_of("b", &[], &[("RAYON_NUM_THREADS", "2")]), "2");
    let both = [("FAULTLINE_THREADS", "3"), ("RAYON_NUM_THREADS", "2")];
    assert_eq!(threads_of("c", &[], &both), "3");
    assert_eq!(threads_of("d", &["--threads", "1"], &both), "1");
    for (name, value, got) in [
        ("FAULTLINE_THREADS", "0", "0"),
        ("FAULTLINE_THREADS", "2000", "2000"),
        ("RAYON_NUM_THREADS", "many", "`many`"),
        ("FAULTLINE_THREADS", "", "``"),
    ] {
        let out = common::run_cli_env(
            dir.path(),
            &["run", config, "--out", "bad"],
            &[(name, value)],
        );
        assert_eq!(
            out.status.code(),
            Some(2),
            "{name}={value}: {}",
            stderr(&out)
        );
        assert_eq!(
            stderr(&out),
            format!("error: {name}: expected an integer from 1 to 1024, got {got}\n")
        );
        assert!(!dir.path().join("bad").exists(), "nothing is written");
    }
}

fn json_of(out: &std::process::Output) -> serde_json::Value {
    assert_eq!(out.status.code(), Some(0), "{}", stderr(out));
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    assert_eq!(
        text.lines().count(),
        1,
        "one JSON object on one line: {text}"
    );
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

#[test]
fn check_strategies_and_the_run_summary_print_json() {
    let dir = tempfile::tempdir().unwrap();
    let config = repo_root().join("experiments/configs/quickstart.toml");
    let config = config.to_str().unwrap();

    // check: the plan of the text form, as fields.
    let plan = json_of(&run_cli(
        dir.path(),
        &[
            "check",
            config,
            "--replications",
            "3",
            "--seed",
            "18446744073709551615",
            "--json",
        ],
    ));
    assert_eq!(plan["experiment"], "quickstart");
    assert_eq!(plan["seed"].as_u64(), Some(u64::MAX));
    assert_eq!(plan["replications"], 3);
    assert_eq!(plan["runs"], 6);
    assert_eq!(plan["first_run_id"], "c0-baseline-r0");
    assert_eq!(plan["duration"], "2m");
    assert_eq!(plan["cells"].as_array().unwrap().len(), 1);
    let names: Vec<&str> = plan["strategies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["baseline", "fast-detector"]);
    assert_eq!(
        plan["strategies"][1]["detector"],
        "{ kind = \"fixed-timeout\", interval = \"50ms\", timeout = \"150ms\" }"
    );
    assert_eq!(plan["strategies"][1]["retry_budget"], "{ kind = \"none\" }");
    assert_eq!(plan["checks"][0], "min_availability (availability >= 0.99)");
    let text = common::stdout(&run_cli(dir.path(), &["check", config]));
    assert!(text.contains("  fast-detector: detector { kind = \"fixed-timeout\", interval = \"50ms\", timeout = \"150ms\" }"), "{text}");

    // strategies: every family, kind and parameter of the listing.
    let listing = json_of(&run_cli(dir.path(), &["strategies", "--json"]));
    let text = common::stdout(&run_cli(dir.path(), &["strategies"]));
    let families = listing["families"].as_array().unwrap();
    assert_eq!(
        families.len(),
        text.lines().filter(|l| l.starts_with('[')).count()
    );
    assert_eq!(families[0]["family"], "detector");
    assert_eq!(families[0]["default_kind"], "fixed-timeout");
    let kinds: Vec<&serde_json::Value> = families
        .iter()
        .flat_map(|f| f["kinds"].as_array().unwrap())
        .collect();
    assert_eq!(
        kinds.len(),
        text.lines()
            .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
            .count()
    );
    let params: Vec<&serde_json::Value> = kinds
        .iter()
        .flat_map(|k| k["params"].as_array().unwrap())
        .collect();
    assert_eq!(
        params.len(),
        text.lines().filter(|l| l.starts_with("      ")).count()
    );
    let fixed = &kinds[0];
    assert_eq!(fixed["name"], "fixed-timeout");
    assert_eq!(fixed["params"][0]["name"], "interval");
    assert_eq!(fixed["params"][0]["default"], "100ms");

    // run: the summary, with the availability of summary.csv.
    let summary = json_of(&run_cli(
        dir.path(),
        &[
            "run",
            config,
            "--out",
            "j",
            "--replications",
            "3",
            "--threads",
            "2",
            "--no-plots",
            "--json",
        ],
    ));
    assert_eq!(summary["experiment"], "quickstart");
    assert_eq!(summary["runs"], 6);
    assert_eq!(summary["simulated_runs"], 6);
    assert_eq!(summary["resumed_runs"], 0);
    assert_eq!(summary["threads"], 2);
    assert_eq!(summary["checks"]["failed_runs"], 0);
    assert!(summary["plots"].is_null());
    let table = Table::read(&dir.path().join("j/summary.csv"));
    let rows = table.rows_where("metric", "availability");
    let availability = summary["availability"].as_array().unwrap();
    assert_eq!(availability.len(), 2);
    for (json, row) in availability.iter().zip(rows) {
        assert_eq!(
            json["strategy"].as_str().unwrap(),
            table.cell(row, "strategy")
        );
        let mean: f64 = table.cell(row, "mean").parse().unwrap();
        assert!(
            (json["mean"].as_f64().unwrap() - mean).abs() < 1e-9,
            "{json} {mean}"
        );
        let low: f64 = table.cell(row, "ci95_low").parse().unwrap();
        assert!(
            (json["ci95"][0].as_f64().unwrap() - low).abs() < 1e-8,
            "{json} {low}"
        );
    }
    let timing = Table::read(&dir.path().join("j/timing.csv"));
    assert_eq!(timing.values("runs")[0], "6");
}

/// `--set` adds a sweep axis: a quoted segment is one key, dots included, as in TOML.
#[test]
fn set_adds_a_sweep_axis_by_its_quoted_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = repo_root().join("experiments/configs/mttf-sweep.toml");
    let config = config.to_str().unwrap();
    let out = run_cli(
        dir.path(),
        &[
            "check",
            config,
            "--json",
            "--set",
            r#"sweep."cluster.servers"=[4, 8]"#,
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        plan["sweep"],
        serde_json::json!(["faults.crash.mttf.mean", "cluster.servers"])
    );
    assert_eq!(plan["cells"].as_array().unwrap().len(), 6);
    // A misspelt key inside the axis is refused like one in the file.
    let out = run_cli(
        dir.path(),
        &["check", config, "--set", r#"sweep."cluster.servrs"=[4, 8]"#],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("(did you mean `servers`?)"),
        "{}",
        stderr(&out)
    );
    let out = run_cli(
        dir.path(),
        &["check", config, "--set", r#"sweep."cluster=[4]"#],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not closed"), "{}", stderr(&out));
}
