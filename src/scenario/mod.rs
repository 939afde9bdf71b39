//! Scenario files: YAML → validated [`Scenario`]. Errors name file, line and field.
//!
//! Three stages, so that each error is reported where it is cheapest to locate:
//! 1. guards on the raw text (size, nesting depth) before any parsing;
//! 2. serde into [`raw`] types, whose visitors check every single value in place
//!    (units, probability ranges, distribution shapes) — serde_yaml supplies the
//!    line, column and field path;
//! 3. [`resolve`]: names → ids, windows, overlaps, presets — errors get their line
//!    from [`locate`], which re-finds a field path in the text.
//!
//! Each host fault and timeline verb is one file under [`fault`], listed in
//! its registry. The format is documented in the README (section "Scenario
//! format").

pub mod cluster;
pub mod credits;
pub mod degraded;
pub mod error;
pub mod fault;
pub mod generate;
pub mod locate;
pub mod model;
pub mod origins;
pub mod raw;
pub mod render;
pub mod resolve;
pub mod targets;

use std::collections::BTreeMap;
use std::path::Path;

pub use error::ScenarioError;
pub use model::*;
pub use resolve::Limits;

use raw::{Dur, FileRaw};
use resolve::{Ctx, ProtocolFlags};

use crate::quote::{short, shorten_quoted};
use crate::units;

/// Command-line adjustments applied on top of a file (`--seed`, `--preset`,
/// `--set key=value`). Errors in them name the flag, not the file.
#[derive(Clone, Debug, Default)]
pub struct CliOverrides {
    pub seed: Option<u64>,
    /// Replaces the file's preset; the file's overrides still apply on top.
    pub preset: Option<String>,
    /// Scenario keys (`duration`, `warmup`, `seed`, `timeseries_bin`) or protocol
    /// overrides (passed to `Config::set` after the file's own overrides).
    pub sets: Vec<(String, String)>,
}

/// Load and validate a scenario file.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    load_with(path, &CliOverrides::default())
}

/// Load a scenario file with command-line overrides.
pub fn load_with(path: &Path, cli: &CliOverrides) -> Result<Scenario, ScenarioError> {
    load_with_limits(path, cli, &Limits::default())
}

/// [`load_with`] with explicit input limits.
pub fn load_with_limits(
    path: &Path,
    cli: &CliOverrides,
    limits: &Limits,
) -> Result<Scenario, ScenarioError> {
    let label = path.display().to_string();
    let text = read_bounded(path, limits.max_file_bytes)
        .map_err(|e| ScenarioError::whole_file(&label, e))?;
    let source = SourceFile {
        path: path.to_path_buf(),
        text: text.as_str().into(),
    };
    parse_inner(&text, &label, cli, limits, Some(source))
}

/// Read a YAML input file (a scenario or a sweep), checking its size before
/// reading so a huge file is never pulled into memory.
pub fn read_limited(path: &Path, label: &str, limits: &Limits) -> Result<String, ScenarioError> {
    let text = read_bounded(path, limits.max_file_bytes)
        .map_err(|e| ScenarioError::whole_file(label, e))?;
    // The same byte-order mark rule as scenarios (see `parse_inner`).
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    })
}

/// Refuse YAML nested deeper than the limit, before serde sees it.
pub fn check_depth(text: &str, label: &str, limits: &Limits) -> Result<(), ScenarioError> {
    let Some((line, depth)) = locate::first_deeper_than(text, limits.max_depth) else {
        return Ok(());
    };
    let mut e = ScenarioError::whole_file(
        label,
        format!(
            "YAML nested {depth} levels deep here, over the limit of {} (raise it with `--limit depth=…`)",
            limits.max_depth
        ),
    );
    e.line = Some(line);
    Err(e)
}

/// Parse scenario text; `file_label` is used in error messages and, without a
/// `name:` key, as the scenario name (its file stem).
pub fn parse(text: &str, file_label: &str) -> Result<Scenario, ScenarioError> {
    parse_with(
        text,
        file_label,
        &CliOverrides::default(),
        &Limits::default(),
    )
}

/// [`parse`] with command-line overrides and explicit limits.
pub fn parse_with(
    text: &str,
    file_label: &str,
    cli: &CliOverrides,
    limits: &Limits,
) -> Result<Scenario, ScenarioError> {
    parse_inner(text, file_label, cli, limits, None)
}

