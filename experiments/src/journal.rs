//! The resume journal: `resume.journal` in the output folder records each completed run,
//! in run order, as it is handed on, so that `faultline run --resume` after an
//! interruption (Ctrl-C, kill, crash) continues where the run stopped and produces the same
//! final files byte for byte.
//!
//! The journal starts with a header naming the config's fingerprint (the whole config after
//! overrides, the master seed, the bytes of every file the config reads, the faultline
//! version and the runs.csv columns); resuming with anything else is refused. Each line
//! after it is `run_id,<metric cells>,<latency histogram>,<checksum>` (the histogram as
//! [`crate::latency_cdf::encode`] writes it): a line cut short by a crash fails its
//! checksum and is dropped, with everything after it. Lines are
//! written with one system call each, so a killed process loses nothing it wrote, and
//! synced to disk when a second has passed since the last sync, so a power loss costs at
//! most the runs of about a second. The journal is locked while a
//! run uses it and, once the final files are in place, kept as `runs.journal`: the
//! folder's record of its runs, which `run --grow` and `merge` read back. A journal holding only part
//! of its header holds no run and resumes as an empty one. The journal is never opened
//! through a symbolic link: a link at its path is refused.

use crate::config::{Experiment, RunKey};
use hdrhistogram::Histogram;
use sim_core::RunReport;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The journal's file name in the output folder.
pub const JOURNAL_FILE: &str = "resume.journal";

const FORMAT: &str = "faultline resume journal 2";
const SYNC_EVERY: Duration = Duration::from_secs(1);

/// The hash [`fnv1a64`] starts from.
pub const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// 64-bit FNV-1a: a small, stable hash for fingerprints and line checksums.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    fnv1a64_extend(FNV_OFFSET, bytes)
}

/// Continues an FNV-1a hash `h` over more bytes: hashing a file piece by piece gives its
/// [`fnv1a64`].
pub fn fnv1a64_extend(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The fingerprint a journal must carry to be resumed by `exp`.
pub fn fingerprint(exp: &Experiment) -> u64 {
    let text = format!(
        "{}\n{}\n{:016x}\n{}",
        FORMAT,
        env!("CARGO_PKG_VERSION"),
        exp.fingerprint,
        crate::runs_csv::header(exp).join(",")
    );
    fnv1a64(text.as_bytes())
}

/// Why a journal cannot be used.
#[derive(Debug)]
pub enum JournalError {
    /// Reading or writing failed.
    Io(PathBuf, io::Error),
    /// Another faultline run holds the folder.
    Busy(PathBuf),
    /// The journal belongs to another config, or is not a journal.
    Mismatch(PathBuf, String),
    /// The journal's path is a symbolic link, which faultline does not write through.
    Link(PathBuf),
}

impl std::fmt::Display for JournalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JournalError::Io(path, e) => write!(
                f,
                "{}: cannot use the resume journal ({})",
                path.display(),
                crate::load::describe_io(e)
            ),
            JournalError::Busy(path) => write!(
                f,
                "{}: another faultline run is writing to this output folder; wait for it or choose another --out",
                path.display()
            ),
            JournalError::Mismatch(path, why) => write!(
                f,
                "{}: cannot resume: {why}; run without --resume to start over",
                path.display()
            ),
            JournalError::Link(path) => write!(
                f,
                "{}: is a symbolic link; faultline writes its journal only into a file of its own, never through a link: remove the link (what it points at is left alone)",
                path.display()
            ),
        }
    }
}

/// An open, locked journal, appended to as runs complete.
pub struct Journal {
    file: File,
    path: PathBuf,
    last_sync: Instant,
}

/// What [`Journal::resume`] found.
pub struct Resumed {
    pub journal: Journal,
    /// Complete runs read back (the first `runs` runs of the experiment).
    pub runs: u64,
    /// Bytes of a cut-short or damaged tail that were dropped.
    pub dropped_bytes: u64,
    /// Whether the journal held only part of its header, and so no run.
    pub cut_header: bool,
}

