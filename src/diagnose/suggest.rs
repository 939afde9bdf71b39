//! `diagnosed.yaml`: a scenario that replays what the logs show, as a starting
//! point — the cluster's size and names as seen, the memberlist generation guessed
//! from the wording of the lines, and the culprit(s) with a starting fault model.
//! Its header says how far each part can be trusted.

use std::fmt::Write as _;

use super::analyze::Analysis;
use super::frame::Framing;
use super::verdict::Shape;
use super::Diagnosis;
use crate::protocol::SEC;

/// The preset the logs point at, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct GenerationGuess {
    pub preset: &'static str,
    pub evidence: String,
    /// Lines whose wording fits only some generations: 2015, 2016, today.
    pub votes: [u64; 3],
}

const PRESETS: [&str; 3] = ["memberlist-2015", "memberlist-2016", "memberlist"];
const ERAS: [&str; 3] = [
    "Consul 0.5-0.6 (memberlist 2015)",
    "Consul 0.7-0.9 (memberlist 2016, Lifeguard)",
    "Consul 1.x (memberlist today)",
];

pub fn guess_generation(a: &Analysis) -> GenerationGuess {
    let votes = a.generation_votes;
    let hclog = a
        .files
        .iter()
        .any(|f| f.framings.contains(&Framing::Hclog) || f.framings.contains(&Framing::HclogJson));
    let best = (0..3).max_by_key(|&i| (votes[i], i)).unwrap_or(2);
    let by_words = votes[best] > 0;
    let (i, evidence) = if by_words {
        (
            best,
            format!(
                "{} whose wording fits only {}; lines fitting 2015 / 2016 / today: {} / {} / {}{}",
                crate::units::count(votes[best] as usize, "line"),
                ERAS[best],
                votes[0],
                votes[1],
                votes[2],
                if hclog {
                    "; hclog framing (Consul 1.x)"
                } else {
                    ""
                }
            ),
        )
    } else if hclog {
        (2, "hclog framing (Consul 1.x and Nomad 0.9+ log this way); no line's wording tells versions apart".into())
    } else if a.files.iter().any(|f| f.framings.contains(&Framing::GoLog)) {
        (
            0,
            "Go-log framing (Consul before 1.0); no line's wording tells versions apart, so the oldest is assumed: check your Consul version".into(),
        )
    } else {
        (
            0,
            "syslog lines without the agent's own stamp (enable_syslog) do not tell versions apart, nor does any line's wording, so the oldest is assumed: check your Consul version".into(),
        )
    };
    GenerationGuess {
        preset: PRESETS[i],
        evidence,
        votes,
    }
}

fn q(name: &str) -> String {
    serde_json::to_string(name).unwrap_or_else(|_| "\"?\"".into())
}

