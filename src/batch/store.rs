//! A sweep's output directory: the manifest, the append-only result files, resume
//! after any interruption, merging shards, and the aggregate files.
//!
//! Files:
//! - `manifest.json`: the sweep's identity (fingerprint, axes, points, seeds,
//!   shard), written first; a resume or merge refuses results of another sweep.
//! - `results.csv`, `results.jsonl`: one row per run in canonical order, appended
//!   and flushed (one `write` per line) as runs finish. After a `kill -9` the
//!   kernel has every finished line; a torn last line is detected (no newline, or
//!   does not parse, or the CSV and JSON disagree) and cut off, and its run redone.
//! - `points.csv`, `summary.txt` (and charts): computed from `results.jsonl` only
//!   (a whole sweep aggregates each row as that file takes it, see
//!   [`super::tally`]), written atomically when every run is in, so a sweep, a
//!   resumed sweep and a merge of shards produce the same bytes.

use std::fs::{self, File};
use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::compare_check::check_row_rates;
use super::dirlock::DirLock;
use super::lines::{LineError, Lines};
use super::plan::{Plan, Windows, MAX_RUNS};
use super::row::{csv_header, Row};
use super::tally::Tally;

pub use super::finish::{
    conclude, condition_groups, tradeoff_for, Aggregated, Finished, TABLE_METRICS,
};
pub use super::manifest::{Manifest, PointMeta};
pub use super::merge::merge;

pub const MANIFEST: &str = "manifest.json";
pub const RESULTS_CSV: &str = "results.csv";
pub const RESULTS_JSONL: &str = "results.jsonl";
pub const POINTS_CSV: &str = "points.csv";
pub const SUMMARY_TXT: &str = "summary.txt";
/// Every run's files, with `--keep-runs`.
pub const RUNS_DIR: &str = "runs";

/// Which slice of the runs a process runs: runs `r` with `r % count == index`.
/// Round-robin, so every shard gets a share of every point's cost.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// What makes a shard ([`Shard::is_valid`]), as error messages say it.
    pub fn rule() -> String {
        format!("need 0 <= I < N <= {MAX_RUNS} (the most runs a sweep has)")
    }

    /// A count of at most [`MAX_RUNS`] (more shards than a sweep can have
    /// runs would all be empty), and an index below it.
    pub fn is_valid(self) -> bool {
        self.count >= 1 && self.index < self.count && self.count <= MAX_RUNS
    }

    pub fn runs(self, total: usize) -> Vec<usize> {
        (self.index..total).step_by(self.count).collect()
    }
}

/// An error with its exit code: 2 for a refused input (wrong directory, other
/// sweep), 1 for I/O.
#[derive(Debug)]
pub struct StoreError {
    pub bad_input: bool,
    pub message: String,
}

pub(crate) fn refuse(m: impl Into<String>) -> StoreError {
    StoreError {
        bad_input: true,
        message: m.into(),
    }
}

pub(crate) fn io_error(m: impl Into<String>) -> StoreError {
    StoreError {
        bad_input: false,
        message: m.into(),
    }
}

/// What to do with a directory that already holds this sweep's files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Existing {
    /// Refuse (the default: never throw away finished runs by accident).
    Refuse,
    /// Keep the finished rows and run the rest.
    Resume,
    /// Delete the old results and start over.
    Fresh,
}

/// Whether [`Results`] aggregates the rows its files hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Aggregate {
    /// A whole sweep's rows are aggregated as they are recovered and as they
    /// are appended, so finishing need not read `results.jsonl` back; a
    /// shard's are not (`flapsim merge` aggregates every shard's).
    AsWritten,
    /// Only write the rows (a tool writing made-up sweeps).
    No,
}

/// The result files of a sweep being written.
pub struct Results {
    csv: File,
    jsonl: File,
    axes: Vec<String>,
    /// The plan, for each row's axis values (built per row, not kept per point).
    plan: Plan,
    /// Runs of this shard still to do, ascending.
    pub todo: Vec<usize>,
    /// Runs already finished (resumed).
    pub done: usize,
    /// The rows so far, aggregated (a whole sweep, [`Aggregate::AsWritten`]).
    tally: Option<Tally>,
    /// This process is the directory's one writer while this lives (keep it
    /// until the aggregates are published).
    _lock: DirLock,
}

