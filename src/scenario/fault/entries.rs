//! The `faults:` and `timeline:` lists: what every entry shares (a window or
//! an instant, exactly one kind key, limits) and the checks across entries
//! (overlapping exclusive host faults, named pairs such as a partition and its
//! heal). What is inside an entry is its kind's business (`registry!` in `fault/mod.rs`).

use std::collections::{BTreeMap, BTreeSet};

use super::{Action, ActionRaw, FaultRaw, Pairing, HOST_FAULT_NAMES, VERB_NAMES};
use crate::protocol::{Nanos, NodeId};
use crate::quote::short;
use crate::scenario::error::ScenarioError;
use crate::scenario::model::{FaultSpec, TimelineEvent};
use crate::scenario::raw::Dur;
use crate::scenario::resolve::{fd, some_names, Limits, Resolver};

type R<T> = Result<T, ScenarioError>;

/// Resolve the `faults:` list.
pub fn faults(r: &mut Resolver, raw: &[FaultRaw], limits: &Limits) -> R<Vec<FaultSpec>> {
    if raw.len() > limits.max_entries {
        return Err(r.err(
            "faults",
            format!(
                "{} faults is more than the limit of {} (raise it with `--limit entries=…`)",
                raw.len(),
                limits.max_entries
            ),
        ));
    }
    let mut out: Vec<FaultSpec> = Vec::with_capacity(raw.len());
    for (i, f) in raw.iter().enumerate() {
        let p = format!("faults[{i}]");
        let kind_name = one_key(r, &p, &f.present(), "fault", HOST_FAULT_NAMES)?;
        let Some(target) = &f.nodes else {
            return Err(r.err(
                &p,
                "missing `nodes`: say which nodes (a node, a group, `all`, or {of: GROUP, fraction: 10%})",
            ));
        };
        let (from, until) = window(r, &p, f.from, f.until)?;
        let kind = f
            .resolve_kind(r, &p)
            .expect("exactly one kind was checked above")?;
        let nodes = r.target(target, &format!("{p}.nodes"))?;
        let spec = FaultSpec {
            index: i as u32,
            nodes,
            kind,
            from,
            until,
        };
        check_overlap(r, &out, &spec, &format!("{p}.{kind_name}"))?;
        out.push(spec);
    }
    Ok(out)
}

/// Exactly one kind key in an entry at `p`.
fn one_key(
    r: &Resolver,
    p: &str,
    present: &[&'static str],
    what: &str,
    names: &[&str],
) -> R<&'static str> {
    let (none, plural) = if what == "fault" {
        ("no fault kind", "one fault per entry")
    } else {
        ("no action", "one action per entry")
    };
    match present {
        [one] => Ok(one),
        [] => Err(r.err(p, format!("{none}; give one of {}", names.join(", ")))),
        many => Err(r.err(
            &format!("{p}.{}", many[1]),
            format!(
                "{plural}, found {}; split them into separate entries",
                many.join(" and ")
            ),
        )),
    }
}

/// A host fault's `from`/`until`, checked against the run.
fn window(
    r: &Resolver,
    p: &str,
    from: Option<Dur>,
    until: Option<Dur>,
) -> R<(Nanos, Option<Nanos>)> {
    let duration = r.duration();
    let from = from.map_or(0, |d| d.0);
    if from >= duration {
        return Err(r.err(
            &format!("{p}.from"),
            format!(
                "{} is at or after the end of the run ({})",
                fd(from),
                fd(duration)
            ),
        ));
    }
    let until = until.map(|d| d.0);
    if let Some(u) = until {
        if u <= from {
            return Err(r.err(
                &format!("{p}.until"),
                format!("until ({}) must be after from ({})", fd(u), fd(from)),
            ));
        }
        if u > duration {
            return Err(r.err(
                &format!("{p}.until"),
                format!("{} is past the end of the run ({})", fd(u), fd(duration)),
            ));
        }
    }
    Ok((from, until))
}

