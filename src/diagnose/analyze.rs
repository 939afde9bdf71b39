//! From log lines to [`Metrics`]: merge every input by time, turn each understood
//! line into the protocol [`Event`] it stands for, and feed the run's own
//! [`Collector`], so the blame table, Serf's flap rule, rejoin times, refutation
//! and suspicion-timer counts are computed by the very code that computes them for
//! `flapsim run` (a log line's event carries what the line says; fields a line does
//! not carry, such as incarnations, are 0 and unused by those counts).
//!
//! What a log cannot tell, and how it is handled:
//! - Ground truth (was the node up, was it faulty) is unknown: no false-positive
//!   or "healthy" split is made; `flaps` counts every Serf flap.
//! - The warm-up is not in a log: lines before `--since` are read to set up
//!   state (a failure before it that rejoins after it is a flap, as in a run's
//!   warm-up), but only lines from `--since` on are counted. Without `--since`
//!   the measured window starts at the first line (the collector's warm-up is
//!   the span from the origin, the first line's hour, to it), so rates are per
//!   hour of log, not per hour since the top of the hour.
//! - A process restart is seen as the node's `EventMemberJoin` about itself (Serf
//!   logs it when it starts): the node's pending failures are forgotten, as the
//!   run forgets a restarted process's view (fed to the collector as a leave and
//!   an up of that node; no crash is invented).
//! - Timestamps have the log's precision (1 s for Go's log) and are truncated to
//!   it: a failed → join interval printed as FlapTimeout up to one step over it
//!   may have been a flap; it is not counted as one, but reported
//!   (`flaps_ambiguous`: the true count is `flaps` to `flaps + flaps_ambiguous`).
//!   Rejoin times carry the same precision.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap};
use std::path::Path;

use crate::engine::{Observer, Truth};
use crate::metrics::{Collector, Metrics};
use crate::protocol::event::RefuteKind;
use crate::protocol::{Event, Nanos, NodeId, SEC};
use crate::scenario::Scenario;

use super::frame::{frame_at, Frame, Framing};
use super::input::{LineReader, ReadError, ReadShare, Source};
use super::message::{understand, Understood};
use super::time::UnixNs;
use super::wan::{banner_datacenter, Product, Program, WanSeen};
use super::zones;

/// How long before `--since` lines are read to set up state: a day, or
/// FlapTimeout if longer. Earlier lines are skipped: a flap (failure and join
/// within FlapTimeout) or an episode (failures under 10 s apart) cannot reach
/// back that far, and a line stamped by a clock not yet set (a boot before
/// NTP, `2000-01-01`) must not set the origin and fail the span check.
pub fn lookback(opt: &Options) -> UnixNs {
    (24 * 3600 * SEC).max(opt.flap_timeout) as UnixNs
}

/// Time-series bin of the diagnosis (flaps per minute).
pub const BIN: Nanos = 60 * SEC;
/// Longest span of log lines read (bins are kept per minute).
pub const MAX_SPAN: Nanos = 400 * 24 * 3600 * SEC;
/// Oracle-style episode chaining: one subject's failures at most this far apart.
pub const EPISODE_GAP: Nanos = 10 * SEC;
/// A line of one node stamped more than this before a line of another node
/// above it in the same file: the file holds its nodes' logs one after the
/// other (`kubectl logs -l … --prefix` prints pod after pod unless following),
/// not interleaved by time, and is read once per node. Smaller steps back
/// (nodes' clocks a little apart, lines written a little late) are read at
/// the earlier line's time.
pub const UNSORTED_MARGIN: Nanos = 30 * SEC;
/// Most nodes one file is read for separately (one open reader each).
pub const MAX_READ_PER_NODE: usize = 256;
/// Skew matching: one Serf member event (kind, subject) seen by several observers
/// within this window is taken as one cluster event.
pub const SKEW_WINDOW: Nanos = 30 * SEC;

/// How the diagnosis reads its inputs.
#[derive(Clone, Debug)]
pub struct Options {
    /// Seconds east of UTC for zone-less timestamps (Go's log).
    pub zone: i64,
    /// `--log-zone FILE=ZONE`: (a file given or a directory holding files,
    /// seconds east of UTC) for that file's zone-less timestamps.
    pub file_zones: Vec<(String, i64)>,
    pub since: Option<UnixNs>,
    pub until: Option<UnixNs>,
    /// `--observer [FILE=]NAME`: (file label or None for "the only input", name).
    pub observers: Vec<(Option<String>, String)>,
    /// Serf FlapTimeout (60 s in every Serf version).
    pub flap_timeout: Nanos,
    /// Distinct node names at most (memory grows with its square / 64).
    pub max_nodes: usize,
    /// How many times its compressed size a gzip file may decode to
    /// (`--max-gzip-ratio`; [`super::input::GzipGuard`]).
    pub max_gzip_ratio: u64,
}

/// Where a file's observer came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObserverFrom {
    /// `node: ` prefixes on the lines.
    Prefix,
    Flag,
    FileName,
    /// The node's directory (`logs/a-01/consul.log`).
    Directory,
    /// The agent's start-up banner in the file: `Node name: 'a-01'`.
    Banner,
    /// A file named after its program whose own lines name its node further
    /// in: a banner of a restart, or memberlist's `Refuting an alive message
    /// for 'a-01'`.
    OwnLines,
    None,
}

impl ObserverFrom {
    pub fn as_str(self) -> &'static str {
        match self {
            ObserverFrom::Prefix => "line prefix",
            ObserverFrom::Flag => "--observer",
            ObserverFrom::FileName => "file name",
            ObserverFrom::Directory => "directory name",
            ObserverFrom::Banner => "start-up banner",
            ObserverFrom::OwnLines => "its own lines",
            ObserverFrom::None => "none",
        }
    }
}

/// Where the zone of a file's zone-less stamps came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ZoneFrom {
    /// `--log-zone ZONE` (or its default, UTC).
    Global,
    /// `--log-zone FILE=ZONE`.
    File,
    /// Found from the Serf events it shares with the other files ([`zones`]).
    Found,
}

impl ZoneFrom {
    pub fn as_str(self) -> &'static str {
        match self {
            ZoneFrom::Global => "--log-zone",
            ZoneFrom::File => "--log-zone FILE=ZONE",
            ZoneFrom::Found => "found from shared Serf events",
        }
    }
}

/// What was read from one input.
#[derive(Clone, Debug, Default)]
pub struct FileReport {
    pub label: String,
    pub gzip: bool,
    pub framings: BTreeSet<Framing>,
    /// The file's own observer (flag or file name), if any.
    pub observer: Option<String>,
    pub observer_from: Option<ObserverFrom>,
    /// Distinct observers named by line prefixes (capped in the report).
    pub prefixed_observers: BTreeSet<String>,
    /// Understood lines attributed to the file's own observer (no prefix).
    pub unprefixed: u64,
    pub lines: u64,
    /// Lines recognised as an event kind's log line.
    pub understood: u64,
    /// Framed lines (timestamp and level) whose message is not one we read.
    pub unknown: u64,
    /// Lines with no known framing (banners, cut lines, continuation lines).
    pub unframed: u64,
    pub bad_timestamps: u64,
    /// First bad timestamp: line number and reason.
    pub first_bad_timestamp: Option<(u64, String)>,
    /// Lines longer than the line limit (read up to it).
    pub cut: u64,
    /// Lines stamped earlier than an earlier line of the same file (read at that
    /// earlier time, so time never runs backwards).
    pub out_of_order: u64,
    /// Nodes whose lines were read each in its own pass, the file's nodes'
    /// lines not being in time order across nodes (0: read in one pass).
    pub read_per_node: usize,
    /// The first line found out of order across nodes: its number, its
    /// node, and the node of the later-stamped line above it.
    pub unsorted_at: Option<(u64, String, String)>,
    /// Lines whose only time is a syslog header's, which has no year
    /// (Consul's `enable_syslog`): read in the latest year that puts them no
    /// later than `reference` (plus a slack of two days).
    pub header_time: u64,
    /// The file's last modification (now, for standard input).
    pub reference: UnixNs,
    /// Lines of Consul's WAN pool (hclog module `…memberlist.wan`/`serf.wan`),
    /// left out: WAN gossip is another cluster.
    pub wan: u64,
    /// The zone its zone-less stamps were read in (seconds east of UTC) and
    /// who said so; `None` when every stamp carried its zone.
    pub zone: Option<(i64, ZoneFrom)>,
    /// Seconds its stamps were read earlier than written: its host's clock's
    /// error, found from its shared Serf events, with its zone or in the
    /// zone it is read in (known or not: [`zones::Finding::skew_s`]); 0: none.
    pub clock_s: i64,
    /// Understood lines more than [`lookback`] before `--since`, skipped.
    pub before_since: u64,
    /// Lines after `--until` (the file is not read further).
    pub after_until: u64,
    /// The time of the first of them.
    pub first_after_until: Option<UnixNs>,
    pub first: Option<UnixNs>,
    pub last: Option<UnixNs>,
}

impl FileReport {
    /// Adds the counts of another stream of the same file (read once per
    /// node: lines that are no node's are counted by the first stream only).
    fn add(&mut self, o: FileReport) {
        self.framings.extend(o.framings);
        for p in o.prefixed_observers {
            if self.prefixed_observers.len() < 10_000 {
                self.prefixed_observers.insert(p);
            }
        }
        self.unprefixed += o.unprefixed;
        self.lines += o.lines;
        self.understood += o.understood;
        self.unknown += o.unknown;
        self.unframed += o.unframed;
        self.bad_timestamps += o.bad_timestamps;
        if self.first_bad_timestamp.is_none() {
            self.first_bad_timestamp = o.first_bad_timestamp;
        }
        self.cut += o.cut;
        self.out_of_order += o.out_of_order;
        self.header_time += o.header_time;
        self.wan += o.wan;
        self.before_since += o.before_since;
        self.after_until += o.after_until;
        self.first_after_until = match (self.first_after_until, o.first_after_until) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.first = match (self.first, o.first) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.last = self.last.max(o.last);
    }
}

