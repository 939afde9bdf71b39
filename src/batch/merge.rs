//! `flapsim merge`: the shard directories of one sweep joined into the files
//! an unsharded run writes, byte for byte.
//!
//! The shards' rows are read one line at a time, in run order (run `r` is
//! line `r / N` of shard `r % N`), each copied to the merged files and
//! aggregated once (the merged rows were read back and parsed again). Why:
//! every shard's files were read whole and the merged files built in memory
//! before they were written, 3.8 GB for 10⁶ runs.
//!
//! Each row's per-hour rates are checked against its counts over its
//! point's measured window, which a shard's manifest records
//! ([`super::point_windows`]), as a resumed sweep checks the rows it reads
//! back: a rate edited apart from its count is refused, not merged. Shards
//! of one sweep must record the same windows. Shards an older flapsim wrote
//! record none; their rows are merged without that check, and the merge says
//! so ([`Merged::rates_checked`]).
//!
//! Nothing is written over until every row is checked: the merged result
//! files are written under temporary names and renamed at the end, and a
//! directory made for them is removed again if the merge is refused. The
//! refusals, and which comes first when several apply, are those of a merge
//! that checked everything before writing anything: when the single pass
//! meets a problem, the checks are made again in that order to name it.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use crate::quote::{self, short};

use super::compare_check::check_row_rates;
use super::finish::{line_error, Aggregated, Aggregator};
use super::lines::{LineError, Lines, Staged};
use super::manifest::Manifest;
use super::point_windows::{self, PointWindows};
use super::row::{csv_header, AxisValue, Row};
use super::store::{io_error, refuse, StoreError, MANIFEST, RESULTS_CSV, RESULTS_JSONL};

/// Shards whose files stay open through the merge; the files of the rest
/// are opened for each line read. Two files a shard, so at most 512
/// descriptors (a process may have 1024), whatever the number of shards.
const OPEN_SHARDS: usize = 256;

/// One shard: its directory, and where its two files are read.
struct ShardFiles {
    dir: PathBuf,
    csv: Source,
    json: Source,
}

/// A file read line by line, kept open, or opened again at the offset of its
/// next line for each line read.
struct Source {
    path: PathBuf,
    cap: usize,
    keep_open: bool,
    open: Option<Lines>,
    offset: u64,
    line: usize,
}

impl Source {
    fn new(path: PathBuf, cap: usize, keep_open: bool) -> Source {
        Source {
            path,
            cap,
            keep_open,
            open: None,
            offset: 0,
            line: 0,
        }
    }

    /// The next complete line (appended to `out`, without its newline); false
    /// at the end of the file (or a missing file, which has no line).
    fn next_into(&mut self, out: &mut Vec<u8>) -> Result<bool, LineError> {
        if self.open.is_none() {
            let buffer = if self.keep_open { 64 * 1024 } else { 4 * 1024 };
            match Lines::open_at(&self.path, self.cap, self.offset, self.line, buffer) {
                Ok(l) => self.open = Some(l),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
                Err(e) => {
                    return Err(LineError::Io(format!(
                        "reading {}: {e}",
                        self.path.display()
                    )))
                }
            }
        }
        let lines = self.open.as_mut().expect("opened just above");
        let got = match lines.next_line()? {
            Some(line) => {
                out.extend_from_slice(line);
                true
            }
            None => false,
        };
        self.offset = lines.offset();
        self.line = lines.line();
        if !self.keep_open {
            self.open = None;
        }
        Ok(got)
    }

    /// Does the file hold nothing past the lines read (no line, no torn tail)?
    fn at_end(&self) -> Result<bool, LineError> {
        match fs::metadata(&self.path) {
            Ok(m) => Ok(m.len() == self.offset),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(self.offset == 0),
            Err(e) => Err(LineError::Io(format!(
                "reading {}: {e}",
                self.path.display()
            ))),
        }
    }
}

/// Why the single pass stopped: a refusal to name by the ordered checks, or
/// an I/O error (reported as it is).
enum Stop {
    Refused(StoreError),
    Io(StoreError),
}

/// What a merge wrote.
pub struct Merged {
    /// The merged sweep's manifest (the unsharded sweep's).
    pub manifest: Manifest,
    pub rows: Aggregated,
    /// Were the rows' rates checked against their counts? Not for shards
    /// whose manifests record no run windows (an older flapsim's).
    pub rates_checked: bool,
}

