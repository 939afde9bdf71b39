//! Protocol configuration and presets (memberlist.md §6, model.md §4).
//!
//! Every behaviour that changed between 2015, 2016 and today is its own field, so a
//! preset is just a set of values and any field can be overridden from a scenario
//! (e.g. `memberlist-2015` with TCP fallback switched on).
//!
//! One table is the whole truth about a field: the rows of `config_table!` below
//! give its name, type, doc, how its value is read and reported ([`table::Codec`]),
//! its value in every preset and its bound. The struct, [`Config::for_preset`],
//! [`Config::set`], [`field_names`] and summary.json's effective parameters
//! ([`Config::json_fields`]) are generated from the rows, so adding a field is
//! adding a row.

mod keys;
pub mod table;
#[cfg(test)]
mod tests;

use super::{Nanos, MS, SEC};
use crate::units::format_duration;
pub use keys::{canonical, field_names};
use keys::{normalize, NEGATED, NOT_MODELLED};
use table::{config_table, Bytes, Count, CountOrDefault, Millis, Named, Seconds, Switch, Version};

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

/// The order in which the packet handler applies the state messages (alive,
/// suspect, dead) that the packet listener queued for it (memberlist.md §4.4).
///
/// It matters only when several wait, which happens when the listener reads a
/// backlog faster than the handler runs (a release burst after a freeze or a
/// pause): then it decides whether a node first sees the `suspect` or the later
/// `dead` about itself, and so which one it refutes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HandoffOrder {
    /// 2015/2016 (6025015 and 215aec8 net.go `handleCommand`/`udpHandler`): one
    /// buffered channel, oldest first.
    Fifo,
    /// Since bc4f353 (2018-08, "Prioritize alive messages"; 0.2.2 and HEAD net.go
    /// `handleCommand`/`getNextMessage`): alive messages in their own queue, served
    /// before the others; each queue newest first (`PushBack`, take `Back()`).
    AliveFirstLifo,
}

/// When dead nodes are forgotten (memberlist.md §2.2 `resetNodes`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReapPolicy {
    /// 2015/2016: every DEAD node is reaped at the next probe-list wrap.
    AtWrap,
    /// Since 073be6d (2017-01): only DEAD/LEFT nodes older than GossipToTheDeadTime.
    AfterGossipToTheDead,
}

/// A named set of values: a column of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Preset {
    /// memberlist 6025015 with Consul 0.5.2's LAN defaults: no Lifeguard, no TCP
    /// fallback, fixed stepwise suspicion (mult 5), gossip to ALIVE only, dead nodes
    /// reaped at the next wrap, legacy queue ordering, no LEFT state.
    Y2015,
    /// memberlist 215aec8 as vendored by Consul 0.7.0: Lifeguard (awareness with
    /// nack weight 2, dogpile suspicion with a stepwise minimum, buddy system),
    /// SuspicionMult 5, TCP fallback, no gossip to the dead, reap at wrap.
    Y2016,
    /// Today's LAN defaults (memberlist `DefaultLANConfig`, HEAD 1b4c746).
    Lan,
    /// Today's WAN defaults (`DefaultWANConfig`: LAN with the WAN overrides).
    Wan,
    /// Today's Local defaults (`DefaultLocalConfig`).
    Local,
}

impl Preset {
    /// Every preset with its name, in the order `flapsim presets` lists them.
    pub const ALL: [(&'static str, Preset); 5] = [
        ("memberlist-2015", Preset::Y2015),
        ("memberlist-2016", Preset::Y2016),
        ("memberlist", Preset::Lan),
        ("memberlist-wan", Preset::Wan),
        ("memberlist-local", Preset::Local),
    ];

    pub fn by_name(name: &str) -> Option<Preset> {
        Preset::ALL
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, p)| *p)
    }

    pub fn name(self) -> &'static str {
        Preset::ALL
            .iter()
            .find(|(_, p)| *p == self)
            .map(|(n, _)| *n)
            .expect("every preset is listed")
    }

    /// A generation before today's: the 2015 and 2016 columns share most values.
    fn old(self) -> bool {
        matches!(self, Preset::Y2015 | Preset::Y2016)
    }
}

/// The preset names accepted by [`Config::preset`].
pub const PRESETS: &[&str] = &[
    Preset::ALL[0].0,
    Preset::ALL[1].0,
    Preset::ALL[2].0,
    Preset::ALL[3].0,
    Preset::ALL[4].0,
];