impl Results {
    /// Open `dir` for `plan`'s shard: write the manifest, recover finished rows
    /// (cutting a torn tail, and aggregating them as `aggregate` says), and
    /// list the runs left.
    pub fn open(
        dir: &Path,
        plan: &Plan,
        shard: Shard,
        existing: Existing,
        aggregate: Aggregate,
    ) -> Result<Results, StoreError> {
        // A shard's manifest records its points' run windows, for the merge.
        let manifest = Manifest::for_shard(plan, shard)
            .map_err(|e| io_error(format!("BUG! a checked plan's run windows: {e}")))?;
        refuse_foreign_dir(dir)?;
        fs::create_dir_all(dir)
            .map_err(|e| io_error(format!("creating {}: {e}", dir.display())))?;
        // Before anything is read or removed: another writer may be at work.
        let lock = DirLock::take(dir)?;
        let old = Manifest::read(dir).map_err(refuse)?;
        let has_results = dir.join(RESULTS_JSONL).exists() || dir.join(RESULTS_CSV).exists();
        match (&old, existing) {
            (_, Existing::Refuse) if has_results || old.is_some() => {
                return Err(refuse(format!(
                    "{} already holds sweep results; pass --resume to continue them (finished runs are kept) or --fresh to start over",
                    dir.display()
                )))
            }
            (Some(m), Existing::Resume) if m.fingerprint != manifest.fingerprint => {
                return Err(refuse(format!(
                    "{}: holds a different sweep (`{}`, fingerprint {}; this sweep is `{}`, fingerprint {}): the sweep file, the base scenario or the flapsim version changed; use another --out or --fresh",
                    dir.display(),
                    crate::quote::short(&m.sweep),
                    m.fingerprint,
                    crate::quote::short(&manifest.sweep),
                    manifest.fingerprint
                )))
            }
            (Some(m), Existing::Resume) if m.shard() != shard => {
                return Err(refuse(format!(
                    "{}: holds shard {}/{} of this sweep, not {}/{}",
                    dir.display(),
                    m.shard().index,
                    m.shard().count,
                    shard.index,
                    shard.count
                )))
            }
            (None, Existing::Resume) if has_results => {
                return Err(refuse(format!(
                    "{}: has result files but no {MANIFEST}; cannot tell which sweep they belong to",
                    dir.display()
                )))
            }
            _ => {}
        }
        if existing == Existing::Fresh {
            // Everything the old sweep wrote: a chart this one does not draw
            // (a heatmap of two axes, say) must not stay beside its results.
            for f in [RESULTS_CSV, RESULTS_JSONL, POINTS_CSV, SUMMARY_TXT] {
                let _ = fs::remove_file(dir.join(f));
            }
            for stem in crate::chart::sweep::CHARTS {
                for ext in ["png", "svg"] {
                    let _ = fs::remove_file(dir.join(format!("{stem}.{ext}")));
                }
            }
            let _ = fs::remove_dir_all(dir.join(RUNS_DIR));
        }
        manifest
            .publish(dir)
            .map_err(|e| io_error(format!("writing {}: {e}", dir.join(MANIFEST).display())))?;

        let mut tally = match aggregate {
            Aggregate::AsWritten if shard == Shard::WHOLE => Some(Tally::open(dir)?),
            _ => None,
        };
        let mine = shard.runs(plan.runs());
        let header = csv_header(&plan.axes);
        let (done, json_len, csv_len) = finished_prefix(
            dir,
            plan,
            &mine,
            &header,
            manifest.line_cap(),
            tally.as_mut(),
        )?;
        // Cut both files back to the rows both hold completely.
        let csv = open_at(&dir.join(RESULTS_CSV), csv_len)?;
        let jsonl = open_at(&dir.join(RESULTS_JSONL), json_len)?;
        let mut res = Results {
            csv,
            jsonl,
            axes: plan.axes.clone(),
            plan: plan.clone(),
            todo: mine[done..].to_vec(),
            done,
            tally,
            _lock: lock,
        };
        if csv_len == 0 {
            res.csv
                .write_all(header.as_bytes())
                .map_err(|e| io_error(format!("writing {RESULTS_CSV}: {e}")))?;
        }
        Ok(res)
    }

    /// Append one row to both files (CSV first; a resume trusts only rows
    /// both have), and aggregate it as its JSON line reads.
    pub fn append(&mut self, row: &Row) -> Result<(), String> {
        let vals = self.plan.values(row.point);
        self.csv
            .write_all(row.csv_line(&vals).as_bytes())
            .map_err(|e| format!("writing {RESULTS_CSV}: {e}"))?;
        let json = row.json_line(&self.axes, &vals);
        self.jsonl
            .write_all(json.as_bytes())
            .map_err(|e| format!("writing {RESULTS_JSONL}: {e}"))?;
        match &mut self.tally {
            Some(t) => t.push_line(&json).map_err(|e| e.message),
            None => Ok(()),
        }
    }