/// Opens (creating it if need be) and locks the journal at `path`, never through a
/// symbolic link.
fn open_locked(path: &Path) -> Result<File, JournalError> {
    let io_err = |e| JournalError::Io(path.to_path_buf(), e);
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW);
    }
    let file = options.open(path).map_err(|e| {
        #[cfg(unix)]
        if e.raw_os_error() == Some(libc::ELOOP) {
            return JournalError::Link(path.to_path_buf());
        }
        io_err(e)
    })?;
    if fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(JournalError::Link(path.to_path_buf()));
    }
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(JournalError::Busy(path.to_path_buf())),
        Err(std::fs::TryLockError::Error(e)) => Err(io_err(e)),
    }
}

fn header(exp: &Experiment) -> String {
    let mut columns = vec!["run_id"];
    columns.extend(RunReport::column_names());
    columns.push("latency_histogram");
    columns.push("checksum");
    format!(
        "{FORMAT}\nfingerprint {:016x}\nruns {}\ncolumns {}\n",
        fingerprint(exp),
        exp.total_runs(),
        columns.join(",")
    )
}

impl Journal {
    /// The journal path in an output folder.
    pub fn path_in(dir: &Path) -> PathBuf {
        dir.join(JOURNAL_FILE)
    }

    /// Whether `dir` holds a journal (or anything else at its path, a link included).
    pub fn exists_in(dir: &Path) -> bool {
        fs::symlink_metadata(Journal::path_in(dir)).is_ok()
    }

    /// Starts a new journal in `dir`, replacing an old one.
    pub fn create(dir: &Path, exp: &Experiment) -> Result<Journal, JournalError> {
        let path = Journal::path_in(dir);
        let file = open_locked(&path)?;
        Journal::start(file, path, exp)
    }

    /// Writes the header of `exp` into the locked journal `file`, emptied first, and syncs
    /// it and its folder.
    fn start(mut file: File, path: PathBuf, exp: &Experiment) -> Result<Journal, JournalError> {
        let io_err = |e| JournalError::Io(path.clone(), e);
        file.set_len(0).map_err(io_err)?;
        file.seek(SeekFrom::Start(0)).map_err(io_err)?;
        file.write_all(header(exp).as_bytes()).map_err(io_err)?;
        file.sync_data().map_err(io_err)?;
        crate::output::sync_folder_of(&path).map_err(io_err)?;
        Ok(Journal {
            file,
            path,
            last_sync: Instant::now(),
        })
    }

