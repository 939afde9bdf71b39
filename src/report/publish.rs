//! Publishing a run's files as ONE unit: the output directory holds either the
//! whole previous set or the whole new set, never a mix, never a partial file,
//! whatever moment the process is killed.
//!
//! How: [`Publisher::begin`] takes a per-directory lock, removes what killed
//! writers left behind, and creates a fresh staging directory beside the target
//! (`.NAME.flapsim-stage-<unique>`, created with `mkdir`, which never follows or
//! reuses an existing entry). Each file goes into it with `create_new` and is
//! fsynced. [`Publisher::commit`] fsyncs the staging directory and swaps it with
//! the target in one `renameat2(RENAME_EXCHANGE)` (a plain rename when the target
//! does not exist yet), then deletes the old set, now under the staging name.
//! Where the exchange is not supported (other kernels, some filesystems) it falls
//! back to two renames; a kill between them leaves the old set complete under a
//! hidden name, and the target missing.
//!
//! Why a lock: two runs publishing into one directory would each remove the
//! other's staging as stale; the second writer is refused with a clear message
//! while the first holds `.NAME.flapsim-lock` (an `flock`, released by the kernel
//! even on `kill -9`). The holder removes the file when done (a killed holder
//! leaves it, harmlessly unlocked); a writer that locked a file since unlinked
//! sees its inode differ from the path's and counts the directory as busy.
//!
//! Why the target must look like flapsim's: the swap replaces the whole
//! directory, so `--out .` in a source tree must be refused, not emptied. A
//! target is replaced only if it holds nothing but regular files with output
//! extensions (or a previous set's names).
//!
//! Interruption: the caller passes a flag that SIGINT/SIGTERM set; it is checked
//! after every step, and before the swap an interrupted publication removes its
//! staging and leaves the target untouched. After the swap, cleanup finishes.
//!
//! Test hook: `FLAPSIM_TEST_FAULT=N:SIGNAL` (`kill`, `int` or `term`) makes the
//! process send itself that signal at publication step N (each file creation,
//! each completed file, each rename, each removal), so a test can interrupt at
//! every step; [`Published::steps`] reports how many there were.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::atomic::{create_new, sync_dir, unique_suffix};
use super::files;

/// How one file's bytes are produced: ready bytes, or a writer callback that
/// streams them (for files too big to hold twice in memory).
pub enum Content<'a> {
    Bytes(Vec<u8>),
    Stream(Fill<'a>),
}

/// A callback that streams one file's bytes into a writer.
pub type Fill<'a> = Box<dyn FnOnce(&mut dyn Write) -> io::Result<()> + 'a>;

/// Every file a flapsim command publishes into a directory that it replaces as
/// one set: a run's (`flapsim run`, `bench --out`), a diagnosis's, a
/// comparison's, and the names a sweep's files have (a comparison shares
/// them). Exact names, not extensions: with an extension rule, `flapsim run
/// --out DIR` on a directory of the user's own `*.log`, `*.json` or `*.csv`
/// files took them for an older set and deleted them. Chart images are matched
/// by [`is_chart_image`].
const OUTPUT_NAMES: &[&str] = &[
    files::SUMMARY.name,
    files::EVENTS.name,
    files::LOG.name,
    files::TIMESERIES.name,
    files::WIRE.name,
    files::CHART_DATA.name,
    files::REPORT.name,
    "diagnosed.yaml",
    "diagnosis.txt",
    crate::batch::compare::COMPARISON_CSV,
    crate::batch::compare::COMPARISON_TXT,
    crate::batch::store::MANIFEST,
    crate::batch::store::RESULTS_CSV,
    crate::batch::store::RESULTS_JSONL,
    crate::batch::store::POINTS_CSV,
    crate::batch::store::SUMMARY_TXT,
];

/// A chart flapsim draws, as SVG or PNG: a run's or a diagnosis's
/// `chart-NAME`, a comparison's chart, a sweep's charts.
fn is_chart_image(name: &str) -> bool {
    let Some((stem, ext)) = name.rsplit_once('.') else {
        return false;
    };
    matches!(ext, "svg" | "png")
        && (stem.starts_with("chart-")
            || stem == crate::batch::compare::CHART
            || crate::chart::sweep::CHARTS.contains(&stem))
}

