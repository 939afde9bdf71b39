//! From the file as written ([`FileRaw`]) to the resolved [`Scenario`]: names to
//! ids, targets to node lists, windows checked against the run, faults checked
//! against each other.
//!
//! Every check here that can fail reports through [`Ctx::err`] with the field
//! path, so the error points at the line to fix. Nothing iterates a hash map, so
//! the resolved scenario is a pure function of the text, the seed and the flags.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use super::error::ScenarioError;
use super::fault::entries;
use super::locate::locate;
use super::model::*;
use super::raw::*;
use crate::protocol::config::PRESETS;
use crate::protocol::{Config, Nanos, NodeId};
use crate::random::{Dist, Stream, StreamId};

/// Bounds for untrusted input. The defaults fit every real scenario with room to
/// spare; they exist so a hostile or mistaken file fails fast instead of eating
/// memory.
#[derive(Clone, Debug)]
pub struct Limits {
    pub max_file_bytes: usize,
    pub max_nodes: usize,
    pub max_duration: Nanos,
    /// Timeline entries, faults and network rules (each).
    pub max_entries: usize,
    /// YAML nesting depth (indentation levels plus brackets).
    pub max_depth: usize,
    /// Work a run may do, in events (checked by the engine, not the parser: the
    /// count is only known by running). Every popped event counts one, and so
    /// does each step of work an event causes beyond a constant: host-schedule
    /// steps, host samples, link rules and cuts examined per packet. See the
    /// README (*Limits*) for what it means in CPU time.
    pub max_events: u64,
    /// Cells of `timeseries.csv`: rows (duration / timeseries_bin) times the
    /// columns that grow per row (one plus each host with a CPU fault, whose
    /// samples are kept per bin). Bounds its memory and file size.
    pub max_timeseries_cells: u64,
    /// Node ids named by all targets together, after expanding groups, zones
    /// and `all` (each rule, fault and action keeps its own list).
    pub max_target_nodes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 1 << 20,
            // Every node ends up holding every other (n² member entries): 10,000
            // nodes peak near 2.1 GB, 20,000 would need ~8.5 GB.
            max_nodes: 10_000,
            max_duration: 30 * 86_400 * 1_000_000_000,
            max_entries: 100_000,
            max_depth: 64,
            max_events: 1_000_000_000,
            max_timeseries_cells: 10_000_000,
            max_target_nodes: 10_000_000,
        }
    }
}

/// Default one-way latency when a file says nothing: intra-AZ EC2 (RTT ≈ 0.25 ms).
pub const DEFAULT_LATENCY: Nanos = 125_000;
/// Default Serf tag size: Consul's tags (role, dc, port, build, vsn…) are ~100+ bytes.
pub const DEFAULT_META_BYTES: u32 = 120;
/// memberlist `MetaMaxSize`.
pub const MAX_META_BYTES: u32 = 512;

/// Where errors are reported: the text (for line lookup), the file label, and the
/// fields that the command line replaced (errors on those name the flag).
pub struct Ctx<'a> {
    pub text: &'a str,
    pub file: &'a str,
    pub cli_fields: BTreeMap<String, String>,
}

impl Ctx<'_> {
    pub fn err(&self, path: &str, message: impl Into<String>) -> ScenarioError {
        if let Some(flag) = self.cli_fields.get(path) {
            return ScenarioError::flag(flag.clone(), message);
        }
        let (line, column) = match locate(self.text, path) {
            Some((l, c)) => (Some(l), Some(c)),
            None => (None, None),
        };
        ScenarioError {
            file: self.file.to_string(),
            line,
            column,
            field: path.to_string(),
            message: message.into(),
        }
    }
}

type R<T> = Result<T, ScenarioError>;

/// Protocol settings from the command line, applied over the file's.
pub struct ProtocolFlags<'a> {
    pub preset: Option<&'a str>,
    pub sets: &'a [(String, String)],
}

