//! Detection of real crashes agrees with memberlist.md's formulas (§2.2, §3): the
//! first suspicion comes within a probe round plus a probe window; the first death
//! declaration follows it after the suspicion timeout — exactly the fixed timeout in
//! 2015, between Lifeguard's min and max today; dissemination follows within a few
//! gossip rounds.

mod common;

use common::run;
use flapsim::protocol::timing::suspicion_timeout;
use flapsim::protocol::{Nanos, SEC};

fn secs(ns: Nanos) -> f64 {
    ns as f64 / 1e9
}

/// crash-detection.yaml: 20 nodes, three crashes, each measured separately.
#[test]
fn crash_detection_latencies_agree_with_the_formulas() {
    for preset in ["memberlist-2015", "memberlist"] {
        let r = run("crash-detection.yaml", Some(preset), None, &[]);
        let cfg = &r.scenario.protocol;
        let crashes = &r.metrics.crashes;
        assert_eq!(crashes.len(), 3, "{preset}");
        for c in crashes {
            let first_suspect = c.first_suspect.expect("suspected") - c.at;
            let first_dead = c.first_dead.expect("declared dead") - c.at;
            let full = c.full_dissemination.expect("disseminated") - c.at;
            // n counts self and dead-but-unreaped nodes: 20 before any reaping, at
            // least 18 by the third crash.
            let (n_lo, n_hi) = (18, 20);
            let min_lo = suspicion_timeout(
                cfg.suspicion_mult,
                n_lo,
                cfg.probe_interval,
                cfg.smooth_suspicion_timeout,
            );
            let min_hi = suspicion_timeout(
                cfg.suspicion_mult,
                n_hi,
                cfg.probe_interval,
                cfg.smooth_suspicion_timeout,
            );
            let max_hi = if cfg.dynamic_suspicion {
                min_hi * u64::from(cfg.suspicion_max_timeout_mult)
            } else {
                min_hi
            };
            // Round-robin: every one of the n-1 probers reaches the victim within one
            // round of n probes, and a failed probe takes one probe window.
            let round = 20 * cfg.probe_interval + cfg.probe_interval;
            let timer = first_dead - first_suspect;
            println!(
                "{preset}: crash at {:.0}s: first suspect {:.3}s (bound {:.0}s), suspect→dead {:.3}s (expected {:.3}..{:.3}s), full {:.3}s",
                secs(c.at),
                secs(first_suspect),
                secs(round),
                secs(timer),
                secs(min_lo),
                secs(max_hi),
                secs(full)
            );
            assert!(
                first_suspect >= cfg.probe_timeout && first_suspect <= round,
                "{preset}: first suspect {first_suspect}"
            );
            if cfg.dynamic_suspicion {
                assert!(
                    timer >= min_lo && timer <= max_hi,
                    "{preset}: suspect→dead {timer}"
                );
            } else {
                // 2015: the first accuser's fixed timer fires first, to the instant
                // (the engine's work-item cost is the only slack).
                assert_eq!(min_lo, min_hi);
                assert!(
                    timer >= min_hi && timer <= min_hi + 10_000_000,
                    "{preset}: suspect→dead {timer} vs {min_hi}"
                );
            }
            assert!(
                full >= first_dead && full - first_dead <= 10 * cfg.gossip_interval + 2 * SEC,
                "{preset}: full dissemination {full}"
            );
        }
    }
}
