//! Protocol configuration and presets (memberlist.md §6, model.md §4).
//!
//! Every behaviour that changed between 2015, 2016 and today is its own field, so a
//! preset is just a set of values and any field can be overridden from a scenario
//! (e.g. `memberlist-2015` with TCP fallback switched on).

use super::{Nanos, MS, SEC};
use crate::units::{format_duration, parse_duration};

/// Which memberlist generation a preset replays. Informational: behaviour is driven
/// by the individual fields below, which the presets set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Generation {
    /// memberlist 6025015 (Consul 0.5.2, May 2015): no Lifeguard.
    Y2015,
    /// memberlist 215aec8 (Consul 0.7.0, 2016): first Lifeguard release.
    Y2016,
    /// memberlist HEAD 1b4c746 (today).
    Today,
}

/// Ordering of the transmit-limited broadcast queue (memberlist.md §4.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueueOrder {
    /// Before f416c6d (2018): fewest transmits first, newest first within a tier,
    /// first-fit by bytes.
    Legacy,
    /// Today's btree: fewest transmits, then largest message that fits, then newest.
    Btree,
}

/// When dead nodes are forgotten (memberlist.md §2.2 `resetNodes`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReapPolicy {
    /// 2015/2016: every DEAD node is reaped at the next probe-list wrap.
    AtWrap,
    /// Since 073be6d (2017-01): only DEAD/LEFT nodes older than GossipToTheDeadTime.
    AfterGossipToTheDead,
}

/// Serf's own timers (memberlist.md §9).
#[derive(Clone, Debug, PartialEq)]
pub struct SerfConfig {
    pub reconnect_interval: Nanos,
    /// Failed members older than this are reaped (Serf 24 h; Consul sets 72 h).
    pub reconnect_timeout: Nanos,
    pub reap_interval: Nanos,
    pub tombstone_timeout: Nanos,
    /// A rejoin within this time of a failure counts as a flap (`serf.member.flap`).
    pub flap_timeout: Nanos,
}

impl Default for SerfConfig {
    fn default() -> Self {
        SerfConfig {
            reconnect_interval: 30 * SEC,
            reconnect_timeout: 72 * 3600 * SEC,
            reap_interval: 15 * SEC,
            tombstone_timeout: 24 * 3600 * SEC,
            flap_timeout: 60 * SEC,
        }
    }
}

/// memberlist `Config`, the fields that shape failure detection and dissemination,
/// plus switches for behaviours that differ between generations. Durations in ns.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub generation: Generation,
    /// Period of the probe ticker.
    pub probe_interval: Nanos,
    /// Direct-ping wait before going indirect; also each relay's wait.
    pub probe_timeout: Nanos,
    /// Number of peers asked to ping-req a target.
    pub indirect_checks: u32,
    /// Retransmit limit = RetransmitMult · ceil(log10(n+1)).
    pub retransmit_mult: u32,
    /// Suspicion timeout multiplier.
    pub suspicion_mult: u32,
    /// Lifeguard: max = SuspicionMaxTimeoutMult · min.
    pub suspicion_max_timeout_mult: u32,
    /// Lifeguard: K, the independent confirmations that pull the suspicion timer
    /// from max down to min. None = memberlist's hard-wired SuspicionMult − 2
    /// (ml@HEAD state.go `suspectNode`); set it to replay the Lifeguard paper's
    /// α sweep (α = 5, 4, 2 with K = 3).
    pub expected_confirmations: Option<u32>,
    /// Lifeguard: awareness score in [0, AwarenessMaxMultiplier-1].
    pub awareness_max_multiplier: u32,
    pub gossip_interval: Nanos,
    pub gossip_nodes: u32,
    /// Dead nodes stay gossip targets (and un-reaped) this long (today's rule).
    pub gossip_to_the_dead_time: Nanos,
    pub push_pull_interval: Nanos,
    pub tcp_timeout: Nanos,
    /// UDP packet budget for piggybacking (UDPBufferSize).
    pub udp_buffer_size: u32,

    // --- Behaviour switches (set by presets, overridable) ---
    /// Lifeguard local health: awareness score scales the probe window, nacks.
    pub local_health: bool,
    /// Lifeguard dynamic suspicion: k confirmations shorten a long timer. Off ⇒
    /// a fixed timeout at the minimum.
    pub dynamic_suspicion: bool,
    /// Lifeguard buddy system: a ping to a suspect node carries the suspect message.
    pub buddy: bool,
    /// Multiplier on missing nacks in the awareness delta (2 in 2016, 1 since 2017-03).
    pub nack_penalty_mult: u32,
    /// Smooth `log10(n)` suspicion scale (since b339ecf, 2016-12) instead of the
    /// stepwise `ceil(log10(n+1))`.
    pub smooth_suspicion_timeout: bool,
    /// TCP fallback ping (protocol v3, 2015-06). `DisableTcpPings` is its negation.
    pub tcp_fallback: bool,
    /// Gossip goes to suspect and recently-dead nodes (since 9714d97, 2016-12);
    /// otherwise to ALIVE nodes only.
    pub gossip_to_dead: bool,
    pub reap: ReapPolicy,
    pub queue_order: QueueOrder,
    /// A graceful leave is recorded as LEFT (since 237d410, 2020) instead of DEAD.
    pub left_state: bool,
    /// kRandomNodes uses an exhaustive shuffle when n < 3k (since 8c0d992, 2026-06).
    pub exhaustive_small_random_nodes: bool,
    /// Protocol version this node advertises as PMax (2015: 2; today: 5).
    pub protocol_max: u8,
    pub serf: SerfConfig,
}

