//! Files of zone-less stamps read in the wrong zone, found from the Serf events
//! they share with the other files.
//!
//! Go's log (Consul 0.x, Serf, Nomad < 0.9) prints the host's local time with
//! no zone, and `--log-zone` reads every such file in one zone: a host that
//! logged in +09:00 among hosts in UTC has its lines read 9 h off, and the
//! clock-skew estimate (which pairs one event's sightings within
//! [`super::analyze::SKEW_WINDOW`]) never sees it. Such an offset is a whole
//! number of quarter hours (every zone in use is), and the cluster's Serf
//! member events show it: one member's `EventMemberFailed`, `EventMemberJoin`
//! or `EventMemberLeave` is logged by every observer within seconds (gossip),
//! so a misread file's copies of them sit that offset away from everybody
//! else's.
//!
//! The rule ("clearly"): for a file whose understood lines all carry no zone,
//! each quarter-hour offset `z` is scored by how many of the file's sampled
//! Serf events have a copy (same kind, same member) in another file within
//! [`LINE_UP`] once the file is read `z` further east, weighted by how many
//! other files have one (so a group of files in one wrong zone does not
//! outvote the rest by agreeing among themselves). The file is read at the
//! best offset when it is not zero and
//! - at least [`MIN_LINED_UP`] of its events line up there,
//! - at least half of its shared events (those whose member and kind another
//!   file also logged, and another file's sample would hold the copy of) line
//!   up there, and
//! - its score is more than twice every other offset's, zero included (far
//!   more than as read; not a periodic coincidence such as a node flapping
//!   every 15 minutes).
//!
//! Which offsets are possible: zones in use run from [`WESTMOST_S`] (-12:00)
//! to [`EASTMOST_S`] (+14:00). A copy in a file whose times are known
//! (stamps that carry their zone, or `--log-zone FILE=ZONE`) counts only at
//! an offset that puts the file in one of those zones. A copy in another file
//! read in the zone given for all (`--log-zone`, UTC by default) counts at any
//! offset that keeps the two files' zones as read at most 26 h apart
//! ([`MAX_OFFSET_S`], the widest two zones in use can be): that file's zone is
//! only given, and may be as wrong as this one's. Hosts in -08:00 read as UTC
//! with one in +09:00: it lines up 17 h east of them, in "+17:00", a zone
//! nobody uses, which says the others are not in UTC either; it is read there
//! (the files line up) and the report says so. (The offset was at most ±14 h
//! from the zone given, which missed such a host.)
//!
//! A host's clock can be off too, by seconds (no NTP, a VM resumed), on top
//! of its zone: read 3 h 7 s late, none of its events lines up within
//! [`LINE_UP`] of a whole quarter hour, and it was left as read (its flaps
//! counted a second time 3 h later, the window stretched, flaps per hour cut
//! several times), while at exactly 3 h it was found. So a file that does
//! not line up as read, and is not clearly explained by an offset, has its
//! clock's error looked for: the residual, after the nearest quarter hour,
//! between its events and their copies in the other files, within
//! ±[`MAX_CLOCK_SKEW`], where most of its events' copies agree
//! ([`Index::residual`]). It is scored again with that residual taken
//! out, by the same rule. A zone found so is applied (whole quarter hours),
//! and so is the clock's error (its stamps are moved back by it): left in,
//! an error over the 10 s episode gap split each of its flap episodes in
//! two (see `analyze::clock_correction` for when it is sound). So is a
//! clock's error alone, in the zone the file is read in: its events line
//! up clearly at offset zero once it is out, by the same rule (a host in
//! the right zone 25 s off split its episodes in two as well; only an
//! offset other than zero was looked for). So is a clock's error in a
//! file whose zone is known (stamps with their zone, `--log-zone
//! FILE=ZONE`): only that, at offset zero (its copies nearest there), by
//! the same rule; its zone is never moved (an hclog host with NTP broken,
//! 25 s ahead, split its episodes in two: only files of guessed zone were
//! looked at). A file whose events' copies
//! agree on a residual beyond [`MAX_CLOCK_SKEW`] (minutes off a quarter
//! hour: too far for a clock, no zone) cannot be placed: it is read as
//! given and reported ([`Finding::unplaced`]), as the window and every rate
//! over it are then off.
//!
//! When an offset other than zero lines up at least as well as reading the
//! file as is, but not clearly, the file is not shifted and the report says
//! it is ambiguous. Files are settled one at a time, those of guessed zone
//! before those of known zone (the reference), the strongest first (ties:
//! the later input first, so of two files only, the first keeps the zone
//! given), each scored against the others as then read, so two files
//! that only see each other are not both moved toward each other.
//!
//! The sample represents each whole file: a file whose events fit its share
//! of [`SAMPLE_EVENTS`] keeps all of them; a longer one keeps those in the
//! two minutes about the middle of their quarter hour, then in the next
//! minutes out, of some members and kinds (hashed), whole (so another file's
//! copies of them, a second or two apart, are kept too). Both
//! are the same in every file whatever zone it is read in (offsets are whole
//! quarter hours), so two files overlapping anywhere keep the same events of
//! that stretch and line up there, wherever in each file it falls (keeping
//! each file's first events missed a file starting hours after the others: a
//! log rotated at 02:00, a node joining late). A file's events are scored
//! only among those another file's sample would hold a copy of.
//!
//! Bounded: at most [`SAMPLE_EVENTS`] events are kept over all files (a
//! file's even share, at least [`MIN_PER_FILE`], thinned to three quarters
//! of it when it overflows: a selection and a sort of the share every quarter
//! of it, O(log share) per event amortized), at most
//! [`SCORED_PER_FILE`] of a file's are scored, each against at most
//! [`SCAN_LIMIT`] others (else probed at each of the 209 offsets, a few
//! entries each), and at most [`MAX_ROUNDS`] rounds are made.

use std::collections::BTreeMap;

use crate::protocol::{NodeId, SEC};

use super::time::UnixNs;

