//! One memberlist instance with its Serf layer: the sans-IO entry point.
//!
//! The rules live in sibling modules as further `impl Node` blocks, so each rule of
//! memberlist.md is found by its section: [`super::rules`] (§1), [`super::probe`]
//! (§2), [`super::gossip`] (§4), [`super::pushpull`] (§5), [`super::serf`] (§9).

use std::sync::Arc;

use super::awareness::Awareness;
use super::broadcast::{BroadcastQueue, SlotHint, NO_SLOT};
use super::handoff::Handoff;
use super::idmap::IdMap;
use super::serf::Serf;
use super::superseded::SupersededTokens;
use super::suspicion::Suspicion;
use super::suspicions::{SuspicionSlot, SuspicionTable, NO_SUSPICION};
use super::{
    timing, wire, Body, Broadcast, Config, Event, Input, Nanos, NodeId, Packet, PartsKind, Roster,
    Runtime, State, Timer, Transport,
};

/// Bytes of a compound message's header (type byte and part count).
pub(super) const COMPOUND_HEADER: u32 = 2;

/// What this node knows about one member. Not [`Member::known`] means absent
/// from memberlist's `nodeMap` (never heard of, or reaped). 8 bytes, dense by
/// NodeId.
///
/// memberlist's `StateChange` is not here: it is read only for members that
/// are not ALIVE (the suspicion timer's guard, gossip to the dead, reaping),
/// so a SUSPECT member's lives in its suspicion (the timer's start)
/// and a DEAD or LEFT member's in [`Node::down_since`]. Why: the views are n²
/// in all, and every state message received reads one. Without the 8-byte
/// time they take half the memory (0.8 GB instead of 1.6 GB at 10,000 nodes)
/// and twice as many members share a cache line.
#[derive(Clone, Copy, Debug)]
pub(super) struct Member {
    pub(super) incarnation: u32,
    /// The [`State`] in the low two bits, then [`Member::KNOWN`] and
    /// [`Member::SUSPICION_FULL`]: one byte, so that the suspicion slot
    /// fits beside it.
    bits: u8,
    /// Where this node's suspicion table keeps the member's running
    /// suspicion (see [`SuspicionSlot`]), so finding it costs no map probe.
    pub(super) suspicion_slot: SuspicionSlot,
    /// Where this node's queue keeps its message about the member, if any:
    /// the slot the queue's last `queue_hinted` about the member left (see
    /// [`SlotHint`]), so the queue needs no map from node to message. Read
    /// with the view for every state message received.
    pub(super) queue_slot: SlotHint,
}

// The views are n² in all: the two slots must fit beside the state.
const _: () = assert!(std::mem::size_of::<Member>() == 8);

impl Member {
    const UNKNOWN: Member = Member {
        incarnation: 0,
        bits: State::Dead as u8,
        suspicion_slot: NO_SUSPICION,
        queue_slot: NO_SLOT,
    };

    /// Known ALIVE at incarnation 1, nothing queued or suspected about it:
    /// every member of a converged start.
    const CONVERGED: Member = Member {
        incarnation: 1,
        bits: State::Alive as u8 | Member::KNOWN,
        suspicion_slot: NO_SUSPICION,
        queue_slot: NO_SLOT,
    };

    const STATE_BITS: u8 = 3;

    /// In memberlist's `nodeMap`.
    const KNOWN: u8 = 4;

    /// The member's suspicion has every confirmation it counts (`n >= k`,
    /// from its start when `k` is 0, as in 2015): memberlist's `Confirm` is
    /// then false whoever accuses, so a suspect message about the member
    /// changes nothing. Kept in the view because a sick cluster's suspect
    /// messages are mostly such copies (about a third of them in a starved
    /// 1,000-node run, every one with 2015's k = 0), and the view is read
    /// anyway: `suspect_node` stops there instead of reading the suspicion.
    /// (`warm_parts` still touches the suspicion: skipping it there too cut
    /// simulated cache misses but ran no faster on the real machine.)
    /// Set exactly while [`Node::suspicions`] holds a full suspicion.
    const SUSPICION_FULL: u8 = 8;

