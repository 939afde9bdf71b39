//! Multi-node protocol tests on the tiny in-test loop ([`super::testkit::Cluster`]):
//! fixed 1 ms latency, instant CPUs, so what they check is the protocol alone.

use super::config::PRESETS;
use super::testkit::{gossip, Cluster};
use super::{timing, BroadcastKind, Config, Event, Nanos, State, SEC};

fn presets() -> Vec<(&'static str, Config)> {
    PRESETS
        .iter()
        .map(|&p| (p, Config::preset(p).expect("preset")))
        .collect()
}

/// Rule: a converged cluster on a healthy network raises no suspicion and every
/// node keeps every other alive.
#[test]
fn converged_five_node_cluster_stays_all_alive_on_every_preset() {
    for (name, cfg) in presets() {
        let mut c = Cluster::converged(5, cfg, 1);
        c.run_until(300 * SEC);
        let suspicions = c.events_about(|e| matches!(e, Event::Suspected { .. }));
        assert!(suspicions.is_empty(), "{name}: {suspicions:?}");
        for s in 0..5 {
            assert!(
                c.all_see(s, State::Alive),
                "{name}: node {s} not alive everywhere"
            );
        }
    }
}

/// Rule: a crashed node is suspected by a prober within a probe round, then declared
/// dead by every other node within round + probe window + the suspicion timeout's
/// maximum + dissemination (memberlist.md §2.2, §3).
#[test]
fn crashed_node_is_suspected_then_declared_dead_by_everyone_within_the_bound() {
    for (name, cfg) in presets() {
        let n = 5;
        let victim = 3;
        let crash_at: Nanos = 20 * SEC;
        let mut c = Cluster::converged(n, cfg.clone(), 2);
        c.run_until(crash_at);
        c.crash(victim);
        let min = timing::suspicion_timeout(
            cfg.suspicion_mult,
            n,
            cfg.probe_interval,
            cfg.smooth_suspicion_timeout,
        );
        let max = if cfg.dynamic_suspicion {
            min * u64::from(cfg.suspicion_max_timeout_mult)
        } else {
            min
        };
        // Each prober reaches the victim within one round of n probes; the probe
        // window is one ProbeInterval; then the timer; then a few gossip rounds.
        let round = n as Nanos * cfg.probe_interval + cfg.probe_interval;
        let bound = round + max + 10 * cfg.gossip_interval;
        c.run_until(crash_at + bound);
        let first_suspect = c
            .events_about(|e| matches!(e, Event::Suspected { subject, .. } if *subject == victim))
            .first()
            .map(|e| e.0)
            .unwrap_or_else(|| panic!("{name}: never suspected"));
        assert!(
            first_suspect - crash_at <= round,
            "{name}: suspected after {}s",
            (first_suspect - crash_at) / SEC
        );
        assert!(
            c.all_see(victim, State::Dead) || reaped_everywhere(&c, victim),
            "{name}: not dead everywhere within {}s",
            bound / SEC
        );
    }
}

fn reaped_everywhere(c: &Cluster, victim: u32) -> bool {
    (0..c.nodes.len())
        .filter(|&o| c.up[o] && o != victim as usize)
        .all(|o| matches!(c.nodes[o].view_of(victim), None | Some((State::Dead, _))))
}

/// Rule: an accused healthy node refutes with incarnation max(own+1, accused+1) and
/// every node returns it to alive at the new incarnation, with no failure declared.
#[test]
fn accused_healthy_node_refutes_and_everyone_returns_it_to_alive() {
    for (name, cfg) in presets() {
        let mut c = Cluster::converged(5, cfg, 3);
        c.run_until(10 * SEC);
        // node 4 tells node 1 that node 2 is suspect (as if node 4's probe failed).
        c.inject(gossip(4, 1, BroadcastKind::Suspect, 2, 1, 4));
        c.run_until(60 * SEC);
        let refutes = c.events_about(|e| matches!(e, Event::Refuted { from: 4, .. }));
        assert!(!refutes.is_empty(), "{name}: node 2 never refuted");
        assert!(refutes.iter().all(|r| r.1 == 2), "{name}");
        assert!(c.all_see(2, State::Alive), "{name}");
        for o in [0, 1, 3, 4] {
            assert_eq!(
                c.nodes[o].view_of(2),
                Some((State::Alive, 2)),
                "{name}: view of node {o}"
            );
        }
        let downs = c.events_about(|e| matches!(e, Event::MemberDown { subject: 2, .. }));
        assert!(downs.is_empty(), "{name}: {downs:?}");
    }
}

/// Rule: a node cut off long enough is declared dead; when the network heals it
/// learns of it (gossip, push/pull or Serf reconnect), refutes, and everyone sees it
/// rejoin (NotifyJoin → EventMemberJoin): the flap, on every preset.
#[test]
fn node_declared_dead_comes_back_through_a_rejoin_on_every_preset() {
    for (name, cfg) in presets() {
        let mut c = Cluster::converged(6, cfg.clone(), 4);
        c.run_until(10 * SEC);
        c.isolated[5] = true;
        let outage = 4
            * timing::suspicion_timeout(cfg.suspicion_mult, 6, cfg.probe_interval, false)
            * u64::from(cfg.suspicion_max_timeout_mult.max(1))
            + 20 * SEC;
        c.run_until(10 * SEC + outage);
        let downs = c.events_about(|e| matches!(e, Event::MemberDown { subject: 5, .. }));
        assert!(!downs.is_empty(), "{name}: never declared dead");
        c.isolated[5] = false;
        c.run_until(10 * SEC + outage + 400 * SEC);
        let rejoins = c.events_about(|e| matches!(e, Event::MemberUp { subject: 5, .. }));
        assert!(!rejoins.is_empty(), "{name}: never rejoined");
        let serf_joins = c.events_about(|e| matches!(e, Event::SerfMemberJoin { subject: 5 }));
        assert!(!serf_joins.is_empty(), "{name}: no EventMemberJoin");
        for s in 0..6 {
            assert!(
                c.all_see(s, State::Alive),
                "{name}: node {s} not back to alive everywhere"
            );
        }
    }
}