/// Read at most `max` bytes of `path` as UTF-8 text. The size the file system
/// reports is not trusted (a pipe reports 0 and may never end): the read
/// itself stops one byte past the limit. A FIFO with no writer, a directory
/// or a device is refused, never waited on ([`crate::input_file`]).
fn read_bounded(path: &Path, max: usize) -> Result<String, String> {
    use std::io::Read;
    let file = crate::input_file::open(path).map_err(|e| format!("cannot read: {e}"))?;
    let mut bytes = Vec::new();
    file.take(max as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() > max {
        return Err(format!(
            "file is over the limit of {max} bytes (raise it with `--limit file_bytes=…`)"
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "not UTF-8 text (invalid byte at offset {}); scenario files are YAML in UTF-8",
            e.utf8_error().valid_up_to()
        )
    })
}

fn too_big(label: &str, len: u64, limits: &Limits) -> ScenarioError {
    ScenarioError::whole_file(
        label,
        format!(
            "file is {len} bytes, over the limit of {} bytes (raise it with `--limit file_bytes=…`)",
            limits.max_file_bytes
        ),
    )
}

fn parse_inner(
    text: &str,
    label: &str,
    cli: &CliOverrides,
    limits: &Limits,
    source: Option<SourceFile>,
) -> Result<Scenario, ScenarioError> {
    let (text, mut raw) = read_raw(text, label, limits)?;
    let sets = apply_sets(&mut raw, cli)?;
    let ctx = Ctx {
        text,
        file: label,
        cli_fields: sets.cli_fields,
    };
    let flags = ProtocolFlags {
        preset: cli.preset.as_deref(),
        sets: &sets.protocol,
    };
    resolve::resolve(raw, &ctx, limits, &flags, source)
}

/// Scenario text parsed into its raw form, after the guards on the text
/// (size, nesting depth); returns the text without a byte-order mark.
fn read_raw<'t>(
    text: &'t str,
    label: &str,
    limits: &Limits,
) -> Result<(&'t str, FileRaw), ScenarioError> {
    if text.len() > limits.max_file_bytes {
        return Err(too_big(label, text.len() as u64, limits));
    }
    // Editors on Windows save a UTF-8 byte-order mark; YAML allows it at the
    // start, but serde_yaml takes it for a second document. Positions stay
    // right: the mark is not a column a reader sees.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    check_depth(text, label, limits)?;
    let raw: FileRaw = if text.trim().is_empty() {
        FileRaw::default()
    } else {
        serde_yaml::from_str(text).map_err(|e| ScenarioError::from_yaml_in(label, text, &e))?
    };
    Ok((text, raw))
}

/// What [`apply_sets`] left for later: the flag that set each scenario key
/// (errors about it name the flag), and the protocol overrides.
struct AppliedSets {
    cli_fields: BTreeMap<String, String>,
    protocol: Vec<(String, String)>,
}

/// Command-line scenario keys replace the file's (`--seed`, `--set
/// duration=…`); protocol fields are returned for the preset's turn.
fn apply_sets(raw: &mut FileRaw, cli: &CliOverrides) -> Result<AppliedSets, ScenarioError> {
    let mut cli_fields = BTreeMap::new();
    if let Some(seed) = cli.seed {
        raw.seed = Some(seed);
        cli_fields.insert("seed".to_string(), format!("--seed {seed}"));
    }
    let mut protocol_sets = Vec::new();
    for (key, value) in &cli.sets {
        let flag = format!("--set {key}={value}");
        let dur = || {
            crate::units::parse_duration(value)
                .map(Dur)
                .map_err(|m| ScenarioError::flag(flag.clone(), m))
        };
        match key.as_str() {
            "duration" => raw.duration = Some(dur()?),
            "warmup" => raw.warmup = Some(dur()?),
            "timeseries_bin" => raw.timeseries_bin = Some(dur()?),
            // A target as the file writes it: `all`, `a-01`, `[a-01, s-01]`.
            "log_observers" => {
                raw.log_observers = Some(serde_yaml::from_str(value).map_err(|e| {
                    ScenarioError::flag(
                        flag.clone(),
                        format!(
                            "`{}` is not a node target (expected e.g. all, a-01 or [a-01, s-01]): {}",
                            short(value),
                            shorten_quoted(&e.to_string())
                        ),
                    )
                })?)
            }
            "seed" => {
                raw.seed = Some(value.trim().parse().map_err(|_| {
                    ScenarioError::flag(
                        flag.clone(),
                        format!(
                            "`{}` is not a seed (expected an integer 0..2^64)",
                            short(value)
                        ),
                    )
                })?)
            }
            _ => {
                protocol_sets.push((key.clone(), value.clone()));
                continue;
            }
        }
        cli_fields.insert(key.clone(), flag);
    }
    Ok(AppliedSets {
        cli_fields,
        protocol: protocol_sets,
    })
}

/// A run's length and warm-up, in nanoseconds: it is measured from the end
/// of the warm-up to the end of the run (which a run always reaches).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunWindow {
    pub duration: units::Nanos,
    pub warmup: units::Nanos,
}

impl RunWindow {
    /// The measured part of the run.
    pub fn measured(&self) -> units::Nanos {
        self.duration - self.warmup
    }
}

/// The [`RunWindow`] of scenario `text` under each of `sets` (one list of
/// `--set` overrides per configuration), by the rules a run resolves them
/// with, without resolving the rest: the text is parsed once. Why: a
/// comparison's result rows hold per-hour rates, and reading them back
/// checks each against its counts and this window. Limits on size, depth
/// and duration are not applied again (the text was run; `--limit` may have
/// raised them).
pub fn run_windows(
    text: &str,
    label: &str,
    sets: &[&[(String, String)]],
) -> Result<Vec<Result<RunWindow, ScenarioError>>, ScenarioError> {
    let limits = Limits {
        max_file_bytes: usize::MAX,
        max_depth: usize::MAX,
        max_duration: units::Nanos::MAX,
        ..Limits::default()
    };
    let (text, raw) = read_raw(text, label, &limits)?;
    Ok(sets
        .iter()
        .map(|sets| {
            let mut raw = raw.clone();
            let cli = CliOverrides {
                sets: sets.to_vec(),
                ..CliOverrides::default()
            };
            let applied = apply_sets(&mut raw, &cli)?;
            let ctx = Ctx {
                text,
                file: label,
                cli_fields: applied.cli_fields,
            };
            let (duration, warmup) = resolve::run_window(&raw, &ctx, &limits)?;
            Ok(RunWindow { duration, warmup })
        })
        .collect())
}

#[cfg(test)]
mod tests;
