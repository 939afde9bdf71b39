//! The `cluster:` section: groups expanded from name patterns, single nodes,
//! zones, Serf tag sizes; node ids follow file order.

use std::collections::BTreeSet;

use super::error::ScenarioError;
use super::model::NodeSpec;
use super::raw::{ClusterRaw, GroupRaw, NodeRaw};
use super::resolve::{
    check_ident, some_names, Limits, Resolver, DEFAULT_META_BYTES, MAX_META_BYTES,
};
use crate::protocol::NodeId;
use crate::quote::short;

type R<T> = Result<T, ScenarioError>;

/// What nodes get when their entry does not say.
struct Defaults {
    zone: String,
    meta: u32,
    /// `cluster.zones`, when declared: a set, because every zone a group or
    /// node names is looked up in it, and a 1 MiB file can declare 140,000.
    declared: Option<BTreeSet<String>>,
}

/// Expand a group's name pattern for member number `n`: `a-{:02}` → `a-07`.
fn expand(pattern: &str, n: u32) -> Result<String, String> {
    let Some(open) = pattern.find('{') else {
        return Ok(pattern.to_string());
    };
    let Some(close_rel) = pattern[open..].find('}') else {
        return Err(format!(
            "`{}` has `{{` without a closing `}}`",
            short(pattern)
        ));
    };
    let close = open + close_rel;
    let spec = &pattern[open + 1..close];
    let rest = &pattern[close + 1..];
    if rest.contains('{') || rest.contains('}') {
        return Err(format!(
            "`{}` has more than one placeholder",
            short(pattern)
        ));
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
                format!(
                    "bad placeholder `{{{}}}` in `{}`; use {{}}, {{:02}} or {{:3}}",
                    short(spec),
                    short(pattern)
                )
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
                "bad placeholder `{{{}}}` in `{}`; use {{}}, {{:02}} or {{:3}}",
                short(spec),
                short(pattern)
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

impl Resolver<'_, '_> {
    pub(super) fn build_cluster(&mut self, cluster: Option<&ClusterRaw>, limits: &Limits) -> R<()> {
        let Some(c) = cluster else {
            return Err(self.err(
                "cluster",
                "missing: define nodes, e.g. cluster: {groups: {agents: {count: 5, name: \"a-{:02}\"}}}",
            ));
        };
        let d = self.defaults(c)?;
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
        super::resolve::views_fit(total, limits).map_err(|m| self.err("cluster", m))?;

        for (gname, g) in groups {
            self.group(gname, g, &d)?;
        }

        for (nname, n) in singles {
            self.single(nname, n.clone().unwrap_or_default(), &d)?;
        }
        for n in &mut self.nodes {
            n.groups.sort();
            n.groups.dedup();
        }
        Ok(())
    }

    /// Declared zones, the default zone and the default tag size.
    fn defaults(&mut self, c: &ClusterRaw) -> R<Defaults> {
        let mut declared = None;
        if let Some(z) = &c.zones {
            let mut set = BTreeSet::new();
            for (i, zone) in z.iter().enumerate() {
                check_ident(zone).map_err(|m| self.err(&format!("cluster.zones[{i}]"), m))?;
                if !set.insert(zone.clone()) {
                    return Err(self.err(
                        &format!("cluster.zones[{i}]"),
                        format!("zone `{}` is listed twice", short(zone)),
                    ));
                }
                self.zones.entry(zone.clone()).or_default();
            }
            if z.is_empty() {
                return Err(self.err("cluster.zones", "empty list; omit it or name the zones"));
            }
            declared = Some(set);
        }
        let default_zone = c
            .zones
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
        Ok(Defaults {
            zone: default_zone,
            meta: default_meta,
            declared,
        })
    }

    /// One `cluster.groups` entry: its members, named from its pattern.
    fn group(&mut self, gname: &str, g: &GroupRaw, d: &Defaults) -> R<()> {
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
                    short(&g.name),
                    g.count,
                    short(&g.name)
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
            (None, None) => vec![d.zone.clone()],
        };
        for (i, z) in zones.iter().enumerate() {
            let zp = if g.zone.is_some() {
                format!("{gp}.zone")
            } else {
                format!("{gp}.zones[{i}]")
            };
            self.use_zone(z, &zp, d.declared.as_ref())?;
        }
        let meta = g.meta_bytes.unwrap_or(d.meta);
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
        Ok(())
    }

    /// One `cluster.nodes` entry, with the extra groups it joins.
    fn single(&mut self, nname: &str, n: NodeRaw, d: &Defaults) -> R<()> {
        let np = format!("cluster.nodes.{nname}");
        let zone = n.zone.clone().unwrap_or_else(|| d.zone.clone());
        self.use_zone(&zone, &format!("{np}.zone"), d.declared.as_ref())?;
        let meta = n.meta_bytes.unwrap_or(d.meta);
        if meta > MAX_META_BYTES {
            return Err(self.err(
                &format!("{np}.meta_bytes"),
                format!("{meta} bytes is over memberlist's MetaMaxSize of {MAX_META_BYTES}"),
            ));
        }
        let id = self.add_node(nname.to_string(), zone, meta, n.starts.unwrap_or(true), &np)?;
        for (i, gname) in n.groups.iter().flatten().enumerate() {
            let gp = format!("{np}.groups[{i}]");
            check_ident(gname).map_err(|m| self.err(&gp, format!("group name {m}")))?;
            if self.by_name.contains_key(gname) {
                return Err(self.err(
                    &gp,
                    format!(
                        "`{}` is a node name; groups and nodes share one namespace",
                        short(gname)
                    ),
                ));
            }
            let members = self.groups.entry(gname.clone()).or_default();
            members.push(id);
            members.sort_unstable();
            members.dedup();
            self.nodes[id as usize].groups.push(gname.clone());
        }
        Ok(())
    }

    fn use_zone(&mut self, zone: &str, path: &str, declared: Option<&BTreeSet<String>>) -> R<()> {
        check_ident(zone).map_err(|m| self.err(path, format!("zone name {m}")))?;
        if let Some(d) = declared {
            if !d.contains(zone) {
                return Err(self.err(
                    path,
                    format!(
                        "unknown zone `{}`; cluster.zones declares: {}",
                        short(zone),
                        some_names(d.iter(), d.len())
                    ),
                ));
            }
        }
        if !self.zones.contains_key(zone) {
            self.zones.insert(zone.to_string(), Vec::new());
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
            return Err(self.err(path, format!("duplicate node name `{}`", short(&name))));
        }
        if self.groups.contains_key(&name) {
            return Err(self.err(
                path,
                format!(
                    "`{}` is already a group name; groups and nodes share one namespace",
                    short(&name)
                ),
            ));
        }
        let id = self.nodes.len() as NodeId;
        self.by_name.insert(name.clone(), id);
        self.zones.entry(zone.clone()).or_default().push(id);
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
                format!(
                    "group `{}` has the same name as a node; groups and nodes share one namespace",
                    short(gname)
                ),
            ));
        }
        for &id in &members {
            self.nodes[id as usize].groups.push(gname.to_string());
        }
        self.groups.insert(gname.to_string(), members);
        Ok(())
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
    fn ips_are_dense_and_valid() {
        assert_eq!(ip_for(0), "10.0.0.1");
        assert_eq!(ip_for(249), "10.0.0.250");
        assert_eq!(ip_for(250), "10.0.1.1");
        assert_eq!(ip_for(19_999), "10.0.79.250");
    }
}
