//! `report.html` of a run: one self-contained page (inline SVG charts, summary
//! tables, the blame table, every effective parameter, the scenario text),
//! readable offline, with no JavaScript and no external reference.
//!
//! It is a pure function of two files of the output set, `summary.json` and
//! `chart-data.json`, so `flapsim chart DIR` rebuilds it without re-running.

use serde_json::Value;

use super::html::{escape, figure, files_table, key_values, pre, Cell, Page, Table};
use crate::chart::run::{RunChart, RunChartData};
use crate::chart::ChartError;

/// Blame rows shown in the report (the file has them all).
const BLAME_ROWS: usize = 30;

/// A JSON value for a page: numbers to four significant digits at most,
/// strings bare, null as "–" (the run's and the diagnosis's pages alike).
pub(crate) fn num(v: &Value) -> String {
    match v {
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.to_string()
            } else {
                let f = n.as_f64().unwrap_or(0.0);
                if f.fract() == 0.0 && f.abs() < 1e15 {
                    format!("{}", f as i64)
                } else {
                    // Four significant digits at most: a page for people
                    // (15.68 per node-hour, not 15.6795); summary.json keeps
                    // every digit.
                    let decimals = match f.abs() {
                        a if a >= 100.0 => 1,
                        a if a >= 10.0 => 2,
                        a if a >= 1.0 => 3,
                        _ => 4,
                    };
                    let text = format!("{f:.decimals$}");
                    if decimals > 1 {
                        text.trim_end_matches('0').trim_end_matches('.').to_string()
                    } else {
                        text
                    }
                }
            }
        }
        Value::Bool(b) => b.to_string(),
        Value::String(s) => s.clone(),
        Value::Null => "–".into(),
        other => other.to_string(),
    }
}

fn quant(v: &Value) -> String {
    match v {
        Value::Object(_) => format!(
            "median {} s · p99 {} s (n = {})",
            num(&v["median"]),
            num(&v["p99"]),
            num(&v["count"])
        ),
        _ => "–".into(),
    }
}

/// The full-dissemination quantiles, and the crashes that never reached
/// every up node: without them a lone `–` reads as "no data".
fn full_dissemination(detection: &Value) -> String {
    let reached = quant(&detection["full_dissemination_s"]);
    let missed = detection["not_disseminated"].as_u64().unwrap_or(0) as usize;
    if missed == 0 {
        return reached;
    }
    let never = format!(
        "{} not held dead by every up node before the run ended or the node came back",
        if missed == 1 {
            "1 crash".to_string()
        } else {
            format!("{missed} crashes")
        }
    );
    if reached == "–" {
        never
    } else {
        format!("{reached}; {never}")
    }
}

fn pct(v: &Value) -> String {
    format!("{:.1} %", v.as_f64().unwrap_or(0.0) * 100.0)
}

/// The blame table of a summary.json's `blame` rows (a run's or a
/// diagnosis's: the same fields), the first `rows` of them.
pub fn blame_table(blame: &[Value], rows: usize) -> Table {
    let mut t = Table::new(vec![
        Cell::text("node"),
        Cell::num("suspicions raised"),
        Cell::num("share"),
        Cell::num("refutations naming it"),
        Cell::num("share"),
    ]);
    for b in blame.iter().take(rows) {
        t.push(vec![
            Cell::text(num(&b["node"])),
            Cell::num(num(&b["suspicions_raised"])),
            Cell::num(pct(&b["suspicion_share"])),
            Cell::num(num(&b["refutations_naming"])),
            Cell::num(pct(&b["refutation_share"])),
        ]);
    }
    t
}