/// Merge the shard directories `dirs` into `out`: the same files an unsharded
/// run writes, byte for byte, and its rows aggregated. Refuses shards of
/// different sweeps, duplicate or missing shards, unfinished shards, and a
/// row whose rates are not what its counts make them over its point's
/// recorded window.
pub fn merge(dirs: &[PathBuf], out: &Path) -> Result<Merged, StoreError> {
    let (first, shards) = read_manifests(dirs)?;
    let count = first.shard().count;
    // One slot per shard: allocated only once as many directories as shards
    // were given (a count comes from a file).
    let present: BTreeSet<usize> = shards.iter().map(|s| s.0).collect();
    if let Some(missing) = (0..count).find(|i| !present.contains(i)) {
        return Err(refuse(format!(
            "shard {missing}/{count} is missing: give every shard's directory"
        )));
    }
    let mut merged = first.clone();
    merged.shard = None;
    // An unsharded sweep's manifest records no windows (it has its sweep file).
    merged.windows = None;
    if let Err(e) = refuse_foreign_out(out, &merged, dirs) {
        // A problem with the shards is named first, as when they were
        // checked before the output directory.
        check_in_order(&first, &shards)?;
        return Err(e);
    }
    let made = missing_ancestor(out);
    fs::create_dir_all(out).map_err(|e| io_error(format!("creating {}: {e}", out.display())))?;
    match merge_pass(&first, &shards, out) {
        Ok((csv, json, agg)) => {
            merged
                .publish(out)
                .map_err(|e| io_error(format!("writing {}: {e}", out.join(MANIFEST).display())))?;
            csv.commit().map_err(|e| io_error(e.to_string()))?;
            json.commit().map_err(|e| io_error(e.to_string()))?;
            Ok(Merged {
                manifest: merged,
                rows: agg,
                rates_checked: first.windows.is_some(),
            })
        }
        Err(stop) => {
            if let Some(top) = made {
                remove_made(out, &top);
            }
            match stop {
                Stop::Io(e) => Err(e),
                Stop::Refused(e) => {
                    check_in_order(&first, &shards)?;
                    Err(e)
                }
            }
        }
    }
}

/// Every shard's manifest: the first in full, and of each (its index, its
/// directory), after checking it is a shard of the same sweep and count.
fn read_manifests(dirs: &[PathBuf]) -> Result<(Manifest, Vec<(usize, PathBuf)>), StoreError> {
    let mut first: Option<(Manifest, &PathBuf)> = None;
    let mut shards = Vec::new();
    for d in dirs {
        let m = Manifest::read(d).map_err(refuse)?.ok_or_else(|| {
            refuse(format!(
                "{}: no {MANIFEST}: not a sweep output",
                d.display()
            ))
        })?;
        if let Some((first, fd)) = &first {
            if first.fingerprint != m.fingerprint || first.sweep != m.sweep {
                return Err(refuse(format!(
                    "{} is sweep `{}` (fingerprint {}) but {} is sweep `{}` (fingerprint {}): shards of different sweeps cannot be merged",
                    d.display(),
                    short(&m.sweep),
                    m.fingerprint,
                    fd.display(),
                    short(&first.sweep),
                    first.fingerprint
                )));
            }
            if first.windows != m.windows {
                return Err(refuse(windows_differ((&m, d), (first, fd))));
            }
            if first.shard().count != m.shard().count {
                return Err(refuse(format!(
                    "{} is shard {}/{} but {} is shard {}/{}: shard counts differ",
                    d.display(),
                    m.shard().index,
                    m.shard().count,
                    fd.display(),
                    first.shard().index,
                    first.shard().count
                )));
            }
            if let Some(field) = first.first_difference(&m) {
                return Err(refuse(point_windows::locate_key(
                    &d.join(MANIFEST),
                    field,
                    &format!(
                        "differs from {}: shards of one sweep record the same manifest but for their index (was one edited?)",
                        quote::path(&fd.join(MANIFEST))
                    ),
                )));
            }
        }
        shards.push((m.shard().index, d.clone()));
        if first.is_none() {
            first = Some((m, d));
        }
    }
    let Some((first, _)) = first else {
        return Err(refuse("merge: no directories given"));
    };
    Ok((first, shards))
}