    pub(super) fn state(self) -> State {
        match self.bits & Self::STATE_BITS {
            0 => State::Alive,
            1 => State::Suspect,
            2 => State::Dead,
            _ => State::Left,
        }
    }

    pub(super) fn set_state(&mut self, state: State) {
        self.bits = (self.bits & !Self::STATE_BITS) | state as u8;
    }

    /// Enter memberlist's `nodeMap` (or be reset in it) at `incarnation` in
    /// `state`, with no full suspicion. The slots stay: they say where the
    /// queue and suspicion table keep what is still theirs about the member.
    pub(super) fn set_known(&mut self, incarnation: u32, state: State) {
        self.incarnation = incarnation;
        self.bits = Self::KNOWN | state as u8;
    }

    /// Leave memberlist's `nodeMap` (reaped). The slots stay, as in
    /// [`Member::set_known`].
    pub(super) fn set_unknown(&mut self) {
        self.incarnation = 0;
        self.bits = State::Dead as u8;
    }

    pub(super) fn known(self) -> bool {
        self.bits & Self::KNOWN != 0
    }

    pub(super) fn suspicion_full(self) -> bool {
        self.bits & Self::SUSPICION_FULL != 0
    }

    pub(super) fn set_suspicion_full(&mut self, full: bool) {
        if full {
            self.bits |= Self::SUSPICION_FULL;
        } else {
            self.bits &= !Self::SUSPICION_FULL;
        }
    }
}

/// A running suspicion timer (memberlist `nodeTimers[name]`). The member turned
/// SUSPECT when it started, so the timer's start is also the member's
/// `StateChange` (memberlist's `changeTime`).
///
/// The member and the token first (`repr(C)`), then the suspicion's own hot
/// fields (see [`Suspicion`]): in a sick cluster the entry is cold when a
/// suspect message reads it, and what that read needs lies in the entry's
/// first 40 bytes.
///
/// One cache line, aligned to one: every suspicion started, confirmed,
/// cleared or timed out then touches exactly one line of its table. At 80
/// bytes, entries straddled lines (a start wrote two, and half the entries'
/// first 48 bytes crossed a line's end), and the tables took a quarter
/// more memory.
#[derive(Clone, Debug)]
#[repr(C, align(64))]
pub(super) struct SuspicionTimer {
    /// The member suspected.
    pub(super) node: NodeId,
    /// Token of the currently armed engine timer; older firings are stale.
    pub(super) token: u32,
    pub(super) timer: Suspicion,
}

// One line, not two (see above).
const _: () = assert!(std::mem::size_of::<SuspicionTimer>() == 64);

