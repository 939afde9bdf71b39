//! What a run measured (model.md §6): false positives, flaps, blame, detection
//! latency of real crashes, load, local health, and per-bin time series.
//!
//! The engine drives a [`Collector`] through [`Observer`] while the run goes; at the
//! end, [`Collector::finish`] turns it into [`Metrics`], which the `report` writers
//! read. Why it is shaped this way:
//! - Packets outnumber protocol events by orders of magnitude, so the packet
//!   callbacks touch only dense per-node arrays and the current time bin: no maps,
//!   no allocation.
//! - Protocol events are rare, so each one is kept (for `events.jsonl` and
//!   `memberlist.log`) and bookkeeping about them may use `BTreeMap`s, which also keep
//!   every iteration that reaches an output in a deterministic order.
//! - Counts and rates exclude the warm-up window (`Scenario::warmup`); the retained
//!   event list and the time series keep everything and mark what is warm-up.
//!
//! Ground truth starts from the scenario: nodes with `starts: true` are up at t = 0,
//! the others absent until the engine reports [`Truth::Up`].

pub mod oracle;
pub mod spill;
pub mod stats;
pub mod timeline;
pub mod wire;

#[cfg(test)]
mod tests;
#[cfg(test)]
pub(crate) mod testutil;

use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasherDefault;
use std::sync::Arc;

use crate::protocol::idmap::IdHasher;

/// `(observer, subject)` → `V` with the protocol's fixed (unseeded) id hash.
type PairMap<V> = HashMap<(NodeId, NodeId), V, BuildHasherDefault<IdHasher>>;

use crate::engine::{DropReason, HostSample, Observer, PacketKind, Truth};
use crate::protocol::event::RefuteKind;
use crate::protocol::{Event, Nanos, NodeId, Packet, State, SEC};
use crate::scenario::Scenario;

pub use stats::{quantiles, Durations, Quantiles};

/// Every [`PacketKind`], in the order of the per-kind arrays.
pub const PACKET_KINDS: [PacketKind; 6] = [
    PacketKind::Ping,
    PacketKind::IndirectPing,
    PacketKind::Ack,
    PacketKind::Nack,
    PacketKind::Gossip,
    PacketKind::PushPull,
];

/// Every [`DropReason`], in the order of the per-reason arrays.
pub const DROP_REASONS: [DropReason; 5] = [
    DropReason::Loss,
    DropReason::Partition,
    DropReason::ReceiveBufferFull,
    DropReason::PeerDown,
    DropReason::ConnectionClosed,
];

/// Index of a packet kind in per-kind arrays.
pub fn kind_index(kind: PacketKind) -> usize {
    match kind {
        PacketKind::Ping => 0,
        PacketKind::IndirectPing => 1,
        PacketKind::Ack => 2,
        PacketKind::Nack => 3,
        PacketKind::Gossip => 4,
        PacketKind::PushPull => 5,
    }
}

/// snake_case name of a packet kind, as used in summary.json.
pub fn kind_name(kind: PacketKind) -> &'static str {
    match kind {
        PacketKind::Ping => "ping",
        PacketKind::IndirectPing => "indirect_ping",
        PacketKind::Ack => "ack",
        PacketKind::Nack => "nack",
        PacketKind::Gossip => "gossip",
        PacketKind::PushPull => "push_pull",
    }
}

fn drop_index(reason: DropReason) -> usize {
    match reason {
        DropReason::Loss => 0,
        DropReason::Partition => 1,
        DropReason::ReceiveBufferFull => 2,
        DropReason::PeerDown => 3,
        DropReason::ConnectionClosed => 4,
    }
}

/// snake_case name of a drop reason, as used in summary.json.
pub fn drop_name(reason: DropReason) -> &'static str {
    match reason {
        DropReason::Loss => "loss",
        DropReason::Partition => "partition",
        DropReason::ReceiveBufferFull => "receive_buffer_full",
        DropReason::PeerDown => "peer_down",
        DropReason::ConnectionClosed => "connection_closed",
    }
}

/// Process state of a node as ground truth.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Life {
    Up,
    Crashed,
    Left,
    /// Not started yet (`starts: false` before its `join`).
    Absent,
}

/// Packets and bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Load {
    pub msgs: u64,
    pub bytes: u64,
}

/// One retained record: a protocol event at an observer, or a ground-truth change of
/// a node (then `node` is that node).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Record {
    pub at: Nanos,
    pub node: NodeId,
    pub what: What,
    /// Set on DEAD declarations only: how it was classified at that instant.
    pub class: Option<Class>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum What {
    Protocol(Event),
    Truth(Truth),
}

/// Ground truth at the instant of a failure declaration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Class {
    /// The subject was up: a false positive.
    pub subject_up: bool,
    pub subject_degraded: bool,
    pub observer_degraded: bool,
}

impl Class {
    pub fn fp(&self) -> bool {
        self.subject_up
    }
    /// FP about a subject no fault touched.
    pub fn fp_healthy(&self) -> bool {
        self.subject_up && !self.subject_degraded
    }
    /// FP where neither observer nor subject was touched by a fault.
    pub fn fp_both_healthy(&self) -> bool {
        self.fp_healthy() && !self.observer_degraded
    }
}

