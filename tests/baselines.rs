//! Negative controls (incidents.md S3 and a healthy baseline): latency and jitter of
//! the sizes seen in real datacenters must never produce a false positive, on any
//! preset, over at least one simulated hour.

mod common;

use common::run;
use flapsim::protocol::config::PRESETS;

/// A healthy 39-node cluster raises no suspicion and declares nobody dead over
/// 1 h (after warm-up) on every preset.
#[test]
fn healthy_baseline_has_zero_false_positives_on_every_preset() {
    for preset in PRESETS {
        let r = run("healthy-baseline.yaml", Some(preset), None, &[]);
        assert!(
            r.metrics.measured() >= 3600 * 1_000_000_000,
            "{preset}: at least an hour measured"
        );
        let t = &r.metrics.totals;
        assert_eq!((t.fp, t.suspicions, t.flaps), (0, 0, 0), "{preset}");
    }
}

/// S3: 35 nodes over three AZs with 1.3 ms cross-AZ RTT and rare +12 ms spikes:
/// two to three orders of magnitude below the 500 ms probe timeout, so zero false
/// positives on every preset.
#[test]
fn cross_az_latency_negative_control_has_zero_false_positives_on_every_preset() {
    for preset in PRESETS {
        let r = run(
            "cross-az-latency-negative-control.yaml",
            Some(preset),
            None,
            &[],
        );
        assert!(
            r.metrics.measured() >= 3600 * 1_000_000_000,
            "{preset}: at least an hour measured"
        );
        let t = &r.metrics.totals;
        assert_eq!((t.fp, t.suspicions, t.flaps), (0, 0, 0), "{preset}");
    }
}