pub fn resolve(
    raw: FileRaw,
    ctx: &Ctx,
    limits: &Limits,
    flags: &ProtocolFlags,
    source: Option<PathBuf>,
) -> R<Scenario> {
    let name = match &raw.name {
        Some(n) => {
            check_ident(n).map_err(|m| ctx.err("name", m))?;
            n.clone()
        }
        None => default_name(ctx.file).ok_or_else(|| {
            ScenarioError::whole_file(
                ctx.file,
                "the file name gives no usable scenario name (it would be made only of dots); add `name: ...` to the file",
            )
        })?,
    };
    let seed = raw.seed.unwrap_or(1);

    // --- Run length -------------------------------------------------------
    let Some(Dur(duration)) = raw.duration else {
        return Err(ctx.err(
            "duration",
            "missing: say how long to simulate, warm-up included (e.g. duration: 2h10m)",
        ));
    };
    if duration == 0 {
        return Err(ctx.err("duration", "must be > 0"));
    }
    if duration > limits.max_duration {
        return Err(ctx.err(
            "duration",
            format!(
                "{} is longer than the limit of {} (raise it with `--limit duration=…`)",
                fd(duration),
                fd(limits.max_duration)
            ),
        ));
    }
    let warmup = raw.warmup.map_or(0, |d| d.0);
    if warmup >= duration {
        return Err(ctx.err(
            "warmup",
            format!(
                "warm-up {} must be shorter than duration {} (duration includes the warm-up)",
                fd(warmup),
                fd(duration)
            ),
        ));
    }
    let timeseries_bin = raw.timeseries_bin.map_or(1_000_000_000, |d| d.0);
    if timeseries_bin == 0 {
        return Err(ctx.err("timeseries_bin", "must be > 0 (e.g. 1s)"));
    }
    check_granularity("a bin of", timeseries_bin).map_err(|m| ctx.err("timeseries_bin", m))?;

    // --- Protocol ----------------------------------------------------------
    let proto = raw.protocol.clone().unwrap_or_default();
    let (preset, preset_path) = match (flags.preset, &proto.preset) {
        (Some(p), _) => (p.to_string(), None),
        (None, Some(p)) => (p.clone(), Some("protocol.preset")),
        (None, None) => ("memberlist".to_string(), None),
    };
    let Some(mut protocol) = Config::preset(&preset) else {
        let msg = format!(
            "unknown preset `{preset}`; valid presets: {}",
            PRESETS.join(", ")
        );
        return Err(match preset_path {
            Some(p) => ctx.err(p, msg),
            None => ScenarioError::flag("--preset", msg),
        });
    };
    let mut overrides = Vec::new();
    // Who set each field last, so a validation error points at that line or flag.
    let mut origins = ConfigOrigins::new(ctx, preset_path);
    for (key, Scalar(value)) in proto.overrides.map(|o| o.0).unwrap_or_default() {
        let path = format!("protocol.overrides.{key}");
        protocol.set(&key, &value).map_err(|m| ctx.err(&path, m))?;
        origins.set_in_file(&key, path);
        overrides.push((key, value));
    }
    for (key, value) in flags.sets {
        let flag = format!("--set {key}={value}");
        protocol
            .set(key, value)
            .map_err(|m| ScenarioError::flag(flag.clone(), m))?;
        origins.set_by_flag(key, flag);
        overrides.push((key.clone(), value.clone()));
    }
    origins.check(&protocol)?;

    // --- Cluster -----------------------------------------------------------
    let mut r = Resolver {
        ctx,
        seed,
        duration,
        target_budget: limits.max_target_nodes,
        limit_target_nodes: limits.max_target_nodes,
        next_tag: 0,
        nodes: Vec::new(),
        by_name: BTreeMap::new(),
        groups: BTreeMap::new(),
        zones: Vec::new(),
    };
    r.build_cluster(raw.cluster.as_ref(), limits)?;

    let start = r.start(raw.start.as_ref())?;
    let network = r.network(raw.network.as_ref(), limits)?;
    let host = r.host(raw.host.as_ref())?;
    let faults = entries::faults(&mut r, raw.faults.as_deref().unwrap_or(&[]), limits)?;
    let timeline = entries::timeline(&mut r, raw.timeline.as_deref().unwrap_or(&[]), limits)?;
    let log_observers = match &raw.log_observers {
        None => Vec::new(),
        Some(TargetRaw::Names(n)) if n.len() == 1 && n[0] == "all" => Vec::new(),
        Some(t) => r.target(t, "log_observers")?,
    };
    check_timeseries_size(ctx, duration, timeseries_bin, &faults, &timeline, limits)?;

    Ok(Scenario {
        name,
        source,
        description: raw.description.unwrap_or_default(),
        seed,
        duration,
        warmup,
        start,
        preset,
        protocol,
        overrides,
        nodes: r.nodes,
        groups: r.groups,
        network,
        host,
        faults,
        timeline,
        log_observers,
        timeseries_bin,
    })
}

/// The finest time step flapsim accepts for anything periodic (throttle slices,
/// pauses, holds, protocol timers, time-series bins). Below it the number of
/// steps per simulated second, not the model, would decide the run time.
pub const MIN_GRANULARITY: Nanos = 1_000;

/// Refuse a non-zero duration below [`MIN_GRANULARITY`].
pub fn check_granularity(what: &str, d: Nanos) -> Result<(), String> {
    if d > 0 && d < MIN_GRANULARITY {
        return Err(format!(
            "{what} {} is finer than flapsim's time granularity of 1us; use at least 1us",
            fd(d)
        ));
    }
    Ok(())
}