/// All DEAD declarations of one subject at one incarnation of one of its
/// processes, cluster-wide.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Episode {
    pub first_at: Nanos,
    pub declarations: u32,
    /// Declarations made while the subject was up.
    pub false_positives: u32,
}

/// A flap episode's key: the subject, which of its processes (counted from 1
/// at its first start) and the incarnation declared dead.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct EpisodeKey {
    pub subject: NodeId,
    pub process: u32,
    pub incarnation: u32,
}

impl Episode {
    /// A flap episode: the subject was up when (some) observers declared it dead.
    pub fn is_flap(&self) -> bool {
        self.false_positives > 0
    }
}

/// Detection of one real crash (model.md §6). Latencies are from the crash.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CrashRecord {
    pub subject: NodeId,
    pub at: Nanos,
    pub first_suspect: Option<Nanos>,
    pub first_dead: Option<Nanos>,
    pub full_dissemination: Option<Nanos>,
    /// The subject came back before every up node held it dead.
    pub restarted_before_full: bool,
}

/// Per-node counters over the measured window.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NodeMetrics {
    /// `Suspect X has failed, no acks received` originated here (accusations).
    pub suspicions_raised: u64,
    /// Refutations (suspect/dead) elsewhere naming this node as the accuser
    /// (not its own refutations that name itself: push/pull accusations).
    pub refutations_naming: u64,
    /// Refutations this node made.
    pub refutations_made: u64,
    /// DEAD declarations this node made.
    pub declarations_made: u64,
    /// DEAD declarations about this node while it was up.
    pub fp_about: u64,
    /// Serf flaps of this node (at any observer).
    pub flaps_as_subject: u64,
    pub sent: [Load; 6],
    pub received: [Load; 6],
    /// Packets to this node that were dropped.
    pub drops_to: u64,
    /// Highest Lifeguard health score seen (events and host samples).
    pub health_max: u32,
    /// Reported at least one host sample (has a CPU model).
    pub sampled: bool,
}

impl NodeMetrics {
    pub fn sent_total(&self) -> Load {
        sum_loads(&self.sent)
    }
    pub fn received_total(&self) -> Load {
        sum_loads(&self.received)
    }
}

fn sum_loads(l: &[Load; 6]) -> Load {
    l.iter().fold(Load::default(), |a, b| Load {
        msgs: a.msgs + b.msgs,
        bytes: a.bytes + b.bytes,
    })
}

/// One time-series bin. Counts include warm-up bins (marked by the writer).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Bin {
    pub suspicions: u32,
    pub declarations: u32,
    pub fp: u32,
    pub fp_healthy: u32,
    pub flaps: u32,
    /// Flaps whose subject was up and not degraded when declared failed.
    pub flaps_healthy: u32,
    pub refutations: u32,
    pub sent: Load,
    pub received: Load,
    pub drops: u64,
    /// Sum of all nodes' health scores at the end of the bin.
    pub health_sum: u64,
    /// Highest health score of any node during the bin.
    pub health_max: u32,
}

impl Bin {
    /// Add `later`'s counts to this bin (the one before it); the health sum
    /// at the end is `later`'s.
    fn absorb(&mut self, later: &Bin) {
        self.suspicions += later.suspicions;
        self.declarations += later.declarations;
        self.fp += later.fp;
        self.fp_healthy += later.fp_healthy;
        self.flaps += later.flaps;
        self.flaps_healthy += later.flaps_healthy;
        self.refutations += later.refutations;
        self.sent.msgs += later.sent.msgs;
        self.sent.bytes += later.sent.bytes;
        self.received.msgs += later.received.msgs;
        self.received.bytes += later.received.bytes;
        self.drops += later.drops;
        self.health_sum = later.health_sum;
        self.health_max = self.health_max.max(later.health_max);
    }
}

/// A host sample placed in its bin.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HostPoint {
    pub bin: u32,
    pub credits: Option<f64>,
    pub parked_fraction: f64,
    pub health_score: u32,
}

/// Run-wide counters over the measured window.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Totals {
    /// DEAD declarations (NotifyLeave with state Dead).
    pub declarations: u64,
    pub fp: u64,
    pub fp_healthy: u64,
    pub fp_both_healthy: u64,
    /// Leaves seen (LEFT, or DEAD with `from == subject`): never failures.
    pub left_declarations: u64,
    /// Serf flaps by the FlapTimeout definition.
    pub flaps: u64,
    /// Flaps whose subject was up and not degraded when it was declared failed:
    /// the damage a sick node does to the rest of the cluster.
    pub flaps_healthy: u64,
    /// `serf.member.flap` as the protocol reported it (cross-check of `flaps`).
    pub serf_flap_metric: u64,
    pub serf_failed: u64,
    pub serf_joins: u64,
    /// Accusations originated (`SuspectNoAcks`).
    pub suspicions: u64,
    /// Observers moving a node to SUSPECT (`memberlist.msg.suspect`).
    pub suspect_held: u64,
    pub refutations: u64,
    /// Refutations by kind: suspect, dead, alive.
    pub refutations_by_kind: [u64; 3],
    pub suspicion_expired: u64,
    /// `memberlist.degraded.timeout`.
    pub suspicion_expired_degraded: u64,
    /// Confirmation count when the suspicion timer fired (Lifeguard only).
    pub expired_confirmations: BTreeMap<u32, u64>,
    pub degraded_probes: u64,
    pub failed_udp_pings: u64,
    pub tcp_fallback_rescues: u64,
    pub push_pull_failures: u64,
    /// State messages a full hand-off queue dropped (memberlist's WARN).
    pub handoff_queue_drops: u64,
    pub drops: [u64; DROP_REASONS.len()],
}

