//! The per-run charts, drawn from [`RunChartData`] alone.
//!
//! `flapsim run` builds a [`RunChartData`] from its metrics (`report::charts`),
//! writes it as `chart-data.json`, and draws every chart from the *parsed* file;
//! `flapsim chart DIR` parses the same file and draws again. So a chart is a pure
//! function of a file in the output set, and the redraw is byte-identical.
//!
//! The data is already aggregated to what a picture can show (time buckets, at
//! most [`MAX_ROWS`] timeline rows, the top accusers): its size does not grow
//! with the run's length or event count, only (mildly) with the cluster.

mod figures;
pub mod json_path;
pub mod plausible;
mod timeline;

use serde::{Deserialize, Serialize};

pub use figures::{
    accusations_figure, accusations_figure_of, blame_figure, blame_figure_of, detection_figure,
    flap_rate_figure,
};
pub use timeline::TimelineChart;

use super::{render, ChartError, Frame, Rendered};

/// Value of [`RunChartData::kind`] (a comparison directory says `comparison`).
pub const KIND_RUN: &str = "run";
/// Format version of `chart-data.json`.
pub const VERSION: u32 = 1;
/// Timeline rows at most; larger clusters are grouped into bands.
pub const MAX_ROWS: usize = 60;
/// Timeline columns (the plot is ~950 px wide: 2–3 px per column).
pub const TIMELINE_COLUMNS: usize = 400;
/// Nodes in the accusation heatmap, on each axis.
pub const MAX_HEATMAP_NODES: usize = 40;
/// Timeline actions marked on the time axes.
pub const MAX_MARKS: usize = 12;
/// Flap-rate buckets at most (1-minute buckets up to ~5 h runs).
pub const MAX_FLAP_BUCKETS: usize = 300;
/// Faulty hosts drawn under the flap rate.
pub const MAX_HOSTS: usize = 4;
/// Bars in the blame chart.
pub const MAX_BLAME_BARS: usize = 20;

/// Everything the run's charts and report draw from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunChartData {
    /// `run`.
    pub kind: String,
    pub version: u32,
    pub scenario: String,
    pub description: String,
    pub preset: String,
    pub seed: u64,
    pub nodes: usize,
    pub end_min: f64,
    pub warmup_min: f64,
    /// Timeline actions (crash, restart, …) to mark on time axes.
    pub marks: Vec<Mark>,
    pub timeline: TimelineData,
    pub flap_rate: FlapRateData,
    pub accusations: AccusationData,
    /// Top nodes of the blame table, in its order.
    pub blame: Vec<BlameBar>,
    /// Present when real crashes happened in the measured window.
    pub detection: Option<DetectionData>,
    /// The scenario file as given (or rendered, for scenarios built in code).
    pub scenario_text: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Mark {
    pub t_min: f64,
    pub label: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimelineData {
    /// Column width in minutes.
    pub column_min: f64,
    pub columns: usize,
    pub rows: Vec<TimelineRow>,
    /// Nodes grouped into bands (0 when every node has its own row).
    pub banded_nodes: usize,
}

/// One timeline row: a node, or a band of nodes (shares are band means).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimelineRow {
    pub label: String,
    pub members: usize,
    /// A fault touched this node during the run.
    pub faulty: bool,
    /// Serf flaps of the row's node(s) as subject (measured window).
    pub flaps: u64,
    /// Percent of up observers holding it suspect, per column, run-length coded
    /// (see [`rle_encode`]).
    pub suspect: String,
    pub dead: String,
    /// Percent of the column the node(s) were not running.
    pub down: String,
    /// Start times (min) of flap episodes about the row's node(s), at most
    /// [`MAX_EPISODE_MARKS`].
    pub episodes_min: Vec<f64>,
    pub episodes_total: usize,
}

