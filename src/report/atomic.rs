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
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", unique_suffix()));
    let result = (|| {
        let file = create_new(&tmp)?;
        let mut w = BufWriter::new(file);
        fill(&mut w)?;
        let file = w.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(io::Error::new(
            e.kind(),
            format!("writing {}: {e}", path.display()),
        ));
    }
    if let Some(dir) = path.parent() {
        sync_dir(dir);
    }
    Ok(())
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