fn zero_duration(example: &str) -> Option<String> {
    Some(format!(
        "= 0s is invalid; expected a positive duration such as {example}"
    ))
}

fn zero_mult(v: &u32) -> Option<String> {
    (*v == 0).then(|| "= 0 is invalid; expected an integer >= 1".to_string())
}

config_table! {
    /// Serf's own timers (memberlist.md §9), keys prefixed `serf_`. The same in
    /// every preset: Serf's defaults with Consul's 72 h reconnect timeout.
    pub struct SerfConfig, prefix "serf_" {
        // Serf's timers may be 0: the timer is then off (serf.rs arms it only
        // when > 0; the oracle scenarios replay raw memberlist with no reconnects).
        reconnect_interval: Nanos => Seconds, preset |_| 30 * SEC;
        /// Failed members older than this are reaped (Serf 24 h; Consul sets 72 h).
        reconnect_timeout: Nanos => Seconds, preset |_| 72 * 3600 * SEC;
        reap_interval: Nanos => Seconds, preset |_| 15 * SEC;
        tombstone_timeout: Nanos => Seconds, preset |_| 24 * 3600 * SEC;
        /// A rejoin within this time of a failure counts as a flap (`serf.member.flap`).
        flap_timeout: Nanos => Seconds, preset |_| 60 * SEC;
    }
}

impl Default for SerfConfig {
    fn default() -> Self {
        SerfConfig::for_preset(Preset::Lan)
    }
}

