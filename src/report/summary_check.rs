//! The fields of a run's `summary.json` that `report.html` shows, checked
//! before `flapsim chart DIR` draws the page from them.
//!
//! Why: the page prints those fields as they are, so an edited or foreign
//! `summary.json` was published as the run's report with exit 0: a flap
//! count of -5 next to the run's own rate, a number as a node's name, the
//! summary of another run under this run's charts. A run writes each of
//! these fields with one type and range; anything else is refused at its
//! field and line, as `chart-data.json` is. The rates the page shows that
//! the file's own counts give (flaps per hour and per node-hour, the blame
//! table's shares) are computed again as the run computes and rounds them,
//! and must be what it wrote: an edited rate beside its count was shown.

use serde_json::Value;

use crate::chart::run::{DataError, RunChartData};
use crate::metrics::{per, per_hour};
use crate::protocol::Nanos;
use crate::units::round;

/// Counts: whole numbers from 0.
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
    "detection.crashes",
    "detection.not_disseminated",
];

/// Rates: finite numbers from 0.
const RATES: &[&str] = &[
    "flaps_per_hour",
    "flaps_per_node_hour",
    "load.msgs_per_node_s",
    "load.bytes_per_node_s",
];

/// Latency quantiles: `null` (no sample) or `{median, p99, count}`.
const QUANTILES: &[&str] = &[
    "rejoin_s",
    "suspicion_to_clear_s",
    "detection.first_suspect_s",
    "detection.first_dead_s",
    "detection.full_dissemination_s",
];

/// Counts that are part of another (a subset), as `(part, whole)`.
const PARTS: &[(&str, &str)] = &[
    ("flaps_healthy", "flaps"),
    ("fp_healthy", "fp_total"),
    ("fp_both_healthy", "fp_healthy"),
];

/// The value at a dotted path (`detection.crashes`, `blame[2].node`).
fn at<'a>(s: &'a Value, path: &str) -> &'a Value {
    path.split('.').fold(s, |v, key| &v[key])
}

fn count(v: &Value) -> Option<u64> {
    v.as_u64()
}

fn rate(v: &Value) -> Option<f64> {
    v.as_f64().filter(|f| f.is_finite() && *f >= 0.0)
}

/// `measured_s` as the nanoseconds it was written from
/// ([`crate::report::summary::s`]): `None` unless it is a finite number from
/// 0 that is a whole number of nanoseconds, as a run writes it.
fn nanos_as_written(v: &Value) -> Option<Nanos> {
    let seconds = rate(v)?;
    // Saturates far past any run's length: refused below, never wrapped.
    let ns = (seconds * 1e9).round() as Nanos;
    written_as(v, crate::report::summary::s(ns)).then_some(ns)
}

/// Whether `v` is `want` as summary.json holds it: written by serde_json
/// and read back, the path the run's own value took (so no tolerance is
/// needed, and none is given).
fn written_as(v: &Value, want: f64) -> bool {
    v.as_f64().is_some_and(|got| Some(got) == read_back(want))
}

fn read_back(x: f64) -> Option<f64> {
    serde_json::to_string(&x)
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        .and_then(|v| v.as_f64())
}

/// A number as summary.json writes it.
fn shown(x: f64) -> String {
    serde_json::to_string(&x).unwrap_or_default()
}

