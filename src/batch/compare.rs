//! Comparisons: one scenario, the same seeds, several configurations (presets or
//! named override sets) side by side. The compare front end of the batch runner.
//!
//! A comparison directory holds `manifest.json`, `results.csv`/`results.jsonl`
//! (one row per configuration × seed, like a sweep with one axis `config`),
//! `comparison.csv` (median and 95% interval per metric), `comparison.txt` (the
//! printed table), `chart-data.json` (the scenario text and each configuration's
//! effective parameters), the chart (`comparison.svg`/`.png`) and `report.html`.
//! Every file after the results is drawn from the files alone, so `flapsim chart
//! DIR` redraws them byte for byte.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::report::publish::{Content, Publisher};
use crate::report::summary::ProtocolJson;

use super::aggregate::{
    aggregate, human_spread, pareto, points_csv, PointStats, FLAPS_VS_DETECTION,
};
use super::compare_check::{check_csv, check_manifest, read_meta, read_rows, MAX_META_BYTES};
use super::plan::Plan;
use super::row::{csv_header, metric_index, Row, METRICS};
use super::store::{Manifest, Shard, MANIFEST, RESULTS_CSV, RESULTS_JSONL};

/// The comparison's data file; `flapsim chart DIR` dispatches on its `kind`.
pub const COMPARISON_JSON: &str = crate::report::files::CHART_DATA.name;
/// `kind` of a comparison directory's data file.
pub const KIND: &str = "comparison";
pub const COMPARISON_CSV: &str = "comparison.csv";
pub const COMPARISON_TXT: &str = "comparison.txt";
pub const REPORT_HTML: &str = crate::report::files::REPORT.name;
pub const CHART: &str = "comparison";

/// Metrics in the comparison table, in order.
pub const COMPARE_METRICS: &[&str] = &[
    "flaps_per_hour",
    "flaps_healthy_per_hour",
    "fp_total",
    "fp_healthy",
    "flap_episodes",
    "rejoin_p50_s",
    "detect_dead_p50_s",
    "detect_dead_p99_s",
    "msgs_per_node_s",
    "bytes_per_node_s",
];

/// One configuration as recorded for the report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConfigMeta {
    pub name: String,
    pub preset: String,
    /// Overrides on top of the preset (`--set` and the variant's fields).
    pub overrides: Vec<(String, String)>,
    /// Every effective protocol parameter.
    pub protocol: serde_json::Value,
}

/// `chart-data.json` of a comparison.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ComparisonMeta {
    /// Always [`KIND`].
    pub kind: String,
    pub scenario: String,
    pub description: String,
    /// The scenario file as given.
    pub scenario_file: String,
    pub scenario_text: String,
    pub nodes: usize,
    pub simulated: String,
    pub configs: Vec<ConfigMeta>,
}

impl ComparisonMeta {
    /// Describe `plan`'s configurations (resolved with the first seed).
    pub fn new(plan: &Plan, scenario_file: &str) -> Result<ComparisonMeta, String> {
        let mut configs = Vec::new();
        let mut first = None;
        for i in 0..plan.point_count() {
            let sc = plan
                .scenario(i * plan.seeds.len())
                .map_err(|e| e.to_string())?;
            configs.push(ConfigMeta {
                name: plan.value(i, 0).label.clone(),
                preset: sc.preset.clone(),
                overrides: plan.input(i).map_err(|e| e.to_string())?.sets,
                protocol: serde_json::to_value(ProtocolJson::new(&sc.protocol))
                    .map_err(|e| e.to_string())?,
            });
            first.get_or_insert(sc);
        }
        let sc = first.ok_or("no configurations")?;
        Ok(ComparisonMeta {
            kind: KIND.into(),
            scenario: sc.name.clone(),
            description: sc.description.clone(),
            scenario_file: scenario_file.to_string(),
            scenario_text: plan.input(0).map_err(|e| e.to_string())?.text,
            nodes: sc.nodes.len(),
            simulated: crate::units::format_duration(sc.duration),
            configs,
        })
    }
}

impl ComparisonMeta {
    /// `chart-data.json` as written: pretty JSON and a newline.
    pub fn to_json(&self) -> Result<Vec<u8>, String> {
        let mut bytes = serde_json::to_vec_pretty(self).map_err(|e| e.to_string())?;
        bytes.push(b'\n');
        Ok(bytes)
    }
}

/// Everything the table, chart and report are drawn from.
pub struct Comparison {
    pub manifest: Manifest,
    pub meta: ComparisonMeta,
    pub rows: Vec<Row>,
    pub stats: Vec<PointStats>,
}

impl Comparison {
    pub fn names(&self) -> Vec<String> {
        self.meta.configs.iter().map(|c| c.name.clone()).collect()
    }

