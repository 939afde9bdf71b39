//! The example charts the README shows (`output/examples/`) are what the current
//! code draws. They are regenerated with one command:
//!
//! ```sh
//! FLAPSIM_BLESS=1 cargo test --release --test examples
//! ```
//!
//! Without `FLAPSIM_BLESS` this test fails when a file differs from what the
//! code draws now (e.g. after a protocol-model change moved the incident's
//! numbers), naming the command above. SVGs must match byte for byte.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use flapsim::chart::run::RunChart;
use flapsim::report::Format;

/// One example file: its name under `output/examples/` and how it is drawn.
struct Example {
    file: &'static str,
    draw: fn() -> Vec<u8>,
}

/// The incident replay, run once for all its examples.
fn incident() -> &'static common::Run {
    static RUN: OnceLock<common::Run> = OnceLock::new();
    RUN.get_or_init(|| common::run("qiita-2015-sick-t2.yaml", None, None, &[]))
}

fn incident_chart(chart: RunChart, svg: bool) -> Vec<u8> {
    let run = incident();
    Format::Chart { chart, svg }.render(&run.scenario, &run.metrics)
}

/// Every example; add one line per new example.
const EXAMPLES: &[Example] = &[
    Example {
        file: "incident-flap-rate.svg",
        draw: || incident_chart(RunChart::FlapRate, true),
    },
    Example {
        file: "incident-flap-rate.png",
        draw: || incident_chart(RunChart::FlapRate, false),
    },
];

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("output")
        .join("examples")
}

#[test]
fn example_charts_are_what_the_code_draws() {
    let bless = std::env::var_os("FLAPSIM_BLESS").is_some();
    let mut stale = Vec::new();
    for ex in EXAMPLES {
        let want = (ex.draw)();
        let path = dir().join(ex.file);
        if bless {
            std::fs::create_dir_all(dir()).unwrap();
            std::fs::write(&path, &want).unwrap();
            continue;
        }
        match std::fs::read(&path) {
            Ok(have) if have == want => {}
            Ok(_) => stale.push(format!("{} differs", path.display())),
            Err(e) => stale.push(format!("{}: {e}", path.display())),
        }
    }
    assert!(
        stale.is_empty(),
        "example charts are stale ({}); regenerate with `FLAPSIM_BLESS=1 cargo test --release --test examples`",
        stale.join("; ")
    );
}