config_table! {
    /// memberlist `Config`, the fields that shape failure detection and dissemination,
    /// plus switches for behaviours that differ between generations. Durations in ns.
    pub struct Config, prefix "" {
        /// Which generation the log lines and wire details follow.
        generation: Generation => Named<Generation>, preset |p| match p {
            Preset::Y2015 => Generation::Y2015,
            Preset::Y2016 => Generation::Y2016,
            _ => Generation::Today,
        };
        /// Period of the probe ticker.
        probe_interval: Nanos => Millis, preset |p| match p {
            Preset::Wan => 5 * SEC,
            _ => SEC,
        }, bound |v| if *v == 0 { zero_duration("1s") } else { None };
        /// Direct-ping wait before going indirect; also each relay's wait.
        probe_timeout: Nanos => Millis, preset |p| match p {
            Preset::Wan => 3 * SEC,
            Preset::Local => 200 * MS,
            _ => 500 * MS,
        }, bound |v| if *v == 0 { zero_duration("500ms") } else { None };
        /// Number of peers asked to ping-req a target.
        indirect_checks: u32 => Count, preset |p| match p {
            Preset::Local => 1,
            _ => 3,
        };
        /// Retransmit limit = RetransmitMult · ceil(log10(n+1)).
        retransmit_mult: u32 => Count, preset |p| match p {
            Preset::Local => 2,
            _ => 4,
        }, bound zero_mult;
        /// Suspicion timeout multiplier.
        suspicion_mult: u32 => Count, preset |p| match p {
            Preset::Y2015 | Preset::Y2016 => 5,
            Preset::Wan => 6,
            Preset::Local => 3,
            Preset::Lan => 4,
        }, bound zero_mult;
        /// Lifeguard: max = SuspicionMaxTimeoutMult · min.
        suspicion_max_timeout_mult: u32 => Count, preset |_| 6, bound zero_mult;
        /// Lifeguard: K, the independent confirmations that pull the suspicion timer
        /// from max down to min. None = memberlist's hard-wired SuspicionMult − 2
        /// (ml@HEAD state.go `suspectNode`); set it to replay the Lifeguard paper's
        /// α sweep (α = 5, 4, 2 with K = 3).
        expected_confirmations: Option<u32> => CountOrDefault, preset |_| None;
        /// Lifeguard: awareness score in [0, AwarenessMaxMultiplier-1].
        awareness_max_multiplier: u32 => Count, preset |_| 8, bound zero_mult;
        gossip_interval: Nanos => Millis, preset |p| match p {
            Preset::Wan => 500 * MS,
            Preset::Local => 100 * MS,
            _ => 200 * MS,
        };
        gossip_nodes: u32 => Count, preset |p| match p {
            Preset::Wan => 4,
            _ => 3,
        };
        /// Dead nodes stay gossip targets (and un-reaped) this long (today's rule).
        gossip_to_the_dead_time: Nanos => Seconds, preset |p| match p {
            Preset::Y2015 | Preset::Y2016 => 0,
            Preset::Wan => 60 * SEC,
            Preset::Local => 15 * SEC,
            Preset::Lan => 30 * SEC,
        };
        push_pull_interval: Nanos => Seconds, preset |p| match p {
            Preset::Wan => 60 * SEC,
            Preset::Local => 15 * SEC,
            _ => 30 * SEC,
        };
        tcp_timeout: Nanos => Seconds, preset |p| match p {
            Preset::Wan => 30 * SEC,
            Preset::Local => SEC,
            _ => 10 * SEC,
        }, bound |v| if *v == 0 { zero_duration("10s") } else { None };
        /// UDP packet budget for piggybacking (UDPBufferSize).
        udp_buffer_size: u32 => Bytes, preset |_| 1400, bound |v| {
            (!(64..=65_507).contains(v)).then(|| format!(
                "= {v} is out of range; expected 64 to 65507 bytes (memberlist's default is 1400)"
            ))
        };

        // --- Behaviour switches (set by presets, overridable) ---
        /// Lifeguard local health: awareness score scales the probe window, nacks.
        local_health: bool => Switch, preset |p| p != Preset::Y2015;
        /// Lifeguard dynamic suspicion: k confirmations shorten a long timer. Off ⇒
        /// a fixed timeout at the minimum.
        dynamic_suspicion: bool => Switch, preset |p| p != Preset::Y2015;
        /// Lifeguard buddy system: a ping to a suspect node carries the suspect message.
        buddy: bool => Switch, preset |p| p != Preset::Y2015;
        /// Multiplier on missing nacks in the awareness delta (2 in 2016, 1 since 2017-03).
        nack_penalty_mult: u32 => Count, preset |p| match p {
            Preset::Y2016 => 2,
            _ => 1,
        };
        /// Smooth `log10(n)` suspicion scale (since b339ecf, 2016-12) instead of the
        /// stepwise `ceil(log10(n+1))`.
        smooth_suspicion_timeout: bool => Switch, preset |p| !p.old();
        /// TCP fallback ping (protocol v3, 2015-06). `DisableTcpPings` is its negation.
        tcp_fallback: bool => Switch, preset |p| p != Preset::Y2015;
        /// Gossip goes to suspect and recently-dead nodes (since 9714d97, 2016-12);
        /// otherwise to ALIVE nodes only.
        gossip_to_dead: bool => Switch, preset |p| !p.old();
        reap: ReapPolicy => Named<ReapPolicy>, preset |p| if p.old() {
            ReapPolicy::AtWrap
        } else {
            ReapPolicy::AfterGossipToTheDead
        };
        queue_order: QueueOrder => Named<QueueOrder>, preset |p| if p.old() {
            QueueOrder::Legacy
        } else {
            QueueOrder::Btree
        };
        /// How the packet handler serves the state messages the listener queued.
        handoff_order: HandoffOrder => Named<HandoffOrder>, preset |p| if p.old() {
            HandoffOrder::Fifo
        } else {
            HandoffOrder::AliveFirstLifo
        };
        /// Capacity of the hand-off queue (each of the two since 2018; the 2015
        /// channel's fixed 1024 before); a state message arriving at a full queue is
        /// dropped with memberlist's WARN.
        handoff_queue_depth: u32 => Count, preset |_| 1024, bound |v| (*v == 0).then(||
            "= 0 would drop every alive, suspect and dead message; expected an integer >= 1 (memberlist's default is 1024)".to_string()
        );
        /// A graceful leave is recorded as LEFT (since 237d410, 2020) instead of DEAD.
        left_state: bool => Switch, preset |p| !p.old();
        /// kRandomNodes uses an exhaustive shuffle when n < 3k (since 8c0d992, 2026-06).
        exhaustive_small_random_nodes: bool => Switch, preset |p| !p.old();
        /// Protocol version this node advertises as PMax (2015: 2; 2016: 4; today: 5).
        protocol_max: u8 => Version, preset |p| match p {
            Preset::Y2015 => 2,
            Preset::Y2016 => 4,
            _ => 5,
        }, bound |v| (!(1..=5).contains(v)).then(|| format!(
            "= {v} is not a memberlist protocol version; expected 1 to 5"
        ));
    }
    nested serf: SerfConfig;
}

