//! Test support: two runs of a shipped scenario that must agree in every
//! result, for engine shortcuts that change how fast a run is, not what it
//! computes.

use crate::engine::tests::Rec;
use crate::protocol::SEC;

use super::Simulation;

/// The incident's first 25 minutes (a starved, slowed, throttled, paused and
/// restarted node) and an hour of CPU-credit exhaustion with a contending
/// neighbour, each run twice: with `configure(sim, false)`, then with
/// `configure(sim, true)`. Asserts that both give the same protocol events,
/// ground truth, packets sent, received and dropped, host samples, timers
/// run, digest, events, packets and budget units; returns each scenario's
/// two runs for the caller's own checks.
pub(super) fn runs_agree(
    configure: impl Fn(&mut Simulation, bool),
) -> Vec<(&'static str, [(Rec, Simulation); 2])> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut out = Vec::new();
    for (file, minutes) in [
        ("qiita-2015-sick-t2.yaml", 25),
        ("t2-credit-exhaustion-contention.yaml", 60),
    ] {
        let mut s = crate::scenario::load(&root.join(file)).expect("shipped scenario");
        s.duration = minutes * 60 * SEC;
        let runs = [false, true].map(|on| {
            let mut sim = Simulation::new(&s);
            configure(&mut sim, on);
            let mut rec = Rec::default();
            sim.run(&mut rec, &mut |_| {});
            (rec, sim)
        });
        let [(a, a_sim), (b, b_sim)] = &runs;
        assert_eq!(a.events, b.events, "{file}");
        assert_eq!(a.truths, b.truths, "{file}");
        assert_eq!(a.sent, b.sent, "{file}");
        assert_eq!(a.received, b.received, "{file}");
        assert_eq!(a.dropped, b.dropped, "{file}");
        assert_eq!(a.samples, b.samples, "{file}");
        assert_eq!(a_sim.w.timers_run, b_sim.w.timers_run, "{file}");
        let (x, y) = (a_sim.stats(), b_sim.stats());
        assert_eq!(
            (x.digest, x.events, x.packets, x.work),
            (y.digest, y.events, y.packets, y.work),
            "{file}"
        );
        out.push((file, runs));
    }
    out
}