/// A blame-table row (see [`Metrics::blame`]).
#[derive(Clone, Debug, PartialEq)]
pub struct BlameRow {
    pub node: NodeId,
    pub suspicions_raised: u64,
    pub refutations_naming: u64,
    /// Share of all suspicions raised (0 when there were none).
    pub suspicion_share: f64,
    pub refutation_share: f64,
}

/// Detection latencies over measured crashes.
#[derive(Clone, Debug, PartialEq)]
pub struct Detection {
    pub crashes: usize,
    pub first_suspect: Option<Quantiles>,
    pub first_dead: Option<Quantiles>,
    pub full_dissemination: Option<Quantiles>,
    /// Crashes never fully disseminated by the end (or before the node restarted).
    pub not_disseminated: usize,
}

/// The finished measurements of a run.
#[derive(Clone, Debug)]
pub struct Metrics {
    pub end: Nanos,
    pub digest: u64,
    pub warmup: Nanos,
    pub bin: Nanos,
    pub nodes: usize,
    pub totals: Totals,
    pub per_node: Vec<NodeMetrics>,
    /// Key (subject, its process, incarnation): a restarted process counts its
    /// incarnations from the start again, so a key without the process would
    /// merge its episodes with the old process's.
    pub episodes: BTreeMap<EpisodeKey, Episode>,
    /// Time from EventMemberFailed to EventMemberJoin of each flap.
    pub rejoin: Durations,
    /// Time from an observer's SUSPECT to its ALIVE again (a refutation seen).
    pub suspicion_to_clear: Durations,
    /// Accuser × accused (SuspectNoAcks) counts.
    pub accusations: BTreeMap<(NodeId, NodeId), u64>,
    pub crashes: Vec<CrashRecord>,
    pub bins: Vec<Bin>,
    /// Host samples per node (None for nodes without a CPU model).
    pub host: Vec<Option<Vec<HostPoint>>>,
    /// Every protocol event and truth change, in the order reported.
    pub events: Vec<Record>,
    /// Records a streaming run left in a spill file for the charts instead of
    /// `events` ([`Metrics::for_each_record`] walks both).
    pub spilled: Option<Arc<spill::Spilled>>,
    /// Suspicion episodes on the wire, when the collector was asked to record
    /// them ([`Collector::record_wire_suspicions`]).
    pub wire_suspicions: Option<wire::WireSuspicions>,
    /// Nodes any fault touched during the run (a `Truth::Degraded(true)`
    /// seen), noted as the run goes: the charts need it first, and a pass over
    /// a sick run's spilled records to find it decoded 5 M records.
    pub ever_degraded: Vec<bool>,
}

impl Metrics {
    /// Call `f` with every retained record in order: `events`, then the
    /// spilled ones, read from their file in one pass (memory flat in the
    /// run's length). A failed read is kept in the spill
    /// ([`Metrics::spill_failure`]).
    pub fn for_each_record(&self, mut f: impl FnMut(&Record)) {
        self.events.iter().for_each(&mut f);
        if let Some(s) = &self.spilled {
            s.for_each(f);
        }
    }

    /// How many records [`Metrics::for_each_record`] walks.
    pub fn record_count(&self) -> usize {
        self.events.len() + self.spilled.as_ref().map_or(0, |s| s.len())
    }

    /// Why a pass over the spilled records failed, if one did: anything
    /// computed from the records since is incomplete and must not be published.
    pub fn spill_failure(&self) -> Option<&str> {
        self.spilled.as_ref().and_then(|s| s.failure())
    }

    /// Length of the measured window (run end − warm-up).
    pub fn measured(&self) -> Nanos {
        self.end.saturating_sub(self.warmup)
    }

    pub fn measured_hours(&self) -> f64 {
        hours(self.measured())
    }

    /// Flap episodes ((subject, process, incarnation) with a false declaration) that began in
    /// the measured window.
    pub fn flap_episodes(&self) -> u64 {
        self.episodes
            .values()
            .filter(|e| e.is_flap() && e.first_at >= self.warmup)
            .count() as u64
    }

    /// Flaps per hour of the measured window (0 when the window is empty).
    pub fn flaps_per_hour(&self) -> f64 {
        per_hour(self.totals.flaps, self.measured())
    }

    /// Flaps per node-hour: node-hours are `nodes × measured hours`.
    pub fn flaps_per_node_hour(&self) -> f64 {
        per(
            self.totals.flaps as f64,
            self.measured_hours() * self.nodes as f64,
        )
    }

