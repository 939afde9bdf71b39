//! `flapsim run --outputs …` and `--events …`: which files a run publishes, and at
//! which level `events.jsonl` is written.
//!
//! Why `summary` cannot be left out: it is published last and is the output set's
//! completeness marker (tools and `flapsim chart` read it), so a set without it
//! would look like an interrupted run. Asking to omit it is refused, not ignored.

use clap::ValueEnum;

use crate::metrics::Metrics;
use crate::report::stream::Streams;
use crate::report::{Format, Level};

use super::Failure;

/// One name accepted by `--outputs`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// summary.json (always written).
    Summary,
    /// timeseries.csv.
    Timeseries,
    /// events.jsonl.
    Events,
    /// memberlist.log.
    Log,
    /// chart-*.svg/png, chart-data.json and report.html.
    Charts,
    /// wire.csv: every message as it is sent and handled (large; only when listed).
    Wire,
}

/// `--events`: the lowest event level written to events.jsonl.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum EventsLevel {
    /// Truth changes and every event a reader looks for.
    #[default]
    Info,
    /// Also failed UDP pings, push/pull starts and degraded probes.
    Debug,
}

/// What a run publishes, checked from the flags before the run starts (so a
/// refused selection costs nothing).
pub struct Selection {
    outputs: Option<Vec<Output>>,
    /// False with `--no-charts`.
    charts: bool,
    level: Level,
}

impl Selection {
    /// The chosen outputs (`None`: all of them), minus the charts with
    /// `--no-charts`.
    pub fn new(
        outputs: Option<&[Output]>,
        no_charts: bool,
        events: EventsLevel,
    ) -> Result<Selection, Failure> {
        let selection = Selection {
            outputs: outputs.map(<[Output]>::to_vec),
            charts: !no_charts,
            level: match events {
                EventsLevel::Info => Level::Info,
                EventsLevel::Debug => Level::Debug,
            },
        };
        if !selection.chosen(Output::Summary) {
            return Err(Failure::bad_input(
                "--outputs must include summary: summary.json is written last and marks \
                 the output set complete, so it is always written \
                 (e.g. --outputs summary,timeseries)",
            ));
        }
        if events == EventsLevel::Debug && !selection.chosen(Output::Events) {
            return Err(Failure::bad_input(
                "--events debug has nothing to write: events is not in --outputs",
            ));
        }
        Ok(selection)
    }

    fn chosen(&self, o: Output) -> bool {
        self.outputs.as_ref().is_none_or(|list| list.contains(&o))
    }

    /// Whether `wire.csv` is written: only when `--outputs` lists it, as a sick
    /// run puts millions of messages on the wire.
    pub fn wire(&self) -> bool {
        self.outputs
            .as_ref()
            .is_some_and(|list| list.contains(&Output::Wire))
    }

    /// Whether the charts (and chart-data.json, report.html) are published.
    pub fn charts(&self) -> bool {
        self.charts && self.chosen(Output::Charts)
    }

    /// The chosen files that are written while the run goes (events.jsonl,
    /// memberlist.log): known before the run, unlike the charts.
    pub fn streamed(&self) -> Vec<Format> {
        self.filter(Format::ALL.to_vec())
            .into_iter()
            .filter(|f| Streams::streams(*f))
            .collect()
    }

    /// The formats to publish for this run (which charts apply depends on it).
    pub fn formats(&self, metrics: &Metrics) -> Vec<Format> {
        let all = if self.charts() {
            Format::with_charts(metrics)
        } else {
            Format::ALL.to_vec()
        };
        self.filter(all)
    }

    /// `all` with the unchosen outputs left out and the events level applied.
    fn filter(&self, all: Vec<Format>) -> Vec<Format> {
        all.into_iter()
            .filter_map(|f| match f {
                Format::Events(_) => self
                    .chosen(Output::Events)
                    .then_some(Format::Events(self.level)),
                Format::MemberlistLog(_) => self.chosen(Output::Log).then_some(f),
                Format::Timeseries => self.chosen(Output::Timeseries).then_some(f),
                Format::Summary | Format::ChartData | Format::Chart { .. } | Format::ReportHtml => {
                    Some(f)
                }
            })
            .collect()
    }
}