/// Zones are whole quarter hours apart (+05:45, +09:30, +13:45 included).
pub const QUARTER_S: i64 = 15 * 60;
/// The westernmost zone in use (-12:00, Baker Island).
pub const WESTMOST_S: i64 = -12 * 3600;
/// The easternmost zone in use (+14:00, the Line Islands).
pub const EASTMOST_S: i64 = 14 * 3600;
/// The largest offset looked for: two hosts' zones are at most this far apart.
pub const MAX_OFFSET_S: i64 = EASTMOST_S - WESTMOST_S;
/// One event's copies at different observers line up within this once the
/// offset is taken out (gossip spreads a member event in about a second; Go's
/// log stamps to the second; clocks a little apart).
pub const LINE_UP: i64 = 5 * SEC as i64;
/// Fewest events that must line up at an offset for it to be applied.
pub const MIN_LINED_UP: u64 = 3;
/// The largest clock error looked for on top of a zone (see the module
/// doc): the span within which the diagnosis pairs one event's sightings to
/// measure each observer's clock against the others' and report it
/// ([`super::analyze::SKEW_WINDOW`]), so the error left in a file read in
/// the zone found is one the report shows. Far under half a quarter hour:
/// a zone and a clock error are not taken for each other.
pub const MAX_CLOCK_SKEW: i64 = 30 * SEC as i64;
const _: () = assert!(MAX_CLOCK_SKEW == super::analyze::SKEW_WINDOW as i64);
/// Serf member events kept over all files (a file keeps an even share of
/// this, at least [`MIN_PER_FILE`]; see the module doc for which).
pub const SAMPLE_EVENTS: usize = 50_000;
const MIN_PER_FILE: usize = 64;
/// An event is compared with the other files' copies of its member's events
/// one by one up to this many within ±[`MAX_OFFSET_S`], else probed offset by
/// offset.
const SCAN_LIMIT: usize = 256;
/// Events of one file scored at most (spread over its sample); the index
/// still holds every sampled event of every file to match them against.
const SCORED_PER_FILE: usize = 256;
/// Entries of one ±[`LINE_UP`] window looked at, at most, when probing.
const WINDOW_LIMIT: usize = 64;
/// Rounds of settling at most (a round settles every file it can).
const MAX_ROUNDS: usize = 4;
/// Half the width of a band of seconds from the middle of the quarter hour
/// that a sample keeps whole for the members it keeps (see [`invariant`]):
/// far wider than [`LINE_UP`], so few copies of a kept event fall outside.
const BAND_S: i64 = 60;

const STEPS: i64 = MAX_OFFSET_S / QUARTER_S;
const CANDIDATES: usize = (2 * STEPS + 1) as usize;

/// One sampled event: its kind, member and time as read.
type Ev = (u8, NodeId, UnixNs);

/// Where an event stands for being kept, lowest first: its zone-invariant
/// key ([`invariant`]), then its time, kind and member (a total order, so
/// what is kept never depends on the order equals came in).
type Rank = (u64, UnixNs, u8, NodeId);

fn rank(e: &Ev) -> Rank {
    (invariant(e), e.2, e.0, e.1)
}

/// The part of an event's rank that is the same in every file it is logged
/// in, whatever zone that file is read in (an offset is whole quarter
/// hours): first its band, how far its second is from the middle of its
/// quarter hour in steps of [`BAND_S`] (the middle, away from the jobs that
/// run on the hour), then its member and kind hashed (a fixed mix, no
/// per-process seed), then how far from the middle to the second.
///
/// Why bands before the member: a copy of an event in another file is
/// stamped a second or two apart (gossip, clocks). Ranked by the second
/// first, a sample thinned to seconds around the middle (hundreds of files
/// over a week: a fiftieth of each file kept) kept one host's events and
/// not the others' copies of them, a second or two off, and a host whose
/// clock was 2 s off lined up with nobody. A band is two minutes wide, so
/// its kept members' events are kept in every file, copies and all, but
/// for the few near its edge.
fn invariant(e: &Ev) -> u64 {
    let phase = e.2.div_euclid(SEC as i64).rem_euclid(QUARTER_S);
    // Half-seconds from the middle: 1..=899, under 2^10.
    let from_middle = (2 * phase + 1 - QUARTER_S).unsigned_abs();
    let band = from_middle / (2 * BAND_S as u64);
    let mut z = ((u64::from(e.1) << 8) | u64::from(e.0)).wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (band << 42) | (((z ^ (z >> 31)) & 0xFFFF_FFFF) << 10) | from_middle
}

/// The Serf events of one file, and whether its stamps carry a zone.
#[derive(Clone, Debug, Default)]
pub struct Sample {
    /// Understood lines whose stamp carries no zone, and those whose does.
    pub zoneless: u64,
    pub zoned: u64,
    /// (event kind, member, time as read): all of the file's while they fit
    /// its share, else those ranked up to `bound` (time order then).
    pub events: Vec<Ev>,
    /// Once an event was dropped: the highest rank kept. Every event of the
    /// file ranked at or below it is kept, none above (so two files' samples
    /// hold the same events of a stretch both cover, up to the lower bound).
    bound: Option<Rank>,
    cap: usize,
}

impl Sample {
    /// A file's sample among `files` files.
    pub fn new(files: usize) -> Sample {
        Sample {
            cap: (SAMPLE_EVENTS / files.max(1)).max(MIN_PER_FILE),
            ..Sample::default()
        }
    }

    pub fn stamp(&mut self, zoned: bool) {
        if zoned {
            self.zoned += 1;
        } else {
            self.zoneless += 1;
        }
    }

    pub fn event(&mut self, kind: u8, member: NodeId, at: UnixNs) {
        let e = (kind, member, at);
        if self.bound.is_some_and(|b| rank(&e) > b) {
            return;
        }
        self.events.push(e);
        if self.events.len() > self.cap {
            self.thin();
        }
    }

    /// Keeps the lowest-ranked three quarters of the cap (not the cap
    /// itself: each thinning then makes room for a quarter of it), in time
    /// order.
    fn thin(&mut self) {
        let keep = (self.cap * 3 / 4).max(1);
        if self.events.len() > keep {
            // Each rank computed once (it hashes), not once per comparison;
            // a rank holds its event.
            let mut ranked: Vec<Rank> = self.events.iter().map(rank).collect();
            ranked.select_nth_unstable(keep - 1);
            ranked.truncate(keep);
            // select_nth_unstable leaves none ranked higher before it.
            self.bound = Some(ranked[keep - 1]);
            self.events.clear();
            (self.events).extend(ranked.into_iter().map(|(_, at, k, m)| (k, m, at)));
        }
        self.events.sort_unstable_by_key(|&(k, m, at)| (at, k, m));
    }

    /// Another stream of the same file (read once per node).
    pub fn add(&mut self, o: Sample) {
        self.cap = self.cap.max(o.cap);
        self.zoneless += o.zoneless;
        self.zoned += o.zoned;
        if self.events.is_empty() && self.bound.is_none() {
            // The first stream (most files have one): taken as it is.
            self.events = o.events;
            self.bound = o.bound;
            if self.events.len() > self.cap {
                self.thin();
            }
            return;
        }
        let bound = match (self.bound, o.bound) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let mut more = o.events;
        if let Some(b) = bound {
            // What one stream dropped, the other drops too.
            if self.bound != bound {
                self.events.retain(|e| rank(e) <= b);
            }
            if o.bound != bound {
                more.retain(|e| rank(e) <= b);
            }
            self.bound = bound;
        }
        self.events.extend(more);
        if self.events.len() > self.cap {
            self.thin();
        } else if bound.is_some() {
            self.events.sort_unstable_by_key(|&(k, m, at)| (at, k, m));
        }
    }

    /// Every understood line's stamp carries no zone.
    pub fn only_zoneless(&self) -> bool {
        self.zoneless > 0 && self.zoned == 0
    }

