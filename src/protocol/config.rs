//! Protocol configuration and presets (memberlist.md §6, model.md §4).
//!
//! Every behaviour that changed between 2015, 2016 and today is its own field, so a
//! preset is just a set of values and any field can be overridden from a scenario
//! (e.g. `memberlist-2015` with TCP fallback switched on).

use super::{Nanos, MS, SEC};

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
    /// Depth of the state-message hand-off queue.
    pub handoff_queue_depth: u32,
    /// 0 = never reclaim a dead node's name for another address.
    pub dead_node_reclaim_time: Nanos,

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
            awareness_max_multiplier: 8,
            gossip_interval: 200 * MS,
            gossip_nodes: 3,
            gossip_to_the_dead_time: 30 * SEC,
            push_pull_interval: 30 * SEC,
            tcp_timeout: 10 * SEC,
            udp_buffer_size: 1400,
            handoff_queue_depth: 1024,
            dead_node_reclaim_time: 0,
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

    /// True when any Lifeguard mechanism is on (the switches only exist there).
    pub fn is_lifeguard(&self) -> bool {
        self.generation != Generation::Y2015
    }
}

impl Config {
    /// Override one field by its snake_case memberlist name or Consul `gossip_lan`
    /// alias, parsing `value` (durations like `500ms`). (Implementation pending.)
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        Err(format!("cannot set `{key}` to `{value}` yet"))
    }
}
