//! Every file in `scenarios/` loads: the shipped scenarios are the format's best
//! documentation, so a change that breaks one of them is a breaking change.

use std::path::Path;

#[test]
fn every_scenario_file_loads() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("scenarios/ exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no scenario files in {}", dir.display());
    let mut failures = Vec::new();
    for f in &files {
        match flapsim::scenario::load(f) {
            Ok(s) => {
                assert!(!s.nodes.is_empty(), "{}: no nodes", f.display());
                assert!(s.warmup < s.duration, "{}", f.display());
            }
            Err(e) => failures.push(e.to_string()),
        }
    }
    assert!(
        failures.is_empty(),
        "scenario files failed to load:\n{}",
        failures.join("\n")
    );
}
