//! `flapsim chart DIR`: redraw an output directory's charts and report.html from
//! its files, without re-running.
//!
//! The directory's `chart-data.json` says what it is (`"kind"`): a run's
//! directory is redrawn here; a comparison's by [`redraw_comparison`], the hook
//! `flapsim compare` fills. The charts are a pure function of the data files, so
//! a redraw reproduces the run's SVGs byte for byte.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::args::ChartArgs;
use super::Failure;
use crate::chart::run::{RunChart, RunChartData, KIND_RUN};
use crate::report::{page, write_atomic};

/// Largest data file read (a 10,000-node run's is well under 10 MiB).
pub const MAX_DATA_BYTES: u64 = 256 << 20;

/// The data file of every chartable directory.
pub const DATA_FILE: &str = "chart-data.json";

/// `kind` of a comparison directory's `chart-data.json`.
pub const KIND_COMPARISON: &str = "comparison";

#[derive(Deserialize)]
struct Kind {
    kind: String,
}

pub fn chart_cmd(args: &ChartArgs) -> Result<(), Failure> {
    let written = redraw(&args.dir)?;
    if !args.quiet {
        for p in &written {
            say!("{}", p.display());
        }
    }
    Ok(())
}

/// Redraw `dir`; returns the files written.
pub fn redraw(dir: &Path) -> Result<Vec<PathBuf>, Failure> {
    let data_path = dir.join(DATA_FILE);
    let bytes = read_bounded(&data_path)?;
    let kind: Kind = serde_json::from_slice(&bytes).map_err(|e| {
        Failure::bad_input(format!(
            "{}: not a flapsim chart data file: {e}",
            data_path.display()
        ))
    })?;
    match kind.kind.as_str() {
        KIND_RUN => redraw_run(dir, &bytes),
        KIND_COMPARISON => redraw_comparison(dir, &bytes),
        other => Err(Failure::bad_input(format!(
            "{}: kind `{other}` is not one flapsim draws (expected `{KIND_RUN}` or `{KIND_COMPARISON}`)",
            data_path.display()
        ))),
    }
}

/// Read a file of the directory, refusing one larger than [`MAX_DATA_BYTES`].
pub fn read_bounded(path: &Path) -> Result<Vec<u8>, Failure> {
    let meta = std::fs::metadata(path).map_err(|e| {
        Failure::bad_input(format!(
            "{}: {e} (is this a flapsim output directory written with charts, i.e. without --no-charts?)",
            path.display()
        ))
    })?;
    if meta.len() > MAX_DATA_BYTES {
        return Err(Failure::bad_input(format!(
            "{}: {} bytes is more than the {} a chart data file can be",
            path.display(),
            meta.len(),
            MAX_DATA_BYTES
        )));
    }
    std::fs::read(path).map_err(|e| Failure::bad_input(format!("{}: {e}", path.display())))
}

fn write(dir: &Path, name: &str, bytes: &[u8], out: &mut Vec<PathBuf>) -> Result<(), Failure> {
    let path = dir.join(name);
    write_atomic(&path, bytes)
        .map_err(|e| Failure::failed(format!("writing {}: {e}", path.display())))?;
    out.push(path);
    Ok(())
}

/// A run's directory: every chart (SVG and PNG) and report.html.
fn redraw_run(dir: &Path, bytes: &[u8]) -> Result<Vec<PathBuf>, Failure> {
    let data_path = dir.join(DATA_FILE);
    let data = RunChartData::from_json(bytes)
        .map_err(|e| Failure::bad_input(format!("{}: {e}", data_path.display())))?;
    let summary = read_bounded(&dir.join("summary.json"))?;
    let mut out = Vec::new();
    for chart in RunChart::ALL {
        if !chart.applies(&data) {
            continue;
        }
        let drawn = chart
            .render(&data)
            .map_err(|e| Failure::failed(format!("{}: {e}", chart.file_name(true))))?;
        write(dir, chart.file_name(true), drawn.svg.as_bytes(), &mut out)?;
        write(dir, chart.file_name(false), &drawn.png, &mut out)?;
    }
    let html = page::run_report_html(&summary, &data)
        .map_err(|e| Failure::bad_input(format!("{}: {e}", dir.join("summary.json").display())))?;
    write(dir, "report.html", html.as_bytes(), &mut out)?;
    Ok(out)
}

/// A comparison directory (`"kind": "comparison"`, written by `flapsim
/// compare`): its table, chart and report are redrawn from `results.jsonl`,
/// `manifest.json` and `chart-data.json` by [`crate::batch::compare::redraw`].
pub fn redraw_comparison(dir: &Path, _bytes: &[u8]) -> Result<Vec<PathBuf>, Failure> {
    crate::batch::compare::redraw(dir).map_err(Failure::failed)?;
    Ok(crate::batch::compare::redrawn_files(dir))
}