/// A located error: the file, the line and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError(pub String);

/// One understood line, ready to merge.
struct Entry {
    at: UnixNs,
    /// Its line number in its file.
    line: u64,
    precision: i64,
    observer: NodeId,
    what: Understood,
}

/// Names seen in the logs, as node ids in first-seen order.
#[derive(Default)]
pub struct Interner {
    pub names: Vec<String>,
    ids: HashMap<String, NodeId>,
    /// Address → name, learned from lines that print both (`EventMemberJoin: a-01 10.0.0.4`).
    pub ips: HashMap<String, NodeId>,
    pub ip_of: BTreeMap<NodeId, String>,
    /// Names a line's message names (a subject, an accuser), not only as the
    /// line's observer.
    pub mentioned: BTreeSet<NodeId>,
    max: usize,
}

impl Interner {
    pub fn id(&mut self, name: &str) -> Result<NodeId, String> {
        if let Some(&id) = self.ids.get(name) {
            return Ok(id);
        }
        if self.names.len() >= self.max {
            return Err(format!(
                "more than {} distinct node names (raise with --max-nodes)",
                self.max
            ));
        }
        let id = self.names.len() as NodeId;
        self.names.push(name.to_string());
        self.ids.insert(name.to_string(), id);
        Ok(id)
    }

    pub fn by_ip(&self, ip: &str) -> Option<NodeId> {
        self.ips.get(ip).copied()
    }

    pub fn learn_ip(&mut self, id: NodeId, ip: &str) {
        // Known already (most lines name a member seen before): nothing to
        // change, and no copy of the address made to find that out.
        let known =
            self.ips.get(ip) == Some(&id) && self.ip_of.get(&id).is_some_and(|known| known == ip);
        if known {
            return;
        }
        if self.ips.len() < self.max * 4 {
            self.ips.insert(ip.to_string(), id);
            self.ip_of.insert(id, ip.to_string());
        }
    }
}

/// Lines read from a file's start for its banner. A banner further in is a
/// restart of the node the file already belongs to: it renames nothing (the
/// lines before it would otherwise stay with another name).
const BANNER_LINES: usize = 200;

/// The node each unnamed file's start-up banner names, if any, shared by the
/// files of one directory with one stem (`consul-1700000000.log` holds the
/// banner, `consul.log`, written since, does not: one node's rotations).
fn banners(sources: &[Source], unnamed: &[bool]) -> Vec<Option<String>> {
    let own: Vec<Option<String>> = sources
        .iter()
        .zip(unnamed)
        .map(|(s, &unnamed)| {
            // Not stdin or a pipe: what this reads, the main read would not see.
            if !unnamed || !s.rereadable() {
                return None;
            }
            // Errors are the main read's to report, with their line.
            let mut reader = LineReader::open(s).ok()?;
            for _ in 0..BANNER_LINES {
                let line = reader.next_line().ok()??;
                if let Some(name) = banner_node_name(line.text) {
                    return Some(name.to_string());
                }
            }
            None
        })
        .collect();
    // (directory, stem) → the first banner of its files, in input order.
    fn group(s: &Source) -> (Option<&Path>, Option<String>) {
        (s.path.as_ref().and_then(|p| p.parent()), s.name_hint())
    }
    let mut shared: BTreeMap<_, String> = BTreeMap::new();
    for (s, name) in sources.iter().zip(&own) {
        if let Some(name) = name {
            shared.entry(group(s)).or_insert_with(|| name.clone());
        }
    }
    sources
        .iter()
        .zip(own)
        .zip(unnamed)
        .map(|((s, own), &unnamed)| {
            let g = group(s);
            let shared = || (unnamed && g.1.is_some()).then(|| shared.get(&g).cloned())?;
            own.or_else(shared)
        })
        .collect()
}

/// Which sources are copies of an earlier one, their content once
/// decompressed the same (byte-identical, or a log and its `.gz` twin), read
/// as the same node (a rotation copied next to itself, `s-01.log` and
/// `s-01.log.1`, `s-01.log` and `s-01.log.gz`), or of any earlier one when
/// its lines name their nodes (flapsim's `memberlist.log`, `kubectl logs
/// --prefix`: the file's name plays no part, so `memberlist-a.log` and its
/// copy `memberlist-b.log` are the same nodes' lines): their lines would be
/// counted twice. Found cheaply: only files whose decoded lengths may be
/// equal ([`super::input::decoded_len_hint`]: a plain file's size, a gzip
/// file's trailer) are hashed ([`super::input::decoded_id`], bounded), and a
/// copy is skipped with a warning. Files of different nodes whose lines do
/// not name them are not copies: two quiet nodes may well log the same lines.
///
/// Why decoded: compared by their stored bytes, `a-01.log` and `gzip -k`'s
/// `a-01.log.gz` differ, and every line of that node was counted twice.
fn identical_copies(
    sources: &[Source],
    owns: &[(Option<String>, ObserverFrom)],
) -> (Vec<bool>, Vec<String>) {
    let mut copies = vec![false; sources.len()];
    let mut warnings = Vec::new();
    // Decoded length (mod 2^32) → the files that may have it, in input order.
    let mut groups: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for (i, s) in sources.iter().enumerate() {
        let Some(p) = &s.path else {
            continue;
        };
        if let Ok(m) = std::fs::metadata(p) {
            if m.is_file() && m.len() > 0 {
                // Unreadable: the read reports it, with its line.
                if let Ok(len) = super::input::decoded_len_hint(p, m.len()) {
                    groups.entry(len).or_default().push(i);
                }
            }
        }
    }
    for files in groups.into_values().filter(|f| f.len() > 1) {
        // Decoded content → the files with it, in input order.
        let mut same_content: BTreeMap<(u64, u64), Vec<usize>> = BTreeMap::new();
        let mut gzip = vec![false; sources.len()];
        for i in files {
            let Some(p) = &sources[i].path else { continue };
            // Unreadable or corrupt: the read reports it, with its line.
            let Ok((id, gz)) = super::input::decoded_id(p, sources[i].max_gzip_ratio) else {
                continue;
            };
            gzip[i] = gz;
            let same = same_content.entry((id.len, id.hash)).or_default();
            let own = owns[i].0.as_deref();
            let of_same_node = same
                .iter()
                .find(|&&f| own.is_some() && owns[f].0.as_deref() == own);
            // Byte-identical, or the same once decompressed.
            let how = |first: usize| {
                if gzip[first] || gz {
                    format!(
                        "the same lines as {} once decompressed",
                        sources[first].named()
                    )
                } else {
                    format!("byte-identical to {}", sources[first].named())
                }
            };
            let warning = match (of_same_node, same.first()) {
                (Some(&first), _) => Some(format!(
                    "{}: {} (both node {}'s): read once",
                    sources[i].named(),
                    how(first),
                    own.unwrap_or_default()
                )),
                (None, Some(&first)) if lines_name_their_nodes(&sources[i]) => Some(format!(
                    "{}: {} (its lines name their nodes): read once",
                    sources[i].named(),
                    how(first)
                )),
                _ => None,
            };
            match warning {
                Some(w) => {
                    copies[i] = true;
                    warnings.push(w);
                }
                None => same.push(i),
            }
        }
    }
    (copies, warnings)
}

/// Whether every memberlist or Serf line of a file names its node in a
/// prefix (`a-01: `, a syslog header's host, `[pod/a-01/consul]`), and there
/// is one: the file's own name then names no line.
fn lines_name_their_nodes(s: &Source) -> bool {
    let Ok(mut reader) = LineReader::open(s) else {
        return false;
    };
    let mut any = false;
    while let Ok(Some(line)) = reader.next_line() {
        let Frame::Line(f) = frame_at(line.text, 0, Some(reference(s))) else {
            continue;
        };
        if speaks_a_table_layer(&f.message) {
            if f.observer.is_none() {
                return false;
            }
            any = true;
        }
    }
    any
}

/// `         Node name: 'a-01'` (Consul 0.5 to 1.x and Serf print it at start).
fn banner_node_name(line: &str) -> Option<&str> {
    let name = line
        .trim()
        .strip_prefix("Node name: '")?
        .strip_suffix('\'')?;
    let ok = !name.is_empty() && name.len() <= 253 && !name.contains(char::is_whitespace);
    ok.then_some(name)
}

struct Stream {
    /// Its input's index among the sources.
    file: usize,
    source: Source,
    reader: LineReader,
    report: FileReport,
    own_observer: Option<String>,
    /// The latest a line without a year can have been written: its file's
    /// last modification, or now for standard input.
    reference: UnixNs,
    /// A file read once per node: the node whose lines this stream keeps.
    only: Option<String>,
    /// Seconds east of UTC its zone-less stamps are read in.
    zone: i64,
    /// Its host's clock's error taken out of every stamp (nanoseconds;
    /// positive: the clock was ahead).
    clock: UnixNs,
    /// Its Serf member events, to find a file read in the wrong zone.
    sample: zones::Sample,
    /// What its lines tell of Consul's WAN pool.
    wan_seen: WanSeen,
    /// Whether its lines are Consul's or Nomad's.
    product: Product,
    /// Its file is a Nomad log: Consul's WAN pool's names are not looked for
    /// in its lines.
    nomad: bool,
    /// Names its lines give its own node.
    own_names: OwnNames,
    /// By node id: whether a line prefix named it yet (its name is then in
    /// the report's `prefixed_observers`, or that set was full).
    prefixed_seen: Vec<bool>,
    /// Counts the lines that are no node's (unframed, bad timestamps, cut):
    /// a file's first stream.
    counts_all: bool,
    last: Option<UnixNs>,
    /// The node of the line that set `last`.
    last_observer: String,
    /// A line of another node stamped more than [`UNSORTED_MARGIN`] before
    /// `last`: its number and node (the stream stops there).
    unsorted: Option<(u64, String)>,
    done: bool,
}

