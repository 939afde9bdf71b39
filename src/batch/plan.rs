//! A batch plan: the points (configurations) to run, each with the seeds to run
//! it under. Runs are numbered point-major (`run = point × seeds + seed index`),
//! and that number is the canonical order of every output.

use std::sync::Arc;

use crate::scenario::{self, CliOverrides, Limits, Scenario, ScenarioError};

use super::row::AxisValue;
use super::space::{Inputs, Space};

/// How to build one point's scenario: scenario text plus command-line-style
/// overrides (preset, `--set` fields), resolved exactly as `flapsim run` would.
#[derive(Clone, Debug, PartialEq)]
pub struct PointInput {
    /// Scenario YAML (the base file, or the base with the point's edits applied).
    pub text: String,
    /// File label for errors and the default scenario name.
    pub label: String,
    pub preset: Option<String>,
    /// Protocol fields and scenario keys, as `--set` would give them.
    pub sets: Vec<(String, String)>,
}

/// One configuration: its value on every axis and how to build it.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    pub values: Vec<AxisValue>,
    pub input: PointInput,
}

/// A plan's points: listed one by one (a comparison's handful of
/// configurations), or a sweep's combinations of axis values, each built when
/// needed so a plan's memory does not grow with its number of points.
#[derive(Clone, Debug)]
pub enum Points {
    Listed(Vec<Point>),
    Combined(Arc<Space>),
}

/// Everything a batch runs.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Sweep or comparison name (output directory, chart titles).
    pub name: String,
    /// Axis names (column headers), one per entry of each point's `values`.
    pub axes: Vec<String>,
    pub points: Points,
    /// Seeds every point runs under, in order.
    pub seeds: Vec<u64>,
    pub limits: Limits,
    /// Axes that are conditions (cluster size, fault severity) rather than
    /// settings to choose: the Pareto front and the recommendation are made per
    /// combination of their values.
    pub conditions: Vec<String>,
}

/// Upper bounds on a plan's size, so a typo (`seeds: 1e9`) is refused up front
/// instead of filling a disk.
pub const MAX_RUNS: usize = 1_000_000;
pub const MAX_SEEDS: u64 = 100_000;

impl Plan {
    pub fn runs(&self) -> usize {
        self.point_count() * self.seeds.len()
    }

    pub fn point_count(&self) -> usize {
        match &self.points {
            Points::Listed(p) => p.len(),
            Points::Combined(s) => s.len(),
        }
    }

    /// Point `point`'s value on axis `axis`.
    pub fn value(&self, point: usize, axis: usize) -> &AxisValue {
        match &self.points {
            Points::Listed(p) => &p[point].values[axis],
            Points::Combined(s) => s.value(point, axis),
        }
    }

    /// Point `point`'s value on every axis.
    pub fn values(&self, point: usize) -> Vec<AxisValue> {
        (0..self.axes.len())
            .map(|a| self.value(point, a).clone())
            .collect()
    }

    /// How to build point `point`'s scenario (built now for a sweep's point).
    pub fn input(&self, point: usize) -> Result<PointInput, ScenarioError> {
        match &self.points {
            Points::Listed(p) => Ok(p[point].input.clone()),
            Points::Combined(s) => s.input(point),
        }
    }

    /// (point index, seed) of run `run`.
    pub fn run_ref(&self, run: usize) -> (usize, u64) {
        let n = self.seeds.len();
        (run / n, self.seeds[run % n])
    }

    /// Resolve run `run`'s scenario.
    pub fn scenario(&self, run: usize) -> Result<Scenario, ScenarioError> {
        let (point, seed) = self.run_ref(run);
        resolve_point(&self.input(point)?, Some(seed), &self.limits)
    }