/// The preset names accepted by [`Config::preset`].
pub const PRESETS: &[&str] = &[
    "memberlist-2015",
    "memberlist-2016",
    "memberlist",
    "memberlist-wan",
    "memberlist-local",
];

impl Config {
    /// K, the confirmations a suspicion waits for (before memberlist's `n − 2 < K`
    /// rule): the override, or SuspicionMult − 2 as memberlist hard-wires it.
    pub fn expected_confirmations(&self) -> u32 {
        self.expected_confirmations
            .unwrap_or_else(|| self.suspicion_mult.saturating_sub(2))
    }

    /// Today's LAN defaults (memberlist `DefaultLANConfig`, HEAD 1b4c746).
    pub fn lan() -> Config {
        Config {
            generation: Generation::Today,
            probe_interval: SEC,
            probe_timeout: 500 * MS,
            indirect_checks: 3,
            retransmit_mult: 4,
            suspicion_mult: 4,
            suspicion_max_timeout_mult: 6,
            expected_confirmations: None,
            awareness_max_multiplier: 8,
            gossip_interval: 200 * MS,
            gossip_nodes: 3,
            gossip_to_the_dead_time: 30 * SEC,
            push_pull_interval: 30 * SEC,
            tcp_timeout: 10 * SEC,
            udp_buffer_size: 1400,
            local_health: true,
            dynamic_suspicion: true,
            buddy: true,
            nack_penalty_mult: 1,
            smooth_suspicion_timeout: true,
            tcp_fallback: true,
            gossip_to_dead: true,
            reap: ReapPolicy::AfterGossipToTheDead,
            queue_order: QueueOrder::Btree,
            left_state: true,
            exhaustive_small_random_nodes: true,
            protocol_max: 5,
            serf: SerfConfig::default(),
        }
    }

    /// Today's WAN defaults (`DefaultWANConfig`: LAN with the WAN overrides).
    pub fn wan() -> Config {
        Config {
            probe_interval: 5 * SEC,
            probe_timeout: 3 * SEC,
            suspicion_mult: 6,
            gossip_interval: 500 * MS,
            gossip_nodes: 4,
            gossip_to_the_dead_time: 60 * SEC,
            push_pull_interval: 60 * SEC,
            tcp_timeout: 30 * SEC,
            ..Config::lan()
        }
    }

    /// Today's Local defaults (`DefaultLocalConfig`).
    pub fn local() -> Config {
        Config {
            probe_interval: SEC,
            probe_timeout: 200 * MS,
            indirect_checks: 1,
            retransmit_mult: 2,
            suspicion_mult: 3,
            gossip_interval: 100 * MS,
            gossip_to_the_dead_time: 15 * SEC,
            push_pull_interval: 15 * SEC,
            tcp_timeout: SEC,
            ..Config::lan()
        }
    }

    /// memberlist 6025015 with Consul 0.5.2's LAN defaults: no Lifeguard, no TCP
    /// fallback, fixed stepwise suspicion (mult 5), gossip to ALIVE only, dead nodes
    /// reaped at the next wrap, legacy queue ordering, no LEFT state.
    pub fn memberlist_2015() -> Config {
        Config {
            generation: Generation::Y2015,
            suspicion_mult: 5,
            local_health: false,
            dynamic_suspicion: false,
            buddy: false,
            nack_penalty_mult: 1,
            smooth_suspicion_timeout: false,
            tcp_fallback: false,
            gossip_to_dead: false,
            gossip_to_the_dead_time: 0,
            reap: ReapPolicy::AtWrap,
            queue_order: QueueOrder::Legacy,
            left_state: false,
            exhaustive_small_random_nodes: false,
            protocol_max: 2,
            ..Config::lan()
        }
    }