impl Stream {
    fn unsorted_at(&self, (line, node): (u64, String)) -> Unsorted {
        Unsorted {
            file: self.file,
            line,
            node,
            after: self.last_observer.clone(),
        }
    }

    /// The next understood line at or before `--until`, or None at the end.
    fn next(
        &mut self,
        opt: &Options,
        wan: &BTreeSet<String>,
        names: &mut Interner,
        generations: &mut [u64; 3],
        kinds: &mut BTreeMap<&'static str, u64>,
    ) -> Result<Option<Entry>, InputError> {
        if self.done {
            return Ok(None);
        }
        loop {
            let line = match self.reader.next_line() {
                Ok(Some(l)) => l,
                Ok(None) => {
                    self.done = true;
                    return Ok(None);
                }
                Err(ReadError::Binary { line, column }) => {
                    return Err(InputError(format!(
                        "{}:{line}:{column}: binary data (a NUL byte): not a text log{}",
                        self.source.named(),
                        if self.reader.gzip {
                            " (inside the gzip stream)"
                        } else {
                            ""
                        }
                    )))
                }
                Err(ReadError::TooDense { line, refused }) => {
                    return Err(InputError(format!(
                        "{}:{line}: {refused}",
                        self.source.named()
                    )))
                }
                Err(ReadError::Io { line, error }) => {
                    return Err(InputError(format!(
                        "{}:{line}: cannot read: {error}{}",
                        self.source.named(),
                        if self.reader.gzip {
                            " (a truncated or corrupt gzip file?)"
                        } else {
                            ""
                        }
                    )))
                }
            };
            let r = &mut self.report;
            let all = self.counts_all;
            if all {
                r.lines += 1;
                r.cut += u64::from(line.cut);
            }
            let number = line.number;
            let f = match frame_at(line.text, self.zone, Some(self.reference)) {
                Frame::Line(f) => f,
                Frame::Unframed => {
                    r.unframed += u64::from(all);
                    if let Some(dc) = banner_datacenter(line.text) {
                        self.wan_seen.banner(dc);
                    }
                    self.product.banner(line.text);
                    if let Some(name) = banner_node_name(line.text) {
                        self.own_names
                            .add(name, number, "a start-up banner's `Node name:`");
                        // Standard input or a pipe (`<(zcat a-01.log.gz)`)
                        // has no name of its own and cannot be looked
                        // ahead in (it is read once): its start-up banner
                        // names its node as it comes, as a file's does.
                        let unnamed = self.own_observer.is_none() && self.only.is_none();
                        if unnamed && number <= BANNER_LINES as u64 {
                            self.own_observer = Some(name.to_string());
                            r.observer = Some(name.to_string());
                            r.observer_from = Some(ObserverFrom::Banner);
                        }
                    }
                    continue;
                }
                Frame::BadTimestamp(why) => {
                    if all {
                        r.bad_timestamps += 1;
                        r.first_bad_timestamp.get_or_insert((number, why));
                    }
                    continue;
                }
            };
            let name = f.observer.or(self.own_observer.as_deref());
            // Read once per node: another node's line is its stream's.
            if let Some(only) = &self.only {
                let mine = match name {
                    Some(n) => n == only,
                    None => all,
                };
                if !mine {
                    continue;
                }
            }
            r.framings.insert(f.framing);
            if f.module.as_deref().is_some_and(|m| m.ends_with(".wan")) {
                r.wan += 1;
                continue;
            }
            // Nomad's lines are never Consul's WAN pool's: a line whose
            // prefix names its program is that program's, else its file's.
            let program = f.program.and_then(Program::named);
            let nomads = program.map_or(self.nomad, |p| p == Program::Nomad);
            if f.module.is_none() {
                if program != Some(Program::Nomad) {
                    self.wan_seen.server_line(&f.message);
                }
                self.product.line(&f.message);
            }
            let parsed = if speaks_a_table_layer(&f.message) {
                crate::protocol::event::log_line::parse_message(&f.message)
            } else {
                None
            };
            let Some(parsed) = parsed else {
                r.unknown += 1;
                continue;
            };
            // Consul before hclog writes its WAN pool's lines as its LAN
            // pool's: they are told apart by the members they name.
            if parsed.kind == crate::protocol::event::EventKind::Refuted
                && parsed.field("message") == Some("alive")
                && f.observer.is_none()
            {
                if let Some(name) = parsed.field("subject") {
                    self.own_names.add(
                        name,
                        number,
                        "memberlist's `Refuting an alive message for`",
                    );
                }
            }
            if f.module.is_none() && !nomads && is_serf_member_event(parsed.kind) {
                if let (Some(name), Some(ip)) =
                    (parsed.field("subject"), parsed.field("subject.ip"))
                {
                    self.wan_seen.serf_member(name, ip);
                }
            }
            let wan_member = |&(k, v): &(&str, &str)| !k.contains('.') && wan.contains(v);
            if f.module.is_none() && !nomads && parsed.fields().iter().any(wan_member) {
                r.wan += 1;
                continue;
            }
            // Far before --since: no state a window needs (a flap is a failure
            // and a join within FlapTimeout), and such a line (a clock not yet
            // set at boot) must not stretch the span back to it.
            let stamped_at = f.stamp.at - self.clock;
            if opt.since.is_some_and(|s| stamped_at < s - lookback(opt)) {
                r.before_since += 1;
                continue;
            }
            // Time never runs backwards within a file (or a node's lines of it).
            let mut at = stamped_at;
            let mut later = true;
            if let Some(last) = self.last {
                if at < last {
                    // Another node's lines, far earlier: the nodes' logs one
                    // after the other. The file is to be read once per node.
                    if let Some(n) = name.filter(|&n| {
                        self.only.is_none()
                            && last - at > UNSORTED_MARGIN as UnixNs
                            && n != self.last_observer
                    }) {
                        self.unsorted = Some((number, n.to_string()));
                        self.done = true;
                        return Ok(None);
                    }
                    r.out_of_order += 1;
                    at = last;
                    later = false;
                }
            }
            if opt.until.is_some_and(|u| at >= u) {
                r.after_until += 1;
                r.first_after_until = Some(at);
                self.done = true;
                return Ok(None);
            }
            self.last = Some(at);
            if let Some(n) = name.filter(|&n| later && n != self.last_observer) {
                self.last_observer.clear();
                self.last_observer.push_str(n);
            }
            r.first.get_or_insert(at);
            r.last = Some(at);
            let observer_name = match (f.observer, &self.own_observer) {
                (Some(p), _) => p,
                (None, Some(o)) => {
                    r.unprefixed += 1;
                    o.as_str()
                }
                (None, None)
                    if !(self.source.path.as_deref())
                        .is_some_and(super::input::names_a_descriptor) =>
                {
                    return Err(InputError(format!(
                        "{}:{number}: no observer for this line: it has no `node: ` prefix and the input has no file name; pass --observer NAME",
                        self.source.named()
                    )))
                }
                (None, None) => {
                    let label = self.source.named();
                    return Err(InputError(format!(
                        "{label}:{number}: no observer for this line: it has no `node: ` prefix, and {label} is a file descriptor (a pipe, `<(…)`), whose name is no node's, with no start-up banner (`Node name: '…'`) before this line; pass --observer NAME (--observer {label}=NAME among several inputs)"
                    )))
                }
            };
            let located = |e: String| InputError(format!("{}:{number}: {e}", self.source.named()));
            let observer = names.id(observer_name).map_err(located)?;
            if f.observer.is_some() {
                // Each prefix's name copied into the report once, not
                // looked up among the names kept on every line.
                let seen = &mut self.prefixed_seen;
                if seen.len() <= observer as usize {
                    seen.resize(observer as usize + 1, false);
                }
                if !std::mem::replace(&mut seen[observer as usize], true)
                    && r.prefixed_observers.len() < 10_000
                {
                    r.prefixed_observers.insert(observer_name.to_string());
                }
            }
            let what = understand(&parsed, observer, at, names).map_err(located)?;
            r.understood += 1;
            self.sample.stamp(f.stamp.zoned);
            if let Understood::Event(ev) = &what {
                if let Some((kind, member)) = shared_kind(ev).filter(|&(_, m)| m != observer) {
                    self.sample.event(kind, member, at);
                }
            }
            r.header_time += u64::from(f.framing == Framing::SyslogOnly);
            // Generations this line's wording fits; a line that fits all says nothing.
            if parsed.generations().count() < 3 {
                for g in parsed.generations() {
                    generations[crate::protocol::event::log_line::generation_index(g)] += 1;
                }
            }
            *kinds.entry(parsed.kind.info().name).or_insert(0) += 1;
            return Ok(Some(Entry {
                at,
                line: number,
                precision: f.stamp.precision,
                observer,
                what,
            }));
        }
    }
}

/// A Serf member event every observer logs within seconds of the others
/// (gossip): its kind and member. Both the zone check's sample and the skew
/// groups key on these.
fn shared_kind(ev: &Event) -> Option<(u8, NodeId)> {
    match *ev {
        Event::SerfMemberJoin { subject } => Some((0, subject)),
        Event::SerfMemberFailed { subject } => Some((1, subject)),
        Event::SerfMemberLeave { subject } => Some((2, subject)),
        _ => None,
    }
}

/// The layer prefixes of the table's log lines (`memberlist: `, `serf: `), from
/// the table itself: a message with none of them (Consul's `agent:`, `raft:`, …,
/// most of a real log) is not handed to the parser at all.
///
/// Every layer ends with `": "` (it is a template's text up to its first one),
/// so a message holds a layer exactly when the text up to one of its own
/// `": "` ends with that layer: one pass over the message, not one search per
/// layer (this runs on every framed line).
fn speaks_a_table_layer(message: &str) -> bool {
    static LAYERS: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    let layers = LAYERS.get_or_init(|| {
        let mut v: Vec<&'static str> = crate::protocol::event::KINDS
            .iter()
            .flat_map(|k| k.log.iter().flat_map(|g| g.iter()))
            .filter_map(|t| t.text.find(": ").map(|i| &t.text[..i + 2]))
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    });
    let b = message.as_bytes();
    memchr::memchr_iter(b':', b)
        .filter(|&i| b.get(i + 1) == Some(&b' '))
        .any(|i| layers.iter().any(|l| b[..i + 2].ends_with(l.as_bytes())))
}