/// The suggested scenario's YAML.
pub fn diagnosed_yaml(d: &Diagnosis) -> String {
    let a = &d.analysis;
    let m = &a.metrics;
    let name = |n: u32| q(&a.names[n as usize]);
    let measured_min = (m.measured() / SEC).div_ceil(60).clamp(10, 24 * 60);
    let warmup_min = 5;
    let mut o = String::new();
    let logged = a.observers.len();
    let _ = writeln!(
        o,
        "# Suggested by `flapsim diagnose` from {}, {} to {}.",
        crate::units::count(a.files.len(), "log file"),
        super::time::format_utc(a.first, false),
        super::time::format_utc(a.last, false)
    );
    let _ = writeln!(o, "# How far to trust it:");
    let _ = writeln!(
        o,
        "# - cluster: the {} nodes the logs name ({} of them logged). A node that never\n#   logged and was never named is missing. Zones, latencies and addresses are not\n#   in the logs: one zone at intra-AZ latency is assumed.",
        a.names.len(),
        logged
    );
    let _ = writeln!(
        o,
        "# - protocol: {}, guessed from {}.\n#   Check it against the Consul/Serf version you run (`flapsim presets`).",
        d.generation.preset, d.generation.evidence
    );
    if d.verdict.culprits.is_empty() {
        let _ = writeln!(
            o,
            "# - faults: none. No single node stands out in the logs; add network loss or\n#   latency spikes (network.default) to reproduce the flap rate."
        );
    } else {
        let _ = writeln!(
            o,
            "# - faults: a STARTING model of each culprit's shape, not a measurement. Tune it\n#   until `flapsim run` gives a blame table and flap rate like the logs':"
        );
        for c in &d.verdict.culprits {
            let _ = writeln!(
                o,
                "#   {} ({}): {:.0} % of suspicions raised, {:.0} % of refutations naming it, suspect in {:.0} %.",
                a.names[c.node as usize],
                c.shape.as_str(),
                c.suspicion_share * 100.0,
                c.refutation_share * 100.0,
                c.accused_share * 100.0
            );
        }
    }
    let _ = writeln!(
        o,
        "# The logs showed {} flaps ({:.1}/h) and {} suspicions over {:.1} h.",
        m.totals.flaps,
        m.flaps_per_hour(),
        m.totals.suspicions,
        m.measured_hours()
    );
    let _ = writeln!(o, "name: diagnosed");
    let _ = writeln!(
        o,
        "description: {}",
        q(&format!(
            "Replay of the diagnosed logs: {} nodes, {}",
            a.names.len(),
            d.verdict.text.chars().take(300).collect::<String>()
        ))
    );
    let _ = writeln!(o, "seed: 1");
    let _ = writeln!(
        o,
        "duration: {}m          # includes the warm-up",
        measured_min + warmup_min
    );
    let _ = writeln!(o, "warmup: {warmup_min}m");
    let _ = writeln!(o, "\nprotocol:\n  preset: {}", d.generation.preset);
    let _ = writeln!(o, "\ncluster:\n  zones: [a]\n  nodes:");
    let mut sorted: Vec<u32> = (0..a.names.len() as u32).collect();
    sorted.sort_by(|x, y| a.names[*x as usize].cmp(&a.names[*y as usize]));
    for n in &sorted {
        let _ = writeln!(o, "    {}: {{}}", name(*n));
    }
    let _ = writeln!(
        o,
        "\nnetwork:\n  default:\n    latency: {{normal: {{mean: 125us, sd: 40us}}}}"
    );
    let probers: Vec<u32> = d
        .verdict
        .culprits
        .iter()
        .filter(|c| c.shape == Shape::ProbesFail)
        .map(|c| c.node)
        .collect();
    let unreachable: Vec<u32> = d
        .verdict
        .culprits
        .iter()
        .filter(|c| c.shape == Shape::Unreachable)
        .map(|c| c.node)
        .collect();
    if !probers.is_empty() {
        let list = probers
            .iter()
            .map(|&n| name(n))
            .collect::<Vec<_>>()
            .join(", ");
        let _ = writeln!(
            o,
            "\nfaults:\n  # Its probes fail: a CPU-capped, starved host (the incident's model). Try\n  # pause (GC, steal), slow, or credits instead if the host says so.\n  - nodes: [{list}]\n    throttle: {{run: 10ms, park: 90ms}}\n  - nodes: [{list}]\n    starve:\n      delay: {{lognormal: {{median: 80ms, p95: 450ms}}}}"
        );
    }
    if !unreachable.is_empty() {
        let _ = writeln!(o, "\ntimeline:");
        for &n in &unreachable {
            let _ = writeln!(
                o,
                "  # Others cannot reach it: inbound UDP dropped (firewall). Try loss on its\n  # links (network.rules) instead if TCP fails too.\n  - at: 0s\n    partition:\n      name: {}\n      from: {{except: [{}]}}\n      to: {}\n      one_way: true\n      transport: udp",
                q(&format!("inbound-udp-{}", a.names[n as usize])),
                name(n),
                name(n)
            );
        }
    }
    // The replay logs what the input logged (and the culprits), so its
    // memberlist.log diagnoses like the logs it came from.
    let mut watch: Vec<u32> = probers.iter().chain(&unreachable).copied().collect();
    for n in sorted.iter().filter(|n| a.observers.contains(n)) {
        if !watch.contains(n) {
            watch.push(*n);
        }
    }
    let watched = if watch.len() >= a.names.len() {
        "all".to_string()
    } else {
        format!(
            "[{}]",
            watch
                .iter()
                .map(|&n| name(n))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let _ = writeln!(o, "\nlog_observers: {watched}\ntimeseries_bin: 60s");
    o
}