/// Where each protocol field got its effective value, so that
/// [`Config::validate`] errors point at the file line or `--set` flag to fix:
/// `validate` and `run` refuse the same files with the same message.
struct ConfigOrigins<'a, 'c> {
    ctx: &'a Ctx<'c>,
    preset_path: Option<&'static str>,
    /// (canonical field, the override's path or the flag), in the order applied.
    set: Vec<(&'static str, Result<String, String>)>,
}

impl<'a, 'c> ConfigOrigins<'a, 'c> {
    fn new(ctx: &'a Ctx<'c>, preset_path: Option<&'static str>) -> Self {
        ConfigOrigins {
            ctx,
            preset_path,
            set: Vec::new(),
        }
    }

    fn field(key: &str) -> Option<&'static str> {
        match Config::canonical_key(key)? {
            // Stored as the negation of tcp_fallback; validation names that.
            "disable_tcp_pings" => Some("tcp_fallback"),
            f => Some(f),
        }
    }

    fn set_in_file(&mut self, key: &str, path: String) {
        if let Some(f) = Self::field(key) {
            self.set.push((f, Ok(path)));
        }
    }

    fn set_by_flag(&mut self, key: &str, flag: String) {
        if let Some(f) = Self::field(key) {
            self.set.push((f, Err(flag)));
        }
    }

    /// Validate the effective config; locate an error at the last setting of any
    /// field it names (validation messages name fields in backticks), else at
    /// the preset.
    fn check(&self, config: &Config) -> R<()> {
        let floor = [
            ("probe_interval", config.probe_interval),
            ("probe_timeout", config.probe_timeout),
            ("gossip_interval", config.gossip_interval),
            ("push_pull_interval", config.push_pull_interval),
            ("tcp_timeout", config.tcp_timeout),
            ("serf_reconnect_interval", config.serf.reconnect_interval),
            ("serf_reap_interval", config.serf.reap_interval),
        ];
        let message = floor
            .iter()
            .find_map(|&(f, d)| check_granularity(&format!("`{f}` ="), d).err())
            .map_or_else(|| config.validate(), Err);
        let Err(message) = message else {
            return Ok(());
        };
        let named: Vec<&str> = message
            .split('`')
            .skip(1)
            .step_by(2)
            .filter_map(Self::field)
            .collect();
        let origin = self
            .set
            .iter()
            .rev()
            .find(|(f, _)| named.contains(f))
            .map(|(_, o)| o);
        Err(match (origin, self.preset_path) {
            (Some(Ok(path)), _) => self.ctx.err(path, message),
            (Some(Err(flag)), _) => ScenarioError::flag(flag.clone(), message),
            (None, Some(p)) => self.ctx.err(p, message),
            (None, None) => self.ctx.err("protocol", message),
        })
    }
}

/// `timeseries.csv` keeps one row per bin and, per host with a CPU fault, one
/// sample per bin: refuse a bin so fine that it would not fit in memory.
fn check_timeseries_size(
    ctx: &Ctx,
    duration: Nanos,
    bin: Nanos,
    faults: &[FaultSpec],
    timeline: &[TimelineEvent],
    limits: &Limits,
) -> R<()> {
    let sampled = entries::sampled_nodes(faults, timeline);
    let rows = duration / bin + 1;
    let cells = rows.saturating_mul(1 + sampled.len() as u64);
    if cells > limits.max_timeseries_cells {
        return Err(ctx.err(
            "timeseries_bin",
            format!(
                "a bin of {} gives {rows} rows x {} columns = {cells} time-series cells, over the limit of {} (use a wider bin, or raise it with `--limit timeseries_cells=…`)",
                fd(bin),
                1 + sampled.len(),
                limits.max_timeseries_cells
            ),
        ));
    }
    Ok(())
}

/// Output directory names come from scenario names: keep them path-safe. A name
/// made only of dots (`.`, `..`) would put the outputs in `output/` itself or
/// outside it.
pub(crate) fn check_ident(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err("must not be empty".into());
    }
    if s.chars().all(|c| c == '.') {
        return Err(format!(
            "`{s}` is made only of dots, which names a directory outside the output folder; use letters or digits"
        ));
    }
    if s.len() > 128 {
        return Err(format!("`{s}` is longer than 128 characters"));
    }
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "._-".contains(*c)))
    {
        return Err(format!(
            "`{s}` contains `{c}`; use letters, digits, `.`, `_` and `-` only"
        ));
    }
    if s == "all" {
        return Err("`all` is reserved (it means every node)".into());
    }
    Ok(())
}

/// The scenario name from the file stem; None when it would be only dots.
fn default_name(file: &str) -> Option<String> {
    let stem = std::path::Path::new(file)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("scenario");
    let clean: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if clean.is_empty() {
        Some("scenario".into())
    } else if clean.chars().all(|c| c == '.') {
        None
    } else {
        Some(clean)
    }
}

