//! One result row per run: the run's identity (run index, point, seed, axis
//! values) and every summary metric a sweep or comparison aggregates.
//!
//! Why text: rows are written to `results.csv` / `results.jsonl` as runs finish
//! and every aggregate (points table, comparison table, charts, recommendation)
//! is computed by reading those lines back. One path from text to numbers means
//! a sweep, a resumed sweep and a merge of shards all aggregate the same bytes,
//! so their outputs are byte-identical.

use serde_json::Value as Json;

use crate::metrics::stats::round;
use crate::report::Summary;
use crate::units::Nanos;

/// A metric column: its name (also the CSV header and JSON key) and what it is.
pub struct MetricDef {
    pub name: &'static str,
    /// Short human label with unit, for tables and chart axes.
    pub label: &'static str,
}

macro_rules! metrics {
    ($($name:literal => $label:literal),* $(,)?) => {
        /// Every metric column, in output order.
        pub const METRICS: &[MetricDef] = &[$(MetricDef { name: $name, label: $label }),*];
    };
}

metrics! {
    "flaps_per_hour" => "flaps/h",
    "flaps_healthy_per_hour" => "flaps of healthy nodes/h",
    "flaps" => "flaps",
    "flaps_healthy" => "flaps of healthy nodes",
    "flap_episodes" => "flap episodes",
    "fp_total" => "false positives",
    "fp_healthy" => "FP at healthy",
    "fp_healthy_per_hour" => "FP at healthy/h",
    "fp_both_healthy" => "FP both healthy",
    "declarations" => "failure declarations",
    "suspicions" => "suspicions",
    "refutations" => "refutations",
    "rejoin_p50_s" => "rejoin p50 (s)",
    "rejoin_p99_s" => "rejoin p99 (s)",
    "crashes" => "crashes",
    "detect_suspect_p50_s" => "first suspicion p50 (s)",
    "detect_dead_p50_s" => "detection p50 (s)",
    "detect_dead_p99_s" => "detection p99 (s)",
    "detect_full_p50_s" => "full dissemination p50 (s)",
    "detect_full_p99_s" => "full dissemination p99 (s)",
    "not_disseminated" => "crashes not disseminated",
    "msgs_per_node_s" => "msgs per node-s",
    "bytes_per_node_s" => "bytes per node-s",
    "health_max" => "max local health",
    "events" => "simulated events",
}

/// Index of a metric column by name.
pub fn metric_index(name: &str) -> Option<usize> {
    METRICS.iter().position(|m| m.name == name)
}

/// Column names that identify a run; axis names may not reuse them (nor metric names).
pub const ID_COLUMNS: &[&str] = &["run", "point", "seed", "digest"];

/// The per-hour rates of a row, each with the count it is of: each is
/// written from its count and the run's measured window, and a reader of the
/// rows recomputes it ([`rate_as_written`]) to refuse a row whose rate says
/// otherwise than its count.
pub const RATES: &[(&str, &str)] = &[
    ("flaps_per_hour", "flaps"),
    ("flaps_healthy_per_hour", "flaps_healthy"),
    ("fp_healthy_per_hour", "fp_healthy"),
];

/// `count` per hour of `measured_s` (summary.json's `measured_s`), rounded
/// to 4 places; 0 for an empty window.
fn per_measured_hour(count: u64, measured_s: f64) -> f64 {
    let hours = measured_s / 3600.0;
    if hours > 0.0 {
        round(count as f64 / hours, 4)
    } else {
        0.0
    }
}

/// The value of the rate `rate` ([`RATES`]) a row holds for `count` over a
/// measured window of `measured_ns`, exactly as [`metric_values`] writes
/// it: `flaps_per_hour` is summary.json's (hours from the nanoseconds,
/// [`crate::metrics::per_hour`], rounded to 4 places), the others per hour
/// of summary.json's `measured_s`. `None` for a name that is not a rate.
pub fn rate_as_written(rate: &str, count: u64, measured_ns: Nanos) -> Option<f64> {
    match rate {
        "flaps_per_hour" => Some(round(crate::metrics::per_hour(count, measured_ns), 4)),
        "flaps_healthy_per_hour" | "fp_healthy_per_hour" => Some(per_measured_hour(
            count,
            crate::report::summary::s(measured_ns),
        )),
        _ => None,
    }
}

