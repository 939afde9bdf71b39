//! `report.html` of a diagnosis: the verdict, the numbers, the blame table, the
//! charts, the inputs as read and the scenario to replay, in one self-contained
//! page (inline SVG, no script, nothing fetched), like a run's report.
//!
//! Everything on it is read back from the diagnosis's own `summary.json` bytes
//! and the files published beside it, so the page cannot say a number the files
//! do not.

use serde_json::Value;

use crate::report::files::REPORT;
use crate::report::html::{escape, figure, files_table, key_values, pre, Cell, Page, Table};
use crate::report::page::{defang, num};

/// Blame rows shown (all are in summary.json).
const BLAME_ROWS: usize = 20;
/// Caption of each chart, by file stem.
const CAPTIONS: &[(&str, &str)] = &[
    (
        "chart-flap-rate",
        "Serf flaps per minute over the logs' time, and suspicions raised and refutations beneath.",
    ),
    (
        "chart-accusations",
        "Who accused whom: suspicions raised by each observer against each subject.",
    ),
    (
        "chart-blame",
        "Blame: suspicions each node raised, and refutations naming it as the accuser.",
    ),
];

/// The page. `summary_json` is the diagnosis's summary.json, `charts` the
/// (file name, bytes) of its charts (empty with `--no-charts`), `yaml` the
/// suggested scenario, `files` the names of the set it is published in.
pub fn html(
    summary_json: &[u8],
    charts: &[(String, Vec<u8>)],
    yaml: &str,
    files: &[&str],
) -> String {
    let s: Value = serde_json::from_slice(summary_json).unwrap_or(Value::Null);
    let w = &s["window"];
    let mut page = Page::new(
        "flapsim diagnosis",
        format!(
            "{} · {} nodes named, {} logged · {} .. {} · generation {}",
            crate::units::count(s["inputs"].as_array().map_or(0, Vec::len), "log file"),
            num(&s["nodes"]),
            num(&s["observers"]),
            text(&w["first_line"]),
            text(&w["last_line"]),
            text(&s["generation"]["preset"]),
        ),
    );
    page.section("verdict", "Verdict", verdict(&s));
    page.section("summary", "Summary", summary(&s));
    page.section("blame", "Blame", blame(&s));
    if !charts.is_empty() {
        page.section("charts", "Charts", figures(charts));
    }
    page.section("hours", "Flaps by hour", by_hour(&s));
    page.section("inputs", "Inputs as read", inputs(&s));
    page.section(
        "scenario",
        "Scenario to replay",
        format!(
            "<p class=\"note\">diagnosed.yaml: run it with <code>flapsim run diagnosed.yaml</code>; its header says how far each part can be trusted.</p>\n{}",
            pre(&defang(yaml))
        ),
    );
    page.section("limits", "What a log cannot tell", limits(&s));
    page.section(
        "files",
        "Files of this diagnosis",
        files_table(FILES, files).to_html(),
    );
    page.to_html()
}

/// A JSON value as shown: strings bare, numbers as written, null as "–".
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "–".into(),
        other => other.to_string(),
    }
}

fn verdict(s: &Value) -> String {
    let g = &s["generation"];
    format!(
        "<p><strong>{}</strong></p>\n<p class=\"note\">Generation guessed from the line wording: {} ({}).</p>\n",
        escape(&text(&s["verdict"]["text"])),
        escape(&text(&g["preset"])),
        escape(&text(&g["evidence"]))
    )
}

fn summary(s: &Value) -> String {
    let r = &s["rejoin_s"];
    let k = &s["refutations_by_kind"];
    let mut rows = vec![
        (
            "flaps (Serf: failed, then joined within FlapTimeout)",
            format!(
                "{} ({} per hour, {} episodes)",
                num(&s["flaps"]),
                num(&s["flaps_per_hour"]),
                num(&s["flap_episodes"])
            ),
        ),
        (
            "rejoin (failed → join)",
            format!(
                "median {} s · p99 {} s (n = {})",
                num(&r["median"]),
                num(&r["p99"]),
                num(&r["count"])
            ),
        ),
        ("suspicions raised", num(&s["suspicions"])),
        (
            "refutations",
            format!(
                "{} (suspect {}, dead {}, alive {})",
                num(&s["refutations"]),
                num(&k["suspect"]),
                num(&k["dead"]),
                num(&k["alive"])
            ),
        ),
        (
            "suspicion timers fired",
            num(&s["suspicion_timers"]["expired"]),
        ),
        (
            "measured",
            format!(
                "{} h (from {}, lines {} .. {})",
                s["measured_s"]
                    .as_f64()
                    .map_or_else(|| "–".into(), |x| format!("{:.2}", x / 3600.0)),
                text(&s["window"]["since"]),
                text(&s["window"]["first_line"]),
                text(&s["window"]["last_line"]),
            ),
        ),
    ];
    if s["flaps_ambiguous"].as_u64().unwrap_or(0) > 0 {
        rows.push((
            "flaps ambiguous (within one timestamp step of FlapTimeout, not counted)",
            num(&s["flaps_ambiguous"]),
        ));
    }
    let rows: Vec<(String, String)> = rows.into_iter().map(|(a, b)| (a.to_string(), b)).collect();
    key_values(&rows).to_html()
}

