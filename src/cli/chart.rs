//! `flapsim chart DIR`: redraw an output directory's charts and report.html from
//! its files, without re-running.
//!
//! The directory's `chart-data.json` says what it is (`"kind"`): a run's
//! directory is redrawn here; a comparison's by [`redraw_comparison`], the hook
//! `flapsim compare` fills. The charts are a pure function of the data files, so
//! a redraw reproduces the run's SVGs byte for byte.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use serde::Deserialize;

use super::args::ChartArgs;
use super::Failure;
use crate::chart::run::{RunChart, RunChartData, KIND_RUN};
use crate::quote;
use crate::report::publish::republish;
use crate::report::{files, page};

/// Largest data file read: a bound on the memory `chart` takes, since parsing
/// costs up to ~14 times the file (a list of empty strings costs 24 bytes
/// for 3; a map of short keys more: 256 MiB took 2.4 and 3.8 GB), and above
/// what flapsim writes. A run's `chart-data.json` is its scenario file and
/// description (each at most twice the default 1 MiB file limit once
/// escaped: 4 MiB), the charts' data, bounded by [`crate::chart::run`]'s
/// limits (60 timeline rows of 400 columns and 200 episode marks, 300
/// buckets for 4 hosts, a 40 × 40 heatmap, 12 marks, 20 bars: under 1 MiB),
/// and up to three latencies per crash measured (10–30 bytes each: a run of
/// 14,000 crashes wrote 275 KB). A comparison's is its scenario and about
/// 1.2 KB per configuration (34 protocol parameters) plus its overrides.
/// 32 MiB leaves room for a million measured crashes or 20,000
/// configurations; only a scenario file raised far past the default
/// `--limit file_bytes` (over ~14 MiB) writes more, and `compare` refuses
/// such a comparison before running it.
pub const MAX_DATA_BYTES: u64 = 32 << 20;

/// The data file of every chartable directory.
pub const DATA_FILE: &str = files::CHART_DATA.name;

/// `kind` of a comparison directory's `chart-data.json`.
pub const KIND_COMPARISON: &str = "comparison";

#[derive(Deserialize)]
struct Kind {
    kind: String,
}

pub fn chart_cmd(args: &ChartArgs) -> Result<(), Failure> {
    let stop = super::signals::Stop::install();
    // The set is republished under the directory's own name: resolve `.` and
    // the like first (an unresolvable path fails below with its reason).
    let dir = std::fs::canonicalize(&args.dir).unwrap_or_else(|_| args.dir.clone());
    let written = redraw(&dir, stop.flag.clone()).map_err(|f| {
        if stop.raised() {
            Failure {
                code: stop.exit_code(),
                message: stop.message(f.message),
            }
        } else {
            f
        }
    })?;
    if !args.quiet {
        for p in &written {
            say!("{}", p.display());
        }
    }
    Ok(())
}

/// Redraw `dir`; returns the files written.
pub fn redraw(dir: &Path, stop: Arc<AtomicBool>) -> Result<Vec<PathBuf>, Failure> {
    let data_path = dir.join(DATA_FILE);
    // A sweep's directory has no chart data: its charts come from its results
    // when the sweep finishes, and finishing again redraws them.
    let sweep_results = dir.join(crate::batch::store::RESULTS_JSONL);
    if !data_path.exists()
        && dir.join(crate::batch::store::MANIFEST).is_file()
        && sweep_results.is_file()
    {
        return Err(Failure::bad_input(format!(
            "{}: a sweep's directory has no {DATA_FILE}; redraw its charts with `flapsim sweep SWEEP --out {} --resume` (it runs only what is missing), or `flapsim merge` for shards",
            quote::path(dir),
            quote::path(dir)
        )));
    }
    let bytes = read_bounded(&data_path)?;
    let kind: Kind = serde_json::from_slice(&bytes).map_err(|e| {
        Failure::bad_input(format!(
            "{}: not a flapsim chart data file: {}",
            quote::path(&data_path),
            quote::shorten_quoted(&e.to_string())
        ))
    })?;
    match kind.kind.as_str() {
        KIND_RUN => redraw_run(dir, &bytes, stop),
        KIND_COMPARISON => {
            // Read again with the comparison's other files: not held twice.
            drop(bytes);
            redraw_comparison(dir, stop)
        }
        other => Err(Failure::bad_input(format!(
            "{}: kind `{}` is not one flapsim draws (expected `{KIND_RUN}` or `{KIND_COMPARISON}`)",
            quote::path(&data_path),
            quote::short(other)
        ))),
    }
}