    /// Flush to disk (the rows are already with the kernel after each append).
    pub fn sync(&self) -> Result<(), String> {
        self.csv
            .sync_data()
            .and_then(|_| self.jsonl.sync_data())
            .map_err(|e| format!("syncing results: {e}"))
    }

    /// Every row of a whole sweep aggregated, once every run is in: its
    /// manifest (as it reads back) and the aggregate; `None` for files that
    /// are not aggregated (a shard's, or [`Aggregate::No`]).
    pub fn aggregated(&mut self) -> Result<Option<(Manifest, Aggregated)>, StoreError> {
        self.tally.take().map(Tally::finish).transpose()
    }
}

/// Open `path` for appending after truncating it to `len` bytes: only a
/// regular file ([`crate::input_file::open_regular_to_append`]). Why: a FIFO
/// in place of `results.jsonl` whose rows were not read (a `results.csv`
/// without its header starts both files over) was opened for writing, which
/// waits for a reader: `sweep --resume` hung. It is refused, exit 2.
fn open_at(path: &Path, len: u64) -> Result<File, StoreError> {
    let f = crate::input_file::open_regular_to_append(path).map_err(|e| {
        let message = format!("{}: {e}", path.display());
        if e.kind() == std::io::ErrorKind::InvalidInput {
            refuse(message)
        } else {
            io_error(format!("opening {message}"))
        }
    })?;
    f.set_len(len)
        .map_err(|e| io_error(format!("truncating {}: {e}", path.display())))?;
    Ok(f)
}