    /// memberlist 215aec8 as vendored by Consul 0.7.0: Lifeguard (awareness with
    /// nack weight 2, dogpile suspicion with a stepwise minimum, buddy system),
    /// SuspicionMult 5, TCP fallback, no gossip to the dead, reap at wrap.
    pub fn memberlist_2016() -> Config {
        Config {
            generation: Generation::Y2016,
            suspicion_mult: 5,
            nack_penalty_mult: 2,
            smooth_suspicion_timeout: false,
            gossip_to_dead: false,
            gossip_to_the_dead_time: 0,
            reap: ReapPolicy::AtWrap,
            queue_order: QueueOrder::Legacy,
            left_state: false,
            exhaustive_small_random_nodes: false,
            protocol_max: 4,
            ..Config::lan()
        }
    }

    /// A preset by name (see [`PRESETS`]).
    pub fn preset(name: &str) -> Option<Config> {
        Some(match name {
            "memberlist-2015" => Config::memberlist_2015(),
            "memberlist-2016" => Config::memberlist_2016(),
            "memberlist" => Config::lan(),
            "memberlist-wan" => Config::wan(),
            "memberlist-local" => Config::local(),
            _ => return None,
        })
    }

    /// True when any Lifeguard mechanism is on.
    ///
    /// Decided by the switches, not the generation: the presets agree either way
    /// (2015 has all three off, 2016 and today all on), but an ablation such as
    /// `memberlist-2015` with `local_health: true` does run a Lifeguard mechanism,
    /// and `memberlist` with all three off runs none.
    pub fn is_lifeguard(&self) -> bool {
        self.local_health || self.dynamic_suspicion || self.buddy
    }

    /// True for code newer than mid-2015: today's ping encoding and the log lines
    /// that arrived later ("Failed UDP ping", "(N peer confirmations)"). Tied to
    /// the generation, not to the Lifeguard switches, because it is about which
    /// binary the operator runs.
    pub fn speaks_post_2015(&self) -> bool {
        self.generation != Generation::Y2015
    }
}

/// Every key [`Config::set`] accepts, in snake_case (memberlist's field names;
/// Serf's timers prefixed with `serf_`).
pub const FIELD_NAMES: &[&str] = &[
    "generation",
    "probe_interval",
    "probe_timeout",
    "indirect_checks",
    "retransmit_mult",
    "suspicion_mult",
    "suspicion_max_timeout_mult",
    "expected_confirmations",
    "awareness_max_multiplier",
    "gossip_interval",
    "gossip_nodes",
    "gossip_to_the_dead_time",
    "push_pull_interval",
    "tcp_timeout",
    "udp_buffer_size",
    "local_health",
    "dynamic_suspicion",
    "buddy",
    "nack_penalty_mult",
    "smooth_suspicion_timeout",
    "tcp_fallback",
    "disable_tcp_pings",
    "gossip_to_dead",
    "reap",
    "queue_order",
    "left_state",
    "exhaustive_small_random_nodes",
    "protocol_max",
    "serf_reconnect_interval",
    "serf_reconnect_timeout",
    "serf_reap_interval",
    "serf_tombstone_timeout",
    "serf_flap_timeout",
];

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

/// Lower-case and drop `_`, `-`, `.` and spaces, so `ProbeInterval`,
/// `probe_interval`, `probe-interval` and `serf.reap_interval` compare equal.
fn normalize(key: &str) -> String {
    key.chars()
        .filter(|c| !matches!(c, '_' | '-' | '.' | ' '))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The canonical snake_case name for `key`, if it is one we accept.
/// memberlist knobs flapsim refuses because it does not model what they tune
/// (accepting and ignoring them would report results they did not shape).
const NOT_MODELLED: &[(&str, &str)] = &[
    (
        "handoff_queue_depth",
        "memberlist's bounded UDP hand-off queue, which drops packets when full, is not simulated",
    ),
    (
        "dead_node_reclaim_time",
        "a dead node's name is never taken over by a new address in a scenario",
    ),
];

pub fn canonical(key: &str) -> Option<&'static str> {
    let norm = normalize(key);
    FIELD_NAMES
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
fn nearest(key: &str) -> &'static str {
    let norm = normalize(key);
    FIELD_NAMES
        .iter()
        .copied()
        .min_by_key(|f| levenshtein(&norm, &normalize(f)))
        .unwrap_or("probe_interval")
}

fn parse_dur(field: &str, value: &str) -> Result<Nanos, String> {
    parse_duration(value)
        .map_err(|e| format!("`{field}` = `{value}` is not a valid duration ({e})"))
}

fn parse_u32(field: &str, value: &str) -> Result<u32, String> {
    value.trim().parse::<u32>().map_err(|_| {
        format!(
            "`{field}` = `{value}` is not a whole number; expected an integer between 0 and {}",
            u32::MAX
        )
    })
}

fn parse_bool(field: &str, value: &str) -> Result<bool, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" => Ok(true),
        "false" | "no" | "off" | "0" => Ok(false),
        _ => Err(format!(
            "`{field}` = `{value}` is not a switch; expected true or false"
        )),
    }
}