/// Read a file of the directory, refusing one larger than [`MAX_DATA_BYTES`].
/// Only a regular file is read (flapsim writes nothing else here): a link to
/// `/dev/zero`, a FIFO or a directory in its place is refused at once, never
/// read or waited on ([`crate::input_file::open_regular`]). Its size is then
/// true, and a big one is refused before it is read.
pub fn read_bounded(path: &Path) -> Result<Vec<u8>, Failure> {
    use std::io::Read;
    let file = crate::input_file::open_regular(path).map_err(|e| {
        let hint = if e.kind() == std::io::ErrorKind::NotFound {
            " (is this a flapsim output directory written with charts, i.e. without --no-charts?)"
        } else {
            ""
        };
        Failure::bad_input(format!("{}: {e}{hint}", quote::path(path)))
    })?;
    let unreadable = |e: std::io::Error| Failure::bad_input(format!("{}: {e}", quote::path(path)));
    let len = file.metadata().map_err(unreadable)?.len();
    if len > MAX_DATA_BYTES {
        return Err(Failure::bad_input(format!(
            "{}: {len} bytes is more than the {MAX_DATA_BYTES} a chart data file can be",
            quote::path(path),
        )));
    }
    // Only the bytes it held when opened (a file growing meanwhile is cut
    // there); not preallocated from the size (a sparse file can claim more).
    let mut bytes = Vec::new();
    file.take(len).read_to_end(&mut bytes).map_err(unreadable)?;
    Ok(bytes)
}

/// A run's directory: every chart (SVG and PNG) and report.html, drawn first
/// and then republished with the run's data files as one set.
fn redraw_run(dir: &Path, bytes: &[u8], stop: Arc<AtomicBool>) -> Result<Vec<PathBuf>, Failure> {
    let data_path = dir.join(DATA_FILE);
    let data =
        RunChartData::from_json(bytes).map_err(|e| Failure::bad_input(e.in_file(&data_path)))?;
    let summary_path = dir.join(files::SUMMARY.name);
    let summary = read_bounded(&summary_path)?;
    crate::report::summary_check::check(&summary, &data)
        .map_err(|e| Failure::bad_input(e.in_file(&summary_path)))?;
    let mut drawn = Vec::new();
    for chart in RunChart::ALL {
        if !chart.applies(&data) {
            continue;
        }
        let d = chart
            .render(&data)
            .map_err(|e| Failure::failed(format!("{}: {e}", chart.file_name(true))))?;
        drawn.push((chart.file_name(true).to_string(), d.svg.into_bytes()));
        drawn.push((chart.file_name(false).to_string(), d.png));
    }
    // The page lists the files of the set it is published in.
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| Failure::bad_input(format!("{}: {e}", quote::path(dir))))?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    files.extend(drawn.iter().map(|(n, _)| n.clone()));
    let files: Vec<&str> = files.iter().map(String::as_str).collect();
    let html = page::run_report_html(&summary, &data, &files)
        .map_err(|e| Failure::bad_input(format!("{}: {e}", quote::path(&summary_path))))?;
    drawn.push((files::REPORT.name.to_string(), html.into_bytes()));
    republished(dir, republish(dir, drawn, stop))
}

/// A comparison directory (`"kind": "comparison"`, written by `flapsim
/// compare`): its table, chart and report are redrawn from `results.jsonl`,
/// `manifest.json` and `chart-data.json` by [`crate::batch::compare::redraw`].
pub fn redraw_comparison(dir: &Path, stop: Arc<AtomicBool>) -> Result<Vec<PathBuf>, Failure> {
    // What the directory holds is the user's input (exit 2); drawing it is ours.
    let comparison = crate::batch::compare::read(dir).map_err(Failure::bad_input)?;
    let (_, drawn) = crate::batch::compare::draw(comparison).map_err(Failure::failed)?;
    republished(dir, republish(dir, drawn, stop))
}

/// A republication's outcome as the command's: a file of the directory that
/// flapsim cannot have written (one of the user's own, or a FIFO, socket or
/// device under one of flapsim's names: [`std::io::ErrorKind::InvalidInput`],
/// named by the error) is bad input, exit 2; anything else failed writing.
fn republished(
    dir: &Path,
    written: std::io::Result<Vec<PathBuf>>,
) -> Result<Vec<PathBuf>, Failure> {
    written.map_err(|e| {
        if e.kind() == std::io::ErrorKind::InvalidInput {
            Failure::bad_input(e.to_string())
        } else {
            Failure::failed(format!("writing {}: {e}", quote::path(dir)))
        }
    })
}