    /// The invariant key up to which every event of the file is in the
    /// sample (all of them: `u64::MAX`).
    fn reach(&self) -> u64 {
        self.bound.map_or(u64::MAX, |b| b.0.saturating_sub(1))
    }
}

/// What was found for one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The file's index among the samples.
    pub file: usize,
    /// The offset found, seconds east of the zone the file was read in.
    pub offset_s: i64,
    /// Its events lining up at that offset, and as read.
    pub lined_up: u64,
    pub as_read: u64,
    /// Its events whose member and kind another file logged too.
    pub shared: u64,
    /// Applied (clear), or only reported (ambiguous).
    pub applied: bool,
    /// The file's clock's error found on top of the offset, in seconds
    /// (positive: its clock ahead of the others'); 0 when it lined up
    /// without one. Taken out of the file's stamps when `applied`.
    pub skew_s: i64,
    /// Its events line up with the others' only `skew_s` off a whole
    /// quarter hour, more than [`MAX_CLOCK_SKEW`]: neither a zone nor a
    /// clock error explains it (nothing is applied; `offset_s` is the
    /// nearest quarter hour's, `lined_up` how many of its events agree).
    pub unplaced: bool,
}

/// Each file's offset or clock's error, where one is found (see the
/// module's rule), in file order. `zone_s[f]`: the zone file `f` was read in
/// (seconds east of UTC). A file not `eligible` for a zone has times known
/// (stamps with their zone, or its own `--log-zone FILE=ZONE`): no offset is
/// counted against it that would put the file outside the zones in use, and
/// it is never moved by an offset; only its clock's error is looked for,
/// at offset zero (see the module doc), and only an applied one is returned.
pub fn detect(samples: &[Sample], eligible: &[bool], zone_s: &[i64]) -> Vec<Finding> {
    let mut zones: Vec<i64> = zone_s.to_vec();
    let known: Vec<bool> = eligible.iter().map(|e| !e).collect();
    let mut shift_s = vec![0i64; samples.len()];
    let mut index = Index::new(samples);
    let mut applied: Vec<Finding> = Vec::new();
    let mut open: Vec<usize> = (0..samples.len())
        .filter(|&f| !samples[f].events.is_empty())
        .collect();
    // Which events are scored does not change as files move.
    let mut scored: Vec<Vec<Ev>> = vec![Vec::new(); samples.len()];
    for &f in &open {
        scored[f] = index.scored(f, &samples[f]);
    }
    let mut last_scores: Vec<(usize, Scored)> = Vec::new();
    for round in 0..=MAX_ROUNDS {
        let scores: Vec<(usize, Scored)> = open
            .iter()
            .map(|&f| {
                (
                    f,
                    index.score_file(f, &scored[f], &zones, &known, shift_s[f]),
                )
            })
            .collect();
        let mut clear: Vec<(bool, u64, usize)> = scores
            .iter()
            .filter_map(|(f, s)| s.settled().map(|k| (eligible[*f], s.score.weight[k], *f)))
            .collect();
        last_scores = scores;
        if clear.is_empty() || round == MAX_ROUNDS {
            break;
        }
        // Files whose zone is guessed first (a file of known zone is the
        // reference they are settled against, and of two files a clock
        // error apart, the guessed one is corrected); then the strongest
        // first; of equals, the later input.
        clear.sort_unstable_by(|a, b| b.cmp(a));
        let mut moved = false;
        for (_, _, f) in clear {
            let s = if moved {
                index.score_file(f, &scored[f], &zones, &known, shift_s[f])
            } else {
                last_scores
                    .iter()
                    .find(|(g, _)| *g == f)
                    .map(|x| x.1.clone())
                    .unwrap_or_default()
            };
            let Some(k) = s.settled() else { continue };
            let offset_s = offset_of(k);
            shift_s[f] += offset_s;
            zones[f] += offset_s;
            // Its clock's error too, as its stamps will be read: the files
            // scored after it see it where it will be (of two files a clock
            // error apart, only the later is moved, as for a zone).
            index.shift(f, offset_s * SEC as i64 + s.skew);
            moved = true;
            open.retain(|&g| g != f);
            applied.push(s.finding(f, k, true));
        }
    }
    let mut out = applied;
    // A file of known zone has nothing to report but a clock's error applied.
    let unsettled = |f: &usize| open.contains(f) && !known[*f];
    for (f, s) in last_scores.iter().filter(|(f, _)| unsettled(f)) {
        if let Some(k) = s.score.ambiguous() {
            out.push(s.finding(*f, k, false));
        } else if let Some((k, skew, agree)) = s.unplaced {
            out.push(Finding {
                skew_s: (skew as f64 / SEC as f64).round() as i64,
                lined_up: agree,
                unplaced: true,
                ..s.finding(*f, k, false)
            });
        }
    }
    out.sort_by_key(|f| f.file);
    out
}

fn zero() -> usize {
    STEPS as usize
}

fn offset_of(k: usize) -> i64 {
    (k as i64 - STEPS) * QUARTER_S
}

/// Where a file's events' copies agree past a whole number of quarter
/// hours ([`Index::residual`]).
#[derive(Clone, Copy, Debug)]
struct Residual {
    /// The offset (candidate index) most of them are nearest.
    offset: usize,
    /// Their median residual (nanoseconds; positive: the file is ahead).
    residual: UnixNs,
    /// How many of the file's events have a copy there.
    events: u64,
    /// The most events any window apart from it holds.
    runner: u64,
}

/// One file's scores, with its clock's error taken out if one was found.
#[derive(Clone, Debug, Default)]
struct Scored {
    score: Score,
    /// Its zone is known (see [`detect`]): it may be settled at offset zero
    /// only, with a clock's error.
    zone_known: bool,
    /// The clock error taken out (nanoseconds; 0: none).
    skew: UnixNs,
    /// Its events lining up as read (the clock error left in).
    as_read: u64,
    /// It does not line up as read, and its events' copies agree on an
    /// offset (candidate index) and a residual beyond [`MAX_CLOCK_SKEW`].
    /// And how many of its events agree on them.
    unplaced: Option<(usize, UnixNs, u64)>,
}

impl Scored {
    /// The offset it is settled at: one that clearly explains its shared
    /// events, or, with its clock's error taken out, zero as clearly (its
    /// zone as read was right, its clock was not): the same rule
    /// ([`Score::clearest`]) either way.
    /// A file of known zone: only the latter, never an offset.
    fn settled(&self) -> Option<usize> {
        let clock_alone = || (self.skew != 0).then(|| self.score.clearest()).flatten();
        if self.zone_known {
            return clock_alone().filter(|&k| k == zero());
        }
        self.score.clear().or_else(clock_alone)
    }