/// One flap episode as the logs show it (see [`EPISODE_GAP`]).
#[derive(Clone, Debug, Default)]
pub struct LogEpisode {
    pub subject: NodeId,
    pub first: Nanos,
    pub last: Nanos,
    pub declarations: u32,
    pub flaps: u32,
}

/// Estimated clock offset of one observer against the others.
#[derive(Clone, Debug, Default)]
pub struct Skew {
    pub sum_s: f64,
    pub matched: u64,
}

impl Skew {
    pub fn mean_s(&self) -> f64 {
        if self.matched == 0 {
            0.0
        } else {
            self.sum_s / self.matched as f64
        }
    }
}

/// Everything the diagnosis found.
pub struct Analysis {
    pub metrics: Metrics,
    /// Node names by id (every name seen in the logs).
    pub names: Vec<String>,
    pub ip_of: BTreeMap<NodeId, String>,
    /// Unix time of virtual time 0 (the first line's hour).
    pub t0: UnixNs,
    pub first: UnixNs,
    pub last: UnixNs,
    /// Coarsest timestamp precision among the lines (1 s for Go's log).
    pub precision: i64,
    pub files: Vec<FileReport>,
    pub observers: BTreeSet<NodeId>,
    pub episodes: Vec<LogEpisode>,
    pub flaps_ambiguous: u64,
    pub restarts: Vec<(Nanos, NodeId)>,
    pub skew: BTreeMap<NodeId, Skew>,
    /// Lines whose wording fits only some generations, per generation (2015, 2016, today).
    pub generation_votes: [u64; 3],
    pub kinds: BTreeMap<&'static str, u64>,
    /// Measured `Was able to connect to X over TCP but UDP probes failed` lines
    /// per subject X.
    pub tcp_rescues: BTreeMap<NodeId, u64>,
    /// Measured suspect and dead refutations, (refuter, accuser it names) →
    /// count: an accusation seen from the accused's side, the only trace of an
    /// accuser whose own log is not among the inputs.
    pub refuted: BTreeMap<(NodeId, NodeId), u64>,
    /// Nodes whose last Serf event in the logs is a failure, FlapTimeout or
    /// more before their end: no log saw them come back (crashed, stopped or
    /// lost for good), which is not flapping.
    pub down_at_end: Vec<NodeId>,
    /// Inputs not read, and why: a file given twice, or a byte-identical copy
    /// of another file of the same node (a copied rotation).
    pub skipped: Vec<String>,
    /// How the inputs were read where it is not what they say: a node named
    /// from its file read as the logs name it.
    pub notes: Vec<String>,
}

/// One cluster event being matched across observers: when it was first seen,
/// and each observer's first time.
type SkewGroup = (Nanos, Vec<(NodeId, Nanos)>);

/// State kept while merging.
struct Tracker {
    flap_timeout: Nanos,
    warmup: Nanos,
    pending: BTreeMap<(NodeId, NodeId), (Nanos, i64, usize)>,
    /// Subject → its latest Serf failure, join or leave at any observer:
    /// when, and whether it was a failure.
    latest: BTreeMap<NodeId, (Nanos, bool)>,
    open_episode: BTreeMap<NodeId, usize>,
    episodes: Vec<LogEpisode>,
    ambiguous: u64,
    /// (kind, subject) → open group: first time, observers' first times.
    skew_groups: BTreeMap<(u8, NodeId), SkewGroup>,
    skew: BTreeMap<NodeId, Skew>,
}

impl Tracker {
    fn failed(&mut self, at: Nanos, precision: i64, o: NodeId, s: NodeId) {
        let idx = match self.open_episode.get(&s) {
            Some(&i) if at - self.episodes[i].last <= EPISODE_GAP => i,
            _ => {
                self.episodes.push(LogEpisode {
                    subject: s,
                    first: at,
                    last: at,
                    ..LogEpisode::default()
                });
                self.episodes.len() - 1
            }
        };
        self.open_episode.insert(s, idx);
        let e = &mut self.episodes[idx];
        e.last = at;
        e.declarations += 1;
        self.pending.insert((o, s), (at, precision, idx));
        self.latest.insert(s, (at, true));
    }

    fn joined(&mut self, at: Nanos, precision: i64, o: NodeId, s: NodeId) {
        self.latest.insert(s, (at, false));
        if let Some((failed, p0, idx)) = self.pending.remove(&(o, s)) {
            let dt = at - failed;
            if crate::protocol::serf::is_flap(dt, self.flap_timeout) && at >= self.warmup {
                self.episodes[idx].flaps += 1;
            }
            // Stamps are truncated to their precision, so the true interval is
            // within one step of the printed one: a printed interval just under
            // FlapTimeout is still a flap, but one from FlapTimeout to one step
            // over it may have been one. Those are not counted, but counted here.
            let slack = p0.max(precision) as Nanos;
            if at >= self.warmup && dt >= self.flap_timeout && dt < self.flap_timeout + slack {
                self.ambiguous += 1;
            }
        }
    }

    fn forget_observer(&mut self, o: NodeId) {
        self.pending.retain(|&(obs, _), _| obs != o);
    }

    fn skew_event(&mut self, kind: u8, at: Nanos, o: NodeId, s: NodeId) {
        let key = (kind, s);
        let stale = self
            .skew_groups
            .get(&key)
            .is_some_and(|(start, _)| at - start > SKEW_WINDOW);
        if stale {
            if let Some((_, g)) = self.skew_groups.remove(&key) {
                self.close_group(g);
            }
        }
        let g = self.skew_groups.entry(key).or_insert((at, Vec::new()));
        if !g.1.iter().any(|(x, _)| *x == o) {
            g.1.push((o, at));
        }
    }

    fn close_group(&mut self, g: Vec<(NodeId, Nanos)>) {
        if g.len() < 3 {
            return;
        }
        let mut times: Vec<Nanos> = g.iter().map(|(_, t)| *t).collect();
        times.sort_unstable();
        let median = times[times.len() / 2];
        for (o, t) in g {
            let s = self.skew.entry(o).or_default();
            s.sum_s += (t as f64 - median as f64) / SEC as f64;
            s.matched += 1;
        }
    }
}

/// Read every source and analyse.
pub fn analyze(sources: &[Source], opt: &Options) -> Result<Analysis, InputError> {
    // A bare NAME is for the one input given (the command refuses it with
    // several), every file of it when it is a directory (one node's
    // rotations); FILE=NAME for that file, or every file under that directory.
    let flags: Vec<Option<String>> = sources
        .iter()
        .map(|s| {
            opt.observers
                .iter()
                .find(|(f, _)| match f {
                    Some(f) => {
                        *f == s.label
                            || s.path
                                .as_ref()
                                .is_some_and(|p| p.starts_with(Path::new(f.as_str())))
                    }
                    None => true,
                })
                .map(|(_, n)| n.clone())
        })
        .collect();
    // Files the flag names need no name from their path.
    let unnamed: Vec<bool> = flags.iter().map(Option::is_none).collect();
    let hints = super::input::observer_hints(sources, &unnamed).map_err(InputError)?;
    let banners = banners(sources, &unnamed);
    let owns: Vec<(Option<String>, ObserverFrom)> = hints
        .into_iter()
        .zip(flags)
        .zip(banners)
        .map(|((hint, flag), banner)| match (flag, hint) {
            (Some(n), _) => (Some(n), ObserverFrom::Flag),
            (None, _) if banner.is_some() => (banner, ObserverFrom::Banner),
            (None, Some((n, false))) => (Some(n), ObserverFrom::FileName),
            (None, Some((n, true))) => (Some(n), ObserverFrom::Directory),
            (None, None) => (None, ObserverFrom::None),
        })
        .collect();
    let mut owns = owns;
    let mut file_zones = zones_given(sources, opt)?;
    let mut clocks = vec![0i64; sources.len()];
    let (copies, skipped) = identical_copies(sources, &owns);
    let mut notes = Vec::new();
    // The first merge settles the zones and Consul's WAN pool members, the
    // next one the nodes' names (from lines read in the right zone, without
    // the WAN pool's): each re-merges only when it changes something.
    let mut zones_settled = false;
    let mut names_settled = false;
    let mut wan: BTreeSet<String> = BTreeSet::new();
    // Files that are Nomad logs (found with the WAN pool's names).
    let mut nomad = vec![false; sources.len()];
    // Files whose nodes' lines are not in time order across nodes: each of
    // their nodes, read in its own pass. The first is found while merging,
    // the others then in one pass over the inputs, and the merge starts over.
    let mut per_node: BTreeMap<usize, (Vec<String>, Unsorted)> = BTreeMap::new();
    // Whether every input was looked at for that once (see find_unsorted).
    let mut swept = false;
    loop {
        let plan = Plan {
            sources,
            owns: &owns,
            file_zones: &file_zones,
            clocks: &clocks,
            wan: &wan,
            nomad: &nomad,
            copies: &copies,
            per_node: &per_node,
        };
        let merged = merge(&plan, opt, &skipped)?;
        let u = match merged {
            Ok(Merged {
                analysis: mut a,
                mentioned,
                samples,
                wan_seen,
                products,
                own_names,
            }) => {
                if !zones_settled {
                    zones_settled = true;
                    let eligible: Vec<bool> = (samples.iter().zip(&file_zones))
                        .map(|(s, z)| s.only_zoneless() && z.1 == ZoneFrom::Global)
                        .collect();
                    let read_in: Vec<i64> = file_zones.iter().map(|z| z.0).collect();
                    let found = zones::detect(&samples, &eligible, &read_in);
                    for f in &found {
                        let known = (!eligible[f.file]).then(|| {
                            zone_known(
                                &samples[f.file],
                                file_zones[f.file],
                                &sources[f.file].named().to_string(),
                            )
                        });
                        notes.push(zone_note(&a, sources, f, file_zones[f.file].0, known));
                        // At offset 0 its zone as given was right: only its
                        // clock is corrected, the zone keeps who gave it.
                        if f.applied && f.offset_s != 0 {
                            file_zones[f.file] =
                                (file_zones[f.file].0 + f.offset_s, ZoneFrom::Found);
                        }
                        if f.applied {
                            clocks[f.file] = clock_correction(f);
                        }
                    }
                    wan = wan_seen.wan_names(&a.names);
                    nomad = products.iter().map(Product::nomad).collect();
                    if !wan.is_empty() {
                        read_again(
                            sources,
                            &copies,
                            "Consul's WAN pool members were found, whose lines are to be left out",
                        )?;
                        continue;
                    }
                    if found.iter().any(|f| f.applied) {
                        let what = if found.iter().any(|f| f.applied && f.offset_s != 0) {
                            "zone"
                        } else {
                            "clock's error"
                        };
                        read_again(sources, &copies, &format!("a file's {what} was found from the Serf events it shares with the others"))?;
                        continue;
                    }
                }
                if !names_settled {
                    names_settled = true;
                    if let Some(note) = named_by_own_lines(sources, &mut owns, &own_names) {
                        read_again(sources, &copies, &note)?;
                        notes.push(note);
                        names_settled = false;
                        continue;
                    }
                    let renames = names_as_logged(&a, &mentioned, &owns);
                    if !renames.is_empty() {
                        read_again(sources, &copies, &renamed_note(&renames))?;
                        notes.push(renamed_note(&renames));
                        for (own, from) in owns.iter_mut() {
                            let by_path =
                                matches!(from, ObserverFrom::FileName | ObserverFrom::Directory);
                            if let Some(to) = own
                                .as_ref()
                                .and_then(|o| renames.get(o))
                                .filter(|_| by_path)
                            {
                                *own = Some(to.clone());
                            }
                        }
                        // A file read once per node: its own lines are the new name's.
                        for (nodes, _) in per_node.values_mut() {
                            let new: Vec<String> = (nodes.iter())
                                .filter_map(|n| renames.get(n))
                                .filter(|to| !nodes.contains(to))
                                .cloned()
                                .collect();
                            nodes.extend(new);
                        }
                        continue;
                    }
                }
                a.notes = notes;
                return Ok(a);
            }
            Err(u) => u,
        };
        // The first such file found: every other one is found now, in one
        // pass, so the merge starts over once, not once per file.
        let mut found = vec![u];
        if !swept {
            swept = true;
            if sources.iter().all(Source::rereadable) {
                // Nothing the merge's plan borrows has changed on this path.
                found.extend(find_unsorted(&plan, opt, found[0].file)?);
            }
        }
        for u in found {
            let nodes = per_node_read(sources, &owns, &u)?;
            per_node.insert(u.file, (nodes, u));
        }
    }
}

