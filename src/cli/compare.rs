//! `flapsim compare`: the comparison front end of the batch runner.

use std::path::PathBuf;
use std::time::Instant;

use crate::batch::compare::{self, ComparisonMeta};
use crate::batch::row::AxisValue;
use crate::batch::{execute, Plan, Point, PointInput, Points, Progress};
use crate::scenario::{self, CliOverrides};

use super::args::CompareArgs;
use super::sweep::jobs;
use super::{parse_limits, parse_sets, Failure};
use crate::batch::compare_check::{MAX_CONFIG_NAME_BYTES, MAX_OVERRIDES};
use crate::quote::short;
use crate::units::count;

/// A configuration: name, preset (if it replaces the file's), `--set` fields.
type Config = (String, Option<String>, Vec<(String, String)>);

/// `NAME:FIELD=VALUE,FIELD=VALUE` → (name, preset, sets).
fn parse_variant(v: &str) -> Result<Config, Failure> {
    let bad = |m: &str| Failure::bad_input(format!("--variant `{}`: {m}", short(v)));
    let (name, fields) = v
        .split_once(':')
        .ok_or_else(|| bad("expected NAME:FIELD=VALUE,…, e.g. --variant fast:probe_interval=500ms,suspicion_mult=3"))?;
    let name = name.trim();
    if name.is_empty() {
        return Err(bad("the name before `:` is empty"));
    }
    let mut preset = None;
    let mut sets = Vec::new();
    for f in fields.split(',').filter(|f| !f.trim().is_empty()) {
        let (k, val) = f
            .split_once('=')
            .ok_or_else(|| bad(&format!("`{}`: expected FIELD=VALUE", short(f))))?;
        match k.trim() {
            "preset" => preset = Some(val.trim().to_string()),
            "seed" => {
                return Err(bad(
                    "the seed is set by --seed/--seeds for every configuration",
                ))
            }
            k => sets.push((k.to_string(), val.trim().to_string())),
        }
    }
    Ok((name.to_string(), preset, sets))
}