/// A memberlist node with its Serf layer.
///
/// Aligned to a cache line: every event handled reads a node that is cold in
/// a large cluster, so which of its fields share a line must not depend on
/// where in the process table it happens to sit.
#[repr(align(64))]
pub struct Node {
    pub(super) id: NodeId,
    pub(super) cfg: Arc<Config>,
    pub(super) roster: Arc<Roster>,
    pub(super) started: bool,
    /// Views of every member, indexed by NodeId.
    pub(super) members: Vec<Member>,
    /// memberlist `nodes`: the probe order, including self and unreaped dead nodes.
    /// Its length is `numNodes`, the n of every formula.
    pub(super) order: Vec<NodeId>,
    pub(super) probe_index: usize,
    pub(super) incarnation: u32,
    pub(super) sequence: u32,
    pub(super) awareness: Awareness,
    /// Running suspicion timers (memberlist `nodeTimers`), each found through
    /// its member's view ([`Member::suspicion_slot`]): read once per suspect
    /// message received, never iterated. One runs exactly while the member's
    /// view is SUSPECT.
    pub(super) suspicions: SuspicionTable,
    /// memberlist `StateChange` of each known DEAD or LEFT member: when it
    /// went down. Exactly those members have an entry (see [`Member`]).
    pub(super) down_since: IdMap<Nanos>,
    /// Suspicion timers a confirmation Reset (memberlist `timer.Stop` +
    /// `Reset`): the engine drops them unrun ([`Node::take_superseded_timer`]).
    pub(super) superseded_timers: SupersededTokens,
    pub(super) next_token: u32,
    pub(super) queue: BroadcastQueue,
    /// State messages the listener queued for the handler stage (memberlist.md §4.4).
    pub(super) handoff: Handoff,
    pub(super) probe: Option<super::probe::Probe>,
    /// A probe tick arrived while a probe was running (Go ticker coalescing).
    pub(super) probe_pending: bool,
    pub(super) next_probe_tick: Nanos,
    pub(super) next_gossip_tick: Nanos,
    pub(super) relays: Vec<super::probe::Relay>,
    /// Partner of the periodic push/pull in flight (it is synchronous in memberlist).
    pub(super) push_pull_in_flight: Option<NodeId>,
    /// Number of the latest periodic exchange, matched by its [`Timer::PushPullTimeout`].
    pub(super) push_pull_exchange: u32,
    /// When the periodic exchange in flight began (the checker bounds its length).
    pub(super) push_pull_since: Nanos,
    pub(super) leaving: bool,
    pub(super) serf: Serf,
    /// Scratch space for kRandomNodes, reused to avoid allocation.
    pub(super) scratch: Vec<NodeId>,
}

impl Node {
    /// A fresh process for node `id`. Nothing happens until a `start_*` call.
    pub fn new(id: NodeId, config: Arc<Config>, roster: Arc<Roster>) -> Node {
        let n = roster.len();
        let awareness = Awareness::new(config.awareness_max_multiplier.max(1));
        let queue = BroadcastQueue::new(config.queue_order);
        Node {
            id,
            roster,
            started: false,
            members: vec![Member::UNKNOWN; n],
            order: Vec::new(),
            probe_index: 0,
            incarnation: 0,
            sequence: 0,
            awareness,
            suspicions: SuspicionTable::new(),
            down_since: IdMap::default(),
            superseded_timers: SupersededTokens::default(),
            next_token: 0,
            queue,
            handoff: Handoff::new(config.handoff_order, config.handoff_queue_depth),
            probe: None,
            probe_pending: false,
            next_probe_tick: 0,
            next_gossip_tick: 0,
            relays: Vec::new(),
            push_pull_in_flight: None,
            push_pull_exchange: 0,
            push_pull_since: 0,
            leaving: false,
            serf: Serf::new(n),
            scratch: Vec::new(),
            cfg: config,
        }
    }

    /// Start as a member of a long-running converged cluster: every id in `members`
    /// (which includes this node) is known ALIVE at incarnation 1, the probe order
    /// is this node's own shuffle, and tickers run at random phases.
    pub fn start_converged(&mut self, now: Nanos, members: &[NodeId], rt: &mut impl Runtime) {
        self.converge(members, rt);
        // A long-running cluster: each ticker is somewhere in its period.
        let probe_phase = rt.rng().duration_below(self.cfg.probe_interval);
        let gossip_phase = rt.rng().duration_below(self.cfg.gossip_interval);
        self.start_converged_tickers(now, probe_phase, gossip_phase, rt);
    }

