//! From the file as written ([`FileRaw`]) to the resolved [`Scenario`]: names to
//! ids, targets to node lists, windows checked against the run, faults checked
//! against each other.
//!
//! Every check here that can fail reports through [`Ctx::err`] with the field
//! path, so the error points at the line to fix. Nothing iterates a hash map, so
//! the resolved scenario is a pure function of the text, the seed and the flags.

use std::collections::BTreeMap;

use super::error::ScenarioError;
use super::fault::entries;
use super::locate::locate;
use super::model::*;
use super::origins;
use super::raw::*;
use crate::protocol::{Nanos, NodeId};
use crate::quote::short;
use crate::random::Dist;

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
    /// Memory the machine has available, in bytes, when known (the command
    /// line reads it): a cluster whose members' views of each other alone
    /// would not fit ([`VIEW_BYTES_PER_PAIR`]) is refused before anything is
    /// allocated. Why: `--limit nodes` raises the count, and past what the
    /// machine holds a run was killed by the kernel, or aborted, instead of
    /// saying so. `None` (the default, and off Linux): not checked.
    pub available_memory: Option<u64>,
}

/// Bytes each ordered pair of nodes costs from the start: a member view
/// (8), the probe order's entry (4) and Serf's status (1). A 1,000-node
/// cluster holds 13 MB of them; 10,000 nodes 1.3 GB, 100,000 nodes 130 GB.
pub const VIEW_BYTES_PER_PAIR: u64 = 13;

/// Bytes the views of a cluster of `nodes` take ([`VIEW_BYTES_PER_PAIR`]).
pub fn views_bytes(nodes: u64) -> u64 {
    nodes
        .saturating_mul(nodes)
        .saturating_mul(VIEW_BYTES_PER_PAIR)
}

/// Refuse a cluster of `nodes` whose views of each other alone need more
/// memory than the machine has available ([`Limits::available_memory`]).
pub fn views_fit(nodes: u64, limits: &Limits) -> Result<(), String> {
    let views = views_bytes(nodes);
    match limits.available_memory {
        Some(available) if views > available => Err(format!(
            "{nodes} nodes need at least {} for their views of each other ({VIEW_BYTES_PER_PAIR} bytes per pair of nodes), more than the {} this machine has available",
            human_bytes(views),
            human_bytes(available)
        )),
        _ => Ok(()),
    }
}

/// How many runs of `nodes` nodes fit in memory side by side, by their views
/// ([`VIEW_BYTES_PER_PAIR`]) against [`Limits::available_memory`]: at least
/// one (a run that cannot fit alone is refused by [`views_fit`]), `None` when
/// the memory is unknown. Batch commands run no more than this at once.
pub fn runs_that_fit(nodes: u64, limits: &Limits) -> Option<usize> {
    let views = views_bytes(nodes).max(1);
    let available = limits.available_memory?;
    Some(
        usize::try_from(available / views)
            .unwrap_or(usize::MAX)
            .max(1),
    )
}