/// Flap-episode marks kept per row.
pub const MAX_EPISODE_MARKS: usize = 200;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FlapRateData {
    pub bucket_min: f64,
    /// Bucket start times (min).
    pub t_min: Vec<f64>,
    /// Flaps per minute whose subject was healthy / faulty (or down) when declared.
    pub healthy_per_min: Vec<f64>,
    pub faulty_per_min: Vec<f64>,
    /// Faulty hosts (at most a few), most suspicions raised first.
    pub hosts: Vec<HostSeries>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HostSeries {
    pub node: String,
    /// Mean CPU credit balance per bucket (null: no credit model or no sample).
    pub credits: Vec<Option<f64>>,
    /// Mean share of time parked by the CPU cap, percent (null: no sample).
    pub parked_pct: Vec<Option<f64>>,
    /// Highest Lifeguard local-health score per bucket.
    pub health: Vec<u32>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccusationData {
    /// Accusers, most suspicions raised first.
    pub rows: Vec<String>,
    /// Suspicions each row's node raised in all (not only against `cols`).
    pub row_totals: Vec<u64>,
    /// Accused: the same nodes in the same order when every node involved fits,
    /// else the most accused.
    pub cols: Vec<String>,
    /// `counts[row][col]`.
    pub counts: Vec<Vec<u64>>,
    /// Nodes involved in any accusation.
    pub involved: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BlameBar {
    pub node: String,
    pub suspicions_raised: u64,
    pub refutations_naming: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DetectionData {
    pub crashes: usize,
    /// Latencies (s) of each crash that got there, ascending.
    pub first_suspect_s: Vec<f64>,
    pub first_dead_s: Vec<f64>,
    pub full_dissemination_s: Vec<f64>,
}

/// Why a `chart-data.json` is refused: where it is wrong (when the text
/// can be followed there) and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataError {
    /// 1-based line and column of the value, when found.
    pub position: Option<(usize, usize)>,
    /// JSON path of the field (`timeline.rows[3].episodes_min[0]`); empty
    /// when the text is not JSON that far.
    pub field: String,
    pub message: String,
}

impl DataError {
    /// The refusal of `field` in `text`, placed at its value.
    pub(crate) fn at_field(text: &[u8], field: &str, message: String) -> DataError {
        DataError {
            position: json_path::position_of(text, field),
            field: field.to_string(),
            message,
        }
    }

    /// serde's error, named by the field at its position.
    pub(crate) fn from_serde(text: &[u8], e: &serde_json::Error) -> DataError {
        let whole = e.to_string();
        let position = (e.line() > 0).then(|| (e.line(), e.column()));
        let message = match whole.rfind(" at line ") {
            Some(i) if position.is_some() => whole[..i].to_string(),
            _ => whole,
        };
        let field = position
            .and_then(|(line, column)| json_path::offset_of(text, line, column))
            // serde's column is that of the last character it read: the end
            // of the refused value, or the `}` of an object missing a field.
            .and_then(|offset| json_path::path_at(text, offset))
            .unwrap_or_default();
        DataError {
            position,
            field,
            message: crate::quote::shorten_quoted(&message),
        }
    }

    /// `FILE:LINE:COLUMN: FIELD: MESSAGE`, the shape editors jump to.
    pub fn in_file(&self, file: &std::path::Path) -> String {
        format!("{}{self}", crate::quote::path(file))
    }
}

impl std::fmt::Display for DataError {
    /// `:LINE:COLUMN: FIELD: MESSAGE`, to follow the file's name.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some((line, column)) = self.position {
            write!(f, ":{line}:{column}")?;
        }
        if !self.field.is_empty() {
            write!(f, ": {}", self.field)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for DataError {}

impl RunChartData {
    pub fn to_json(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec(self).expect("chart data serializes");
        v.push(b'\n');
        v
    }

    /// Parse `chart-data.json`, refusing anything a run could not have
    /// written ([`plausible::check`]); errors name the field and its line.
    pub fn from_json(bytes: &[u8]) -> Result<RunChartData, DataError> {
        let d: RunChartData =
            serde_json::from_slice(bytes).map_err(|e| DataError::from_serde(bytes, &e))?;
        if d.kind != KIND_RUN {
            return Err(DataError::at_field(
                bytes,
                "kind",
                format!("`{}`, expected `{KIND_RUN}`", crate::quote::short(&d.kind)),
            ));
        }
        if d.version != VERSION {
            return Err(DataError::at_field(
                bytes,
                "version",
                format!(
                    "{} (this flapsim reads version {VERSION}); rerun the scenario",
                    d.version
                ),
            ));
        }
        plausible::check(&d).map_err(|r| DataError::at_field(bytes, &r.field, r.message))?;
        Ok(d)
    }

    /// `scenario · preset P · seed N`.
    pub fn subtitle(&self) -> String {
        Frame::run_subtitle(&self.scenario, &self.preset, self.seed, "")
    }
}

/// The charts of a run, in report order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum RunChart {
    Timeline,
    FlapRate,
    Accusations,
    Blame,
    Detection,
}

impl RunChart {
    pub const ALL: [RunChart; 5] = [
        RunChart::Timeline,
        RunChart::FlapRate,
        RunChart::Accusations,
        RunChart::Blame,
        RunChart::Detection,
    ];

    /// File stem (`.svg` / `.png` follow).
    pub fn stem(self) -> &'static str {
        match self {
            RunChart::Timeline => "chart-timeline",
            RunChart::FlapRate => "chart-flap-rate",
            RunChart::Accusations => "chart-accusations",
            RunChart::Blame => "chart-blame",
            RunChart::Detection => "chart-detection",
        }
    }

    /// File name of the chart in `svg` or PNG form.
    pub fn file_name(self, svg: bool) -> &'static str {
        match (self, svg) {
            (RunChart::Timeline, true) => "chart-timeline.svg",
            (RunChart::Timeline, false) => "chart-timeline.png",
            (RunChart::FlapRate, true) => "chart-flap-rate.svg",
            (RunChart::FlapRate, false) => "chart-flap-rate.png",
            (RunChart::Accusations, true) => "chart-accusations.svg",
            (RunChart::Accusations, false) => "chart-accusations.png",
            (RunChart::Blame, true) => "chart-blame.svg",
            (RunChart::Blame, false) => "chart-blame.png",
            (RunChart::Detection, true) => "chart-detection.svg",
            (RunChart::Detection, false) => "chart-detection.png",
        }
    }

    /// One line saying what the chart shows (figure captions).
    pub fn caption(self) -> &'static str {
        match self {
            RunChart::Timeline => "Cluster timeline: per node, the share of observers holding it suspect or dead; triangles mark flap episodes; nodes a fault touched are labelled (faulty).",
            RunChart::FlapRate => "Flaps per minute about healthy and faulty subjects; beneath, each faulty host's CPU and its Lifeguard local-health score on the same time axis.",
            RunChart::Accusations => "Suspicions raised, accuser × accused: the culprit's row spans many columns and has the largest total (in its label); its column shows the others suspecting it in turn, usually rightly.",
            RunChart::Blame => "Suspicions raised by each node and refutations naming it as the accuser (top 20).",
            RunChart::Detection => "Detection of real crashes: cumulative share of crashes detected within a latency.",
        }
    }

    /// Whether this run has the chart (detection needs crashes).
    pub fn applies(self, d: &RunChartData) -> bool {
        match self {
            RunChart::Detection => d.detection.is_some(),
            _ => true,
        }
    }

    /// Draw this chart of `d` in both formats.
    pub fn render(self, d: &RunChartData) -> Result<Rendered, ChartError> {
        match self {
            RunChart::Timeline => render(&TimelineChart::new(d)),
            RunChart::FlapRate => render(&flap_rate_figure(d)),
            RunChart::Accusations => render(&accusations_figure(d)),
            RunChart::Blame => render(&blame_figure(d)),
            RunChart::Detection => render(&detection_figure(d)),
        }
    }

    /// Pixel size of this chart of `d` (the PNG's size).
    pub fn size(self, d: &RunChartData) -> (u32, u32) {
        use super::Chart;
        match self {
            RunChart::Timeline => TimelineChart::new(d).size(),
            RunChart::FlapRate => flap_rate_figure(d).size,
            RunChart::Accusations => accusations_figure(d).size,
            RunChart::Blame => blame_figure(d).size,
            RunChart::Detection => detection_figure(d).size,
        }
    }

    /// SVG only (for the HTML report and byte-for-byte checks).
    pub fn svg(self, d: &RunChartData) -> Result<String, ChartError> {
        match self {
            RunChart::Timeline => super::to_svg(&TimelineChart::new(d)),
            RunChart::FlapRate => super::to_svg(&flap_rate_figure(d)),
            RunChart::Accusations => super::to_svg(&accusations_figure(d)),
            RunChart::Blame => super::to_svg(&blame_figure(d)),
            RunChart::Detection => super::to_svg(&detection_figure(d)),
        }
    }

    /// PNG only.
    pub fn png(self, d: &RunChartData) -> Result<Vec<u8>, ChartError> {
        match self {
            RunChart::Timeline => super::to_png(&TimelineChart::new(d)),
            RunChart::FlapRate => super::to_png(&flap_rate_figure(d)),
            RunChart::Accusations => super::to_png(&accusations_figure(d)),
            RunChart::Blame => super::to_png(&blame_figure(d)),
            RunChart::Detection => super::to_png(&detection_figure(d)),
        }
    }
}