    /// Like [`Node::start_converged`], for a process created `offset` into a
    /// common probe period (memberlist.md §2.1): `time.NewTicker` fires on the
    /// grid of its creation, so the probe ticks come `offset mod ProbeInterval`
    /// and the gossip ticks `offset mod GossipInterval` into their periods, and
    /// nodes created `stagger` apart keep that phase difference for good (2015
    /// tickers have no jitter). memberlist 6025015 state.go:L70 and L82 create
    /// both tickers at the same instant.
    ///
    /// The process ran `uptime` in the quiet cluster before `now`, probing one
    /// node per tick: it starts that far into its probe round (see
    /// [`Node::skip_quiet_probes`]).
    pub fn start_converged_phased(
        &mut self,
        now: Nanos,
        members: &[NodeId],
        offset: Nanos,
        uptime: Nanos,
        rt: &mut impl Runtime,
    ) {
        self.converge(members, rt);
        self.skip_quiet_probes(uptime / self.cfg.probe_interval.max(1), rt);
        let probe_phase = offset % self.cfg.probe_interval.max(1);
        let gossip_phase = offset % self.cfg.gossip_interval.max(1);
        self.start_converged_tickers(now, probe_phase, gossip_phase, rt);
    }

    fn start_converged_tickers(
        &mut self,
        now: Nanos,
        probe_phase: Nanos,
        gossip_phase: Nanos,
        rt: &mut impl Runtime,
    ) {
        let period = timing::push_pull_scale(self.cfg.push_pull_interval, self.order.len());
        let push_pull_phase = rt.rng().duration_below(period);
        self.start_tickers(
            now + probe_phase,
            now + gossip_phase,
            now + push_pull_phase,
            rt,
        );
        self.serf.start(now, &self.cfg, true, rt);
    }

    /// Every id in `members` known ALIVE at incarnation 1; the probe order is
    /// this node's own shuffle.
    fn converge(&mut self, members: &[NodeId], rt: &mut impl Runtime) {
        // A fresh process: nothing queued, no suspicion, so every view's
        // slots point nowhere and each view is one plain store (a 10,000-node
        // converged start writes 100 M of them).
        assert!(
            !self.started && self.queue.is_empty(),
            "BUG! a converged start of a process that already started"
        );
        self.started = true;
        self.incarnation = 1;
        for &m in members {
            self.members[m as usize] = Member::CONVERGED;
            self.serf.mark_alive(m);
        }
        if !self.members[self.id as usize].known() {
            self.members[self.id as usize] = Member::CONVERGED;
            self.serf.mark_alive(self.id);
        }
        // Sized once and filled by a plain walk: a 10,000-node converged start
        // builds 10,000 of these lists, and a filtered `collect` grew each by
        // reallocation (a fifth of the 10,000-node bench's instructions).
        self.order.clear();
        self.order.reserve_exact(self.members.len());
        for (m, member) in self.members.iter().enumerate() {
            if member.known() {
                self.order.push(m as NodeId);
            }
        }
        rt.rng().shuffle(&mut self.order);
    }

    /// Start alone (memberlist `setAlive`, incarnation 1) and join through `seeds`
    /// with a push/pull exchange (`Join`). Tickers start one period after creation.
    pub fn start_join(&mut self, now: Nanos, seeds: &[NodeId], rt: &mut impl Runtime) {
        self.started = true;
        self.incarnation += 1;
        let me = self.id;
        self.alive_node(now, me, self.incarnation, true, rt);
        // memberlist pushPullTrigger: a random stagger, then the scaled wait.
        let stagger = rt.rng().duration_below(self.cfg.push_pull_interval);
        let wait = timing::push_pull_scale(self.cfg.push_pull_interval, self.order.len());
        self.start_tickers(
            now + self.cfg.probe_interval,
            now + self.cfg.gossip_interval,
            now + stagger + wait,
            rt,
        );
        for &seed in seeds {
            if seed != self.id {
                self.send_push_pull(seed, true, false, rt);
            }
        }
        self.serf.start(now, &self.cfg, false, rt);
    }

    fn start_tickers(
        &mut self,
        first_probe: Nanos,
        first_gossip: Nanos,
        first_push_pull: Nanos,
        rt: &mut impl Runtime,
    ) {
        self.next_probe_tick = first_probe;
        rt.set_timer(first_probe, Timer::ProbeTick);
        if self.cfg.gossip_nodes > 0 {
            self.next_gossip_tick = first_gossip;
            rt.set_timer(first_gossip, Timer::GossipTick);
        }
        if self.cfg.push_pull_interval > 0 {
            rt.set_timer(first_push_pull, Timer::PushPullTick);
        }
    }

