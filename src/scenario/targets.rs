//! Targets: which nodes a rule, fault or action applies to — a node, a group,
//! `zone:NAME`, `all`, a list of them, or a random selection drawn from the
//! scenario seed. Every target keeps its own list, so their total size is
//! bounded ([`super::Limits::max_target_nodes`]).

use std::collections::BTreeSet;

use super::error::ScenarioError;
use super::raw::{Prob, TargetRaw};
use super::resolve::{some_names, Resolver};
use crate::protocol::NodeId;
use crate::quote::short;
use crate::random::{Stream, StreamId};

type R<T> = Result<T, ScenarioError>;

impl Resolver<'_, '_> {
    fn lookup(&self, name: &str, path: &str) -> R<Vec<NodeId>> {
        if name == "all" {
            return Ok((0..self.nodes.len() as NodeId).collect());
        }
        if let Some(zone) = name.strip_prefix("zone:") {
            let zone = zone.trim();
            return match self.zones.get(zone) {
                Some(members) => Ok(members.clone()),
                None => Err(self.err(
                    path,
                    format!(
                        "unknown zone `{}`; zones: {}",
                        short(zone),
                        some_names(self.zones.keys(), self.zones.len())
                    ),
                )),
            };
        }
        if let Some(&id) = self.by_name.get(name) {
            return Ok(vec![id]);
        }
        if let Some(g) = self.groups.get(name) {
            return Ok(g.clone());
        }
        let example = self.nodes.first().map_or("", |n| n.name.as_str());
        Err(self.err(
            path,
            format!(
                "unknown node or group `{}`; groups: {}; nodes are named like `{example}`; also `all` and `zone:NAME`",
                short(name),
                some_names(self.groups.keys(), self.groups.len())
            ),
        ))
    }

    pub(super) fn names(&mut self, names: &[String], path: &str) -> R<Vec<NodeId>> {
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
}