/// Shard `a` records other run windows than shard `b` (or only one of them
/// records any): `path:line:col: windows: …` at the one that records some.
/// Shards of one sweep record the same; one whose record was edited or
/// removed would have its rows checked by another window than the rest.
fn windows_differ(a: (&Manifest, &Path), b: (&Manifest, &Path)) -> String {
    let [(ma, da), (mb, db)] = [a, b];
    let (at, other, says) = match (&ma.windows, &mb.windows) {
        (Some(_), Some(_)) => (da, db, "other run windows than"),
        (Some(_), None) => (da, db, "run windows, and none are recorded in"),
        (None, _) => (db, da, "run windows, and none are recorded in"),
    };
    point_windows::locate(
        &at.join(MANIFEST),
        &format!(
            "records {says} {}: shards of one sweep record the same (write the shards again with one flapsim: `sweep --shard I/N --resume`)",
            other.join(MANIFEST).display()
        ),
    )
}

/// The shards' files, one per shard index (every index present, each once,
/// or `None`).
fn shard_files(first: &Manifest, shards: &[(usize, PathBuf)]) -> Option<Vec<ShardFiles>> {
    let count = first.shard().count;
    let cap = first.line_cap();
    let mut by_index: Vec<Option<&PathBuf>> = vec![None; count];
    for (index, dir) in shards {
        if by_index[*index].replace(dir).is_some() {
            return None;
        }
    }
    by_index
        .into_iter()
        .enumerate()
        .map(|(i, dir)| {
            let dir = dir?;
            Some(ShardFiles {
                dir: dir.clone(),
                csv: Source::new(dir.join(RESULTS_CSV), cap, i < OPEN_SHARDS),
                json: Source::new(dir.join(RESULTS_JSONL), cap, i < OPEN_SHARDS),
            })
        })
        .collect()
}

/// Read every shard's rows in run order, checking each, copying them to the
/// merged files (written under temporary names in `out`) and aggregating them.
fn merge_pass(
    first: &Manifest,
    shards: &[(usize, PathBuf)],
    out: &Path,
) -> Result<(Staged, Staged, Aggregated), Stop> {
    let anomaly = |m: String| Stop::Refused(refuse(m));
    let io = |e: std::io::Error| Stop::Io(io_error(e.to_string()));
    let lines = |e: LineError| match e {
        LineError::TooLong(m) => anomaly(m),
        LineError::Io(m) => Stop::Io(io_error(m)),
    };
    let mut files =
        shard_files(first, shards).ok_or_else(|| anomaly("a shard is given twice".into()))?;
    let count = files.len();
    let header = csv_header(&first.axes);
    let mut line = Vec::new();
    for f in &mut files {
        line.clear();
        if !f.csv.next_into(&mut line).map_err(lines)? || line != header.trim_end().as_bytes() {
            return Err(anomaly(format!(
                "{}: results.csv has no header",
                f.dir.display()
            )));
        }
    }
    let mut csv = Staged::create(&out.join(RESULTS_CSV)).map_err(io)?;
    let mut json = Staged::create(&out.join(RESULTS_JSONL)).map_err(io)?;
    csv.writer().write_all(header.as_bytes()).map_err(io)?;
    let mut agg = Aggregator::new(first, out).map_err(io)?;
    let mut csv_line = Vec::new();
    let mut windows = first.windows.as_ref().map(PointWindows::cursor);
    for r in 0..first.runs {
        let f = &mut files[r % count];
        let k = r / count;
        csv_line.clear();
        if !f.csv.next_into(&mut csv_line).map_err(lines)? {
            return Err(anomaly(format!("{}: no row {k}", f.dir.display())));
        }
        line.clear();
        if !f.json.next_into(&mut line).map_err(lines)? {
            return Err(anomaly(format!("{}: no row {k}", f.dir.display())));
        }
        // Rows must be the run they claim to be, with its point and seed.
        let row = std::str::from_utf8(&line)
            .ok()
            .and_then(Row::parse_json)
            .filter(|row| first.is_run(row, r))
            .ok_or_else(|| {
                anomaly(format!(
                    "shard {}/{count}: row {k} is not run {r}",
                    r % count
                ))
            })?;
        // And the CSV the same numbers: a shard's results.csv copied from
        // another shard's (or edited) was merged as it was, so the merged
        // results.csv held other runs than results.jsonl and points.csv.
        let values: Vec<AxisValue> = (0..first.axes.len())
            .map(|a| {
                let v = first.points.get(row.point, a);
                AxisValue {
                    label: v.label.clone(),
                    json: v.value.clone(),
                }
            })
            .collect();
        if !std::str::from_utf8(&csv_line).is_ok_and(|l| row.csv_matches(l, &values)) {
            return Err(anomaly(format!(
                "shard {}/{count}: row {k} of results.csv is not row {k} of results.jsonl (run {r}): the files disagree; run the shard again with --resume",
                r % count
            )));
        }
        // And its rates what its counts make them over its point's
        // measured window, as a resumed sweep holds the rows it reads back.
        if let Some(w) = windows.as_mut().and_then(|c| c.of(row.point)) {
            check_row_rates(&f.json.path, k + 1, &line, &row, &w).map_err(anomaly)?;
        }
        csv_line.push(b'\n');
        csv.writer().write_all(&csv_line).map_err(io)?;
        line.push(b'\n');
        json.writer().write_all(&line).map_err(io)?;
        agg.push(&row).map_err(io)?;
    }
    for f in &files {
        if !f.csv.at_end().map_err(lines)? || !f.json.at_end().map_err(lines)? {
            return Err(anomaly(format!(
                "{}: rows past the shard's runs",
                f.dir.display()
            )));
        }
    }
    let (_, agg) = agg.finish().map_err(io)?;
    Ok((csv, json, agg))
}