    /// Opens the journal of an interrupted run of `exp` in `dir`, if there is one; checks
    /// it belongs to `exp`, hands each complete run to `replay` in run order (its metric
    /// cells and its reduced latency histogram), drops a damaged tail and leaves the
    /// journal ready to append the next run.
    pub fn resume<E>(
        dir: &Path,
        exp: &Experiment,
        mut replay: impl FnMut(RunKey, Vec<String>, Histogram<u64>) -> Result<(), E>,
    ) -> Result<Option<Resumed>, ResumeError<E>> {
        let path = Journal::path_in(dir);
        if !Journal::exists_in(dir) {
            return Ok(None);
        }
        let mut file = open_locked(&path)?;
        let io_err = |e| ResumeError::Journal(JournalError::Io(path.clone(), e));
        let mut reader = BufReader::new(&mut file);
        let expected = header(exp);
        let header_lines = expected.lines().count();
        let mut head = Vec::new();
        for _ in 0..header_lines {
            reader.read_until(b'\n', &mut head).map_err(io_err)?;
        }
        let head = String::from_utf8_lossy(&head).into_owned();
        // A header cut short (a run that stopped, or found the disk full, before its
        // header was on disk) records no run: the journal is empty, whatever its config.
        let format_line = format!("{FORMAT}\n");
        let whole = head.matches('\n').count() == header_lines;
        if !whole && (format_line.starts_with(&head) || head.starts_with(&format_line)) {
            drop(reader);
            let journal = Journal::start(file, path, exp)?;
            return Ok(Some(Resumed {
                journal,
                runs: 0,
                dropped_bytes: 0,
                cut_header: true,
            }));
        }
        if head != expected {
            let why = if head.starts_with(FORMAT) {
                "it was written for a different config (the config file, a file it reads, a --set, --seed or --replications, or the faultline version changed since the interrupted run)"
            } else {
                "it is not a faultline resume journal"
            };
            return Err(ResumeError::Journal(JournalError::Mismatch(
                path,
                why.into(),
            )));
        }
        let columns = RunReport::column_names().len();
        let mut valid_end = head.len() as u64;
        let mut runs = 0u64;
        let mut line = Vec::new();
        loop {
            line.clear();
            let read = reader.read_until(b'\n', &mut line).map_err(io_err)?;
            if read == 0 || runs == exp.total_runs() {
                break;
            }
            let Some(mut cells) = parse_line(&line, columns + 1) else {
                break;
            };
            let key = exp.run_key(runs);
            if cells[0] != exp.run_id(key) {
                break;
            }
            let latency = cells.pop().expect("a journal line has a latency histogram");
            let Some(latency) = crate::latency_cdf::decode(&latency) else {
                break;
            };
            replay(key, cells[1..].to_vec(), latency).map_err(ResumeError::Replay)?;
            runs += 1;
            valid_end += read as u64;
        }
        drop(reader);
        let total = file.metadata().map_err(io_err)?.len();
        file.set_len(valid_end).map_err(io_err)?;
        file.seek(SeekFrom::End(0)).map_err(io_err)?;
        Ok(Some(Resumed {
            journal: Journal {
                file,
                path,
                last_sync: Instant::now(),
            },
            runs,
            dropped_bytes: total - valid_end,
            cut_header: false,
        }))
    }

    /// Records a completed run: its metric cells and its reduced latency histogram.
    pub fn append(
        &mut self,
        run_id: &str,
        metrics: &[String],
        latency: &Histogram<u64>,
    ) -> Result<(), JournalError> {
        let mut text = String::with_capacity(1024);
        text.push_str(run_id);
        for cell in metrics {
            text.push(',');
            text.push_str(cell);
        }
        text.push(',');
        text.push_str(&crate::latency_cdf::encode(latency));
        let checksum = fnv1a64(text.as_bytes());
        text.push_str(&format!(",{checksum:016x}\n"));
        let io_err = |e| JournalError::Io(self.path.clone(), e);
        self.file.write_all(text.as_bytes()).map_err(io_err)?;
        if self.last_sync.elapsed() >= SYNC_EVERY {
            self.file.sync_data().map_err(io_err)?;
            self.last_sync = Instant::now();
        }
        Ok(())
    }

    /// Puts every run appended so far on disk, as before a stop.
    pub fn sync(&mut self) -> Result<(), JournalError> {
        self.file
            .sync_data()
            .map_err(|e| JournalError::Io(self.path.clone(), e))?;
        self.last_sync = Instant::now();
        Ok(())
    }

    /// Removes the journal once the final files are in place.
    pub fn finish(self) -> Result<(), JournalError> {
        let Journal { file, path, .. } = self;
        drop(file);
        std::fs::remove_file(&path).map_err(|e| JournalError::Io(path, e))
    }

    /// Keeps the journal, synced, as the folder's record of its runs
    /// ([`FINISHED_FILE`]) once the final files are in place: `run --grow` and `merge`
    /// read it back with [`read_finished`].
    pub fn keep(mut self) -> Result<(), JournalError> {
        self.sync()?;
        let Journal { file, path, .. } = self;
        let kept = path.with_file_name(FINISHED_FILE);
        let io_err = |e| JournalError::Io(kept.clone(), e);
        std::fs::rename(&path, &kept).map_err(io_err)?;
        crate::output::sync_folder_of(&kept).map_err(io_err)?;
        drop(file);
        Ok(())
    }
}

/// The journal of a finished run, kept in its folder: every run's metric cells and
/// latency histogram.
pub const FINISHED_FILE: &str = "runs.journal";