pub fn compare(args: &CompareArgs) -> Result<(), Failure> {
    let limits = parse_limits(&args.batch.limits)?;
    let jobs = jobs(&args.batch)?;
    let sets = parse_sets(&args.sets)?;
    if args.seeds == 0 || args.seeds > crate::batch::plan::MAX_SEEDS {
        return Err(Failure::bad_input(format!(
            "--seeds: expected 1..={}",
            crate::batch::plan::MAX_SEEDS
        )));
    }
    // The file on its own, with the common flags: errors name its lines.
    let base = scenario::load_with_limits(
        &args.scenario,
        &CliOverrides {
            seed: args.seed,
            preset: None,
            sets: sets.clone(),
        },
        &limits,
    )
    .map_err(|e| Failure::bad_input(e.to_string()))?;
    // The text as loaded: the file is read once (it may be a pipe).
    let text = base
        .source
        .as_ref()
        .map(|f| f.text.to_string())
        .expect("BUG! a scenario loaded from a file without its text");
    let label = args.scenario.display().to_string();

    let mut configs: Vec<Config> = args
        .presets
        .iter()
        .map(|p| (p.trim().to_string(), Some(p.trim().to_string()), Vec::new()))
        .collect();
    for v in &args.variants {
        configs.push(parse_variant(v)?);
    }
    if configs.is_empty() {
        return Err(Failure::bad_input(
            "nothing to compare: give --presets A,B,… and/or --variant NAME:FIELD=VALUE,…",
        ));
    }
    for (i, (name, _, own)) in configs.iter().enumerate() {
        // What `flapsim chart` accepts back (batch::compare_check).
        if name.len() > MAX_CONFIG_NAME_BYTES {
            return Err(Failure::bad_input(format!(
                "configuration `{}` is {} bytes long; at most {MAX_CONFIG_NAME_BYTES}",
                short(name),
                name.len()
            )));
        }
        if sets.len() + own.len() > MAX_OVERRIDES {
            return Err(Failure::bad_input(format!(
                "configuration `{}` has {} overrides (--set and its own); at most {MAX_OVERRIDES}",
                short(name),
                sets.len() + own.len()
            )));
        }
        if configs[..i].iter().any(|c| c.0 == *name) {
            return Err(Failure::bad_input(format!(
                "configuration `{name}` is given twice; names must differ"
            )));
        }
    }
    let first = args.seed.unwrap_or(base.seed);
    let plan = Plan {
        name: format!("{}-compare", base.name),
        axes: vec!["config".into()],
        points: Points::Listed(
            configs
                .iter()
                .map(|(name, preset, own)| Point {
                    values: vec![AxisValue::text(name)],
                    input: PointInput {
                        text: text.clone(),
                        label: label.clone(),
                        preset: preset.clone(),
                        sets: sets.iter().chain(own).cloned().collect(),
                    },
                })
                .collect(),
        ),
        seeds: (0..args.seeds).map(|k| first.wrapping_add(k)).collect(),
        limits,
        conditions: Vec::new(),
    };
    // A comparison directory is read back with the sweep's limits.
    if plan.runs() > crate::batch::plan::MAX_RUNS {
        return Err(Failure::bad_input(format!(
            "{} configurations x {} seeds is over the limit of {} runs",
            configs.len(),
            args.seeds,
            crate::batch::plan::MAX_RUNS
        )));
    }
    // Every run resolves before any runs.
    let mut largest = 0;
    for r in 0..plan.runs() {
        match plan.scenario(r) {
            Ok(s) => largest = largest.max(s.nodes.len() as u64),
            Err(e) => {
                let (p, _) = plan.run_ref(r);
                return Err(Failure::bad_input(format!(
                    "configuration `{}`: {e}",
                    configs[p].0
                )));
            }
        }
    }
    let jobs = super::sweep::jobs_that_fit(jobs, largest, &plan.limits, args.batch.quiet);
    let meta = ComparisonMeta::new(&plan, &label).map_err(Failure::bad_input)?;
    // What `flapsim chart` reads back (and this command, before publishing):
    // refused now rather than after every run.
    let meta_len = meta.to_json().map_err(Failure::failed)?.len() as u64;
    if meta_len > crate::batch::compare_check::MAX_META_BYTES {
        return Err(Failure::bad_input(format!(
            "the comparison's chart-data.json would be {meta_len} bytes (its scenario and {}), more than the {} flapsim reads back; compare fewer configurations or a smaller scenario file",
            count(configs.len(), "configuration"),
            crate::batch::compare_check::MAX_META_BYTES
        )));
    }
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("output").join(&plan.name));
    // A comparison writes results.csv and manifest.json as a sweep does: over
    // a sweep's (or a run's) files, it would leave theirs beside its own.
    if let Some(what) = crate::batch::store::foreign_output(&out) {
        return Err(Failure::bad_input(format!(
            "--out {} holds {what}: a comparison there would mix with it; use another directory",
            out.display()
        )));
    }
    // Claimed before anything runs: an unusable `--out` (a file, `/`, a
    // directory of the user's own files) is bad input found at once, and the
    // results, tables and charts are published into it as one set at the end.
    let publisher = crate::report::Publisher::begin(&out, Default::default())
        .map_err(|e| Failure::bad_input(crate::report::publish::out_refusal(&out, &e)))?;
    if !args.batch.quiet {
        say!(
            "compare {}: {} x {} = {}, {}",
            base.name,
            configs
                .iter()
                .map(|c| c.0.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            count(args.seeds as usize, "seed"),
            count(plan.runs(), "run"),
            count(jobs, "job")
        );
    }
    let started = Instant::now();
    let mut rows = Vec::with_capacity(plan.runs());
    let todo: Vec<usize> = (0..plan.runs()).collect();
    execute(
        &plan,
        &todo,
        jobs,
        None,
        &Progress::auto(args.batch.quiet),
        &mut |row| {
            rows.push(row.clone());
            Ok(())
        },
    )
    .map_err(|e| Failure::failed(e.0))?;
    let wall = started.elapsed().as_secs_f64();
    let c = compare::write(publisher, &plan, &meta, &rows).map_err(Failure::failed)?;
    if !args.batch.quiet {
        say!(
            "{} in {wall:.1} s ({:.2} runs/s)\n",
            count(plan.runs(), "run"),
            plan.runs() as f64 / wall.max(1e-9)
        );
        let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), c.table().as_bytes());
        say!(
            "\ntable, charts and report in {} (report.html, comparison.png/.svg, comparison.csv, results.csv)",
            out.display()
        );
    }
    Ok(())
}
