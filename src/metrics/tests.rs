//! Metrics rules from model.md §6, each checked by feeding a [`Collector`] a
//! hand-written sequence of observer calls.

use super::testutil::scenario;
use super::*;
use crate::protocol::{Event, State, SEC};

const A: NodeId = 0;
const B: NodeId = 1;
const C: NodeId = 2;
const D: NodeId = 3;

/// Warm-up in the test scenario is 60 s; `T` is safely after it.
const T: Nanos = 100 * SEC;

fn collector(n: usize) -> Collector {
    let names: Vec<String> = (0..n).map(|i| format!("n-{i:02}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    Collector::new(&scenario(&refs, "memberlist-2015"))
}

fn dead(subject: NodeId, incarnation: u32, from: NodeId) -> Event {
    Event::MemberDown {
        subject,
        incarnation,
        from,
        state: State::Dead,
    }
}

fn names(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("n-{i:02}")).collect()
}

#[test]
fn fp_vs_fp_healthy_depends_on_subject_degraded() {
    // Rule: a DEAD declaration about an up subject is an FP; it is FP-healthy only if
    // no fault touched the subject, and "both healthy" only if neither side was touched.
    let mut c = collector(4);
    c.truth(T, B, Truth::Degraded(true));
    c.protocol(T + 1, A, &dead(B, 1, A)); // FP, subject degraded
    c.protocol(T + 2, A, &dead(C, 1, A)); // FP-healthy, both healthy
    c.truth(T + 3, A, Truth::Degraded(true));
    c.protocol(T + 4, A, &dead(D, 1, A)); // FP-healthy, observer degraded
    c.truth(T + 5, B, Truth::Degraded(false));
    c.protocol(T + 6, C, &dead(B, 1, C)); // FP-healthy again: B recovered
    let m = c.finish(3600 * SEC, 0);
    assert_eq!(m.totals.declarations, 4);
    assert_eq!(m.totals.fp, 4);
    assert_eq!(m.totals.fp_healthy, 3, "degraded subject is not FP-healthy");
    assert_eq!(
        m.totals.fp_both_healthy, 2,
        "degraded observer is not both-healthy"
    );
}

#[test]
fn declaration_about_crashed_node_is_not_fp() {
    // Rule: declaring a crashed (or left) node dead is a correct detection, not an FP;
    // a LEFT declaration is a leave, never a failure declaration.
    let mut c = collector(3);
    c.truth(T, B, Truth::Crashed);
    c.protocol(T + SEC, A, &dead(B, 1, A));
    c.truth(T, C, Truth::Left);
    c.protocol(
        T + SEC,
        A,
        &Event::MemberDown {
            subject: C,
            incarnation: 1,
            from: C,
            state: State::Left,
        },
    );
    // 2015 generations record a leave as DEAD from the node itself.
    c.protocol(T + SEC, B, &dead(C, 1, C));
    let m = c.finish(3600 * SEC, 0);
    assert_eq!(m.totals.declarations, 1);
    assert_eq!(m.totals.fp, 0);
    assert_eq!(m.totals.left_declarations, 2);
    assert_eq!(m.episodes.len(), 1, "leaves open no episode");
    assert_eq!(m.flap_episodes(), 0, "a true detection is no flap episode");
}

#[test]
fn flap_needs_rejoin_within_flap_timeout_at_same_observer() {
    // Rule: a flap is EventMemberFailed then EventMemberJoin of S at the SAME observer
    // within FlapTimeout (60 s); later rejoins and other observers' joins do not count.
    let mut c = collector(3);
    let failed = |s| Event::SerfMemberFailed { subject: s };
    let joined = |s| Event::SerfMemberJoin { subject: s };
    c.protocol(T, A, &failed(B));
    c.protocol(T + 20 * SEC, A, &joined(B)); // flap, 20 s
    c.protocol(T, C, &failed(B));
    c.protocol(T + 5 * SEC, A, &joined(B)); // A has no pending failure: no flap
    c.protocol(T + 61 * SEC, C, &joined(B)); // too late at C: no flap
    c.protocol(T + 100 * SEC, A, &failed(C));
    c.protocol(T + 159 * SEC, A, &joined(C)); // 59 s: flap
    let m = c.finish(3600 * SEC, 0);
    assert_eq!(m.totals.flaps, 2);
    assert_eq!(m.rejoin.to_vec(), vec![20 * SEC, 59 * SEC]);
    assert_eq!(m.per_node[B as usize].flaps_as_subject, 1);
    assert_eq!(m.per_node[C as usize].flaps_as_subject, 1);
    let rate = m.flaps_per_hour();
    let hours = (3600.0 - 60.0) / 3600.0;
    assert!((rate - 2.0 / hours).abs() < 1e-9, "rate {rate}");
}

/// Bug (issue 10, "flap definition"): metrics counted `dt <= FlapTimeout`, the
/// Serf layer `dt < FlapTimeout`. One definition, Serf's (`handleNodeJoin`:
/// `deadTime < s.config.FlapTimeout`): a rejoin exactly FlapTimeout after the
/// failure is no flap, in metrics as in the Serf `flap` counter.
#[test]
fn flap_definition_is_serfs_strictly_less_than_flap_timeout() {
    let mut c = collector(3);
    c.protocol(T, A, &Event::SerfMemberFailed { subject: B });
    c.protocol(T + 60 * SEC, A, &Event::SerfMemberJoin { subject: B });
    c.protocol(T, C, &Event::SerfMemberFailed { subject: B });
    c.protocol(T + 60 * SEC - 1, C, &Event::SerfMemberJoin { subject: B });
    let m = c.finish(3600 * SEC, 0);
    assert_eq!(m.totals.flaps, 1, "only the rejoin 1 ns inside FlapTimeout");
    // Recorded truncated to the millisecond (`Durations`).
    assert_eq!(m.rejoin.to_vec(), vec![60 * SEC - Durations::RESOLUTION]);
}

#[test]
fn episodes_group_by_subject_and_incarnation() {
    // Rule: a flap episode is all DEAD declarations of S at one incarnation, cluster-wide.
    let mut c = started(4);
    c.protocol(T, A, &dead(B, 1, A));
    c.protocol(T + 1, C, &dead(B, 1, A));
    c.protocol(T + 2, D, &dead(B, 1, C));
    c.protocol(T + 10 * SEC, A, &dead(B, 2, A)); // refuted to 2, declared again
    c.protocol(T + 20 * SEC, A, &dead(C, 2, A));
    let m = c.finish(3600 * SEC, 0);
    assert_eq!(m.flap_episodes(), 3);
    assert_eq!(m.episodes[&first_process(B, 1)].declarations, 3);
    assert_eq!(m.episodes[&first_process(B, 1)].first_at, T);
    assert_eq!(m.episodes[&first_process(B, 2)].declarations, 1);
}

#[test]
fn warmup_is_excluded_from_counts_but_kept_in_events() {
    // Rule: counts and rates exclude the warm-up window; the event list keeps it.
    let mut c = collector(3);
    let w = 60 * SEC;
    c.protocol(
        w - 1,
        A,
        &Event::SuspectNoAcks {
            subject: B,
            incarnation: 1,
            probe_started: 0,
        },
    );
    c.protocol(w - 1, A, &dead(B, 1, A));
    c.protocol(w - 1, A, &Event::SerfMemberFailed { subject: B });
    c.protocol(w + SEC, A, &Event::SerfMemberJoin { subject: B }); // flap counted at rejoin
    c.protocol(
        w,
        A,
        &Event::SuspectNoAcks {
            subject: C,
            incarnation: 1,
            probe_started: 0,
        },
    );
    let m = c.finish(3600 * SEC, 0);
    assert_eq!(m.totals.suspicions, 1);
    assert_eq!(m.totals.declarations, 0);
    assert_eq!(
        m.totals.flaps, 1,
        "a flap belongs to its rejoin instant, like serf.member.flap"
    );
    assert_eq!(m.flap_episodes(), 0, "episode began in warm-up");
    assert_eq!(m.events.len(), 5);
    assert!(m.in_warmup(m.events[0].at));
    assert_eq!(m.bins[59].suspicions, 1, "time series keeps warm-up bins");
}

#[test]
fn blame_orders_by_suspicions_then_refutations_then_name() {
    // Rule: the blame table lists every node with any suspicion raised or refutation
    // naming it, most suspicions first, then most refutations, then name; shares are
    // of all suspicions and of all refutations.
    let mut c = collector(4);
    let suspect = |s| Event::SuspectNoAcks {
        subject: s,
        incarnation: 1,
        probe_started: 0,
    };
    let refute = |from| Event::Refuted {
        kind: RefuteKind::Suspect,
        from,
        accused_incarnation: 1,
        incarnation: 2,
    };
    for _ in 0..3 {
        c.protocol(T, D, &suspect(A));
        c.protocol(T, A, &refute(D));
    }
    c.protocol(T, B, &suspect(C));
    c.protocol(T, C, &suspect(B));
    c.protocol(T, B, &refute(C));
    let m = c.finish(3600 * SEC, 0);
    let rows = m.blame(&names(4));
    let order: Vec<NodeId> = rows.iter().map(|r| r.node).collect();
    assert_eq!(order, vec![D, C, B], "D most; C beats B on refutations");
    assert!((rows[0].suspicion_share - 0.6).abs() < 1e-12);
    assert!((rows[0].refutation_share - 0.75).abs() < 1e-12);
    assert_eq!(m.accusations[&(D, A)], 3);
    assert_eq!(m.per_node[A as usize].refutations_made, 3);
}

#[test]
fn a_refutation_naming_the_refuter_itself_blames_nobody() {
    // Rule (memberlist.md §1.6): an accusation that arrives by push/pull is
    // refuted as `Refuting a suspect message (from: <own name>)`; it names no
    // accuser, so it does not put the victim in the blame table.
    let mut c = collector(3);
    let refute = |from| Event::Refuted {
        kind: RefuteKind::Suspect,
        from,
        accused_incarnation: 1,
        incarnation: 2,
    };
    c.protocol(T, A, &refute(A));
    c.protocol(T, A, &refute(B));
    let m = c.finish(3600 * SEC, 0);
    assert_eq!(m.per_node[A as usize].refutations_naming, 0);
    assert_eq!(m.per_node[B as usize].refutations_naming, 1);
    assert_eq!(m.per_node[A as usize].refutations_made, 2, "both refuted");
    assert_eq!(m.totals.refutations, 2);
    let rows = m.blame(&names(3));
    assert_eq!(rows.iter().map(|r| r.node).collect::<Vec<_>>(), vec![B]);
}

#[test]
fn blame_ties_break_by_name() {
    // Rule: equal counts are ordered by node name, never by id or hash order.
    let mut c = collector(3);
    c.protocol(
        T,
        C,
        &Event::SuspectNoAcks {
            subject: A,
            incarnation: 1,
            probe_started: 0,
        },
    );
    c.protocol(
        T,
        B,
        &Event::SuspectNoAcks {
            subject: A,
            incarnation: 1,
            probe_started: 0,
        },
    );
    let m = c.finish(3600 * SEC, 0);
    let names = vec!["a".to_string(), "z-node".to_string(), "m-node".to_string()];
    let order: Vec<NodeId> = m.blame(&names).iter().map(|r| r.node).collect();
    assert_eq!(order, vec![C, B]);
}

#[test]
fn detection_latencies_cover_first_suspect_first_dead_and_full_dissemination() {
    // Rule: for a crash at t0, latency to the first suspicion anywhere, the first DEAD
    // declaration, and the moment every up node (other than the subject, and not
    // restarted since t0) holds it dead.
    let mut c = collector(4);
    c.truth(T, A, Truth::Crashed);
    c.protocol(
        T + SEC,
        B,
        &Event::SuspectNoAcks {
            subject: A,
            incarnation: 1,
            probe_started: T,
        },
    );
    c.protocol(
        T + 2 * SEC,
        C,
        &Event::Suspected {
            subject: A,
            incarnation: 1,
            from: B,
        },
    );
    c.protocol(T + 6 * SEC, B, &dead(A, 1, B));
    c.protocol(T + 7 * SEC, C, &dead(A, 1, B));
    // D crashes before learning: no longer required, so dissemination completes now.
    c.truth(T + 8 * SEC, D, Truth::Crashed);
    let m = c.finish(3600 * SEC, 0);
    let d = m.detection();
    assert_eq!(d.crashes, 2);
    assert_eq!(d.first_suspect.unwrap().median, 1.0);
    assert_eq!(d.first_dead.unwrap().median, 6.0);
    let full = d.full_dissemination.unwrap();
    assert_eq!(full.count, 1);
    assert_eq!(full.median, 8.0);
    assert_eq!(d.not_disseminated, 1, "D's own crash is never declared");
    assert_eq!(m.totals.fp, 0);
}

#[test]
fn first_suspect_counts_only_probes_started_after_the_crash() {
    // Rule (issue 9): a suspicion heard from others, or raised by a probe that
    // began before the crash (a starved prober that read its ack late), is not
    // detection of the crash; the first probe started after it is.
    let mut c = collector(4);
    c.truth(T, A, Truth::Crashed);
    let suspect = |started| Event::SuspectNoAcks {
        subject: A,
        incarnation: 1,
        probe_started: started,
    };
    c.protocol(T + SEC / 2, B, &suspect(T - SEC / 2));
    c.protocol(
        T + SEC,
        C,
        &Event::Suspected {
            subject: A,
            incarnation: 1,
            from: B,
        },
    );
    c.protocol(T + 3 * SEC, D, &suspect(T + 2 * SEC));
    let d = c.finish(3600 * SEC, 0).detection();
    assert_eq!(d.first_suspect.unwrap().median, 3.0);
}

#[test]
fn observers_holding_the_victim_dead_before_the_crash_count_as_disseminated() {
    // Rule (issue 9, README "What is measured"): full dissemination is the first
    // instant at which every observer that was up at the crash holds the victim
    // dead. One that already held it dead at the crash (a false positive before)
    // has nothing to learn and counts from the crash on; one that revives it
    // afterwards must declare it dead again.
    let mut c = collector(4);
    c.protocol(T - 5 * SEC, B, &dead(A, 1, B));
    c.protocol(T - 5 * SEC, C, &dead(A, 1, B));
    c.protocol(
        T - SEC,
        C,
        &Event::MemberUp {
            subject: A,
            incarnation: 2,
            rejoin: true,
        },
    );
    c.truth(T, A, Truth::Crashed);
    c.protocol(T + 3 * SEC, D, &dead(A, 2, D));
    assert!(
        c.finish(3600 * SEC, 0)
            .detection()
            .full_dissemination
            .is_none(),
        "C revived A"
    );
    let mut c = collector(4);
    c.protocol(T - 5 * SEC, B, &dead(A, 1, B));
    c.protocol(T - 5 * SEC, C, &dead(A, 1, B));
    c.truth(T, A, Truth::Crashed);
    c.protocol(T + 3 * SEC, D, &dead(A, 1, B));
    let full = c
        .finish(3600 * SEC, 0)
        .detection()
        .full_dissemination
        .unwrap();
    assert_eq!(
        full.median, 3.0,
        "B and C held A dead already; D declared at +3 s"
    );
}

#[test]
fn restarted_observer_is_not_required_and_forgets_its_view() {
    // Rule: a node restarted after the crash never knew the subject, so full
    // dissemination does not wait for it; a node that restarts loses what it held.
    let mut c = collector(3);
    c.truth(T, A, Truth::Crashed);
    c.protocol(T + SEC, B, &dead(A, 1, B));
    c.truth(T + 2 * SEC, C, Truth::Crashed);
    c.truth(T + 3 * SEC, C, Truth::Up);
    let m = c.finish(3600 * SEC, 0);
    let crash_a = m.crashes.iter().find(|r| r.subject == A).unwrap();
    assert_eq!(crash_a.full_dissemination, Some(T + 2 * SEC));
    let crash_c = m.crashes.iter().find(|r| r.subject == C).unwrap();
    assert!(crash_c.restarted_before_full);
}

#[test]
fn detection_is_null_without_crashes() {
    // Rule: detection latencies are null when nothing crashed.
    let m = collector(2).finish(3600 * SEC, 0);
    let d = m.detection();
    assert_eq!(d.crashes, 0);
    assert!(d.first_suspect.is_none() && d.first_dead.is_none() && d.full_dissemination.is_none());
}

#[test]
fn load_counts_per_node_and_kind_outside_warmup() {
    // Rule: packets and bytes sent/received are counted per node and kind over the
    // measured window; drops by reason; bins count everything.
    let mut c = collector(2);
    c.sent(SEC, A, B, PacketKind::Ping, 100); // warm-up
    c.sent(T, A, B, PacketKind::Ping, 100);
    c.sent(T, A, B, PacketKind::Gossip, 300);
    c.received(T, B, PacketKind::Ping, 100);
    c.dropped(T, A, B, DropReason::Loss);
    let m = c.finish(3600 * SEC, 0);
    let a = &m.per_node[A as usize];
    assert_eq!(
        a.sent[kind_index(PacketKind::Ping)],
        Load {
            msgs: 1,
            bytes: 100
        }
    );
    assert_eq!(
        a.sent_total(),
        Load {
            msgs: 2,
            bytes: 400
        }
    );
    assert_eq!(m.per_node[B as usize].received_total().msgs, 1);
    assert_eq!(m.totals.drops[0], 1);
    assert_eq!(m.bins[1].sent.msgs, 1);
    assert_eq!(m.bins[100].sent.bytes, 400);
    assert_eq!(m.bins.len(), 3600);
}

#[test]
fn health_score_max_and_bins_follow_events_and_samples() {
    // Rule: the health score per node is tracked from HealthScore events and host
    // samples: per-node max, per-bin max and end-of-bin mean.
    let mut c = collector(2);
    c.protocol(T, A, &Event::HealthScore { score: 3 });
    c.protocol(T + SEC / 2, A, &Event::HealthScore { score: 1 });
    c.host_sample(
        T + 2 * SEC,
        B,
        HostSample {
            credits: Some(4.5),
            parked_fraction: 0.9,
            health_score: 5,
        },
    );
    let m = c.finish(3600 * SEC, 0);
    assert_eq!(m.per_node[A as usize].health_max, 3);
    assert_eq!(m.per_node[B as usize].health_max, 5);
    assert_eq!(m.bins[100].health_max, 3);
    assert_eq!(m.bins[100].health_sum, 1, "end-of-bin score of A");
    assert_eq!(m.bins[101].health_max, 1, "carried over");
    assert_eq!(m.bins[102].health_sum, 6);
    let pts = m.host[B as usize].as_ref().unwrap();
    assert_eq!(
        pts[0].bin, 101,
        "a sample at a bin boundary describes the bin just ended"
    );
    assert!(m.host[A as usize].is_none());
}

#[test]
fn suspicion_timers_and_time_to_clear() {
    // Rule: fired suspicion timers are counted with their confirmation counts; the
    // time from an observer's SUSPECT to its ALIVE-again is the refutation latency.
    let mut c = collector(3);
    c.protocol(
        T,
        B,
        &Event::Suspected {
            subject: A,
            incarnation: 1,
            from: C,
        },
    );
    c.protocol(
        T + 3 * SEC,
        B,
        &Event::SuspicionCleared {
            subject: A,
            incarnation: 2,
            suspected_at: T,
        },
    );
    c.protocol(
        T,
        C,
        &Event::SuspicionExpired {
            subject: A,
            confirmations: Some(2),
            degraded: true,
        },
    );
    let m = c.finish(3600 * SEC, 0);
    assert_eq!(m.suspicion_to_clear.to_vec(), vec![3 * SEC]);
    assert_eq!(m.totals.suspicion_expired, 1);
    assert_eq!(m.totals.suspicion_expired_degraded, 1);
    assert_eq!(m.totals.expired_confirmations[&2], 1);
}

#[test]
fn time_to_clear_counts_only_suspicions_the_clearing_process_raised() {
    // Rule: a restarted process forgets what it held, so a clearance of a
    // suspicion raised before the restart is not a time-to-clear sample; one
    // raised after it is.
    let mut c = collector(3);
    let cleared = |suspected_at| Event::SuspicionCleared {
        subject: A,
        incarnation: 2,
        suspected_at,
    };
    c.truth(T + SEC, B, Truth::Crashed);
    c.truth(T + 2 * SEC, B, Truth::Up);
    c.protocol(T + 3 * SEC, B, &cleared(T));
    c.protocol(T + 6 * SEC, B, &cleared(T + 4 * SEC));
    let m = c.finish(3600 * SEC, 0);
    assert_eq!(m.suspicion_to_clear.to_vec(), vec![2 * SEC]);
}

#[test]
fn ever_degraded_keeps_every_node_a_fault_touched_even_after_it_recovered() {
    // Rule: the charts' faulty hosts are the nodes any fault touched during the
    // run (a `Degraded(true)` truth), whether or not it is still on at the end,
    // and whether or not the run keeps records (a streaming run spills them).
    for records in [true, false] {
        let mut c = if records {
            collector(4)
        } else {
            collector(4).without_records()
        };
        c.truth(T, B, Truth::Degraded(true));
        c.truth(T + SEC, B, Truth::Degraded(false));
        c.truth(T + 2 * SEC, D, Truth::Degraded(true));
        c.truth(T + 3 * SEC, C, Truth::Degraded(false));
        let m = c.finish(T + 10 * SEC, 0);
        assert_eq!(
            m.ever_degraded,
            vec![false, true, false, true],
            "records: {records}"
        );
    }
}

/// The key of `subject`'s episode at `incarnation` of its first process.
fn first_process(subject: NodeId, incarnation: u32) -> EpisodeKey {
    EpisodeKey {
        subject,
        process: 1,
        incarnation,
    }
}

/// The engine reports each node's first process start as `Up` at t = 0.
fn started(n: usize) -> Collector {
    let mut c = collector(n);
    for o in 0..n as NodeId {
        c.truth(0, o, Truth::Up);
    }
    c
}

#[test]
fn a_running_process_restarted_forgets_the_failures_it_saw() {
    // Rule: `restart` of a running node starts a fresh process (there is no
    // `Crashed` before its `Up`): the join its new process sees of a node the
    // old one saw fail is no flap, as for a crashed-and-restarted one.
    let mut c = started(3);
    c.protocol(T, A, &Event::SerfMemberFailed { subject: B });
    c.truth(T + 10 * SEC, A, Truth::Up);
    c.protocol(T + 12 * SEC, A, &Event::SerfMemberJoin { subject: B });
    let m = c.finish(3600 * SEC, 0);
    assert_eq!(m.totals.flaps, 0);
    assert!(m.rejoin.to_vec().is_empty());
}

#[test]
fn a_running_process_restarted_after_a_crash_is_not_required_for_dissemination() {
    // Rule: full dissemination waits for the observers up at the crash; one whose
    // process restarted since (running, so with no `Crashed`) never knew the
    // victim: it is complete once the others hold it dead, at the restart.
    let mut c = started(3);
    c.truth(T, C, Truth::Crashed);
    c.protocol(T + 2 * SEC, A, &dead(C, 1, A));
    c.truth(T + 3 * SEC, B, Truth::Up);
    let m = c.finish(3600 * SEC, 0);
    let crash = m.crashes.iter().find(|r| r.subject == C).unwrap();
    assert_eq!(crash.full_dissemination, Some(T + 3 * SEC));
}

#[test]
fn a_restarted_nodes_flap_episodes_are_its_new_processes() {
    // Rule: a flap episode is one incarnation of one process; a restarted
    // process counts its incarnations from the start again, so a false
    // declaration at incarnation 1 after the restart is a new episode.
    let mut c = started(3);
    c.protocol(T, A, &dead(B, 1, A));
    c.truth(T + 10 * SEC, B, Truth::Crashed);
    c.truth(T + 20 * SEC, B, Truth::Up);
    c.protocol(T + 30 * SEC, A, &dead(B, 1, A));
    c.protocol(T + 31 * SEC, C, &dead(B, 1, C));
    let m = c.finish(3600 * SEC, 0);
    assert_eq!(m.totals.fp, 3);
    assert_eq!(m.flap_episodes(), 2);
    let b_episodes: Vec<(u32, u32)> = m
        .episodes
        .iter()
        .filter(|(k, _)| k.subject == B)
        .map(|(k, e)| (k.process, e.declarations))
        .collect();
    assert_eq!(b_episodes, vec![(1, 1), (2, 2)]);
}

#[test]
fn a_sample_at_the_runs_end_adds_no_bin_past_it() {
    // Rule: there is one bin per `timeseries_bin` of the run (1 s in the test
    // scenario): a host sample or a fault's end at exactly the end describes
    // the last bin and opens none after it; what arrives then still counts in
    // the last bin, so the bins add up to the totals.
    let end = 3600 * SEC;
    let mut c = collector(2);
    c.host_sample(
        end,
        B,
        HostSample {
            credits: None,
            parked_fraction: 0.5,
            health_score: 2,
        },
    );
    c.truth(end, B, Truth::Degraded(false));
    c.protocol(end, A, &Event::SerfMemberFailed { subject: B });
    c.protocol(end, A, &Event::SerfMemberJoin { subject: B });
    let m = c.finish(end, 0);
    assert_eq!(m.bins.len(), 3600);
    assert_eq!(m.bins[3599].flaps, 1);
    assert_eq!(m.bins[3599].health_sum, 2);
    assert_eq!(m.host[B as usize].as_ref().unwrap()[0].bin, 3599);
}
