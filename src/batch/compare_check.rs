//! What `flapsim compare` could have written to a comparison directory,
//! checked file by file and against each other.
//!
//! Why: `flapsim chart DIR` redraws a comparison's table, chart and report
//! from `manifest.json`, `chart-data.json` and `results.jsonl`, and a user
//! may edit, truncate or swap any of them. A metric of 1e308 or -5, a row
//! naming a configuration the manifest lacks, configurations renamed or
//! reordered in one file only, a manifest of another comparison, a 100 KB
//! scenario name, or a million protocol keys (6 s and 700 MB) were drawn and
//! the command exited 0. Every rule here restates how `batch::compare` and
//! `batch::row` write the files, so a comparison's own directory passes
//! (`flapsim compare` reads its staged files through these checks before
//! publishing them), and anything else is refused naming the file, the line
//! and the field, in the run side's style ([`crate::chart::run::plausible`],
//! located by [`crate::chart::run::json_path`]).

use std::path::Path;

use serde_json::Value as Json;

use super::compare::ComparisonMeta;
use super::lines::{LineError, Lines};
use super::row::{
    csv_header, csv_split, metric_index, rate_as_written, AxisValue, Row, METRICS, RATES,
};
use super::store::{Manifest, RESULTS_CSV, RESULTS_JSONL};
use crate::chart::run::json_path;
use crate::chart::run::plausible::{MAX_HEALTH, MAX_NAME_BYTES, MAX_NODES};
use crate::chart::run::DataError;
use crate::quote;
use crate::scenario::RunWindow;
use crate::units::format_duration;

/// The one axis of a comparison's manifest.
pub const CONFIG_AXIS: &str = "config";

/// The longest configuration name `flapsim compare` takes (a preset's name,
/// or a `--variant NAME:`): it labels bars, table columns and CSV cells.
pub const MAX_CONFIG_NAME_BYTES: usize = MAX_NAME_BYTES;

/// The most overrides (`--set` and a variant's fields) one configuration has.
pub const MAX_OVERRIDES: usize = 1000;

/// Largest `chart-data.json` of a comparison read (a comparison's is a few KB
/// per configuration).
pub const MAX_META_BYTES: u64 = crate::cli::chart::MAX_DATA_BYTES;

/// Counts are whole numbers a `f64` holds exactly.
const MAX_COUNT: f64 = 9_007_199_254_740_992.0;

/// Metrics that count something (whole numbers).
const COUNTS: &[&str] = &[
    "flaps",
    "flaps_healthy",
    "flap_episodes",
    "fp_total",
    "fp_healthy",
    "fp_both_healthy",
    "declarations",
    "suspicions",
    "refutations",
    "crashes",
    "not_disseminated",
    "health_max",
    "events",
];

/// Metrics in seconds of the run (at most its length), `null` without a sample.
const LATENCIES: &[&str] = &[
    "rejoin_p50_s",
    "rejoin_p99_s",
    "detect_suspect_p50_s",
    "detect_dead_p50_s",
    "detect_dead_p99_s",
    "detect_full_p50_s",
    "detect_full_p99_s",
];

/// (part, whole): a run counts the first among the second.
const SUBSETS: &[(&str, &str)] = &[
    ("flaps_healthy", "flaps"),
    ("fp_healthy", "fp_total"),
    ("not_disseminated", "crashes"),
];

/// (median, 99th percentile) of one sample.
const QUANTILES: &[(&str, &str)] = &[
    ("rejoin_p50_s", "rejoin_p99_s"),
    ("detect_dead_p50_s", "detect_dead_p99_s"),
    ("detect_full_p50_s", "detect_full_p99_s"),
];

/// A field no comparison writes, and why (placed by the caller).
struct Refusal {
    field: String,
    message: String,
}

fn refuse(field: impl Into<String>, message: impl Into<String>) -> Refusal {
    Refusal {
        field: field.into(),
        message: message.into(),
    }
}

/// `manifest.json` of a comparison: one axis, `config`, whole (not a shard),
/// no conditions. A sweep's manifest put beside a comparison's files is
/// refused here rather than drawn as one.
pub fn check_manifest(path: &Path, m: &Manifest) -> Result<(), String> {
    let wrong = |field: &str, what: String| {
        Err(format!(
            "{}: {field}: {what}, not a comparison's (written by `flapsim compare`)",
            quote::path(path)
        ))
    };
    if m.axes != [CONFIG_AXIS] {
        let axes: Vec<String> = m.axes.iter().map(|a| quote::short(a).to_string()).collect();
        return wrong("axes", format!("[{}]", axes.join(", ")));
    }
    if m.shard.is_some() {
        return wrong("shard", "a shard".into());
    }
    if !m.conditions.is_empty() {
        return wrong("conditions", format!("{} conditions", m.conditions.len()));
    }
    Ok(())
}

