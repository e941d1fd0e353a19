//! Plots: `faultline run` draws them and `faultline plot DIR` redraws them, as valid PNG
//! and SVG files, for a sweep and for a folder without one; a folder without summary.csv
//! is refused with exit code 2; only the figures faultline drew (listed in
//! plots/drawn-by-faultline.txt) are ever removed, and a rerun into a folder leaves no
//! timeline or figure of an earlier experiment; the pooled latency quantiles of latency_cdf.csv match the
//! closed form of an infinite-server queue; a replayed timeline adds up to the run's
//! counts and shows a scripted crash where it happened.

use crate::common::Variant;
use crate::common::{Table, run_cli, stderr, stdout};
use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

const SWEEP: &str = r#"
[experiment]
name = "plotted"
seed = 5
replications = 4
duration = "20s"
warmup = "2s"

[cluster]
servers = 4
service = { dist = "exponential", mean = "10ms" }

[workload]
arrivals = { kind = "poisson", rate = 200.0 }

[faults]
crash = { mttf = { dist = "exponential", mean = "20s" }, mttr = { dist = "exponential", mean = "3s" } }

[strategies.slow]
detector = { kind = "fixed-timeout", interval = "100ms", timeout = "1s" }

[strategies.fast]
detector = { kind = "fixed-timeout", interval = "50ms", timeout = "150ms" }

[sweep]
"faults.crash.mttr.mean" = ["1s", "3s", "10s"]
"#;

/// Decodes a PNG whole and returns its size.
fn png_size(path: &Path) -> (u32, u32) {
    let decoder = png::Decoder::new(fs::File::open(path).unwrap());
    let mut reader = decoder
        .read_info()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut pixels = vec![0; reader.output_buffer_size()];
    let info = reader
        .next_frame(&mut pixels)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    // A drawn figure is not blank: some pixels are far from white.
    let inked = pixels.iter().filter(|&&b| b < 128).count();
    assert!(inked > 1000, "{} is nearly blank", path.display());
    (info.width, info.height)
}

/// The width and height an SVG file declares.
fn svg_size(path: &Path) -> (u32, u32) {
    let text = fs::read_to_string(path).unwrap();
    let attr = |name: &str| -> u32 {
        let start = text.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        let end = start + text[start..].find('"').unwrap();
        text[start..end].parse().unwrap()
    };
    (attr("width"), attr("height"))
}

/// The forest plots a folder of the slow and fast detectors calls for: one per headline
/// metric with paired differences (availability and p99 latency, and for strategies that
/// differ in their detector its detection time and mistake rate where some run has one
/// other than 0).
fn forests(folder: &Path) -> BTreeSet<String> {
    let summary = Table::read(&folder.join("summary.csv"));
    let (metric, mean) = (summary.column("metric"), summary.column("mean"));
    let nonzero = |m: &str| {
        summary.rows.iter().any(|r| {
            r[metric] == m && !r[mean].is_empty() && r[mean].parse::<f64>().unwrap() != 0.0
        })
    };
    let always = ["availability", "latency_p99_ms"];
    let detector = ["detection_time_mean_ms", "mistake_rate_per_s"];
    always
        .into_iter()
        .chain(detector.into_iter().filter(|m| nonzero(m)))
        .map(|m| format!("diff_{m}"))
        .collect()
}

/// The headline metrics beyond availability and p99 latency that get figures of their
/// own (named `<metric>` without a sweep, `<metric>_vs_<key>` with one): the detector's.
fn headline_figures(folder: &Path, suffix: &str) -> BTreeSet<String> {
    forests(folder)
        .iter()
        .filter_map(|f| f.strip_prefix("diff_"))
        .filter(|m| !["availability", "latency_p99_ms"].contains(m))
        .map(|m| format!("{m}{suffix}"))
        .collect()
}

