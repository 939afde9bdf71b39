//! Run outputs (model.md §7): `summary.json`, `events.jsonl`, `memberlist.log`,
//! `timeseries.csv`, and the human summary for stdout.
//!
//! Every writer is a pure function from `(&Scenario, &Metrics)` to bytes ([`Format`]
//! names them), so they are testable without touching files; only
//! [`write_atomic`]/[`write_all`] touch the filesystem, and they never leave a file
//! that looks complete after an interrupted run.
//!
//! The CLI calls, in order: `Collector::new(&scenario)` → engine run with the
//! collector as observer → `collector.finish(end, digest)` → `write_all(dir, …)` →
//! print `human_summary(…)`.

pub mod atomic;
pub mod compare_html;
pub mod csv;
pub mod events;
pub mod html;
pub mod human;
pub mod log;
pub mod summary;

#[cfg(test)]
mod tests;

use std::io;
use std::path::{Path, PathBuf};

use crate::metrics::Metrics;
use crate::scenario::Scenario;

pub use atomic::{write_atomic, write_atomic_with};
pub use human::human_summary;
pub use log::Level;
pub use summary::{summary, summary_json, Summary, STABLE_FIELDS};

/// One output file of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `summary.json`: machine-readable results with stable field names.
    Summary,
    /// `events.jsonl`: every protocol event and truth change.
    Events,
    /// `memberlist.log`: log lines of the chosen observers at `Level` and above.
    MemberlistLog(Level),
    /// `timeseries.csv`: one row per bin.
    Timeseries,
}

impl Format {
    /// The files a run writes by default (memberlist.log at Consul's INFO level).
    pub const ALL: [Format; 4] = [
        Format::Summary,
        Format::Events,
        Format::MemberlistLog(Level::Info),
        Format::Timeseries,
    ];

    pub fn file_name(self) -> &'static str {
        match self {
            Format::Summary => "summary.json",
            Format::Events => "events.jsonl",
            Format::MemberlistLog(_) => "memberlist.log",
            Format::Timeseries => "timeseries.csv",
        }
    }

    pub fn render(self, scenario: &Scenario, metrics: &Metrics) -> Vec<u8> {
        match self {
            Format::Summary => summary_json(scenario, metrics),
            Format::Events => events::events_jsonl(scenario, metrics),
            Format::MemberlistLog(level) => log::memberlist_log(scenario, metrics, level),
            Format::Timeseries => csv::timeseries_csv(scenario, metrics),
        }
    }
}

/// Write `formats` into `dir` (created if missing), each atomically. `summary.json`
/// is written last when present, so its existence means the others are complete.
/// Returns the paths written.
pub fn write_all(
    dir: &Path,
    formats: &[Format],
    scenario: &Scenario,
    metrics: &Metrics,
) -> io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)
        .map_err(|e| io::Error::new(e.kind(), format!("creating {}: {e}", dir.display())))?;
    let mut ordered: Vec<Format> = formats
        .iter()
        .copied()
        .filter(|f| *f != Format::Summary)
        .collect();
    if formats.contains(&Format::Summary) {
        ordered.push(Format::Summary);
    }
    let mut written = Vec::with_capacity(ordered.len());
    for f in ordered {
        let path = dir.join(f.file_name());
        write_atomic(&path, &f.render(scenario, metrics))?;
        written.push(path);
    }
    Ok(written)
}
