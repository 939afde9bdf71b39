//! Run outputs (model.md §7): `summary.json`, `events.jsonl`, `memberlist.log`,
//! `timeseries.csv`, and the human summary for stdout.
//!
//! Every writer is a pure function from `(&Scenario, &Metrics)` to bytes ([`Format`]
//! names them), so they are testable without touching files; only
//! [`publish`] (a run's whole file set, swapped in as one unit) and
//! [`write_atomic`] (one standalone file) touch the filesystem, and they never
//! leave a mix of runs or a file that looks complete after an interrupted run.
//!
//! The CLI calls, in order: `Publisher::begin(dir)` (checks `--out` before the
//! run) → `Streams::open(publisher, …)` (events.jsonl and memberlist.log, written
//! while the run goes on a thread of their own, [`stream`]; with charts, the
//! spilled chart inputs too; with
//! `--outputs …,wire`, `write_wire`: wire.csv, [`wire`]) →
//! `batch::simulate::simulate_streaming` (the
//! engine run, the collector and the streams behind one observer) →
//! `streams.finish(publisher)` (the chart inputs, left in their scratch file
//! as `metrics.spilled`, which the charts read in passes, each checked
//! against the number of records written)
//! → `write_all_into(publisher, …)` for the other
//! files → print `human_summary(…)`. The [`Format::render`] writers of
//! events.jsonl and memberlist.log remain for in-memory use (tests, kept batch
//! runs) and produce the same bytes.

pub mod atomic;
pub mod charts;
pub mod compare_html;
pub mod csv;
mod direct;
pub mod events;
pub mod files;
pub mod html;
pub mod human;
pub mod log;
pub mod page;
pub mod publish;
pub mod stream;
pub mod summary;
pub mod summary_check;
pub mod wire;

#[cfg(test)]
mod tests;

use std::io;
use std::path::{Path, PathBuf};

use crate::chart::run::RunChart;
use crate::metrics::Metrics;
use crate::scenario::Scenario;

pub use atomic::{write_atomic, write_atomic_with};
pub use human::human_summary;
pub use log::Level;
pub use publish::{Content, Published, Publisher};
pub use summary::{summary, summary_json, Summary, STABLE_FIELDS};

/// One output file of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `summary.json`: machine-readable results with stable field names.
    Summary,
    /// `events.jsonl`: every truth change and the protocol events at `Level` and above.
    Events(Level),
    /// `memberlist.log`: log lines of the chosen observers at `Level` and above.
    MemberlistLog(Level),
    /// `timeseries.csv`: one row per bin.
    Timeseries,
    /// `chart-data.json`: the aggregated data the charts and report.html draw from.
    ChartData,
    /// `chart-<name>.svg` (`svg: true`) or `.png`.
    Chart { chart: RunChart, svg: bool },
    /// `report.html`: the self-contained report.
    ReportHtml,
}

impl Format {
    /// The files a run writes by default (events.jsonl and memberlist.log at
    /// Consul's INFO level).
    pub const ALL: [Format; 4] = [
        Format::Summary,
        Format::Events(Level::Info),
        Format::MemberlistLog(Level::Info),
        Format::Timeseries,
    ];

    /// [`Format::ALL`] plus `chart-data.json`, the charts that apply to this run
    /// (the detection CDFs need crashes) and `report.html`: what `flapsim run`
    /// writes unless `--no-charts`.
    pub fn with_charts(metrics: &Metrics) -> Vec<Format> {
        let crashes = metrics.crashes.iter().any(|c| c.at >= metrics.warmup);
        let mut v = Format::ALL.to_vec();
        v.push(Format::ChartData);
        for chart in RunChart::ALL {
            if chart != RunChart::Detection || crashes {
                v.push(Format::Chart { chart, svg: true });
                v.push(Format::Chart { chart, svg: false });
            }
        }
        v.push(Format::ReportHtml);
        v
    }