/// A file flapsim may have published in a set (see [`OUTPUT_NAMES`]).
fn is_output_name(name: &str) -> bool {
    OUTPUT_NAMES.contains(&name) || is_chart_image(name)
}

/// The error kind of an interrupted publication.
pub const INTERRUPTED: io::ErrorKind = io::ErrorKind::Interrupted;

/// What a completed publication wrote.
#[derive(Debug)]
pub struct Published {
    /// Paths of the published files, in the order added.
    pub paths: Vec<PathBuf>,
    /// Steps taken (see the module docs' test hook).
    pub steps: u32,
}

/// A publication in progress. Dropping it without [`Publisher::commit`] removes
/// the staging directory; the target is untouched.
pub struct Publisher {
    target: PathBuf,
    parent: PathBuf,
    base: String,
    staging: PathBuf,
    names: Vec<String>,
    stop: Arc<AtomicBool>,
    steps: u32,
    fault: Option<(u32, String)>,
    done: bool,
    /// The lock file: held (flock) while this lives, removed on drop.
    lock_path: PathBuf,
    _lock: File,
    /// The parent was created here: removed again if nothing was published.
    created_parent: bool,
    /// [`Publisher::keep`] copies, never links (the path where links are
    /// refused, for tests: a root test process links anything).
    copy_kept: bool,
}

fn err(path: &Path, message: impl std::fmt::Display) -> io::Error {
    io::Error::other(format!("{}: {message}", path.display()))
}

