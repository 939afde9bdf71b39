//! Each host fault changes what it should (model.md §2), checked on whole runs of a
//! small healthy cluster with one faulty node `x`.

mod common;

use common::{run_scenario, Run};
use flapsim::metrics::What;
use flapsim::protocol::{Event, SEC};
use flapsim::scenario;

/// A 12-node cluster on today's memberlist with `fault` (YAML under `faults:`) on x.
fn with_fault(faults: &str, duration: &str) -> Run {
    with_fault_and_timeline(faults, "", duration)
}

fn with_fault_and_timeline(faults: &str, timeline: &str, duration: &str) -> Run {
    let text = format!(
        "name: host-fault-test\nseed: 3\nduration: {duration}\nwarmup: 0\n\
         protocol: {{preset: memberlist}}\n\
         cluster:\n  groups:\n    peers: {{count: 11, name: \"p-{{:02}}\"}}\n  nodes:\n    x:\n\
         network:\n  default: {{latency: {{normal: {{mean: 125us, sd: 40us}}}}}}\n\
         faults:\n{faults}\ntimeline:\n{timeline}\n"
    );
    let sc =
        scenario::parse(&text, "host-fault-test.yaml").unwrap_or_else(|e| panic!("{e}\n{text}"));
    run_scenario(sc)
}

fn failed_pings_about(r: &Run, who: u32) -> usize {
    r.metrics
        .events
        .iter()
        .filter(|rec| matches!(rec.what, What::Protocol(Event::FailedUdpPing { subject }) if subject == who))
        .count()
}

/// `starve`: x's received packets reach memberlist late while its timers fire on
/// time. At 700 ms x's acks miss peers' 500 ms ProbeTimeout (their direct pings
/// fail) but still land inside the 1 s probe window (no suspicion); at 1.2 s x's own
/// probes expire before it reads the acks, so x accuses its healthy peers.
#[test]
fn starved_node_acks_arrive_late_and_its_own_probes_fail() {
    let late = with_fault("  - nodes: x\n    starve: {delay: 700ms}", "10m");
    let x = late.id_of("x");
    assert!(
        failed_pings_about(&late, x) > 50,
        "peers' direct pings to x fail"
    );
    assert_eq!(
        late.metrics.totals.suspicions, 0,
        "late acks inside the window still count"
    );
    let starved = with_fault("  - nodes: x\n    starve: {delay: 1200ms}", "10m");
    assert!(
        starved.metrics.per_node[x as usize].suspicions_raised > 5,
        "x accuses peers"
    );
    let mild = with_fault("  - nodes: x\n    starve: {delay: 100ms}", "10m");
    assert_eq!(
        failed_pings_about(&mild, x),
        0,
        "100 ms is within the probe timeout"
    );
}

/// `slow`: every work item costs CPU time; at 600 ms per item x's acks queue far past
/// the probe timeout.
#[test]
fn slow_node_answers_late() {
    let r = with_fault("  - nodes: x\n    slow: {cost: 600ms}", "5m");
    let x = r.id_of("x");
    assert!(failed_pings_about(&r, x) > 20);
    let fine = with_fault("  - nodes: x\n    slow: {cost: 1ms}", "5m");
    assert_eq!(failed_pings_about(&fine, x), 0);
}

/// `credits`: a t2.micro whose neighbour wants a whole vCPU drains its 30 launch
/// credits in 30 / 0.9 ≈ 33.3 min and is only then held to its 10 % baseline: the
/// host is never parked before the balance reaches zero, and mostly parked after.
#[test]
fn credits_host_throttles_only_after_its_balance_reaches_zero() {
    let r = with_fault(
        "  - nodes: x\n    credits: {instance: t2.micro, background_load: 1.0}",
        "45m",
    );
    let x = r.id_of("x") as usize;
    let points = r.metrics.host[x].as_ref().expect("x reports host samples");
    let exhausted = (30.0 / 0.9 * 60.0) as u64 * SEC;
    let bin = r.metrics.bin;
    let mut before = 0.0f64;
    let mut after_min = 1.0f64;
    for p in points {
        let t = u64::from(p.bin) * bin;
        if t + bin < exhausted - 30 * SEC {
            before = before.max(p.parked_fraction);
            assert!(p.credits.expect("balance") > 0.0);
        } else if t > exhausted + 60 * SEC {
            after_min = after_min.min(p.parked_fraction);
        }
    }
    assert_eq!(before, 0.0, "never parked while credits remain");
    assert!(
        after_min > 0.85,
        "held to baseline after exhaustion: parked {after_min}"
    );
}

