//! memberlist's receive path end to end (memberlist.md §4.4, issue 9): the
//! packet handler's serving order (`handoff_order`), its queue's depth
//! (`handoff_queue_depth`) and when it lags the listener
//! (`host.other_core_idle`) decide what a freeze's release burst does to the
//! sick node n01 of the oracle's S3.

mod common;

use std::path::Path;

use common::{run_scenario, Run};
use flapsim::metrics::What;
use flapsim::protocol::event::RefuteKind;
use flapsim::protocol::Event;
use flapsim::scenario::{self, CliOverrides};

/// The oracle's S3 without Lifeguard (n01's links held 8 s of every 30 s,
/// memberlist 0.2.2), for four windows, with `other_core_idle` and protocol
/// overrides.
fn freeze(other_core_idle: f64, sets: &[(&str, &str)]) -> Run {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios/oracle/ml022-s3-freeze-nolifeguard.yaml");
    let overrides = CliOverrides {
        seed: Some(1),
        sets: [("duration", "2m")]
            .iter()
            .chain(sets)
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..CliOverrides::default()
    };
    let mut s = scenario::load_with(&path, &overrides).expect("loads");
    s.host.other_core_idle = other_core_idle;
    run_scenario(s)
}

fn count(r: &Run, node: u32, f: impl Fn(&Event) -> bool) -> usize {
    r.metrics
        .events
        .iter()
        .filter(|e| e.node == node && matches!(&e.what, What::Protocol(ev) if f(ev)))
        .count()
}

fn refutes(r: &Run, kind: RefuteKind) -> usize {
    let s = r.id_of("n01");
    count(
        r,
        s,
        |e| matches!(e, Event::Refuted { kind: k, .. } if *k == kind),
    )
}

/// Rule (0.2.2 net.go `getNextMessage`: `Back()` first; Go `runnext`): with
/// no idle core n01 reads the whole release burst before its handler runs,
/// and served newest first it applies the dead messages about itself before
/// the older suspects, so it refutes a dead message; served oldest first
/// (`handoff_order: fifo`, the 2015 channel) it refutes a suspect.
#[test]
fn a_lagging_handler_serves_the_burst_newest_first() {
    let lifo = freeze(0.0, &[]);
    let fifo = freeze(0.0, &[("handoff_order", "fifo")]);
    assert!(refutes(&lifo, RefuteKind::Dead) > 0, "newest first: dead");
    assert_eq!(refutes(&fifo, RefuteKind::Dead), 0, "oldest first: suspect");
    assert!(refutes(&fifo, RefuteKind::Suspect) > refutes(&lifo, RefuteKind::Suspect));
}

/// Rule (Go `ready` → `wakep`): with another core always idle the handler
/// runs alongside the listener and applies each packet's messages as it is
/// read, so even the newest-first queue refutes the suspect, and the run is
/// the one-stage run exactly: the serving order matters only when the
/// handler falls behind.
#[test]
fn a_handler_that_keeps_up_refutes_the_suspect_whatever_the_order() {
    let alongside = freeze(1.0, &[]);
    let fifo = freeze(1.0, &[("handoff_order", "fifo")]);
    assert_eq!(
        refutes(&alongside, RefuteKind::Dead),
        0,
        "never the dead one"
    );
    assert!(refutes(&alongside, RefuteKind::Suspect) > 0);
    assert_eq!(alongside.stats.digest, fifo.stats.digest);
}

/// Rule (0.2.2 net.go `handleCommand`: `queue.Len() >= HandoffQueueDepth`
/// drops with WARN "handler queue full, dropping message"): memberlist's
/// default depth of 1024 never fills on a 32-node burst, a depth of 2 does,
/// and each drop is reported.
#[test]
fn handoff_queue_depth_bounds_the_release_burst() {
    let default = freeze(0.0, &[]);
    let shallow = freeze(0.0, &[("handoff_queue_depth", "2")]);
    let s = shallow.id_of("n01");
    let full = |r: &Run| count(r, s, |e| matches!(e, Event::HandoffQueueFull));
    assert_eq!(full(&default), 0);
    assert_eq!(default.metrics.totals.handoff_queue_drops, 0);
    assert!(full(&shallow) > 0, "a depth of 2 overflows at the burst");
    let everywhere = shallow
        .metrics
        .events
        .iter()
        .filter(|e| matches!(e.what, What::Protocol(Event::HandoffQueueFull)))
        .count();
    assert_eq!(
        shallow.metrics.totals.handoff_queue_drops as usize, everywhere,
        "the summary counts every drop, n01's and the healthy nodes' (no warm-up here)"
    );
    assert_ne!(default.stats.digest, shallow.stats.digest);
}