impl Config {
    /// K, the confirmations a suspicion waits for (before memberlist's `n − 2 < K`
    /// rule): the override, or SuspicionMult − 2 as memberlist hard-wires it.
    pub fn expected_confirmations(&self) -> u32 {
        self.expected_confirmations
            .unwrap_or_else(|| self.suspicion_mult.saturating_sub(2))
    }

    /// Today's LAN defaults (memberlist `DefaultLANConfig`, HEAD 1b4c746).
    pub fn lan() -> Config {
        Config::for_preset(Preset::Lan)
    }

    /// Today's WAN defaults (`DefaultWANConfig`).
    pub fn wan() -> Config {
        Config::for_preset(Preset::Wan)
    }

    /// Today's Local defaults (`DefaultLocalConfig`).
    pub fn local() -> Config {
        Config::for_preset(Preset::Local)
    }

    /// memberlist 6025015 with Consul 0.5.2's LAN defaults (see [`Preset::Y2015`]).
    pub fn memberlist_2015() -> Config {
        Config::for_preset(Preset::Y2015)
    }

    /// memberlist 215aec8 as vendored by Consul 0.7.0 (see [`Preset::Y2016`]).
    pub fn memberlist_2016() -> Config {
        Config::for_preset(Preset::Y2016)
    }

    /// A preset by name (see [`PRESETS`]).
    pub fn preset(name: &str) -> Option<Config> {
        Preset::by_name(name).map(Config::for_preset)
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

    /// Every key accepted by [`Config::set`], in canonical snake_case.
    pub fn field_names() -> &'static [&'static str] {
        field_names()
    }

    /// The canonical snake_case name of an accepted key (alias or CamelCase), so
    /// a caller can remember which file line or flag set each field and locate a
    /// [`Config::validate`] error there.
    pub fn canonical_key(key: &str) -> Option<&'static str> {
        canonical(key)
    }

    /// Every effective parameter as (summary.json key with its unit, value), in
    /// table order: what a run actually used, whatever preset and overrides
    /// produced it.
    pub fn effective(&self) -> Vec<(String, serde_json::Value)> {
        let mut out = Vec::with_capacity(field_names().len());
        self.json_fields(&mut out);
        out
    }

    /// Override one field from text, e.g. `set("probe_interval", "2s")`.
    ///
    /// Keys are memberlist's field names in snake_case; memberlist's CamelCase
    /// (`ProbeInterval`, `UDPBufferSize`), Consul's `gossip_lan` names (the same
    /// snake_case) and Serf's timer names (`ReconnectTimeout`, `reconnect_timeout`)
    /// are accepted as aliases. Durations use [`crate::units::parse_duration`];
    /// switches take true/false. `disable_tcp_pings` is stored as the negation of
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
                keys::nearest(key)
            ));
        };
        let v = value.trim();
        if let Some((_, row)) = NEGATED.iter().find(|(k, _)| *k == field) {
            let on = <Switch as table::Codec>::parse(field, v)?;
            return self
                .set_key(row, if on { "false" } else { "true" })
                .expect("a negated key names a row");
        }
        self.set_key(field, v)
            .unwrap_or_else(|| unreachable!("BUG! field `{field}` listed but not in the table"))
    }

    /// Rules that span fields or bound values; the first broken one is reported.
    ///
    /// memberlist itself validates almost nothing; these bounds keep the simulated
    /// protocol meaningful (a zero interval would spin; a probe timeout longer than
    /// the probe interval would leave no time for indirect probes, since the ack
    /// handler expires at `start + ProbeInterval`, ml@HEAD state.go `probeNode`).
    /// Single-field bounds live in the table's rows; the cross-field rules here.
    pub fn validate(&self) -> Result<(), String> {
        let d = format_duration;
        self.check_bounds()?;
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
        if self.tcp_fallback && self.protocol_max < 3 {
            return Err(format!(
                "`tcp_fallback` = true has no effect with `protocol_max` = {}; TCP pings need the target's protocol >= 3, so also set protocol_max: 3 (or higher)",
                self.protocol_max
            ));
        }
        Ok(())
    }
}
