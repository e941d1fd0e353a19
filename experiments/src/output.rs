//! Output files: written to a temporary file beside the target and renamed into place
//! only when complete, so an interrupted or failed run never leaves a partial file.
//!
//! No output is written through a symbolic link: the temporary file is created new (which
//! fails rather than follows a link in its place), and the rename replaces a link at the
//! target's path with the file itself, leaving whatever the link pointed at alone. Once
//! renamed, the file is synced and so is its folder, so the file is in place after a power
//! loss too.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// A test hook standing in for a full disk: when this environment variable holds a number
/// N, every output file fails with "no space left on the device" once N bytes have been
/// written to it. The test suite uses it to check that a full disk is a clear error and
/// leaves no partial file.
pub const DISK_FULL_AFTER_ENV: &str = "FAULTLINE_DISK_FULL_AFTER_BYTES";

/// A file being written; it appears at its path only on [`commit`](Self::commit).
pub struct AtomicFile {
    path: PathBuf,
    temp: PathBuf,
    writer: Option<BufWriter<Budgeted>>,
}

/// A file that refuses writes beyond a byte budget, as a full disk would.
struct Budgeted {
    file: File,
    left: Option<u64>,
}

impl Write for Budgeted {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Some(left) = self.left {
            if left < buf.len() as u64 {
                return Err(io::Error::from(io::ErrorKind::StorageFull));
            }
            self.left = Some(left - buf.len() as u64);
        }
        self.file.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl AtomicFile {
    pub fn create(path: &Path) -> io::Result<AtomicFile> {
        let name = path.file_name().ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "the output path has no file name",
            )
        })?;
        let temp = path.with_file_name(format!(
            ".{}.partial-{}",
            name.to_string_lossy(),
            std::process::id()
        ));
        let file = match create_new(&temp) {
            // A temporary file of this process id left by a killed process long ago.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                fs::remove_file(&temp)?;
                create_new(&temp)?
            }
            other => other?,
        };
        let left = std::env::var(DISK_FULL_AFTER_ENV)
            .ok()
            .and_then(|v| v.parse().ok());
        Ok(AtomicFile {
            path: path.to_path_buf(),
            temp,
            writer: Some(BufWriter::with_capacity(1 << 16, Budgeted { file, left })),
        })
    }

    /// Flushes, syncs and renames the file into place. On failure the temporary file is
    /// removed, so nothing partial stays behind.
    pub fn commit(mut self) -> io::Result<()> {
        let writer = self.writer.take().expect("not yet committed");
        let result = writer
            .into_inner()
            .map_err(|e| e.into_error())
            .and_then(|Budgeted { file, .. }| file.sync_all())
            .and_then(|()| fs::rename(&self.temp, &self.path))
            .and_then(|()| sync_folder_of(&self.path));
        if result.is_err() {
            let _ = fs::remove_file(&self.temp);
        }
        result
    }
}

/// Creates a file that did not exist, never following a symbolic link in its place.
fn create_new(path: &Path) -> io::Result<File> {
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

/// Syncs the folder holding `path`, so that a file created, renamed or removed there is
/// so on the disk as well.
pub fn sync_folder_of(path: &Path) -> io::Result<()> {
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    File::open(folder)?.sync_all()
}

/// A CSV table written to an [`AtomicFile`].
pub type AtomicCsv = csv::Writer<AtomicFile>;

/// Starts a CSV table at `path`; it appears there only on [`commit_csv`].
pub fn create_csv(path: &Path) -> io::Result<AtomicCsv> {
    Ok(csv::Writer::from_writer(AtomicFile::create(path)?))
}

/// Flushes a CSV table into its file, not yet in place.
pub fn finish_csv(writer: AtomicCsv) -> io::Result<AtomicFile> {
    writer.into_inner().map_err(|e| e.into_error())
}

/// Flushes a CSV table and moves its file into place.
pub fn commit_csv(writer: AtomicCsv) -> io::Result<()> {
    finish_csv(writer)?.commit()
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writer.as_mut().expect("not yet committed").write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer.as_mut().expect("not yet committed").flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.writer.take().is_some() {
            let _ = fs::remove_file(&self.temp);
        }
    }
}

/// Removes temporary files that a killed run left beside `names` in `dir` (a process that
/// dies without unwinding cannot remove its own). Call it only while holding the folder's
/// resume journal lock, so that no live run owns them.
pub fn remove_stale_temps(dir: &Path, names: &[&str]) -> io::Result<()> {
    let own = format!("-{}", std::process::id());
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let file_name = entry.file_name();
        let file_name = file_name.to_string_lossy();
        let stale = names.iter().any(|name| {
            file_name
                .strip_prefix(&format!(".{name}.partial-"))
                .is_some_and(|pid| !pid.is_empty() && pid.chars().all(|c| c.is_ascii_digit()))
        });
        if stale && !file_name.ends_with(&own) {
            fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}

/// Writes a whole file atomically.
pub fn write_atomic(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut f = AtomicFile::create(path)?;
    f.write_all(contents)?;
    f.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_appears_only_on_commit() {
        let dir = std::env::temp_dir().join(format!("faultline-atomic-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("runs.csv");
        {
            let mut f = AtomicFile::create(&path).unwrap();
            f.write_all(b"partial").unwrap();
            assert!(!path.exists());
        } // dropped without commit
        assert!(!path.exists());
        assert_eq!(
            fs::read_dir(&dir).unwrap().count(),
            0,
            "the temporary file is removed"
        );
        let mut f = AtomicFile::create(&path).unwrap();
        f.write_all(b"whole").unwrap();
        f.commit().unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"whole");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_link_at_the_path_is_replaced_and_its_target_left_alone() {
        let dir = std::env::temp_dir().join(format!("faultline-link-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let target = dir.join("precious.txt");
        fs::write(&target, "mine").unwrap();
        let path = dir.join("runs.csv");
        std::os::unix::fs::symlink(&target, &path).unwrap();
        // A link where the temporary file goes is not followed either.
        let temp = dir.join(format!(".runs.csv.partial-{}", std::process::id()));
        std::os::unix::fs::symlink(&target, &temp).unwrap();
        write_atomic(&path, b"table").unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"mine");
        assert!(!fs::symlink_metadata(&path).unwrap().is_symlink());
        assert_eq!(fs::read(&path).unwrap(), b"table");
        assert!(!temp.exists() && fs::symlink_metadata(&temp).is_err());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn stale_temporary_files_are_removed_and_others_kept() {
        let dir = std::env::temp_dir().join(format!("faultline-stale-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        for name in [".runs.csv.partial-1", "notes.txt", ".runs.csv.partial-x"] {
            fs::write(dir.join(name), "x").unwrap();
        }
        let mine = AtomicFile::create(&dir.join("runs.csv")).unwrap();
        remove_stale_temps(&dir, &["runs.csv"]).unwrap();
        let mut left: Vec<String> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        let own = format!(".runs.csv.partial-{}", std::process::id());
        assert_eq!(left, [own.as_str(), ".runs.csv.partial-x", "notes.txt"]);
        drop(mine);
        fs::remove_dir_all(&dir).unwrap();
    }
}