/// Parse and check a comparison's `chart-data.json` (`bytes`, read from
/// `path`) against its manifest; errors are `FILE:LINE:COL: FIELD: why`.
/// Returns it with each configuration's run window (its scenario under its
/// overrides), which its result rows' rates are checked against.
pub fn read_meta(
    path: &Path,
    bytes: &[u8],
    m: &Manifest,
) -> Result<(ComparisonMeta, Vec<RunWindow>), String> {
    let meta: ComparisonMeta = serde_json::from_slice(bytes)
        .map_err(|e| DataError::from_serde(bytes, &e).in_file(path))?;
    let windows = check_meta(&meta, m)
        .map_err(|r| DataError::at_field(bytes, &r.field, r.message).in_file(path))?;
    Ok((meta, windows))
}

fn too_long(text: &str, max: usize) -> Option<String> {
    (text.len() > max).then(|| {
        format!(
            "`{}` is {} bytes, longer than the {max} flapsim writes here",
            quote::short(text),
            text.len()
        )
    })
}

fn check_meta(meta: &ComparisonMeta, m: &Manifest) -> Result<Vec<RunWindow>, Refusal> {
    if meta.kind != super::compare::KIND {
        return Err(refuse(
            "kind",
            format!(
                "`{}`, expected `{}`",
                quote::short(&meta.kind),
                super::compare::KIND
            ),
        ));
    }
    if let Some(e) = too_long(&meta.scenario, MAX_NAME_BYTES) {
        return Err(refuse("scenario", e));
    }
    if m.sweep != format!("{}-compare", meta.scenario) {
        return Err(refuse(
            "scenario",
            format!(
                "`{}`, but manifest.json is of `{}` (files of another comparison?)",
                quote::short(&meta.scenario),
                quote::short(&m.sweep)
            ),
        ));
    }
    if !(1..=MAX_NODES).contains(&meta.nodes) {
        return Err(refuse(
            "nodes",
            format!("{} is outside 1..={MAX_NODES}", meta.nodes),
        ));
    }
    simulated_s(meta).map_err(|e| refuse("simulated", e))?;
    if meta.configs.len() != m.points.len() {
        return Err(refuse(
            "configs",
            format!(
                "{} configurations, but manifest.json has {} (files of another comparison?)",
                meta.configs.len(),
                m.points.len()
            ),
        ));
    }
    let keys = protocol_keys();
    for (i, c) in meta.configs.iter().enumerate() {
        let at = |field: &str| format!("configs[{i}].{field}");
        if let Some(e) = too_long(&c.name, MAX_CONFIG_NAME_BYTES) {
            return Err(refuse(at("name"), e));
        }
        let label = m.points.label(i, 0);
        if c.name != label || *m.points.value(i, 0) != Json::String(c.name.clone()) {
            return Err(refuse(
                at("name"),
                format!(
                    "`{}`, but manifest.json's configuration {i} is `{}`",
                    quote::short(&c.name),
                    quote::short(label)
                ),
            ));
        }
        if meta.configs[..i].iter().any(|o| o.name == c.name) {
            return Err(refuse(
                at("name"),
                format!("`{}` is given twice", quote::short(&c.name)),
            ));
        }
        if !crate::protocol::config::PRESETS.contains(&c.preset.as_str()) {
            return Err(refuse(
                at("preset"),
                format!(
                    "`{}` is not a preset ({})",
                    quote::short(&c.preset),
                    crate::protocol::config::PRESETS.join(", ")
                ),
            ));
        }
        if c.overrides.len() > MAX_OVERRIDES {
            return Err(refuse(
                at("overrides"),
                format!(
                    "{} overrides, more than the {MAX_OVERRIDES} flapsim compare takes",
                    c.overrides.len()
                ),
            ));
        }
        check_protocol(&c.protocol, &keys).map_err(|(field, e)| {
            refuse(
                if field.is_empty() {
                    at("protocol")
                } else {
                    at(&format!("protocol.{field}"))
                },
                e,
            )
        })?;
    }
    let windows = run_windows(meta)?;
    // `simulated` is the first configuration's length (`ComparisonMeta::new`).
    if let Some(first) = windows.first() {
        if format_duration(first.duration) != meta.simulated {
            return Err(refuse(
                "simulated",
                format!(
                    "`{}`, but scenario_text with configs[0]'s overrides runs {}",
                    quote::short(&meta.simulated),
                    format_duration(first.duration)
                ),
            ));
        }
    }
    Ok(windows)
}