/// `bytes` for a message: in GB with one decimal, or MB, or bytes.
pub fn human_bytes(bytes: u64) -> String {
    match bytes {
        0..1_000_000 => format!("{bytes} bytes"),
        1_000_000..1_000_000_000 => format!("{:.1} MB", bytes as f64 / 1e6),
        _ => format!("{:.1} GB", bytes as f64 / 1e9),
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 1 << 20,
            // Every node ends up holding every other (n² member entries, 13 bytes
            // each with the probe order and Serf's status): 10,000 nodes peak
            // near 1.4 GB, 20,000 would need ~5.5 GB.
            max_nodes: 10_000,
            max_duration: 30 * 86_400 * 1_000_000_000,
            max_entries: 100_000,
            max_depth: 64,
            max_events: 1_000_000_000,
            max_timeseries_cells: 10_000_000,
            max_target_nodes: 10_000_000,
            available_memory: None,
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
    source: Option<SourceFile>,
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
    // The seed reaches resolution only through `fraction:` targets, and the
    // protocol flags only through `origins::protocol`: `batch::space` relies
    // on both to check a sweep's points without resolving each in full.
    let seed = raw.seed.unwrap_or(1);

    let (duration, warmup, timeseries_bin) = run_length(&raw, ctx, limits)?;
    let (preset, protocol, overrides) = origins::protocol(raw.protocol.clone(), ctx, flags)?;

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
        zones: BTreeMap::new(),
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

/// `duration` and `warmup` as [`run_length`] checks them (for
/// [`super::run_windows`]).
pub(crate) fn run_window(raw: &FileRaw, ctx: &Ctx, limits: &Limits) -> R<(Nanos, Nanos)> {
    let (duration, warmup, _) = run_length(raw, ctx, limits)?;
    Ok((duration, warmup))
}

/// `duration`, `warmup` and `timeseries_bin`, checked against each other and
/// the limits.
fn run_length(raw: &FileRaw, ctx: &Ctx, limits: &Limits) -> R<(Nanos, Nanos, Nanos)> {
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
    if !warmup.is_multiple_of(timeseries_bin) {
        // A bin across the end of warm-up would hold both warm-up and measured
        // counts: `timeseries.csv` could call it neither, and its measured
        // rows would no longer add up to the summary's totals.
        let (below, above) = (
            warmup / timeseries_bin * timeseries_bin,
            (warmup / timeseries_bin + 1) * timeseries_bin,
        );
        let mut fix = format!("warmup: {}", fd(above));
        if below > 0 {
            fix = format!("warmup: {} or {fix}", fd(below));
        }
        return Err(ctx.err(
            "warmup",
            format!(
                "warm-up {} is not a whole number of timeseries_bin {}: the bin across its end would mix warm-up and measured counts in timeseries.csv; use {fix}, or a bin that divides it",
                fd(warmup),
                fd(timeseries_bin)
            ),
        ));
    }
    Ok((duration, warmup, timeseries_bin))
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
/// At most this many names in an error message's list; the rest are counted.
const NAMES_LISTED: usize = 20;

/// `a, b, c` for an error message, cut after [`NAMES_LISTED`] names with how
/// many more there are (`total`): a file may name 100,000 zones or partitions,
/// and a message that lists them all is a megabyte nobody reads.
pub(crate) fn some_names<S: AsRef<str>>(names: impl Iterator<Item = S>, total: usize) -> String {
    let shown: Vec<String> = names
        .take(NAMES_LISTED)
        .map(|n| short(n.as_ref()).to_string())
        .collect();
    if shown.is_empty() {
        return "(none)".into();
    }
    match total.saturating_sub(shown.len()) {
        0 => shown.join(", "),
        more => format!("{}, … ({more} more)", shown.join(", ")),
    }
}

/// The longest name a scenario gives (scenario, node, zone, group, partition
/// and hold names). Charts and reports quote names, so `flapsim chart`
/// bounds the labels it draws by it.
pub const MAX_IDENT_BYTES: usize = 128;

pub(crate) fn check_ident(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err("must not be empty".into());
    }
    if s.chars().all(|c| c == '.') {
        return Err(format!(
            "`{}` is made only of dots, which names a directory outside the output folder; use letters or digits",
            short(s)
        ));
    }
    if s.len() > MAX_IDENT_BYTES {
        return Err(format!(
            "`{}` is longer than {MAX_IDENT_BYTES} characters",
            short(s)
        ));
    }
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "._-".contains(*c)))
    {
        return Err(format!(
            "`{}` contains `{c}`; use letters, digits, `.`, `_` and `-` only",
            short(s)
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

/// Resolves one file: the cluster so far, and what targets may still cost.
pub struct Resolver<'a, 'c> {
    pub(super) ctx: &'a Ctx<'c>,
    pub(super) seed: u64,
    pub(super) duration: Nanos,
    /// Next `StreamId::Scenario` tag for a random selection (file order).
    pub(super) next_tag: u32,
    /// Node ids that targets may still expand to ([`Limits::max_target_nodes`]).
    pub(super) target_budget: u64,
    pub(super) limit_target_nodes: u64,
    pub(super) nodes: Vec<NodeSpec>,
    pub(super) by_name: BTreeMap<String, NodeId>,
    pub(super) groups: BTreeMap<String, Vec<NodeId>>,
    /// Every zone (declared or used) and the nodes in it, in id order: a map,
    /// because groups, nodes and `zone:` targets look zones up by name, and a
    /// 1 MiB file can name 140,000 of them (a list made that quadratic).
    pub(super) zones: BTreeMap<String, Vec<NodeId>>,
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
                Ok(match (s.stagger, s.uptime) {
                    (Some(d), uptime) => StartMode::ConvergedStaggered {
                        stagger: d.0,
                        uptime: uptime.map_or(0, |u| u.0),
                    },
                    (None, Some(_)) => {
                        return Err(self.err(
                            "start.uptime",
                            "uptime applies to processes created together: \
                             start: {mode: converged, stagger: 1ms, uptime: 11s}",
                        ))
                    }
                    (None, None) => StartMode::Converged,
                })
            }
            StartModeRaw::Join => {
                if s.uptime.is_some() {
                    return Err(self.err(
                        "start.uptime",
                        "uptime only applies to `mode: converged` (a joining node starts afresh)",
                    ));
                }
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
            other_core_idle: h.other_core_idle.map_or(d.other_core_idle, |p| p.0),
            recv_buffer_bytes: h.recv_buffer_bytes.unwrap_or(d.recv_buffer_bytes),
        })
    }
}

/// A duration for messages, in the units a reader would write: `1h1m`, `1.5s`.
pub(crate) use crate::units::format_duration as fd;

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
    fn durations_in_messages_read_naturally() {
        assert_eq!(fd(61 * 60_000_000_000), "1h1m");
        assert_eq!(fd(1_500_000_000), "1.5s");
        assert_eq!(fd(0), "0s");
    }
}
