//! Unit tests of the scenario format: what a file means once resolved.
//! (Bad inputs are catalogued in `tests/bad_inputs.rs`.)

use super::fault::host::throttle::Throttle;
use super::fault::timeline::{crash::Crash, heal::Heal, hold::Hold, partition::Partition};
use super::*;
use crate::random::Dist;

const MIN: &str = "\
duration: 1h
cluster:
  groups:
    agents: {count: 4, name: \"a-{:02}\"}
";

fn ok(text: &str) -> Scenario {
    parse(text, "t.yaml").unwrap_or_else(|e| panic!("{e}"))
}

fn err(text: &str) -> ScenarioError {
    parse(text, "t.yaml").expect_err("should be rejected")
}

/// Rule: an almost empty file gives a converged cluster on today's preset with
/// documented defaults, named after the file.
#[test]
fn minimal_file_takes_documented_defaults() {
    let s = ok(MIN);
    assert_eq!(s.name, "t");
    assert_eq!(s.seed, 1);
    assert_eq!(s.duration, 3_600_000_000_000);
    assert_eq!(s.warmup, 0);
    assert_eq!(s.start, StartMode::Converged);
    assert_eq!(s.preset, "memberlist");
    let names: Vec<_> = s.nodes.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, ["a-01", "a-02", "a-03", "a-04"]);
    assert_eq!(s.nodes[0].zone, "default");
    assert_eq!(s.nodes[0].ip, "10.0.0.1");
    assert_eq!(s.nodes[0].meta_len, 120);
    assert_eq!(s.groups["agents"], vec![0, 1, 2, 3]);
    assert_eq!(s.network.default.latency, Dist::Fixed(125_000));
    assert_eq!(s.timeseries_bin, 1_000_000_000);
    assert!(s.log_observers.is_empty(), "empty = every node");
}