    /// Every node that raised a suspicion or was named by a refutation, most
    /// suspicions first, then most refutations naming it, then by name.
    pub fn blame(&self, names: &[String]) -> Vec<BlameRow> {
        let s_total: u64 = self.per_node.iter().map(|n| n.suspicions_raised).sum();
        let r_total: u64 = self.per_node.iter().map(|n| n.refutations_naming).sum();
        let mut rows: Vec<BlameRow> = self
            .per_node
            .iter()
            .enumerate()
            .filter(|(_, n)| n.suspicions_raised > 0 || n.refutations_naming > 0)
            .map(|(i, n)| BlameRow {
                node: i as NodeId,
                suspicions_raised: n.suspicions_raised,
                refutations_naming: n.refutations_naming,
                suspicion_share: per(n.suspicions_raised as f64, s_total as f64),
                refutation_share: per(n.refutations_naming as f64, r_total as f64),
            })
            .collect();
        rows.sort_by(|a, b| {
            b.suspicions_raised
                .cmp(&a.suspicions_raised)
                .then(b.refutations_naming.cmp(&a.refutations_naming))
                .then_with(|| name_of(names, a.node).cmp(name_of(names, b.node)))
        });
        rows
    }

    /// Detection latencies over crashes that happened in the measured window.
    pub fn detection(&self) -> Detection {
        let measured: Vec<&CrashRecord> = self
            .crashes
            .iter()
            .filter(|c| c.at >= self.warmup)
            .collect();
        let lat = |f: &dyn Fn(&CrashRecord) -> Option<Nanos>| {
            let mut v: Vec<Nanos> = measured
                .iter()
                .filter_map(|c| f(c).map(|t| t - c.at))
                .collect();
            v.sort_unstable();
            quantiles(&v)
        };
        Detection {
            crashes: measured.len(),
            first_suspect: lat(&|c| c.first_suspect),
            first_dead: lat(&|c| c.first_dead),
            full_dissemination: lat(&|c| c.full_dissemination),
            not_disseminated: measured
                .iter()
                .filter(|c| c.full_dissemination.is_none())
                .count(),
        }
    }

    /// Packets and bytes sent per node per second over the measured window.
    pub fn sent_per_node_s(&self) -> (f64, f64) {
        let t = self
            .per_node
            .iter()
            .fold(Load::default(), |a, n| add(a, n.sent_total()));
        let denom = self.nodes as f64 * stats::secs(self.measured());
        (per(t.msgs as f64, denom), per(t.bytes as f64, denom))
    }

    /// True when `at` falls in the warm-up window.
    pub fn in_warmup(&self, at: Nanos) -> bool {
        at < self.warmup
    }
}

fn add(a: Load, b: Load) -> Load {
    Load {
        msgs: a.msgs + b.msgs,
        bytes: a.bytes + b.bytes,
    }
}

fn name_of(names: &[String], id: NodeId) -> &str {
    names.get(id as usize).map(String::as_str).unwrap_or("")
}

/// `a / b`, or 0 when `b` is 0.
/// `ns` in hours.
pub fn hours(ns: Nanos) -> f64 {
    ns as f64 / (3600.0 * SEC as f64)
}

/// `count` per hour of a window of `ns` (0 for an empty window): what
/// [`Metrics::flaps_per_hour`] reports, and a result row's reader
/// recomputes (`batch::row::rate_as_written`).
pub fn per_hour(count: u64, ns: Nanos) -> f64 {
    per(count as f64, hours(ns))
}

pub fn per(a: f64, b: f64) -> f64 {
    if b > 0.0 {
        a / b
    } else {
        0.0
    }
}

/// Receives everything the engine reports and keeps what the reports need.
pub struct Collector {
    n: usize,
    warmup: Nanos,
    bin: Nanos,
    flap_timeout: Nanos,

    life: Vec<Life>,
    /// Number of active faults touching each node (faults may overlap).
    degraded: Vec<u32>,
    /// Nodes any fault has touched so far ([`Metrics::ever_degraded`]).
    ever_degraded: Vec<bool>,
    /// When each node's current process started (0 for nodes up at t = 0).
    started_at: Vec<Nanos>,
    /// Row O, bit S: observer O currently holds S dead (or left). For dissemination.
    holds_down: Vec<u64>,
    words: usize,

    score: Vec<u32>,
    score_sum: u64,
    cur_bin: usize,
    /// End of the current bin (one compare per packet instead of a division).
    bin_end: Nanos,

    totals: Totals,
    per_node: Vec<NodeMetrics>,
    episodes: BTreeMap<EpisodeKey, Episode>,
    /// How many processes each node has started (0 before its first): a
    /// flap episode is one process's.
    processes: Vec<u32>,
    /// (observer, subject) → when EventMemberFailed fired and whether the subject
    /// was healthy then. Hashed, never iterated in an order that matters (only
    /// looked up, and swept by `retain`): a sick cluster updates it per event.
    failed_at: PairMap<(Nanos, bool)>,
    /// When each observer's process last forgot its view (it started, crashed
    /// or left): a suspicion it cleared counts toward the time-to-clear only if
    /// it was raised since. The time it was raised comes with the clearing
    /// event, so no per-(observer, subject) table is kept: a sick cluster
    /// raises and clears a million suspicions a minute, and a hashed table of
    /// them cost a cache miss each way.
    forgot_at: Vec<Nanos>,
    rejoin: Durations,
    suspicion_to_clear: Durations,
    accusations: BTreeMap<(NodeId, NodeId), u64>,
    crashes: Vec<CrashRecord>,
    /// Index in `crashes` of each node's crash still being detected.
    open_crash: Vec<Option<usize>>,
    bins: Vec<Bin>,
    host: Vec<Option<Vec<HostPoint>>>,
    events: Vec<Record>,
    /// False when nothing will read the records (see [`Self::without_records`]).
    records: bool,
    wire: Option<wire::WireSuspicions>,
}