/// Expand a group's name pattern for member number `n`: `a-{:02}` → `a-07`.
fn expand(pattern: &str, n: u32) -> Result<String, String> {
    let Some(open) = pattern.find('{') else {
        return Ok(pattern.to_string());
    };
    let Some(close_rel) = pattern[open..].find('}') else {
        return Err(format!("`{pattern}` has `{{` without a closing `}}`"));
    };
    let close = open + close_rel;
    let spec = &pattern[open + 1..close];
    let rest = &pattern[close + 1..];
    if rest.contains('{') || rest.contains('}') {
        return Err(format!("`{pattern}` has more than one placeholder"));
    }
    let num = match spec {
        "" => n.to_string(),
        s if s.starts_with(':') => {
            let w = &s[1..];
            let (zero, digits) = match w.strip_prefix('0') {
                Some(d) => (true, d),
                None => (false, w),
            };
            let width: usize = digits.parse().map_err(|_| {
                format!("bad placeholder `{{{spec}}}` in `{pattern}`; use {{}}, {{:02}} or {{:3}}")
            })?;
            if width > 12 {
                return Err(format!("placeholder width {width} is too wide"));
            }
            if zero {
                format!("{n:0width$}")
            } else {
                format!("{n:width$}")
            }
        }
        _ => {
            return Err(format!(
                "bad placeholder `{{{spec}}}` in `{pattern}`; use {{}}, {{:02}} or {{:3}}"
            ))
        }
    };
    Ok(format!("{}{}{}", &pattern[..open], num, rest))
}

/// Deterministic addresses for log lines: 10.0.x.y, 250 nodes per /24.
fn ip_for(id: NodeId) -> String {
    let block = id / 250;
    format!("10.{}.{}.{}", block / 256, block % 256, id % 250 + 1)
}

/// Resolves one file: the cluster so far, and what targets may still cost.
pub struct Resolver<'a, 'c> {
    ctx: &'a Ctx<'c>,
    seed: u64,
    duration: Nanos,
    /// Next `StreamId::Scenario` tag for a random selection (file order).
    next_tag: u32,
    /// Node ids that targets may still expand to ([`Limits::max_target_nodes`]).
    target_budget: u64,
    limit_target_nodes: u64,
    nodes: Vec<NodeSpec>,
    by_name: BTreeMap<String, NodeId>,
    groups: BTreeMap<String, Vec<NodeId>>,
    /// Zones in first-use order (declared zones first).
    zones: Vec<String>,
}

impl Resolver<'_, '_> {
    /// An error at the field `path` (located in the file, or the flag).
    pub(crate) fn err(&self, path: &str, msg: impl Into<String>) -> ScenarioError {
        self.ctx.err(path, msg)
    }

    /// The run's duration, warm-up included.
    pub(crate) fn duration(&self) -> Nanos {
        self.duration
    }

    /// The name of node `id`.
    pub(crate) fn node_name(&self, id: NodeId) -> &str {
        &self.nodes[id as usize].name
    }

    // ------------------------------------------------------------------ cluster