/// Each configuration's run window: the scenario as compare ran it
/// (`scenario_text`) under the configuration's overrides (`--set
/// duration=…` among them), by the rules a run resolves them with.
fn run_windows(meta: &ComparisonMeta) -> Result<Vec<RunWindow>, Refusal> {
    let sets: Vec<&[(String, String)]> = (meta.configs.iter())
        .map(|c| c.overrides.as_slice())
        .collect();
    let windows = crate::scenario::run_windows(&meta.scenario_text, "scenario_text", &sets)
        .map_err(|e| refuse("scenario_text", format!("not the scenario a run read: {e}")))?;
    (windows.into_iter().enumerate())
        .map(|(i, w)| {
            w.map_err(|e| {
                refuse(
                    format!("configs[{i}].overrides"),
                    format!("not overrides a run of scenario_text takes: {e}"),
                )
            })
        })
        .collect()
}

/// The run's length in seconds, from `simulated` as `compare` writes it.
fn simulated_s(meta: &ComparisonMeta) -> Result<f64, String> {
    let ns = crate::units::parse_duration(&meta.simulated)
        .map_err(|_| format!("`{}` is not a duration", quote::short(&meta.simulated)))?;
    if ns == 0 || crate::units::format_duration(ns) != meta.simulated {
        return Err(format!(
            "`{}` is not a run's length as flapsim writes it",
            quote::short(&meta.simulated)
        ));
    }
    Ok(ns as f64 / 1e9)
}

/// Every effective protocol parameter's name, in the order a run lists them.
fn protocol_keys() -> Vec<String> {
    crate::protocol::config::Config::preset(crate::protocol::config::PRESETS[0])
        .expect("a listed preset")
        .effective()
        .into_iter()
        .map(|(k, _)| k)
        .collect()
}

/// An object of exactly the effective parameters, each a short scalar.
fn check_protocol(p: &Json, keys: &[String]) -> Result<(), (String, String)> {
    let Some(o) = p.as_object() else {
        return Err((String::new(), "not an object of protocol parameters".into()));
    };
    if let Some(k) = o.keys().find(|k| !keys.contains(k)) {
        return Err((
            String::new(),
            format!("`{}` is not a protocol parameter", quote::short(k)),
        ));
    }
    if let Some(k) = keys.iter().find(|k| !o.contains_key(*k)) {
        return Err((String::new(), format!("`{k}` is missing")));
    }
    for (k, v) in o {
        let bad = match v {
            Json::Array(_) | Json::Object(_) => Some("a list or object, not a value".to_string()),
            Json::String(s) => too_long(s, MAX_NAME_BYTES),
            _ => None,
        };
        if let Some(e) = bad {
            return Err((k.clone(), e));
        }
    }
    Ok(())
}

/// Read `results.jsonl` as `compare` writes it: one row per run, in order,
/// each line exactly as [`Row::json_line`] writes that row, its metrics
/// within what a run measures and its rates what its counts make them over
/// its configuration's window (`windows`, from [`read_meta`]). Errors are
/// `FILE:LINE[:COL]: FIELD: why`.
pub fn read_rows(dir: &Path, m: &Manifest, windows: &[RunWindow]) -> Result<Vec<Row>, String> {
    let path = dir.join(RESULTS_JSONL);
    let shown = quote::path(&path);
    let mut lines = Lines::open(&path, m.line_cap()).map_err(|e| format!("{shown}: {e}"))?;
    let mut rows = Vec::new();
    while let Some(l) = lines.next_line().map_err(LineError::message)? {
        let n = rows.len() + 1;
        let at = |field: &str, message: String| locate(&shown, n, l, field, message);
        let text = std::str::from_utf8(l).ok();
        let row = text
            .and_then(Row::parse_json)
            .ok_or_else(|| format!("{shown}:{n}: not a result row"))?;
        if rows.len() == m.runs {
            return Err(format!(
                "{shown}:{n}: more rows than the manifest's {} runs",
                m.runs
            ));
        }
        m.check_row(&row, rows.len())
            .map_err(|e| format!("{shown}:{n}: {e}"))?;
        let window = windows
            .get(row.point)
            .ok_or_else(|| format!("{shown}:{n}: point: no configuration {}", row.point))?;
        check_metrics(&row, window).map_err(|r| at(&r.field, r.message))?;
        check_rates(&row, window).map_err(|r| at(&r.field, r.message))?;
        let values = [config_value(m, row.point)];
        let canonical = row.json_line(&m.axes, &values);
        if canonical.trim_end_matches('\n').as_bytes() != l {
            let (field, message) = first_difference(l, canonical.as_bytes());
            return Err(at(&field, message));
        }
        rows.push(row);
    }
    if lines.torn() {
        return Err(format!(
            "{shown}:{}: a row without its newline (a file cut short?)",
            rows.len() + 1
        ));
    }
    if rows.len() != m.runs {
        return Err(format!(
            "{shown}: {} of the manifest's {} runs (a file cut short, or of another comparison?)",
            rows.len(),
            m.runs
        ));
    }
    Ok(rows)
}