/// Rule: `zones:` round-robins a group's members over the zones in order;
/// explicit nodes join extra groups, and node ids follow file order.
#[test]
fn zones_round_robin_and_explicit_nodes_follow_groups() {
    let s = ok("\
duration: 1h
cluster:
  zones: [a, b, c]
  groups:
    servers: {count: 3, name: \"s-{:02}\", zone: a}
    agents: {count: 5, name: \"a-{:02}\", zones: [a, b, c], first: 0}
  nodes:
    fw-1: {zone: c, groups: [edge, agents]}
    lone:
");
    let zones: Vec<_> = s.nodes[3..8].iter().map(|n| n.zone.as_str()).collect();
    assert_eq!(zones, ["a", "b", "c", "a", "b"]);
    assert_eq!(s.nodes[3].name, "a-00");
    assert_eq!(s.nodes[8].name, "fw-1");
    assert_eq!(s.nodes[8].groups, vec!["agents", "edge"]);
    assert_eq!(s.groups["edge"], vec![8]);
    assert_eq!(s.groups["agents"], vec![3, 4, 5, 6, 7, 8]);
    assert_eq!(s.nodes[9].zone, "a", "default zone is the first declared");
}

/// Rule: each distribution form maps to its `Dist`; lognormal is given by median
/// and p95 or p99; percentages are probabilities.
#[test]
fn distributions_and_probabilities_parse() {
    let s = ok("\
duration: 1h
cluster: {groups: {g: {count: 2, name: \"n{}\"}}}
network:
  default:
    latency: {uniform: [1ms, 3ms]}
    loss: 5%
    duplicate: 0.001
    spike: {probability: 1%, extra: {exponential: {mean: 10ms, min: 5ms}}}
  intra_zone:
    latency: {normal: {mean: 125us, sd: 40us}}
  cross_zone:
    latency: {lognormal: {median: 1ms, p99: 5ms}}
    tcp_refused: true
");
    let n = &s.network;
    assert_eq!(
        n.default.latency,
        Dist::Uniform {
            lo: 1_000_000,
            hi: 3_000_000
        }
    );
    assert!((n.default.loss - 0.05).abs() < 1e-12);
    assert_eq!(n.default.duplicate, 0.001);
    let spike = n.default.spike.as_ref().unwrap();
    assert_eq!(
        spike.extra,
        Dist::Exponential {
            mean: 10_000_000,
            min: 5_000_000
        }
    );
    let intra = n.intra_zone.as_ref().unwrap();
    assert_eq!(
        intra.latency,
        Dist::Normal {
            mean: 125_000,
            sd: 40_000
        }
    );
    assert!(
        (intra.loss - 0.05).abs() < 1e-12,
        "zone links inherit from default"
    );
    let cross = n.cross_zone.as_ref().unwrap();
    assert_eq!(
        cross.latency,
        Dist::lognormal_from_quantile(1_000_000, 5_000_000, crate::random::Z99)
    );
    assert!(cross.tcp_refused);
}

/// Rule: a random `fraction` is drawn from the scenario seed: same seed, same
/// nodes; the count is round(f·n), at least one.
#[test]
fn random_fractions_are_seeded_and_sized() {
    let text = "\
seed: SEED
duration: 1h
cluster: {groups: {agents: {count: 40, name: \"a-{:02}\"}, servers: {count: 3, name: \"s{}\"}}}
faults:
  - nodes: {of: agents, except: a-01, fraction: 10%}
    slow: {cost: 1ms}
";
    let pick = |seed: u64| {
        ok(&text.replace("SEED", &seed.to_string())).faults[0]
            .nodes
            .clone()
    };
    let a = pick(7);
    assert_eq!(a.len(), 4, "round(0.1 · 39)");
    assert_eq!(a, pick(7));
    assert!(
        a.iter().all(|&id| (1..40).contains(&id)),
        "only agents, not a-01"
    );
    assert_ne!(
        a,
        pick(8),
        "another seed, another pick (overwhelmingly likely)"
    );
}

/// Rule: credits take every field from the instance table unless overridden;
/// a background-load timeline starts at 0.
#[test]
fn credits_take_the_instance_table_and_overrides() {
    let s = ok("\
duration: 6h
cluster: {groups: {a: {count: 2, name: \"a{}\"}}}
faults:
  - nodes: a1
    credits:
      instance: t2.micro
      cap: 100
      background_load: [{at: 30m, load: 1.0}, {at: 2h, load: 0.2}]
  - nodes: a2
    credits: {instance: t3.micro}
");
    let HostFault::Credits(c) = &s.faults[0].kind else {
        panic!()
    };
    assert_eq!(
        (c.vcpus, c.earn_per_hour, c.cap, c.launch_credits),
        (1, 6.0, 100.0, 30.0)
    );
    assert!((c.baseline - 0.10).abs() < 1e-12);
    assert!(!c.unlimited);
    assert_eq!(
        c.background_load,
        vec![(0, 0.0), (1_800_000_000_000, 1.0), (7_200_000_000_000, 0.2)]
    );
    let HostFault::Credits(t3) = &s.faults[1].kind else {
        panic!()
    };
    assert_eq!((t3.vcpus, t3.launch_credits, t3.unlimited), (2, 0.0, true));
}

/// Rule: a credit balance field is at most MAX_CREDITS, refused at its line:
/// `flapsim chart` bounds the balances it draws by what a run can hold.
#[test]
fn credit_balances_above_max_credits_are_refused_at_their_field() {
    for field in ["cap", "launch_credits", "initial_earned"] {
        let e = err(&format!(
            "duration: 1h\ncluster: {{groups: {{a: {{count: 2, name: \"a{{}}\"}}}}}}\nfaults:\n  - nodes: a1\n    credits: {{instance: t2.micro, {field}: 1e300}}\n"
        ));
        let m = e.to_string();
        assert!(m.contains(&format!("faults[0].credits.{field}")), "{m}");
        assert!(m.contains("at most 1e9"), "{m}");
    }
}

/// Rule: the timeline is sorted by time, stable in file order at equal times;
/// `heal: all` heals everything; periodic holds keep `every`/`for`.
#[test]
fn timeline_sorts_stably_and_resolves_actions() {
    let s = ok("\
duration: 1h
cluster: {groups: {n: {count: 4, name: \"n{}\"}}}
timeline:
  - {at: 10m, heal: all}
  - {at: 5m, partition: {name: p, from: n1, to: [n2, n3], one_way: true, transport: udp}}
  - {at: 5m, crash: n4}
  - {at: 6m, hold: {nodes: n1, peers: n2, every: 30s, for: 2s}}
  - {at: 7m, release: hold-3}
  - {at: 8m, pause: {nodes: all, duration: 3s}}
  - {at: 9m, heal: p}
");
    let kinds: Vec<_> = s.timeline.iter().map(|e| e.at / 60_000_000_000).collect();
    assert_eq!(kinds, [5, 5, 6, 7, 8, 9, 10]);
    assert!(matches!(
        &s.timeline[0].action,
        Action::Partition(Partition { name, one_way: true, transports: Transports { udp: true, tcp: false }, .. }) if name == "p"
    ));
    assert_eq!(s.timeline[1].action, Action::Crash(Crash(vec![3])));
    assert!(matches!(
        &s.timeline[2].action,
        Action::Hold(Hold { every: Some(30_000_000_000), hold_for: Some(2_000_000_000), peers: Some(p), .. }) if p == &vec![1]
    ));
    assert_eq!(s.timeline[6].action, Action::Heal(Heal { name: None }));
}

/// Rule: `start: join` resolves seeds and stagger; converged is the default.
#[test]
fn join_start_resolves_seeds() {
    let s = ok(&format!(
        "{MIN}start: {{mode: join, seeds: [a-01, a-02], stagger: 200ms}}\n"
    ));
    assert_eq!(
        s.start,
        StartMode::Join {
            seeds: vec![0, 1],
            stagger: 200_000_000
        }
    );
    let s = ok(&format!("{MIN}start: converged\n"));
    assert_eq!(s.start, StartMode::Converged);
    let s = ok(&format!("{MIN}start: {{mode: converged, stagger: 1ms}}\n"));
    assert_eq!(
        s.start,
        StartMode::ConvergedStaggered {
            stagger: 1_000_000,
            uptime: 0
        }
    );
}

/// Rule: `start.uptime` (how long the processes ran before t = 0) belongs to a
/// staggered converged start; elsewhere it is an error naming the field and
/// the line.
#[test]
fn uptime_belongs_to_a_staggered_converged_start() {
    let s = ok(&format!(
        "{MIN}start: {{mode: converged, stagger: 1ms, uptime: 11s}}\n"
    ));
    assert_eq!(
        s.start,
        StartMode::ConvergedStaggered {
            stagger: 1_000_000,
            uptime: 11_000_000_000
        }
    );
    for start in [
        "{mode: converged, uptime: 11s}",
        "{mode: join, seeds: [a-01], uptime: 11s}",
    ] {
        let e = err(&format!("{MIN}start: {start}\n"));
        assert_eq!(e.field, "start.uptime", "{start}");
        assert!(e.line.is_some(), "{start}: {e}");
        assert!(e.to_string().contains("uptime"), "{e}");
    }
}

/// Rule: command-line flags replace the file's scenario keys and preset, and an
/// error caused by a flag names the flag.
#[test]
fn cli_overrides_replace_file_values_and_name_the_flag() {
    let cli = CliOverrides {
        seed: Some(99),
        preset: Some("memberlist-2015".into()),
        sets: vec![
            ("duration".into(), "2h".into()),
            ("warmup".into(), "5m".into()),
        ],
    };
    let s = parse_with(MIN, "t.yaml", &cli, &Limits::default()).unwrap();
    assert_eq!(
        (s.seed, s.duration, s.warmup),
        (99, 7_200_000_000_000, 300_000_000_000)
    );
    assert_eq!(s.preset, "memberlist-2015");

    let bad = CliOverrides {
        preset: Some("consul-9".into()),
        ..Default::default()
    };
    let e = parse_with(MIN, "t.yaml", &bad, &Limits::default()).unwrap_err();
    assert_eq!(e.field, "--preset");
    assert!(e.message.contains("memberlist-2015"), "{e}");

    let bad = CliOverrides {
        sets: vec![("duration".into(), "3 parsecs".into())],
        ..Default::default()
    };
    let e = parse_with(MIN, "t.yaml", &bad, &Limits::default()).unwrap_err();
    assert_eq!(e.to_string(), "command line: --set duration=3 parsecs: unknown unit `parsecs` in duration `3 parsecs`; use ns, us, ms, s, m, h or d");

    let bad = CliOverrides {
        sets: vec![("warmup".into(), "2h".into())],
        ..Default::default()
    };
    let e = parse_with(MIN, "t.yaml", &bad, &Limits::default()).unwrap_err();
    assert_eq!(e.field, "--set warmup=2h");
}

/// Rule: `--set log_observers=TARGET` replaces the file's log observers (as
/// `--help` promises for scenario keys; it used to be refused as an unknown
/// protocol key), and a bad target names the flag and the unknown node.
#[test]
fn cli_set_log_observers_takes_a_target() {
    let with = |value: &str| CliOverrides {
        sets: vec![("log_observers".into(), value.into())],
        ..Default::default()
    };
    let text = format!("{MIN}log_observers: [a-01]\n");
    let s = parse_with(&text, "t.yaml", &with("[a-02, a-03]"), &Limits::default()).unwrap();
    assert_eq!(s.log_observers, vec![1, 2]);
    let s = parse_with(&text, "t.yaml", &with("a-04"), &Limits::default()).unwrap();
    assert_eq!(s.log_observers, vec![3]);
    let s = parse_with(&text, "t.yaml", &with("all"), &Limits::default()).unwrap();
    assert!(
        s.log_observers.is_empty(),
        "all = every node (written as empty)"
    );
    let e = parse_with(&text, "t.yaml", &with("b-09"), &Limits::default()).unwrap_err();
    assert_eq!(e.field, "--set log_observers=b-09", "{e}");
    assert!(e.to_string().contains("b-09"), "{e}");
}

/// Rule: protocol overrides go to `Config::set` in file order, then `--set`.
#[test]

fn protocol_overrides_reach_the_config() {
    let s = ok(&format!(
        "{MIN}protocol: {{preset: memberlist-2015, overrides: {{probe_interval: 2s, suspicion_mult: 6}}}}\n"
    ));
    assert_eq!(s.protocol.probe_interval, 2_000_000_000);
    assert_eq!(s.protocol.suspicion_mult, 6);
    assert_eq!(s.overrides[0], ("probe_interval".into(), "2s".into()));
}

/// Rule: a protocol override error carries `Config::set`'s message and the line.
#[test]
fn bad_protocol_override_points_at_its_line() {
    let e = err(&format!(
        "{MIN}protocol:\n  overrides:\n    no_such_knob: 3\n"
    ));
    assert_eq!(e.field, "protocol.overrides.no_such_knob");
    assert_eq!(e.line, Some(7));
}

/// Rule: a cluster whose views of each other alone need more memory than
/// the machine has available is refused at the cluster, before anything is
/// allocated; with the memory unknown, or enough of it, the file loads.
#[test]
fn a_cluster_too_big_for_the_machines_memory_is_refused() {
    let nodes = 4u64; // MIN's cluster
    let views = nodes * nodes * super::resolve::VIEW_BYTES_PER_PAIR;
    let with = |available| Limits {
        available_memory: available,
        ..Limits::default()
    };
    let e = parse_with(
        MIN,
        "t.yaml",
        &CliOverrides::default(),
        &with(Some(views - 1)),
    )
    .unwrap_err();
    assert!(e.message.contains("views of each other"), "{e}");
    assert!(e.message.contains("this machine has available"), "{e}");
    assert!(e.to_string().contains("cluster"), "{e}");
    for available in [Some(views), None] {
        assert!(parse_with(MIN, "t.yaml", &CliOverrides::default(), &with(available)).is_ok());
    }
}

/// Rule: batch runs at once are bounded by how many clusters' views fit in
/// the memory available, at least one, unbounded when it is unknown.
#[test]
fn runs_side_by_side_are_bounded_by_memory() {
    use super::resolve::{runs_that_fit, VIEW_BYTES_PER_PAIR};
    let with = |available| Limits {
        available_memory: available,
        ..Limits::default()
    };
    let one = 100 * 100 * VIEW_BYTES_PER_PAIR;
    assert_eq!(runs_that_fit(100, &with(Some(3 * one + 1))), Some(3));
    assert_eq!(runs_that_fit(100, &with(Some(one - 1))), Some(1));
    assert_eq!(runs_that_fit(100, &with(None)), None);
    assert_eq!(runs_that_fit(u64::MAX, &with(Some(u64::MAX))), Some(1));
}

/// Rule: limits refuse oversized input before any work.
#[test]
fn limits_refuse_big_inputs_early() {
    let limits = Limits {
        max_nodes: 10,
        max_file_bytes: 200,
        ..Limits::default()
    };
    let e = parse_with(
        MIN,
        "t.yaml",
        &CliOverrides::default(),
        &Limits {
            max_nodes: 3,
            ..Limits::default()
        },
    )
    .unwrap_err();
    assert!(e.message.contains("limit of 3"), "{e}");
    let big = format!("{MIN}{}", "# padding\n".repeat(50));
    let e = parse_with(&big, "t.yaml", &CliOverrides::default(), &limits).unwrap_err();
    assert!(e.message.contains("over the limit of 200 bytes"), "{e}");
    let deep: String = (0..70)
        .map(|i| format!("{}k{i}:\n", "  ".repeat(i)))
        .collect();
    let e = parse(&deep, "t.yaml").unwrap_err();
    assert!(e.message.contains("nested"), "{e}");
}

/// Rule: the same text resolves to the same scenario (no hash-order leaks).
#[test]
fn resolution_is_deterministic() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/qiita-2015-sick-t2.yaml"
    ))
    .unwrap();
    let a = parse(&text, "x.yaml").unwrap();
    let b = parse(&text, "x.yaml").unwrap();
    assert_eq!(format!("{a:?}"), format!("{b:?}"));
}

/// The incident scenario says what incidents.md §6 S1 says.
#[test]
fn qiita_scenario_matches_the_sketch() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/qiita-2015-sick-t2.yaml");
    let s = load(&path).unwrap();
    assert_eq!(s.nodes.len(), 39);
    assert_eq!(s.preset, "memberlist-2015");
    assert_eq!((s.duration - s.warmup) / 60_000_000_000, 120);
    let a01 = s.nodes.iter().position(|n| n.name == "a-01").unwrap() as u32;
    assert!(s.faults.iter().all(|f| f.nodes == vec![a01]));
    let kinds: Vec<_> = s
        .faults
        .iter()
        .map(|f| std::mem::discriminant(&f.kind))
        .collect();
    assert_eq!(kinds.len(), 4);
    assert!(matches!(
        s.faults[1].kind,
        HostFault::Throttle(Throttle {
            run: 10_000_000,
            park: 90_000_000
        })
    ));
    assert_eq!(s.log_observers.len(), 3);
}

/// Extract the fenced YAML blocks of the README (its scenario format section).
fn format_md_blocks() -> Vec<String> {
    // The YAML blocks of the README's *Scenario format* section (other sections
    // show other YAML: sweep files, a Kubernetes manifest).
    let readme = include_str!("../../README.md");
    let start = readme
        .find("\n## Scenario format")
        .expect("README has the section");
    let rest = &readme[start + 1..];
    let md = &rest[..rest[3..].find("\n## ").map_or(rest.len(), |i| i + 3)];
    let mut out = Vec::new();
    let mut cur: Option<String> = None;
    for line in md.lines() {
        match (&mut cur, line.trim_start()) {
            (None, "```yaml") => cur = Some(String::new()),
            (Some(_), "```") => out.push(cur.take().unwrap()),
            (Some(b), _) => {
                b.push_str(line);
                b.push('\n');
            }
            _ => {}
        }
    }
    out
}

/// The complete example in the README loads (it is the last YAML block). Its
/// protocol overrides need `Config::set`.
#[test]

fn format_md_complete_example_loads() {
    let blocks = format_md_blocks();
    ok(blocks.last().unwrap());
}

/// The complete example minus its overrides loads today, so the documented
/// format cannot drift from the parser.
#[test]
fn format_md_complete_example_loads_without_overrides() {
    let blocks = format_md_blocks();
    let text = blocks.last().unwrap().replace(
        "  overrides:\n    probe_interval: 1s        # Consul gossip_lan name\n    suspicion_mult: 5\n",
        "",
    );
    assert!(!text.contains("overrides"));
    let s = ok(&text);
    assert_eq!(s.nodes.len(), 39);
    assert_eq!(s.faults.len(), 2);
}

/// The section examples of the README parse as the part of a file they show.
#[test]
fn format_md_section_examples_parse() {
    let blocks = format_md_blocks();
    let cluster = blocks.iter().find(|b| b.starts_with("cluster:")).unwrap();
    let s = ok(&format!("duration: 1h\n{cluster}"));
    assert_eq!(s.nodes.len(), 3 + 36 + 2 + 2);
    for head in ["network:", "host:", "faults:", "timeline:"] {
        let block = blocks.iter().find(|b| b.starts_with(head)).unwrap();
        let text = format!("duration: 1h\n{cluster}{block}");
        // The network example names a node that only the cluster example defines.
        parse(&text, "t.yaml").unwrap_or_else(|e| panic!("the README `{head}` block: {e}"));
    }
}

/// Rule: `host.other_core_idle` is a probability (default 1: the packet
/// handler always keeps up), written back only when set, and refused outside
/// 0..1 with the field and line named.
#[test]
fn other_core_idle_round_trips_and_is_a_probability() {
    assert_eq!(ok(MIN).host.other_core_idle, 1.0);
    let s = ok(&format!("{MIN}host: {{other_core_idle: 0.6}}\n"));
    assert_eq!(s.host.other_core_idle, 0.6);
    let text = super::render::to_yaml(&s).expect("renders");
    assert!(text.contains("other_core_idle: 0.6"), "{text}");
    let back = parse(&text, "t.yaml").unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(back.host, s.host);
    let plain = super::render::to_yaml(&ok(MIN)).expect("renders");
    assert!(!plain.contains("other_core_idle"), "{plain}");
    let e = err(&format!("{MIN}host: {{other_core_idle: 1.5}}\n"));
    assert_eq!(e.field, "host.other_core_idle", "{e}");
    assert!(e.line.is_some(), "{e}");
}

/// Rule: `host.ticker_jitter` is a distribution (default a fixed 0, which draws
/// nothing), and a rendered scenario reads back with it; a staggered converged
/// start renders and reads back too.
#[test]
fn ticker_jitter_and_staggered_start_round_trip() {
    assert_eq!(ok(MIN).host.ticker_jitter, Dist::Fixed(0));
    let s = ok(&format!(
        "{MIN}start: {{mode: converged, stagger: 1ms, uptime: 11s}}\nhost: {{ticker_jitter: {{uniform: [0ms, 1ms]}}}}\n"
    ));
    assert_eq!(
        s.host.ticker_jitter,
        Dist::Uniform {
            lo: 0,
            hi: 1_000_000
        }
    );
    let text = super::render::to_yaml(&s).expect("renders");
    let back = parse(&text, "t.yaml").unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(back.host, s.host);
    assert_eq!(back.start, s.start);
}