/// `e` about `path`, of its kind (an [`io::ErrorKind::InvalidInput`] stays
/// bad input to the caller).
fn located(path: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

/// The message for a `--out` that [`Publisher::begin`] refused: `--out DIR:`
/// and the reason, without the reason's own leading `DIR: ` (the publisher
/// names the path each error is about, which is usually the target itself).
pub fn out_refusal(target: &Path, e: &io::Error) -> String {
    let shown = target.display().to_string();
    let reason = e.to_string();
    let reason = reason
        .strip_prefix(&format!("{shown}: "))
        .unwrap_or(&reason);
    format!("--out {}: {reason}", crate::quote::path(target))
}

impl Publisher {
    /// Check that `target` can be published to and prepare a staging directory.
    /// Call it before long work, so an unwritable `--out` is found at once.
    /// `stop` is polled after every step (set it from a signal handler).
    pub fn begin(target: &Path, stop: Arc<AtomicBool>) -> io::Result<Publisher> {
        let base = target
            .file_name()
            .and_then(|n| n.to_str())
            .filter(|n| !n.is_empty() && n.chars().any(|c| c != '.'))
            .ok_or_else(|| {
                err(
                    target,
                    "not a usable output directory name (it must end in a plain name)",
                )
            })?
            .to_string();
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let created_parent = !parent.exists();
        fs::create_dir_all(&parent).map_err(|e| err(&parent, format!("cannot create: {e}")))?;
        let abandon = |e: io::Error| {
            if created_parent {
                let _ = fs::remove_dir(&parent);
            }
            e
        };
        check_replaceable(target, &[]).map_err(abandon)?;
        let lock_path = parent.join(format!(".{base}.flapsim-lock"));
        let lock = lock(&lock_path, target).map_err(abandon)?;
        remove_stale(&parent, &base, target);
        let staging = parent.join(format!(".{base}.flapsim-stage-{}", unique_suffix()));
        if let Err(e) = fs::create_dir(&staging) {
            let _ = fs::remove_file(&lock_path);
            return Err(abandon(err(
                &parent,
                format!("cannot write here ({e}); choose another --out"),
            )));
        }
        let fault = std::env::var("FLAPSIM_TEST_FAULT").ok().and_then(|v| {
            let (n, sig) = v.split_once(':')?;
            Some((n.parse().ok()?, sig.to_string()))
        });
        Ok(Publisher {
            target: target.to_path_buf(),
            parent,
            base,
            staging,
            names: Vec::new(),
            stop,
            steps: 0,
            fault,
            done: false,
            lock_path,
            _lock: lock,
            created_parent,
            copy_kept: false,
        })
    }

    /// The directory the set will be published to.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// The staging directory: the files added so far, as they will be
    /// published (a comparison draws its charts from its result files there,
    /// as `flapsim chart` later draws them from the published set).
    pub fn staged(&self) -> &Path {
        &self.staging
    }

    /// The files of the set so far (added, created or kept).
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// One step done: fire the test fault if it is this one, then stop if asked.
    fn step(&mut self) -> io::Result<()> {
        self.steps += 1;
        if let Some((n, sig)) = &self.fault {
            if *n == self.steps {
                raise(sig);
            }
        }
        if self.stop.load(Ordering::SeqCst) && !self.done {
            return Err(io::Error::new(
                INTERRUPTED,
                format!("interrupted; {} left unchanged", self.target.display()),
            ));
        }
        Ok(())
    }

    /// Add one file (a plain name, no directories) to the set.
    pub fn add(&mut self, name: &str, content: Content<'_>) -> io::Result<()> {
        let file = self.create(name)?;
        let path = self.staging.join(name);
        let mut w = BufWriter::new(file);
        match content {
            Content::Bytes(b) => w.write_all(&b),
            Content::Stream(fill) => fill(&mut w),
        }
        .map_err(|e| err(&path, e))?;
        let file = w.into_inner().map_err(|e| err(&path, e.into_error()))?;
        self.complete(name, file)
    }

    /// Start a file of the set that is written while the run goes (events.jsonl,
    /// memberlist.log): it is created in the staging directory now, written by
    /// the caller, and handed back to [`Publisher::complete`] when done. Like
    /// every file of the set, it is published only by [`Publisher::commit`].
    pub fn create(&mut self, name: &str) -> io::Result<File> {
        let path = self.claim(name)?;
        let file = create_new(&path).map_err(|e| err(&path, e))?;
        self.step()?;
        Ok(file)
    }

    /// Reserve `name` in the set; its path in the staging directory.
    fn claim(&mut self, name: &str) -> io::Result<PathBuf> {
        let plain =
            !name.is_empty() && !name.contains(['/', '\\']) && name.chars().any(|c| c != '.');
        if !plain || self.names.iter().any(|n| n == name) {
            return Err(err(
                &self.target,
                format!("`{name}` is not a plain, new file name"),
            ));
        }
        self.names.push(name.to_string());
        Ok(self.staging.join(name))
    }

    /// Carry the target's file `name` into the new set unchanged: a hard link
    /// (the staging directory is beside the target, on its filesystem), or a
    /// copy where links are refused. A redraw thereby republishes the whole set
    /// without rewriting its data files (events.jsonl can be gigabytes).
    ///
    /// Only a regular file is carried, opened first as flapsim opens its own
    /// files to read them back ([`crate::input_file::open_regular`]): the copy
    /// (`fs::copy` opened the name) blocked forever on a FIFO put under the
    /// name, or copied a device, and a link put the FIFO itself in the set.
    /// What is linked must then be the file opened (else a name replaced
    /// between the two is copied from the open file instead), so the set holds
    /// that regular file whatever is done to the name meanwhile. A FIFO,
    /// socket or device is an [`io::ErrorKind::InvalidInput`] error naming
    /// the path and what it is.
    pub fn keep(&mut self, name: &str) -> io::Result<()> {
        let from = self.target.join(name);
        let path = self.claim(name)?;
        let source = crate::input_file::open_regular(&from).map_err(|e| located(&from, e))?;
        if !self.link_kept(&from, &path, &source) {
            copy_kept(&source, &path)?;
        }
        self.step()
    }

    /// Hard-link `from` as `path`; whether `path` is now `source`'s file (a
    /// link to anything else is removed again).
    fn link_kept(&self, from: &Path, path: &Path, source: &File) -> bool {
        use std::os::unix::fs::MetadataExt;
        if self.copy_kept || fs::hard_link(from, path).is_err() {
            return false;
        }
        let identity = |m: &fs::Metadata| (m.dev(), m.ino());
        let same = matches!(
            (source.metadata(), fs::symlink_metadata(path)),
            (Ok(a), Ok(b)) if identity(&a) == identity(&b)
        );
        if !same {
            let _ = fs::remove_file(path);
        }
        same
    }

    /// A working file in the staging directory that is NOT part of the set
    /// (records spilled during the run): removed by [`Publisher::commit`]
    /// before the swap, and with the staging directory if the run stops.
    pub fn scratch(&mut self, name: &str) -> io::Result<(File, PathBuf)> {
        let path = self.staging.join(format!(".{name}.scratch"));
        let file = create_new(&path).map_err(|e| err(&path, e))?;
        Ok((file, path))
    }

    /// Finish a file begun with [`Publisher::create`] (all bytes written).
    pub fn complete(&mut self, name: &str, file: File) -> io::Result<()> {
        let path = self.staging.join(name);
        file.sync_all().map_err(|e| err(&path, e))?;
        self.step()
    }

    /// Publish the set: swap it in as a whole, then delete the previous set.
    pub fn commit(mut self) -> io::Result<Published> {
        // Scratch files never reach the target.
        for entry in fs::read_dir(&self.staging)
            .map_err(|e| err(&self.staging, e))?
            .flatten()
        {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !self.names.contains(&name) {
                fs::remove_file(entry.path()).map_err(|e| err(&entry.path(), e))?;
            }
        }
        sync_dir(&self.staging);
        let names = self.names.clone();
        check_replaceable(&self.target, &names)?;
        self.step()?;
        let existed = fs::symlink_metadata(&self.target).is_ok();
        if existed {
            self.swap()?;
        } else {
            fs::rename(&self.staging, &self.target).map_err(|e| err(&self.target, e))?;
        }
        self.done = true;
        sync_dir(&self.parent);
        self.step()?;
        if existed {
            // The staging name now holds the previous set.
            let old: Vec<PathBuf> = fs::read_dir(&self.staging)
                .map(|rd| rd.flatten().map(|e| e.path()).collect())
                .unwrap_or_default();
            for p in old {
                let _ = fs::remove_file(p);
                self.step()?;
            }
            let _ = fs::remove_dir(&self.staging);
        }
        Ok(Published {
            paths: names.iter().map(|n| self.target.join(n)).collect(),
            steps: self.steps,
        })
    }

    /// Exchange staging and target atomically, or fall back to two renames.
    fn swap(&mut self) -> io::Result<()> {
        match exchange(&self.staging, &self.target) {
            Ok(()) => Ok(()),
            Err(_) => {
                let aside =
                    self.parent
                        .join(format!(".{}.flapsim-old-{}", self.base, unique_suffix()));
                fs::rename(&self.target, &aside).map_err(|e| err(&self.target, e))?;
                fs::rename(&self.staging, &self.target).map_err(|e| err(&self.target, e))?;
                // Cleanup deletes the old set from its (now staging) name.
                self.staging = aside;
                Ok(())
            }
        }
    }
}

impl Drop for Publisher {
    fn drop(&mut self) {
        if !self.done {
            let _ = fs::remove_dir_all(&self.staging);
        }
        // Unlink while still holding the lock (the descriptor closes after).
        let _ = fs::remove_file(&self.lock_path);
        if !self.done && self.created_parent {
            let _ = fs::remove_dir(&self.parent);
        }
    }
}

/// Copy the regular file `source` (its bytes when opened: a file appended to
/// meanwhile does not hold the copy forever) into a new file at `path`.
fn copy_kept(source: &File, path: &Path) -> io::Result<()> {
    let len = source.metadata().map_err(|e| err(path, e))?.len();
    let mut to = create_new(path).map_err(|e| err(path, e))?;
    io::copy(&mut io::Read::take(source, len), &mut to).map_err(|e| err(path, e))?;
    to.sync_all().map_err(|e| err(path, e))
}

/// Publish `files` into `target` as one set (see the module docs).
pub fn publish(
    target: &Path,
    files: Vec<(String, Content<'_>)>,
    stop: Arc<AtomicBool>,
) -> io::Result<Published> {
    let mut p = Publisher::begin(target, stop)?;
    for (name, content) in files {
        p.add(&name, content)?;
    }
    p.commit()
}

/// Files drawn in memory, as (file name, bytes), ready to publish.
pub type Drawn = Vec<(String, Vec<u8>)>;

/// Republish the existing set in `target` with `drawn` files replaced or added
/// (a redraw): every other file of the set is carried over unchanged
/// ([`Publisher::keep`]), and the new set replaces the old as one unit, so a
/// redraw stopped half-way leaves the previous charts and report, not a mix.
/// Returns the paths of the drawn files.
pub fn republish(target: &Path, drawn: Drawn, stop: Arc<AtomicBool>) -> io::Result<Vec<PathBuf>> {
    let mut p = Publisher::begin(target, stop)?;
    let mut kept: Vec<String> = fs::read_dir(target)
        .map_err(|e| err(target, e))?
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.') && !drawn.iter().any(|(d, _)| d == n))
        .collect();
    kept.sort();
    for name in &kept {
        p.keep(name)?;
    }
    let paths = drawn.iter().map(|(n, _)| target.join(n)).collect();
    for (name, bytes) in drawn {
        p.add(&name, Content::Bytes(bytes))?;
    }
    p.commit()?;
    Ok(paths)
}

/// Refuse a target that is a symlink, a file, or a directory holding anything
/// a run did not write: publishing replaces the whole directory.
fn check_replaceable(target: &Path, names: &[String]) -> io::Result<()> {
    let meta = match fs::symlink_metadata(target) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(err(target, e)),
    };
    if meta.file_type().is_symlink() {
        return Err(err(
            target,
            "is a symlink; give the real directory as --out (outputs replace the directory, so a link is not followed)",
        ));
    }
    if !meta.is_dir() {
        return Err(err(target, "exists and is not a directory"));
    }
    let rd = fs::read_dir(target).map_err(|e| err(target, format!("cannot read: {e}")))?;
    for entry in rd {
        let entry = entry.map_err(|e| err(target, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let ext = Path::new(&name).extension().and_then(|e| e.to_str());
        let kind = entry.file_type().map_err(|e| err(target, e))?;
        // Temporary files of older versions (`events.jsonl.tmp`, even planted
        // symlinks) go with the old set: removing a link never touches its target.
        let legacy_tmp = ext == Some("tmp") && !kind.is_dir();
        let known = names.contains(&name) || is_output_name(&name);
        if known && !legacy_tmp && !kind.is_file() {
            // flapsim's name, but not a file flapsim wrote: a FIFO there
            // would block a redraw's copy of it (see `keep`).
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "{}: {}, not a regular file (flapsim writes only regular files here); remove it, or choose another directory",
                    target.join(&name).display(),
                    crate::input_file::what_it_is(&kind)
                ),
            ));
        }
        if !(legacy_tmp || kind.is_file() && known) {
            // The user's directory, not a failure to write: bad input to
            // every command that publishes here (`run --out`, a redraw).
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "{}: holds `{name}`, which flapsim does not write; its outputs replace the whole directory (deleting what is in it), so choose a new or empty directory",
                    target.display()
                ),
            ));
        }
    }
    Ok(())
}