/// Read a file of a sweep or comparison directory: only a regular file, and
/// only the bytes it held when opened.
///
/// Why: these directories hold only files flapsim wrote, but the user names
/// the directory. A `results.jsonl` linked to `/dev/zero` (or a pipe) was read
/// until memory ran out; a regular file's size is the truth, so it bounds the
/// read.
pub fn read_regular(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    // Not preallocated from the size: a sparse file can claim terabytes.
    let mut bytes = Vec::new();
    super::manifest::open_regular(path)?.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// `path`'s lines, or `None` when there is no such file.
fn lines_or_none(path: &Path, cap: usize) -> Result<Option<Lines>, StoreError> {
    match Lines::open(path, cap) {
        Ok(l) => Ok(Some(l)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        // Not a regular file (a FIFO, a socket): not what flapsim wrote.
        Err(e) if e.kind() == std::io::ErrorKind::InvalidInput => {
            Err(refuse(format!("{}: {e}", path.display())))
        }
        Err(e) => Err(io_error(format!("reading {}: {e}", path.display()))),
    }
}

/// The next line of a result file being resumed, `None` at its end or where
/// it cannot be a row (a torn tail, a line past the cap): it is cut there.
fn resumable_line(lines: &mut Lines) -> Result<Option<&[u8]>, StoreError> {
    match lines.next_line() {
        Ok(l) => Ok(l),
        Err(LineError::TooLong(_)) => Ok(None),
        Err(LineError::Io(m)) => Err(io_error(m)),
    }
}

/// The runs both result files of `dir` hold completely, in order, read one
/// line at a time (the rows of a finished 10⁶-run sweep were all held to
/// resume it): how many (the first `done` of `mine`), and the length of
/// `results.jsonl` and of `results.csv` after them. A row counts only when
/// it is the expected run, with its point and seed, and its CSV line is the
/// JSON row's cell for cell; `results.csv` also needs its header (without
/// it both files start over). Each row that counts is handed to `tally` as
/// soon as it is known to count (so a finished sweep's rows are parsed once,
/// not once here and again to finish).
fn finished_prefix(
    dir: &Path,
    plan: &Plan,
    mine: &[usize],
    header: &str,
    cap: usize,
    mut tally: Option<&mut Tally>,
) -> Result<(usize, u64, u64), StoreError> {
    let Some(mut csv) = lines_or_none(&dir.join(RESULTS_CSV), cap)? else {
        return Ok((0, 0, 0));
    };
    if resumable_line(&mut csv)? != Some(header.trim_end().as_bytes()) {
        return Ok((0, 0, 0));
    }
    let (mut done, mut json_len, mut csv_len) = (0, 0, csv.offset());
    let Some(mut json) = lines_or_none(&dir.join(RESULTS_JSONL), cap)? else {
        return Ok((done, json_len, csv_len));
    };
    let mut windows = Windows::new(plan);
    while let Some(&want) = mine.get(done) {
        let Some(row) = resumable_line(&mut json)?
            .and_then(|l| std::str::from_utf8(l).ok())
            .and_then(Row::parse_json)
        else {
            break;
        };
        let (point, seed) = plan.run_ref(want);
        if row.run != want || row.point != point || row.seed != seed {
            break;
        }
        let csv_ok = resumable_line(&mut csv)?
            .and_then(|l| std::str::from_utf8(l).ok())
            .is_some_and(|l| row.csv_matches(l, &plan.values(row.point)));
        if !csv_ok {
            break;
        }
        // A row both files hold alike was finished, not torn: a rate there
        // that its counts do not make was edited, and is refused, not kept.
        let w = windows
            .of(row.point)
            .map_err(|e| io_error(format!("BUG! point {} of a checked plan: {e}", row.point)))?;
        let line = json.line();
        let text = json.last_line();
        check_row_rates(json.path(), line, text, &row, &w).map_err(refuse)?;
        if let Some(t) = tally.as_deref_mut() {
            t.push(&row)?;
        }
        done += 1;
        json_len = json.offset();
        csv_len = csv.offset();
    }
    Ok((done, json_len, csv_len))
}

/// Read every row of a finished `results.jsonl`, each line at most `cap`
/// bytes (a comparison's: a handful of rows).
pub fn read_rows(dir: &Path, cap: usize) -> Result<Vec<Row>, String> {
    let path = dir.join(RESULTS_JSONL);
    let mut lines =
        Lines::open(&path, cap).map_err(|e| format!("reading {}: {e}", path.display()))?;
    let mut rows = Vec::new();
    while let Some(l) = lines.next_line().map_err(LineError::message)? {
        let row = std::str::from_utf8(l)
            .ok()
            .and_then(Row::parse_json)
            .ok_or_else(|| format!("{}:{}: not a result row", path.display(), rows.len() + 1))?;
        rows.push(row);
    }
    Ok(rows)
}

/// Refuse `dir` as a sweep's (or a merge's) `--out` unless it is missing, or
/// a directory holding only what sweeps write there: their result and
/// aggregate files and charts, the temporary files of a killed writer, `runs/`
/// beside a manifest, and shard directories (`shard-I-of-N`, where a sharded
/// sweep writes by default). Why: a sweep writes in place and `--fresh`
/// deletes its old files, `runs/` included, so `--out .` in a source tree, or
/// a directory of someone's own `runs/`, must be refused before anything there
/// is written or removed, not mixed with or emptied. A file given as `--out`
/// is bad input too, not an I/O failure.
pub fn refuse_foreign_dir(dir: &Path) -> Result<(), StoreError> {
    let meta = match fs::metadata(dir) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(refuse(format!("--out {}: {e}", dir.display()))),
    };
    if !meta.is_dir() {
        return Err(refuse(format!(
            "--out {}: exists and is not a directory",
            dir.display()
        )));
    }
    let has_manifest = dir.join(MANIFEST).is_file();
    let entries = fs::read_dir(dir).map_err(|e| refuse(format!("--out {}: {e}", dir.display())))?;
    for entry in entries {
        let entry = entry.map_err(|e| refuse(format!("--out {}: {e}", dir.display())))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        let sweeps = if is_dir {
            (name == RUNS_DIR && has_manifest) || is_shard_dir(&name)
        } else {
            is_sweep_file(&name)
        };
        if !sweeps {
            return Err(refuse(format!(
                "--out {}: holds `{name}`, which no flapsim sweep writes; choose a new or empty --out",
                dir.display()
            )));
        }
    }
    Ok(())
}

/// A file a sweep writes in its directory (or a killed writer left there:
/// hidden `.….tmp` files).
fn is_sweep_file(name: &str) -> bool {
    let chart = crate::chart::sweep::CHARTS
        .iter()
        .any(|c| [format!("{c}.png"), format!("{c}.svg")].contains(&name.to_string()));
    chart
        || [
            MANIFEST,
            RESULTS_CSV,
            RESULTS_JSONL,
            POINTS_CSV,
            SUMMARY_TXT,
        ]
        .contains(&name)
        || (name.starts_with('.') && name.ends_with(".tmp"))
}

/// `shard-I-of-N`: the default directory of a shard, under the sweep's own.
fn is_shard_dir(name: &str) -> bool {
    let whole = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    name.strip_prefix("shard-")
        .and_then(|rest| rest.split_once("-of-"))
        .is_some_and(|(i, n)| whole(i) && whole(n))
}

/// What `dir` already holds that a batch command must not write over: a
/// run's output set (its `summary.json`) or a sweep's results (a manifest
/// with no comparison beside it). `None`: nothing, or a comparison.
pub fn foreign_output(dir: &Path) -> Option<&'static str> {
    if dir.join(crate::report::files::SUMMARY.name).exists() {
        Some("a run's output set (summary.json)")
    } else if dir.join(MANIFEST).exists() && !dir.join(super::compare::COMPARISON_JSON).exists() {
        Some("a sweep's results (manifest.json)")
    } else {
        None
    }
}
