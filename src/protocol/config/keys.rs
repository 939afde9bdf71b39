//! The names a field may be given: canonical snake_case keys (from the table),
//! memberlist's CamelCase, Consul's and Serf's spellings, the negated
//! `disable_tcp_pings`, and the knobs flapsim refuses.

use std::sync::OnceLock;

use super::{Config, SerfConfig};

/// A key that is not a row but sets one: `disable_tcp_pings` is memberlist's
/// `DisableTcpPings`, the negation of the `tcp_fallback` row.
pub(super) const NEGATED: &[(&str, &str)] = &[("disable_tcp_pings", "tcp_fallback")];

/// Extra spellings, as normalized keys (see [`normalize`]) → canonical name.
/// memberlist CamelCase and Consul's `gossip_lan` names need no entry: they
/// normalize to the canonical name already (`ProbeInterval`, `UDPBufferSize`,
/// `DisableTcpPings`, `probe_interval`). Serf's own CamelCase names
/// (`ReconnectTimeout`, …) and Consul's top-level `reconnect_timeout` lack the
/// `serf_` prefix, hence these aliases.
const ALIASES: &[(&str, &str)] = &[
    ("reconnectinterval", "serf_reconnect_interval"),
    ("reconnecttimeout", "serf_reconnect_timeout"),
    ("reapinterval", "serf_reap_interval"),
    ("tombstonetimeout", "serf_tombstone_timeout"),
    ("flaptimeout", "serf_flap_timeout"),
    ("protocolversionmax", "protocol_max"),
];

/// memberlist knobs flapsim refuses because it does not model what they tune
/// (accepting and ignoring them would report results they did not shape).
pub(super) const NOT_MODELLED: &[(&str, &str)] = &[(
    "dead_node_reclaim_time",
    "a dead node's name is never taken over by a new address in a scenario",
)];

/// Every key [`Config::set`] accepts, canonical snake_case, in table order:
/// memberlist's rows, the negated keys, then Serf's rows (`serf_` prefixed).
pub fn field_names() -> &'static [&'static str] {
    static NAMES: OnceLock<Vec<&'static str>> = OnceLock::new();
    NAMES.get_or_init(|| {
        Config::KEYS
            .iter()
            .chain(NEGATED.iter().map(|(k, _)| k))
            .chain(SerfConfig::KEYS)
            .copied()
            .collect()
    })
}

/// Lower-case and drop `_`, `-`, `.` and spaces, so `ProbeInterval`,
/// `probe_interval`, `probe-interval` and `serf.reap_interval` compare equal.
pub fn normalize(key: &str) -> String {
    key.chars()
        .filter(|c| !matches!(c, '_' | '-' | '.' | ' '))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The canonical snake_case name for `key`, if it is one we accept.
pub fn canonical(key: &str) -> Option<&'static str> {
    let norm = normalize(key);
    field_names()
        .iter()
        .copied()
        .find(|f| normalize(f) == norm)
        .or_else(|| ALIASES.iter().find(|(a, _)| *a == norm).map(|(_, c)| *c))
}

/// Edit distance, for "did you mean" suggestions.
fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The accepted key closest to `key`.
pub(super) fn nearest(key: &str) -> &'static str {
    let norm = normalize(key);
    field_names()
        .iter()
        .copied()
        .min_by_key(|f| levenshtein(&norm, &normalize(f)))
        .unwrap_or("probe_interval")
}