/// Remove `.BASE.flapsim-stage-*` and `.BASE.flapsim-old-*` entries left by
/// killed writers (the caller holds the lock, so none is live). If the target
/// is missing and a previous set was set aside (a kill between the fallback's
/// two renames), that set is put back first: it is complete.
fn remove_stale(parent: &Path, base: &str, target: &Path) {
    let aside = format!(".{base}.flapsim-old-");
    if fs::symlink_metadata(target).is_err() {
        if let Ok(rd) = fs::read_dir(parent) {
            let mut old: Vec<PathBuf> = rd
                .flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with(&aside))
                .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                .map(|e| e.path())
                .collect();
            old.sort();
            if let Some(last) = old.last() {
                let _ = fs::rename(last, target);
            }
        }
    }
    let prefixes = [
        format!(".{base}.flapsim-stage-"),
        format!(".{base}.flapsim-old-"),
    ];
    let Ok(rd) = fs::read_dir(parent) else {
        return;
    };
    for entry in rd.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !prefixes.iter().any(|p| name.starts_with(p)) {
            continue;
        }
        let path = entry.path();
        match fs::symlink_metadata(&path) {
            Ok(m) if m.is_dir() => {
                let _ = fs::remove_dir_all(&path);
            }
            Ok(_) => {
                let _ = fs::remove_file(&path);
            }
            Err(_) => {}
        }
    }
}

