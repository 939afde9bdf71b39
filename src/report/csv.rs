//! `timeseries.csv`: one row per `timeseries_bin`, for charts.
//!
//! Columns: `t_s` (bin start, seconds), `warmup` (1 inside the warm-up window),
//! `suspicions` (accusations raised), `declarations` (DEAD declarations), `fp`,
//! `fp_healthy`, `flaps` (counted at the rejoin), `refutations`, `packets_sent`,
//! `bytes_sent`, `packets_received`, `bytes_received`, `drops`, `health_mean` (mean of
//! all nodes' health scores at the end of the bin), `health_max` (highest score any
//! node reached in the bin); then for each node with a CPU model (it reports host
//! samples), in node order: `credits_<node>` (empty without a credits fault),
//! `parked_<node>` (fraction of the bin parked) and `health_<node>`.

use std::fmt::Write as _;

use crate::metrics::{HostPoint, Metrics};
use crate::protocol::SEC;
use crate::scenario::Scenario;

pub fn timeseries_csv(scenario: &Scenario, metrics: &Metrics) -> Vec<u8> {
    let mut out = String::from(
        "t_s,warmup,suspicions,declarations,fp,fp_healthy,flaps,refutations,packets_sent,bytes_sent,packets_received,bytes_received,drops,health_mean,health_max",
    );
    // Per sampled node, its points indexed by bin (at most one kept per bin: the last).
    let sampled: Vec<(usize, Vec<Option<HostPoint>>)> = metrics
        .host
        .iter()
        .enumerate()
        .filter_map(|(i, pts)| {
            let pts = pts.as_ref()?;
            let mut by_bin = vec![None; metrics.bins.len()];
            for p in pts {
                if let Some(slot) = by_bin.get_mut(p.bin as usize) {
                    *slot = Some(*p);
                }
            }
            Some((i, by_bin))
        })
        .collect();
    for (i, _) in &sampled {
        let name = csv_safe(&scenario.nodes[*i].name);
        let _ = write!(out, ",credits_{name},parked_{name},health_{name}");
    }
    out.push('\n');
    let n = metrics.nodes.max(1) as f64;
    for (k, b) in metrics.bins.iter().enumerate() {
        let start = k as u64 * metrics.bin;
        let _ = write!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            fmt_secs(start),
            u8::from(start < metrics.warmup),
            b.suspicions,
            b.declarations,
            b.fp,
            b.fp_healthy,
            b.flaps,
            b.refutations,
            b.sent.msgs,
            b.sent.bytes,
            b.received.msgs,
            b.received.bytes,
            b.drops,
            crate::metrics::stats::round(b.health_sum as f64 / n, 4),
            b.health_max
        );
        for (_, by_bin) in &sampled {
            match by_bin[k] {
                Some(p) => {
                    match p.credits {
                        Some(c) => {
                            let _ = write!(out, ",{}", crate::metrics::stats::round(c, 4));
                        }
                        None => out.push(','),
                    }
                    let _ = write!(
                        out,
                        ",{},{}",
                        crate::metrics::stats::round(p.parked_fraction, 4),
                        p.health_score
                    );
                }
                None => out.push_str(",,,"),
            }
        }
        out.push('\n');
    }
    out.into_bytes()
}

/// Seconds as a short exact decimal (bins are usually whole seconds).
fn fmt_secs(ns: u64) -> String {
    if ns.is_multiple_of(SEC) {
        format!("{}", ns / SEC)
    } else {
        let s = format!("{}.{:09}", ns / SEC, ns % SEC);
        s.trim_end_matches('0').to_string()
    }
}

/// Node names in headers: keep them readable, never break the CSV.
pub(crate) fn csv_safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c == ',' || c == '"' || c.is_whitespace() {
                '_'
            } else {
                c
            }
        })
        .collect()
}