/// Check the fields of `text` (a run's `summary.json`) that the report
/// shows, and that it is the summary of the run `data` draws.
pub fn check(text: &[u8], data: &RunChartData) -> Result<(), DataError> {
    let s: Value = serde_json::from_slice(text).map_err(|e| DataError::from_serde(text, &e))?;
    let refuse = |field: &str, message: String| Err(DataError::at_field(text, field, message));
    if !s.is_object() {
        return refuse("", "not a JSON object: not a run's summary".into());
    }
    let same_run: [(&str, Value); 4] = [
        ("scenario", Value::from(data.scenario.as_str())),
        ("preset", Value::from(data.preset.as_str())),
        ("seed", Value::from(data.seed)),
        ("nodes", Value::from(data.nodes)),
    ];
    for (field, want) in same_run {
        if s[field] != want {
            return refuse(
                field,
                format!(
                    "{} but chart-data.json is of {want}: not the summary of the run drawn",
                    crate::quote::short(&s[field].to_string())
                ),
            );
        }
    }
    let digest = s["digest"].as_str().unwrap_or("");
    if digest.len() != 16 || !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
        return refuse("digest", "not 16 hex digits, as a run writes it".into());
    }
    for field in COUNTS {
        if count(at(&s, field)).is_none() {
            return refuse(field, "not a whole number from 0 (a count)".into());
        }
    }
    for field in RATES {
        if rate(at(&s, field)).is_none() {
            return refuse(field, "not a finite number from 0 (a rate)".into());
        }
    }
    for (part, whole) in PARTS {
        if count(at(&s, part)) > count(at(&s, whole)) {
            return refuse(part, format!("more than `{whole}`, which counts them all"));
        }
    }
    let Some(measured_ns) = nanos_as_written(&s["measured_s"]) else {
        return refuse(
            "measured_s",
            "not seconds from 0 to the nanosecond, as a run writes them".into(),
        );
    };
    let flaps = count(&s["flaps"]).unwrap_or(0);
    let nodes = count(&s["nodes"]).unwrap_or(0);
    let hours = crate::metrics::hours(measured_ns);
    let derived = [
        (
            "flaps_per_hour",
            round(per_hour(flaps, measured_ns), 4),
            "per hour",
        ),
        (
            "flaps_per_node_hour",
            round(per(flaps as f64, hours * nodes as f64), 6),
            "per node-hour (`nodes` of them an hour)",
        ),
    ];
    for (field, want, what) in derived {
        if !written_as(at(&s, field), want) {
            return refuse(
                field,
                format!(
                    "{} but `flaps` {flaps} over `measured_s` {} is {} {what}, as a run writes it: not the run's rate",
                    crate::quote::short(&at(&s, field).to_string()),
                    s["measured_s"],
                    shown(want)
                ),
            );
        }
    }
    for field in QUANTILES {
        let q = at(&s, field);
        if q.is_null() {
            continue;
        }
        let (median, p99) = (rate(&q["median"]), rate(&q["p99"]));
        let ok = count(&q["count"]).is_some_and(|n| n > 0)
            && median.is_some()
            && p99.is_some()
            && median <= p99;
        if !ok {
            return refuse(
                field,
                "not null or {median, p99, count} with 0 <= median <= p99 and count >= 1".into(),
            );
        }
    }
    let Some(blame) = s["blame"].as_array() else {
        return refuse("blame", "not a list of rows".into());
    };
    // Every node that raised a suspicion or was named is a row: the shares'
    // totals are the rows' sums.
    let total = |f: &str| blame.iter().filter_map(|r| count(&r[f])).sum::<u64>();
    let totals = [total("suspicions_raised"), total("refutations_naming")];
    for (i, row) in blame.iter().enumerate() {
        let path = |f: &str| format!("blame[{i}].{f}");
        if row["node"].as_str().is_none_or(str::is_empty) {
            return refuse(&path("node"), "not a node's name".into());
        }
        for f in ["suspicions_raised", "refutations_naming"] {
            if count(&row[f]).is_none() {
                return refuse(&path(f), "not a whole number from 0 (a count)".into());
            }
        }
        for f in ["suspicion_share", "refutation_share"] {
            if !rate(&row[f]).is_some_and(|x| x <= 1.0) {
                return refuse(&path(f), "not a share from 0 to 1".into());
            }
        }
        let shares = [
            ("suspicion_share", "suspicions_raised", totals[0]),
            ("refutation_share", "refutations_naming", totals[1]),
        ];
        for (f, of, total) in shares {
            let n = count(&row[of]).unwrap_or(0);
            let want = round(per(n as f64, total as f64), 4);
            if !written_as(&row[f], want) {
                return refuse(
                    &path(f),
                    format!(
                        "{} but `{of}` {n} of the rows' {total} is {}, as a run writes it: not the run's share",
                        crate::quote::short(&row[f].to_string()),
                        shown(want)
                    ),
                );
            }
        }
    }
    if !s["protocol"].is_object() {
        return refuse("protocol", "not an object of parameters".into());
    }
    let Some(overrides) = s["overrides"].as_array() else {
        return refuse("overrides", "not a list".into());
    };
    for (i, o) in overrides.iter().enumerate() {
        if !o["field"].is_string() {
            return refuse(
                &format!("overrides[{i}].field"),
                "not a field's name".into(),
            );
        }
    }
    Ok(())
}
