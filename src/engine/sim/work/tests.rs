//! Which timers become host work: memberlist's suspicion timer is one Go timer
//! that a Lifeguard confirmation moves (suspicion.go `Confirm`: `timer.Stop()`
//! then `timer.Reset(remaining)`), and that a cleared suspicion leaves running
//! (state.go `aliveNode`: `delete(m.nodeTimers, ...)`, no Stop).
//!
//! And that a work item its host starts at once, run without a round trip
//! through the host's queue, runs exactly as a queued one would.

use crate::engine::tests::{scenario, Rec};
use crate::protocol::{Event, Nanos, NodeId, Timer, SEC};
use crate::scenario::fault::timeline::{crash::Crash, pause::Pause};
use crate::scenario::{Action, Scenario, TimelineEvent};

use super::super::same_run::runs_agree;
use super::super::Simulation;

/// Run `s`; the recorder and, per node, when its suspicion timers about
/// `subject` ran as host work.
fn run(s: &Scenario, subject: NodeId) -> (Rec, Vec<Vec<Nanos>>) {
    let mut sim = Simulation::new(s);
    let mut rec = Rec::default();
    sim.run(&mut rec, &mut |_| {});
    let mut fired = vec![Vec::new(); s.nodes.len()];
    for &(at, node, timer) in &sim.w.timers_run {
        if matches!(timer, Timer::Suspicion { node, .. } if node == subject) {
            fired[node as usize].push(at);
        }
    }
    (rec, fired)
}

/// When `observer` reported events about `subject` matching `what`.
fn times(rec: &Rec, observer: NodeId, what: impl Fn(&Event) -> bool) -> Vec<Nanos> {
    rec.events
        .iter()
        .filter(|(_, o, e)| *o == observer && what(e))
        .map(|(at, _, _)| *at)
        .collect()
}

/// Rule (memberlist suspicion.go `Confirm`: `if s.timer.Stop() { s.timer.Reset(remaining) }`):
/// a confirmation moves the one suspicion timer, so the deadline it replaced
/// never fires. A crashed node in a 5-node LAN cluster (k = 2, min 4 s, max
/// 24 s): every observer runs exactly one suspicion timer per suspicion, never
/// the superseded one at start + 24 s; no host CPU is spent on it.
#[test]
fn a_confirmation_resets_the_suspicion_timer_so_the_old_deadline_never_fires() {
    let mut s = scenario(5, 3, 60 * SEC);
    s.timeline.push(TimelineEvent {
        at: 10 * SEC,
        action: Action::Crash(Crash(vec![4])),
    });
    let (rec, fired) = run(&s, 4);
    let mut confirmed = 0;
    for x in 0..4 {
        let started = times(&rec, x, |e| {
            matches!(e, Event::Suspected { subject: 4, .. })
        });
        let confirmations = times(&rec, x, |e| {
            matches!(e, Event::Confirmed { subject: 4, .. })
        });
        confirmed += confirmations.len();
        assert_eq!(
            fired[x as usize].len(),
            started.len(),
            "node {x}: one firing per suspicion (started {started:?}, confirmed \
             {confirmations:?}, fired {:?})",
            fired[x as usize]
        );
        if !confirmations.is_empty() {
            let old_deadline = started[0] + 24 * SEC;
            assert!(
                fired[x as usize].iter().all(|&t| t < old_deadline),
                "node {x}: the deadline a confirmation replaced fired: {:?}",
                fired[x as usize]
            );
        }
    }
    assert!(confirmed > 0, "the scenario must exercise confirmations");
    assert!(
        rec.events
            .iter()
            .any(|(_, _, e)| matches!(e, Event::MemberDown { subject: 4, .. })),
        "the crashed node is declared dead"
    );
}

/// Rule (memberlist state.go `aliveNode`: `delete(m.nodeTimers, a.Node)` without
/// `timer.Stop()`): a suspicion cleared by a refutation leaves its (latest)
/// timer running; it fires at its deadline, costs the host a timer's work and
/// finds the state changed. The deadlines confirmations replaced still never
/// fire. A node paused 5 s is suspected, confirmed, wakes up and refutes: every
/// observer runs exactly one suspicion timer, after the clearing, and nobody is
/// declared dead.
#[test]
fn a_cleared_suspicion_timer_still_fires_as_in_memberlist() {
    let mut s = scenario(5, 3, 60 * SEC);
    s.timeline.push(TimelineEvent {
        at: 10 * SEC,
        action: Action::Pause(Pause {
            nodes: vec![4],
            duration: 5 * SEC,
        }),
    });
    let (rec, fired) = run(&s, 4);
    let (mut cleared_somewhere, mut confirmed) = (false, 0);
    for x in 0..4 {
        let started = times(&rec, x, |e| {
            matches!(e, Event::Suspected { subject: 4, .. })
        });
        confirmed += times(&rec, x, |e| {
            matches!(e, Event::Confirmed { subject: 4, .. })
        })
        .len();
        let cleared = times(&rec, x, |e| {
            matches!(e, Event::SuspicionCleared { subject: 4, .. })
        });
        assert_eq!(
            fired[x as usize].len(),
            started.len(),
            "node {x}: one firing per suspicion (started {started:?}, cleared \
             {cleared:?}, fired {:?})",
            fired[x as usize]
        );
        if let Some(&last_clear) = cleared.last() {
            cleared_somewhere = true;
            assert!(
                fired[x as usize].last().is_some_and(|&t| t > last_clear),
                "node {x}: the cleared suspicion's timer must still fire (cleared at \
                 {last_clear}, fired {:?})",
                fired[x as usize]
            );
        }
    }
    assert!(cleared_somewhere, "the scenario must clear a suspicion");
    assert!(confirmed > 0, "and Reset some timers before clearing it");
    assert!(
        !rec.events
            .iter()
            .any(|(_, _, e)| matches!(e, Event::MemberDown { subject: 4, .. })),
        "the refuting node stays alive"
    );
}

/// Rule (engine, `Host::starts_at_once`): an item its host would start at
/// once (nothing queued, CPU free, a schedule that never parks) runs without
/// being queued, and nothing a run reports changes ([`runs_agree`]: the
/// same events, truth, packets, samples, timers run, digest and budget
/// units) whether such items are started at once or queued like every other.
#[test]
fn an_item_started_at_once_runs_as_if_queued() {
    let runs = runs_agree(|sim, queue_every_item| sim.w.queue_every_item = queue_every_item);
    for (file, [(fast, fast_sim), (_, queued_sim)]) in runs {
        assert!(
            fast_sim.w.started_at_once > 1000,
            "{file}: the fast path is taken"
        );
        assert_eq!(queued_sim.w.started_at_once, 0, "{file}");
        assert!(
            !fast.samples.is_empty(),
            "{file}: the faulty hosts are sampled"
        );
    }
}
