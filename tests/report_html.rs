//! report.html in a real browser: headless Chromium (Debian's chromium package, installed
//! by scripts/install-chromium.sh when it is missing) loads the report of a fresh results
//! folder. The page must run its script to the end without a console error, hold every
//! figure of plots/ as inline SVG, filter by cell from its address, and load nothing from
//! the network. A screenshot is kept in the test's output folder. Where Chromium cannot be
//! installed the test fails and says why: it never passes without a browser.

use crate::common::{repo_root, run_cli, stderr, stdout};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const CONFIG: &str = r#"
# Does a faster failure detector buy availability when servers crash often?
[experiment]
name = "report-check"
seed = 5
replications = 4
duration = "40s"
warmup = "2s"

[cluster]
servers = 4
service = { dist = "exponential", mean = "10ms" }

[workload]
arrivals = { kind = "poisson", rate = 200.0 }
timeout = "500ms"

[faults]
crash = { mttf = { dist = "exponential", mean = "20s" }, mttr = { dist = "exponential", mean = "4s" } }

[strategies.slow]
detector = { kind = "fixed-timeout", interval = "200ms", timeout = "2s" }
[strategies.fast]
detector = { kind = "fixed-timeout", interval = "50ms", timeout = "150ms" }

[sweep]
"faults.crash.mttr.mean" = ["2s", "4s"]

[checks]
min_availability = 0.99
"#;

/// Chromium's path, installed by the project's script when missing.
fn chromium() -> PathBuf {
    let find = || {
        ["chromium", "chromium-browser"].iter().find_map(|name| {
            let out = Command::new("sh")
                .args(["-c", &format!("command -v {name}")])
                .output()
                .ok()?;
            let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
            (out.status.success() && !path.is_empty()).then(|| PathBuf::from(path))
        })
    };
    if let Some(path) = find() {
        return path;
    }
    let script = repo_root().join("scripts/install-chromium.sh");
    let out = Command::new("bash")
        .arg(&script)
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", script.display()));
    assert!(
        out.status.success(),
        "the report test needs Chromium, and {} could not install it:\n{}{}",
        script.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    find().expect("chromium is on the PATH after its installation")
}

/// Runs headless Chromium on `url` with `args`; returns (stdout, stderr).
fn headless(browser: &Path, profile: &Path, url: &str, args: &[&str]) -> (String, String) {
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=5000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(url)
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "chromium failed on {url}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The lines of Chromium's log that are page console messages at error level or
/// uncaught exceptions.
fn console_errors(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|l| l.contains("CONSOLE") || l.contains("Uncaught"))
        .filter(|l| l.contains("ERROR") || l.contains("Uncaught") || l.contains("error"))
        .collect()
}

fn url_of(path: &Path) -> String {
    format!("file://{}", std::path::absolute(path).unwrap().display())
}

#[test]
fn the_report_renders_in_headless_chromium_without_console_errors() {
    let browser = chromium();
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("report.toml"), CONFIG).unwrap();
    let out = run_cli(dir.path(), &["run", "report.toml", "--out", "out"]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    let folder = dir.path().join("out");
    let report = folder.join("report.html");
    assert!(
        stdout(&out).contains("report: out/report.html"),
        "{}",
        stdout(&out)
    );
    let html = fs::read_to_string(&report).unwrap();

    // Self-contained: the only address in the page is the SVG namespace, and nothing is
    // loaded by src or href other than the page's own anchors.
    let without_namespace = html.replace("http://www.w3.org/2000/svg", "");
    assert!(
        !without_namespace.contains("http://") && !without_namespace.contains("https://"),
        "report.html names an address"
    );
    assert!(!html.contains(" src="), "report.html loads a file");
    for href in html.split("href=\"").skip(1) {
        assert!(
            href.starts_with('#'),
            "report.html links out: {}",
            &href[..40.min(href.len())]
        );
    }
    // The question, the headline table with the paired differences, the failures.
    assert!(html.contains("Does a faster failure detector buy availability"));
    assert!(html.contains("<th>availability</th>") && html.contains("Δ "));
    assert!(
        html.contains("faultline replay "),
        "failures with replay commands"
    );

    let svgs: Vec<String> = fs::read_dir(folder.join("plots"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".svg"))
        .collect();
    assert!(svgs.len() >= 8, "figures drawn: {svgs:?}");
    assert!(
        svgs.iter().any(|n| n.starts_with("diff_availability")),
        "{svgs:?}"
    );

    // The console of a page with an error shows in the log this test reads, so that a
    // clean log below means a clean page.
    let profile = tempfile::tempdir().unwrap();
    let probe = dir.path().join("probe.html");
    fs::write(
        &probe,
        "<!DOCTYPE html><html><body><script>console.error('probe-error'); undefined_function();</script></body></html>",
    )
    .unwrap();
    let (_, log) = headless(&browser, profile.path(), &url_of(&probe), &["--dump-dom"]);
    assert!(
        console_errors(&log)
            .iter()
            .any(|l| l.contains("probe-error")),
        "chromium's log shows no console messages, so it cannot vouch for the report:\n{log}"
    );

    // The report, filtered to cell 1 by its address.
    let (dom, log) = headless(
        &browser,
        profile.path(),
        &format!("{}#cell=1", url_of(&report)),
        &["--dump-dom"],
    );
    let errors = console_errors(&log);
    assert!(errors.is_empty(), "console errors: {errors:#?}");
    assert!(
        dom.contains("data-ready=\"ok\""),
        "the page's script did not finish"
    );
    for svg in &svgs {
        let name = svg.strip_suffix(".svg").unwrap();
        let id = format!("id=\"figure-{name}\"");
        let at = dom
            .find(&id)
            .unwrap_or_else(|| panic!("figure {name} is missing from the rendered page"));
        let figure = &dom[at..];
        let end = figure.find("</figure>").unwrap();
        assert!(
            figure[..end].contains("<svg"),
            "figure {name} has no inline SVG"
        );
    }
    // Rows of cell 0 are hidden, those of cell 1 shown.
    let rows: Vec<&str> = dom
        .split("<tr ")
        .skip(1)
        .map(|r| r.split("</tr>").next().unwrap())
        .filter(|r| r.contains("data-cell="))
        .collect();
    assert!(!rows.is_empty());
    for row in &rows {
        let hidden = row.split('>').next().unwrap().contains("hidden");
        if row.contains("data-cell=\"0\"") {
            assert!(hidden, "a row of cell 0 is shown with #cell=1: {row:.80}");
        } else if row.contains("data-cell=\"1\"") {
            assert!(!hidden, "a row of cell 1 is hidden with #cell=1: {row:.80}");
        }
    }

    // A screenshot, kept in the test's output folder.
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report_html");
    fs::create_dir_all(&shots).unwrap();
    let shot = shots.join("report.png");
    let _ = fs::remove_file(&shot);
    headless(
        &browser,
        profile.path(),
        &url_of(&report),
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1280,2400",
        ],
    );
    let decoder = png::Decoder::new(fs::File::open(&shot).unwrap());
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut pixels).unwrap();
    assert_eq!((info.width, info.height), (1280, 2400));
    // Drawn: far from one flat colour.
    let distinct: std::collections::BTreeSet<&[u8]> = pixels
        .chunks(info.line_size / info.width as usize)
        .collect();
    assert!(distinct.len() > 50, "the screenshot is nearly blank");
    eprintln!("report screenshot: {}", shot.display());
}
