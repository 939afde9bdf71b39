//! Atomic single-file writes (used for files that stand alone, such as the
//! checker's reduced failures; a run's outputs are published as a set by
//! [`super::publish`]). Content goes to a fresh, uniquely named temporary file in
//! the same directory (same filesystem, so the rename is atomic), created with
//! `create_new` so an existing file or symlink of that name is never opened or
//! followed; it is fsynced, then renamed over the target, and the directory is
//! fsynced last so the rename itself survives a crash. A reader sees the old
//! file or the new one, never half of the new one.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// `path` with `.tmp` appended to its file name: the temporary name older
/// versions used. A file of that name is stale and removed (never opened) by
/// [`write_atomic_with`].
pub fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".tmp");
    path.with_file_name(name)
}

/// A name no other writer (thread or process) uses at the same time: process id,
/// a per-process counter and the wall clock's nanoseconds (only for uniqueness;
/// nothing derived from it reaches a result).
pub fn unique_suffix() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("{}-{n}-{nanos:09}", std::process::id())
}

/// Create `path` for writing only if nothing (file, directory or symlink) has
/// that name: O_CREAT|O_EXCL never follows a symlink.
pub fn create_new(path: &Path) -> io::Result<File> {
    OpenOptions::new().write(true).create_new(true).open(path)
}

/// Write `bytes` to `path` atomically.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_atomic_with(path, |w| w.write_all(bytes))
}

/// Write `path` atomically from a closure that streams into a writer. If the closure
/// (or any I/O) fails, the temporary file is removed and `path` is left untouched.
pub fn write_atomic_with(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let legacy = tmp_path(path);
    if fs::symlink_metadata(&legacy).is_ok_and(|m| !m.is_dir()) {
        // Unlinking removes a symlink itself, never its target.
        let _ = fs::remove_file(&legacy);
    }
    let wrap = |e: io::Error| io::Error::new(e.kind(), format!("writing {}: {e}", path.display()));
    let mut staged = Staged::create(path).map_err(wrap)?;
    fill(staged.writer()).map_err(wrap)?;
    staged.commit()
}

/// A file written in full beside `target` under a temporary name, and renamed
/// over it by [`Staged::commit`]; dropped before it is in place, it is
/// removed. A reader of `target` sees the old file or the new one, never part
/// of one. The one mechanism behind [`write_atomic_with`], and open-ended for
/// writers that fill several files in one pass and install them only once
/// every one is complete (`flapsim merge`).
pub struct Staged {
    tmp: PathBuf,
    target: PathBuf,
    w: Option<BufWriter<File>>,
    installed: bool,
}

impl Staged {
    pub fn create(target: &Path) -> io::Result<Staged> {
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = target.with_file_name(format!(".{name}.{}.tmp", unique_suffix()));
        let file = create_new(&tmp)?;
        Ok(Staged {
            tmp,
            target: target.to_path_buf(),
            w: Some(BufWriter::with_capacity(256 * 1024, file)),
            installed: false,
        })
    }

    pub fn writer(&mut self) -> &mut dyn Write {
        self.w.as_mut().expect("written only before commit")
    }

    /// Sync the file, rename it over the target, then sync the directory.
    pub fn commit(mut self) -> io::Result<()> {
        self.install().map_err(|e| {
            io::Error::new(e.kind(), format!("writing {}: {e}", self.target.display()))
        })?;
        if let Some(dir) = self.target.parent() {
            sync_dir(dir);
        }
        Ok(())
    }

    fn install(&mut self) -> io::Result<()> {
        let w = self.w.take().expect("committed once");
        let file = w.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        drop(file);
        fs::rename(&self.tmp, &self.target)?;
        self.installed = true;
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.installed {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// Persist renames in `dir`; not every platform can open a directory, so best
/// effort.
pub fn sync_dir(dir: &Path) {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}