/// What a source read once is called in an error: standard input, or a
/// pipe or device (`<(zcat …)`).
fn read_once_name(s: &Source) -> &'static str {
    if s.path.is_none() {
        "standard input"
    } else {
        "a pipe or device"
    }
}

/// Checks that every input read (not skipped as a copy) can be read again
/// before the merge starts over because of `why`. Why: standard input or a
/// pipe, read again, is empty: its lines were silently missing from the
/// result (`- other.log` exited 0 with none of stdin's lines counted; `-`
/// alone said it held 0 lines).
fn read_again(sources: &[Source], copies: &[bool], why: &str) -> Result<(), InputError> {
    let once = sources
        .iter()
        .zip(copies)
        .find(|(s, &copy)| !copy && !s.rereadable());
    match once {
        None => Ok(()),
        Some((s, _)) => Err(InputError(format!(
            "{}: the inputs are to be read again ({why}), and {} cannot be: save it to a file and pass that",
            s.named(),
            read_once_name(s)
        ))),
    }
}

/// Files named after their program (`consul.log`, no banner at their start,
/// no host directory) read as node `consul`, whose own lines name their node
/// ([`OwnNames`]): read as that node, when all such files of that name give
/// one and the same (they are one directory's: one node's rotations). The
/// note says so; files giving two names are left as they were (and warned).
fn named_by_own_lines(
    sources: &[Source],
    owns: &mut [(Option<String>, ObserverFrom)],
    own_names: &[OwnNames],
) -> Option<String> {
    let program_named = |o: &(Option<String>, ObserverFrom)| {
        o.1 == ObserverFrom::FileName && o.0.as_deref().is_some_and(super::input::program_stem)
    };
    let stems: BTreeSet<String> = owns
        .iter()
        .filter(|o| program_named(o))
        .filter_map(|o| o.0.clone())
        .collect();
    let mut notes = Vec::new();
    for stem in stems {
        let files: Vec<usize> = (0..owns.len())
            .filter(|&i| program_named(&owns[i]) && owns[i].0.as_deref() == Some(stem.as_str()))
            .collect();
        let names: BTreeSet<&String> = files.iter().flat_map(|&i| own_names[i].0.keys()).collect();
        let [name] = names.into_iter().collect::<Vec<_>>()[..] else {
            continue;
        };
        let name = name.clone();
        let (i, (line, how)) = files
            .iter()
            .find_map(|&i| own_names[i].0.get(&name).map(|w| (i, *w)))?;
        for &f in &files {
            owns[f] = (Some(name.clone()), ObserverFrom::OwnLines);
        }
        notes.push(format!(
            "{}: named after its program and without a banner at its start, read as node {name}, the name {how} gives at line {line}{}",
            sources[i].named(),
            if files.len() > 1 {
                format!(" (and so {} more of its directory's files)", files.len() - 1)
            } else {
                String::new()
            }
        ));
    }
    (!notes.is_empty()).then(|| notes.join("; "))
}

/// The nodes of a file found not in time order across its nodes, to read it
/// once per node; or why it cannot be.
fn per_node_read(
    sources: &[Source],
    owns: &[(Option<String>, ObserverFrom)],
    u: &Unsorted,
) -> Result<Vec<String>, InputError> {
    let s = &sources[u.file];
    let what = format!(
        "{}:{}: node {}'s line is stamped more than {} before a line of node {} above it: the file holds its nodes' logs one after the other (as `kubectl logs --prefix` prints them unless following), not merged by time",
        s.named(),
        u.line,
        u.node,
        crate::units::format_duration(UNSORTED_MARGIN),
        u.after
    );
    if let Some(once) = sources.iter().find(|s| !s.rereadable()) {
        return Err(InputError(format!(
            "{what}; it is to be read once per node, which reads {} again, and {} cannot be: save it to a file and pass that (or give one file per node)",
            if once.label == s.label { "it" } else { "every input" },
            read_once_name(once)
        )));
    }
    let nodes = nodes_of(s, owns[u.file].0.as_deref());
    if nodes.len() > MAX_READ_PER_NODE {
        return Err(InputError(format!(
            "{what}; it names more than {MAX_READ_PER_NODE} nodes, too many to read once per node: give one file per node, or sort its lines by time"
        )));
    }
    Ok(nodes)
}

/// Each input's zone for its zone-less stamps: `--log-zone FILE=ZONE` for
/// the file, or for the directory holding it, else `--log-zone ZONE`. A
/// FILE=ZONE that names no file read is an error (a typo must not leave a
/// file in the wrong zone unsaid).
fn zones_given(sources: &[Source], opt: &Options) -> Result<Vec<(i64, ZoneFrom)>, InputError> {
    let names = |f: &str, s: &Source| {
        s.label == f || s.path.as_ref().is_some_and(|p| p.starts_with(Path::new(f)))
    };
    for (f, _) in &opt.file_zones {
        if !sources.iter().any(|s| names(f, s)) {
            let f = crate::quote::path_text(f);
            return Err(InputError(format!(
                "--log-zone {f}=…: `{f}` is none of the files read (give the file as it was given, or a directory given)"
            )));
        }
    }
    Ok(sources
        .iter()
        .map(|s| {
            // The last one naming it: a file's own after its directory's.
            match opt.file_zones.iter().rev().find(|(f, _)| names(f, s)) {
                Some(&(_, z)) => (z, ZoneFrom::File),
                None => (opt.zone, ZoneFrom::Global),
            }
        })
        .collect())
}

/// How a file's zone is known, said in a note on its clock's error (see
/// [`zone_known`]); `None` in [`zone_note`]: its zone is only the one given
/// for all, and may be found.
struct ZoneKnown {
    /// `its lines carry their zone`, `… the zone given with --log-zone …`.
    how: String,
    /// What it lines up with as read: `as stamped`, `as read in +09:00`.
    as_read: String,
}

/// A file whose zone is not guessed: its own `--log-zone FILE=ZONE`, else
/// stamps that carry their zone.
fn zone_known(sample: &zones::Sample, zone: (i64, ZoneFrom), label: &str) -> ZoneKnown {
    let z = super::time::format_zone(zone.0);
    if zone.1 == ZoneFrom::File {
        ZoneKnown {
            how: format!("its lines are read in {z}, the zone given with --log-zone {label}={z}"),
            as_read: format!("as read in {z}"),
        }
    } else if sample.zoneless > 0 {
        ZoneKnown {
            how: "some of its lines carry their zone".to_string(),
            as_read: "as stamped".to_string(),
        }
    } else {
        ZoneKnown {
            how: "its lines carry their zone".to_string(),
            as_read: "as stamped".to_string(),
        }
    }
}

