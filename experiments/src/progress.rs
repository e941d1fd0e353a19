//! The progress of `faultline run` on stderr, chosen by `--progress`:
//!
//! - `auto` (the default): a bar (runs done out of all, runs per second and the time left)
//!   when stderr is a terminal; piped or redirected, no progress at all, so logs and
//!   captured output hold only results;
//! - `lines`: a plain line every few seconds ([`LINE_EVERY`]) and one at the end, for Slurm
//!   and CI logs;
//! - `none`: nothing, even on a terminal.
//!
//! Work whose amount is not known in advance (`faultline shrink`) shows one
//! [`Activity`] line instead, under the same rule: a spinner on a terminal, nothing when
//! piped.
//!
//! Progress reads the wall clock; nothing of it reaches the simulation or the outputs.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use std::cell::Cell;
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// How `faultline run` shows its progress.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ProgressMode {
    /// A bar when stderr is a terminal, else nothing.
    #[default]
    Auto,
    /// A line every few seconds and one at the end, terminal or not.
    Lines,
    /// Nothing.
    None,
}

/// How often a spinner turns while a step is under way.
const SPIN_EVERY: Duration = Duration::from_millis(120);

/// The time between two progress lines.
pub const LINE_EVERY: Duration = Duration::from_secs(5);

/// The environment variable that sets the time between progress lines in seconds (a
/// decimal number, 0 for a line after every run), for tests and for logs that want more
/// or fewer lines.
pub const LINE_EVERY_ENV: &str = "FAULTLINE_PROGRESS_SECONDS";

/// Progress of an experiment; does nothing when hidden.
pub struct Progress {
    shown: Shown,
}

enum Shown {
    Hidden,
    Bar(ProgressBar),
    Lines(Lines),
}

/// The state of progress lines.
struct Lines {
    total: u64,
    /// Runs done before this attempt (read back from a journal): not counted in the rate.
    resumed: u64,
    done: Cell<u64>,
    started: Instant,
    last_line: Cell<Instant>,
    every: Duration,
    finished: Cell<bool>,
}

impl Progress {
    /// Progress for `total` runs of which `done` are already complete, in `mode`, with
    /// lines at most one per `every`.
    pub fn new(mode: ProgressMode, total: u64, done: u64, every: Duration) -> Progress {
        match mode {
            ProgressMode::Auto => {
                Progress::with_terminal(total, done, std::io::stderr().is_terminal())
            }
            ProgressMode::Lines => Progress::lines(total, done, every),
            ProgressMode::None => Progress {
                shown: Shown::Hidden,
            },
        }
    }

    /// A bar drawn on stderr when `terminal`, else hidden.
    pub fn with_terminal(total: u64, done: u64, terminal: bool) -> Progress {
        if !terminal {
            return Progress {
                shown: Shown::Hidden,
            };
        }
        let style = ProgressStyle::with_template(
            "{wide_bar} {pos}/{len} runs  {rate}  ETA {eta}  elapsed {elapsed}",
        )
        .expect("the progress template is valid")
        .with_key(
            "rate",
            |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{:.1} runs/s", state.per_sec());
            },
        )
        .progress_chars("=> ");
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr())
            .with_style(style);
        bar.set_position(done);
        bar.reset_eta();
        Progress {
            shown: Shown::Bar(bar),
        }
    }

    /// Progress lines on stderr, at most one per `every` and one at the end.
    pub fn lines(total: u64, done: u64, every: Duration) -> Progress {
        let now = Instant::now();
        Progress {
            shown: Shown::Lines(Lines {
                total,
                resumed: done,
                done: Cell::new(done),
                started: now,
                last_line: Cell::new(now),
                every,
                finished: Cell::new(false),
            }),
        }
    }

    pub fn is_shown(&self) -> bool {
        !matches!(self.shown, Shown::Hidden)
    }

    /// One more run is done.
    pub fn inc(&self) {
        match &self.shown {
            Shown::Hidden => {}
            Shown::Bar(bar) => bar.inc(1),
            Shown::Lines(lines) => {
                lines.done.set(lines.done.get() + 1);
                let now = Instant::now();
                if now.duration_since(lines.last_line.get()) >= lines.every
                    && lines.done.get() < lines.total
                {
                    lines.last_line.set(now);
                    eprintln!("{}", lines.line(now));
                }
            }
        }
    }

    /// Removes the bar from the terminal; with lines, prints the last line once.
    pub fn finish(&self) {
        match &self.shown {
            Shown::Hidden => {}
            Shown::Bar(bar) => bar.finish_and_clear(),
            Shown::Lines(lines) => {
                if !lines.finished.replace(true) {
                    eprintln!("{}", lines.line(Instant::now()));
                }
            }
        }
    }
}

