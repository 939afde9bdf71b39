//! Fault kinds: every host fault (`faults:` entry) and every timeline verb
//! (`timeline:` entry) is one file that owns all there is to know about it —
//! how it is parsed and validated, rendered back, generated for the checker,
//! installed on the simulated world, and which nodes it degrades when.
//! The `registry!` table below lists them; parsing dispatch, the lists of
//! names in messages, rendering and generation derive from it. Adding a fault
//! kind is one new file in `host/` (or `timeline/`) plus one line here.
//!
//! Why here, in the scenario layer: a fault is part of what a scenario *says*,
//! and the engine consumes scenarios. Data keeps flowing one way, scenario →
//! engine ⇄ (protocol, network, host) → metrics → report: the engine calls a
//! kind's `install`/`apply` with a narrow context it implements ([`BuildEnv`]
//! at build time, [`RunEnv`] while running: host access, network access, a
//! typed event queued at a time, degraded truth, process lifecycle), so a kind
//! never sees the engine's queue or processes, and the engine never matches on
//! a kind. The "degraded" ground truth metrics use is each kind's own
//! judgement ([`HostFaultKind::degraded`], [`RunEnv::degrade`]).
//!
//! To add a host fault: copy `host/slow.rs` (the smallest) to `host/<key>.rs`,
//! rename its type and raw type, write its parts (`resolve` errors go through
//! `r.err(path, …)` so they name file, field and line; `render` must read
//! back to the same value, which `flapsim check` verifies on every seed), and
//! add `<key>: <Type>,` at the end of the `faults` list below (the checker
//! then draws it too, so `flapsim check` seeds get new scenarios; set
//! `GENERATED = false` to keep the old ones). The host model
//! it installs into, if new, lives in `src/host/` behind a small hook. A verb
//! is the same with `timeline/` and [`VerbKind`]. The README's list of keys is
//! checked against this table (`tests/fault_registry.rs`).

use std::fmt;

use serde::de::DeserializeOwned;

use crate::host::{Host, HostOutput};
use crate::network::Network;
use crate::protocol::{Nanos, NodeId, Packet};
use crate::random::{Dist, Stream};

use super::error::ScenarioError;
use super::resolve::Resolver;

#[macro_use]
mod dispatch;
pub mod entries;
pub mod gen;

type R<T> = Result<T, ScenarioError>;

// The registry: one line per kind, `yaml_key: Type` (the file is
// `host/<key>.rs` or `timeline/<key>.rs`). Order matters: it is the order of
// the names in messages, and the checker draws kinds by position (see
// [`gen`]), so new kinds go last to keep old check seeds as they were.
registry! {
    faults {
        throttle: Throttle,
        credits: Credits,
        slow: Slow,
        starve: Starve,
        pause: Pause,
        contention: Contention,
    }
    timeline {
        crash: Crash,
        restart: Restart,
        leave: Leave,
        join: Join,
        partition: Partition,
        heal: Heal,
        hold: Hold,
        release: Release,
        pause: Pause,
    }
}

/// A host fault's window: `[from, until)` (`until` = `Nanos::MAX` when open).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub from: Nanos,
    pub until: Nanos,
}

/// Host faults that decide the same thing (the CPU cap, the per-item cost)
/// cannot hold on one node at once: the engine would have to pick one silently.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exclusive {
    /// Kinds with the same group exclude each other.
    pub group: &'static str,
    /// What a node can have only one of, for the message.
    pub what: &'static str,
}

/// When a host fault degrades its nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DegradedWindow {
    /// For its whole window.
    Whole,
    /// Only while its host says so ([`HostOutput::Throttled`]).
    ReportedByHost,
}

/// One host fault kind: the value under its key in a `faults:` entry.
pub trait HostFaultKind: Clone + fmt::Debug + PartialEq + Sized {
    /// The value as written: a serde type that denies unknown fields and
    /// checks single values in place (so errors get their line from serde).
    type Raw: DeserializeOwned + Clone + fmt::Debug;
    /// Its exclusive group, if any.
    const EXCLUSIVE: Option<Exclusive> = None;
    /// Whether `flapsim check` draws it (a new kind may stay out so that old
    /// check seeds keep their scenarios).
    const GENERATED: bool = true;
    /// Validate `raw` (at `path`, e.g. `faults[2].throttle`).
    fn resolve(raw: &Self::Raw, r: &mut Resolver, path: &str) -> R<Self>;
    /// The value as YAML that [`Self::resolve`] reads back to `self`.
    fn render(&self) -> Result<String, String>;
    /// A random instance for the checker.
    fn generate(g: &mut gen::Gen) -> Self;
    /// Install on `node` over `window`, drawing from `stream` (its own).
    fn install(&self, window: Window, node: NodeId, stream: Stream, env: &mut dyn BuildEnv);
    /// When it degrades its nodes.
    fn degraded(&self) -> DegradedWindow {
        DegradedWindow::Whole
    }
    /// A distribution of effects that outlast the window (a pause begun before
    /// `until` runs its drawn length): the checker's settle time adds its cap.
    fn lingers(&self) -> Option<&Dist> {
        None
    }
}