#[cfg(unix)]
fn lock(path: &Path, target: &Path) -> io::Result<File> {
    use std::os::unix::io::AsRawFd;
    let file = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .custom_flags_nofollow()
        .open(path)
        .map_err(|e| err(path, format!("cannot create the lock file: {e}")))?;
    // SAFETY: flock on a descriptor we own; no memory is shared.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    // Locked a file its holder has since unlinked: the path now names another
    // (or no) file, whose holder may be writing.
    let same = {
        use std::os::unix::fs::MetadataExt;
        let held = file.metadata().map(|m| (m.dev(), m.ino()));
        let named = fs::symlink_metadata(path).map(|m| (m.dev(), m.ino()));
        matches!((held, named), (Ok(a), Ok(b)) if a == b)
    };
    if rc != 0 || !same {
        return Err(err(
            target,
            "another flapsim is writing this directory right now; wait for it or choose another --out",
        ));
    }
    Ok(file)
}

#[cfg(not(unix))]
fn lock(path: &Path, _target: &Path) -> io::Result<File> {
    fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
}

/// `O_NOFOLLOW` for the lock file: a symlink planted at its name is refused.
trait NoFollow {
    fn custom_flags_nofollow(&mut self) -> &mut Self;
}

impl NoFollow for fs::OpenOptions {
    #[cfg(unix)]
    fn custom_flags_nofollow(&mut self) -> &mut Self {
        use std::os::unix::fs::OpenOptionsExt;
        self.custom_flags(libc::O_NOFOLLOW)
    }
    #[cfg(not(unix))]
    fn custom_flags_nofollow(&mut self) -> &mut Self {
        self
    }
}