    fn finding(&self, file: usize, k: usize, applied: bool) -> Finding {
        let s = &self.score;
        Finding {
            file,
            offset_s: offset_of(k),
            lined_up: s.lined[k],
            as_read: self.as_read,
            shared: s.shared,
            applied,
            skew_s: (self.skew as f64 / SEC as f64).round() as i64,
            unplaced: false,
        }
    }
}

/// One file's scores at each candidate offset.
#[derive(Clone, Debug)]
struct Score {
    shared: u64,
    /// Events with a copy in another file at that offset.
    lined: Vec<u64>,
    /// Those events weighted by the number of other files with a copy.
    weight: Vec<u64>,
}

impl Default for Score {
    fn default() -> Score {
        Score {
            shared: 0,
            lined: vec![0; CANDIDATES],
            weight: vec![0; CANDIDATES],
        }
    }
}

impl Score {
    /// The best offset, ties to the smaller one (zero first).
    fn best(&self, skip_zero: bool) -> usize {
        let mut order: Vec<usize> = (0..CANDIDATES).collect();
        order.sort_by_key(|&k| (offset_of(k).abs(), offset_of(k)));
        let mut best: Option<usize> = None;
        for k in order.into_iter().filter(|&k| !(skip_zero && k == zero())) {
            if best.is_none_or(|b| self.weight[k] > self.weight[b]) {
                best = Some(k);
            }
        }
        best.unwrap_or(zero())
    }

    fn enough(&self, k: usize) -> bool {
        self.lined[k] >= MIN_LINED_UP && 2 * self.lined[k] >= self.shared
    }

    /// The offset that clearly explains the shared events, if not zero.
    fn clear(&self) -> Option<usize> {
        self.clearest().filter(|&k| k != zero())
    }

    /// The offset that clearly explains the shared events, zero included:
    /// at least [`MIN_LINED_UP`] and half of them line up there, weighing
    /// more than twice any other offset.
    fn clearest(&self) -> Option<usize> {
        let k = self.best(false);
        let runner = (0..CANDIDATES)
            .filter(|&j| j != k)
            .map(|j| self.weight[j])
            .max()
            .unwrap_or(0);
        (self.enough(k) && self.weight[k] > 2 * runner).then_some(k)
    }

    /// An offset that lines up at least as well as reading the file as is,
    /// but not clearly.
    fn ambiguous(&self) -> Option<usize> {
        let k = self.best(true);
        (self.enough(k) && self.weight[k] >= self.weight[zero()] && self.clear().is_none())
            .then_some(k)
    }
}

/// The two files reaching furthest into the rank order (see
/// [`Sample::reach`]), to ask how far any file but one reaches.
#[derive(Clone, Copy, Debug)]
struct Reach {
    files: u32,
    top: [(u64, u32); 2],
}

impl Default for Reach {
    fn default() -> Reach {
        Reach {
            files: 0,
            top: [(0, u32::MAX); 2],
        }
    }
}

impl Reach {
    fn add(&mut self, file: u32, reach: u64) {
        self.files += 1;
        if (reach, file) > self.top[0] {
            self.top = [(reach, file), self.top[0]];
        } else if (reach, file) > self.top[1] {
            self.top[1] = (reach, file);
        }
    }

    /// How far the files other than `f` reach (None: there are none).
    fn other(&self, f: u32) -> Option<u64> {
        let t = if self.top[0].1 == f {
            self.top[1]
        } else {
            self.top[0]
        };
        (t.1 != u32::MAX).then_some(t.0)
    }
}

/// The first index in `from..hi` of `list` (time-sorted, every entry
/// before `from` earlier than `t`) whose time is `t` or later, else `hi`:
/// galloping from `from`, as the probes' windows come in time order a few
/// entries apart.
fn seek(list: &[(UnixNs, u32)], mut from: usize, hi: usize, t: UnixNs) -> usize {
    let mut step = 1;
    while from + step <= hi && list[from + step - 1].0 < t {
        from += step;
        step *= 2;
    }
    let end = (from + step - 1).min(hi);
    from + list[from..end].partition_point(|e| e.0 < t)
}

/// Every sampled event by (kind, member), time-sorted, with its file.
struct Index {
    by_key: BTreeMap<(u8, NodeId), Vec<(UnixNs, u32)>>,
    /// The files with each key, and how far their samples reach.
    files: BTreeMap<(u8, NodeId), Reach>,
    /// The files with any event.
    all: Reach,
    file_count: usize,
}

impl Index {
    fn new(samples: &[Sample]) -> Index {
        let mut by_key: BTreeMap<(u8, NodeId), Vec<(UnixNs, u32)>> = BTreeMap::new();
        let mut all = Reach::default();
        for (f, s) in samples.iter().enumerate() {
            if !s.events.is_empty() {
                all.add(f as u32, s.reach());
            }
            for &(kind, member, at) in &s.events {
                by_key
                    .entry((kind, member))
                    .or_default()
                    .push((at, f as u32));
            }
        }
        let mut files = BTreeMap::new();
        for (k, v) in by_key.iter_mut() {
            v.sort_unstable();
            let mut fs: Vec<u32> = v.iter().map(|e| e.1).collect();
            fs.sort_unstable();
            fs.dedup();
            let mut r = Reach::default();
            for g in fs {
                r.add(g, samples[g as usize].reach());
            }
            files.insert(*k, r);
        }
        Index {
            by_key,
            files,
            all,
            file_count: samples.len(),
        }
    }

    /// File `f` read `by` (nanoseconds) earlier: further east, or its
    /// clock's error taken out.
    fn shift(&mut self, f: usize, by: UnixNs) {
        for v in self.by_key.values_mut() {
            if v.iter().any(|e| e.1 == f as u32) {
                for e in v.iter_mut().filter(|e| e.1 == f as u32) {
                    e.0 -= by;
                }
                v.sort_unstable();
            }
        }
    }

    /// The events of file `f` scored: its shared ones (whose member and
    /// kind another file logged too, and another file's sample would hold
    /// the copy of), up to [`SCORED_PER_FILE`] spread over its sample.
    fn scored(&self, f: usize, sample: &Sample) -> Vec<Ev> {
        let me = f as u32;
        // Only events some other file's sample would hold a copy of.
        let Some(upto) = self.all.other(me) else {
            return Vec::new();
        };
        let within = |e: &&Ev| upto == u64::MAX || invariant(e) <= upto;
        let count = sample.events.iter().filter(within).count();
        let step = count.div_ceil(SCORED_PER_FILE).max(1);
        (sample.events.iter().filter(within).step_by(step))
            .filter(|e| {
                self.files
                    .get(&(e.0, e.1))
                    .is_some_and(|r| r.files >= 2 && r.other(me).is_some_and(|x| x >= invariant(e)))
            })
            .copied()
            .collect()
    }