/// How a verb takes part in the checker's random timelines ([`gen`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GenRole {
    /// Drawn as an episode of its own (it adds its undoing verb itself).
    Episode,
    /// One of the process-lifecycle episodes, drawn after a node is picked.
    Lifecycle,
    /// Never drawn on its own (an undoing verb, or not generated).
    Never,
}

/// A verb's part in a named pair (a partition and its heal).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pairing<'a> {
    None,
    /// Starts something named that a later `closer` ends.
    Opens {
        group: &'static str,
        closer: &'static str,
        name: &'a str,
    },
    /// Ends the `group` entries named `name` (all when None).
    Closes {
        group: &'static str,
        name: Option<&'a str>,
    },
}

/// One timeline verb: the value under its key in a `timeline:` entry.
pub trait VerbKind: Clone + fmt::Debug + PartialEq + Sized {
    type Raw: DeserializeOwned + Clone + fmt::Debug;
    /// The typed event it queues for itself ([`Never`] when none).
    type Event: FaultEventKind;
    const GEN: GenRole = GenRole::Never;
    /// Validate `raw` at `path` (`timeline[i].<verb>`); `index` is `i`.
    fn resolve(raw: &Self::Raw, r: &mut Resolver, path: &str, index: usize) -> R<Self>;
    /// The value as YAML; `t` writes node lists.
    fn render(&self, t: &Targets) -> Result<String, String>;
    /// Add this verb's episode to a random timeline (see [`GenRole`]).
    fn generate(_e: &mut gen::Episode) {}
    /// Build-time preparation (things known in advance, e.g. pauses).
    fn prepare(&self, _at: Nanos, _env: &mut dyn BuildEnv) {}
    /// Apply at its instant.
    fn apply(&self, env: &mut dyn RunEnv);
    /// Its part in a named pair.
    fn pairing(&self) -> Pairing<'_> {
        Pairing::None
    }
    /// How long after its instant its effect lasts (a pause's length).
    fn lasts(&self) -> Nanos {
        0
    }
    /// Nodes whose CPU it parks (they get host samples).
    fn parked_nodes(&self) -> &[NodeId] {
        &[]
    }
    /// A chart mark's label (None: not marked); `who` names a few nodes.
    fn mark(&self, who: &dyn Fn(&[NodeId]) -> String) -> Option<String>;
    /// Replace node lists by `map(list)` (the checker's shrinking); false
    /// when the entry no longer means anything.
    fn map_nodes(&mut self, map: &mut dyn FnMut(&[NodeId]) -> Vec<NodeId>) -> bool;
}

/// A verb's typed engine event, handed back at its time.
pub trait FaultEventKind: fmt::Debug {
    fn fire(self, env: &mut dyn RunEnv);
}

/// The event type of verbs that queue none.
#[derive(Debug)]
pub enum Never {}

impl FaultEventKind for Never {
    fn fire(self, _env: &mut dyn RunEnv) {
        match self {}
    }
}

/// Writes node lists as a rendered scenario does: `[a-01, a-02]`.
pub struct Targets<'a> {
    pub names: Vec<&'a str>,
}

impl Targets<'_> {
    pub fn list(&self, ids: &[NodeId]) -> String {
        let v: Vec<&str> = ids.iter().map(|&i| self.names[i as usize]).collect();
        format!("[{}]", v.join(", "))
    }
}

/// What a kind may touch while the simulation is built (the engine
/// implements it).
pub trait BuildEnv {
    /// `node`'s host (None for an unknown node).
    fn host(&mut self, node: NodeId) -> Option<&mut Host>;
    /// Queue the timers `node`'s host asked for.
    fn host_outputs(&mut self, node: NodeId, outs: Vec<HostOutput>);
}

/// A process lifecycle step a verb asks of the engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lifecycle {
    /// The process dies (if running).
    Crash,
    /// Fresh process and host.
    Restart,
    /// Graceful leave (if up).
    Leave,
    /// Start and join (if not running).
    Join,
}

/// What a verb may touch while the simulation runs (the engine implements it).
pub trait RunEnv {
    fn now(&self) -> Nanos;
    /// Nodes in the cluster.
    fn node_count(&self) -> usize;
    fn network(&mut self) -> &mut Network;
    /// Packets released by the network reach their hosts at these instants.
    fn deliver(&mut self, arrivals: Vec<(Nanos, Packet)>);
    /// Hand `event` back at `at`.
    fn schedule(&mut self, at: Nanos, event: FaultEvent);
    /// One more (`on`) or one less fault touches `node` (ground truth).
    fn degrade(&mut self, node: NodeId, on: bool);
    /// Degrade `nodes` under `name` until [`RunEnv::restore_named`].
    fn degrade_named(&mut self, group: &'static str, name: &str, nodes: &[NodeId]);
    /// Undo [`RunEnv::degrade_named`] for `name` (all of `group` when None).
    fn restore_named(&mut self, group: &'static str, name: Option<&str>);
    fn lifecycle(&mut self, node: NodeId, step: Lifecycle);
}