/// One run read back from a finished journal: its id, metric cells and reduced latency
/// histogram.
pub struct JournalRun {
    pub run_id: String,
    pub cells: Vec<String>,
    pub latency: Histogram<u64>,
}

/// Reads every run of a finished journal (see [`Journal::keep`]) in the order written.
/// The journal must be whole: its format and columns those of this faultline, and every
/// line whole with its checksum; anything else is a [`JournalError::Mismatch`] naming the
/// line. Which config the runs belong to is for the caller to check (the folder's
/// manifest.json names it).
pub fn read_finished(path: &Path) -> Result<Vec<JournalRun>, JournalError> {
    let mismatch = |why: String| JournalError::Mismatch(path.to_path_buf(), why);
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) => return Err(JournalError::Io(path.to_path_buf(), e)),
    };
    let mut reader = BufReader::new(file);
    let mut lines = Vec::new();
    let mut line = Vec::new();
    let mut columns_line = String::new();
    for n in 0..4 {
        line.clear();
        reader
            .read_until(b'\n', &mut line)
            .map_err(|e| JournalError::Io(path.to_path_buf(), e))?;
        let text = String::from_utf8_lossy(&line).into_owned();
        if n == 0 && text != format!("{FORMAT}\n") {
            return Err(mismatch(
                "it is not a journal of this faultline version's format".into(),
            ));
        }
        if n == 3 {
            columns_line = text;
        }
    }
    let mut columns = vec!["run_id"];
    columns.extend(RunReport::column_names());
    columns.push("latency_histogram");
    columns.push("checksum");
    if columns_line != format!("columns {}\n", columns.join(",")) {
        return Err(mismatch(
            "its columns are not those of this faultline version".into(),
        ));
    }
    let metric_columns = RunReport::column_names().len();
    let mut number = 4;
    loop {
        line.clear();
        let read = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| JournalError::Io(path.to_path_buf(), e))?;
        if read == 0 {
            break;
        }
        number += 1;
        let damaged = || mismatch(format!("line {number} is cut short or damaged"));
        let mut cells = parse_line(&line, metric_columns + 1).ok_or_else(damaged)?;
        let latency = cells.pop().expect("a journal line has a latency histogram");
        let latency = crate::latency_cdf::decode(&latency).ok_or_else(damaged)?;
        let run_id = cells.remove(0);
        lines.push(JournalRun {
            run_id,
            cells,
            latency,
        });
    }
    Ok(lines)
}

/// Why resuming stopped.
#[derive(Debug)]
pub enum ResumeError<E> {
    Journal(JournalError),
    /// The consumer of a replayed run failed.
    Replay(E),
}

impl<E> From<JournalError> for ResumeError<E> {
    fn from(e: JournalError) -> Self {
        ResumeError::Journal(e)
    }
}

/// A journal line's cells (run id, then `columns` more), if it is whole and its checksum
/// matches.
fn parse_line(line: &[u8], columns: usize) -> Option<Vec<String>> {
    let text = std::str::from_utf8(line).ok()?.strip_suffix('\n')?;
    let (body, checksum) = text.rsplit_once(',')?;
    if u64::from_str_radix(checksum, 16).ok()? != fnv1a64(body.as_bytes()) {
        return None;
    }
    let cells: Vec<String> = body.split(',').map(str::to_string).collect();
    (cells.len() == columns + 1).then_some(cells)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_matches_its_reference_values() {
        // From the FNV reference test suite.
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn lines_cut_short_or_damaged_are_refused() {
        let body = "c0-a-r0,1,2";
        let line = format!("{body},{:016x}\n", fnv1a64(body.as_bytes()));
        assert_eq!(
            parse_line(line.as_bytes(), 2),
            Some(vec!["c0-a-r0".into(), "1".into(), "2".into()])
        );
        assert_eq!(parse_line(&line.as_bytes()[..line.len() - 1], 2), None);
        assert_eq!(parse_line(line.replace(",2,", ",3,").as_bytes(), 2), None);
        assert_eq!(parse_line(line.as_bytes(), 3), None);
    }
}
