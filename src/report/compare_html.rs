//! `report.html` of a comparison: one self-contained page (inline SVG, tables,
//! the scenario text), readable offline, no script, no external reference.

use crate::batch::aggregate::human_spread;
use crate::batch::compare::{Comparison, COMPARE_METRICS};
use crate::batch::row::{metric_index, METRICS};

use super::html::{figure, para, pre, Cell, Page, Table};

/// The page; `svg` is the comparison chart.
pub fn page(c: &Comparison, svg: &str) -> String {
    let m = &c.manifest;
    let names = c.names();
    let mut page = Page::new(
        format!("{}: {}", c.meta.scenario, names.join(" vs ")),
        format!(
            "{} nodes, {} simulated, {} per configuration ({}), flapsim {}",
            c.meta.nodes,
            c.meta.simulated,
            crate::units::count(m.seeds.len(), "seed"),
            m.seeds
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            m.flapsim
        ),
    );

    let mut t = Table::new(
        std::iter::once(Cell::text("metric"))
            .chain(names.iter().map(|n| Cell::num(n.clone())))
            .collect(),
    );
    for metric in COMPARE_METRICS {
        let i = metric_index(metric).expect("known metric");
        let mut row = vec![Cell::text(METRICS[i].label)];
        row.extend(
            c.stats
                .iter()
                .map(|s| Cell::num(human_spread(s.metrics[i], s.runs))),
        );
        t.push(row);
    }
    let mut body = para("Median across seeds, with the 95% interval across seeds in brackets (nearest rank: with fewer than 40 seeds, the min–max range). A dash: no sample (no flap to time a rejoin, no crash to detect); (k of n): only k of the n seeds had one, and the median and interval are theirs.");
    body.push_str(&t.to_html());
    page.section("table", "Side by side", body);

    page.section(
        "chart",
        "Chart",
        figure(svg, "Bars: median across seeds; whiskers: 95% interval."),
    );

    let mut all = Table::new(
        std::iter::once(Cell::text("metric"))
            .chain(names.iter().map(|n| Cell::num(n.clone())))
            .collect(),
    );
    for (i, def) in METRICS.iter().enumerate() {
        let mut row = vec![Cell::text(def.name)];
        row.extend(
            c.stats
                .iter()
                .map(|s| Cell::num(human_spread(s.metrics[i], s.runs))),
        );
        all.push(row);
    }
    page.section("all", "Every metric", all.to_html());

    let cols = [
        "flaps_per_hour",
        "fp_total",
        "fp_healthy",
        "flap_episodes",
        "msgs_per_node_s",
    ];
    let mut runs = Table::new(
        [
            Cell::text("configuration"),
            Cell::num("seed"),
            Cell::text("digest"),
        ]
        .into_iter()
        .chain(
            cols.iter()
                .map(|m| Cell::num(METRICS[metric_index(m).expect("known")].label)),
        )
        .collect(),
    );
    for r in &c.rows {
        let mut row = vec![
            Cell::text(names[r.point].clone()),
            Cell::num(r.seed.to_string()),
            Cell::text(r.digest.clone()),
        ];
        row.extend(cols.iter().map(|m| {
            Cell::num(
                r.values[metric_index(m).expect("known")]
                    .map(crate::batch::row::fmt_num)
                    .unwrap_or_else(|| "–".into()),
            )
        }));
        runs.push(row);
    }
    page.section("runs", "Every run", runs.to_html());

    let mut params = Table::new(
        std::iter::once(Cell::text("parameter"))
            .chain(names.iter().map(|n| Cell::text(n.clone())))
            .collect(),
    );
    params.push(
        std::iter::once(Cell::text("preset"))
            .chain(c.meta.configs.iter().map(|k| Cell::text(k.preset.clone())))
            .collect(),
    );
    params.push(
        std::iter::once(Cell::text("overrides"))
            .chain(c.meta.configs.iter().map(|k| {
                Cell::text(
                    k.overrides
                        .iter()
                        .map(|(f, v)| format!("{f}={v}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                )
            }))
            .collect(),
    );
    if let Some(keys) = c.meta.configs.first().and_then(|k| k.protocol.as_object()) {
        for key in keys.keys() {
            let vals: Vec<String> = c
                .meta
                .configs
                .iter()
                .map(|k| {
                    k.protocol.get(key).map_or(String::new(), |v| {
                        v.to_string().trim_matches('"').to_string()
                    })
                })
                .collect();
            let differs = vals.iter().any(|v| *v != vals[0]);
            let mut row = vec![Cell::text(if differs {
                format!("{key} *")
            } else {
                key.clone()
            })];
            row.extend(vals.into_iter().map(Cell::text));
            params.push(row);
        }
    }
    let mut body = para(
        "Every effective protocol parameter; * marks those that differ between configurations.",
    );
    body.push_str(&params.to_html());
    page.section("parameters", "Effective parameters", body);

    let mut body = para(&format!(
        "{} — {}",
        c.meta.scenario_file,
        c.meta.description.trim()
    ));
    body.push_str(&pre(&c.meta.scenario_text));
    page.section("scenario", "Scenario", body);

    page.to_html()
}