/// Two faults of one exclusive group cannot both hold on one node at once.
fn check_overlap(r: &Resolver, earlier: &[FaultSpec], f: &FaultSpec, path: &str) -> R<()> {
    let Some(ex) = f.kind.exclusive() else {
        return Ok(());
    };
    let end = |s: &FaultSpec| s.until.unwrap_or(r.duration());
    for (j, e) in earlier.iter().enumerate() {
        let same = e.kind.exclusive().is_some_and(|x| x.group == ex.group);
        if !same || e.from >= end(f) || f.from >= end(e) {
            continue;
        }
        let Some(shared) = first_common(&e.nodes, &f.nodes) else {
            continue;
        };
        return Err(r.err(
            path,
            format!(
                "{} on `{}` overlaps faults[{j}] ({}) between {} and {}; a node can have {} at a time: give them disjoint from/until windows",
                f.kind.name(),
                r.node_name(shared),
                e.kind.name(),
                fd(e.from.max(f.from)),
                fd(end(e).min(end(f))),
                ex.what,
            ),
        ));
    }
    Ok(())
}

/// First id in both sorted lists.
fn first_common(a: &[NodeId], b: &[NodeId]) -> Option<NodeId> {
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => return Some(a[i]),
        }
    }
    None
}

/// Resolve the `timeline:` list, sorted by time (stable: file order at equal
/// times).
pub fn timeline(r: &mut Resolver, raw: &[ActionRaw], limits: &Limits) -> R<Vec<TimelineEvent>> {
    if raw.len() > limits.max_entries {
        return Err(r.err(
            "timeline",
            format!(
                "{} entries is more than the limit of {} (raise it with `--limit entries=…`)",
                raw.len(),
                limits.max_entries
            ),
        ));
    }
    // (at, file index, action); sorted stably by time below.
    let mut events: Vec<(Nanos, usize, Action)> = Vec::with_capacity(raw.len());
    for (i, a) in raw.iter().enumerate() {
        let p = format!("timeline[{i}]");
        let Some(Dur(at)) = a.at else {
            return Err(r.err(&p, "missing `at`: when does this happen? (e.g. at: 90m)"));
        };
        if at >= r.duration() {
            return Err(r.err(
                &format!("{p}.at"),
                format!(
                    "{} is at or after the end of the run ({})",
                    fd(at),
                    fd(r.duration())
                ),
            ));
        }
        one_key(r, &p, &a.present(), "action", VERB_NAMES)?;
        let action = a
            .resolve_kind(r, &p, i)
            .expect("exactly one action was checked above")?;
        events.push((at, i, action));
    }
    events.sort_by_key(|(at, i, _)| (*at, *i));
    check_pairs(r, &events)?;
    Ok(events
        .into_iter()
        .map(|(at, _, action)| TimelineEvent { at, action })
        .collect())
}

/// A closing verb (`heal`, `release`) must name something opened earlier in
/// time; two entries of one group active at once must not share a name,
/// since closing it would end both.
fn check_pairs(r: &Resolver, events: &[(Nanos, usize, Action)]) -> R<()> {
    // group → names opened so far; (group, name) → timeline index while active.
    let mut opened: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    let mut active: BTreeMap<(&str, String), usize> = BTreeMap::new();
    for (_, i, action) in events {
        match action.pairing() {
            Pairing::None => {}
            Pairing::Opens {
                group,
                closer,
                name,
            } => {
                opened.entry(group).or_default().insert(name.to_string());
                if let Some(j) = active.insert((group, name.to_string()), *i) {
                    return Err(r.err(
                        &format!("timeline[{i}].{group}.name"),
                        format!(
                            "a {group} named `{name}` (timeline[{j}]) is still active here, and `{closer}: {name}` would end both; give each its own name",
                            name = short(name)
                        ),
                    ));
                }
            }
            Pairing::Closes { group, name: None } => active.retain(|(g, _), _| *g != group),
            Pairing::Closes {
                group,
                name: Some(n),
            } => {
                let so_far = opened.entry(group).or_default();
                if !so_far.contains(n) {
                    return Err(r.err(
                        &format!("timeline[{i}].{}", action.name()),
                        format!(
                            "no {group} named `{}` starts before this; {group}s so far: {}",
                            short(n),
                            list(so_far)
                        ),
                    ));
                }
                active.remove(&(group, n.to_string()));
            }
        }
    }
    Ok(())
}

fn list(s: &BTreeSet<String>) -> String {
    some_names(s.iter(), s.len())
}

/// Nodes that get host samples: every host fault's, and those a timeline
/// entry parks.
pub fn sampled_nodes(faults: &[FaultSpec], timeline: &[TimelineEvent]) -> BTreeSet<NodeId> {
    let mut sampled: BTreeSet<NodeId> = faults
        .iter()
        .flat_map(|f| f.nodes.iter().copied())
        .collect();
    for ev in timeline {
        sampled.extend(ev.action.parked_nodes().iter().copied());
    }
    sampled
}