impl Collector {
    pub fn new(scenario: &Scenario) -> Collector {
        let n = scenario.nodes.len();
        let bin = scenario.timeseries_bin.max(1);
        let words = n.div_ceil(64);
        let mut c = Collector {
            n,
            warmup: scenario.warmup,
            bin,
            flap_timeout: scenario.protocol.serf.flap_timeout,
            life: scenario
                .nodes
                .iter()
                .map(|s| if s.starts { Life::Up } else { Life::Absent })
                .collect(),
            degraded: vec![0; n],
            ever_degraded: vec![false; n],
            started_at: vec![0; n],
            holds_down: vec![0; n * words],
            words,
            score: vec![0; n],
            score_sum: 0,
            cur_bin: 0,
            bin_end: bin,
            totals: Totals::default(),
            per_node: vec![NodeMetrics::default(); n],
            episodes: BTreeMap::new(),
            processes: vec![0; n],
            failed_at: PairMap::default(),
            forgot_at: vec![0; n],
            rejoin: Durations::new(),
            suspicion_to_clear: Durations::new(),
            accusations: BTreeMap::new(),
            crashes: Vec::new(),
            open_crash: vec![None; n],
            bins: Vec::with_capacity((scenario.duration / bin) as usize + 1),
            host: vec![None; n],
            events: Vec::new(),
            records: true,
            wire: None,
        };
        c.bins.push(Bin::default());
        c
    }

    /// Measure without making a [`Record`] of each event: for a run whose
    /// outputs read none (summary and time series only, as every batch run by
    /// default). Why: a sick cluster has over a million events per ten
    /// simulated seconds, and building, queueing and dropping each record
    /// cost a tenth of the measuring. The figures are the same either way.
    pub fn without_records(mut self) -> Collector {
        self.records = false;
        self
    }