/// `FILE:LINE[:COL]: FIELD: message` for `field` of `line`, line `n` of the
/// file shown as `shown` (the column where the line has the field).
fn locate(shown: &str, n: usize, line: &[u8], field: &str, message: String) -> String {
    match json_path::position_of(line, field) {
        Some((_, col)) => format!("{shown}:{n}:{col}: {field}: {message}"),
        None if field.is_empty() => format!("{shown}:{n}: {message}"),
        None => format!("{shown}:{n}: {field}: {message}"),
    }
}

/// The rates of a sweep's row read back (`line`, line `n` of `path`), by
/// the rule a comparison's rows are read with ([`check_rates`]): a resumed
/// sweep aggregates the rows it finished before, so a rate edited apart from
/// its count (or a count apart from its rate) in both result files flowed
/// into its results, points.csv and charts. A `null` (a value that was not
/// a number) is skipped, as a comparison's rate check skips it.
/// `FILE:LINE:COL: FIELD: why`.
pub fn check_row_rates(
    path: &Path,
    n: usize,
    line: &[u8],
    row: &Row,
    window: &RunWindow,
) -> Result<(), String> {
    check_rates(row, window).map_err(|r| locate(&quote::path(path), n, line, &r.field, r.message))
}

fn config_value(m: &Manifest, point: usize) -> AxisValue {
    AxisValue {
        label: m.points.label(point, 0).to_string(),
        json: m.points.value(point, 0).clone(),
    }
}

/// The first field of `line` that is not as flapsim writes it (`written`).
fn first_difference(line: &[u8], written: &[u8]) -> (String, String) {
    let read = |b: &[u8]| serde_json::from_slice::<serde_json::Map<String, Json>>(b).ok();
    let (Some(got), Some(want)) = (read(line), read(written)) else {
        return (
            String::new(),
            "not a result row as flapsim writes it".into(),
        );
    };
    for (k, w) in &want {
        match got.get(k) {
            None => return (k.clone(), "missing".into()),
            Some(g) if g != w => {
                let g = g.to_string();
                let w = w.to_string();
                return (
                    k.clone(),
                    format!(
                        "{}, but the manifest and the row's other fields make it {}",
                        quote::short(&g),
                        quote::short(&w)
                    ),
                );
            }
            _ => {}
        }
    }
    if let Some(k) = got.keys().find(|k| !want.contains_key(*k)) {
        return (k.clone(), "not a field of a comparison's result row".into());
    }
    (
        String::new(),
        "not written as flapsim writes a row (spacing, key order, number form or a repeated key)"
            .into(),
    )
}

fn metric(row: &Row, name: &str) -> Option<f64> {
    row.values[metric_index(name).expect("known metric")]
}

/// A run's metrics: every one a finite number >= 0 (only a latency may be
/// missing), counts whole, latencies within the run (`window`), a part no
/// more than its whole, a median no more than its 99th percentile, no
/// detection latency without a crash.
fn check_metrics(row: &Row, window: &RunWindow) -> Result<(), Refusal> {
    let length_s = crate::units::secs(window.duration);
    for (def, v) in METRICS.iter().zip(&row.values) {
        let name = def.name;
        let Some(v) = *v else {
            if LATENCIES.contains(&name) {
                continue;
            }
            return Err(refuse(name, "null: every run measures it"));
        };
        if !(v.is_finite() && v >= 0.0) {
            return Err(refuse(name, format!("{v:e} is not a number >= 0")));
        }
        if COUNTS.contains(&name) && (v.fract() != 0.0 || v > MAX_COUNT) {
            return Err(refuse(
                name,
                format!("{v:e} is not a count (a whole number)"),
            ));
        }
        if name == "health_max" && v > f64::from(MAX_HEALTH) {
            return Err(refuse(
                name,
                format!("{v:e} is above {MAX_HEALTH}, the highest health score"),
            ));
        }
        // Latencies are rounded to the microsecond.
        if LATENCIES.contains(&name) && v > length_s + 1e-3 {
            return Err(refuse(
                name,
                format!(
                    "{v:e} s is longer than the run ({})",
                    format_duration(window.duration)
                ),
            ));
        }
    }
    for (part, whole) in SUBSETS {
        if let (Some(p), Some(w)) = (metric(row, part), metric(row, whole)) {
            if p > w {
                return Err(refuse(*part, format!("{p} is more than {whole} ({w})")));
            }
        }
    }
    for (p50, p99) in QUANTILES {
        if let (Some(a), Some(b)) = (metric(row, p50), metric(row, p99)) {
            if a > b {
                return Err(refuse(
                    *p50,
                    format!("{a} is more than its 99th percentile {p99} ({b})"),
                ));
            }
        }
    }
    if metric(row, "crashes") == Some(0.0) {
        if let Some(name) = LATENCIES
            .iter()
            .find(|n| n.starts_with("detect_") && metric(row, n).is_some())
        {
            return Err(refuse(
                *name,
                "a detection latency, but the run had no crash",
            ));
        }
    }
    Ok(())
}

