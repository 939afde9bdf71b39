//! `flapsim check`: the randomized protocol checker.
//!
//! For each seed: draw a scenario ([`generate`]), render it to YAML and parse it
//! back (the round trip must give the same scenario, so a failure can be replayed
//! with `flapsim run`), run it with the invariant checker after every event
//! ([`invariants::run_checked`]), run it again and compare digests. Any panic is
//! caught and is a failure too. A failing seed is reduced greedily (drop timeline
//! events, faults, link rules, nodes, overrides…) while the same kind of failure
//! persists, and the reduced scenario is written to `output/check/failure-<seed>.yaml`.
//!
//! Overflow: release builds wrap silently; run with the `checked` profile
//! (`cargo run --profile checked -- check …`, overflow checks and debug assertions
//! on) or the debug-built `cargo test --test check` to turn overflow into panics.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::engine::invariants::{self, convergence_bound, settle_window, Claim};
use crate::protocol::{Config, Nanos, NodeId};
use crate::report::write_atomic;
use crate::scenario::fault::Pairing;
use crate::scenario::generate::{generate, GenOptions};
use crate::scenario::{self, render, Action, Scenario, StartMode};

/// Events a single checked run may take before it counts as a livelock.
pub const MAX_EVENTS_PER_SEED: u64 = 50_000_000;

/// What went wrong, coarsely: reduction keeps the kind fixed so it does not
/// wander off to a different bug.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureKind {
    /// A panic (including arithmetic overflow in a checked build).
    Panic,
    /// A protocol invariant or convergence claim broke.
    Invariant,
    /// Render → parse did not give the same scenario (or the YAML was refused).
    RoundTrip,
    /// Two runs of the same scenario differ.
    Nondeterministic,
}

#[derive(Clone, Debug)]
pub struct CheckFailure {
    pub kind: FailureKind,
    pub message: String,
}

/// A passing seed.
#[derive(Clone, Debug)]
pub struct CheckPass {
    pub claim: Claim,
    pub events: u64,
    pub digest: u64,
    pub converged_after: Option<Nanos>,
    pub suspicions: u64,
    pub stranded: usize,
}

/// The tail a generated scenario runs after its last fault: the convergence
/// bound, a settle window and a margin.
pub fn tail(cfg: &Config, n: usize) -> Nanos {
    convergence_bound(cfg, n)
        + settle_window(cfg, n)
        + invariants::linger(cfg)
        + 200 * crate::protocol::SEC
}

/// The scenario of check seed `seed`.
pub fn scenario_for(seed: u64, max_nodes: usize) -> Scenario {
    let opt = GenOptions {
        max_nodes,
        ..GenOptions::default()
    };
    generate(seed, &opt, &tail)
}

/// Check one seed (see module docs).
pub fn check_seed(seed: u64, max_nodes: usize) -> Result<CheckPass, CheckFailure> {
    let s = guarded(|| Ok(scenario_for(seed, max_nodes)))?;
    check_scenario(&s)
}

fn panic_message(p: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic with a non-string payload".into()
    }
}

fn guarded<T>(f: impl FnOnce() -> Result<T, CheckFailure>) -> Result<T, CheckFailure> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(p) => Err(CheckFailure {
            kind: FailureKind::Panic,
            message: format!("panicked: {}", panic_message(p)),
        }),
    }
}

/// The scenario's debug form without the fields a file cannot carry.
fn comparable(s: &Scenario) -> String {
    let mut c = s.clone();
    c.source = None;
    format!("{c:?}")
}

/// Check one resolved scenario: round trip, invariants, replay.
pub fn check_scenario(s: &Scenario) -> Result<CheckPass, CheckFailure> {
    guarded(|| {
        let fail = |kind, message| CheckFailure { kind, message };
        let yaml = render::to_yaml(s).map_err(|m| fail(FailureKind::RoundTrip, m))?;
        let back = scenario::parse(&yaml, &format!("{}.yaml", s.name)).map_err(|e| {
            fail(
                FailureKind::RoundTrip,
                format!("the rendered YAML was refused: {e}"),
            )
        })?;
        let (a, b) = (comparable(s), comparable(&back));
        if a != b {
            // Show where they part, not two pages of debug output.
            let at = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
            let from = a[..at].char_indices().rev().nth(80).map_or(0, |(i, _)| i);
            let window = |t: &str| t[from..].chars().take(200).collect::<String>();
            return Err(fail(
                FailureKind::RoundTrip,
                format!(
                    "render -> parse changed the scenario:\n  built:  …{}\n  parsed: …{}",
                    window(&a),
                    window(&b)
                ),
            ));
        }
        let run = invariants::run_checked(s, MAX_EVENTS_PER_SEED)
            .map_err(|m| fail(FailureKind::Invariant, m))?;
        let again = invariants::replay_digest(s, run.events);
        if again != run.digest {
            return Err(fail(
                FailureKind::Nondeterministic,
                format!(
                    "two runs of {} events gave digests {:016x} and {again:016x}",
                    run.events, run.digest
                ),
            ));
        }
        Ok(CheckPass {
            claim: run.claim,
            events: run.events,
            digest: run.digest,
            converged_after: match (run.claim, run.converged_at) {
                (Claim::Converge { settle_at }, Some(t)) => Some(t.saturating_sub(settle_at)),
                _ => None,
            },
            suspicions: run.suspicions,
            stranded: run.stranded,
        })
    })
}