/// Run-length code percentages: `0*120 35 40*3` = 120 zeros, 35, then 40 three
/// times. Timeline rows are mostly zero (alive), so this keeps the file small.
pub fn rle_encode(values: &[u8]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < values.len() {
        let v = values[i];
        let mut k = 1;
        while i + k < values.len() && values[i + k] == v {
            k += 1;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        if k > 1 {
            out.push_str(&format!("{v}*{k}"));
        } else {
            out.push_str(&v.to_string());
        }
        i += k;
    }
    out
}

/// Decode [`rle_encode`] into exactly `len` values (missing values are 0, extra
/// ones ignored: a damaged file draws wrong, never panics or allocates without
/// bound).
pub fn rle_decode(text: &str, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    for tok in text.split_ascii_whitespace() {
        if out.len() >= len {
            break;
        }
        let (v, k) = match tok.split_once('*') {
            Some((v, k)) => (
                v.parse::<u8>().unwrap_or(0),
                k.parse::<usize>().unwrap_or(1),
            ),
            None => (tok.parse::<u8>().unwrap_or(0), 1),
        };
        let k = k.min(len - out.len());
        out.extend(std::iter::repeat_n(v, k));
    }
    out.resize(len, 0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rle_round_trips_and_is_bounded() {
        let v = vec![0, 0, 0, 5, 7, 7, 100, 0];
        let s = rle_encode(&v);
        assert_eq!(s, "0*3 5 7*2 100 0");
        assert_eq!(rle_decode(&s, v.len()), v);
        assert_eq!(rle_decode("1*999999999999", 4), vec![1; 4]);
        assert_eq!(rle_decode("junk 3", 3), vec![0, 3, 0]);
    }
}