/// The checks of a merge in the order they were made when every file was
/// read before anything was written: per shard as given, a duplicate, then
/// whether it is finished (header, and as many complete lines as runs); then
/// every row in run order. Reads the files again, writes nothing.
fn check_in_order(first: &Manifest, shards: &[(usize, PathBuf)]) -> Result<(), StoreError> {
    let count = first.shard().count;
    let cap = first.line_cap();
    let header = csv_header(&first.axes);
    let mut seen = vec![false; count];
    for (index, dir) in shards {
        if std::mem::replace(&mut seen[*index], true) {
            return Err(refuse(format!(
                "shard {index}/{count} given twice ({})",
                dir.display()
            )));
        }
        let want = super::store::Shard {
            index: *index,
            count,
        }
        .runs(first.runs)
        .len();
        let (csv_lines, csv_header_ok, csv_torn) =
            count_lines(&dir.join(RESULTS_CSV), cap, &header)?;
        let (json_lines, _, json_torn) = count_lines(&dir.join(RESULTS_JSONL), cap, "")?;
        // A first line that is not the header of this manifest's axes is an
        // edit (of the file or of the manifest's axes), not an unfinished
        // shard: "not finished (2 of 2 runs)" named neither.
        if csv_lines > 0 && !csv_header_ok {
            return Err(refuse(format!(
                "{}:1: not the header of this sweep's results.csv (axes {}, from its {MANIFEST}): was one of the two files edited?",
                quote::path(&dir.join(RESULTS_CSV)),
                short(&first.axes.join(","))
            )));
        }
        if !csv_header_ok || csv_lines != want + 1 || json_lines != want || csv_torn || json_torn {
            return Err(refuse(format!(
                "{}: shard {}/{} is not finished ({} of {} runs); run it again with --resume",
                dir.display(),
                index,
                count,
                json_lines.min(csv_lines.saturating_sub(1)),
                want
            )));
        }
    }
    // The rows, in run order, without writing them.
    let Some(mut files) = shard_files(first, shards) else {
        return Ok(());
    };
    let mut line = Vec::new();
    for r in 0..first.runs {
        let f = &mut files[r % count];
        line.clear();
        let ok = f.json.next_into(&mut line).map_err(line_error)?
            && std::str::from_utf8(&line)
                .ok()
                .and_then(Row::parse_json)
                .is_some_and(|row| first.is_run(&row, r));
        if !ok {
            return Err(refuse(format!(
                "shard {}/{count}: row {} is not run {r}",
                r % count,
                r / count
            )));
        }
    }
    Ok(())
}