fn blame(s: &Value) -> String {
    let rows = s["blame"].as_array().cloned().unwrap_or_default();
    if rows.is_empty() {
        return "<p>No suspicions raised, no refutations.</p>\n".into();
    }
    let t = crate::report::page::blame_table(&rows, BLAME_ROWS);
    let mut out = String::from("<p class=\"note\">Refutations name their accuser: <code>Refuting a suspect message (from: X)</code>. A node that raises a large share of suspicions and is named in many refutations is probing badly (its own CPU or network), not finding failures.</p>\n");
    out.push_str(&t.to_html());
    if rows.len() > BLAME_ROWS {
        out.push_str(&format!(
            "<p class=\"note\">… {} more in summary.json.</p>\n",
            rows.len() - BLAME_ROWS
        ));
    }
    out
}

fn figures(charts: &[(String, Vec<u8>)]) -> String {
    let mut out = String::new();
    for (stem, caption) in CAPTIONS {
        let name = format!("{stem}.svg");
        if let Some((_, svg)) = charts.iter().find(|(n, _)| *n == name) {
            out.push_str(&figure(&String::from_utf8_lossy(svg), caption));
        }
    }
    out
}

fn by_hour(s: &Value) -> String {
    let mut t = Table::new(vec![
        Cell::text("hour (UTC)"),
        Cell::num("flaps"),
        Cell::num("suspicions"),
    ]);
    for h in s["flaps_by_hour"].as_array().into_iter().flatten() {
        t.push(vec![
            Cell::text(text(&h["hour"])),
            Cell::num(num(&h["flaps"])),
            Cell::num(num(&h["suspicions"])),
        ]);
    }
    t.to_html()
}

fn inputs(s: &Value) -> String {
    let mut t = Table::new(vec![
        Cell::text("file"),
        Cell::text("format"),
        Cell::text("observer"),
        Cell::num("lines"),
        Cell::num("understood"),
        Cell::num("other"),
        Cell::num("unframed"),
        Cell::text("first .. last"),
    ]);
    for f in s["inputs"].as_array().into_iter().flatten() {
        let formats: Vec<String> = f["formats"]
            .as_array()
            .into_iter()
            .flatten()
            .map(text)
            .collect();
        let observer = match &f["observer"] {
            Value::Null => format!(
                "{} ({} named)",
                text(&f["observer_from"]),
                num(&f["prefixed_observers"])
            ),
            o => format!("{} ({})", text(o), text(&f["observer_from"])),
        };
        t.push(vec![
            Cell::text(text(&f["file"])),
            Cell::text(formats.join(", ")),
            Cell::text(observer),
            Cell::num(num(&f["lines"])),
            Cell::num(num(&f["understood"])),
            Cell::num(num(&f["unknown"])),
            Cell::num(num(&f["unframed"])),
            Cell::text(format!("{} .. {}", text(&f["first"]), text(&f["last"]))),
        ]);
    }
    let mut out = t.to_html();
    for n in s["notes"].as_array().into_iter().flatten() {
        out.push_str(&format!(
            "<p class=\"note\">{}</p>\n",
            crate::report::html::escape(&text(n))
        ));
    }
    let skew: Vec<&Value> = s["skew"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|k| {
            k["offset_s"]
                .as_f64()
                .is_some_and(|x| x.abs() >= super::report::SKEW_NOTE_S)
        })
        .collect();
    if !skew.is_empty() {
        // A clock error found from the shared events was taken out already.
        let corrected = (s["inputs"].as_array().into_iter().flatten())
            .any(|i| i.get("clock_corrected_s").is_some());
        let read = if corrected {
            "their lines were read as stamped, but for the clock errors taken out (see the notes)"
        } else {
            "their lines were read as stamped"
        };
        out.push_str(&format!("<h3>Clock skew</h3>\n<p class=\"note\">From the Serf events the observers share; {read}.</p>\n"));
        let mut t = Table::new(vec![
            Cell::text("observer"),
            Cell::num("offset (s)"),
            Cell::num("events matched"),
        ]);
        for k in skew {
            t.push(vec![
                Cell::text(text(&k["observer"])),
                Cell::num(num(&k["offset_s"])),
                Cell::num(num(&k["matched"])),
            ]);
        }
        out.push_str(&t.to_html());
    }
    if let Some(kinds) = s["lines_by_kind"].as_object() {
        let rows: Vec<(String, String)> = kinds.iter().map(|(k, v)| (k.clone(), text(v))).collect();
        out.push_str("<h3>Lines understood, by kind</h3>\n");
        out.push_str(&key_values(&rows).to_html());
    }
    out
}

fn limits(s: &Value) -> String {
    let mut out = String::from("<ul>\n");
    for l in s["not_recoverable"].as_array().into_iter().flatten() {
        out.push_str(&format!("<li>{}</li>\n", escape(&text(l))));
    }
    out.push_str("</ul>\n");
    out
}

/// What each file of a diagnosis holds; `*` stands for every file it begins.
const FILES: &[(&str, &str)] = &[
    ("diagnosis.txt", "the text report, as printed"),
    (
        "summary.json",
        "every number, with a run's field names where they mean the same",
    ),
    (
        "diagnosed.yaml",
        "a scenario to replay the cluster (names, generation, culprits' faults)",
    ),
    ("chart-*", "the charts above, as SVG and PNG"),
    (REPORT.name, REPORT.holds),
];