/// Swap two directory entries atomically (Linux `renameat2(RENAME_EXCHANGE)`).
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let ca = CString::new(a.as_os_str().as_bytes()).map_err(io::Error::other)?;
    let cb = CString::new(b.as_os_str().as_bytes()).map_err(io::Error::other)?;
    // SAFETY: both pointers are valid NUL-terminated strings for the call.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            ca.as_ptr(),
            libc::AT_FDCWD,
            cb.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_a: &Path, _b: &Path) -> io::Result<()> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
}

/// Send this process `sig` (test hook only).
fn raise(sig: &str) {
    #[cfg(unix)]
    {
        let s = match sig {
            "kill" => libc::SIGKILL,
            "int" => libc::SIGINT,
            "term" => libc::SIGTERM,
            _ => return,
        };
        // SAFETY: raise has no memory-safety preconditions.
        unsafe {
            libc::raise(s);
        }
    }
    #[cfg(not(unix))]
    let _ = sig;
}

#[cfg(test)]
mod name_tests {
    use super::is_output_name;
    use crate::chart::run::RunChart;
    use crate::report::Format;

    /// Rule: every file a run can publish is known by name, so a later run
    /// may replace its set (a name missing here would make `--out` refuse
    /// flapsim's own directory).
    #[test]
    fn every_file_a_run_publishes_is_known_by_name() {
        let mut names: Vec<&str> = Format::ALL.iter().map(|f| f.file_name()).collect();
        names.extend([Format::ChartData, Format::ReportHtml].map(Format::file_name));
        for chart in RunChart::ALL {
            names.extend([chart.file_name(true), chart.file_name(false)]);
        }
        names.extend(["wire.csv", "diagnosed.yaml", "diagnosis.txt"]);
        for name in names {
            assert!(is_output_name(name), "{name}");
        }
    }