    /// Feed one input.
    pub fn handle(&mut self, now: Nanos, input: Input<'_>, rt: &mut impl Runtime) {
        if !self.started {
            return;
        }
        match input {
            Input::Timer(timer) => self.handle_timer(now, timer, rt),
            Input::Packet(packet) => {
                self.listen(now, packet, rt);
                for part in &packet.parts {
                    self.apply_broadcast(now, part, rt);
                }
            }
            Input::Listen(packet) => {
                self.listen(now, packet, rt);
                self.hand_off(&packet.parts, rt);
            }
            Input::Serve => self.serve_handoff(now, rt),
            Input::SendFailed(packet) => self.handle_send_failed(now, packet, rt),
        }
    }

    fn handle_timer(&mut self, now: Nanos, timer: Timer, rt: &mut impl Runtime) {
        match timer {
            Timer::ProbeTick => self.on_probe_tick(now, rt),
            Timer::GossipTick => self.on_gossip_tick(now, rt),
            Timer::PushPullTick => self.on_push_pull_tick(now, rt),
            Timer::PushPullTimeout { exchange } => self.on_push_pull_timeout(now, exchange, rt),
            Timer::ProbeDirectTimeout { seq } => self.on_direct_timeout(now, seq, rt),
            Timer::ProbeWindowEnd { seq } => self.on_probe_window_end(now, seq, rt),
            Timer::RelayTimeout { seq } => self.on_relay_timeout(seq, rt),
            Timer::Suspicion { node, token, slot } => {
                self.on_suspicion_timeout(now, node, token, slot, rt)
            }
            Timer::SerfReconnect => self.on_serf_reconnect(now, rt),
            Timer::SerfReconnectDeadline { attempt } => {
                self.on_serf_reconnect_deadline(now, attempt, rt)
            }
            Timer::SerfReap => self.on_serf_reap(now, rt),
        }
    }

    /// The listener stage of a received packet: memberlist handles
    /// ping/indirect/ack/nack inline (an ack leaves at once, piggybacking what
    /// is queued *now*), before any of the compound's state messages is applied
    /// (memberlist.md §4.4); the caller then applies or queues those.
    fn listen(&mut self, now: Nanos, packet: &Packet, rt: &mut impl Runtime) {
        self.warm_parts(&packet.parts);
        match &packet.body {
            Body::Gossip => {}
            Body::Ping { seq, target } => {
                self.on_ping(packet.from, *seq, *target, packet.transport, rt)
            }
            Body::IndirectPing {
                seq,
                target,
                want_nack,
            } => self.on_indirect_ping(now, packet.from, *seq, *target, *want_nack, rt),
            Body::Ack { seq } => self.on_ack(now, *seq, packet.transport, rt),
            Body::Nack { seq } => self.on_nack(*seq),
            Body::PushPull { join, reply, state } => {
                self.on_push_pull(now, packet.from, *join, *reply, state, rt)
            }
        }
    }

    /// Apply one received state message (memberlist `handleAlive/Suspect/Dead`).
    pub(super) fn apply_broadcast(&mut self, now: Nanos, b: &Broadcast, rt: &mut impl Runtime) {
        use super::BroadcastKind::*;
        match b.kind {
            Alive => self.alive_node(now, b.node, b.incarnation, false, rt),
            Suspect => self.suspect_node(now, b.node, b.incarnation, b.from, rt),
            Dead => self.dead_node(now, b.node, b.incarnation, b.from, rt),
        }
    }