    /// Hand on the records kept since the last call, so that a caller that
    /// streams them (the run's `events.jsonl`/`memberlist.log` writers) keeps
    /// memory flat; what it does not take back ends in [`Metrics::events`].
    pub fn drain_records(&mut self) -> std::vec::Drain<'_, Record> {
        self.events.drain(..)
    }

    /// Are records kept since the last [`Self::drain_records`]?
    #[inline]
    pub fn has_records(&self) -> bool {
        !self.events.is_empty()
    }

    /// Also record suspicion episodes on the wire (the memberlist oracle's
    /// `trace_suspect_reach.py`), from the warm-up's end: a scan of every
    /// packet's parts, so only the oracle's measures ask for it.
    pub fn record_wire_suspicions(&mut self) {
        self.wire = Some(wire::WireSuspicions::new(self.warmup));
    }

    /// Ground truth of `node` right now (for tests and the engine's checkers).
    pub fn life(&self, node: NodeId) -> Life {
        self.life[node as usize]
    }

    /// Close the run at `end` (the simulated duration) with the event-log `digest`.
    pub fn finish(mut self, end: Nanos, digest: u64) -> Metrics {
        self.advance(end.saturating_sub(1).max(self.cur_bin as Nanos * self.bin));
        self.close_bin();
        // A host sample or a fault's end at exactly `end` opened a bin that
        // starts there: fold it into the last one, so there is a bin per
        // `timeseries_bin` of the run and the bins still add up to the totals.
        let bins = end.div_ceil(self.bin).max(1) as usize;
        while self.bins.len() > bins {
            let later = self.bins.pop().expect("more bins than one");
            self.bins
                .last_mut()
                .expect("one bin at least")
                .absorb(&later);
        }
        Metrics {
            end,
            digest,
            warmup: self.warmup,
            bin: self.bin,
            nodes: self.n,
            totals: self.totals,
            per_node: self.per_node,
            episodes: self.episodes,
            rejoin: self.rejoin,
            suspicion_to_clear: self.suspicion_to_clear,
            accusations: self.accusations,
            crashes: self.crashes,
            bins: self.bins,
            host: self.host,
            events: self.events,
            spilled: None,
            wire_suspicions: self.wire,
            ever_degraded: self.ever_degraded,
        }
    }

    #[inline]
    fn measured(&self, at: Nanos) -> bool {
        at >= self.warmup
    }

    /// Move the current bin forward to the one holding `at`, closing those passed.
    ///
    /// Every record the engine reports asks this, and nearly all fall in the
    /// current bin: the check is inlined into each caller and the rare move
    /// kept apart. (Left to the compiler, the whole function was called out
    /// of line, about 1 % of a starved 1,000-node run's instructions.)
    #[inline(always)]
    fn advance(&mut self, at: Nanos) {
        if at >= self.bin_end {
            self.advance_bins(at);
        }
    }

    /// [`Self::advance`]'s move: `at` is past the current bin.
    #[cold]
    #[inline(never)]
    fn advance_bins(&mut self, at: Nanos) {
        let b = (at / self.bin) as usize;
        self.close_bin();
        // Bins skipped without events carry the scores unchanged.
        let max = self.score.iter().copied().max().unwrap_or(0);
        while self.cur_bin < b {
            self.cur_bin += 1;
            self.bins.push(Bin {
                health_max: max,
                health_sum: self.score_sum,
                ..Bin::default()
            });
        }
        self.bin_end = (b as Nanos + 1).saturating_mul(self.bin);
    }

    fn close_bin(&mut self) {
        let sum = self.score_sum;
        let b = &mut self.bins[self.cur_bin];
        b.health_sum = sum;
    }

    #[inline]
    fn bin_mut(&mut self) -> &mut Bin {
        &mut self.bins[self.cur_bin]
    }

    fn set_score(&mut self, node: NodeId, score: u32, at: Nanos) {
        let i = node as usize;
        self.score_sum = self.score_sum - u64::from(self.score[i]) + u64::from(score);
        self.score[i] = score;
        let b = self.bin_mut();
        b.health_max = b.health_max.max(score);
        if self.measured(at) {
            let m = &mut self.per_node[i];
            m.health_max = m.health_max.max(score);
        }
    }

    fn row(&self, o: NodeId) -> std::ops::Range<usize> {
        let start = o as usize * self.words;
        start..start + self.words
    }

    fn set_holds(&mut self, o: NodeId, s: NodeId, down: bool) {
        let w = o as usize * self.words + s as usize / 64;
        let bit = 1u64 << (s % 64);
        if down {
            self.holds_down[w] |= bit;
        } else {
            self.holds_down[w] &= !bit;
        }
    }

    fn holds(&self, o: NodeId, s: NodeId) -> bool {
        self.holds_down[o as usize * self.words + s as usize / 64] & (1u64 << (s % 64)) != 0
    }

    /// If every node that is up, and whose process already ran when `s` crashed,
    /// holds `s` dead, record full dissemination of `s`'s open crash at `at`.
    /// Nodes (re)started after the crash are not required: a fresh process never
    /// learns of a dead node it did not know (memberlist ignores dead for unknown).
    fn check_full(&mut self, s: NodeId, at: Nanos) {
        let Some(ci) = self.open_crash[s as usize] else {
            return;
        };
        if self.crashes[ci].full_dissemination.is_some() {
            return;
        }
        let t0 = self.crashes[ci].at;
        let all = (0..self.n as NodeId).all(|o| {
            o == s
                || self.life[o as usize] != Life::Up
                || self.started_at[o as usize] > t0
                || self.holds(o, s)
        });
        if all {
            self.crashes[ci].full_dissemination = Some(at);
        }
    }

    /// A fresh (or gone) process forgets everything it held.
    fn forget_view(&mut self, at: Nanos, o: NodeId) {
        let r = self.row(o);
        self.holds_down[r].fill(0);
        self.forgot_at[o as usize] = at;
        self.failed_at.retain(|&(obs, _), _| obs != o);
    }

    fn on_declaration(&mut self, at: Nanos, o: NodeId, subject: NodeId, incarnation: u32) -> Class {
        let class = Class {
            subject_up: self.life[subject as usize] == Life::Up,
            subject_degraded: self.degraded[subject as usize] > 0,
            observer_degraded: self.degraded[o as usize] > 0,
        };
        let ep = self
            .episodes
            .entry(EpisodeKey {
                subject,
                process: self.processes[subject as usize],
                incarnation,
            })
            .or_insert(Episode {
                first_at: at,
                ..Episode::default()
            });
        ep.declarations += 1;
        if class.fp() {
            ep.false_positives += 1;
        }
        {
            let b = self.bin_mut();
            b.declarations += 1;
            if class.fp() {
                b.fp += 1;
            }
            if class.fp_healthy() {
                b.fp_healthy += 1;
            }
        }
        if self.measured(at) {
            let t = &mut self.totals;
            t.declarations += 1;
            t.fp += u64::from(class.fp());
            t.fp_healthy += u64::from(class.fp_healthy());
            t.fp_both_healthy += u64::from(class.fp_both_healthy());
            self.per_node[o as usize].declarations_made += 1;
            self.per_node[subject as usize].fp_about += u64::from(class.fp());
        }
        if let Some(ci) = self.open_crash[subject as usize] {
            let c = &mut self.crashes[ci];
            c.first_dead.get_or_insert(at);
        }
        class
    }

    fn on_protocol(&mut self, at: Nanos, o: NodeId, event: &Event) -> Option<Class> {
        let measured = self.measured(at);
        let mut class = None;
        match *event {
            Event::SuspectNoAcks {
                subject,
                probe_started,
                ..
            } => {
                self.bin_mut().suspicions += 1;
                self.note_suspect(subject, at, probe_started);
                if measured {
                    self.totals.suspicions += 1;
                    self.per_node[o as usize].suspicions_raised += 1;
                    *self.accusations.entry((o, subject)).or_insert(0) += 1;
                }
            }
            Event::Suspected { .. } => {
                if measured {
                    self.totals.suspect_held += 1;
                }
            }
            Event::SuspicionCleared { suspected_at, .. } => {
                // Raised by this process, not by one that forgot it since.
                if measured && suspected_at >= self.forgot_at[o as usize] {
                    self.suspicion_to_clear.push(at - suspected_at);
                }
            }
            Event::SuspicionExpired {
                confirmations,
                degraded,
                ..
            } => {
                if measured {
                    self.totals.suspicion_expired += 1;
                    self.totals.suspicion_expired_degraded += u64::from(degraded);
                    if let Some(k) = confirmations {
                        *self.totals.expired_confirmations.entry(k).or_insert(0) += 1;
                    }
                }
            }
            Event::MemberDown {
                subject,
                incarnation,
                from,
                state,
            } => {
                self.set_holds(o, subject, true);
                // `from == subject` on a DEAD message is a voluntary leave (2015/2016
                // generations record leaves as DEAD): a leave, not a failure.
                let leave = state == State::Left || (state == State::Dead && from == subject);
                match state {
                    State::Dead if !leave => {
                        class = Some(self.on_declaration(at, o, subject, incarnation));
                    }
                    State::Dead | State::Left => {
                        if measured {
                            self.totals.left_declarations += 1;
                        }
                    }
                    State::Alive | State::Suspect => {}
                }
                self.check_full(subject, at);
            }
            Event::MemberUp { subject, .. } => {
                self.set_holds(o, subject, false);
            }
            Event::Reaped { subject } => {
                // Forgotten, but still not alive: it keeps counting as held down.
                let _ = subject;
            }
            Event::Refuted { kind, from, .. } => {
                self.bin_mut().refutations += 1;
                if measured {
                    self.totals.refutations += 1;
                    self.per_node[o as usize].refutations_made += 1;
                    let k = match kind {
                        RefuteKind::Suspect => 0,
                        RefuteKind::Dead => 1,
                        RefuteKind::Alive => 2,
                    };
                    self.totals.refutations_by_kind[k] += 1;
                    // A refutation naming the refuter itself is an accusation
                    // that came by push/pull, which memberlist labels with the
                    // receiver's own name (memberlist.md §1.6): no accuser is
                    // known, and the victim is not one.
                    if kind != RefuteKind::Alive && from != o {
                        self.per_node[from as usize].refutations_naming += 1;
                    }
                }
            }
            Event::HealthScore { score } => self.set_score(o, score, at),
            Event::DegradedProbe => {
                if measured {
                    self.totals.degraded_probes += 1;
                }
            }
            Event::FailedUdpPing { .. } => {
                if measured {
                    self.totals.failed_udp_pings += 1;
                }
            }
            Event::TcpFallbackRescued { .. } => {
                if measured {
                    self.totals.tcp_fallback_rescues += 1;
                }
            }
            Event::PushPullFailed { .. } => {
                if measured {
                    self.totals.push_pull_failures += 1;
                }
            }
            Event::HandoffQueueFull => {
                if measured {
                    self.totals.handoff_queue_drops += 1;
                }
            }
            Event::SerfMemberFailed { subject } => {
                let healthy =
                    self.life[subject as usize] == Life::Up && self.degraded[subject as usize] == 0;
                self.failed_at.insert((o, subject), (at, healthy));
                if measured {
                    self.totals.serf_failed += 1;
                }
            }
            Event::SerfMemberJoin { subject } => {
                if measured {
                    self.totals.serf_joins += 1;
                }
                if let Some((failed, healthy)) = self.failed_at.remove(&(o, subject)) {
                    let dt = at - failed;
                    if crate::protocol::serf::is_flap(dt, self.flap_timeout) {
                        self.bin_mut().flaps += 1;
                        self.bin_mut().flaps_healthy += u32::from(healthy);
                        if measured {
                            self.totals.flaps += 1;
                            self.totals.flaps_healthy += u64::from(healthy);
                            self.per_node[subject as usize].flaps_as_subject += 1;
                            self.rejoin.push(dt);
                        }
                    }
                }
            }
            Event::SerfMemberLeave { subject } => {
                self.failed_at.remove(&(o, subject));
            }
            Event::SerfFlap { .. } => {
                if measured {
                    self.totals.serf_flap_metric += 1;
                }
            }
            Event::FailedTcpPing { .. }
            | Event::Confirmed { .. }
            | Event::PushPullStarted { .. }
            | Event::SerfReconnect { .. }
            | Event::SerfReap { .. }
            | Event::SerfMemberUpdate { .. }
            | Event::StreamConnection
            | Event::FailedToSend
            | Event::ConsulMemberFailed { .. }
            | Event::ConsulMemberJoined { .. }
            | Event::ConsulMemberDeregistered { .. } => {}
        }
        class
    }

    /// First suspicion about a crashed subject raised anywhere by a probe that
    /// started after the crash. A suspicion merely heard is not one (it was
    /// raised elsewhere first), and a probe that began before the crash may have
    /// failed for another reason (a starved prober reading its ack late).
    fn note_suspect(&mut self, subject: NodeId, at: Nanos, probe_started: Nanos) {
        if let Some(ci) = self.open_crash[subject as usize] {
            if probe_started >= self.crashes[ci].at {
                self.crashes[ci].first_suspect.get_or_insert(at);
            }
        }
    }

    fn on_truth(&mut self, at: Nanos, node: NodeId, truth: Truth) {
        let i = node as usize;
        match truth {
            // Every `Up` is a fresh process: after a crash, at a join, or a
            // restart of a running one (which has no `Crashed` before it).
            Truth::Up => {
                let restarted_running = self.life[i] == Life::Up && self.processes[i] > 0;
                self.processes[i] += 1;
                self.life[i] = Life::Up;
                self.started_at[i] = at;
                self.forget_view(at, node);
                if let Some(ci) = self.open_crash[i].take() {
                    if self.crashes[ci].full_dissemination.is_none() {
                        self.crashes[ci].restarted_before_full = true;
                    }
                }
                // A fresh process starts with a clean health score.
                self.set_score(node, 0, at);
                if restarted_running {
                    // The old process was required to learn of open crashes;
                    // the new one, started after them, is not.
                    for s in 0..self.n as NodeId {
                        if self.open_crash[s as usize].is_some() {
                            self.check_full(s, at);
                        }
                    }
                }
            }
            Truth::Crashed | Truth::Left => {
                let was_up = self.life[i] == Life::Up;
                self.life[i] = if truth == Truth::Crashed {
                    Life::Crashed
                } else {
                    Life::Left
                };
                if was_up {
                    self.forget_view(at, node);
                    if truth == Truth::Crashed {
                        self.crashes.push(CrashRecord {
                            subject: node,
                            at,
                            ..CrashRecord::default()
                        });
                        self.open_crash[i] = Some(self.crashes.len() - 1);
                    }
                    // The required set shrank: other crashes may now be complete.
                    for s in 0..self.n as NodeId {
                        if self.open_crash[s as usize].is_some() {
                            self.check_full(s, at);
                        }
                    }
                }
            }
            Truth::Degraded(on) => {
                if on {
                    self.degraded[i] += 1;
                    self.ever_degraded[i] = true;
                } else {
                    self.degraded[i] = self.degraded[i].saturating_sub(1);
                }
            }
        }
    }
}