    fn build_cluster(&mut self, cluster: Option<&ClusterRaw>, limits: &Limits) -> R<()> {
        let Some(c) = cluster else {
            return Err(self.err(
                "cluster",
                "missing: define nodes, e.g. cluster: {groups: {agents: {count: 5, name: \"a-{:02}\"}}}",
            ));
        };
        let declared = c.zones.clone();
        if let Some(z) = &declared {
            for (i, zone) in z.iter().enumerate() {
                check_ident(zone).map_err(|m| self.err(&format!("cluster.zones[{i}]"), m))?;
                if z[..i].contains(zone) {
                    return Err(self.err(
                        &format!("cluster.zones[{i}]"),
                        format!("zone `{zone}` is listed twice"),
                    ));
                }
            }
            if z.is_empty() {
                return Err(self.err("cluster.zones", "empty list; omit it or name the zones"));
            }
            self.zones = z.clone();
        }
        let default_zone = declared
            .as_ref()
            .and_then(|z| z.first().cloned())
            .unwrap_or_else(|| "default".to_string());
        let default_meta = c.meta_bytes.unwrap_or(DEFAULT_META_BYTES);
        if default_meta > MAX_META_BYTES {
            return Err(self.err(
                "cluster.meta_bytes",
                format!(
                    "{default_meta} bytes is over memberlist's MetaMaxSize of {MAX_META_BYTES}"
                ),
            ));
        }
        let groups = c.groups.as_ref().map(|g| g.0.as_slice()).unwrap_or(&[]);
        let singles = c.nodes.as_ref().map(|n| n.0.as_slice()).unwrap_or(&[]);

        for (gname, g) in groups {
            if g.count == 0 {
                return Err(self.err(
                    &format!("cluster.groups.{gname}.count"),
                    "must be at least 1 (remove the group instead)",
                ));
            }
        }
        // Count first, so a huge count fails before anything is allocated.
        let total: u64 =
            groups.iter().map(|(_, g)| u64::from(g.count)).sum::<u64>() + singles.len() as u64;
        if total == 0 {
            return Err(self.err(
                "cluster",
                "the cluster has no nodes; add groups (with count > 0) or nodes",
            ));
        }
        if total > limits.max_nodes as u64 {
            return Err(self.err(
                "cluster",
                format!(
                    "{total} nodes is more than the limit of {} (raise it with `--limit nodes=…`)",
                    limits.max_nodes
                ),
            ));
        }

        for (gname, g) in groups {
            let gp = format!("cluster.groups.{gname}");
            check_ident(gname).map_err(|m| self.err(&gp, format!("group name {m}")))?;
            if g.count == 0 {
                return Err(self.err(
                    &format!("{gp}.count"),
                    "must be at least 1 (remove the group instead)",
                ));
            }
            if g.count > 1 && !g.name.contains('{') {
                return Err(self.err(
                    &format!("{gp}.name"),
                    format!(
                        "`{}` has no placeholder, so all {} nodes would share one name; write e.g. `{}-{{:02}}`",
                        g.name, g.count, g.name
                    ),
                ));
            }
            let zones: Vec<String> = match (&g.zone, &g.zones) {
                (Some(_), Some(_)) => {
                    return Err(self.err(
                        &format!("{gp}.zones"),
                        "give either `zone` (one zone) or `zones` (round-robin), not both",
                    ))
                }
                (Some(z), None) => vec![z.clone()],
                (None, Some(zs)) if zs.is_empty() => {
                    return Err(self.err(&format!("{gp}.zones"), "empty list of zones"))
                }
                (None, Some(zs)) => zs.clone(),
                (None, None) => vec![default_zone.clone()],
            };
            for (i, z) in zones.iter().enumerate() {
                let zp = if g.zone.is_some() {
                    format!("{gp}.zone")
                } else {
                    format!("{gp}.zones[{i}]")
                };
                self.use_zone(z, &zp, declared.as_deref())?;
            }
            let meta = g.meta_bytes.unwrap_or(default_meta);
            if meta > MAX_META_BYTES {
                return Err(self.err(
                    &format!("{gp}.meta_bytes"),
                    format!("{meta} bytes is over memberlist's MetaMaxSize of {MAX_META_BYTES}"),
                ));
            }
            let first = g.first.unwrap_or(1);
            let mut members = Vec::with_capacity(g.count as usize);
            for k in 0..g.count {
                let n = first
                    .checked_add(k)
                    .ok_or_else(|| self.err(&format!("{gp}.first"), "node numbers overflow"))?;
                let name = expand(&g.name, n).map_err(|m| self.err(&format!("{gp}.name"), m))?;
                let zone = zones[k as usize % zones.len()].clone();
                let id = self.add_node(
                    name,
                    zone,
                    meta,
                    g.starts.unwrap_or(true),
                    &format!("{gp}.name"),
                )?;
                members.push(id);
            }
            self.add_group(gname, members, &gp)?;
        }

        for (nname, n) in singles {
            let np = format!("cluster.nodes.{nname}");
            let n = n.clone().unwrap_or_default();
            let zone = n.zone.clone().unwrap_or_else(|| default_zone.clone());
            self.use_zone(&zone, &format!("{np}.zone"), declared.as_deref())?;
            let meta = n.meta_bytes.unwrap_or(default_meta);
            if meta > MAX_META_BYTES {
                return Err(self.err(
                    &format!("{np}.meta_bytes"),
                    format!("{meta} bytes is over memberlist's MetaMaxSize of {MAX_META_BYTES}"),
                ));
            }
            let id = self.add_node(nname.clone(), zone, meta, n.starts.unwrap_or(true), &np)?;
            for (i, gname) in n.groups.iter().flatten().enumerate() {
                let gp = format!("{np}.groups[{i}]");
                check_ident(gname).map_err(|m| self.err(&gp, format!("group name {m}")))?;
                if self.by_name.contains_key(gname) {
                    return Err(self.err(
                        &gp,
                        format!("`{gname}` is a node name; groups and nodes share one namespace"),
                    ));
                }
                let members = self.groups.entry(gname.clone()).or_default();
                members.push(id);
                members.sort_unstable();
                members.dedup();
                self.nodes[id as usize].groups.push(gname.clone());
            }
        }
        for n in &mut self.nodes {
            n.groups.sort();
            n.groups.dedup();
        }
        Ok(())
    }