/// What a zone found says: `b-03.log's lines carry no zone and line up with
/// the others at +09:00 (…): read as +09:00`, or why nothing was moved; of
/// a file whose zone is `known`, its clock's error corrected.
fn zone_note(
    a: &Analysis,
    sources: &[Source],
    f: &zones::Finding,
    zone: i64,
    known: Option<ZoneKnown>,
) -> String {
    let label = sources[f.file].named();
    let node = a
        .files
        .iter()
        .find(|r| r.label == sources[f.file].label)
        .and_then(|r| r.observer.as_deref())
        .map(|o| format!(" (node {o})"))
        .unwrap_or_default();
    if f.unplaced {
        return format!(
            "{label}{node}: its lines carry no zone, and its Serf events line up with the others' only at {} with its clock {} ({} of {} of its Serf events that other files logged too agree on that), further off than a clock error is looked for ({}): whether that is its zone and clock cannot be told, so its lines are read as given ({}); if they are off, so are the measured window and every rate over it: give its zone with --log-zone {label}=ZONE",
            super::time::format_zone(zone + f.offset_s),
            clock_error(f.skew_s),
            f.lined_up,
            f.shared,
            crate::units::format_duration(zones::MAX_CLOCK_SKEW as Nanos),
            super::time::format_zone(zone),
        );
    }
    let to = super::time::format_zone(zone + f.offset_s);
    // A clock off by seconds on top of the zone: said, and left as stamped.
    let (clock, taken_out) = match f.skew_s {
        0 => (String::new(), ""),
        s => (
            format!(" with its clock {}", clock_error(s)),
            " once its clock's error is taken out",
        ),
    };
    let as_read = match &known {
        Some(k) => k.as_read.clone(),
        None => format!("as read in {}", super::time::format_zone(zone)),
    };
    let evidence = format!(
        "{} of {} of its Serf events that other files logged too line up within {} s{taken_out}, {} {as_read}",
        f.lined_up,
        f.shared,
        zones::LINE_UP / SEC as i64,
        f.as_read,
    );
    let stamped = match clock_correction(f) {
        0 => String::new(),
        s => format!(
            "; its clock's error is corrected: its lines are read {} s {} than stamped",
            s.abs(),
            if s > 0 { "earlier" } else { "later" }
        ),
    };
    if let Some(k) = known {
        // Its zone is known, and kept (zones::detect never moves it); only
        // its clock was off.
        return format!(
            "{label}{node}: {}, which is kept, and line up with the others with its clock {} ({evidence}){stamped}",
            k.how,
            clock_error(f.skew_s)
        );
    }
    if f.applied && f.offset_s == 0 {
        // The zone as read was right; only its clock was off.
        return format!(
            "{label}{node}: its lines carry no zone and line up with the others in {to}, the zone they are read in, with its clock {} ({evidence}){stamped}",
            clock_error(f.skew_s)
        );
    }
    if f.applied {
        // Lined up with files read in the zone given, at a zone nobody
        // uses: they were not in the zone given either (see zones' doc).
        let z = zone + f.offset_s;
        let others = if z > zones::EASTMOST_S {
            Some((zone - (z - zones::EASTMOST_S), "west"))
        } else if z < zones::WESTMOST_S {
            Some((zone + (zones::WESTMOST_S - z), "east"))
        } else {
            None
        };
        let beyond = others
            .map(|(bound, way)| {
                format!(
                    ", which is no zone in use (they run from {} to {}): the files it lines up with were not written in {} either but in {} or further {way}; give their zone with --log-zone, and this file's with --log-zone {label}=ZONE",
                    super::time::format_zone(zones::WESTMOST_S),
                    super::time::format_zone(zones::EASTMOST_S),
                    super::time::format_zone(zone),
                    super::time::format_zone(bound)
                )
            })
            .unwrap_or_default();
        format!(
            "{label}{node}: its lines carry no zone and line up with the others at {to}{clock} ({evidence}): read as {to}{beyond}{stamped}"
        )
    } else {
        format!(
            "{label}{node}: its lines carry no zone and line up with the others about as well at {to}{clock} as in {} ({evidence}): which is its host's zone cannot be told, so read as given; say it with --log-zone {label}=ZONE",
            super::time::format_zone(zone)
        )
    }
}

/// The seconds a file's stamps are moved back by once its zone is found:
/// its clock's error, when the zone was found with it taken out.
///
/// Why it is sound there, and only there: the error is the median residual,
/// past the zone's whole quarter hours, between the file's Serf member
/// events and the other files' copies of the same events (gossip logs one
/// member event at every observer within a second or two), where most of
/// its events agree (zones' `Index::residual`); it is taken out only when
/// the file then lines up clearly (at least [`zones::MIN_LINED_UP`] and half
/// of its shared events within [`zones::LINE_UP`], more than twice any other
/// offset: the rule a zone is applied by), and only when it is beyond
/// [`zones::LINE_UP`] (a residual under that is what gossip's spread and
/// 1 s stamps leave, no clock's error) and within [`zones::MAX_CLOCK_SKEW`].
/// Left in, an error over the episode gap (10 s) split each of its flap
/// episodes in two, and one over a second misordered its accusations and
/// refutations against the other files'. The same holds in the zone the
/// file is read in (offset 0: its zone right, its clock not), held to the
/// same rule with zero as the offset: its events line up there once the
/// error is out, and not as read (else no error is looked for); so it does
/// for a file whose zone is known (stamps with their zone, `--log-zone
/// FILE=ZONE`), which is held to offset zero: a host's zone says nothing of
/// its clock. Of two files only, a clock error apart, only the later is
/// corrected (the one whose zone is guessed, if one is), as only it is
/// moved for a zone (the index sees each file as corrected). A
/// clock error only reported (an ambiguous zone, an unplaced file) is not
/// taken out: its evidence was not held to that rule; the measured skew
/// then says it, as for any clock.
fn clock_correction(f: &zones::Finding) -> i64 {
    if f.applied && !f.unplaced {
        f.skew_s
    } else {
        0
    }
}

/// `7 s ahead of theirs`, `40 s behind theirs`.
fn clock_error(skew_s: i64) -> String {
    let way = if skew_s > 0 { "ahead of" } else { "behind" };
    format!("{} s {way} theirs", skew_s.abs())
}

/// Nodes named from their file or directory (`nomad-2.log`) that no line names,
/// while the lines name one member that name and a suffix (`nomad-2.global`:
/// Nomad's servers are Serf members `NAME.REGION`; an FQDN for a short host
/// name): the node's name as the logs give it, else it would be two nodes.
fn names_as_logged(
    a: &Analysis,
    mentioned: &BTreeSet<NodeId>,
    owns: &[(Option<String>, ObserverFrom)],
) -> BTreeMap<String, String> {
    // A prefix up to a dot of each name the lines name → those names.
    let mut by_prefix: HashMap<&str, Vec<&str>> = HashMap::new();
    for &id in mentioned {
        let n = a.names[id as usize].as_str();
        for (i, _) in n
            .match_indices('.')
            .filter(|&(i, _)| i > 0 && i + 1 < n.len())
        {
            by_prefix.entry(&n[..i]).or_default().push(n);
        }
    }
    let mut renames = BTreeMap::new();
    // Targets two names would share: neither is renamed.
    let mut taken: BTreeMap<&str, usize> = BTreeMap::new();
    for (own, from) in owns {
        let (Some(own), ObserverFrom::FileName | ObserverFrom::Directory) = (own, from) else {
            continue;
        };
        let Some(id) = a.names.iter().position(|n| n == own) else {
            continue;
        };
        let id = id as NodeId;
        if mentioned.contains(&id) || !a.observers.contains(&id) || renames.contains_key(own) {
            continue;
        }
        if let Some([only]) = by_prefix.get(own.as_str()).map(Vec::as_slice) {
            renames.insert(own.clone(), only.to_string());
            *taken.entry(only).or_insert(0) += 1;
        }
    }
    renames.retain(|_, to| taken.get(to.as_str()) == Some(&1));
    renames
}

fn renamed_note(renames: &BTreeMap<String, String>) -> String {
    const SHOWN: usize = 5;
    let mut list: Vec<String> = renames
        .iter()
        .take(SHOWN)
        .map(|(from, to)| format!("{from} as {to}"))
        .collect();
    if renames.len() > SHOWN {
        list.push(format!("and {} more", renames.len() - SHOWN));
    }
    format!(
        "{} named from {} file or directory name read as the logs name {} (no line names {} as the file does): {}",
        crate::units::count(renames.len(), "node"),
        if renames.len() == 1 { "its" } else { "their" },
        if renames.len() == 1 { "it" } else { "them" },
        if renames.len() == 1 { "it" } else { "them" },
        list.join(", ")
    )
}

/// The latest instant a file's lines can have been written: its last
/// modification, or now for standard input (a line without a year, a syslog
/// header's, takes the year that puts it no later than this).
fn reference(s: &Source) -> UnixNs {
    let t = s
        .path
        .as_ref()
        .and_then(|p| std::fs::metadata(p).ok()?.modified().ok())
        .unwrap_or_else(std::time::SystemTime::now);
    match t.duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => d.as_nanos().min(i64::MAX as u128 / 2) as UnixNs,
        Err(_) => 0,
    }
}

/// A file's lines found out of time order across its nodes.
#[derive(Clone, Debug)]
struct Unsorted {
    file: usize,
    line: u64,
    node: String,
    /// The node of the later-stamped line above it.
    after: String,
}

/// The nodes a file's memberlist and Serf lines belong to, in first-seen
/// order (more than [`MAX_READ_PER_NODE`] are not listed). Errors are the
/// read's to report, with their line.
fn nodes_of(s: &Source, own: Option<&str>) -> Vec<String> {
    let mut nodes: Vec<String> = Vec::new();
    let Ok(mut reader) = LineReader::open(s) else {
        return nodes;
    };
    while let Ok(Some(line)) = reader.next_line() {
        // The zone does not matter here: only the observer is looked at.
        let Frame::Line(f) = frame_at(line.text, 0, Some(reference(s))) else {
            continue;
        };
        let Some(name) = f.observer.or(own) else {
            continue;
        };
        if speaks_a_table_layer(&f.message) && !nodes.iter().any(|n| n == name) {
            nodes.push(name.to_string());
            if nodes.len() > MAX_READ_PER_NODE {
                break;
            }
        }
    }
    nodes
}