    /// File `f`'s scores as [`Index::score`] gives them; when it neither
    /// lines up as read nor clearly at an offset, scored again with its
    /// clock's error taken out, if its copies agree on one within
    /// [`MAX_CLOCK_SKEW`] ([`Index::residual`]) and that then explains it,
    /// clearly or not; marked unplaced if they agree on one beyond.
    fn score_file(
        &self,
        f: usize,
        scored: &[Ev],
        zones: &[i64],
        known: &[bool],
        shift_s: i64,
    ) -> Scored {
        let plain = self.score(f, scored, zones, known, shift_s, 0);
        let as_read = plain.lined[zero()];
        let as_is = Scored {
            score: plain,
            zone_known: known[f],
            skew: 0,
            as_read,
            unplaced: None,
        };
        if as_is.score.clear().is_some() || as_is.score.enough(zero()) {
            return as_is;
        }
        let Some(r) = self.residual(f, scored, zones, known, shift_s) else {
            return as_is;
        };
        if known[f] && r.residual.abs() > MAX_CLOCK_SKEW {
            // Its zone is known, so only a clock's error is looked for.
            return as_is;
        }
        if r.residual.abs() > MAX_CLOCK_SKEW {
            // Said only when as clear as an offset applied must be: most
            // of its shared events, more than twice any other window's.
            let clear = 2 * r.events >= scored.len() as u64 && r.events > 2 * r.runner;
            let ambiguous = as_is.score.ambiguous().is_some();
            return Scored {
                unplaced: (clear && !ambiguous).then_some((r.offset, r.residual, r.events)),
                ..as_is
            };
        }
        // A clock error to try: the score taken with it out decides, by the
        // rule every offset is held to, zero included (its zone as read
        // right, its clock not).
        let score = self.score(f, scored, zones, known, shift_s, r.residual);
        let explained = if known[f] {
            score.clearest() == Some(zero())
        } else {
            score.clearest().is_some() || score.ambiguous().is_some()
        };
        if !explained {
            return as_is;
        }
        Scored {
            score,
            zone_known: known[f],
            skew: r.residual,
            as_read,
            unplaced: None,
        }
    }

    /// Where file `f`'s events' copies agree, past a whole number of
    /// quarter hours: for each of its scored events, the residual after the
    /// nearest quarter hour to each copy in another file (at an offset
    /// [`Index::score`] would allow); the window of width 2·[`LINE_UP`]
    /// holding residuals of the most events, at least [`MIN_LINED_UP`]
    /// (ties: the one nearest zero). `None` when its residual is within
    /// [`LINE_UP`] of zero (nothing to take out) or too few events agree.
    /// A file of known zone: only copies nearest offset zero (its clock's
    /// error alone).
    fn residual(
        &self,
        f: usize,
        scored: &[Ev],
        zones: &[i64],
        known: &[bool],
        shift_s: i64,
    ) -> Option<Residual> {
        let me = f as u32;
        let q = QUARTER_S * SEC as i64;
        let reach = MAX_OFFSET_S * SEC as i64 + q / 2;
        // (residual, which scored event, offset index), over every copy looked at.
        let mut residuals: Vec<(UnixNs, usize, usize)> = Vec::new();
        for (i, &(kind, member, at)) in scored.iter().enumerate() {
            let Some(list) = self.by_key.get(&(kind, member)) else {
                continue;
            };
            let at = at - shift_s * SEC as i64;
            let lo = list.partition_point(|e| e.0 < at - reach);
            let hi = list.partition_point(|e| e.0 <= at + reach);
            // A busy member's copies: as many as a score scans one by one.
            for &(t, g) in list[lo..hi].iter().take(SCAN_LIMIT) {
                let diff = at - t;
                let steps = (diff + diff.signum() * q / 2) / q;
                if g == me || steps.abs() > STEPS || (known[f] && steps != 0) {
                    continue;
                }
                if offset_possible(steps, f, g as usize, zones, known) {
                    residuals.push((diff - steps * q, i, (steps + STEPS) as usize));
                }
            }
        }
        residuals.sort_unstable();
        // A window sliding over the residuals: how many of each event's are
        // in it; each window's (events, centre, first, last).
        let mut in_window = vec![0u32; scored.len()];
        let mut events = 0u64;
        let mut windows: Vec<(u64, UnixNs, usize, usize)> = Vec::new();
        let mut start = 0;
        for end in 0..residuals.len() {
            let (r, i, _) = residuals[end];
            if in_window[i] == 0 {
                events += 1;
            }
            in_window[i] += 1;
            while r - residuals[start].0 > 2 * LINE_UP {
                let j = residuals[start].1;
                in_window[j] -= 1;
                if in_window[j] == 0 {
                    events -= 1;
                }
                start += 1;
            }
            windows.push((events, residuals[(start + end) / 2].0, start, end));
        }
        let best = windows.iter().copied().reduce(|b, w| {
            let better = w.0 > b.0 || (w.0 == b.0 && w.1.abs() < b.1.abs());
            if better {
                w
            } else {
                b
            }
        });
        let (n, centre, start, end) = best?;
        if n < MIN_LINED_UP || centre.abs() <= LINE_UP {
            return None;
        }
        // The most events any window apart from it holds: copies of a busy
        // member's events, minutes apart, put some in every window.
        let runner = (windows.iter())
            .filter(|w| (w.1 - centre).abs() > 2 * LINE_UP)
            .map(|w| w.0)
            .max()
            .unwrap_or(0);
        // The window's offset: the most common, ties to the smaller index.
        let mut offsets: Vec<usize> = residuals[start..=end].iter().map(|r| r.2).collect();
        offsets.sort_unstable();
        let k = (offsets.chunk_by(|a, b| a == b))
            .max_by(|a, b| a.len().cmp(&b.len()).then(b[0].cmp(&a[0])))
            .map_or(zero(), |c| c[0]);
        Some(Residual {
            offset: k,
            residual: centre,
            events: n,
            runner,
        })
    }