    fn handle_send_failed(&mut self, now: Nanos, packet: &Packet, rt: &mut impl Runtime) {
        if let Body::PushPull {
            join, reply: false, ..
        } = packet.body
        {
            if join {
                // A reconnect join past its deadline was already reported failed.
                if !self.serf.reconnect_already_expired(packet.to) {
                    rt.notify(Event::PushPullFailed { peer: packet.to });
                }
                self.serf_reconnect_ended(now, packet.to, rt);
            } else if self.push_pull_in_flight == Some(packet.to) {
                // Otherwise the exchange already ended at its TCPTimeout deadline.
                rt.notify(Event::PushPullFailed { peer: packet.to });
                self.push_pull_in_flight = None;
                self.schedule_push_pull(now, rt);
            }
        }
        // A failed TCP fallback ping simply never answers: the probe sees it at
        // its deadline. Failed acks and replies are the peer's problem.
    }

    /// Graceful leave (memberlist `Leave`): mark self left (dead in 2015) and
    /// broadcast it; the engine stops the process once [`Node::leave_finished`].
    pub fn leave(&mut self, now: Nanos, rt: &mut impl Runtime) {
        if !self.started || self.leaving {
            return;
        }
        self.leaving = true;
        let me = self.id;
        self.dead_node(now, me, self.incarnation, me, rt);
    }

    /// True once the leave broadcast has been sent `limit` times (or replaced).
    pub fn leave_finished(&self) -> bool {
        let hint = self.members[self.id as usize].queue_slot;
        self.leaving && !self.queue.contains(self.id, hint)
    }

    pub fn id(&self) -> NodeId {
        self.id
    }

    pub fn is_started(&self) -> bool {
        self.started
    }

    /// This node's view of `other`: state and incarnation; None if unknown/reaped.
    pub fn view_of(&self, other: NodeId) -> Option<(State, u32)> {
        let m = self.members.get(other as usize)?;
        m.known().then_some((m.state(), m.incarnation))
    }

    /// True if this node may still contact `other` on its own: it holds it ALIVE
    /// or SUSPECT (probes, gossip, push/pull), or Serf lists it as failed (the
    /// reconnect loop). Members it forgot or holds dead without a Serf failure
    /// are out of reach: information about them can only come from others.
    pub fn may_contact(&self, other: NodeId) -> bool {
        let reachable = matches!(
            self.view_of(other),
            Some((State::Alive | State::Suspect, _))
        );
        other != self.id && (reachable || self.serf.is_failed(other))
    }

    /// Own incarnation.
    pub fn incarnation(&self) -> u32 {
        self.incarnation
    }

    /// Lifeguard health score (0 without local health).
    pub fn health_score(&self) -> u32 {
        self.awareness.score()
    }

    /// memberlist `numNodes`.
    pub fn num_nodes(&self) -> usize {
        self.order.len()
    }

    /// Broadcasts waiting in the transmit-limited queue.
    pub fn queued_broadcasts(&self) -> usize {
        self.queue.len()
    }

    // ---- helpers shared by the rule modules ----

    pub(super) fn next_seq(&mut self) -> u32 {
        self.sequence = self.sequence.wrapping_add(1);
        self.sequence
    }

    pub(super) fn member(&self, id: NodeId) -> &Member {
        &self.members[id as usize]
    }

    /// memberlist `StateChange` of a DEAD or LEFT member: when it went down.
    pub(super) fn went_down_at(&self, id: NodeId) -> Nanos {
        went_down_at(&self.down_since, id)
    }

    /// Queue a state message for dissemination (keyed by its node: invalidates any
    /// queued message about the same node).
    pub(super) fn queue_broadcast(&mut self, b: Broadcast) {
        let len = wire::broadcast_len(&b, &self.roster);
        let hint = &mut self.members[b.node as usize].queue_slot;
        self.queue.queue_hinted(b, len, hint);
    }