impl Config {
    /// Every key accepted by [`Config::set`], in canonical snake_case.
    pub fn field_names() -> &'static [&'static str] {
        FIELD_NAMES
    }

    /// The canonical snake_case name of an accepted key (alias or CamelCase), so
    /// a caller can remember which file line or flag set each field and locate a
    /// [`Config::validate`] error there.
    pub fn canonical_key(key: &str) -> Option<&'static str> {
        canonical(key)
    }

    /// Override one field from text, e.g. `set("probe_interval", "2s")`.
    ///
    /// Keys are memberlist's field names in snake_case; memberlist's CamelCase
    /// (`ProbeInterval`, `UDPBufferSize`), Consul's `gossip_lan` names (the same
    /// snake_case) and Serf's timer names (`ReconnectTimeout`, `reconnect_timeout`)
    /// are accepted as aliases. Durations use [`parse_duration`]; switches take
    /// true/false. `disable_tcp_pings` is stored as the negation of
    /// `tcp_fallback`. Lifeguard switches may be turned on over any preset, as an
    /// ablation knob; [`Config::is_lifeguard`] then reports true.
    ///
    /// Errors are one sentence naming the key, the value and what is expected;
    /// an unknown key names the nearest accepted one. Cross-field rules are left
    /// to [`Config::validate`], so overrides may be applied in any order.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        if let Some((name, what)) = NOT_MODELLED
            .iter()
            .find(|(name, _)| normalize(name) == normalize(key))
        {
            let alias = if key == *name {
                String::new()
            } else {
                format!(" ({name})")
            };
            return Err(format!(
                "`{key}`{alias} is not modelled by flapsim ({what}); remove it rather than have it silently ignored"
            ));
        }
        let Some(field) = canonical(key) else {
            return Err(format!(
                "unknown config key `{key}`; did you mean `{}`? (see Config::field_names for all keys)",
                nearest(key)
            ));
        };
        let v = value.trim();
        match field {
            "generation" => {
                self.generation = match v.to_ascii_lowercase().as_str() {
                    "2015" | "y2015" => Generation::Y2015,
                    "2016" | "y2016" => Generation::Y2016,
                    "today" | "head" => Generation::Today,
                    _ => {
                        return Err(format!(
                            "`generation` = `{value}` is not a memberlist generation; expected 2015, 2016 or today"
                        ))
                    }
                }
            }
            "probe_interval" => self.probe_interval = parse_dur(field, v)?,
            "probe_timeout" => self.probe_timeout = parse_dur(field, v)?,
            "indirect_checks" => self.indirect_checks = parse_u32(field, v)?,
            "retransmit_mult" => self.retransmit_mult = parse_u32(field, v)?,
            "suspicion_mult" => self.suspicion_mult = parse_u32(field, v)?,
            "suspicion_max_timeout_mult" => self.suspicion_max_timeout_mult = parse_u32(field, v)?,
            "expected_confirmations" => {
                self.expected_confirmations = match v.to_ascii_lowercase().as_str() {
                    "default" | "auto" => None,
                    _ => Some(parse_u32(field, v)?),
                }
            }
            "awareness_max_multiplier" => self.awareness_max_multiplier = parse_u32(field, v)?,
            "gossip_interval" => self.gossip_interval = parse_dur(field, v)?,
            "gossip_nodes" => self.gossip_nodes = parse_u32(field, v)?,
            "gossip_to_the_dead_time" => self.gossip_to_the_dead_time = parse_dur(field, v)?,
            "push_pull_interval" => self.push_pull_interval = parse_dur(field, v)?,
            "tcp_timeout" => self.tcp_timeout = parse_dur(field, v)?,
            "udp_buffer_size" => self.udp_buffer_size = parse_u32(field, v)?,
            "local_health" => self.local_health = parse_bool(field, v)?,
            "dynamic_suspicion" => self.dynamic_suspicion = parse_bool(field, v)?,
            "buddy" => self.buddy = parse_bool(field, v)?,
            "nack_penalty_mult" => self.nack_penalty_mult = parse_u32(field, v)?,
            "smooth_suspicion_timeout" => self.smooth_suspicion_timeout = parse_bool(field, v)?,
            "tcp_fallback" => self.tcp_fallback = parse_bool(field, v)?,
            "disable_tcp_pings" => self.tcp_fallback = !parse_bool(field, v)?,
            "gossip_to_dead" => self.gossip_to_dead = parse_bool(field, v)?,
            "reap" => {
                self.reap = match normalize(v).as_str() {
                    "atwrap" => ReapPolicy::AtWrap,
                    "aftergossiptothedead" => ReapPolicy::AfterGossipToTheDead,
                    _ => {
                        return Err(format!(
                            "`reap` = `{value}` is not a reap policy; expected at_wrap or after_gossip_to_the_dead"
                        ))
                    }
                }
            }
            "queue_order" => {
                self.queue_order = match normalize(v).as_str() {
                    "legacy" => QueueOrder::Legacy,
                    "btree" => QueueOrder::Btree,
                    _ => {
                        return Err(format!(
                            "`queue_order` = `{value}` is not a queue order; expected legacy or btree"
                        ))
                    }
                }
            }
            "left_state" => self.left_state = parse_bool(field, v)?,
            "exhaustive_small_random_nodes" => self.exhaustive_small_random_nodes = parse_bool(field, v)?,
            "protocol_max" => {
                self.protocol_max = match v.parse::<u8>() {
                    Ok(p @ 1..=5) => p,
                    _ => {
                        return Err(format!(
                            "`protocol_max` = `{value}` is not a memberlist protocol version; expected 1 to 5"
                        ))
                    }
                }
            }
            "serf_reconnect_interval" => self.serf.reconnect_interval = parse_dur(field, v)?,
            "serf_reconnect_timeout" => self.serf.reconnect_timeout = parse_dur(field, v)?,
            "serf_reap_interval" => self.serf.reap_interval = parse_dur(field, v)?,
            "serf_tombstone_timeout" => self.serf.tombstone_timeout = parse_dur(field, v)?,
            "serf_flap_timeout" => self.serf.flap_timeout = parse_dur(field, v)?,
            other => unreachable!("BUG! field `{other}` listed but not handled"),
        }
        Ok(())
    }

    /// Rules that span fields or bound values; the first broken one is reported.
    ///
    /// memberlist itself validates almost nothing; these bounds keep the simulated
    /// protocol meaningful (a zero interval would spin; a probe timeout longer than
    /// the probe interval would leave no time for indirect probes, since the ack
    /// handler expires at `start + ProbeInterval`, ml@HEAD state.go `probeNode`).
    pub fn validate(&self) -> Result<(), String> {
        let d = format_duration;
        if self.probe_interval == 0 {
            return Err(
                "`probe_interval` = 0s is invalid; expected a positive duration such as 1s".into(),
            );
        }
        if self.probe_timeout == 0 {
            return Err(
                "`probe_timeout` = 0s is invalid; expected a positive duration such as 500ms"
                    .into(),
            );
        }
        if self.probe_timeout > self.probe_interval {
            return Err(format!(
                "`probe_timeout` = {} exceeds `probe_interval` = {}; expected probe_timeout <= probe_interval (the probe window ends at probe_interval)",
                d(self.probe_timeout),
                d(self.probe_interval)
            ));
        }
        if self.gossip_nodes > 0 && self.gossip_interval == 0 {
            return Err(format!(
                "`gossip_interval` = 0s is invalid with `gossip_nodes` = {}; expected a positive duration such as 200ms (or gossip_nodes: 0 to disable gossip)",
                self.gossip_nodes
            ));
        }
        for (name, value) in [
            ("suspicion_mult", self.suspicion_mult),
            (
                "suspicion_max_timeout_mult",
                self.suspicion_max_timeout_mult,
            ),
            ("awareness_max_multiplier", self.awareness_max_multiplier),
            ("retransmit_mult", self.retransmit_mult),
        ] {
            if value == 0 {
                return Err(format!("`{name}` = 0 is invalid; expected an integer >= 1"));
            }
        }
        if !(64..=65_507).contains(&self.udp_buffer_size) {
            return Err(format!(
                "`udp_buffer_size` = {} is out of range; expected 64 to 65507 bytes (memberlist's default is 1400)",
                self.udp_buffer_size
            ));
        }
        if self.tcp_timeout == 0 {
            return Err(
                "`tcp_timeout` = 0s is invalid; expected a positive duration such as 10s".into(),
            );
        }
        if self.tcp_fallback && self.protocol_max < 3 {
            return Err(format!(
                "`tcp_fallback` = true has no effect with `protocol_max` = {}; TCP pings need the target's protocol >= 3, so also set protocol_max: 3 (or higher)",
                self.protocol_max
            ));
        }
        if !(1..=5).contains(&self.protocol_max) {
            return Err(format!(
                "`protocol_max` = {} is not a memberlist protocol version; expected 1 to 5",
                self.protocol_max
            ));
        }
        // serf_reconnect_interval and serf_reap_interval may be 0: Serf's timer is
        // then off (serf.rs arms it only when > 0; the oracle scenarios replay raw
        // memberlist with no reconnects).
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Rule §6: today's LAN defaults (ml@HEAD config.go DefaultLANConfig).
    #[test]
    fn lan_preset_matches_section_6() {
        let c = Config::lan();
        assert_eq!(c.probe_interval, SEC);
        assert_eq!(c.probe_timeout, 500 * MS);
        assert_eq!(c.indirect_checks, 3);
        assert_eq!(c.retransmit_mult, 4);
        assert_eq!(c.suspicion_mult, 4);
        assert_eq!(c.suspicion_max_timeout_mult, 6);
        assert_eq!(c.awareness_max_multiplier, 8);
        assert_eq!(c.gossip_interval, 200 * MS);
        assert_eq!(c.gossip_nodes, 3);
        assert_eq!(c.gossip_to_the_dead_time, 30 * SEC);
        assert_eq!(c.push_pull_interval, 30 * SEC);
        assert_eq!(c.tcp_timeout, 10 * SEC);
        assert!(c.tcp_fallback, "DisableTcpPings false");
        assert_eq!(c.udp_buffer_size, 1400);
        assert_eq!(c.protocol_max, 5);
        assert_eq!(c.queue_order, QueueOrder::Btree);
        assert!(c.is_lifeguard());
        assert_eq!(c.validate(), Ok(()));
    }

    // Rule §6: WAN = LAN with PI 5 s, PT 3 s, SM 6, GI 500 ms, GN 4, GttD 60 s, PP 60 s, TCP 30 s.
    #[test]
    fn wan_preset_matches_section_6() {
        let c = Config::wan();
        assert_eq!(
            (c.probe_interval, c.probe_timeout, c.suspicion_mult),
            (5 * SEC, 3 * SEC, 6)
        );
        assert_eq!((c.gossip_interval, c.gossip_nodes), (500 * MS, 4));
        assert_eq!(c.gossip_to_the_dead_time, 60 * SEC);
        assert_eq!((c.push_pull_interval, c.tcp_timeout), (60 * SEC, 30 * SEC));
        assert_eq!((c.indirect_checks, c.retransmit_mult), (3, 4));
        assert_eq!(
            (c.suspicion_max_timeout_mult, c.awareness_max_multiplier),
            (6, 8)
        );
        assert_eq!(c.validate(), Ok(()));
    }

    // Rule §6: Local = LAN with PT 200 ms, IC 1, RM 2, SM 3, GI 100 ms, GttD 15 s, PP 15 s, TCP 1 s.
    #[test]
    fn local_preset_matches_section_6() {
        let c = Config::local();
        assert_eq!((c.probe_interval, c.probe_timeout), (SEC, 200 * MS));
        assert_eq!(
            (c.indirect_checks, c.retransmit_mult, c.suspicion_mult),
            (1, 2, 3)
        );
        assert_eq!((c.gossip_interval, c.gossip_nodes), (100 * MS, 3));
        assert_eq!(c.gossip_to_the_dead_time, 15 * SEC);
        assert_eq!((c.push_pull_interval, c.tcp_timeout), (15 * SEC, SEC));
        assert_eq!(c.validate(), Ok(()));
    }

    // Rule §6/§7: mid-2015 LAN (ml@6025015): SM 5, no Lifeguard, no TCP fallback, PMax 2, legacy queue.
    #[test]
    fn memberlist_2015_preset_matches_section_6_and_7() {
        let c = Config::memberlist_2015();
        assert_eq!((c.probe_interval, c.probe_timeout), (SEC, 500 * MS));
        assert_eq!(
            (c.indirect_checks, c.retransmit_mult, c.suspicion_mult),
            (3, 4, 5)
        );
        assert_eq!((c.gossip_interval, c.gossip_nodes), (200 * MS, 3));
        assert_eq!((c.push_pull_interval, c.tcp_timeout), (30 * SEC, 10 * SEC));
        assert_eq!(c.udp_buffer_size, 1400);
        assert!(!c.local_health && !c.dynamic_suspicion && !c.buddy);
        assert!(!c.is_lifeguard());
        assert!(
            !c.smooth_suspicion_timeout && !c.tcp_fallback && !c.gossip_to_dead && !c.left_state
        );
        assert_eq!(
            (c.reap, c.queue_order, c.protocol_max),
            (ReapPolicy::AtWrap, QueueOrder::Legacy, 2)
        );
        assert_eq!(c.validate(), Ok(()));
    }

    // Rule §6: the 2015 WAN and Local rows equal today's WAN/Local timings with 2015 switches.
    #[test]
    fn memberlist_2015_wan_and_local_rows_via_overrides() {
        let mut wan = Config::memberlist_2015();
        for (k, v) in [
            ("probe_interval", "5s"),
            ("probe_timeout", "3s"),
            ("suspicion_mult", "6"),
            ("gossip_interval", "500ms"),
            ("gossip_nodes", "4"),
            ("push_pull_interval", "60s"),
            ("tcp_timeout", "30s"),
        ] {
            wan.set(k, v).unwrap();
        }
        let today = Config::wan();
        assert_eq!(
            (
                wan.probe_interval,
                wan.probe_timeout,
                wan.suspicion_mult,
                wan.gossip_interval
            ),
            (
                today.probe_interval,
                today.probe_timeout,
                today.suspicion_mult,
                today.gossip_interval
            )
        );
        assert_eq!(wan.validate(), Ok(()));
    }

    // Rule §7: memberlist-2016 = Lifeguard with SM 5, nack weight 2, stepwise min, PMax 4.
    #[test]
    fn memberlist_2016_preset() {
        let c = Config::memberlist_2016();
        assert_eq!(
            (c.suspicion_mult, c.nack_penalty_mult, c.protocol_max),
            (5, 2, 4)
        );
        assert!(c.local_health && c.dynamic_suspicion && c.buddy && c.tcp_fallback);
        assert!(!c.smooth_suspicion_timeout && !c.gossip_to_dead);
        assert_eq!(c.validate(), Ok(()));
    }

    // Rule model.md §4: any field can be overridden by its snake_case name.
    #[test]
    fn overrides_parse_every_field() {
        let mut c = Config::lan();
        let values: &[(&str, &str)] = &[
            ("generation", "2016"),
            ("probe_interval", "2s"),
            ("probe_timeout", "750ms"),
            ("indirect_checks", "5"),
            ("retransmit_mult", "3"),
            ("suspicion_mult", "7"),
            ("suspicion_max_timeout_mult", "4"),
            ("expected_confirmations", "3"),
            ("awareness_max_multiplier", "3"),
            ("gossip_interval", "300ms"),
            ("gossip_nodes", "6"),
            ("gossip_to_the_dead_time", "45s"),
            ("push_pull_interval", "1m"),
            ("tcp_timeout", "5s"),
            ("udp_buffer_size", "1200"),
            ("local_health", "false"),
            ("dynamic_suspicion", "false"),
            ("buddy", "false"),
            ("nack_penalty_mult", "2"),
            ("smooth_suspicion_timeout", "false"),
            ("tcp_fallback", "true"),
            ("disable_tcp_pings", "false"),
            ("gossip_to_dead", "false"),
            ("reap", "at_wrap"),
            ("queue_order", "legacy"),
            ("left_state", "false"),
            ("exhaustive_small_random_nodes", "false"),
            ("protocol_max", "4"),
            ("serf_reconnect_interval", "20s"),
            ("serf_reconnect_timeout", "72h"),
            ("serf_reap_interval", "10s"),
            ("serf_tombstone_timeout", "1h"),
            ("serf_flap_timeout", "90s"),
        ];
        assert_eq!(values.len(), FIELD_NAMES.len(), "every field is exercised");
        for (k, v) in values {
            c.set(k, v).unwrap_or_else(|e| panic!("{k}={v}: {e}"));
        }
        assert_eq!(c.generation, Generation::Y2016);
        assert_eq!(c.probe_interval, 2 * SEC);
        assert_eq!(c.probe_timeout, 750 * MS);
        assert_eq!(c.push_pull_interval, 60 * SEC);
        assert_eq!(c.udp_buffer_size, 1200);
        assert_eq!(
            (c.reap, c.queue_order),
            (ReapPolicy::AtWrap, QueueOrder::Legacy)
        );
        assert_eq!(c.serf.flap_timeout, 90 * SEC);
        assert_eq!(c.serf.reconnect_timeout, 72 * 3600 * SEC);
        assert_eq!(c.expected_confirmations(), 3);
        c.set("expected_confirmations", "default").unwrap();
        assert_eq!(c.expected_confirmations(), 5, "back to SuspicionMult - 2");
        assert!(!c.is_lifeguard());
        assert_eq!(c.validate(), Ok(()));
    }

    // Rule: disable_tcp_pings is the negation of tcp_fallback.
    #[test]
    fn disable_tcp_pings_negates_tcp_fallback() {
        let mut c = Config::lan();
        c.set("disable_tcp_pings", "true").unwrap();
        assert!(!c.tcp_fallback);
        c.set("DisableTcpPings", "false").unwrap();
        assert!(c.tcp_fallback);
    }

    // Rule model.md §4: Consul gossip_lan names and memberlist CamelCase are aliases.
    #[test]
    fn consul_and_camel_case_aliases_are_accepted() {
        let mut c = Config::lan();
        c.set("ProbeInterval", "3s").unwrap();
        c.set("ProbeTimeout", "1s").unwrap();
        c.set("SuspicionMult", "5").unwrap();
        c.set("RetransmitMult", "6").unwrap();
        c.set("GossipNodes", "4").unwrap();
        c.set("GossipInterval", "250ms").unwrap();
        c.set("UDPBufferSize", "1300").unwrap();
        c.set("TCPTimeout", "2s").unwrap();
        c.set("GossipToTheDeadTime", "5s").unwrap();
        c.set("ReconnectTimeout", "8h").unwrap();
        c.set("reconnect_timeout", "9h").unwrap();
        assert_eq!((c.probe_interval, c.probe_timeout), (3 * SEC, SEC));
        assert_eq!(
            (c.suspicion_mult, c.retransmit_mult, c.gossip_nodes),
            (5, 6, 4)
        );
        assert_eq!(c.gossip_interval, 250 * MS);
        assert_eq!((c.udp_buffer_size, c.tcp_timeout), (1300, 2 * SEC));
        assert_eq!(c.gossip_to_the_dead_time, 5 * SEC);
        assert_eq!(c.serf.reconnect_timeout, 9 * 3600 * SEC);
    }

    // Rule: Lifeguard switches may be turned on over the 2015 preset (ablation); is_lifeguard follows them.
    #[test]
    fn lifeguard_switches_on_2015_are_an_ablation() {
        let mut c = Config::memberlist_2015();
        c.set("local_health", "true").unwrap();
        assert!(c.is_lifeguard());
        assert_eq!(c.generation, Generation::Y2015);
        assert_eq!(c.validate(), Ok(()));
    }

    // Rule: an unknown key errors and names the nearest valid key.
    #[test]
    fn unknown_key_names_the_nearest() {
        let e = Config::lan().set("probe_intervall", "1s").unwrap_err();
        assert!(
            e.contains("probe_intervall") && e.contains("`probe_interval`"),
            "{e}"
        );
        let e = Config::lan().set("suspicion_multiplier", "4").unwrap_err();
        assert!(e.contains("`suspicion_mult`"), "{e}");
    }

    // Rule: bad values error with the field, the value and what is expected.
    #[test]
    fn bad_values_error_clearly() {
        let mut c = Config::lan();
        let e = c.set("probe_interval", "fast").unwrap_err();
        assert!(
            e.contains("probe_interval") && e.contains("fast") && e.contains("duration"),
            "{e}"
        );
        let e = c.set("gossip_nodes", "-1").unwrap_err();
        assert!(
            e.contains("gossip_nodes") && e.contains("-1") && e.contains("integer"),
            "{e}"
        );
        let e = c.set("buddy", "maybe").unwrap_err();
        assert!(e.contains("buddy") && e.contains("true or false"), "{e}");
        let e = c.set("queue_order", "fifo").unwrap_err();
        assert!(e.contains("legacy or btree"), "{e}");
        let e = c.set("reap", "never").unwrap_err();
        assert!(e.contains("at_wrap"), "{e}");
        let e = c.set("protocol_max", "9").unwrap_err();
        assert!(e.contains("1 to 5"), "{e}");
        assert_eq!(c, Config::lan(), "failed sets change nothing");
    }

    // Rule: validate rejects cross-field and bound violations with one clear sentence.
    #[test]
    fn validate_rejects_bad_combinations() {
        let check = |k: &str, v: &str, needle: &str| {
            let mut c = Config::lan();
            c.set(k, v).unwrap();
            let e = c.validate().unwrap_err();
            assert!(e.contains(needle), "{k}={v}: {e}");
        };
        check("probe_interval", "0", "probe_interval");
        check("probe_timeout", "0", "probe_timeout");
        check("probe_timeout", "2s", "probe_timeout <= probe_interval");
        check("gossip_interval", "0", "gossip_interval");
        check("awareness_max_multiplier", "0", "awareness_max_multiplier");
        check("suspicion_mult", "0", "suspicion_mult");
        check("udp_buffer_size", "32", "udp_buffer_size");
        check("protocol_max", "2", "protocol_max: 3");
        // Equal probe timeout and interval is allowed, as in memberlist.
        let mut c = Config::lan();
        c.set("probe_timeout", "1s").unwrap();
        assert_eq!(c.validate(), Ok(()));
        // No gossip at all is fine without an interval.
        c.set("gossip_nodes", "0").unwrap();
        c.set("gossip_interval", "0").unwrap();
        assert_eq!(c.validate(), Ok(()));
    }

    // Rule: field_names lists every accepted key, each canonical.
    #[test]
    fn field_names_are_canonical() {
        for f in Config::field_names() {
            assert_eq!(canonical(f), Some(*f));
        }
    }

    /// Bug (issue 10, "knobs that do nothing"): `handoff_queue_depth` and
    /// `dead_node_reclaim_time` were accepted and ignored. flapsim models neither
    /// memberlist's bounded hand-off queue nor name reclaim, so it refuses them
    /// with a sentence naming the field and saying so.
    #[test]
    fn unmodelled_knobs_are_refused_not_ignored() {
        for (key, value) in [
            ("handoff_queue_depth", "64"),
            ("HandoffQueueDepth", "64"),
            ("dead_node_reclaim_time", "10m"),
        ] {
            let err = Config::lan().set(key, value).expect_err(key);
            assert!(err.contains("is not modelled"), "{key}: {err}");
            assert!(err.contains(&format!("`{key}`")), "{key}: {err}");
        }
        assert!(!FIELD_NAMES.contains(&"handoff_queue_depth"));
        assert!(!FIELD_NAMES.contains(&"dead_node_reclaim_time"));
    }
}