/// One merge's analysis, with what the next merge may change.
struct Merged {
    analysis: Analysis,
    /// Names a line's message names.
    mentioned: BTreeSet<NodeId>,
    /// Per input: its Serf member events and its stamps' zones.
    samples: Vec<zones::Sample>,
    /// What the lines tell of Consul's WAN pool.
    wan_seen: WanSeen,
    /// Per input: whether its lines are Consul's or Nomad's.
    products: Vec<Product>,
    /// Per input: the names its own lines give its node.
    own_names: Vec<OwnNames>,
}

/// The names a file's own lines give the node that wrote it (a banner's
/// `Node name: 'a-01'` anywhere in it, memberlist's `Refuting an alive
/// message for 'a-01'`, which it logs of itself only): name → the first
/// line and what it was. A few at most: more mean a file of several nodes.
#[derive(Clone, Debug, Default)]
struct OwnNames(BTreeMap<String, (u64, &'static str)>);

impl OwnNames {
    fn add(&mut self, name: &str, line: u64, how: &'static str) {
        if self.0.len() < 4 && !self.0.contains_key(name) {
            self.0.insert(name.to_string(), (line, how));
        }
    }
}

/// Serf's `EventMemberJoin/Failed/Leave` (`NAME ADDRESS`), after which
/// Consul 0.1.0–0.2.1 named a WAN member by its address only.
fn is_serf_member_event(kind: crate::protocol::event::EventKind) -> bool {
    use crate::protocol::event::EventKind as K;
    matches!(
        kind,
        K::SerfMemberJoin | K::SerfMemberFailed | K::SerfMemberLeave
    )
}

/// How the inputs are read, as settled so far.
struct Plan<'a> {
    sources: &'a [Source],
    owns: &'a [(Option<String>, ObserverFrom)],
    file_zones: &'a [(i64, ZoneFrom)],
    /// Per input: its clock's error taken out, in seconds (see
    /// [`clock_corrections`]).
    clocks: &'a [i64],
    /// Consul WAN-pool member names (their Go-log lines are left out).
    wan: &'a BTreeSet<String>,
    /// Per input: a Nomad log, whose lines are never Consul's WAN pool's.
    nomad: &'a [bool],
    /// Byte-identical copies, not read.
    copies: &'a [bool],
    /// Files read once per node: their nodes, and where that was found.
    per_node: &'a BTreeMap<usize, (Vec<String>, Unsorted)>,
}

impl Plan<'_> {
    /// How a merge's readers share the read buffers' budget: one stream per
    /// input read, one per node of a file read once per node.
    fn share(&self) -> ReadShare {
        let streams = (0..self.sources.len())
            .filter(|&i| !self.copies[i])
            .map(|i| self.per_node.get(&i).map_or(1, |(nodes, _)| nodes.len()))
            .sum();
        ReadShare::among(streams)
    }

    /// The streams input `i` is read in: one, or one per node of a file read
    /// once per node, each reader with `share`'s buffers.
    fn streams(&self, i: usize, share: ReadShare) -> Result<Vec<Stream>, InputError> {
        let s = &self.sources[i];
        let (own, from) = &self.owns[i];
        let split = self.per_node.get(&i);
        let onlys: Vec<Option<String>> = match split {
            Some((nodes, _)) => nodes.iter().cloned().map(Some).collect(),
            None => vec![None],
        };
        let mut streams = Vec::with_capacity(onlys.len());
        for (k, only) in onlys.into_iter().enumerate() {
            let reader = LineReader::with_buffer(s, share.buffer)
                .map_err(|e| InputError(format!("{}: cannot open: {e}", s.named())))?;
            streams.push(Stream {
                file: i,
                source: s.clone(),
                report: FileReport {
                    label: s.label.clone(),
                    gzip: reader.gzip,
                    observer: own.clone(),
                    observer_from: Some(*from),
                    read_per_node: split.map_or(0, |(n, _)| n.len()),
                    reference: reference(s),
                    clock_s: self.clocks[i],
                    unsorted_at: split.map(|(_, u)| (u.line, u.node.clone(), u.after.clone())),
                    ..FileReport::default()
                },
                reader,
                own_observer: own.clone(),
                reference: reference(s),
                only,
                zone: self.file_zones[i].0,
                clock: self.clocks[i] * SEC as UnixNs,
                sample: zones::Sample::new(self.sources.len()),
                wan_seen: WanSeen::default(),
                product: Product::default(),
                nomad: self.nomad[i],
                own_names: OwnNames::default(),
                prefixed_seen: Vec::new(),
                counts_all: k == 0,
                last: None,
                last_observer: String::new(),
                unsorted: None,
                done: false,
            });
        }
        Ok(streams)
    }
}

/// Every file not yet read once per node, other than `found` (already
/// known), whose nodes' lines are not in time order across nodes: each read
/// once, alone, to its end or to its first such line, by the merge's own
/// rule (a [`Stream`] as the merge reads it). Why: finding them one merge at
/// a time restarted the merge once per such file, every input read again
/// each time.
fn find_unsorted(plan: &Plan, opt: &Options, found: usize) -> Result<Vec<Unsorted>, InputError> {
    let mut out = Vec::new();
    let share = plan.share();
    for i in 0..plan.sources.len() {
        let known = i == found || plan.per_node.contains_key(&i);
        if known || plan.copies[i] || !plan.sources[i].rereadable() {
            continue;
        }
        // Names and counts are this pass's own, thrown away after it.
        let mut names = Interner {
            max: opt.max_nodes,
            ..Interner::default()
        };
        let (mut votes, mut kinds) = ([0u64; 3], BTreeMap::new());
        for mut st in plan.streams(i, share)? {
            while st
                .next(opt, plan.wan, &mut names, &mut votes, &mut kinds)?
                .is_some()
            {}
            if let Some(u) = st.unsorted.take() {
                out.push(st.unsorted_at(u));
            }
        }
    }
    Ok(out)
}

/// The streams that hold a gzip decoder, at most [`ReadShare::open_gzip`]
/// after each read: when one more made one, the one read longest ago is
/// parked ([`LineReader::park`]). Why: a decoder's memory cannot be shared
/// out as buffers can, and a merge reads thousands of files at once. Least
/// recently read first: a rotation waiting for its time is parked after its
/// first lines and costs nothing more until then; a parked stream reading
/// the decoded bytes it kept holds no decoder and parks none.
struct OpenDecoders {
    max: usize,
    /// (when last read, stream) of the streams holding a decoder.
    open: BTreeSet<(u64, usize)>,
    /// By stream: when it was last read, if it holds a decoder.
    since: Vec<Option<u64>>,
    clock: u64,
}

impl OpenDecoders {
    fn new(max: usize, streams: usize) -> OpenDecoders {
        OpenDecoders {
            max,
            open: BTreeSet::new(),
            since: vec![None; streams],
            clock: 0,
        }
    }

    /// Stream `i` was just read: if it holds a decoder, the one read
    /// longest ago is parked when that makes one too many.
    fn read(&mut self, i: usize, streams: &mut [Stream]) {
        if let Some(t) = self.since[i].take() {
            self.open.remove(&(t, i));
        }
        if !(streams[i].reader.parkable() && streams[i].reader.decoding()) {
            return;
        }
        self.clock += 1;
        self.open.insert((self.clock, i));
        self.since[i] = Some(self.clock);
        while self.open.len() > self.max {
            let Some((_, j)) = self.open.pop_first() else {
                break;
            };
            self.since[j] = None;
            streams[j].reader.park();
        }
    }
}

