//! A minimal resolved scenario for metrics and report tests.

use std::collections::BTreeMap;

use crate::protocol::{Config, NodeId, SEC};
use crate::random::Dist;
use crate::scenario::{HostDefaults, LinkSpec, NetworkSpec, NodeSpec, Scenario, StartMode};

/// `names.len()` converged nodes at 10.0.1.(10+i), preset `preset`, 1 h run with a
/// 60 s warm-up and 1 s bins.
pub fn scenario(names: &[&str], preset: &str) -> Scenario {
    Scenario {
        name: "unit".into(),
        source: None,
        description: String::new(),
        seed: 42,
        duration: 3600 * SEC,
        warmup: 60 * SEC,
        start: StartMode::Converged,
        preset: preset.into(),
        protocol: Config::preset(preset).expect("known preset"),
        overrides: vec![("probe_timeout".into(), "500ms".into())],
        nodes: names
            .iter()
            .enumerate()
            .map(|(i, n)| NodeSpec {
                name: (*n).into(),
                zone: "a".into(),
                groups: Vec::new(),
                ip: format!("10.0.1.{}", 10 + i),
                meta_len: 0,
                starts: true,
            })
            .collect(),
        groups: BTreeMap::new(),
        network: NetworkSpec {
            default: LinkSpec {
                latency: Dist::Fixed(1_000_000),
                spike: None,
                loss: 0.0,
                duplicate: 0.0,
                tcp_refused: false,
            },
            intra_zone: None,
            cross_zone: None,
            rules: Vec::new(),
            bandwidth_bytes_per_s: None,
        },
        host: HostDefaults::default(),
        faults: Vec::new(),
        timeline: Vec::new(),
        log_observers: Vec::<NodeId>::new(),
        timeseries_bin: SEC,
    }
}