    /// The side-by-side table: one row per metric, one column per configuration.
    pub fn table(&self) -> String {
        let m = &self.manifest;
        let mut rows: Vec<Vec<String>> = vec![std::iter::once("".to_string())
            .chain(self.names())
            .collect()];
        for metric in COMPARE_METRICS {
            let i = metric_index(metric).expect("known metric");
            let mut r = vec![METRICS[i].label.to_string()];
            r.extend(
                self.stats
                    .iter()
                    .map(|s| human_spread(s.metrics[i], s.runs)),
            );
            rows.push(r);
        }
        let width: Vec<usize> = (0..rows[0].len())
            .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
            .collect();
        let seeds = match (m.seeds.first(), m.seeds.last()) {
            (Some(a), Some(b)) if a != b => format!("seeds {a}..{b}"),
            (Some(a), _) => format!("seed {a}"),
            _ => String::new(),
        };
        let mut out = format!(
            "{}: {} x {} ({seeds}), {} nodes, {} simulated\nmedian [95% interval across seeds]{}\n\n",
            self.meta.scenario,
            crate::units::count(self.meta.configs.len(), "configuration"),
            crate::units::count(m.seeds.len(), "seed"),
            self.meta.nodes,
            self.meta.simulated,
            super::aggregate::partial_note(self.stats.as_slice(), COMPARE_METRICS)
        );
        for r in &rows {
            let cells: Vec<String> = r
                .iter()
                .enumerate()
                .map(|(c, s)| {
                    let pad = " ".repeat(width[c] - s.chars().count());
                    if c == 0 {
                        format!("{s}{pad}")
                    } else {
                        format!("{pad}{s}")
                    }
                })
                .collect();
            out.push_str(cells.join("   ").trim_end());
            out.push('\n');
        }
        let crashes = metric_index("crashes").expect("known metric");
        if self
            .stats
            .iter()
            .all(|s| s.metrics[crashes].is_none_or(|c| c.hi == 0.0))
        {
            out.push_str("\ndetection: the scenario has no crash in the measured window, so there is no detection latency (add `timeline: - {at: …, crash: …}`).\n");
        }
        out
    }
}

/// Publish a finished comparison into the set `p` was begun for: results
/// from `rows`, then everything drawn from those files as staged (as
/// `flapsim chart DIR` draws them), swapped in as one set. The caller begins
/// `p` before running anything, so an unusable `--out` is refused first and
/// nothing is ever written into a directory that is not flapsim's.
pub fn write(
    mut p: Publisher,
    plan: &Plan,
    meta: &ComparisonMeta,
    rows: &[Row],
) -> Result<Comparison, String> {
    let manifest = Manifest::new(plan, Shard::WHOLE);
    let mut csv = csv_header(&plan.axes);
    let mut jsonl = String::new();
    for r in rows {
        let vals = plan.values(r.point);
        csv.push_str(&r.csv_line(&vals));
        jsonl.push_str(&r.json_line(&plan.axes, &vals));
    }
    let meta_bytes = meta.to_json()?;
    let files = [
        (RESULTS_CSV, csv.into_bytes()),
        (RESULTS_JSONL, jsonl.into_bytes()),
        (COMPARISON_JSON, meta_bytes),
        (MANIFEST, manifest.bytes()),
    ];
    for (name, bytes) in files {
        p.add(name, Content::Bytes(bytes))
            .map_err(|e| e.to_string())?;
    }
    let (c, drawn) = draw(read(p.staged())?)?;
    for (name, bytes) in drawn {
        p.add(&name, Content::Bytes(bytes))
            .map_err(|e| e.to_string())?;
    }
    p.commit().map_err(|e| e.to_string())?;
    Ok(c)
}

/// Read a comparison directory back, refusing anything `flapsim compare`
/// could not have written ([`super::compare_check`]): each file on its own,
/// and the three against each other.
pub fn read(dir: &Path) -> Result<Comparison, String> {
    let manifest = Manifest::read(dir)?
        .ok_or_else(|| format!("{}: no {MANIFEST}", crate::quote::path(dir)))?;
    check_manifest(&dir.join(MANIFEST), &manifest)?;
    let path = dir.join(COMPARISON_JSON);
    let shown = crate::quote::path(&path);
    // A regular file's size is true: a huge one is refused before it is read.
    let len = std::fs::metadata(&path)
        .map_err(|e| format!("{shown}: {e}"))?
        .len();
    if len > MAX_META_BYTES {
        return Err(format!(
            "{shown}: {len} bytes is more than the {MAX_META_BYTES} a chart data file can be"
        ));
    }
    let bytes = super::store::read_regular(&path).map_err(|e| format!("{shown}: {e}"))?;
    let (meta, windows) = read_meta(&path, &bytes, &manifest)?;
    let rows = read_rows(dir, &manifest, &windows)?;
    check_csv(dir, &manifest, &rows)?;
    let stats = aggregate(manifest.points.len(), &rows);
    Ok(Comparison {
        manifest,
        meta,
        rows,
        stats,
    })
}

/// Every configuration's label on each axis (a comparison has a handful).
fn labels(m: &Manifest) -> Vec<Vec<String>> {
    (0..m.points.len())
        .map(|p| {
            (0..m.axes.len())
                .map(|a| m.points.label(p, a).to_string())
                .collect()
        })
        .collect()
}

/// (Re)draw everything derived from a comparison's files: `comparison.csv`,
/// `comparison.txt`, the chart and `report.html`, republished with the
/// directory's other files as one set. Returns the comparison.
pub fn redraw(dir: &Path) -> Result<Comparison, String> {
    let (c, drawn) = draw(read(dir)?)?;
    crate::report::publish::republish(dir, drawn, Default::default()).map_err(|e| e.to_string())?;
    Ok(c)
}

/// Everything derived from a comparison (as [`read`] gives it back), as
/// (file name, bytes).
pub fn draw(c: Comparison) -> Result<(Comparison, crate::report::publish::Drawn), String> {
    let front = pareto(c.stats.as_slice(), FLAPS_VS_DETECTION);
    let chart = crate::chart::render(&crate::chart::compare::comparison_chart(&c))
        .map_err(|e| e.to_string())?;
    let html = crate::report::compare_html::page(&c, &chart.svg);
    let drawn = vec![
        (
            COMPARISON_CSV.to_string(),
            points_csv(&c.manifest.axes, &labels(&c.manifest), &c.stats, &front).into_bytes(),
        ),
        (COMPARISON_TXT.to_string(), c.table().into_bytes()),
        (format!("{CHART}.svg"), chart.svg.into_bytes()),
        (format!("{CHART}.png"), chart.png),
        (REPORT_HTML.to_string(), html.into_bytes()),
    ];
    Ok((c, drawn))
}