/// One merge of every input by time: the analysis, or the first file found
/// not in time order across its nodes (to be read once per node).
fn merge(
    plan: &Plan,
    opt: &Options,
    skipped: &[String],
) -> Result<Result<Merged, Unsorted>, InputError> {
    let sources = plan.sources;
    let wan = plan.wan;
    let mut names = Interner {
        max: opt.max_nodes,
        ..Interner::default()
    };
    let share = plan.share();
    let mut streams = Vec::with_capacity(sources.len());
    for i in 0..sources.len() {
        if !plan.copies[i] {
            streams.extend(plan.streams(i, share)?);
        }
    }
    let mut decoders = OpenDecoders::new(share.open_gzip, streams.len());
    let mut generation_votes = [0u64; 3];
    let mut kinds = BTreeMap::new();
    // The merge: one pending entry per stream, the earliest first (ties by input
    // order, so the result does not depend on anything but the inputs).
    let mut pending: Vec<Option<Entry>> = Vec::with_capacity(streams.len());
    let mut heap = BinaryHeap::new();
    for i in 0..streams.len() {
        let e = streams[i].next(opt, wan, &mut names, &mut generation_votes, &mut kinds)?;
        decoders.read(i, &mut streams);
        let st = &mut streams[i];
        if let Some(u) = st.unsorted.take() {
            return Ok(Err(st.unsorted_at(u)));
        }
        if let Some(e) = &e {
            heap.push(Reverse((e.at, i)));
        }
        pending.push(e);
    }
    let mut state: Option<(Collector, UnixNs)> = None;
    let mut tracker = Tracker {
        flap_timeout: opt.flap_timeout,
        warmup: 0,
        pending: BTreeMap::new(),
        latest: BTreeMap::new(),
        open_episode: BTreeMap::new(),
        episodes: Vec::new(),
        ambiguous: 0,
        skew_groups: BTreeMap::new(),
        skew: BTreeMap::new(),
    };
    let mut observers = BTreeSet::new();
    let mut restarts = Vec::new();
    let mut tcp_rescues = BTreeMap::new();
    let mut refuted = BTreeMap::new();
    let mut first = None;
    // The stream and line of the first line, which set the origin t0.
    let mut origin = (0, 0);
    let mut last = 0;
    let mut precision = 1i64;
    while let Some(Reverse((_, i))) = heap.pop() {
        let Some(e) = pending[i].take() else {
            continue;
        };
        let (collector, t0) = state.get_or_insert_with(|| {
            origin = (i, e.line);
            let t0 = e.at.div_euclid(3600 * SEC as i64) * 3600 * SEC as i64;
            // The measured window starts at --since, else at the first line:
            // t0 is only the charts' origin (the hour), and counting from it
            // would stretch the window over time no log covered.
            let start = opt.since.unwrap_or(e.at);
            let warmup = (start - t0).max(0) as Nanos;
            tracker.warmup = warmup;
            (new_collector(opt, warmup), t0)
        });
        let rel = (e.at - *t0) as Nanos;
        if rel > MAX_SPAN {
            let first_at = first.unwrap_or(*t0);
            return Err(InputError(format!(
                "lines span more than {} days: {}:{} is stamped {} and {}:{} {}; one of them is off (a clock not yet set at boot, before NTP?) or the logs are of different years: narrow with --since/--until (lines more than {} before --since are skipped)",
                MAX_SPAN / (24 * 3600 * SEC),
                streams[origin.0].source.named(),
                origin.1,
                super::time::format_utc(first_at, false),
                streams[i].source.named(),
                e.line,
                super::time::format_utc(e.at, false),
                crate::units::format_duration(lookback(opt) as Nanos),
            )));
        }
        first.get_or_insert(e.at);
        last = e.at;
        precision = precision.max(e.precision);
        observers.insert(e.observer);
        let o = e.observer;
        match e.what {
            Understood::Event(ev) => {
                // The events the zone check samples (the same kinds, the
                // same numbering) also measure each observer's clock skew.
                if let Some((kind, subject)) = shared_kind(&ev).filter(|&(_, s)| s != o) {
                    tracker.skew_event(kind, rel, o, subject);
                }
                match ev {
                    Event::SerfMemberJoin { subject } if subject == o => {
                        // A (re)started process: its view starts empty.
                        collector.truth(rel, o, Truth::Left);
                        collector.truth(rel, o, Truth::Up);
                        tracker.forget_observer(o);
                        restarts.push((rel, o));
                    }
                    Event::SerfMemberJoin { subject } => {
                        tracker.joined(rel, e.precision, o, subject);
                    }
                    Event::SerfMemberFailed { subject } => {
                        tracker.failed(rel, e.precision, o, subject);
                    }
                    Event::SerfMemberLeave { subject } => {
                        tracker.pending.remove(&(o, subject));
                        tracker.latest.insert(subject, (rel, false));
                    }
                    Event::TcpFallbackRescued { subject } if rel >= tracker.warmup => {
                        *tcp_rescues.entry(subject).or_insert(0) += 1;
                    }
                    Event::Refuted { kind, from, .. }
                        if rel >= tracker.warmup && kind != RefuteKind::Alive && from != o =>
                    {
                        *refuted.entry((o, from)).or_insert(0) += 1;
                    }
                    _ => {}
                }
                collector.protocol(rel, o, &ev);
                // Counts only: the records are dropped as they come.
                collector.drain_records();
            }
            Understood::Other => {}
        }
        let next = streams[i].next(opt, wan, &mut names, &mut generation_votes, &mut kinds)?;
        decoders.read(i, &mut streams);
        if let Some(u) = streams[i].unsorted.take() {
            return Ok(Err(streams[i].unsorted_at(u)));
        }
        if let Some(n) = &next {
            heap.push(Reverse((n.at, i)));
        }
        pending[i] = next;
    }
    let Some((collector, t0)) = state else {
        let read: u64 = streams.iter().map(|s| s.report.lines).sum();
        // One per file (a file read once per node has several streams).
        let streams: Vec<&Stream> = streams.iter().filter(|s| s.counts_all).collect();
        let within = if opt.since.is_some() || opt.until.is_some() {
            " within --since/--until"
        } else {
            ""
        };
        // Every understood line far before --since: say so.
        let early: u64 = streams.iter().map(|s| s.report.before_since).sum();
        if let (Some(since), true) = (opt.since, early > 0) {
            return Err(InputError(format!(
                "no line within the window asked for (--since {}): all {} are more than {} before it",
                super::time::format_utc(since, true),
                crate::units::count(early as usize, "memberlist or Serf line"),
                crate::units::format_duration(lookback(opt) as Nanos),
            )));
        }
        // Every understood line at or after --until: say where the logs start.
        let starts = streams
            .iter()
            .filter_map(|s| s.report.first_after_until)
            .min();
        if let (Some(until), Some(start)) = (opt.until, starts) {
            return Err(InputError(format!(
                "no line within the window asked for (--until {}): the logs' first memberlist or Serf line is at {}, after it",
                super::time::format_utc(until, true),
                super::time::format_utc(start, true),
            )));
        }
        let lines = crate::units::count(read as usize, "line");
        // Named: with several inputs, which were read; with one, which it was.
        const NAMED: usize = 3;
        let mut labels: Vec<String> = (streams.iter().take(NAMED))
            .map(|s| s.source.named().to_string())
            .collect();
        if streams.len() > NAMED {
            labels.push("…".to_string());
        }
        let inputs = format!(
            "{} ({})",
            crate::units::count(streams.len(), "input"),
            labels.join(", ")
        );
        // A start-up banner says the file is an agent's log: then it is not
        // the wrong kind of file, only one with nothing to say.
        let agents: Vec<&str> = streams
            .iter()
            .filter(|s| s.report.observer_from == Some(ObserverFrom::Banner))
            .filter_map(|s| s.report.observer.as_deref())
            .collect();
        return Err(InputError(if agents.len() == streams.len() {
            format!(
                "no memberlist or Serf line in {lines} of {inputs}{within}, though the start-up banner shows an agent's log ({}): no suspicion, failure or join was logged there (a quiet cluster), or the agent logs above INFO level",
                agents.join(", ")
            )
        } else {
            format!(
                "no memberlist or Serf line understood in {lines} of {inputs}{within}; is this a Consul, Serf or Nomad log (at INFO level or above)?"
            )
        }));
    };
    let first = first.unwrap_or(t0);
    // Every line before --since: nothing was measured. Zero flaps over no time
    // is no evidence of a stable cluster.
    if let Some(since) = opt.since.filter(|&s| last < s) {
        let fine = precision < SEC as i64;
        return Err(InputError(format!(
            "no line within the window asked for (--since {}{}): the logs' memberlist and Serf lines span {} .. {}, all before it",
            super::time::format_utc(since, true),
            opt.until
                .map(|u| format!(" --until {}", super::time::format_utc(u, true)))
                .unwrap_or_default(),
            super::time::format_utc(first, fine),
            super::time::format_utc(last, fine),
        )));
    }
    for (_, g) in std::mem::take(&mut tracker.skew_groups) {
        tracker.close_group(g.1);
    }
    let end = match opt.until {
        Some(u) => (u - t0).max(1) as Nanos,
        None => (last - t0) as Nanos + precision as Nanos,
    };
    // Failed, never seen back, and not just before the end: gone, not flapping.
    let down_at_end = tracker
        .latest
        .iter()
        .filter(|(_, &(at, failed))| failed && end.saturating_sub(at) >= opt.flap_timeout)
        .map(|(&n, _)| n)
        .collect();
    let mut metrics = collector.finish(end, 0);
    // The collector was sized for --max-nodes; the cluster is the names seen.
    let n = names.names.len();
    metrics.nodes = n;
    metrics.per_node.truncate(n);
    metrics.host.truncate(n);
    let names_v = names.names;
    let mentioned = names.mentioned;
    // One report per file: a file read once per node, its streams' summed.
    let mut files: Vec<(usize, FileReport)> = Vec::new();
    let mut samples = vec![zones::Sample::default(); sources.len()];
    let mut wan_seen = WanSeen::default();
    let mut products = vec![Product::default(); sources.len()];
    let mut own_names = vec![OwnNames::default(); sources.len()];
    for s in streams {
        samples[s.file].add(s.sample);
        wan_seen.add(s.wan_seen);
        products[s.file].add(s.product);
        for (n, (line, how)) in s.own_names.0 {
            own_names[s.file].add(&n, line, how);
        }
        match files.last_mut() {
            Some((f, r)) if *f == s.file => r.add(s.report),
            _ => files.push((s.file, s.report)),
        }
    }
    for (f, r) in files.iter_mut() {
        r.zone = (samples[*f].zoneless > 0).then_some(plan.file_zones[*f]);
    }
    Ok(Ok(Merged {
        analysis: Analysis {
            metrics,
            names: names_v,
            ip_of: names.ip_of,
            t0,
            first,
            last,
            precision,
            files: files
                .into_iter()
                .map(|(_, mut r)| {
                    // Every line named its observer: the file's own name played no part.
                    if r.unprefixed == 0 && !r.prefixed_observers.is_empty() {
                        r.observer = None;
                        r.observer_from = Some(ObserverFrom::Prefix);
                    }
                    r
                })
                .collect(),
            observers,
            episodes: tracker.episodes,
            flaps_ambiguous: tracker.ambiguous,
            restarts,
            skew: tracker.skew,
            generation_votes,
            kinds,
            tcp_rescues,
            refuted,
            down_at_end,
            skipped: skipped.to_vec(),
            notes: Vec::new(),
        },
        mentioned,
        samples,
        wan_seen,
        products,
        own_names,
    }))
}

/// The run's collector, sized for `max_nodes` names, with the diagnosis's
/// window and Serf FlapTimeout. It is built from a generated cluster because the
/// collector takes its sizes from a scenario; no scenario field other than those
/// set here reaches the counts (every node is "up and healthy": the logs carry no
/// ground truth).
fn new_collector(opt: &Options, warmup: Nanos) -> Collector {
    let mut s = Scenario::healthy_cluster(opt.max_nodes, BIN, "memberlist", 0)
        .expect("the default preset exists");
    s.warmup = warmup;
    s.timeseries_bin = BIN;
    s.protocol.serf.flap_timeout = opt.flap_timeout;
    Collector::new(&s)
}