    /// Rule: a refused `--out` is named once, then the reason (the
    /// publisher's own message names the path too).
    #[test]
    fn a_refused_out_names_the_directory_once() {
        let dir = std::env::temp_dir().join(format!("flapsim-out-refusal-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("app.log"), "mine").unwrap();
        let e = super::Publisher::begin(&dir, Default::default())
            .err()
            .expect("a directory of the user's files is refused");
        let message = super::out_refusal(&dir, &e);
        let shown = dir.display().to_string();
        assert!(
            message.starts_with(&format!("--out {shown}: holds `app.log`")),
            "{message}"
        );
        assert_eq!(message.matches(&shown).count(), 1, "{message}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Rule: only flapsim's names count, not their extensions: the user's own
    /// files beside them make a directory foreign.
    #[test]
    fn a_users_files_with_output_extensions_are_not_output_names() {
        for name in [
            "app.log",
            "config.json",
            "data.csv",
            "plot.png",
            "notes.html",
            "x.jsonl",
        ] {
            assert!(!is_output_name(name), "{name}");
        }
    }
}

#[cfg(test)]
mod kept_tests {
    use super::Publisher;
    use std::path::{Path, PathBuf};
    use std::sync::mpsc;
    use std::time::Duration;

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("flapsim-kept-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join("out")).unwrap();
        std::fs::write(d.join("out/summary.json"), b"{}\n").unwrap();
        std::fs::write(d.join("out/events.jsonl"), b"{\"t\":1}\n").unwrap();
        d
    }

    fn mkfifo(path: &Path) {
        use std::os::unix::ffi::OsStrExt;
        let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
    }

    /// `keep(name)` on `p`, failing the test if it has not returned within
    /// a generous watchdog (a hang guard, not a timing assertion).
    fn keep_within_watchdog(mut p: Publisher, name: &'static str) -> std::io::Result<Publisher> {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(p.keep(name).map(|()| p));
        });
        rx.recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("keep(`{name}`) still running after 30 s: a hang"))
    }

    /// Rule: what a redraw carries into the new set is a regular file,
    /// linked or copied: a FIFO put under the name after the directory was
    /// checked (or one a copy would open: `fs::copy` blocked on it forever)
    /// is refused at once, naming the path and what it is, and nothing of it
    /// is staged. Main linked the FIFO into the set, or hung copying it.
    #[test]
    fn a_kept_file_must_be_regular_whatever_is_put_under_its_name() {
        for copy in [false, true] {
            let d = scratch(if copy { "copy" } else { "link" });
            let out = d.join("out");
            let mut p = Publisher::begin(&out, Default::default()).unwrap();
            p.copy_kept = copy;
            let p = keep_within_watchdog(p, "summary.json").unwrap();
            let staged = p.staged().join("summary.json");
            assert!(std::fs::symlink_metadata(&staged).unwrap().is_file());
            assert_eq!(std::fs::read(&staged).unwrap(), b"{}\n");
            // Replaced after the checks, as a racing writer would.
            std::fs::remove_file(out.join("events.jsonl")).unwrap();
            mkfifo(&out.join("events.jsonl"));
            let staging = p.staged().to_path_buf();
            let e = keep_within_watchdog(p, "events.jsonl")
                .err()
                .unwrap_or_else(|| panic!("copy {copy}: a FIFO was kept"));
            assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput, "{e}");
            let said = e.to_string();
            assert!(
                said.contains("out/events.jsonl") && said.contains("a pipe (FIFO)"),
                "{said}"
            );
            assert!(!staging.exists(), "the staging directory is removed");
            let _ = std::fs::remove_dir_all(&d);
        }
    }
}