/// Checks every figure is a decodable PNG of the expected size and a whole SVG naming
/// `names` (the strategies), and returns the figure names.
fn check_figures(plots: &Path, names: &[&str]) -> BTreeSet<String> {
    let mut figures = BTreeSet::new();
    for entry in fs::read_dir(plots).unwrap() {
        let path = entry.unwrap().path();
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        match path.extension().and_then(|e| e.to_str()) {
            Some("png") => {
                let size = png_size(&path);
                // Forest plots grow with their rows and small multiples with their
                // panels; every other figure has one size.
                let expected = if stem == "timeline" {
                    (900, 760)
                } else if stem.starts_with("diff_") || stem == "latency_cdf" {
                    svg_size(&path.with_extension("svg"))
                } else {
                    (900, 560)
                };
                assert_eq!(size, expected, "{stem}.png");
                assert!(path.with_extension("svg").exists(), "{stem}.svg beside it");
                figures.insert(stem);
            }
            Some("svg") => {
                let text = fs::read_to_string(&path).unwrap();
                assert!(
                    text.starts_with("<svg") && text.trim_end().ends_with("</svg>"),
                    "{} is a whole SVG document",
                    path.display()
                );
                assert!(text.contains("<text"), "{} has its labels", path.display());
                if stem != "timeline" {
                    // A forest plot names the strategies it compares with the first.
                    let skip = usize::from(stem.starts_with("diff_"));
                    for name in &names[skip..] {
                        assert!(
                            text.contains(&format!("\n{name}\n</text>")),
                            "{}: names the strategy {name}",
                            path.display()
                        );
                    }
                }
            }
            // The list of the files faultline drew: exactly the figures' files.
            Some("txt") if stem == "drawn-by-faultline" => {}
            _ => panic!("unexpected file {}", path.display()),
        }
    }
    let listed: BTreeSet<String> = fs::read_to_string(plots.join("drawn-by-faultline.txt"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(String::from)
        .collect();
    let files: BTreeSet<String> = figures
        .iter()
        .flat_map(|f| [format!("{f}.png"), format!("{f}.svg")])
        .collect();
    assert_eq!(listed, files, "the list names every figure's files");
    figures
}

#[test]
fn a_sweep_gets_every_figure_against_its_key_and_a_redraw_is_identical() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("p.toml"), SWEEP).unwrap();
    let out = run_cli(dir.path(), &["run", "p.toml", "--out", "res"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let key = "faults.crash.mttr.mean";
    let forests = forests(&dir.path().join("res"));
    let own = headline_figures(&dir.path().join("res"), &format!("_vs_{key}"));
    assert!(
        stdout(&out).contains(&format!(
            "plots: {} figures (PNG and SVG)",
            6 + forests.len() + own.len()
        )),
        "{}",
        stdout(&out)
    );
    let plots = dir.path().join("res/plots");
    let figures = check_figures(&plots, &["slow", "fast"]);
    // The sweep axis names its key and says its values are durations (1s to 10s: linear),
    // and the title starts with the experiment's name.
    let svg = fs::read_to_string(plots.join(format!("availability_vs_{key}.svg"))).unwrap();
    assert!(
        svg.contains(&format!("\n{key} (duration)\n</text>")),
        "{svg}"
    );
    assert!(svg.contains(&format!("\nplotted: availability against {key}\n</text>")));
    // No strategy retries, so attempts per request is 1 everywhere and not drawn.
    let mut expected: BTreeSet<String> = ["availability", "nines", "latency_p99"]
        .iter()
        .map(|m| format!("{m}_vs_{key}"))
        .collect();
    expected.extend(forests);
    expected.extend(own);
    expected.extend(["latency_cdf", "detector_tradeoff", "timeline"].map(String::from));
    assert_eq!(figures, expected);

    // The timeline is of the run of lowest availability.
    let runs = Table::read(&dir.path().join("res/runs.csv"));
    let availability = runs.floats("availability");
    let worst = availability
        .iter()
        .enumerate()
        .fold(0, |w, (i, a)| if *a < availability[w] { i } else { w });
    let timeline = Table::read(&dir.path().join("res/timeline.csv"));
    assert_eq!(timeline.values("run_id")[0], runs.values("run_id")[worst]);

    // Drawing again gives the same bytes, and keeps a figure faultline did not draw.
    let before: Vec<(String, Vec<u8>)> = expected
        .iter()
        .flat_map(|f| ["png", "svg"].map(|e| format!("{f}.{e}")))
        .map(|f| (f.clone(), fs::read(plots.join(&f)).unwrap()))
        .collect();
    fs::write(plots.join("mine.png"), b"my own figure").unwrap();
    let out = run_cli(dir.path(), &["plot", "res"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    for (name, bytes) in before {
        assert!(
            fs::read(plots.join(&name)).unwrap() == bytes,
            "{name} redrawn differently"
        );
    }
    assert_eq!(fs::read(plots.join("mine.png")).unwrap(), b"my own figure");
    let left: Vec<String> = fs::read_dir(&plots)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(left.is_empty(), "temporary files left: {left:?}");
}

#[test]
fn a_folder_without_a_sweep_gets_the_figures_that_make_sense() {
    let dir = tempfile::tempdir().unwrap();
    let config = SWEEP.split("[sweep]").next().unwrap();
    fs::write(dir.path().join("p.toml"), config).unwrap();
    let out = run_cli(dir.path(), &["run", "p.toml", "--out", "res"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let figures = check_figures(&dir.path().join("res/plots"), &["slow", "fast"]);
    let mut expected: BTreeSet<String> = [
        "availability",
        "nines",
        "latency_p99",
        "latency_cdf",
        "detector_tradeoff",
        "timeline",
    ]
    .map(String::from)
    .into();
    expected.extend(forests(&dir.path().join("res")));
    expected.extend(headline_figures(&dir.path().join("res"), ""));
    assert_eq!(figures, expected);

    let out = run_cli(
        dir.path(),
        &["run", "p.toml", "--out", "bare", "--no-plots"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!dir.path().join("bare/plots").exists());
    assert!(!dir.path().join("bare/timeline.csv").exists());
}

/// The names in a folder, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_rerun_into_a_folder_leaves_one_experiments_files_and_the_users_own() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("sweep.toml"), SWEEP).unwrap();
    let bare = SWEEP
        .split("[sweep]")
        .next()
        .unwrap()
        .variant("name = \"plotted\"", "name = \"bare\"");
    fs::write(dir.path().join("bare.toml"), bare).unwrap();
    let out = run_cli(dir.path(), &["run", "sweep.toml", "--out", "res"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let plots = dir.path().join("res/plots");
    fs::write(plots.join("mine.png"), b"my own figure").unwrap();
    fs::write(plots.join("notes.svg"), b"<svg/>").unwrap();
    let list = fs::read_to_string(plots.join("drawn-by-faultline.txt")).unwrap();
    assert_eq!(
        list.lines().filter(|l| !l.starts_with('#')).count(),
        2 * (6
            + forests(&dir.path().join("res")).len()
            + headline_figures(&dir.path().join("res"), "").len()),
        "{list}"
    );

    // Another experiment into the same folder: the figures only the sweep called for go,
    // the user's stay.
    let out = run_cli(dir.path(), &["run", "bare.toml", "--out", "res"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let bare_forests = forests(&dir.path().join("res"));
    let mut expected: Vec<String> = [
        "availability",
        "detector_tradeoff",
        "latency_cdf",
        "latency_p99",
        "nines",
        "timeline",
    ]
    .iter()
    .map(|f| f.to_string())
    .chain(bare_forests.iter().cloned())
    .chain(headline_figures(&dir.path().join("res"), ""))
    .flat_map(|f| [format!("{f}.png"), format!("{f}.svg")])
    .chain(["drawn-by-faultline.txt", "mine.png", "notes.svg"].map(String::from))
    .collect();
    expected.sort();
    assert_eq!(names(&plots), expected);
    let timeline = Table::read(&dir.path().join("res/timeline.csv"));
    let runs = Table::read(&dir.path().join("res/runs.csv"));
    assert!(
        runs.values("run_id")
            .contains(&timeline.values("run_id")[0])
    );

    // Again with --no-plots: no timeline and no figure of the earlier run is left to
    // stand for this one, and `faultline plot` then draws no timeline.
    let out = run_cli(
        dir.path(),
        &["run", "sweep.toml", "--out", "res", "--no-plots"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(names(&plots), ["mine.png", "notes.svg"]);
    let tables = names(&dir.path().join("res"));
    assert!(
        !tables.iter().any(|n| n.starts_with("timeline")),
        "{tables:?}"
    );
    let out = run_cli(dir.path(), &["plot", "res"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(&format!(
            "plots: {} figures (PNG and SVG)",
            5 + forests(&dir.path().join("res")).len()
                + headline_figures(&dir.path().join("res"), "").len()
        )) && !stdout(&out).contains("timeline"),
        "{}",
        stdout(&out)
    );
    assert_eq!(fs::read(plots.join("mine.png")).unwrap(), b"my own figure");
}

#[test]
fn plotting_a_folder_without_summary_csv_is_an_input_error() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("empty")).unwrap();
    let out = run_cli(dir.path(), &["plot", "empty"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("empty/summary.csv: not found") && err.contains("faultline run"),
        "{err}"
    );
    assert!(!dir.path().join("empty/plots").exists(), "nothing written");

    let out = run_cli(dir.path(), &["plot", "missing"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("missing: no such folder"),
        "{}",
        stderr(&out)
    );
    fs::write(dir.path().join("runs.csv"), "run_id\n").unwrap();
    let out = run_cli(dir.path(), &["plot", "runs.csv"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out).trim_end(),
        "error: runs.csv: is a file, not a folder; expected a results folder written by `faultline run`"
    );

    fs::write(
        dir.path().join("empty/summary.csv"),
        "cell,strategy,metric,n,mean,sd,ci95_low,ci95_high\n0,a,availability,two,1,0,1,1\n",
    )
    .unwrap();
    let out = run_cli(dir.path(), &["plot", "empty"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("summary.csv: line 2: `n`: expected a whole number, got \"two\""),
        "{}",
        stderr(&out)
    );
}

/// With 100 workers on one server at 200 requests/s of 10 ms, almost never is a request
/// queued (P(100 busy) under an offered load of 2 is far below 1e-50), so each latency is
/// the constant 2 ms of network delay plus an independent exponential service time S:
/// the q-quantile is 2 ms + 10 ms · ln(1 / (1 − q)). The pooled empirical quantile of n
/// independent samples has sd √(q(1 − q)/n) / f(x_q), f(x_q) = (1 − q) / 10 ms; the
/// histogram reports a bucket's upper end, at most 1/128 above the value (two significant
/// digits). The test allows 4 sd plus that bucket width.
#[test]
fn pooled_latency_quantiles_match_an_infinite_server_queue() {
    let config = r#"
[experiment]
name = "mginf"
seed = 11
replications = 5
duration = "60s"
warmup = "1s"

[cluster]
servers = 1
workers = 100
service = { dist = "exponential", mean = "10ms" }

[workload]
arrivals = { kind = "poisson", rate = 200.0 }

[network]
delay = { dist = "constant", value = "1ms" }

[strategies.only]
"#;
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("m.toml"), config).unwrap();
    let out = run_cli(dir.path(), &["run", "m.toml", "--out", "res", "--no-plots"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let runs = Table::read(&dir.path().join("res/runs.csv"));
    let ok: f64 = runs.floats("ok").iter().sum();
    let cdf = Table::read(&dir.path().join("res/latency_cdf.csv"));
    assert_eq!(cdf.rows.len(), 56, "one row per grid quantile");
    assert!(
        cdf.values("n")
            .iter()
            .all(|n| n.parse::<f64>().unwrap() == ok)
    );
    for q in ["0.5", "0.9", "0.99", "0.999"] {
        let row = cdf.rows_where("quantile", q)[0];
        let got: f64 = cdf.cell(row, "latency_ms").parse().unwrap();
        let q: f64 = q.parse().unwrap();
        let expected = 2.0 + 10.0 * (1.0 / (1.0 - q)).ln();
        let sd = (q * (1.0 - q) / ok).sqrt() / ((1.0 - q) / 10.0);
        let tolerance = 4.0 * sd + expected / 128.0;
        println!("q {q}: {got:.3} ms, expected {expected:.3} ± {tolerance:.3} ({ok} requests)");
        assert!(
            (got - expected).abs() <= tolerance,
            "q {q}: {got} ms, expected {expected} ± {tolerance}"
        );
    }
}

/// A replayed timeline, without warmup, counts exactly the requests of runs.csv; a scripted
/// crash of server 1 at 5 s for 4 s is a down span of exactly [5 s, 9 s]; a fixed-timeout
/// detector (interval 100 ms, timeout 300 ms, 1 ms one-way delay) suspects it between
/// timeout − interval and timeout + delay after the crash (the last heartbeat left at most
/// one interval before it).
#[test]
fn a_replayed_timeline_adds_up_and_shows_the_crash_where_it_happened() {
    let config = r#"
[experiment]
name = "tl"
seed = 3
replications = 1
duration = "12s"
warmup = "0s"

[cluster]
servers = 3
service = { dist = "exponential", mean = "5ms" }

[workload]
arrivals = { kind = "poisson", rate = 150.0 }

[network]
delay = { dist = "constant", value = "1ms" }

[[faults.scripted]]
at = "5s"
kind = "crash"
server = 1
for = "4s"

[strategies.watch]
detector = { kind = "fixed-timeout", interval = "100ms", timeout = "300ms" }
"#;
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("t.toml"), config).unwrap();
    let out = run_cli(dir.path(), &["run", "t.toml", "--out", "res", "--no-plots"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = run_cli(
        dir.path(),
        &[
            "replay",
            "t.toml",
            "--run",
            "c0-watch-r0",
            "--timeline",
            "tl",
            "--window",
            "250ms",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let runs = Table::read(&dir.path().join("res/runs.csv"));
    assert!(stdout(&out).contains(&format!("trace_hash {}", runs.values("trace_hash")[0])));
    assert!(dir.path().join("tl/plots/timeline.png").exists());

    let windows = Table::read(&dir.path().join("tl/timeline.csv"));
    let sum = |c: &str| windows.floats(c).iter().sum::<f64>();
    assert_eq!(sum("ok"), runs.floats("ok")[0]);
    assert_eq!(sum("failed"), runs.floats("failed")[0]);
    assert!(windows.floats("window_s").iter().all(|w| *w == 0.25));

    let spans = Table::read(&dir.path().join("tl/timeline_spans.csv"));
    let down = spans.rows_where("kind", "down");
    assert_eq!(down.len(), 1);
    assert_eq!(spans.cell(down[0], "server"), "1");
    assert_eq!(spans.cell(down[0], "from_s"), "5");
    assert_eq!(spans.cell(down[0], "until_s"), "9");
    let fault = spans.rows_where("kind", "fault");
    assert_eq!(
        (
            spans.cell(fault[0], "detail"),
            spans.cell(fault[0], "server")
        ),
        ("crash", "1")
    );
    let suspected: Vec<f64> = spans
        .rows_where("kind", "suspected")
        .iter()
        .filter(|r| spans.cell(r, "server") == "1")
        .map(|r| spans.cell(r, "from_s").parse().unwrap())
        .collect();
    assert_eq!(suspected.len(), 1, "one suspicion of server 1");
    let delay = suspected[0] - 5.0;
    assert!(
        (0.2..=0.301).contains(&delay),
        "detected {delay} s after the crash"
    );
    assert_eq!(
        spans.rows_where("kind", "run").len(),
        3,
        "a lane per server"
    );
}

/// The same config run into two folders draws byte-identical figures: titles name the
/// experiment (experiment.csv), not the folder.
#[test]
fn identical_runs_in_other_folders_draw_identical_figures() {
    let dir = tempfile::tempdir().unwrap();
    let config = SWEEP.split("[sweep]").next().unwrap();
    fs::write(dir.path().join("p.toml"), config).unwrap();
    for out in ["one", "two"] {
        let out = run_cli(dir.path(), &["run", "p.toml", "--out", out]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
    let experiment = Table::read(&dir.path().join("one/experiment.csv"));
    // A row per (cell, strategy): the name, and the detector as config text.
    assert_eq!(experiment.values("name"), ["plotted", "plotted"]);
    assert_eq!(experiment.values("strategy"), ["slow", "fast"]);
    assert_eq!(
        experiment.values("detector"),
        [
            r#"{ kind = "fixed-timeout", interval = "100ms", timeout = "1s" }"#,
            r#"{ kind = "fixed-timeout", interval = "50ms", timeout = "150ms" }"#,
        ]
    );
    let mut compared = 0;
    for entry in fs::read_dir(dir.path().join("one/plots")).unwrap() {
        let name = entry.unwrap().file_name();
        let a = fs::read(dir.path().join("one/plots").join(&name)).unwrap();
        let b = fs::read(dir.path().join("two/plots").join(&name)).unwrap();
        assert!(a == b, "{name:?} differs between the folders");
        let figure = [".png", ".svg"]
            .iter()
            .any(|e| name.to_string_lossy().ends_with(e));
        compared += usize::from(figure);
    }
    assert_eq!(
        compared,
        2 * (6
            + forests(&dir.path().join("one")).len()
            + headline_figures(&dir.path().join("one"), "").len()),
        "the figures, PNG and SVG (and the list of drawn files)"
    );
    let svg = fs::read_to_string(dir.path().join("two/plots/availability.svg")).unwrap();
    assert!(svg.contains("\nplotted: availability by strategy\n</text>"));
    assert!(!svg.contains("two"), "the folder's name is in no figure");
}

/// A run of 12.2 s (drain included) in windows of 250 ms ends 0.2 s and a bit into its
/// last window: that window's requests are counted over its real length, not 250 ms, so
/// its goodput is not drawn at a fifth of its level. With 1 s windows the last one covers
/// 0.2 s, less than half a window, and is left out.
#[test]
fn the_last_partial_timeline_window_is_scaled_or_left_out() {
    let config = r#"
[experiment]
name = "tail"
seed = 8
replications = 1
duration = "12.2s"
warmup = "0s"

[cluster]
servers = 3
service = { dist = "exponential", mean = "5ms" }

[workload]
arrivals = { kind = "poisson", rate = 400.0 }

[network]
delay = { dist = "constant", value = "1ms" }

[strategies.only]
"#;
    use experiments::plot::data::TimelineData;
    use experiments::plot::timeline::TimelineFigure;
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("t.toml"), config).unwrap();
    for (window, folder) in [("250ms", "q"), ("1s", "s")] {
        let out = run_cli(
            dir.path(),
            &[
                "replay",
                "t.toml",
                "--run",
                "c0-only-r0",
                "--timeline",
                folder,
                "--window",
                window,
            ],
        );
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
    let figure = |folder: &str| {
        let data = TimelineData::read(&dir.path().join(folder))
            .unwrap()
            .unwrap();
        TimelineFigure {
            title: String::new(),
            data,
            servers: 3,
        }
    };
    let end = |f: &TimelineFigure| {
        f.data
            .spans
            .iter()
            .filter(|s| s.kind == "run")
            .map(|s| s.until_s)
            .fold(0.0, f64::max)
    };

    let quarter = figure("q");
    let windows = Table::read(&dir.path().join("q/timeline.csv"));
    let (rows, drawn, end_q) = (&quarter.data.rows, quarter.windows(), end(&quarter));
    assert_eq!(drawn.len(), rows.len());
    assert_eq!(rows.last().unwrap().time_s, 12.0);
    assert!(end_q > 12.2 && end_q < 12.25, "{end_q}");
    let last = drawn.last().unwrap();
    let length = end_q - 12.0;
    assert!((last.window_s - length).abs() < 1e-9, "{}", last.window_s);
    let ok_last: f64 = *windows.floats("ok").last().unwrap();
    assert!((last.goodput - ok_last / length).abs() < 1e-6 * last.goodput);
    // 400 requests/s arrive until 12.2 s: the scaled window is near the others' level.
    // Its ok count is Poisson(80) at most (about 400 · 0.2 s), sd 9: 4 sd is 180 per second.
    assert!((last.goodput - 400.0).abs() < 180.0, "{}", last.goodput);
    for r in &drawn[..drawn.len() - 1] {
        assert_eq!(r.window_s, 0.25);
    }

    let second = figure("s");
    let drawn = second.windows();
    assert_eq!(drawn.len(), second.data.rows.len() - 1);
    assert_eq!(drawn.last().unwrap().time_s, 11.0);
    assert_eq!(second.data.rows.last().unwrap().time_s, 12.0);
}

/// Axis ticks of 10,000 and more are grouped in threes: a timeline of 20,000 requests per
/// second labels its goodput axis "10,000" and "20,000", never "10000".
#[test]
fn large_tick_labels_have_separators() {
    let config = r#"
[experiment]
name = "busy"
seed = 4
replications = 1
duration = "2s"
warmup = "0s"

[cluster]
servers = 4
workers = 100
service = { dist = "exponential", mean = "1ms" }

[workload]
arrivals = { kind = "poisson", rate = 20000.0 }

[strategies.only]
"#;
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("b.toml"), config).unwrap();
    let out = run_cli(dir.path(), &["run", "b.toml", "--out", "res"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let svg = fs::read_to_string(dir.path().join("res/plots/timeline.svg")).unwrap();
    assert!(svg.contains("\n10,000\n</text>"), "{svg}");
    assert!(!svg.contains("\n10000\n</text>"));
}

/// A results folder of hand-written tables for the detector trade-off: per (cell,
/// strategy) the mean detection time (None: no detection) and false suspicions per
/// second; experiment.csv gives each strategy's detector.
fn tradeoff_folder(
    root: &Path,
    cells: &[&str],
    points: &[(&str, usize, Option<f64>, f64)],
    detectors: &[(&str, &str)],
) -> std::path::PathBuf {
    let dir = root.join("res");
    fs::create_dir_all(&dir).unwrap();
    let mut summary = String::from("cell,k,strategy,metric,n,mean,sd,ci95_low,ci95_high\n");
    let mut experiment = String::from("name,cell,strategy,detector\n");
    for &(strategy, cell, x, y) in points {
        let value = cells[cell];
        match x {
            Some(x) => summary.push_str(&format!(
                "{cell},{value},{strategy},detection_time_mean_ms,3,{x},,,\n"
            )),
            None => summary.push_str(&format!(
                "{cell},{value},{strategy},detection_time_mean_ms,0,,,,\n"
            )),
        }
        summary.push_str(&format!(
            "{cell},{value},{strategy},mistake_rate_per_s,3,{y},,,\n"
        ));
        let detector = detectors.iter().find(|d| d.0 == strategy).unwrap().1;
        experiment.push_str(&format!("t,{cell},{strategy},\"{detector}\"\n"));
    }
    fs::write(dir.join("summary.csv"), summary).unwrap();
    fs::write(dir.join("experiment.csv"), experiment).unwrap();
    dir
}

const TWO_DETECTORS: [(&str, &str); 2] = [("a", "fixed 1s"), ("b", "fixed 2s")];

fn plot_tradeoff(root: &Path) -> Option<String> {
    let out = run_cli(root, &["plot", "res"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    fs::read_to_string(root.join("res/plots/detector_tradeoff.svg")).ok()
}

/// A cell where no strategy detected a crash has no point, but its false suspicions still
/// count: the footnote does not claim that no live server was suspected, and says how
/// many (strategy, cell) pairs are not drawn.
#[test]
fn the_tradeoff_footnote_counts_the_cells_it_does_not_draw() {
    let dir = tempfile::tempdir().unwrap();
    tradeoff_folder(
        dir.path(),
        &["2m", "1h"],
        &[
            ("a", 0, Some(500.0), 0.0),
            ("b", 0, Some(900.0), 0.0),
            ("a", 1, None, 0.02),
            ("b", 1, None, 0.0),
        ],
        &TWO_DETECTORS,
    );
    let svg = plot_tradeoff(dir.path()).expect("drawn");
    assert!(
        !svg.contains("No strategy suspected a live server"),
        "{svg}"
    );
    assert!(svg.contains("\n2 (strategy, cell) pairs without a detection have no point.\n</text>"));

    // All rates 0, the claim holds; the y axis then has a single tick, 0, and not the
    // arbitrary 0 to 1 of an empty range.
    let dir = tempfile::tempdir().unwrap();
    tradeoff_folder(
        dir.path(),
        &["2m", "1h"],
        &[
            ("a", 0, Some(500.0), 0.0),
            ("b", 0, Some(900.0), 0.0),
            ("a", 1, Some(400.0), 0.0),
            ("b", 1, Some(800.0), 0.0),
        ],
        &TWO_DETECTORS,
    );
    let svg = plot_tradeoff(dir.path()).expect("drawn");
    assert!(svg.contains("\nNo strategy suspected a live server in these runs.\n</text>"));
    assert!(svg.contains("\n0\n</text>"), "{svg}");
    for tick in ["0.0", "0.2", "1.0"] {
        assert!(!svg.contains(&format!("\n{tick}\n</text>")), "{tick}");
    }
}

/// Strategies that all have the same detector trade nothing off: no figure. With
/// different detectors in some cell, it is drawn.
#[test]
fn the_tradeoff_needs_strategies_with_different_detectors() {
    let points = [
        ("a", 0, Some(500.0), 0.1),
        ("b", 0, Some(510.0), 0.1),
        ("a", 1, Some(400.0), 0.2),
        ("b", 1, Some(420.0), 0.2),
    ];
    let dir = tempfile::tempdir().unwrap();
    tradeoff_folder(
        dir.path(),
        &["2m", "1h"],
        &points,
        &[("a", "fixed 1s"), ("b", "fixed 1s")],
    );
    assert_eq!(plot_tradeoff(dir.path()), None);
    let out = run_cli(dir.path(), &["plot", "res"]);
    assert!(
        !stdout(&out).contains("detector_tradeoff"),
        "{}",
        stdout(&out)
    );

    let dir = tempfile::tempdir().unwrap();
    tradeoff_folder(dir.path(), &["2m", "1h"], &points, &TWO_DETECTORS);
    assert!(plot_tradeoff(dir.path()).is_some());
}

/// Point labels never overlap: "10m" just left of "2m" read as "102m" when each label was
/// put right of its point whatever was there. Each label's box is estimated from the
/// SVG's font size (0.62 em per character, 1 em high; DejaVu Sans digits are 0.64 em,
/// letters less).
#[test]
fn tradeoff_point_labels_do_not_overlap() {
    let dir = tempfile::tempdir().unwrap();
    tradeoff_folder(
        dir.path(),
        &["10m", "2m", "1h", "5m"],
        &[
            ("a", 0, Some(1000.0), 0.1),
            ("a", 1, Some(1080.0), 0.1),
            ("a", 2, Some(3000.0), 0.1),
            ("a", 3, Some(1040.0), 0.104),
            ("b", 0, Some(2000.0), 0.05),
            ("b", 1, Some(2060.0), 0.05),
            ("b", 2, Some(2120.0), 0.05),
            ("b", 3, Some(2200.0), 0.2),
        ],
        &TWO_DETECTORS,
    );
    let svg = plot_tradeoff(dir.path()).expect("drawn");
    let tags = ["10m", "2m", "1h", "5m"];
    let mut boxes = Vec::new();
    for chunk in svg.split("<text ").skip(1) {
        let body = chunk.split('>').nth(1).unwrap_or("");
        let text = body.split("</text").next().unwrap_or("").trim();
        if !text.split(" / ").all(|t| tags.contains(&t)) {
            continue;
        }
        let attr = |name: &str| -> f64 {
            let start = chunk
                .find(&format!(" {name}=\""))
                .unwrap_or_else(|| chunk.find(&format!("{name}=\"")).expect(name));
            let rest = &chunk[start..];
            let value = rest.split('"').nth(1).unwrap();
            value.parse().unwrap()
        };
        let (x, y, size) = (attr("x"), attr("y"), attr("font-size"));
        let w = text.chars().count() as f64 * 0.62 * size;
        boxes.push((text.to_string(), x, y, x + w, y + size));
    }
    assert!(boxes.len() >= 6, "{boxes:?}");
    for (i, a) in boxes.iter().enumerate() {
        for b in &boxes[i + 1..] {
            let apart = a.3 <= b.1 || b.3 <= a.1 || a.4 <= b.2 || b.4 <= a.2;
            assert!(apart, "{a:?} overlaps {b:?}");
        }
    }
}

/// Two sweep keys draw small multiples, not a tangle of lines: each figure against one key
/// has a panel per value of the other, on one y axis, and the latency CDF a panel per cell.
#[test]
fn two_sweep_keys_draw_small_multiples() {
    let dir = tempfile::tempdir().unwrap();
    let config = SWEEP.variant(
        "\"faults.crash.mttr.mean\" = [\"1s\", \"3s\", \"10s\"]",
        "\"faults.crash.mttr.mean\" = [\"1s\", \"10s\"]\n\"cluster.servers\" = [3, 4, 6]",
    );
    fs::write(dir.path().join("two.toml"), config).unwrap();
    let out = run_cli(dir.path(), &["run", "two.toml", "--out", "res"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let plots = dir.path().join("res/plots");
    let svg = |name: &str| fs::read_to_string(plots.join(format!("{name}.svg"))).unwrap();
    let panel = |text: &str, title: &str| text.contains(&format!("\n{title}\n</text>"));

    let against_mttr = svg("availability_vs_faults.crash.mttr.mean");
    for servers in [3, 4, 6] {
        assert!(
            panel(&against_mttr, &format!("servers={servers}")),
            "panel servers={servers}"
        );
    }
    let against_servers = svg("availability_vs_cluster.servers");
    for mttr in ["1s", "10s"] {
        assert!(
            panel(&against_servers, &format!("mttr.mean={mttr}")),
            "panel mttr.mean={mttr}"
        );
    }
    // One legend for all panels: each strategy named once.
    for name in ["slow", "fast"] {
        assert_eq!(
            against_mttr.matches(&format!("\n{name}\n</text>")).count(),
            1,
            "{name} in the legend once"
        );
    }
    let cdf = svg("latency_cdf");
    for (c, (mttr, servers)) in ["1s", "10s"]
        .iter()
        .flat_map(|m| [3, 4, 6].map(move |s| (*m, s)))
        .enumerate()
    {
        assert!(
            panel(&cdf, &format!("c{c}: mttr.mean={mttr}, servers={servers}")),
            "latency CDF panel of cell {c}"
        );
    }
    let (w, h) = svg_size(&plots.join("latency_cdf.svg"));
    assert!(h > 900 && w > 900, "six panels in three rows: {w}x{h}");
    assert!(!plots.join("latency_cdf_c0.svg").exists());
}

/// With few replications every run's value is a dot beside its mean (a bimodal cell shows
/// instead of hiding behind its mean); with many, none. The nines figure has none.
#[test]
fn few_replications_draw_each_run_beside_its_mean() {
    let dir = tempfile::tempdir().unwrap();
    let config = SWEEP.split("[sweep]").next().unwrap();
    fs::write(dir.path().join("p.toml"), config).unwrap();
    let strips = |folder: &str, figure: &str| {
        fs::read_to_string(dir.path().join(folder).join("plots").join(figure))
            .unwrap()
            .matches(" r=\"2\" ")
            .count()
    };
    let out = run_cli(dir.path(), &["run", "p.toml", "--out", "few"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let runs = Table::read(&dir.path().join("few/runs.csv"));
    let with_latency = runs
        .values("latency_p99_ms")
        .iter()
        .filter(|v| !v.is_empty())
        .count();
    assert_eq!(
        strips("few", "availability.svg"),
        runs.rows.len(),
        "2 strategies x 4 runs"
    );
    assert_eq!(strips("few", "latency_p99.svg"), with_latency);
    assert_eq!(strips("few", "nines.svg"), 0);
    let out = run_cli(
        dir.path(),
        &["run", "p.toml", "--out", "many", "--replications", "31"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        strips("many", "availability.svg"),
        0,
        "31 runs per point: no strip"
    );
}

/// A sweep over whole tables is a category axis named by what tells the tables apart,
/// not by their full text.
#[test]
fn table_valued_sweep_values_get_short_labels() {
    let dir = tempfile::tempdir().unwrap();
    let config = SWEEP.variant(
        "\"faults.crash.mttr.mean\" = [\"1s\", \"3s\", \"10s\"]",
        "\"cluster.service\" = [{ dist = \"constant\", value = \"10ms\" }, { dist = \"exponential\", mean = \"10ms\" }]",
    );
    fs::write(dir.path().join("t.toml"), config).unwrap();
    let out = run_cli(dir.path(), &["run", "t.toml", "--out", "res"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let svg = fs::read_to_string(
        dir.path()
            .join("res/plots/availability_vs_cluster.service.svg"),
    )
    .unwrap();
    for label in ["constant", "exponential"] {
        assert!(svg.contains(&format!("\n{label}\n</text>")), "tick {label}");
    }
    assert!(!svg.contains("dist = "), "no table text on the axis");
    let forest = fs::read_to_string(dir.path().join("res/plots/diff_availability.svg")).unwrap();
    assert!(
        forest.contains("\nexponential · fast"),
        "forest rows by short label"
    );
}