/// Build the page. `svgs` are the run's charts in report order.
/// `files` names the files of the set the page is published in: its "Files of
/// this run" section lists those, not what another `--outputs` would write.
pub fn run_report_html(
    summary_json: &[u8],
    data: &RunChartData,
    files: &[&str],
) -> Result<String, ChartError> {
    let s: Value = serde_json::from_slice(summary_json)
        .map_err(|e| ChartError(format!("summary.json: {e}")))?;
    let mut page = Page::new(
        format!("flapsim report: {}", data.scenario),
        format!(
            "preset {} · seed {} · {} nodes · {} min simulated (warm-up {} min) · digest {}",
            data.preset,
            data.seed,
            data.nodes,
            num(&Value::from(data.end_min)),
            num(&Value::from(data.warmup_min)),
            num(&s["digest"])
        ),
    );

    // Summary.
    let mut body = String::new();
    if !data.description.is_empty() {
        body.push_str(&format!("<p>{}</p>\n", escape(&data.description)));
    }
    let rows: Vec<(String, String)> = vec![
        (
            "flaps".into(),
            format!(
                "{} ({} per hour, {} per node-hour)",
                num(&s["flaps"]),
                num(&s["flaps_per_hour"]),
                num(&s["flaps_per_node_hour"])
            ),
        ),
        ("flaps of healthy nodes".into(), num(&s["flaps_healthy"])),
        ("flap episodes".into(), num(&s["flap_episodes"])),
        ("rejoin (failed → join)".into(), quant(&s["rejoin_s"])),
        (
            "false positives".into(),
            format!(
                "{} (healthy subject {}, both healthy {}) of {} failure declarations",
                num(&s["fp_total"]),
                num(&s["fp_healthy"]),
                num(&s["fp_both_healthy"]),
                num(&s["declarations"])
            ),
        ),
        ("suspicions raised".into(), num(&s["suspicions"])),
        ("refutations".into(), num(&s["refutations"])),
        (
            "suspect → alive again".into(),
            quant(&s["suspicion_to_clear_s"]),
        ),
        ("crashes (measured)".into(), num(&s["detection"]["crashes"])),
        (
            "detection: first suspicion".into(),
            quant(&s["detection"]["first_suspect_s"]),
        ),
        (
            "detection: first death".into(),
            quant(&s["detection"]["first_dead_s"]),
        ),
        (
            "detection: full dissemination".into(),
            full_dissemination(&s["detection"]),
        ),
        (
            "load".into(),
            format!(
                "{} packets and {} bytes sent per node per second",
                num(&s["load"]["msgs_per_node_s"]),
                num(&s["load"]["bytes_per_node_s"])
            ),
        ),
    ];
    body.push_str(&key_values(&rows).to_html());
    page.section("summary", "Summary", body);

    // Charts.
    let mut body = String::new();
    for chart in RunChart::ALL {
        if !chart.applies(data) {
            continue;
        }
        let svg = chart.svg(data)?;
        body.push_str(&figure(&svg, chart.caption()));
    }
    page.section("charts", "Charts", body);

    // Blame.
    let blame = s["blame"].as_array().cloned().unwrap_or_default();
    let t = blame_table(&blame, BLAME_ROWS);
    let mut body = String::from(
        "<p class=\"note\">Per node: the suspicions it raised (its own probes failed) and the refutations naming it as the accuser (others had to defend themselves against it). Look at the top accuser first.</p>\n",
    );
    if blame.is_empty() {
        body.push_str("<p>No node raised a suspicion or was named by a refutation.</p>\n");
    } else {
        body.push_str(&t.to_html());
        if blame.len() > BLAME_ROWS {
            body.push_str(&format!(
                "<p class=\"note\">{} more rows in summary.json (<code>blame</code>).</p>\n",
                blame.len() - BLAME_ROWS
            ));
        }
    }
    page.section("blame", "Blame table", body);

    // Parameters.
    let mut params: Vec<(String, String)> = s["protocol"]
        .as_object()
        .map(|o| o.iter().map(|(k, v)| (k.clone(), num(v))).collect())
        .unwrap_or_default();
    params.insert(0, ("preset".into(), data.preset.clone()));
    let mut body = key_values(&params).to_html();
    let overrides = s["overrides"].as_array().cloned().unwrap_or_default();
    if !overrides.is_empty() {
        body.push_str("<h3>Overrides applied (file, then command line)</h3>\n");
        let o: Vec<(String, String)> = overrides
            .iter()
            .map(|o| (num(&o["field"]), num(&o["value"])))
            .collect();
        body.push_str(&key_values(&o).to_html());
    }
    page.section("parameters", "Effective parameters", body);

    page.section(
        "scenario",
        "Scenario",
        format!(
            "<p class=\"note\">The scenario file as run (before command-line overrides, listed above). Links in its comments are shown defanged (<code>https[:]//</code>): this page references nothing outside itself.</p>\n{}",
            pre(&defang(&data.scenario_text))
        ),
    );

    page.section(
        "files",
        "Files of this run",
        files_table(&listed_files(), files).to_html(),
    );
    Ok(page.to_html())
}

/// What each file of a run holds, in the order the report lists them
/// ([`super::files::LISTED`]).
fn listed_files() -> Vec<(&'static str, &'static str)> {
    super::files::LISTED
        .iter()
        .map(|f| (f.name, f.holds))
        .collect()
}

/// `https://x` → `https[:]//x` (and `http`): the text stays readable, and the
/// page holds no URL a viewer could fetch or a checker could flag.
pub fn defang(text: &str) -> String {
    text.replace("https://", "https[:]//")
        .replace("http://", "http[:]//")
}

#[cfg(test)]
mod tests {
    use super::{full_dissemination, num};
    use serde_json::json;

    /// A crash that never reached every up node is said in words: a lone "–"
    /// read as "no data" while the terminal printed "not disseminated 1".
    #[test]
    fn crashes_never_fully_disseminated_are_said_on_the_page() {
        let none = json!({"full_dissemination_s": null, "not_disseminated": 1});
        assert_eq!(
            full_dissemination(&none),
            "1 crash not held dead by every up node before the run ended or the node came back"
        );
        let some = json!({
            "full_dissemination_s": {"median": 7.387, "p99": 7.866, "count": 2},
            "not_disseminated": 2
        });
        assert_eq!(
            full_dissemination(&some),
            "median 7.387 s · p99 7.866 s (n = 2); 2 crashes not held dead by every up node before the run ended or the node came back"
        );
        let all = json!({"full_dissemination_s": {"median": 7.387, "p99": 7.866, "count": 2}, "not_disseminated": 0});
        assert_eq!(
            full_dissemination(&all),
            "median 7.387 s · p99 7.866 s (n = 2)"
        );
    }

    /// The page writes numbers for people, four significant digits at most;
    /// whole numbers stay whole.
    #[test]
    fn numbers_on_the_page_have_four_significant_digits_at_most() {
        let cases = [
            (json!(15.679487), "15.68"),
            (json!(611.5), "611.5"),
            (json!(2.3971), "2.397"),
            (json!(338.0812), "338.1"),
            (json!(0.012345), "0.0123"),
            (json!(1223), "1223"),
            (json!(4.0), "4"),
            (json!(0.5), "0.5"),
        ];
        for (v, want) in cases {
            assert_eq!(num(&v), want, "{v}");
        }
    }
}