    /// A fingerprint of everything that determines the results: the flapsim
    /// version, the axes, every point's scenario and overrides, and the seeds.
    /// Shards and resumed runs must carry the same one; it is not a security
    /// hash, only a guard against mixing different sweeps.
    ///
    /// A sweep's point texts are built one after another and hashed, never
    /// kept: the same bytes as when every point's text was stored, so sweep
    /// directories written before keep their fingerprint.
    pub fn fingerprint(&self) -> String {
        let mut h = Fnv::default();
        h.str(env!("CARGO_PKG_VERSION"));
        h.str(&self.name);
        for a in &self.axes {
            h.str(a);
        }
        h.u64(self.point_count() as u64);
        let point = |h: &mut Fnv, p: usize, input: &PointInput| {
            for a in 0..self.axes.len() {
                let v = self.value(p, a);
                h.str(&v.label);
                h.str(&v.json.to_string());
            }
            // Not the file label: the same sweep given as `sweeps/x.yaml` on one
            // machine and `/home/u/sweeps/x.yaml` on another is the same sweep.
            h.str(&input.text);
            h.str(input.preset.as_deref().unwrap_or(""));
            h.u64(input.sets.len() as u64);
            for (k, v) in &input.sets {
                h.str(k);
                h.str(v);
            }
        };
        match &self.points {
            Points::Listed(l) => {
                (l.iter().enumerate()).for_each(|(p, pt)| point(&mut h, p, &pt.input))
            }
            Points::Combined(s) => {
                let mut inputs = Inputs::new(s);
                for p in 0..s.len() {
                    match inputs.input(p) {
                        Ok(input) => point(&mut h, p, &input),
                        // Not for a plan read by `sweepfile`, which built every
                        // point before returning it; the message keeps the
                        // fingerprint a function of the plan all the same.
                        Err(e) => h.str(&e.to_string()),
                    }
                }
            }
        }
        h.u64(self.seeds.len() as u64);
        for s in &self.seeds {
            h.u64(*s);
        }
        format!("{:016x}", h.0)
    }
}

/// Resolve a point's scenario (with a seed, or the file's own).
pub fn resolve_point(
    input: &PointInput,
    seed: Option<u64>,
    limits: &Limits,
) -> Result<Scenario, ScenarioError> {
    let cli = CliOverrides {
        seed,
        preset: input.preset.clone(),
        sets: input.sets.clone(),
    };
    scenario::parse_with(&input.text, &input.label, &cli, limits)
}

/// 64-bit FNV-1a with length-prefixed strings (so `ab`+`c` ≠ `a`+`bc`).
#[derive(Clone, Copy)]
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    fn bytes(&mut self, b: &[u8]) {
        for &x in b {
            self.0 ^= u64::from(x);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    fn u64(&mut self, v: u64) {
        self.bytes(&v.to_le_bytes());
    }
    fn str(&mut self, s: &str) {
        self.u64(s.len() as u64);
        self.bytes(s.as_bytes());
    }
}

/// The run windows (length and warm-up, [`scenario::run_windows`]) of a
/// plan's points, asked for point after point, as a resume reads its rows:
/// what a row's per-hour rates are counted over. A scenario text is parsed
/// again only when the point's text (or a comparison's overrides) moved.
/// Why: a sweep's points mostly differ in protocol fields, which cannot
/// move a window (a sweep's scenario keys are edits of its text), and
/// building and parsing every point's text cost about 75 µs a point (75 s
/// more to resume a sweep of 10⁶ points).
pub struct Windows<'a> {
    plan: &'a Plan,
    /// A sweep's points' inputs, built as the points are asked for.
    inputs: Option<Inputs<'a>>,
    /// The last point asked, and its window.
    last: Option<LastWindow>,
}

/// A point, its text and the overrides a window can depend on, and its window.
struct LastWindow {
    point: usize,
    text: String,
    sets: Vec<(String, String)>,
    window: scenario::RunWindow,
}

impl<'a> Windows<'a> {
    pub fn new(plan: &'a Plan) -> Windows<'a> {
        let inputs = match &plan.points {
            Points::Combined(space) => Some(Inputs::new(space)),
            Points::Listed(_) => None,
        };
        Windows {
            plan,
            inputs,
            last: None,
        }
    }

    /// Point `point`'s run window, by the rules its runs resolve it with.
    pub fn of(&mut self, point: usize) -> Result<scenario::RunWindow, ScenarioError> {
        if let Some(last) = &self.last {
            if last.point == point {
                return Ok(last.window);
            }
        }
        let (text, label, sets) = match &mut self.inputs {
            // A sweep point's overrides are protocol fields only.
            Some(inputs) => {
                let input = inputs.input(point)?;
                (input.text, input.label, Vec::new())
            }
            None => {
                let input = self.plan.input(point)?;
                (input.text, input.label, input.sets)
            }
        };
        if let Some(last) = &mut self.last {
            if last.text == text && last.sets == sets {
                last.point = point;
                return Ok(last.window);
            }
        }
        let mut windows = scenario::run_windows(&text, &label, &[sets.as_slice()])?;
        let window = windows.pop().expect("one window per list of overrides")?;
        self.last = Some(LastWindow {
            point,
            text,
            sets,
            window,
        });
        Ok(window)
    }
}
