//! Rules of the configuration table: presets per memberlist.md §6/§7, keys,
//! aliases, errors and bounds.

use super::keys::{canonical, NEGATED};
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
    assert!(!c.smooth_suspicion_timeout && !c.tcp_fallback && !c.gossip_to_dead && !c.left_state);
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
        ("handoff_order", "fifo"),
        ("handoff_queue_depth", "512"),
        ("left_state", "false"),
        ("exhaustive_small_random_nodes", "false"),
        ("protocol_max", "4"),
        ("serf_reconnect_interval", "20s"),
        ("serf_reconnect_timeout", "72h"),
        ("serf_reap_interval", "10s"),
        ("serf_tombstone_timeout", "1h"),
        ("serf_flap_timeout", "90s"),
    ];
    assert_eq!(
        values.len(),
        field_names().len(),
        "every field is exercised"
    );
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
    assert_eq!(
        (c.handoff_order, c.handoff_queue_depth),
        (HandoffOrder::Fifo, 512)
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

/// Bug (issue 10, "knobs that do nothing"): `dead_node_reclaim_time` was
/// accepted and ignored. flapsim does not model name reclaim, so it refuses it
/// with a sentence naming the field and saying so.
#[test]
fn unmodelled_knobs_are_refused_not_ignored() {
    for (key, value) in [
        ("dead_node_reclaim_time", "10m"),
        ("DeadNodeReclaimTime", "10m"),
    ] {
        let err = Config::lan().set(key, value).expect_err(key);
        assert!(err.contains("is not modelled"), "{key}: {err}");
        assert!(err.contains(&format!("`{key}`")), "{key}: {err}");
    }
    assert!(!field_names().contains(&"dead_node_reclaim_time"));
}

/// Rule (memberlist.md §4.4): the hand-off queue is modelled, so its depth is
/// a field under memberlist's own names (1024 in every generation), 0 is
/// refused (it would drop every state message), and the serving order follows
/// the generation: the 2015 channel oldest first, alive-first newest-first
/// since 2018 (bc4f353).
#[test]
fn handoff_queue_depth_and_order_are_fields_per_generation() {
    let mut c = Config::lan();
    assert_eq!(
        (c.handoff_queue_depth, c.handoff_order),
        (1024, HandoffOrder::AliveFirstLifo)
    );
    c.set("HandoffQueueDepth", "64").expect("memberlist's name");
    assert_eq!(c.handoff_queue_depth, 64);
    c.set("handoff_order", "fifo").expect("a choice");
    assert_eq!(c.handoff_order, HandoffOrder::Fifo);
    c.set("handoff_queue_depth", "0").expect("a count");
    let err = c.validate().unwrap_err();
    assert!(
        err.contains("handoff_queue_depth") && err.contains(">= 1"),
        "{err}"
    );
    let err = c.set("handoff_order", "lifo").unwrap_err();
    assert!(err.contains("fifo or alive_first_lifo"), "{err}");
    for old in [Config::memberlist_2015(), Config::memberlist_2016()] {
        assert_eq!(
            (old.handoff_queue_depth, old.handoff_order),
            (1024, HandoffOrder::Fifo)
        );
    }
}

/// Rule (one table per concept): every row's value, written as a scenario
/// writes it, reads back to the same value through `set()` — for every preset's
/// column, so the text form, the parser and the presets agree.
#[test]
fn every_preset_value_round_trips_through_its_text() {
    for (name, preset) in Preset::ALL {
        let want = Config::for_preset(preset);
        let mut rows = Vec::new();
        want.text_fields(&mut rows);
        assert_eq!(rows.len() + NEGATED.len(), field_names().len(), "{name}");
        // Start from another column so every set has to change something.
        let other = if preset == Preset::Y2015 {
            Preset::Wan
        } else {
            Preset::Y2015
        };
        let mut got = Config::for_preset(other);
        for (key, text) in &rows {
            got.set(key, text)
                .unwrap_or_else(|e| panic!("{name}: {key} = {text}: {e}"));
        }
        assert_eq!(got, want, "{name}");
        assert_eq!(want.validate(), Ok(()), "{name}");
    }
}

/// Rule: summary.json's effective parameters are the table's rows, one each,
/// with distinct keys carrying their unit.
#[test]
fn effective_parameters_have_one_key_per_row() {
    let eff = Config::lan().effective();
    let keys: Vec<&str> = eff.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys.len() + NEGATED.len(), field_names().len());
    let mut unique = keys.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), keys.len(), "{keys:?}");
    for (k, row) in keys.iter().zip(Config::KEYS.iter().chain(SerfConfig::KEYS)) {
        assert!(k.starts_with(row), "{k} is not row {row}");
    }
    assert!(keys.contains(&"probe_interval_ms") && keys.contains(&"serf_flap_timeout_s"));
    assert!(keys.contains(&"udp_buffer_size_bytes"));
}
