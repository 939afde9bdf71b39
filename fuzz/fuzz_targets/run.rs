//! Fuzz whole runs, not just the parser: the first line of the input is a list
//! of `--set FIELD=VALUE` flags (separated by `;`), the first byte picks a small
//! duration (1 ms to ~4 s, so runs are quick and short-duration edge cases are
//! common), the rest is the scenario. Anything accepted must run within a small
//! event budget — or stop with a budget/truncation error — and render every
//! output, never panic, hang or blow up memory.
#![no_main]

use std::sync::atomic::AtomicBool;

use flapsim::engine::Simulation;
use flapsim::metrics::Collector;
use flapsim::report::Format;
use flapsim::scenario::{parse_with, CliOverrides, Limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let (flags, scenario) = text.split_once('\n').unwrap_or((text, ""));
    let mut sets: Vec<(String, String)> = flags
        .split(';')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .filter(|(k, _)| !k.is_empty())
        .collect();
    sets.push(("duration".into(), format!("{}ms", 1 + u64::from(pick) * 16)));
    let cli = CliOverrides {
        sets,
        ..CliOverrides::default()
    };
    let limits = Limits {
        max_nodes: 64,
        max_events: 200_000,
        ..Limits::default()
    };
    let Ok(s) = parse_with(scenario, "fuzz.yaml", &cli, &limits) else {
        return;
    };
    let mut sim = Simulation::new(&s);
    let mut collector = Collector::new(&s);
    let never = AtomicBool::new(false);
    if let Ok(stats) = sim.run_limited(&mut collector, &mut |_| {}, limits.max_events, &never) {
        let metrics = collector.finish(stats.simulated, stats.digest);
        for f in Format::ALL {
            let _ = f.render(&s, &metrics);
        }
    }
});