    fn use_zone(&mut self, zone: &str, path: &str, declared: Option<&[String]>) -> R<()> {
        check_ident(zone).map_err(|m| self.err(path, format!("zone name {m}")))?;
        if let Some(d) = declared {
            if !d.iter().any(|z| z == zone) {
                return Err(self.err(
                    path,
                    format!(
                        "unknown zone `{zone}`; cluster.zones declares: {}",
                        d.join(", ")
                    ),
                ));
            }
        }
        if !self.zones.iter().any(|z| z == zone) {
            self.zones.push(zone.to_string());
        }
        Ok(())
    }

    fn add_node(
        &mut self,
        name: String,
        zone: String,
        meta: u32,
        starts: bool,
        path: &str,
    ) -> R<NodeId> {
        check_ident(&name).map_err(|m| self.err(path, format!("node name {m}")))?;
        if self.by_name.contains_key(&name) {
            return Err(self.err(path, format!("duplicate node name `{name}`")));
        }
        if self.groups.contains_key(&name) {
            return Err(self.err(
                path,
                format!("`{name}` is already a group name; groups and nodes share one namespace"),
            ));
        }
        let id = self.nodes.len() as NodeId;
        self.by_name.insert(name.clone(), id);
        self.nodes.push(NodeSpec {
            name,
            zone,
            groups: Vec::new(),
            ip: ip_for(id),
            meta_len: meta as u16,
            starts,
        });
        Ok(id)
    }

    fn add_group(&mut self, gname: &str, members: Vec<NodeId>, path: &str) -> R<()> {
        if self.by_name.contains_key(gname) {
            return Err(self.err(
                path,
                format!("group `{gname}` has the same name as a node; groups and nodes share one namespace"),
            ));
        }
        for &id in &members {
            self.nodes[id as usize].groups.push(gname.to_string());
        }
        self.groups.insert(gname.to_string(), members);
        Ok(())
    }

    // ------------------------------------------------------------------ targets

    fn lookup(&self, name: &str, path: &str) -> R<Vec<NodeId>> {
        if name == "all" {
            return Ok((0..self.nodes.len() as NodeId).collect());
        }
        if let Some(zone) = name.strip_prefix("zone:") {
            let zone = zone.trim();
            if !self.zones.iter().any(|z| z == zone) {
                return Err(self.err(
                    path,
                    format!("unknown zone `{zone}`; zones: {}", self.zones.join(", ")),
                ));
            }
            return Ok(self
                .nodes
                .iter()
                .enumerate()
                .filter(|(_, n)| n.zone == zone)
                .map(|(i, _)| i as NodeId)
                .collect());
        }
        if let Some(&id) = self.by_name.get(name) {
            return Ok(vec![id]);
        }
        if let Some(g) = self.groups.get(name) {
            return Ok(g.clone());
        }
        let groups: Vec<&str> = self.groups.keys().map(String::as_str).collect();
        let example = self.nodes.first().map_or("", |n| n.name.as_str());
        Err(self.err(
            path,
            format!(
                "unknown node or group `{name}`; groups: {}; nodes are named like `{example}`; also `all` and `zone:NAME`",
                if groups.is_empty() { "(none)".to_string() } else { groups.join(", ") }
            ),
        ))
    }

    fn names(&mut self, names: &[String], path: &str) -> R<Vec<NodeId>> {
        if names.is_empty() {
            return Err(self.err(path, "empty list: name at least one node or group"));
        }
        let mut out = Vec::new();
        for (i, n) in names.iter().enumerate() {
            let p = if names.len() == 1 {
                path.to_string()
            } else {
                format!("{path}[{i}]")
            };
            let found = self.lookup(n, &p)?;
            self.spend_targets(found.len(), &p)?;
            out.extend(found);
        }
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }

    /// Charge `n` node ids against [`Limits::max_target_nodes`]: every target
    /// is kept as its own list, so thousands of `{from: all, to: all}` rules
    /// over a big cluster must fail here, not exhaust memory.
    fn spend_targets(&mut self, n: usize, path: &str) -> R<()> {
        self.target_budget = self.target_budget.checked_sub(n as u64).ok_or_else(|| {
            self.err(
                path,
                format!(
                    "the targets of this file name more than {} node ids in total, the limit (each rule, fault and action keeps its own list; use fewer or smaller targets, or raise it with `--limit target_nodes=…`)",
                    self.limit_target_nodes
                ),
            )
        })?;
        Ok(())
    }