/// The metric values of one run, in [`METRICS`] order; `None` where the run has
/// no sample (no flaps → no rejoin time; no crash → no detection latency).
pub fn metric_values(s: &Summary, events: u64) -> Vec<Option<f64>> {
    let per_hour = |n: u64| per_measured_hour(n, s.measured_s);
    let det = &s.detection;
    let values: Vec<Option<f64>> = vec![
        Some(s.flaps_per_hour),
        Some(per_hour(s.flaps_healthy)),
        Some(s.flaps as f64),
        Some(s.flaps_healthy as f64),
        Some(s.flap_episodes as f64),
        Some(s.fp_total as f64),
        Some(s.fp_healthy as f64),
        Some(per_hour(s.fp_healthy)),
        Some(s.fp_both_healthy as f64),
        Some(s.declarations as f64),
        Some(s.suspicions as f64),
        Some(s.refutations as f64),
        s.rejoin_s.map(|q| q.median),
        s.rejoin_s.map(|q| q.p99),
        Some(det.crashes as f64),
        det.first_suspect_s.map(|q| q.median),
        det.first_dead_s.map(|q| q.median),
        det.first_dead_s.map(|q| q.p99),
        det.full_dissemination_s.map(|q| q.median),
        det.full_dissemination_s.map(|q| q.p99),
        Some(det.not_disseminated as f64),
        Some(s.load.msgs_per_node_s),
        Some(s.load.bytes_per_node_s),
        Some(s.health_score_max.values().copied().max().unwrap_or(0) as f64),
        Some(events as f64),
    ];
    debug_assert_eq!(values.len(), METRICS.len());
    values
}

/// An axis value as written in the sweep file (or a configuration name).
#[derive(Clone, Debug, PartialEq)]
pub struct AxisValue {
    /// Text shown in tables and CSV cells (`500ms`, `memberlist-2015`, `4`).
    pub label: String,
    /// The same value in JSON (numbers stay numbers).
    pub json: Json,
}

impl AxisValue {
    pub fn text(label: &str) -> AxisValue {
        AxisValue {
            label: label.to_string(),
            json: Json::String(label.to_string()),
        }
    }
}

/// One finished run, ready to be written.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub run: usize,
    pub point: usize,
    pub seed: u64,
    pub digest: String,
    pub values: Vec<Option<f64>>,
}

/// A number as written in results: shortest exact decimal (Rust's `Display`,
/// which never uses an exponent), so the bytes are the same on every machine.
pub fn fmt_num(x: f64) -> String {
    format!("{x}")
}

