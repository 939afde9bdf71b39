//! Regressions and a CI-sized fuzz pass for the scenario parser.
//!
//! The real fuzzer is `cargo +nightly fuzz run scenario` (fuzz/, libFuzzer,
//! seed corpus = scenarios/*.yaml). Its property is repeated here so it runs on
//! stable in every `cargo test`: any text gives a scenario or ONE error naming
//! the file — never a panic — and an accepted scenario rendered back to YAML
//! parses again. A crash the fuzzer finds is added here as its own named test
//! calling `property` (none found so far: 20 min of libFuzzer; an empty list
//! looped over by a test checked nothing, so there is none).

use std::path::Path;

use flapsim::random::{Stream, StreamId};
use flapsim::scenario::{parse, render};

/// The fuzz target's property.
fn property(text: &str) {
    match parse(text, "fuzz.yaml") {
        Ok(s) => {
            if let Ok(yaml) = render::to_yaml(&s) {
                if let Err(e) = parse(&yaml, "fuzz.yaml") {
                    panic!(
                        "rendered scenario refused: {e}\n--- input\n{text}\n--- rendered\n{yaml}"
                    );
                }
            }
        }
        Err(e) => assert_eq!(e.file, "fuzz.yaml", "error names the file: {e}"),
    }
}

fn corpus() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    // The shipped scenarios and the oracle's (scenarios/oracle/).
    let mut files: Vec<_> = [dir.clone(), dir.join("oracle")]
        .iter()
        .flat_map(|d| std::fs::read_dir(d).unwrap().flatten())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

/// Rule: every shipped scenario renders to YAML that parses to the same scenario.
/// None is skipped (the log-normal ones, the incident among them, once were).
#[test]
fn shipped_scenarios_round_trip_through_the_renderer() {
    let corpus = corpus();
    assert!(corpus.len() >= 9, "the corpus holds the shipped scenarios");
    for text in corpus {
        let s = parse(&text, "x.yaml").expect("shipped scenarios are valid");
        let yaml =
            render::to_yaml(&s).unwrap_or_else(|e| panic!("{} does not render: {e}", s.name));
        let back = parse(&yaml, "x.yaml").expect("rendered YAML parses");
        assert_eq!(format!("{:?}", back.timeline), format!("{:?}", s.timeline));
        assert_eq!(format!("{:?}", back.faults), format!("{:?}", s.faults));
        assert_eq!(format!("{:?}", back.network), format!("{:?}", s.network));
        assert_eq!(back.protocol, s.protocol);
    }
}

/// A libFuzzer-free mutation pass (deterministic, seeded): byte flips,
/// deletions, duplicated slices and spliced lines of the shipped scenarios.
#[test]
fn mutated_scenarios_never_panic() {
    const ITERATIONS: u64 = 20_000;
    let corpus = corpus();
    let mut r = Stream::new(2024, StreamId::Misc(0xF022));
    const TOKENS: &[&str] = &[
        "0",
        "-1",
        "1e400",
        "99999999999999999999",
        "1.5",
        "50%",
        "250%",
        "nan",
        "~",
        "[]",
        "{}",
        "ms",
        "ns",
        "d",
        "all",
        "zone:",
        "{of: all, fraction: 0}",
        "*a",
        "&a",
        "!!binary",
        "\n  ",
        ":",
        "- ",
        "{uniform: [2s, 1s]}",
        "{lognormal: {median: 0s, p95: 0s}}",
        "18446744073709551615",
        "4294967296",
        "\u{0}",
        "é",
    ];
    for i in 0..ITERATIONS {
        let mut t = corpus[r.index(corpus.len())].clone().into_bytes();
        for _ in 0..1 + r.below(4) {
            if t.is_empty() {
                break;
            }
            let at = r.index(t.len());
            match r.below(5) {
                0 => t[at] ^= 1 << r.below(8),
                1 => {
                    let end = (at + 1 + r.index(16)).min(t.len());
                    t.drain(at..end);
                }
                2 => {
                    let end = (at + 1 + r.index(64)).min(t.len());
                    let piece = t[at..end].to_vec();
                    let to = r.index(t.len());
                    t.splice(to..to, piece);
                }
                _ => {
                    let tok = TOKENS[r.index(TOKENS.len())].as_bytes();
                    let end = (at + r.index(8)).min(t.len());
                    t.splice(at..end, tok.iter().copied());
                }
            }
        }
        let text = String::from_utf8_lossy(&t);
        let res = std::panic::catch_unwind(|| property(&text));
        assert!(res.is_ok(), "iteration {i} panicked on:\n{text}");
    }
}