// ------------------------------------------------------------------ reduction

/// Remove node `k`, renumbering the others; entries left without nodes go.
fn without_node(s: &Scenario, k: NodeId) -> Scenario {
    let mut s = s.clone();
    let map = |v: &[NodeId]| -> Vec<NodeId> {
        v.iter()
            .filter(|&&i| i != k)
            .map(|&i| if i > k { i - 1 } else { i })
            .collect()
    };
    s.nodes.remove(k as usize);
    for (i, n) in s.nodes.iter_mut().enumerate() {
        let id = i as u32;
        let block = id / 250;
        n.ip = format!("10.{}.{}.{}", block / 256, block % 256, id % 250 + 1);
    }
    for g in s.groups.values_mut() {
        *g = map(g);
    }
    if let StartMode::Join { seeds, .. } = &mut s.start {
        *seeds = map(seeds);
    }
    s.network.rules = s
        .network
        .rules
        .iter()
        .cloned()
        .map(|mut r| {
            r.from = map(&r.from);
            r.to = map(&r.to);
            r
        })
        .filter(|r| !r.from.is_empty() && !r.to.is_empty())
        .collect();
    s.faults = s
        .faults
        .iter()
        .cloned()
        .map(|mut f| {
            f.nodes = map(&f.nodes);
            f
        })
        .filter(|f| !f.nodes.is_empty())
        .collect();
    for (i, f) in s.faults.iter_mut().enumerate() {
        f.index = i as u32;
    }
    s.timeline = s
        .timeline
        .iter()
        .cloned()
        .filter_map(|mut e| {
            let keep = e.action.map_nodes(&mut |v| map(v));
            keep.then_some(e)
        })
        .collect();
    s.log_observers = map(&s.log_observers);
    s
}

/// Remove timeline entry `i` with its heal/release (or the partition/hold a
/// heal/release ends, so the file stays valid).
fn without_event(s: &Scenario, i: usize) -> Scenario {
    let mut s = s.clone();
    let name = pair_name(&s.timeline[i].action);
    s.timeline.remove(i);
    if let Some(name) = name {
        s.timeline
            .retain(|e| pair_name(&e.action).is_none_or(|n| n != name));
    }
    s
}

/// The name an entry opens or closes (a partition and its heal share one).
fn pair_name(a: &Action) -> Option<String> {
    match a.pairing() {
        Pairing::Opens { name, .. } => Some(name.to_string()),
        Pairing::Closes { name, .. } => name.map(str::to_string),
        Pairing::None => None,
    }
}

/// Smaller variants of `s`, most aggressive first.
fn candidates(s: &Scenario) -> Vec<Scenario> {
    let mut out = Vec::new();
    for i in (0..s.timeline.len()).rev() {
        out.push(without_event(s, i));
    }
    for i in (0..s.faults.len()).rev() {
        let mut c = s.clone();
        c.faults.remove(i);
        for (j, f) in c.faults.iter_mut().enumerate() {
            f.index = j as u32;
        }
        out.push(c);
    }
    for i in (0..s.network.rules.len()).rev() {
        let mut c = s.clone();
        c.network.rules.remove(i);
        out.push(c);
    }
    if s.nodes.len() > 3 {
        for k in (0..s.nodes.len() as NodeId).rev() {
            out.push(without_node(s, k));
        }
    }
    if !s.overrides.is_empty() {
        let mut c = s.clone();
        c.overrides.clear();
        c.protocol = Config::preset(&c.preset).unwrap_or_else(|| c.protocol.clone());
        out.push(c);
    }
    if s.start != StartMode::Converged {
        let mut c = s.clone();
        c.start = StartMode::Converged;
        out.push(c);
    }
    if s.network.default.spike.is_some() || s.network.default.loss > 0.0 {
        let mut c = s.clone();
        c.network.default.spike = None;
        c.network.default.loss = 0.0;
        c.network.default.duplicate = 0.0;
        out.push(c);
    }
    out
}

/// Greedily shrink `s` while it still fails with the same kind of failure.
/// Returns the reduced scenario, its failure and the number of runs tried.
pub fn reduce(
    s: &Scenario,
    kind: FailureKind,
    max_tries: usize,
) -> (Scenario, CheckFailure, usize) {
    let mut best = s.clone();
    let mut failure = match check_scenario(s) {
        Err(f) => f,
        Ok(_) => {
            return (
                best,
                CheckFailure {
                    kind,
                    message: "did not fail again (flaky?)".into(),
                },
                1,
            )
        }
    };
    let mut tries = 1;
    'outer: loop {
        for c in candidates(&best) {
            if tries >= max_tries {
                break 'outer;
            }
            tries += 1;
            // A candidate the parser refuses is not a replayable reduction.
            if kind != FailureKind::RoundTrip {
                let Ok(yaml) = render::to_yaml(&c) else {
                    continue;
                };
                if scenario::parse(&yaml, "reduce.yaml").is_err() {
                    continue;
                }
            }
            if let Err(f) = check_scenario(&c) {
                if f.kind == kind {
                    best = c;
                    failure = f;
                    continue 'outer;
                }
            }
        }
        break;
    }
    (best, failure, tries)
}