    /// A target (node, group, zone, `all`, list or selection) → sorted ids.
    pub(crate) fn target(&mut self, t: &TargetRaw, path: &str) -> R<Vec<NodeId>> {
        match t {
            TargetRaw::Names(n) => self.names(n, path),
            TargetRaw::Select(s) => {
                let base = match &s.of {
                    Some(of) => self.names(&of.0, &format!("{path}.of"))?,
                    None => (0..self.nodes.len() as NodeId).collect(),
                };
                let except: BTreeSet<NodeId> = match &s.except {
                    Some(ex) => self
                        .names(&ex.0, &format!("{path}.except"))?
                        .into_iter()
                        .collect(),
                    None => BTreeSet::new(),
                };
                let mut left: Vec<NodeId> =
                    base.into_iter().filter(|id| !except.contains(id)).collect();
                self.spend_targets(left.len(), path)?;
                if left.is_empty() {
                    return Err(self.err(path, "selects no nodes (everything is excepted)"));
                }
                if let Some(Prob(f)) = s.fraction {
                    if f <= 0.0 {
                        return Err(self.err(
                            &format!("{path}.fraction"),
                            format!("{f} selects nothing; fraction must be in (0, 1]"),
                        ));
                    }
                    let k = ((f * left.len() as f64).round() as usize).clamp(1, left.len());
                    let mut stream = Stream::new(self.seed, StreamId::Scenario(self.next_tag));
                    self.next_tag += 1;
                    stream.shuffle(&mut left);
                    left.truncate(k);
                    left.sort_unstable();
                }
                Ok(left)
            }
        }
    }

    // ------------------------------------------------------------------ start

    fn start(&mut self, s: Option<&StartRaw>) -> R<StartMode> {
        let Some(s) = s else {
            return Ok(StartMode::Converged);
        };
        match s.mode {
            StartModeRaw::Converged => {
                if s.seeds.is_some() {
                    return Err(self.err("start", "seeds only apply to `mode: join`"));
                }
                Ok(match s.stagger {
                    Some(d) => StartMode::ConvergedStaggered { stagger: d.0 },
                    None => StartMode::Converged,
                })
            }
            StartModeRaw::Join => {
                let Some(seeds) = &s.seeds else {
                    return Err(self.err(
                        "start",
                        "join needs seed nodes: start: {mode: join, seeds: [s-01], stagger: 100ms}",
                    ));
                };
                let ids = self.names(&seeds.0, "start.seeds")?;
                for &id in &ids {
                    if !self.nodes[id as usize].starts {
                        return Err(self.err(
                            "start.seeds",
                            format!(
                                "seed `{}` has starts: false, so nobody could join through it",
                                self.nodes[id as usize].name
                            ),
                        ));
                    }
                }
                Ok(StartMode::Join {
                    seeds: ids,
                    stagger: s.stagger.map_or(0, |d| d.0),
                })
            }
        }
    }

    // ------------------------------------------------------------------ network

    fn network(&mut self, n: Option<&NetworkRaw>, limits: &Limits) -> R<NetworkSpec> {
        let base = LinkSpec {
            latency: Dist::Fixed(DEFAULT_LATENCY),
            spike: None,
            loss: 0.0,
            duplicate: 0.0,
            tcp_refused: false,
        };
        let Some(n) = n else {
            return Ok(NetworkSpec {
                default: base,
                intra_zone: None,
                cross_zone: None,
                rules: Vec::new(),
                bandwidth_bytes_per_s: None,
            });
        };
        let default = merge_link(n.default.as_ref(), &base);
        let intra_zone = n.intra_zone.as_ref().map(|l| merge_link(Some(l), &default));
        let cross_zone = n.cross_zone.as_ref().map(|l| merge_link(Some(l), &default));
        let raw_rules = n.rules.as_deref().unwrap_or(&[]);
        if raw_rules.len() > limits.max_entries {
            return Err(self.err(
                "network.rules",
                format!(
                    "{} rules is more than the limit of {} (raise it with `--limit entries=…`)",
                    raw_rules.len(),
                    limits.max_entries
                ),
            ));
        }
        let mut rules = Vec::with_capacity(raw_rules.len());
        for (i, r) in raw_rules.iter().enumerate() {
            let p = format!("network.rules[{i}]");
            if r.latency.is_none() && r.spike.is_none() && r.loss.is_none() && r.duplicate.is_none()
            {
                return Err(self.err(
                    &p,
                    "this rule changes nothing; set latency, spike, loss or duplicate",
                ));
            }
            let from = self.target(&r.from, &format!("{p}.from"))?;
            let to = self.target(&r.to, &format!("{p}.to"))?;
            rules.push(LinkRule {
                from,
                to,
                both_ways: r.both_ways.unwrap_or(false),
                latency: r.latency.as_ref().map(|d| d.0.clone()),
                spike: r.spike.as_ref().map(spike),
                loss: r.loss.map(|p| p.0),
                duplicate: r.duplicate.map(|p| p.0),
            });
        }
        if n.bandwidth_bytes_per_s == Some(0) {
            return Err(self.err(
                "network.bandwidth_bytes_per_s",
                "must be > 0 (omit it for unlimited bandwidth)",
            ));
        }
        Ok(NetworkSpec {
            default,
            intra_zone,
            cross_zone,
            rules,
            bandwidth_bytes_per_s: n.bandwidth_bytes_per_s,
        })
    }

