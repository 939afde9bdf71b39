//! The human summary printed on stdout: what an SRE reads first after a run. It is
//! built from the same [`crate::report::summary::Summary`] as `summary.json`, so the two never disagree.

use std::fmt::Write as _;

use super::summary::{summary, BlameJson, Q};
use crate::metrics::Metrics;
use crate::scenario::Scenario;

/// How many rows of the blame and health tables to print.
const TOP: usize = 10;

/// `median 1.234s  p99 5.678s  (n=9)`, or `-`.
pub fn q(x: &Option<Q>) -> String {
    match x {
        Some(q) => format!(
            "median {:.3}s  p99 {:.3}s  (n={})",
            q.median, q.p99, q.count
        ),
        None => "-".into(),
    }
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// The blame table's first `top` rows, aligned (also printed by `flapsim diagnose`).
pub fn blame_table(o: &mut String, blame: &[BlameJson], top: usize) {
    let w = blame
        .iter()
        .take(top)
        .map(|b| b.node.len())
        .max()
        .unwrap_or(4)
        .max(4);
    let _ = writeln!(
        o,
        "  {:<w$}  {:>10}  {:>6}  {:>12}  {:>6}",
        "node", "suspicions", "share", "refuted-from", "share"
    );
    for b in blame.iter().take(top) {
        let _ = writeln!(
            o,
            "  {:<w$}  {:>10}  {:>6}  {:>12}  {:>6}",
            b.node,
            b.suspicions_raised,
            pct(b.suspicion_share),
            b.refutations_naming,
            pct(b.refutation_share)
        );
    }
}

/// The stdout summary (no colours, aligned columns).
pub fn human_summary(scenario: &Scenario, m: &Metrics) -> String {
    let s = summary(scenario, m);
    let mut o = String::new();
    let _ = writeln!(o, "scenario   {}", s.scenario);
    let _ = writeln!(o, "preset     {}", s.preset);
    let _ = writeln!(o, "seed       {}", s.seed);
    let _ = writeln!(o, "digest     {}", s.digest);
    let _ = writeln!(
        o,
        "simulated  {:.1}s  (warm-up {:.1}s, measured {:.1}s, {} nodes)",
        s.simulated_s, s.warmup_s, s.measured_s, s.nodes
    );
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "flaps            {}  ({:.2}/h, {} episodes, {} of healthy nodes)  rejoin {}",
        s.flaps,
        s.flaps_per_hour,
        s.flap_episodes,
        s.flaps_healthy,
        q(&s.rejoin_s)
    );
    let _ = writeln!(
        o,
        "false positives  {}  healthy {}  both healthy {}  (of {} failure declarations)",
        s.fp_total, s.fp_healthy, s.fp_both_healthy, s.declarations
    );
    let _ = writeln!(
        o,
        "suspicions       {}  refutations {}  suspicion timers fired {}",
        s.suspicions, s.refutations, s.suspicion_timers.expired
    );
    let _ = writeln!(o);
    if s.blame.is_empty() {
        let _ = writeln!(o, "blame: no suspicions raised, no refutations");
    } else {
        let _ = writeln!(
            o,
            "blame (the top accuser is the node whose probes fail: look at it first;\n       refuted-from = refutations naming it, as in `Refuting a suspect message (from: X)`)"
        );
        blame_table(&mut o, &s.blame, TOP);
        if s.blame.len() > TOP {
            let _ = writeln!(o, "  … {} more in summary.json", s.blame.len() - TOP);
        }
    }
    let _ = writeln!(o);
    let d = &s.detection;
    if d.crashes == 0 {
        let _ = writeln!(o, "detection  no crashes");
    } else {
        let _ = writeln!(o, "detection  {} crashes", d.crashes);
        let _ = writeln!(o, "  first suspect       {}", q(&d.first_suspect_s));
        let _ = writeln!(o, "  first dead          {}", q(&d.first_dead_s));
        let _ = writeln!(o, "  full dissemination  {}", q(&d.full_dissemination_s));
        if d.not_disseminated > 0 {
            let _ = writeln!(o, "  not disseminated    {}", d.not_disseminated);
        }
    }
    let _ = writeln!(
        o,
        "load       {:.1} msgs/s  {:.0} bytes/s sent per node",
        s.load.msgs_per_node_s, s.load.bytes_per_node_s
    );
    let mut health: Vec<(&String, &u32)> = s.health_score_max.iter().collect();
    health.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    if !health.is_empty() {
        let w = health
            .iter()
            .take(TOP)
            .map(|h| h.0.len())
            .max()
            .unwrap_or(4)
            .max(4);
        let _ = writeln!(o, "health score max (Lifeguard local health, 0 = healthy)");
        for (name, max) in health.iter().take(TOP) {
            let _ = writeln!(o, "  {name:<w$}  {max:>3}");
        }
    }
    o
}
