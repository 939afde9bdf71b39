//! The incident flapsim was built to replay (incidents.md §0, scenario S1): one
//! sluggish agent `a-01` in a 39-node Consul 0.5.2 cluster makes healthy nodes flap;
//! the blame table points at it; Lifeguard (memberlist ≥ 2016) stops the damage.

mod common;

use common::run;

const S1: &str = "qiita-2015-sick-t2.yaml";

/// The replay on memberlist-2015 shows the incident's signature: many different
/// healthy nodes declared failed and re-joining over the run, the sick node first in
/// the blame table by a wide margin, and refutations naming it more than any other.
#[test]
fn incident_replay_on_memberlist_2015_shows_the_signature() {
    let r = run(S1, None, None, &[]);
    let m = &r.metrics;
    let sick = r.id_of("a-01");
    assert_eq!(r.scenario.preset, "memberlist-2015");

    let healthy_flapped: Vec<&str> = m
        .per_node
        .iter()
        .enumerate()
        .filter(|&(i, n)| i as u32 != sick && n.flaps_as_subject > 0)
        .map(|(i, _)| r.name_of(i as u32))
        .collect();
    assert!(
        m.totals.flaps_healthy >= 100,
        "healthy-node flaps: {}",
        m.totals.flaps_healthy
    );
    assert!(
        healthy_flapped.len() >= 10,
        "only {} different healthy nodes flapped: {healthy_flapped:?}",
        healthy_flapped.len()
    );

    let names: Vec<String> = r.scenario.nodes.iter().map(|n| n.name.clone()).collect();
    let blame = m.blame(&names);
    assert_eq!(blame[0].node, sick, "the sick node tops the blame table");
    assert!(
        blame[0].suspicions_raised >= 5 * blame[1].suspicions_raised,
        "wide margin: {} vs {}",
        blame[0].suspicions_raised,
        blame[1].suspicions_raised
    );
    let most_named = m
        .per_node
        .iter()
        .enumerate()
        .max_by_key(|(_, n)| n.refutations_naming)
        .map(|(i, _)| i as u32);
    assert_eq!(
        most_named,
        Some(sick),
        "`Refuting a suspect message (from: a-01)`"
    );
    let second = m
        .per_node
        .iter()
        .enumerate()
        .filter(|&(i, _)| i as u32 != sick)
        .map(|(_, n)| n.refutations_naming)
        .max()
        .unwrap_or(0);
    assert!(m.per_node[sick as usize].refutations_naming >= 5 * second.max(1));
}

/// Switching the same replay to today's memberlist (Lifeguard) cuts healthy-node
/// flaps by at least an order of magnitude, and the sick node's local-health
/// score climbs (it doubts itself first). Also true of the first Lifeguard release.
#[test]
fn lifeguard_cuts_healthy_node_flaps_by_an_order_of_magnitude() {
    let old = run(S1, None, None, &[]);
    let sick = old.id_of("a-01");
    for preset in ["memberlist", "memberlist-2016"] {
        let new = run(S1, Some(preset), None, &[]);
        let (before, after) = (
            old.metrics.totals.flaps_healthy,
            new.metrics.totals.flaps_healthy,
        );
        assert!(
            after * 10 <= before,
            "{preset}: healthy-node flaps {before} -> {after}"
        );
        let score = new.metrics.per_node[sick as usize].health_max;
        assert!(
            score >= 4,
            "{preset}: a-01's health score only reached {score}"
        );
        assert_eq!(
            old.metrics.per_node[sick as usize].health_max, 0,
            "2015 has no local health"
        );
    }
}

/// The stop/start of a-01 at 90 minutes (the incident's fix) ends the flapping:
/// no healthy node is declared failed after one push/pull period (60 s at n = 39).
#[test]
fn restarting_the_sick_node_stops_the_flapping() {
    let r = run(S1, None, None, &[]);
    let fix = 90 * 60 * 1_000_000_000u64;
    let quiet_from = fix + 60 * 1_000_000_000;
    let late: u64 = r
        .metrics
        .bins
        .iter()
        .enumerate()
        .filter(|(i, _)| (*i as u64) * r.metrics.bin >= quiet_from)
        .map(|(_, b)| u64::from(b.fp_healthy))
        .sum();
    let early: u64 = r
        .metrics
        .bins
        .iter()
        .enumerate()
        .filter(|(i, _)| (*i as u64) * r.metrics.bin < fix)
        .map(|(_, b)| u64::from(b.fp_healthy))
        .sum();
    assert!(early > 0, "flapping before the fix");
    assert_eq!(late, 0, "healthy nodes still declared failed after the fix");
}
