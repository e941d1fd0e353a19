//! The progress bar of `faultline run`: runs done out of all, runs per second and the time
//! left, drawn on stderr only when stderr is a terminal. Piped or redirected, the run
//! prints no progress at all, so logs and captured output hold only results.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use std::io::IsTerminal;

/// Progress of an experiment; does nothing when hidden.
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// A bar for `total` runs of which `done` are already complete, shown only when
    /// stderr is a terminal.
    pub fn new(total: u64, done: u64) -> Progress {
        Progress::with_terminal(total, done, std::io::stderr().is_terminal())
    }

    /// A bar drawn on stderr when `terminal`, else hidden.
    pub fn with_terminal(total: u64, done: u64, terminal: bool) -> Progress {
        if !terminal {
            return Progress { bar: None };
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
        Progress { bar: Some(bar) }
    }

    pub fn is_shown(&self) -> bool {
        self.bar.is_some()
    }

    /// One more run is done.
    pub fn inc(&self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }

    /// Removes the bar from the terminal.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Progress {
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
    }
}