impl Lines {
    /// `progress: 120/400 runs (30%), 35.2 runs/s, about 8s left, 3s elapsed`.
    fn line(&self, now: Instant) -> String {
        let done = self.done.get();
        let elapsed = now.duration_since(self.started).as_secs_f64();
        let rate = (done - self.resumed) as f64 / elapsed.max(1e-9);
        let percent = if self.total == 0 {
            100.0
        } else {
            done as f64 * 100.0 / self.total as f64
        };
        let left = if done >= self.total {
            "done".to_string()
        } else if done == self.resumed {
            "time left unknown".to_string()
        } else {
            format!("about {} left", seconds((self.total - done) as f64 / rate))
        };
        format!(
            "progress: {done}/{} runs ({percent:.0}%), {rate:.1} runs/s, {left}, {} elapsed",
            self.total,
            seconds(elapsed)
        )
    }
}

/// Whole seconds, or minutes and seconds from a minute, or hours and minutes from an hour.
fn seconds(s: f64) -> String {
    let s = s.round() as u64;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, s / 60 % 60),
    }
}

/// The time between progress lines: [`LINE_EVERY_ENV`] when set, else [`LINE_EVERY`]; a
/// value that is not a number of seconds from 0 to a day is an error naming the variable.
pub fn line_every() -> Result<Duration, String> {
    let Some(value) = std::env::var_os(LINE_EVERY_ENV) else {
        return Ok(LINE_EVERY);
    };
    let text = value.to_string_lossy();
    match text.trim().parse::<f64>() {
        Ok(s) if (0.0..=86_400.0).contains(&s) => Ok(Duration::from_secs_f64(s)),
        _ => Err(format!(
            "{LINE_EVERY_ENV}: expected a number of seconds from 0 to 86400, got `{text}`"
        )),
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

/// One line of progress for work of unknown length, on stderr when it is a terminal:
/// a spinner, the phase under way, the steps done so far in every phase together and the
/// time elapsed (`| shrink: lowering the servers; candidate runs: 41, 3s elapsed`). It
/// stays one line from start to end; a phase changes only its label.
pub struct Activity {
    bar: Option<ProgressBar>,
}

impl Activity {
    /// An activity of `what` counting its steps as `unit`, drawn when stderr is a
    /// terminal.
    pub fn on_stderr(what: &str, unit: &str) -> Activity {
        Activity::with_terminal(what, unit, std::io::stderr().is_terminal())
    }

    /// An activity drawn on stderr when `terminal`, else hidden.
    pub fn with_terminal(what: &str, unit: &str, terminal: bool) -> Activity {
        if !terminal {
            return Activity { bar: None };
        }
        let template = format!("{{spinner}} {what}: {{msg}}; {unit}: {{pos}}, {{elapsed}} elapsed");
        let style = ProgressStyle::with_template(&template)
            .expect("the activity template is valid")
            .tick_chars("|/-\\ ");
        let bar =
            ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()).with_style(style);
        bar.enable_steady_tick(SPIN_EVERY);
        Activity { bar: Some(bar) }
    }

    pub fn is_shown(&self) -> bool {
        self.bar.is_some()
    }

    /// The phase now under way.
    pub fn phase(&self, label: impl Into<std::borrow::Cow<'static, str>>) {
        if let Some(bar) = &self.bar {
            bar.set_message(label);
        }
    }

    /// `n` more steps are done.
    pub fn inc(&self, n: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(n);
        }
    }

    /// Runs `print` (which writes results to stdout) with the line taken off the terminal
    /// meanwhile, so that the two do not mix.
    pub fn suspend<R>(&self, print: impl FnOnce() -> R) -> R {
        match &self.bar {
            Some(bar) => bar.suspend(print),
            None => print(),
        }
    }

    /// Removes the line from the terminal.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Activity {
    fn drop(&mut self) {
        self.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_terminal_means_no_bar() {
        assert!(!Progress::with_terminal(10, 0, false).is_shown());
        assert!(!Progress::new(ProgressMode::None, 10, 0, LINE_EVERY).is_shown());
        assert!(!Activity::with_terminal("shrink", "candidate runs", false).is_shown());
    }

    #[test]
    fn durations_read_as_seconds_minutes_or_hours() {
        assert_eq!(seconds(0.4), "0s");
        assert_eq!(seconds(59.4), "59s");
        assert_eq!(seconds(61.0), "1m01s");
        assert_eq!(seconds(3600.0 + 7.0 * 60.0), "1h07m");
    }
}