/// The YAML written for a failing seed: the reduced scenario with a header.
pub fn failure_yaml(seed: u64, s: &Scenario, f: &CheckFailure) -> String {
    let mut head = format!(
        "# flapsim check: seed {seed} failed ({:?}).\n# reproduce with `flapsim check --seeds 1 --start-seed {seed}`\n# replay this reduced scenario with `flapsim run <this file>`\n",
        f.kind
    );
    for line in f.message.lines() {
        head.push_str("# ");
        head.push_str(line);
        head.push('\n');
    }
    match render::to_yaml(s) {
        Ok(y) => head + &y,
        Err(e) => head + &format!("# (cannot render: {e})\n"),
    }
}

/// Options of `flapsim check`.
#[derive(Clone, Debug)]
pub struct CheckOptions {
    pub seeds: u64,
    pub start_seed: u64,
    pub max_nodes: usize,
    pub out: PathBuf,
    pub quiet: bool,
}

/// Totals of a check run.
#[derive(Clone, Debug, Default)]
pub struct CheckSummary {
    pub passed: u64,
    pub failed: Vec<u64>,
    pub events: u64,
    pub quiet: u64,
    pub converge: u64,
    pub safety_only: u64,
    /// Nodes stranded by a failed join (a known memberlist non-convergence).
    pub stranded: usize,
    /// Longest observed time to converge after the last fault (ns).
    pub max_converged_after: Nanos,
    /// `seed digest events`, one line per passing seed, in seed order.
    pub digest_lines: String,
}

/// Largest cluster `--max-nodes` may ask for: every seed's cluster is checked
/// after every event, so cost grows quickly with it.
pub const MAX_NODES: usize = 1000;

/// Run the checker over seeds `start_seed .. start_seed + seeds`, writing a
/// reduced scenario for each failure. Wall time is read only for the report.
pub fn run_check(opt: &CheckOptions) -> CheckSummary {
    let started = Instant::now();
    let mut sum = CheckSummary::default();
    // Inclusive, so a range ending at u64::MAX is checked too (the caller
    // refuses ranges that would go past it).
    let last = opt.start_seed.saturating_add(opt.seeds.saturating_sub(1));
    for seed in (opt.start_seed..=last).take(opt.seeds as usize) {
        match check_seed(seed, opt.max_nodes) {
            Ok(p) => {
                sum.passed += 1;
                sum.digest_lines += &format!("{seed} {:016x} {}\n", p.digest, p.events);
                sum.events += p.events;
                sum.stranded += p.stranded;
                match p.claim {
                    Claim::NoSuspicion => sum.quiet += 1,
                    Claim::Converge { .. } => sum.converge += 1,
                    Claim::SafetyOnly => sum.safety_only += 1,
                }
                if let Some(c) = p.converged_after {
                    sum.max_converged_after = sum.max_converged_after.max(c);
                }
            }
            Err(f) => {
                sum.failed.push(seed);
                warn!(
                    "seed {seed}: FAILED ({:?}): {}\n  reproduce with `flapsim check --seeds 1 --start-seed {seed}`",
                    f.kind, f.message
                );
                let original = catch_unwind(|| scenario_for(seed, opt.max_nodes)).ok();
                if let Some(s) = original {
                    let (small, f2, tries) = reduce(&s, f.kind, 400);
                    let path = opt.out.join(format!("failure-{seed}.yaml"));
                    let written = std::fs::create_dir_all(&opt.out).and_then(|_| {
                        write_atomic(&path, failure_yaml(seed, &small, &f2).as_bytes())
                    });
                    match written {
                        Ok(()) => warn!(
                            "  reduced in {} to {}, {}, {}: {}",
                            crate::units::count(tries, "run"),
                            crate::units::count(small.nodes.len(), "node"),
                            crate::units::count(small.faults.len(), "fault"),
                            crate::units::count(small.timeline.len(), "timeline event"),
                            path.display()
                        ),
                        Err(e) => warn!("  cannot write {}: {e}", path.display()),
                    }
                }
            }
        }
        if !opt.quiet && (seed - opt.start_seed + 1).is_multiple_of(100) {
            warn!(
                "  ... {} seeds, {} failed, {:.1} s",
                seed - opt.start_seed + 1,
                sum.failed.len(),
                started.elapsed().as_secs_f64()
            );
        }
    }
    sum
}

/// The default directory for reduced failures.
pub fn default_out() -> PathBuf {
    Path::new("output").join("check")
}