impl Observer for Collector {
    fn protocol(&mut self, at: Nanos, observer: NodeId, event: &Event) {
        self.advance(at);
        let class = self.on_protocol(at, observer, event);
        if !self.records {
            return;
        }
        self.events.push(Record {
            at,
            node: observer,
            what: What::Protocol(*event),
            class,
        });
    }

    fn truth(&mut self, at: Nanos, node: NodeId, truth: Truth) {
        self.advance(at);
        self.on_truth(at, node, truth);
        if !self.records {
            return;
        }
        self.events.push(Record {
            at,
            node,
            what: What::Truth(truth),
            class: None,
        });
    }

    #[inline]
    fn sent(&mut self, at: Nanos, from: NodeId, _to: NodeId, kind: PacketKind, bytes: u32) {
        self.advance(at);
        let b = self.bin_mut();
        b.sent.msgs += 1;
        b.sent.bytes += u64::from(bytes);
        if self.measured(at) {
            let l = &mut self.per_node[from as usize].sent[kind_index(kind)];
            l.msgs += 1;
            l.bytes += u64::from(bytes);
        }
    }

    #[inline]
    fn wire(&mut self, at: Nanos, packet: &Packet, sent: bool) {
        if let Some(w) = self.wire.as_mut() {
            if sent {
                w.sent(at, packet);
            } else {
                w.received(at, packet);
            }
        }
    }

