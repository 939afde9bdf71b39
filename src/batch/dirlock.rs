//! One writer at a time per sweep directory.
//!
//! Why: a sweep appends its rows to `results.csv` and `results.jsonl` in
//! place and aggregates each row as it writes it ([`super::tally`]), without
//! reading the files back. Two processes writing one directory at once (a
//! `sweep --resume` started while the first still runs, a Slurm task
//! requeued beside its old self) would each append rows the other never
//! counts: the files would hold every run twice over and each process would
//! publish aggregates of its own rows only. So a process that opens a sweep
//! directory to write holds an `flock` on the directory itself for as long
//! as it writes there, and a second one is refused at once (exit 2). The
//! kernel releases the lock when the process ends, even on `kill -9`, and the
//! lock leaves no file behind.
//!
//! A filesystem that does not lock (some network mounts answer `ENOLCK`)
//! cannot be guarded this way: the sweep goes on unguarded, as it did
//! before; each shard of a cluster sweep writes its own directory anyway.

use std::fs::File;
use std::path::Path;

use super::store::{io_error, refuse, StoreError};

/// Held while a process writes a sweep directory (see the module docs).
#[derive(Debug)]
pub struct DirLock {
    /// The open directory the lock is on; `None` where locks are unsupported.
    _dir: Option<File>,
}

impl DirLock {
    /// Lock `dir` (which exists) for this process, or refuse if another
    /// process holds it.
    pub fn take(dir: &Path) -> Result<DirLock, StoreError> {
        let file =
            File::open(dir).map_err(|e| io_error(format!("opening {}: {e}", dir.display())))?;
        lock(file, dir)
    }
}

#[cfg(unix)]
fn lock(file: File, dir: &Path) -> Result<DirLock, StoreError> {
    use std::os::unix::io::AsRawFd;
    // SAFETY: flock on a descriptor we own; no memory is shared.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc == 0 {
        return Ok(DirLock { _dir: Some(file) });
    }
    match std::io::Error::last_os_error().raw_os_error() {
        Some(libc::EWOULDBLOCK) => Err(refuse(format!(
            "{}: another flapsim is writing this sweep directory right now; wait for it to end (then --resume) or choose another --out",
            dir.display()
        ))),
        // No locks on this filesystem: go on unguarded (module docs).
        _ => Ok(DirLock { _dir: None }),
    }
}

#[cfg(not(unix))]
fn lock(_file: File, _dir: &Path) -> Result<DirLock, StoreError> {
    Ok(DirLock { _dir: None })
}