    // ------------------------------------------------------------------ host

    fn host(&self, h: Option<&HostRaw>) -> R<HostDefaults> {
        let d = HostDefaults::default();
        let Some(h) = h else { return Ok(d) };
        if h.recv_buffer_bytes == Some(0) {
            return Err(self.err(
                "host.recv_buffer_bytes",
                "must be > 0: it holds the packets that arrive while the host is parked",
            ));
        }
        Ok(HostDefaults {
            packet_cost: h.packet_cost.map_or(d.packet_cost, |v| v.0),
            per_part_cost: h.per_part_cost.map_or(d.per_part_cost, |v| v.0),
            push_pull_entry_cost: h
                .push_pull_entry_cost
                .map_or(d.push_pull_entry_cost, |v| v.0),
            timer_cost: h.timer_cost.map_or(d.timer_cost, |v| v.0),
            ticker_jitter: h
                .ticker_jitter
                .as_ref()
                .map_or(d.ticker_jitter, |v| v.0.clone()),
            recv_buffer_bytes: h.recv_buffer_bytes.unwrap_or(d.recv_buffer_bytes),
        })
    }
}

/// A duration for messages, in the units a reader would write: `1h1m`, `1.5s`.
pub(crate) fn fd(ns: Nanos) -> String {
    const PARTS: [(Nanos, &str); 3] = [
        (3_600_000_000_000, "h"),
        (60_000_000_000, "m"),
        (1_000_000_000, "s"),
    ];
    if ns < 1_000_000_000 || !ns.is_multiple_of(1_000_000_000) {
        return crate::units::format_duration(ns);
    }
    let mut rest = ns;
    let mut out = String::new();
    for (scale, unit) in PARTS {
        if rest >= scale {
            out.push_str(&format!("{}{unit}", rest / scale));
            rest %= scale;
        }
    }
    out
}

fn merge_link(raw: Option<&LinkRaw>, base: &LinkSpec) -> LinkSpec {
    let Some(r) = raw else { return base.clone() };
    LinkSpec {
        latency: r
            .latency
            .as_ref()
            .map_or_else(|| base.latency.clone(), |d| d.0.clone()),
        spike: r.spike.as_ref().map(spike).or_else(|| base.spike.clone()),
        loss: r.loss.map_or(base.loss, |p| p.0),
        duplicate: r.duplicate.map_or(base.duplicate, |p| p.0),
        tcp_refused: r.tcp_refused.unwrap_or(base.tcp_refused),
    }
}

fn spike(s: &SpikeRaw) -> Spike {
    Spike {
        probability: s.probability.0,
        extra: s.extra.0.clone(),
    }
}

/// A central value of a distribution (its fixed value, mean or median), to
/// refuse distributions whose draws are mostly below the time granularity.
pub(crate) fn typical(d: &Dist) -> Nanos {
    match *d {
        Dist::Fixed(v) => v,
        Dist::Uniform { lo, hi } => lo / 2 + hi / 2,
        Dist::Normal { mean, .. } => mean,
        Dist::LogNormal { mu, .. } => {
            let ns = crate::random::exp(mu) * 1e9;
            if ns >= u64::MAX as f64 {
                u64::MAX
            } else {
                ns as Nanos
            }
        }
        Dist::Exponential { mean, min } => mean.saturating_add(min),
    }
}

pub(crate) fn always_zero(d: &Dist) -> bool {
    match *d {
        Dist::Fixed(v) => v == 0,
        Dist::Uniform { hi, .. } => hi == 0,
        Dist::Normal { mean, sd } => mean == 0 && sd == 0,
        Dist::LogNormal { .. } => false,
        Dist::Exponential { .. } => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_patterns_expand_like_format() {
        assert_eq!(expand("a-{:02}", 7).unwrap(), "a-07");
        assert_eq!(expand("s{}", 12).unwrap(), "s12");
        assert_eq!(expand("n-{:3}", 5).unwrap(), "n-  5");
        assert_eq!(expand("solo", 1).unwrap(), "solo");
        assert!(expand("a-{x}", 1).is_err());
        assert!(expand("a-{}-{}", 1).is_err());
        assert!(expand("a-{", 1).is_err());
    }

    #[test]
    fn durations_in_messages_read_naturally() {
        assert_eq!(fd(61 * 60_000_000_000), "1h1m");
        assert_eq!(fd(1_500_000_000), "1.5s");
        assert_eq!(fd(0), "0s");
    }

    #[test]
    fn ips_are_dense_and_valid() {
        assert_eq!(ip_for(0), "10.0.0.1");
        assert_eq!(ip_for(249), "10.0.0.250");
        assert_eq!(ip_for(250), "10.0.1.1");
        assert_eq!(ip_for(19_999), "10.0.79.250");
    }
}