/// Quote a CSV cell when it needs it (RFC 4180).
pub fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Split one CSV line into cells (RFC 4180 quoting; no embedded newlines).
pub fn csv_split(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (false, '"') if cur.is_empty() => quoted = true,
            (false, ',') => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// The CSV header line (with newline) for these axis names.
pub fn csv_header(axes: &[String]) -> String {
    let mut cells: Vec<String> = ["run", "point", "seed"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    cells.extend(axes.iter().map(|a| csv_cell(a)));
    cells.push("digest".into());
    cells.extend(METRICS.iter().map(|m| m.name.to_string()));
    let mut line = cells.join(",");
    line.push('\n');
    line
}

impl Row {
    /// The CSV line (with newline); `axis_values` are this run's point's values.
    pub fn csv_line(&self, axis_values: &[AxisValue]) -> String {
        let mut cells = vec![
            self.run.to_string(),
            self.point.to_string(),
            self.seed.to_string(),
        ];
        cells.extend(axis_values.iter().map(|v| csv_cell(&v.label)));
        cells.push(self.digest.clone());
        // A value that is not a finite number is no value, as in the JSON
        // line (`null`): the two files must agree for a resume to trust a row.
        cells.extend(
            (self.values.iter())
                .map(|v| v.filter(|x| x.is_finite()).map(fmt_num).unwrap_or_default()),
        );
        let mut line = cells.join(",");
        line.push('\n');
        line
    }

    /// The JSON line (with newline): keys in column order, missing values `null`.
    pub fn json_line(&self, axes: &[String], axis_values: &[AxisValue]) -> String {
        let key = |k: &str| Json::String(k.to_string()).to_string();
        let mut parts = vec![
            format!("\"run\":{}", self.run),
            format!("\"point\":{}", self.point),
            format!("\"seed\":{}", self.seed),
        ];
        for (a, v) in axes.iter().zip(axis_values) {
            parts.push(format!("{}:{}", key(a), v.json));
        }
        parts.push(format!("\"digest\":{}", Json::String(self.digest.clone())));
        for (m, v) in METRICS.iter().zip(&self.values) {
            let v = v.map(fmt_json_num).unwrap_or_else(|| "null".into());
            parts.push(format!("\"{}\":{v}", m.name));
        }
        format!("{{{}}}\n", parts.join(","))
    }

    /// Parse a JSON line written by [`Row::json_line`]; `None` if it is torn or
    /// not a row (a resumed file's last line may be half written).
    ///
    /// Read field by field, the axis values skipped (a sweep reads 10⁶ rows:
    /// building each as a JSON tree first took most of the time). What it
    /// accepts is what reading the line as a JSON object accepts: any JSON
    /// object with `run` and `point` (whole numbers), `seed` (a u64),
    /// `digest` (a string) and every metric (a number or null), a repeated
    /// key's last value counting.
    pub fn parse_json(line: &str) -> Option<Row> {
        let fields: RowFields = serde_json::from_str(line).ok()?;
        fields.row()
    }

    /// Check a CSV line (without its newline) against this row, cell by    /// Check a CSV line (without its newline) against this row, cell by
    /// cell: the CSV and JSON files of a resumed sweep must hold the same runs
    /// and the same numbers, or `points.csv` (from the JSON) and `results.csv`
    /// would disagree.
    pub fn csv_matches(&self, line: &str, axis_values: &[AxisValue]) -> bool {
        self.csv_line(axis_values).trim_end_matches('\n') == line
    }
}

/// One value of a result row's JSON, as a JSON tree would hold it (a
/// non-negative whole number is unsigned, like `serde_json::Value`'s).
#[derive(Clone, Debug, Default, PartialEq)]
enum Field {
    /// Not given (or, for a key given twice, its last value is what counts).
    #[default]
    Missing,
    Null,
    Unsigned(u64),
    Negative(i64),
    Float(f64),
    Text(String),
    /// A boolean, list or object.
    Other,
}

impl Field {
    fn whole(&self) -> Option<u64> {
        match self {
            Field::Unsigned(u) => Some(*u),
            _ => None,
        }
    }

    /// A metric: null for no value, any number for a value.
    fn metric(&self) -> Option<Option<f64>> {
        match self {
            Field::Null => Some(None),
            Field::Unsigned(u) => Some(Some(*u as f64)),
            Field::Negative(i) => Some(Some(*i as f64)),
            Field::Float(f) => Some(Some(*f)),
            _ => None,
        }
    }
}

impl<'de> serde::Deserialize<'de> for Field {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Field, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Field;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_unit<E>(self) -> Result<Field, E> {
                Ok(Field::Null)
            }
            fn visit_none<E>(self) -> Result<Field, E> {
                Ok(Field::Null)
            }
            fn visit_u64<E>(self, v: u64) -> Result<Field, E> {
                Ok(Field::Unsigned(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Field, E> {
                Ok(u64::try_from(v).map_or(Field::Negative(v), Field::Unsigned))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Field, E> {
                // As a JSON tree holds it: a number that is not finite is null.
                Ok(if v.is_finite() {
                    Field::Float(v)
                } else {
                    Field::Null
                })
            }
            fn visit_bool<E>(self, _: bool) -> Result<Field, E> {
                Ok(Field::Other)
            }
            fn visit_str<E>(self, v: &str) -> Result<Field, E> {
                Ok(Field::Text(v.to_string()))
            }
            fn visit_string<E>(self, v: String) -> Result<Field, E> {
                Ok(Field::Text(v))
            }
            // What is inside is read as values too, not skipped: skipping
            // takes what a JSON tree refuses (a number out of range, 1e400).
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<Field, A::Error> {
                while a.next_element::<Field>()?.is_some() {}
                Ok(Field::Other)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> Result<Field, A::Error> {
                while a.next_entry::<Field, Field>()?.is_some() {}
                Ok(Field::Other)
            }
        }
        d.deserialize_any(V)
    }
}

/// The fields of a result row's JSON object that make its [`Row`]; every
/// other key (the axis values) is read past.
struct RowFields {
    run: Field,
    point: Field,
    seed: Field,
    digest: Field,
    metrics: Vec<Field>,
}

impl RowFields {
    fn row(self) -> Option<Row> {
        let values = (self.metrics.iter())
            .map(Field::metric)
            .collect::<Option<Vec<_>>>()?;
        let Field::Text(digest) = self.digest else {
            return None;
        };
        Some(Row {
            run: usize::try_from(self.run.whole()?).ok()?,
            point: usize::try_from(self.point.whole()?).ok()?,
            seed: self.seed.whole()?,
            digest,
            values,
        })
    }
}

impl<'de> serde::Deserialize<'de> for RowFields {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<RowFields, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = RowFields;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a result row (a JSON object)")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<RowFields, A::Error> {
                let mut f = RowFields {
                    run: Field::Missing,
                    point: Field::Missing,
                    seed: Field::Missing,
                    digest: Field::Missing,
                    metrics: vec![Field::Missing; METRICS.len()],
                };
                while let Some(key) = a.next_key::<std::borrow::Cow<'de, str>>()? {
                    let slot = match key.as_ref() {
                        "run" => &mut f.run,
                        "point" => &mut f.point,
                        "seed" => &mut f.seed,
                        "digest" => &mut f.digest,
                        k => match metric_index(k) {
                            Some(i) => &mut f.metrics[i],
                            None => {
                                a.next_value::<Field>()?;
                                continue;
                            }
                        },
                    };
                    *slot = a.next_value()?;
                }
                Ok(f)
            }
        }
        d.deserialize_map(V)
    }
}

/// JSON has no integer/float distinction, but `3.0` and `3` read differently;
/// whole numbers are written without a fraction, like in the CSV.
fn fmt_json_num(x: f64) -> String {
    if x.is_finite() {
        fmt_num(x)
    } else {
        "null".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rule: every rate a row holds is listed with its count, and can be
    /// recomputed: an empty window is 0 per hour, 3 in 2m7s is 85.0394.
    #[test]
    fn every_rate_is_listed_with_its_count_and_recomputed() {
        for (rate, count) in RATES {
            assert!(metric_index(rate).is_some() && metric_index(count).is_some());
            assert_eq!(rate_as_written(rate, 5, 0), Some(0.0));
            assert_eq!(rate_as_written(rate, 3, 127_000_000_000), Some(85.0394));
        }
        let rates = METRICS.iter().filter(|m| m.name.ends_with("_per_hour"));
        assert_eq!(rates.count(), RATES.len(), "a per-hour metric not in RATES");
        assert_eq!(rate_as_written("flaps", 1, 1), None);
    }

    /// The rows a JSON tree of the line gives (how rows were read before):
    /// what [`Row::parse_json`] must accept and give.
    fn parse_as_tree(line: &str) -> Option<Row> {
        let v: Json = serde_json::from_str(line).ok()?;
        let o = v.as_object()?;
        let values = METRICS
            .iter()
            .map(|m| match o.get(m.name)? {
                Json::Null => Some(None),
                x => x.as_f64().map(Some),
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Row {
            run: usize::try_from(o.get("run")?.as_u64()?).ok()?,
            point: usize::try_from(o.get("point")?.as_u64()?).ok()?,
            seed: o.get("seed")?.as_u64()?,
            digest: o.get("digest")?.as_str()?.to_string(),
            values,
        })
    }

    /// Rule: a result row read field by field is the row its JSON tree
    /// gives, and a line one refuses the other refuses: on rows as written,
    /// and on rows with each field replaced by every kind of JSON value,
    /// repeated, escaped, dropped or cut.
    #[test]
    fn a_row_read_field_by_field_is_the_row_of_its_json_tree() {
        let axes = vec!["suspicion_mult".to_string(), "preset".to_string()];
        let vals = vec![
            AxisValue {
                label: "4".into(),
                json: Json::from(4),
            },
            AxisValue {
                label: "x".into(),
                json: serde_json::json!({"a": [1, {"b": null}], "c": "d"}),
            },
        ];
        let mut values = vec![Some(1.5); METRICS.len()];
        values[12] = None;
        values[3] = Some(7.0);
        let row = Row {
            run: 7,
            point: 3,
            seed: 42,
            digest: "00ff00ff00ff00ff".into(),
            values,
        };
        let line = row.json_line(&axes, &vals);
        let line = line.trim_end();
        assert_eq!(Row::parse_json(line), Some(row.clone()));
        let deep = format!("{}1{}", "[".repeat(130), "]".repeat(130));
        let replacements = [
            "0",
            "-0",
            "-1",
            "1.0",
            "1e2",
            "-2.5",
            "18446744073709551615",
            "18446744073709551616",
            "1e400",
            "null",
            "true",
            "\"s\"",
            "[1]",
            "{}",
            "{\"run\":1}",
            "{\"a\":[1e400]}",
            "\"\\ud800\"",
            "\"\\x\"",
            "[1,]",
            &deep,
        ];
        let mut cases: Vec<String> = vec![
            line.to_string(),
            format!("{line} "),
            format!("{line}x"),
            format!("[{line}]"),
            line[..line.len() - 1].to_string(),
            line.replacen("\"run\"", "\"\\u0072un\"", 1),
            line.replacen("{", "{\"run\":\"x\",", 1),
            line.replacen("}", ",\"run\":9}", 1),
            line.replacen("\"digest\"", "\"digestx\"", 1),
        ];
        for key in [
            "run",
            "point",
            "seed",
            "digest",
            "flaps",
            "events",
            "suspicion_mult",
        ] {
            let at = line.find(&format!("\"{key}\":")).unwrap() + key.len() + 3;
            let end = at + line[at..].find([',', '}']).unwrap();
            for r in replacements {
                cases.push(format!("{}{r}{}", &line[..at], &line[end..]));
            }
        }
        for case in &cases {
            assert_eq!(Row::parse_json(case), parse_as_tree(case), "{case}");
        }
    }

    #[test]
    fn rows_round_trip_through_json_and_match_their_csv() {
        let axes = vec!["suspicion_mult".to_string(), "preset".to_string()];
        let vals = vec![
            AxisValue {
                label: "4".into(),
                json: Json::from(4),
            },
            AxisValue::text("memberlist, 2015 \"x\""),
        ];
        let mut values = vec![Some(1.5); METRICS.len()];
        values[12] = None;
        let row = Row {
            run: 7,
            point: 3,
            seed: 42,
            digest: "00ff00ff00ff00ff".into(),
            values,
        };
        let j = row.json_line(&axes, &vals);
        assert!(j.ends_with("}\n"));
        assert_eq!(Row::parse_json(j.trim_end()), Some(row.clone()));
        let c = row.csv_line(&vals);
        assert!(row.csv_matches(c.trim_end(), &vals));
        // Rule: a resumed sweep keeps a CSV row only if every cell is the JSON
        // row's: one metric that differs is a disagreement, cut and redone.
        let mut other = row.clone();
        other.values[0] = Some(other.values[0].unwrap_or(0.0) + 1.0);
        assert!(!other.csv_matches(c.trim_end(), &vals));
        assert_eq!(csv_split(c.trim_end())[4], "memberlist, 2015 \"x\"");
        // A torn line is not a row.
        assert_eq!(Row::parse_json(&j[..j.len() / 2]), None);
        assert_eq!(fmt_num(3.0), "3");
        assert_eq!(fmt_num(0.0001), "0.0001");
    }
}