    pub fn file_name(self) -> &'static str {
        match self {
            Format::Summary => files::SUMMARY.name,
            Format::Events(_) => files::EVENTS.name,
            Format::MemberlistLog(_) => files::LOG.name,
            Format::Timeseries => files::TIMESERIES.name,
            Format::ChartData => files::CHART_DATA.name,
            Format::Chart { chart, svg } => chart.file_name(svg),
            Format::ReportHtml => files::REPORT.name,
        }
    }

    /// The file's bytes. Charts are drawn by in-memory backends with the bundled
    /// font, which have no failure mode in practice; a drawing error would be a
    /// defect of flapsim, reported as a panic naming the file.
    pub fn render(self, scenario: &Scenario, metrics: &Metrics) -> Vec<u8> {
        match self {
            Format::Summary => summary_json(scenario, metrics),
            Format::Events(level) => events::events_jsonl(scenario, metrics, level),
            Format::MemberlistLog(level) => log::memberlist_log(scenario, metrics, level),
            Format::Timeseries => csv::timeseries_csv(scenario, metrics),
            Format::ChartData => charts::run_chart_data_json(scenario, metrics),
            Format::Chart { chart, svg } => {
                let data = charts::run_chart_data_parsed(scenario, metrics);
                let bytes = if svg {
                    chart.svg(&data).map(String::into_bytes)
                } else {
                    chart.png(&data)
                };
                bytes.unwrap_or_else(|e| panic!("{}: {e}", self.file_name()))
            }
            Format::ReportHtml => {
                let all = Format::with_charts(metrics);
                let files: Vec<&str> = all.iter().map(|f| f.file_name()).collect();
                report_html(scenario, metrics, &files)
            }
        }
    }
}

/// `report.html` of a set holding `files`.
fn report_html(scenario: &Scenario, metrics: &Metrics, files: &[&str]) -> Vec<u8> {
    let data = charts::run_chart_data_parsed(scenario, metrics);
    page::run_report_html(&summary_json(scenario, metrics), &data, files)
        .unwrap_or_else(|e| panic!("report.html: {e}"))
        .into_bytes()
}

/// Publish `formats` into `dir` (created if missing) as one set: the directory
/// holds the previous set or this one, never a mix ([`publish`]). Returns the
/// paths written (`summary.json` last when present).
pub fn write_all(
    dir: &Path,
    formats: &[Format],
    scenario: &Scenario,
    metrics: &Metrics,
) -> io::Result<Vec<PathBuf>> {
    let publisher = Publisher::begin(dir, Default::default())?;
    Ok(write_all_into(publisher, formats, scenario, metrics)?.paths)
}

/// [`write_all`] through a publisher begun earlier (so `--out` was checked before
/// the run, and SIGINT/SIGTERM can stop the publication).
pub fn write_all_into(
    mut publisher: Publisher,
    formats: &[Format],
    scenario: &Scenario,
    metrics: &Metrics,
) -> io::Result<Published> {
    let mut ordered: Vec<Format> = formats
        .iter()
        .copied()
        .filter(|f| *f != Format::Summary)
        .collect();
    if formats.contains(&Format::Summary) {
        ordered.push(Format::Summary);
    }
    // Files streamed during the run (events.jsonl, memberlist.log) are in the
    // set already; report.html lists them with the formats rendered here.
    let mut set: Vec<&str> = formats.iter().map(|f| f.file_name()).collect();
    let streamed: Vec<String> = publisher.names().to_vec();
    set.extend(streamed.iter().map(String::as_str));
    for f in ordered {
        let bytes = match f {
            Format::ReportHtml => report_html(scenario, metrics, &set),
            _ => f.render(scenario, metrics),
        };
        publisher.add(f.file_name(), Content::Bytes(bytes))?;
    }
    // A pass over spilled records that failed drew from part of them: publish
    // nothing rather than charts that silently miss records.
    if let Some(why) = metrics.spill_failure() {
        return Err(io::Error::new(io::ErrorKind::InvalidData, why.to_string()));
    }
    publisher.commit()
}
