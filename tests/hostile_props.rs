//! Property-style hostile input (issue 11): generated `--set` flags over every
//! protocol field and scenario key, with values chosen to hit edges (0, 1 ns,
//! sub-microsecond, huge, malformed), on short runs. Whatever is generated,
//! loading gives a scenario or ONE located error (naming the flag), and an
//! accepted scenario runs within a small event budget — or stops with an error
//! — and renders every output: never a panic.
//!
//! On main the first generated `probe_interval=0` or `gossip_interval=0`
//! panicked in the run (divide by zero).

use std::sync::atomic::AtomicBool;

use flapsim::engine::{Simulation, Stopped};
use flapsim::metrics::Collector;
use flapsim::protocol::Config;
use flapsim::random::{Stream, StreamId};
use flapsim::report::Format;
use flapsim::scenario::{parse_with, CliOverrides, Limits};

const BASE: &str = "cluster:\n  groups:\n    g: {count: 4, name: \"n-{}\"}\nfaults:\n  - nodes: n-1\n    throttle: {run: 10ms, park: 30ms}\ntimeline:\n  - {at: 1ms, crash: n-2}\n";

const VALUES: &[&str] = &[
    "0",
    "1",
    "2",
    "3",
    "64",
    "1400",
    "65507",
    "65508",
    "4294967295",
    "4294967296",
    "-1",
    "x",
    "0s",
    "1ns",
    "999ns",
    "1us",
    "10us",
    "1ms",
    "200ms",
    "500ms",
    "1s",
    "5s",
    "1h",
    "30d",
    "true",
    "false",
    "legacy",
    "btree",
    "at_wrap",
    "2015",
    "today",
    "1e9",
    "",
];

fn pick<'a>(s: &mut Stream, xs: &[&'a str]) -> &'a str {
    xs[s.index(xs.len())]
}

#[test]
fn generated_set_flags_load_or_fail_located_and_accepted_runs_never_panic() {
    let fields = Config::field_names();
    let keys: Vec<&str> = fields
        .iter()
        .copied()
        .chain(["duration", "warmup", "timeseries_bin", "seed"])
        .collect();
    let limits = Limits {
        max_events: 3_000,
        ..Limits::default()
    };
    let (mut accepted, mut refused, mut stopped) = (0, 0, 0);
    for case in 0..400u64 {
        let mut s = Stream::new(case, StreamId::Misc(11));
        let mut sets = vec![(
            "duration".to_string(),
            pick(&mut s, &["1ms", "50ms", "1s", "3s", "999ns", "1us"]).to_string(),
        )];
        for _ in 0..s.index(3) {
            sets.push((
                pick(&mut s, &keys).to_string(),
                pick(&mut s, VALUES).to_string(),
            ));
        }
        let cli = CliOverrides {
            sets: sets.clone(),
            ..CliOverrides::default()
        };
        let scenario = match parse_with(BASE, "p.yaml", &cli, &limits) {
            Ok(sc) => sc,
            Err(e) => {
                refused += 1;
                assert!(
                    e.file == "p.yaml"
                        || (e.file == "command line" && e.field.starts_with("--set ")),
                    "case {case} {sets:?}: unlocated error {e}"
                );
                continue;
            }
        };
        accepted += 1;
        let mut sim = Simulation::new(&scenario);
        let mut collector = Collector::new(&scenario);
        let never = AtomicBool::new(false);
        match sim.run_limited(&mut collector, &mut |_| {}, limits.max_events, &never) {
            Ok(stats) => {
                let m = collector.finish(stats.simulated, stats.digest);
                for f in Format::ALL {
                    assert!(!f.render(&scenario, &m).is_empty() || f != Format::Summary);
                }
            }
            Err(Stopped::Budget(_)) | Err(Stopped::Truncated { .. }) => stopped += 1,
            Err(other) => panic!("case {case} {sets:?}: {other:?}"),
        }
    }
    // The generator must exercise both sides.
    assert!(
        accepted > 50 && refused > 50 && stopped > 0,
        "accepted {accepted}, refused {refused}, stopped {stopped}"
    );
}

/// The stop flag (raised by SIGINT/SIGTERM in the CLI) ends a run at once, with
/// nothing reported.
#[test]
fn a_raised_stop_flag_interrupts_a_run() {
    let cli = CliOverrides {
        sets: vec![("duration".into(), "1h".into())],
        ..CliOverrides::default()
    };
    let sc = parse_with(BASE, "p.yaml", &cli, &Limits::default()).unwrap();
    let mut sim = Simulation::new(&sc);
    let mut collector = Collector::new(&sc);
    let stop = AtomicBool::new(true);
    let r = sim.run_limited(&mut collector, &mut |_| {}, u64::MAX, &stop);
    assert!(matches!(r, Err(Stopped::Interrupted { .. })), "{r:?}");
}