    #[inline]
    fn received(&mut self, at: Nanos, to: NodeId, kind: PacketKind, bytes: u32) {
        self.advance(at);
        let b = self.bin_mut();
        b.received.msgs += 1;
        b.received.bytes += u64::from(bytes);
        if self.measured(at) {
            let l = &mut self.per_node[to as usize].received[kind_index(kind)];
            l.msgs += 1;
            l.bytes += u64::from(bytes);
        }
    }

    #[inline]
    fn dropped(&mut self, at: Nanos, _from: NodeId, to: NodeId, reason: DropReason) {
        self.advance(at);
        self.bin_mut().drops += 1;
        if self.measured(at) {
            self.totals.drops[drop_index(reason)] += 1;
            self.per_node[to as usize].drops_to += 1;
        }
    }

    fn host_sample(&mut self, at: Nanos, node: NodeId, sample: HostSample) {
        self.advance(at);
        let i = node as usize;
        self.set_score(node, sample.health_score, at);
        self.per_node[i].sampled = true;
        // A sample summarises the bin that ends at (or contains) `at`: one taken
        // exactly at a bin boundary describes the bin just finished.
        let bin = (at.saturating_sub(1) / self.bin) as u32;
        self.host[i].get_or_insert_with(Vec::new).push(HostPoint {
            bin,
            credits: sample.credits,
            parked_fraction: sample.parked_fraction,
            health_score: sample.health_score,
        });
    }
}