/// `pause`: a 30 s stop-the-world pause gets x correctly declared failed by its
/// peers (it is degraded, so not a false positive at a healthy node), and x comes
/// back afterwards.
#[test]
fn a_long_pause_gets_the_node_declared_failed_and_it_rejoins() {
    let r = with_fault_and_timeline("", "  - {at: 2m, pause: {nodes: x, duration: 30s}}", "8m");
    let t = &r.metrics.totals;
    assert!(t.fp > 0, "x was declared failed while up");
    assert_eq!(t.fp_healthy, 0, "no healthy node was");
    assert!(t.serf_joins > 0, "x rejoined");
}

/// `throttle`: run 10 ms of every 100 ms parks the host 90 % of the time but delays
/// packets by at most 90 ms, which a 500 ms probe timeout absorbs: no suspicion.
#[test]
fn a_mild_throttle_parks_the_host_but_causes_no_suspicion() {
    let r = with_fault("  - nodes: x\n    throttle: {run: 10ms, park: 90ms}", "10m");
    let x = r.id_of("x") as usize;
    let points = r.metrics.host[x].as_ref().expect("samples");
    let mean = points.iter().map(|p| p.parked_fraction).sum::<f64>() / points.len() as f64;
    assert!((mean - 0.9).abs() < 0.02, "parked {mean}");
    assert_eq!(r.metrics.totals.suspicions, 0);
}

/// Parked semantics (model.md §2): when a host resumes, expired timers run before
/// buffered packets. x runs 5 ms of every 1.5 s; with a 10 ms receive delay its
/// acks land while it is parked, so on resume its probe windows expire first and
/// it accuses healthy peers, the incident's mechanism. Without the delay the ack
/// comes back within the same run slice and every probe succeeds.
#[test]
fn a_parked_prober_times_out_before_it_reads_the_buffered_ack() {
    let throttle = "  - nodes: x\n    throttle: {run: 5ms, park: 1495ms}";
    let late = with_fault(
        &format!("{throttle}\n  - nodes: x\n    starve: {{delay: 10ms}}"),
        "10m",
    );
    let x = late.id_of("x") as usize;
    assert!(
        late.metrics.per_node[x].suspicions_raised > 20,
        "x accuses: {}",
        late.metrics.per_node[x].suspicions_raised
    );
    let prompt = with_fault(throttle, "10m");
    assert_eq!(prompt.metrics.per_node[x].suspicions_raised, 0);
}

// `contention`: a neighbour process sharing x's vCPU under CFS delays x's
// work only when x itself needs CPU for long stretches (a mostly sleeping
// agent wakes with a sleeper credit and preempts the hog).

/// `contention`, rule: an agent with ordinary (µs) handlers next to a busy nice-0 neighbour
/// is served on wake-up: nobody's pings to it fail.
#[test]
fn a_busy_neighbour_does_not_delay_a_light_agent() {
    let r = with_fault("  - nodes: x\n    contention: {demand: busy}", "5m");
    let x = r.id_of("x");
    assert_eq!(failed_pings_about(&r, x), 0);
    assert_eq!(r.metrics.totals.suspicions, 0);
}

/// `contention`, rule: an agent whose items need 50 ms of CPU copes on a vCPU of its own
/// (no ping to it fails), but next to a busy nice-0 neighbour it gets half the
/// CPU, its queue grows and peers' pings to it fail; a neighbour that wants
/// 10 % of a vCPU leaves it enough.
#[test]
fn a_busy_neighbour_halves_a_heavy_agents_cpu() {
    let slow = "  - nodes: x\n    slow: {cost: 50ms}";
    let alone = with_fault(slow, "5m");
    let x = alone.id_of("x");
    assert_eq!(failed_pings_about(&alone, x), 0);
    let shared = with_fault(
        &format!("{slow}\n  - nodes: x\n    contention: {{demand: busy}}"),
        "5m",
    );
    let s = failed_pings_about(&shared, x);
    assert!(s > 20, "failed pings about x with a busy neighbour: {s}");
    assert!(shared.metrics.totals.suspicions > 20);
    let light = with_fault(
        &format!("{slow}\n  - nodes: x\n    contention: {{demand: 10%}}"),
        "5m",
    );
    let l = failed_pings_about(&light, x);
    assert!(l < s / 4, "10 % neighbour {l}, busy {s}");
}