    /// memberlist `sendMsg`: send a UDP message, piggybacking queued broadcasts
    /// within the packet budget.
    pub(super) fn send_udp(&mut self, to: NodeId, body: Body, rt: &mut impl Runtime) {
        let body_len = wire::body_len(&body, self.id, &self.roster, self.cfg.speaks_post_2015());
        let mut parts = rt.parts_buffer();
        let mut bytes = body_len;
        if !self.queue.is_empty() {
            // Budget: UDPBufferSize − len(primary) − compound overhead (memberlist.md §4.3).
            let budget = self.cfg.udp_buffer_size.saturating_sub(body_len + 2);
            let limit = timing::retransmit_limit(self.cfg.retransmit_mult, self.order.len());
            let used = self.queue.get_broadcasts(2, budget, limit, &mut parts);
            if !parts.is_empty() {
                // compound: type + count, then a 2-byte length per part (the primary's
                // included; the broadcasts' are counted in `used`).
                bytes = COMPOUND_HEADER + 2 + body_len + used;
            }
        }
        rt.send(Packet {
            from: self.id,
            to,
            transport: Transport::Udp,
            body,
            parts,
            parts_kind: PartsKind::Broadcasts,
            bytes,
        });
    }

    /// Send a TCP message (no piggyback).
    pub(super) fn send_tcp(&mut self, to: NodeId, body: Body, rt: &mut impl Runtime) {
        let bytes = wire::body_len(&body, self.id, &self.roster, self.cfg.speaks_post_2015());
        rt.send(Packet {
            from: self.id,
            to,
            transport: Transport::Tcp,
            body,
            parts: Vec::new(),
            parts_kind: PartsKind::Broadcasts,
            bytes,
        });
    }
}

/// [`Node::went_down_at`], for callers that hold other parts of the node.
pub(super) fn went_down_at(down_since: &IdMap<Nanos>, id: NodeId) -> Nanos {
    *down_since
        .get(&id)
        .expect("BUG! a DEAD or LEFT member without the time it went down")
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{roster, Recorder};
    use super::super::{Config, Timer, MS, SEC};
    use super::{Node, Suspicion, SuspicionTimer};
    use std::mem::offset_of;
    use std::sync::Arc;

    /// Rule (memberlist.md §2.1; memberlist 6025015 state.go:L70, L82): both
    /// tickers are created at the same instant and tick on the grid of their
    /// creation, so a process created `offset` into the common probe period
    /// probes at `offset mod ProbeInterval` and gossips at `offset mod
    /// GossipInterval`; nodes created 1 ms apart stay 1 ms apart.
    #[test]
    fn staggered_converged_start_keeps_the_creation_phase_of_both_tickers() {
        for (offset, probe, gossip) in [
            (230 * MS, 230 * MS, 30 * MS),
            (1_231 * MS, 231 * MS, 31 * MS),
        ] {
            let mut rec = Recorder::new(3);
            let mut node = Node::new(0, Arc::new(Config::memberlist_2015()), roster(4));
            node.start_converged_phased(10 * SEC, &[0, 1, 2, 3], offset, 0, &mut rec);
            let at = |want: Timer| rec.timer_at(|t| *t == want).map(|(at, _)| at);
            assert_eq!(at(Timer::ProbeTick), Some(10 * SEC + probe));
            assert_eq!(at(Timer::GossipTick), Some(10 * SEC + gossip));
        }
    }

    /// A suspect message received reads the suspicion's member, its
    /// timer's token and the suspicion's hot fields: all of them must stay
    /// in the entry's first 64 bytes (see [`SuspicionTimer`]), not at its far
    /// end.
    #[test]
    fn a_suspicion_lookup_reads_only_the_first_64_bytes_of_its_entry() {
        assert_eq!(offset_of!(SuspicionTimer, node), 0, "member first");
        assert_eq!(offset_of!(SuspicionTimer, token), 4);
        let hot_end = offset_of!(SuspicionTimer, timer) + Suspicion::HOT_BYTES;
        assert!(hot_end <= 64, "hot bytes end at {hot_end}");
    }
}
