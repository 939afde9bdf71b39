//! Random faults for the checker (`flapsim check`), drawn from the registry.
//!
//! Each kind draws its own parameters; this file draws what entries share
//! (nodes, a window, whether it ever ends) and which kind comes next. Kinds
//! are drawn by registry position, so one check seed names one scenario as
//! long as the registry only grows at the end (and a kind may stay out of the
//! draw: [`super::HostFaultKind::GENERATED`], [`super::GenRole::Never`]).

use std::collections::BTreeMap;

use super::{Action, GenRole, HostFault};
use crate::protocol::{Nanos, NodeId, MS, SEC};
use crate::random::{Dist, Stream};
use crate::scenario::model::{FaultSpec, NodeSpec, TimelineEvent};

/// Host faults per scenario: drawn from `0..MAX_HOST_FAULTS`.
const MAX_HOST_FAULTS: u64 = 5;
/// Timeline episodes per scenario: drawn from `0..MAX_EPISODES`.
const MAX_EPISODES: u64 = 7;
/// Weight of "a process lifecycle episode" against 1 for each episode verb.
const LIFECYCLE_WEIGHT: usize = 2;

/// The checker's random stream and what every kind may ask of it.
pub struct Gen<'a> {
    pub r: &'a mut Stream,
    /// Nodes in the cluster.
    pub n: usize,
    /// Faults may never end (only safety invariants are claimed).
    pub wild: bool,
    /// Faults happen in `[0, phase)`.
    pub phase: Nanos,
}

impl Gen<'_> {
    /// A few nodes (1 to half the cluster) that a fault singles out, sorted.
    pub fn pick(&mut self) -> Vec<NodeId> {
        let n = self.n;
        let mut ids: Vec<NodeId> = (0..n as NodeId).collect();
        self.r.shuffle(&mut ids);
        let k = 1 + self.r.index((n / 2).max(1));
        let mut v = ids[..k].to_vec();
        v.sort_unstable();
        v
    }

    /// A window `(a, b)` of at least 1 s inside the fault phase.
    pub fn window(&mut self) -> (Nanos, Nanos) {
        let phase = self.phase;
        let a = self.r.duration_below(phase - SEC);
        let b = a + SEC + self.r.duration_below(phase - a - SEC);
        (a, b)
    }

    /// A small distribution of up to about `hi_ms` milliseconds.
    pub fn small(&mut self, hi_ms: u64) -> Dist {
        let r = &mut *self.r;
        match r.below(4) {
            0 => Dist::Fixed((1 + r.below(hi_ms)) * MS),
            1 => {
                let lo = r.below(hi_ms) * MS;
                Dist::Uniform {
                    lo,
                    hi: lo + (1 + r.below(hi_ms)) * MS,
                }
            }
            2 => Dist::Normal {
                mean: (1 + r.below(hi_ms)) * MS,
                sd: r.below(hi_ms) * MS / 2,
            },
            _ => Dist::Exponential {
                mean: (1 + r.below(hi_ms)) * MS,
                min: r.below(hi_ms / 4 + 1) * MS,
            },
        }
    }
}

/// One timeline episode being drawn: a verb adds its entries (and the entry
/// that undoes it, when `healed`).
pub struct Episode<'a, 'g> {
    pub g: &'a mut Gen<'g>,
    /// Episode number (names: `p3`, `h5`).
    pub k: u64,
    /// It starts at `a`; what undoes it comes at `b`.
    pub a: Nanos,
    pub b: Nanos,
    /// Whether it is undone (always, unless wild).
    pub healed: bool,
    /// The node of a lifecycle episode.
    pub node: NodeId,
    /// The cluster (a late joiner gets `starts: false`).
    pub nodes: &'a mut [NodeSpec],
    pub out: &'a mut Vec<TimelineEvent>,
}

impl Episode<'_, '_> {
    pub fn push(&mut self, at: Nanos, action: impl Into<Action>) {
        self.out.push(TimelineEvent {
            at,
            action: action.into(),
        });
    }
}

/// The host faults of a check scenario. A node gets at most one fault of each
/// exclusive group (overlapping ones are refused by the parser).
pub fn host_faults(g: &mut Gen) -> Vec<FaultSpec> {
    let kinds = HostFault::generators();
    let mut used: BTreeMap<&'static str, Vec<bool>> = BTreeMap::new();
    let mut faults: Vec<FaultSpec> = Vec::new();
    for _ in 0..g.r.below(MAX_HOST_FAULTS) {
        let nodes = g.pick();
        let (from, until) = g.window();
        let until = if g.wild && g.r.chance(0.4) {
            None
        } else {
            Some(until)
        };
        let kind = kinds[g.r.index(kinds.len())](g);
        let nodes = match kind.exclusive() {
            None => nodes,
            Some(ex) => {
                let used = used.entry(ex.group).or_insert_with(|| vec![false; g.n]);
                let nodes: Vec<NodeId> = nodes.into_iter().filter(|&i| !used[i as usize]).collect();
                for &i in &nodes {
                    used[i as usize] = true;
                }
                nodes
            }
        };
        if nodes.is_empty() {
            continue;
        }
        faults.push(FaultSpec {
            index: faults.len() as u32,
            nodes,
            kind,
            from,
            until,
        });
    }
    faults
}

/// The timeline of a check scenario, sorted by time.
pub fn timeline(g: &mut Gen, nodes: &mut [NodeSpec]) -> Vec<TimelineEvent> {
    let episodes = Action::generators(GenRole::Episode);
    let lifecycle = Action::generators(GenRole::Lifecycle);
    let mut lifecycle_used = vec![false; g.n];
    let mut out = Vec::new();
    for k in 0..g.r.below(MAX_EPISODES) {
        let (a, b) = g.window();
        let healed = !(g.wild && g.r.chance(0.3));
        let x = g.r.index(episodes.len() + LIFECYCLE_WEIGHT);
        let verb = if x < episodes.len() {
            Some((episodes[x], 0))
        } else {
            let node = g.r.index(g.n);
            if lifecycle_used[node] || lifecycle.is_empty() {
                None
            } else {
                lifecycle_used[node] = true;
                Some((lifecycle[g.r.index(lifecycle.len())], node as NodeId))
            }
        };
        if let Some((generate, node)) = verb {
            generate(&mut Episode {
                g: &mut *g,
                k,
                a,
                b,
                healed,
                node,
                nodes: &mut *nodes,
                out: &mut out,
            });
        }
    }
    out.sort_by_key(|e| e.at);
    out
}