    /// File `f`'s scores of its events `scored`. `zones`: every file's zone
    /// as now read (seconds east of UTC); `known`: whether a file's times
    /// are known (see [`detect`]); `shift_s`: how far east of the zone its
    /// events were sampled in `f` is now read; `skew`: its clock's error
    /// taken out (nanoseconds, positive: ahead).
    fn score(
        &self,
        f: usize,
        scored: &[Ev],
        zones: &[i64],
        known: &[bool],
        shift_s: i64,
        skew: UnixNs,
    ) -> Score {
        let mut s = Score::default();
        let me = f as u32;
        let q = QUARTER_S * SEC as i64;
        let reach = MAX_OFFSET_S * SEC as i64 + LINE_UP;
        let mut hits: Vec<(usize, u32)> = Vec::new();
        // Which files were counted for the current (event, offset): a token
        // per pair, so no set is cleared or sorted per event.
        let mut seen: Vec<u64> = vec![0; self.file_count];
        let mut token = 0u64;
        s.shared = scored.len() as u64;
        for &(kind, member, at) in scored {
            let Some(list) = self.by_key.get(&(kind, member)) else {
                continue;
            };
            let at = at - shift_s * SEC as i64 - skew;
            let lo = list.partition_point(|e| e.0 < at - reach);
            let hi = list.partition_point(|e| e.0 <= at + reach);
            hits.clear();
            let hit = |t: UnixNs, g: u32, hits: &mut Vec<(usize, u32)>| {
                let diff = at - t;
                let steps = (diff + diff.signum() * q / 2) / q;
                if g == me || steps.abs() > STEPS || (diff - steps * q).abs() > LINE_UP {
                    return;
                }
                if offset_possible(steps, f, g as usize, zones, known) {
                    hits.push(((steps + STEPS) as usize, g));
                }
            };
            if hi - lo <= SCAN_LIMIT {
                for &(t, g) in &list[lo..hi] {
                    hit(t, g, &mut hits);
                }
            } else {
                // Centres in time order: each window is looked for after
                // the last one's start, in what is left of the reach.
                let mut from = lo;
                for k in (0..CANDIDATES).rev() {
                    let centre = at - offset_of(k) * SEC as i64;
                    from = seek(list, from, hi, centre - LINE_UP);
                    for &(t, g) in list[from..hi]
                        .iter()
                        .take_while(|e| e.0 <= centre + LINE_UP)
                        .take(WINDOW_LIMIT)
                    {
                        hit(t, g, &mut hits);
                    }
                }
            }
            // One offset's hits are together: the list is in time order,
            // and the offset falls as the time rises.
            let mut i = 0;
            while i < hits.len() {
                let k = hits[i].0;
                let n = hits[i..].iter().take_while(|h| h.0 == k).count();
                token += 1;
                let mut files = 0u64;
                for &(_, g) in &hits[i..i + n] {
                    if seen[g as usize] != token {
                        seen[g as usize] = token;
                        files += 1;
                    }
                }
                s.lined[k] += 1;
                s.weight[k] += files;
                i += n;
            }
        }
        s
    }
}

