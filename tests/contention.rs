//! The `contention` fault on whole runs: a neighbour process sharing x's vCPU
//! under CFS delays x's work only when x itself needs CPU for long stretches
//! (a mostly sleeping agent wakes with a sleeper credit and preempts the hog).

mod common;

use common::{run_scenario, Run};
use flapsim::metrics::What;
use flapsim::protocol::Event;
use flapsim::scenario;

/// A 12-node cluster on today's memberlist with `faults` (YAML) on x.
fn with_faults(faults: &str) -> Run {
    let text = format!(
        "name: contention-test\nseed: 3\nduration: 5m\nwarmup: 0\n\
         protocol: {{preset: memberlist}}\n\
         cluster:\n  groups:\n    peers: {{count: 11, name: \"p-{{:02}}\"}}\n  nodes:\n    x:\n\
         network:\n  default: {{latency: {{normal: {{mean: 125us, sd: 40us}}}}}}\n\
         faults:\n{faults}\n"
    );
    let sc =
        scenario::parse(&text, "contention-test.yaml").unwrap_or_else(|e| panic!("{e}\n{text}"));
    run_scenario(sc)
}

fn failed_pings_about(r: &Run, who: u32) -> usize {
    r.metrics
        .events
        .iter()
        .filter(|rec| matches!(rec.what, What::Protocol(Event::FailedUdpPing { subject }) if subject == who))
        .count()
}

/// Rule: an agent with ordinary (µs) handlers next to a busy nice-0 neighbour
/// is served on wake-up: nobody's pings to it fail.
#[test]
fn a_busy_neighbour_does_not_delay_a_light_agent() {
    let r = with_faults("  - nodes: x\n    contention: {demand: busy}");
    let x = r.id_of("x");
    assert_eq!(failed_pings_about(&r, x), 0);
    assert_eq!(r.metrics.totals.suspicions, 0);
}

/// Rule: an agent whose items need 50 ms of CPU copes on a vCPU of its own
/// (no ping to it fails), but next to a busy nice-0 neighbour it gets half the
/// CPU, its queue grows and peers' pings to it fail; a neighbour that wants
/// 10 % of a vCPU leaves it enough.
#[test]
fn a_busy_neighbour_halves_a_heavy_agents_cpu() {
    let slow = "  - nodes: x\n    slow: {cost: 50ms}";
    let alone = with_faults(slow);
    let x = alone.id_of("x");
    assert_eq!(failed_pings_about(&alone, x), 0);
    let shared = with_faults(&format!(
        "{slow}\n  - nodes: x\n    contention: {{demand: busy}}"
    ));
    let s = failed_pings_about(&shared, x);
    assert!(s > 20, "failed pings about x with a busy neighbour: {s}");
    assert!(shared.metrics.totals.suspicions > 20);
    let light = with_faults(&format!(
        "{slow}\n  - nodes: x\n    contention: {{demand: 10%}}"
    ));
    let l = failed_pings_about(&light, x);
    assert!(l < s / 4, "10 % neighbour {l}, busy {s}");
}
