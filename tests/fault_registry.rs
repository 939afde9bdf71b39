//! The fault registry is the one list of fault kinds: messages and the
//! README's list of keys derive from (or are checked against) it, and no
//! engine, host, network, metrics or report code names a kind — so adding a
//! kind is one file in `src/scenario/fault/{host,timeline}/` plus a registry
//! line.

use flapsim::scenario::fault::{HOST_FAULT_NAMES, VERB_NAMES};

const BASE: &str = "duration: 1h\ncluster: {groups: {a: {count: 3, name: \"a-{:02}\"}}}\n";

fn error_of(text: &str) -> String {
    flapsim::scenario::parse(text, "t.yaml")
        .expect_err("should be rejected")
        .to_string()
}

/// Rule: an entry without a kind names every registered kind, in registry order.
#[test]
fn messages_list_every_registered_kind() {
    let e = error_of(&format!("{BASE}faults:\n  - nodes: a-01\n"));
    assert!(e.contains(&HOST_FAULT_NAMES.join(", ")), "{e}");
    let e = error_of(&format!("{BASE}timeline:\n  - at: 1m\n"));
    assert!(e.contains(&VERB_NAMES.join(", ")), "{e}");
}

/// Rule: the README's table of top-level keys lists exactly the registered
/// kinds, in registry order.
#[test]
fn readme_lists_the_registry() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README");
    let quoted = |names: &[&str]| {
        names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let faults = format!(
        "| `faults` | none | host faults: {} |",
        quoted(HOST_FAULT_NAMES)
    );
    let timeline = format!(
        "| `timeline` | none | actions at times: {} |",
        quoted(VERB_NAMES)
    );
    assert!(readme.contains(&faults), "README should have: {faults}");
    assert!(readme.contains(&timeline), "README should have: {timeline}");
}

/// Rule: only the kinds' own files (and tests) name a kind's variant: the
/// engine and the layers after it go through the registry's dispatch.
#[test]
fn no_layer_outside_the_registry_matches_on_a_kind() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
    let mut offenders = Vec::new();
    let mut stack = vec![std::path::PathBuf::from(root)];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("src is readable") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                if !path.ends_with("scenario/fault") {
                    stack.push(path);
                }
                continue;
            }
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if !name.ends_with(".rs") || name == "tests.rs" {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("readable");
            // Test modules may build kinds by name.
            let text = text.split("#[cfg(test)]").next().unwrap_or("");
            for needle in ["HostFault::", "Action::"] {
                if text.contains(needle) {
                    offenders.push(format!("{} names {needle}…", path.display()));
                }
            }
        }
    }
    assert!(offenders.is_empty(), "{offenders:#?}");
}