/// Could file `f` lie `steps` quarter hours off file `g`, going by what is
/// assumed of their zones (`zones`, with `known` marking files whose zone
/// is taken as given)? As read always; against a file of known zone, only
/// into a zone in use on Earth; against one still guessed, only as far as
/// any two zones lie apart. One rule for [`Index::score`] and
/// [`Index::residual`], so a clock error is looked for among exactly the
/// offsets a score allows.
fn offset_possible(steps: i64, f: usize, g: usize, zones: &[i64], known: &[bool]) -> bool {
    let zone = zones[f] + steps * QUARTER_S;
    steps == 0
        || if known[g] {
            (WESTMOST_S..=EASTMOST_S).contains(&zone)
        } else {
            (zone - zones[g]).abs() <= MAX_OFFSET_S
        }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3600 * SEC as i64;

    /// Files that each log member 7 failing and joining 12 times in an hour
    /// (at uneven times, as flaps come), one second apart, read `off` hours late.
    fn sample(off: &[i64]) -> Vec<Sample> {
        off.iter()
            .enumerate()
            .map(|(i, &o)| {
                let mut s = Sample::new(off.len());
                for n in 0..12i64 {
                    let uneven = n * 300 + (n * n * 7919) % 251;
                    let t = uneven * SEC as i64 + i as i64 * SEC as i64 + o * H;
                    s.stamp(false);
                    s.event(1, 7, t);
                    s.event(0, 7, t + 40 * SEC as i64);
                }
                s
            })
            .collect()
    }

    /// Rule: one file of three read 9 h late is read 9 h further east; the
    /// others stay.
    #[test]
    fn a_file_nine_hours_off_is_found() {
        let f = detect(&sample(&[0, 0, 9]), &[true; 3], &[0; 3]);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(
            (f[0].file, f[0].offset_s, f[0].applied),
            (2, 9 * 3600, true)
        );
        assert_eq!((f[0].lined_up, f[0].as_read, f[0].shared), (24, 0, 24));
    }

    /// Rule: of two files only, the later one is moved (the first keeps the
    /// zone given), never both toward each other.
    #[test]
    fn of_two_files_only_the_later_is_moved() {
        let f = detect(&sample(&[0, -5]), &[true; 2], &[0; 2]);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!((f[0].file, f[0].offset_s), (1, -5 * 3600));
    }

    /// Rule: two equal groups of files 9 h apart cannot tell which is right:
    /// reported as ambiguous, nothing moved.
    #[test]
    fn two_equal_groups_apart_are_ambiguous() {
        let f = detect(&sample(&[0, 0, 0, 9, 9, 9]), &[true; 6], &[0; 6]);
        assert_eq!(f.len(), 6, "{f:?}");
        assert!(f.iter().all(|x| !x.applied), "{f:?}");
    }

    /// Rule: a group of two files in one wrong zone among three is moved:
    /// their agreeing with each other does not outvote the rest.
    #[test]
    fn a_minority_group_in_one_wrong_zone_is_moved() {
        let f = detect(&sample(&[0, 0, 0, 9, 9]), &[true; 5], &[0; 5]);
        let moved: Vec<(usize, i64)> = f
            .iter()
            .filter(|x| x.applied)
            .map(|x| (x.file, x.offset_s))
            .collect();
        assert_eq!(moved, vec![(3, 9 * 3600), (4, 9 * 3600)], "{f:?}");
        assert_eq!(f.len(), 2);
    }

    /// Rule: files that line up as read, or share too few events, are left alone.
    #[test]
    fn aligned_or_unshared_files_are_left_alone() {
        assert!(detect(&sample(&[0, 0, 0]), &[true; 3], &[0; 3]).is_empty());
        let mut few = sample(&[0, 9]);
        few[1].events.truncate(2);
        assert!(detect(&few, &[true; 2], &[0; 2]).is_empty());
        // A file with zoned stamps is not moved, but is the others' reference.
        let f = detect(&sample(&[9, 0]), &[false, true], &[0; 2]);
        assert_eq!((f[0].file, f[0].offset_s), (1, -9 * 3600));
    }

    /// Host `i` logging members 100..116 failing and rejoining 40 s later
    /// about every 12 minutes for a day (more events than a file's share of
    /// the sample among 20), a second or two after another host, from
    /// `from_h` hours on, read `off_h` hours late.
    fn host_events(i: usize, from_h: i64, off_h: i64) -> Vec<Ev> {
        let mut v = Vec::new();
        for n in 0..120i64 {
            for m in 0..16i64 {
                let uneven = n * 720 + m * 37 + (n * n * 7919 + m * 104_729) % 251;
                if uneven >= from_h * 3600 {
                    let t = (uneven + i as i64 % 3) * SEC as i64 + off_h * H;
                    v.push((1, 100 + m as NodeId, t));
                    v.push((0, 100 + m as NodeId, t + 40 * SEC as i64));
                }
            }
        }
        v
    }

    fn day(files: usize, from_h: &[i64], off_h: &[i64]) -> Vec<Sample> {
        (0..files)
            .map(|i| {
                let mut s = Sample::new(files);
                for (kind, member, at) in host_events(i, from_h[i], off_h[i]) {
                    s.stamp(false);
                    s.event(kind, member, at);
                }
                s
            })
            .collect()
    }

    /// Rule: the sample represents each whole file, the same events of a
    /// stretch in every file: a host whose log starts 20 h after the others'
    /// (a log rotated, a node joining late), in +09:00, is found and read
    /// there. Keeping each file's first events, the others' samples ended
    /// hours before it starts and nothing lined up.
    #[test]
    fn a_file_starting_hours_after_the_others_in_another_zone_is_found() {
        let n = 20;
        let mut from = vec![0; n];
        let mut off = vec![0; n];
        (from[7], off[7]) = (20, 9);
        let samples = day(n, &from, &off);
        assert!(
            samples[0].events.len() < 2 * 120 * 16,
            "the test is of files over their share"
        );
        let f = detect(&samples, &vec![true; n], &vec![0; n]);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(
            (f[0].file, f[0].offset_s, f[0].applied),
            (7, 9 * 3600, true),
            "{f:?}"
        );
        assert!(2 * f[0].lined_up >= f[0].shared, "{f:?}");
        // The same with every file over its share and the late one too.
        let f = detect(&day(n, &vec![0; n], &off), &vec![true; n], &vec![0; n]);
        assert_eq!(
            f.iter()
                .map(|x| (x.file, x.offset_s, x.applied))
                .collect::<Vec<_>>(),
            vec![(7, 9 * 3600, true)]
        );
    }

    /// Rule: what a file keeps is the same whichever order its streams
    /// (a file read once per node) are added in, and every event ranked at
    /// or below its bound is kept.
    #[test]
    fn a_sample_keeps_every_event_ranked_at_or_below_its_bound() {
        let every = host_events(3, 0, 0);
        let (mut whole, mut odd, mut even) = (Sample::new(20), Sample::new(20), Sample::new(20));
        for &(kind, member, at) in &every {
            whole.event(kind, member, at);
            let half = if member % 2 == 1 { &mut odd } else { &mut even };
            half.event(kind, member, at);
        }
        let b = whole.bound.expect("thinned");
        let by_time = |v: &[Ev]| {
            let mut v = v.to_vec();
            v.sort_unstable_by_key(|&(k, m, at)| (at, k, m));
            v
        };
        let ranked_in: Vec<Ev> = every.iter().copied().filter(|e| rank(e) <= b).collect();
        assert_eq!(by_time(&whole.events), by_time(&ranked_in));
        assert!(whole.events.len() <= whole.cap && whole.events.len() < every.len());
        // A file read once per node: its streams' samples, either way round.
        let (mut a, mut c) = (Sample::default(), Sample::default());
        a.add(odd.clone());
        a.add(even.clone());
        c.add(even);
        c.add(odd);
        assert_eq!(a.events, c.events);
        assert!(a.events.len() <= a.cap);
        let b = a.bound.expect("thinned");
        let ranked_in: Vec<Ev> = every.iter().copied().filter(|e| rank(e) <= b).collect();
        assert_eq!(a.events, by_time(&ranked_in));
    }

    /// A week of the Serf member events of a cluster of `off_s.len()`
    /// nodes as each of them logs them: a member failing and rejoining 40 s
    /// later `per_hour` times an hour, each copy stamped (to the second, as
    /// Go's log does) up to `lag_ms` after the first, as gossip brings it;
    /// host `i` read `off_s[i]` seconds late (its zone, read as UTC), and
    /// the hosts so read with their clocks `skew_ms` ahead as well.
    fn week_of_hosts(off_s: &[i64], per_hour: u64, lag_ms: u64, skew_ms: i64) -> Vec<Sample> {
        let hosts = off_s.len();
        let mix = |x: u64| {
            let mut z = x.wrapping_mul(0x9E37_79B9_7F4A_7C15);
            z = (z ^ (z >> 29)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z ^ (z >> 32)
        };
        let gap_ms = 3_600_000 / per_hour;
        (0..hosts)
            .map(|i| {
                let mut s = Sample::new(hosts);
                let skew = if off_s[i] == 0 { 0 } else { skew_ms };
                for n in 0..7 * 24 * per_hour {
                    let start_ms = (n * gap_ms + mix(n) % (gap_ms / 2)) as i64;
                    let member = (mix(n + 13) % hosts as u64) as NodeId;
                    for (kind, after_ms) in [(1u8, 0i64), (0, 40_000)] {
                        let lag = mix(n << 16 | (i as u64) << 1 | u64::from(kind)) % lag_ms;
                        let at_s = (start_ms + after_ms + lag as i64 + skew).div_euclid(1000);
                        s.stamp(false);
                        s.event(kind, member, (at_s + off_s[i]) * SEC as i64);
                    }
                }
                s
            })
            .collect()
    }

    /// Rule: under the heaviest thinning (hundreds of files over a week,
    /// each keeping a fiftieth to a four-hundredth of its events), files
    /// read in the wrong zone are still found, each at its own offset, and
    /// no other file is moved, though one event's copies are stamped a
    /// second or two apart, and those hosts' clocks are 2 s ahead. With 800
    /// hosts, ranked by the second from the middle of the quarter hour, a
    /// sample was a second wide: those hosts' copies of the events the
    /// others kept were 2 s out of their samples, and none was found.
    #[test]
    fn under_heavy_thinning_hosts_in_other_zones_are_still_found() {
        for (hosts, per_hour, lag_ms, skew_ms) in [(400, 20, 2500, 0), (800, 64, 1000, 2000)] {
            let mut off = vec![0i64; hosts];
            let shifted = [
                (13, 9 * 3600),
                (101, 5 * 3600 + 1800),
                (222, -8 * 3600),
                (350, 13 * 3600 + 2700),
                (hosts - 2, 3600),
                (hosts - 1, 3600),
            ];
            for &(f, o) in &shifted {
                off[f] = o;
            }
            let samples = week_of_hosts(&off, per_hour, lag_ms, skew_ms);
            let kept = samples[0].events.len() as u64;
            assert!(
                kept * 50 < 2 * 7 * 24 * per_hour,
                "the test is of heavy thinning: {kept} kept"
            );
            let f = detect(&samples, &vec![true; hosts], &vec![0; hosts]);
            let found: Vec<(usize, i64, bool)> =
                f.iter().map(|x| (x.file, x.offset_s, x.applied)).collect();
            let want: Vec<(usize, i64, bool)> =
                shifted.iter().map(|&(f, o)| (f, o, true)).collect();
            assert_eq!(found, want, "{hosts} hosts: {f:?}");
        }
    }

    /// [`sample`], file `i` read `off_s[i]` seconds late.
    fn sample_s(off_s: &[i64]) -> Vec<Sample> {
        let mut s = sample(&vec![0; off_s.len()]);
        for (s, &o) in s.iter_mut().zip(off_s) {
            for e in &mut s.events {
                e.2 += o * SEC as i64;
            }
        }
        s
    }

    /// Rule: a file a zone and a few seconds off the others (its clock
    /// off too) is found at that zone, the clock's error reported, not
    /// applied. Read 3 h 7 s late, none of its events lined up within 5 s
    /// of a whole quarter hour, and nothing was found.
    #[test]
    fn a_file_a_zone_and_seconds_off_is_found_with_its_clock_error() {
        for (off, clock) in [(3 * 3600 + 7, 7), (-(5 * 3600 + 1800) - 20, -20)] {
            let f = detect(&sample_s(&[0, 0, off]), &[true; 3], &[0; 3]);
            assert_eq!(f.len(), 1, "{f:?}");
            // File 2 logs each event 2 s after file 0, 1 s after file 1.
            assert_eq!(
                (f[0].file, f[0].offset_s, f[0].applied, f[0].unplaced),
                (2, off - clock, true, false),
                "{f:?}"
            );
            assert!((clock..=clock + 2).contains(&f[0].skew_s), "{f:?}");
            assert_eq!((f[0].lined_up, f[0].as_read, f[0].shared), (24, 0, 24));
        }
    }

    /// Of three files, the third alone was found `clock` seconds off at
    /// offset zero, applied, with all 24 of its shared events lining up once
    /// its clock's error is out and none as read.
    fn assert_third_file_clock_corrected(f: &[Finding], clock: i64) {
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(
            (f[0].file, f[0].offset_s, f[0].applied, f[0].unplaced),
            (2, 0, true, false),
            "{f:?}"
        );
        assert!((clock..=clock + 2).contains(&f[0].skew_s), "{f:?}");
        assert_eq!((f[0].lined_up, f[0].as_read, f[0].shared), (24, 0, 24));
    }

    /// Rule: a file in the right zone whose clock is seconds off (25 s
    /// ahead, 20 s behind) is found at offset zero with its clock's error,
    /// applied by the same rule as a zone; of two files only, the later
    /// one, never both toward each other. Only an offset other than zero
    /// was looked for: nothing was found.
    #[test]
    fn a_file_in_the_right_zone_seconds_off_is_found_with_its_clock_error() {
        for clock in [25, -20] {
            let f = detect(&sample_s(&[0, 0, clock]), &[true; 3], &[0; 3]);
            assert_third_file_clock_corrected(&f, clock);
            let f = detect(&sample_s(&[0, clock]), &[true; 2], &[0; 2]);
            assert_eq!(f.len(), 1, "{f:?}");
            assert_eq!((f[0].file, f[0].offset_s, f[0].applied), (1, 0, true));
            assert!((clock..=clock + 1).contains(&f[0].skew_s), "{f:?}");
        }
    }

    /// Rule: a file of known zone (stamps with their zone, `--log-zone
    /// FILE=ZONE`) whose clock is seconds off (25 s ahead, 20 s behind) is
    /// found at offset zero with its clock's error, by the rule a guessed
    /// file is held to, whether the others' zones are known or guessed.
    /// Only files of guessed zone were looked at: nothing was found.
    #[test]
    fn a_file_of_known_zone_seconds_off_has_its_clock_error_found() {
        for clock in [25, -20] {
            for others_known in [false, true] {
                let eligible = [!others_known, !others_known, false];
                let f = detect(&sample_s(&[0, 0, clock]), &eligible, &[0; 3]);
                assert_third_file_clock_corrected(&f, clock);
            }
        }
    }

    /// Rule: a file of known zone is never moved by an offset, and its
    /// clock's error is taken out only by the rule: not a zone and seconds
    /// off, nor minutes off a quarter hour (nothing reported of it), nor
    /// under 5 s (it lines up as read), nor over 30 s. Of a file of guessed
    /// zone and one of known zone a clock error apart, the guessed one is
    /// corrected, whichever comes first (as before known files were looked
    /// at).
    #[test]
    fn a_file_of_known_zone_is_never_moved_and_only_clearly_corrected() {
        for off in [3 * 3600 + 7, 3 * 3600, 3 * 3600 + 180, 9 * 3600, 3, -3, 40] {
            let f = detect(&sample_s(&[0, 0, off]), &[true, true, false], &[0; 3]);
            assert!(f.iter().all(|x| x.file != 2), "{off} s: {f:?}");
            if off.abs() < 3600 {
                assert!(f.is_empty(), "{off} s: {f:?}");
            }
        }
        let f = detect(&sample_s(&[0, 25]), &[true, false], &[0; 2]);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!((f[0].file, f[0].offset_s, f[0].applied), (0, 0, true));
        assert!((-27..=-25).contains(&f[0].skew_s), "{f:?}");
        let f = detect(&sample_s(&[0, 25]), &[false, true], &[0; 2]);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!((f[0].file, f[0].offset_s, f[0].applied), (1, 0, true));
        assert!((25..=27).contains(&f[0].skew_s), "{f:?}");
    }

    /// Rule: a file whose events line up with the others' only minutes off
    /// a whole quarter hour (more than a clock error is looked for) is not
    /// moved, and is reported as unplaced: its times cannot be checked.
    #[test]
    fn a_file_minutes_off_a_quarter_hour_is_reported_unplaced() {
        let f = detect(&sample_s(&[0, 0, 3 * 3600 + 180]), &[true; 3], &[0; 3]);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(
            (f[0].file, f[0].offset_s, f[0].applied, f[0].unplaced),
            (2, 3 * 3600, false, true),
            "{f:?}"
        );
        assert!((180..=182).contains(&f[0].skew_s), "{f:?}");
    }

    /// Rule: two hosts' zones can be 26 h apart. Hosts in -08:00 read as
    /// UTC and one in +09:00: it is 17 h off them, and found (read as
    /// +17:00: the others are not in UTC either). It was missed: no offset
    /// over 14 h was looked at.
    #[test]
    fn a_host_more_than_14_hours_off_the_others_is_found() {
        let f = detect(&sample(&[0, 0, 17]), &[true; 3], &[0; 3]);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(
            (f[0].file, f[0].offset_s, f[0].applied),
            (2, 17 * 3600, true)
        );
    }

    /// Rule: against files whose times are known (stamps with their zone,
    /// `--log-zone FILE=ZONE`), an offset counts only if it puts the file in
    /// a zone in use (-12:00..+14:00), however far from the zone given: read
    /// in -08:00, 17 h behind a known UTC file, it is in +09:00; read in
    /// UTC, "+17:00" is no zone: left as read.
    #[test]
    fn against_known_times_a_file_is_only_put_in_a_zone_in_use() {
        let f = detect(&sample(&[0, 17]), &[false, true], &[0, -8 * 3600]);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(
            (f[0].file, f[0].offset_s, f[0].applied),
            (1, 17 * 3600, true)
        );
        assert!(detect(&sample(&[0, 17]), &[false, true], &[0, 0]).is_empty());
    }
}
