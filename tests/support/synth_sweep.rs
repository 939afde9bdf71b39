//! Writes a sweep directory (or its shards) with made-up result rows, to
//! measure `flapsim sweep --resume` (the finishing step) and `flapsim merge`
//! at sizes no one wants to simulate (10^6 points).
//!
//! The directory is what a real sweep writes: its manifest and both result
//! files come from `Results::open` and `Results::append` on the plan read
//! from the sweep file, so only the metric values are made up (varied per run
//! from a hash of its index, with some runs lacking a detection or rejoin
//! latency, as real runs do).
//!
//! `cargo run --release --example synth_sweep -- SWEEP.yaml OUT [SHARDS]`:
//! one shard writes OUT itself; N shards write OUT/shard-0 … OUT/shard-(N-1).

use std::path::{Path, PathBuf};

use flapsim::batch::plan::Windows;
use flapsim::batch::row::{metric_index, rate_as_written, Row, METRICS, RATES};
use flapsim::batch::store::{Aggregate, Existing, Results, Shard};
use flapsim::batch::sweepfile;
use flapsim::scenario::Limits;

/// SplitMix64: a deterministic spread of the run index over 64 bits.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// A run's made-up metrics: counts are whole, latencies have a few
/// decimals, each per-hour rate is what its count makes it over the
/// `measured` nanoseconds, and some runs have no rejoin (no flap) or
/// detection latency.
fn values(run: usize, measured: u64) -> Vec<Option<f64>> {
    let h = mix(run as u64);
    let pick = |k: u32, m: u64| (mix(h ^ u64::from(k)) % m) as f64;
    let mut values: Vec<Option<f64>> = METRICS
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let i = i as u32;
            match m.name {
                "rejoin_p50_s" | "rejoin_p99_s" if h.is_multiple_of(3) => None,
                name if name.starts_with("detect_") && h.is_multiple_of(97) => None,
                name if name.ends_with("_per_hour") || name.ends_with("_s") => {
                    Some(pick(i, 100_000) / 1000.0)
                }
                _ => Some(pick(i, 500)),
            }
        })
        .collect();
    for (rate, count) in RATES {
        let [r, c] = [rate, count].map(|m| metric_index(m).expect("a metric"));
        let n = values[c].expect("a count is always measured") as u64;
        values[r] = rate_as_written(rate, n, measured);
    }
    values
}

fn write(sweep: &Path, out: &Path, shards: usize) -> Result<(), String> {
    let file = sweepfile::load(sweep, &Limits::default()).map_err(|e| e.to_string())?;
    let plan = &file.plan;
    for index in 0..shards {
        let shard = Shard {
            index,
            count: shards,
        };
        let dir = if shards == 1 {
            out.to_path_buf()
        } else {
            out.join(format!("shard-{index}"))
        };
        let mut results = Results::open(&dir, plan, shard, Existing::Fresh, Aggregate::No)
            .map_err(|e| e.message)?;
        // Each rate is what its count makes it over its point's window, as
        // a resume checks.
        let mut windows = Windows::new(plan);
        for run in std::mem::take(&mut results.todo) {
            let (point, seed) = plan.run_ref(run);
            let measured = windows.of(point).map_err(|e| e.to_string())?.measured();
            results.append(&Row {
                run,
                point,
                seed,
                digest: format!("{:016x}", mix(!(run as u64))),
                values: values(run, measured),
            })?;
        }
        results.sync()?;
    }
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(sweep), Some(out)) = (args.first(), args.get(1)) else {
        eprintln!("usage: synth_sweep SWEEP.yaml OUT [SHARDS]");
        std::process::exit(2);
    };
    let shards = args.get(2).map_or(Ok(1), |s| s.parse::<usize>());
    let Ok(shards) = shards else {
        eprintln!("SHARDS: not a whole number");
        std::process::exit(2);
    };
    if let Err(e) = write(Path::new(sweep), &PathBuf::from(out), shards.max(1)) {
        eprintln!("{e}");
        std::process::exit(1);
    }
}
