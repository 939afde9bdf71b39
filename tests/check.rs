//! The randomized protocol checker, bounded for CI.
//!
//! Rule under test: for every seed, the generated scenario survives the YAML
//! round trip, every protocol invariant holds after every engine event
//! (engine/invariants.rs), the views converge within the derived bound once the
//! faults are over (or not one suspicion happens on a fault-free cluster), no
//! panic, and a second run replays to the same digest.
//!
//! In `cargo test` (debug profile) overflow checks are on, so arithmetic
//! overflow anywhere in the run is a panic and a failure here; `cargo test
//! --release` runs the same seeds without them (see the `checked` profile in
//! Cargo.toml for an optimized build with overflow checks).

use flapsim::cli::check::{check_scenario, check_seed, reduce, FailureKind};
use flapsim::engine::invariants::{claim, run_checked, Claim};
use flapsim::scenario::parse;

/// Seeds checked in CI: ~6 s in release, well under a minute in debug.
const SEEDS: u64 = 200;

#[test]
fn two_hundred_random_seeds_hold_every_invariant() {
    let mut failures = Vec::new();
    let (mut quiet, mut converge, mut safety) = (0, 0, 0);
    for seed in 1..=SEEDS {
        match check_seed(seed, 12) {
            Ok(p) => match p.claim {
                Claim::NoSuspicion => quiet += 1,
                Claim::Converge { .. } => converge += 1,
                Claim::SafetyOnly => safety += 1,
            },
            Err(f) => failures.push(format!(
                "seed {seed} ({:?}): {}\n  reproduce with `flapsim check --seeds 1 --start-seed {seed}`",
                f.kind, f.message
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The generator must exercise every claim, or the test proves little.
    assert!(
        quiet >= 20 && converge >= 50 && safety >= 20,
        "{quiet}/{converge}/{safety}"
    );
}

/// Rule: the checker is deterministic: the same seed gives the same digest.
#[test]
fn a_seed_replays_to_the_same_digest() {
    let a = check_seed(42, 8).expect("seed 42 passes");
    let b = check_seed(42, 8).expect("seed 42 passes");
    assert_eq!(a.digest, b.digest);
    assert_eq!(a.events, b.events);
}

/// Finding (seed 165, reduced): a node whose join push/pull is cut by a TCP-only
/// partition stays alone forever after the heal — memberlist's `Join` fails and
/// nothing retries it (Consul's retry_join is not in memberlist or Serf), and
/// Serf's reconnect only retries members it knew. A real non-convergence, which
/// the checker must recognise (as stranded) instead of reporting.
#[test]
fn a_join_cut_by_a_tcp_partition_strands_the_node() {
    let yaml = "\
seed: 165
duration: 1061954061631ns
protocol: {preset: memberlist-local}
cluster:
  nodes:
    n-01: {}
    n-02: {}
    n-07: {starts: false}
timeline:
  - {at: 22277769945ns, partition: {name: p0, from: [n-07], to: [n-01, n-02], transport: tcp}}
  - {at: 57003920371ns, join: [n-07]}
  - {at: 61651782366ns, heal: p0}
";
    let s = parse(yaml, "stranded.yaml").expect("valid");
    assert!(matches!(claim(&s), Claim::Converge { .. }));
    let run = run_checked(&s, 10_000_000).expect("stranding is not a violation");
    assert_eq!(run.stranded, 1, "n-07 never learns anyone");
}

/// Finding (seed 8062, reduced, memberlist-2015): n-01 leaves; n-02 is cut off;
/// n-03 and the restarted n-01 join while it is cut, so they only find each other.
/// After the heal nobody holds anybody of the other group alive, suspect or
/// Serf-failed (n-01 *left*, so Serf does not reconnect to it), so the two groups
/// never merge: a permanent split of memberlist itself. The checker claims
/// convergence within each "may contact" component only.
#[test]
fn groups_that_can_never_contact_each_other_stay_split() {
    let yaml = "\
seed: 8062
duration: 1536645791113ns
protocol: {preset: memberlist-2015}
cluster:
  zones: [a, b]
  nodes:
    n-01: {zone: a}
    n-02: {zone: b}
    n-03: {zone: a, starts: false}
timeline:
  - {at: 137679758149ns, leave: [n-01]}
  - {at: 201725441429ns, partition: {name: p3, from: [n-02], to: [n-01, n-03], transport: both}}
  - {at: 208748270176ns, join: [n-03]}
  - {at: 210986549390ns, join: [n-01]}
  - {at: 223311475683ns, heal: p3}
";
    let s = parse(yaml, "split.yaml").expect("valid");
    assert!(matches!(claim(&s), Claim::Converge { .. }));
    let run = run_checked(&s, 10_000_000).expect("a permanent split is not a violation");
    assert_eq!(run.stranded, 1, "n-02 is on its own");
}

/// Finding (seed 260, reduced): with reap-at-wrap (2015/2016), a host that wakes
/// up runs its probe tick (wrap: reap the dead member) and then a buffered alive
/// message about that member at the SAME incarnation, in one engine step. The
/// member is resurrected at its old incarnation — memberlist's behaviour, not a
/// broken rule — so the checker ends a member's history at `Reaped`.
#[test]
fn reap_then_alive_at_the_same_incarnation_is_memberlist_behaviour() {
    let yaml = "\
seed: 260
duration: 1403796270765ns
protocol: {preset: memberlist-2016}
cluster:
  nodes: {n-01: {}, n-02: {}, n-03: {}}
network:
  default: {latency: {uniform: [50us, 2029us]}, spike: {probability: 0.008, extra: {uniform: [507ms, 947ms]}}}
timeline:
  - {at: 5394212754ns, hold: {name: h0, nodes: [n-03], every: 22s, for: 17206841684ns}}
  - {at: 14619646832ns, pause: {nodes: [n-02], duration: 13438ms}}
  - {at: 22377585490ns, hold: {name: h1, nodes: [n-02], every: 11s, for: 7876357258ns}}
  - {at: 75348849024ns, partition: {name: p3, from: [n-01, n-02], to: [n-03]}}
  - {at: 76803469818ns, heal: p3}
";
    let s = parse(yaml, "reap.yaml").expect("valid");
    check_scenario(&s).expect("no invariant broken");
}

/// Finding (seed 162, reduced): a host pause that starts before its fault's
/// `until` runs its whole drawn length, so the fault is over only at
/// `until + max pause`; a probe begun during it concludes a probe period later.
#[test]
fn a_pause_in_progress_at_until_is_still_the_fault() {
    let yaml = "\
seed: 162
duration: 1603538340161ns
protocol: {preset: memberlist-2015}
cluster:
  nodes: {n-01: {}, n-02: {}, n-03: {}}
faults:
  - {nodes: [n-01, n-02, n-03], from: 8886028237ns, until: 223035934763ns, pause: {every: {exponential: {mean: 39s}}, duration: {uniform: [773ms, 3763ms]}}}
  - {nodes: [n-02], from: 63078652520ns, until: 71522922127ns, slow: {cost: 10ms}}
  - {nodes: [n-03], from: 290827021101ns, until: 347245781308ns, pause: {every: {exponential: {mean: 40s}}, duration: {exponential: {mean: 1298ms, min: 155ms}}}}
";
    let s = parse(yaml, "pause.yaml").expect("valid");
    check_scenario(&s).expect("no invariant broken");
}

/// Rule: the reducer keeps the kind of failure and shrinks the scenario. The
/// failure is planted: the claim reads host *faults*, not the default work-item
/// costs, so a cluster whose every packet costs 900 ms of CPU counts as healthy
/// and must not suspect anyone — it does, and the checker says so.
#[test]
fn the_reducer_keeps_the_failure_and_shrinks() {
    let yaml = "\
seed: 7
duration: 10m
cluster:
  nodes: {n-01: {}, n-02: {}, n-03: {}, n-04: {}, n-05: {}, n-06: {}}
host: {packet_cost: 900ms}
";
    let s = parse(yaml, "planted.yaml").expect("valid");
    assert_eq!(claim(&s), Claim::NoSuspicion);
    let f = check_scenario(&s).expect_err("planted failure");
    assert_eq!(f.kind, FailureKind::Invariant, "{}", f.message);
    assert!(f.message.contains("fault-free"), "{}", f.message);
    let (small, f2, tries) = reduce(&s, f.kind, 100);
    assert_eq!(f2.kind, FailureKind::Invariant);
    assert_eq!(
        small.nodes.len(),
        3,
        "reduced to the smallest cluster in {tries} runs"
    );
}
