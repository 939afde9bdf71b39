//! A minimal resolved scenario for metrics and report tests.

use crate::protocol::SEC;
use crate::random::Dist;
use crate::scenario::Scenario;

/// `names.len()` converged nodes at 10.0.1.(10+i), preset `preset`, 1 h run with a
/// 60 s warm-up and 1 s bins.
pub fn scenario(names: &[&str], preset: &str) -> Scenario {
    let mut s =
        Scenario::healthy_cluster(names.len(), 3600 * SEC, preset, 42).expect("known preset");
    s.name = "unit".into();
    s.warmup = 60 * SEC;
    s.overrides = vec![("probe_timeout".into(), "500ms".into())];
    for (i, (spec, name)) in s.nodes.iter_mut().zip(names).enumerate() {
        spec.name = (*name).into();
        spec.ip = format!("10.0.1.{}", 10 + i);
        spec.meta_len = 0;
    }
    s.network.default.latency = Dist::Fixed(1_000_000);
    s
}