/// Each per-hour rate ([`RATES`]) is what its count makes it over the
/// measured part of the run (`window`), computed as the run wrote it
/// ([`rate_as_written`]): a rate edited apart from its count (or a count
/// apart from its rate) is a number no run reported. A count must be whole
/// to make a rate ([`check_metrics`] says so first for a comparison; a
/// sweep's row comes here alone, [`check_row_rates`]).
fn check_rates(row: &Row, window: &RunWindow) -> Result<(), Refusal> {
    for (rate, count) in RATES {
        let (Some(got), Some(n)) = (metric(row, rate), metric(row, count)) else {
            continue;
        };
        if !(n >= 0.0 && n.fract() == 0.0 && n <= MAX_COUNT) {
            return Err(refuse(
                *count,
                format!("{n:e} is not a count (a whole number)"),
            ));
        }
        let want = rate_as_written(rate, n as u64, window.measured()).expect("a listed rate");
        if got != want {
            return Err(refuse(
                *rate,
                format!(
                    "{got}, but {count} {n} in the measured {} (the run's {} less its {} warm-up) make it {want}",
                    format_duration(window.measured()),
                    format_duration(window.duration),
                    format_duration(window.warmup)
                ),
            ));
        }
    }
    Ok(())
}

/// `results.csv` holds the rows of `results.jsonl`, cell for cell: it is
/// published beside the tables drawn from the JSON, and must not say
/// otherwise.
pub fn check_csv(dir: &Path, m: &Manifest, rows: &[Row]) -> Result<(), String> {
    let path = dir.join(RESULTS_CSV);
    let shown = quote::path(&path);
    let mut lines = Lines::open(&path, m.line_cap()).map_err(|e| format!("{shown}: {e}"))?;
    let header = csv_header(&m.axes);
    let first = lines.next_line().map_err(LineError::message)?;
    if first != Some(header.trim_end().as_bytes()) {
        return Err(format!(
            "{shown}:1: not the header flapsim writes (`{}`)",
            quote::short(header.trim_end())
        ));
    }
    let names: Vec<String> = csv_split(header.trim_end());
    for (i, row) in rows.iter().enumerate() {
        let n = i + 2;
        let Some(l) = lines.next_line().map_err(LineError::message)? else {
            return Err(format!(
                "{shown}: {} rows, but {RESULTS_JSONL} has {} (a file cut short?)",
                i,
                rows.len()
            ));
        };
        let want = row.csv_line(&[config_value(m, row.point)]);
        let want = want.trim_end_matches('\n');
        if l != want.as_bytes() {
            let got = csv_split(&String::from_utf8_lossy(l));
            let cells = csv_split(want);
            let c = (0..cells.len().max(got.len()))
                .find(|&c| got.get(c) != cells.get(c))
                .unwrap_or(0);
            return Err(format!(
                "{shown}:{n}: {}: `{}`, but {RESULTS_JSONL}:{} says `{}`",
                names.get(c).map_or("?", String::as_str),
                quote::short(got.get(c).map_or("", String::as_str)),
                i + 1,
                quote::short(cells.get(c).map_or("", String::as_str))
            ));
        }
    }
    if lines.next_line().map_err(LineError::message)?.is_some() || lines.torn() {
        return Err(format!(
            "{shown}:{}: more rows than {RESULTS_JSONL}'s {}",
            rows.len() + 2,
            rows.len()
        ));
    }
    Ok(())
}