/// (complete lines, whether the first is `header`, whether bytes without a
/// newline end the file) of `path`; a missing file has none.
fn count_lines(path: &Path, cap: usize, header: &str) -> Result<(usize, bool, bool), StoreError> {
    let mut lines = match Lines::open(path, cap) {
        Ok(l) => l,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((0, false, false)),
        Err(e) => return Err(io_error(format!("reading {}: {e}", path.display()))),
    };
    let mut header_ok = false;
    let mut first = true;
    while let Some(line) = lines.next_line().map_err(line_error)? {
        if std::mem::take(&mut first) {
            header_ok = line == header.trim_end().as_bytes();
        }
    }
    Ok((lines.line(), header_ok, lines.torn()))
}

/// The topmost directory of `out` (itself or an ancestor) that does not
/// exist yet, if any: what creating `out` makes.
fn missing_ancestor(out: &Path) -> Option<PathBuf> {
    let mut top = None;
    let mut p = Some(out);
    while let Some(d) = p {
        if d.as_os_str().is_empty() || d.exists() {
            break;
        }
        top = Some(d.to_path_buf());
        p = d.parent();
    }
    top
}

/// Remove the directories from `out` up to `top` that a refused merge made
/// (only empty ones: nothing else is touched).
fn remove_made(out: &Path, top: &Path) {
    let mut p = Some(out);
    while let Some(d) = p {
        if fs::remove_dir(d).is_err() || d == top {
            break;
        }
        p = d.parent();
    }
}

/// Refuse to merge into a shard's own directory, a run's output set, or
/// another sweep's results: their files would be replaced, and the charts
/// the merged sweep does not draw would be left beside its own.
fn refuse_foreign_out(out: &Path, merged: &Manifest, dirs: &[PathBuf]) -> Result<(), StoreError> {
    let canonical = |p: &Path| fs::canonicalize(p).ok();
    if let Some(o) = canonical(out) {
        if let Some(d) = dirs.iter().find(|d| canonical(d).as_ref() == Some(&o)) {
            return Err(refuse(format!(
                "--out {} is the shard directory {}: merging into it would replace its rows; use a new directory",
                out.display(),
                d.display()
            )));
        }
    }
    if out.join(crate::report::files::SUMMARY.name).exists() {
        return Err(refuse(format!(
            "--out {} holds a run's output set (summary.json); use a new directory",
            out.display()
        )));
    }
    super::store::refuse_foreign_dir(out)?;
    if let Some(m) = Manifest::read(out).map_err(refuse)? {
        if m.fingerprint != merged.fingerprint {
            return Err(refuse(format!(
                "--out {} holds another sweep (`{}`, fingerprint {}; these shards are `{}`, fingerprint {}); use a new directory",
                out.display(),
                short(&m.sweep),
                m.fingerprint,
                short(&merged.sweep),
                merged.fingerprint
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rule: a shard's file opened again for each line (past the shards
    /// kept open) gives the same lines as one kept open, a torn tail being
    /// no line, and a missing file none.
    #[test]
    fn a_file_opened_for_each_line_reads_as_one_kept_open() {
        let d = std::env::temp_dir().join(format!("flapsim-merge-src-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        let p = d.join("results.jsonl");
        let text: String = (0..50)
            .map(|i| format!("{}\n", "x".repeat(i * 300)))
            .collect();
        fs::write(&p, format!("{text}torn")).unwrap();
        let read = |keep_open: bool| {
            let mut src = Source::new(p.clone(), 1 << 20, keep_open);
            let mut lines = Vec::new();
            let mut line = Vec::new();
            while src.next_into(&mut line).unwrap() {
                lines.push(std::mem::take(&mut line));
            }
            (lines, src.at_end().unwrap())
        };
        let (kept, kept_end) = read(true);
        assert_eq!(kept.len(), 50);
        assert_eq!((read(false), kept_end), ((kept, false), false));
        let mut missing = Source::new(d.join("none"), 16, false);
        assert!(!missing.next_into(&mut Vec::new()).unwrap());
        assert!(missing.at_end().unwrap());
        fs::remove_dir_all(&d).unwrap();
    }
}
