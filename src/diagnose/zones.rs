//! Files of zone-less stamps read in the wrong zone, found from the Serf events
//! they share with the other files.
//!
//! Go's log (Consul 0.x, Serf, Nomad < 0.9) prints the host's local time with
//! no zone, and `--log-zone` reads every such file in one zone: a host that
//! logged in +09:00 among hosts in UTC has its lines read 9 h off, and the
//! clock-skew estimate (which pairs one event's sightings within
//! [`super::analyze::SKEW_WINDOW`]) never sees it. Such an offset is a whole
//! number of quarter hours (every zone in use is), at most ±14 h, and the
//! cluster's Serf member events show it: one member's `EventMemberFailed`,
//! `EventMemberJoin` or `EventMemberLeave` is logged by every observer within
//! seconds (gossip), so a misread file's copies of them sit that offset away
//! from everybody else's.
//!
//! The rule ("clearly"): for a file whose understood lines all carry no zone,
//! each quarter-hour offset `z` up to ±14 h is scored by how many of the
//! file's sampled Serf events have a copy (same kind, same member) in another
//! file within [`LINE_UP`] once the file is read `z` further east, weighted by
//! how many other files have one (so a group of files in one wrong zone does
//! not outvote the rest by agreeing among themselves). The file is read at
//! the best offset when it is not zero and
//! - at least [`MIN_LINED_UP`] of its events line up there,
//! - at least half of its shared events (those whose member and kind another
//!   file also logged) line up there, and
//! - its score is more than twice every other offset's, zero included (far
//!   more than as read; not a periodic coincidence such as a node flapping
//!   every 15 minutes).
//!
//! When an offset other than zero lines up at least as well as reading the
//! file as is, but not clearly, the file is not shifted and the report says
//! it is ambiguous. Files are settled one at a time, the strongest first
//! (ties: the later input first, so of two files only, the first keeps the
//! zone given), each scored against the others as then read, so two files
//! that only see each other are not both moved toward each other.
//!
//! Bounded: at most [`SAMPLE_EVENTS`] events are kept over all files (the
//! first ones of each file), at most [`SCORED_PER_FILE`] of a file's are
//! scored, each against at most [`SCAN_LIMIT`] others (else probed at each
//! of the 113 offsets, a few entries each), and at most [`MAX_ROUNDS`] rounds
//! are made.

use std::collections::BTreeMap;

use crate::protocol::{NodeId, SEC};

use super::time::UnixNs;

/// Zones are whole quarter hours apart (+05:45, +09:30, +13:45 included).
pub const QUARTER_S: i64 = 15 * 60;
/// The largest offset looked for (+14:00 is the easternmost zone in use).
pub const MAX_OFFSET_S: i64 = 14 * 3600;
/// One event's copies at different observers line up within this once the
/// offset is taken out (gossip spreads a member event in about a second; Go's
/// log stamps to the second; clocks a little apart).
pub const LINE_UP: i64 = 5 * SEC as i64;
/// Fewest events that must line up at an offset for it to be applied.
pub const MIN_LINED_UP: u64 = 3;
/// Serf member events kept over all files, the first of each file (a file
/// keeps an even share of this, at least [`MIN_PER_FILE`]).
pub const SAMPLE_EVENTS: usize = 50_000;
const MIN_PER_FILE: usize = 64;
/// An event is compared with the other files' copies of its member's events
/// one by one up to this many within ±14 h, else probed offset by offset.
const SCAN_LIMIT: usize = 256;
/// Events of one file scored at most (spread over its sample); the index
/// still holds every sampled event of every file to match them against.
const SCORED_PER_FILE: usize = 256;
/// Entries of one ±[`LINE_UP`] window looked at, at most, when probing.
const WINDOW_LIMIT: usize = 64;
/// Rounds of settling at most (a round settles every file it can).
const MAX_ROUNDS: usize = 4;

const STEPS: i64 = MAX_OFFSET_S / QUARTER_S;
const CANDIDATES: usize = (2 * STEPS + 1) as usize;

/// The Serf events of one file, and whether its stamps carry a zone.
#[derive(Clone, Debug, Default)]
pub struct Sample {
    /// Understood lines whose stamp carries no zone, and those whose does.
    pub zoneless: u64,
    pub zoned: u64,
    /// (event kind, member, time as read), the file's first ones.
    pub events: Vec<(u8, NodeId, UnixNs)>,
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
        if self.events.len() < self.cap {
            self.events.push((kind, member, at));
        }
    }

    /// Another stream of the same file (read once per node).
    pub fn add(&mut self, o: Sample) {
        self.cap = self.cap.max(o.cap);
        self.zoneless += o.zoneless;
        self.zoned += o.zoned;
        let room = self.cap.saturating_sub(self.events.len());
        self.events.extend(o.events.into_iter().take(room));
    }

    /// Every understood line's stamp carries no zone.
    pub fn only_zoneless(&self) -> bool {
        self.zoneless > 0 && self.zoned == 0
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
}

/// Each eligible file's offset, where one is found (see the module's rule),
/// in file order. `zone_s[f]`: the zone file `f` was read in (seconds east of
/// UTC); no offset is looked for that would put it past ±14 h.
pub fn detect(samples: &[Sample], eligible: &[bool], zone_s: &[i64]) -> Vec<Finding> {
    let mut shift_s = vec![0i64; samples.len()];
    let mut index = Index::new(samples);
    let mut applied: Vec<Finding> = Vec::new();
    let mut open: Vec<usize> = (0..samples.len())
        .filter(|&f| eligible[f] && !samples[f].events.is_empty())
        .collect();
    let mut last_scores: Vec<(usize, Score)> = Vec::new();
    for round in 0..=MAX_ROUNDS {
        let scores: Vec<(usize, Score)> = open
            .iter()
            .map(|&f| {
                (
                    f,
                    index.score(f, &samples[f], zone_s[f] + shift_s[f], shift_s[f]),
                )
            })
            .collect();
        let mut clear: Vec<(u64, usize)> = scores
            .iter()
            .filter_map(|(f, s)| s.clear().map(|k| (s.weight[k], *f)))
            .collect();
        last_scores = scores;
        if clear.is_empty() || round == MAX_ROUNDS {
            break;
        }
        // The strongest first; of equals, the later input.
        clear.sort_unstable_by(|a, b| b.cmp(a));
        let mut moved = false;
        for (_, f) in clear {
            let s = if moved {
                index.score(f, &samples[f], zone_s[f] + shift_s[f], shift_s[f])
            } else {
                last_scores
                    .iter()
                    .find(|(g, _)| *g == f)
                    .map(|x| x.1.clone())
                    .unwrap_or_default()
            };
            let Some(k) = s.clear() else { continue };
            let offset_s = offset_of(k);
            shift_s[f] += offset_s;
            index.shift(f, offset_s);
            moved = true;
            open.retain(|&g| g != f);
            applied.push(Finding {
                file: f,
                offset_s,
                lined_up: s.lined[k],
                as_read: s.lined[zero()],
                shared: s.shared,
                applied: true,
            });
        }
    }
    let mut out = applied;
    for (f, s) in last_scores.iter().filter(|(f, _)| open.contains(f)) {
        if let Some(k) = s.ambiguous() {
            out.push(Finding {
                file: *f,
                offset_s: offset_of(k),
                lined_up: s.lined[k],
                as_read: s.lined[zero()],
                shared: s.shared,
                applied: false,
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
        let k = self.best(false);
        let runner = (0..CANDIDATES)
            .filter(|&j| j != k)
            .map(|j| self.weight[j])
            .max()
            .unwrap_or(0);
        (k != zero() && self.enough(k) && self.weight[k] > 2 * runner).then_some(k)
    }

    /// An offset that lines up at least as well as reading the file as is,
    /// but not clearly.
    fn ambiguous(&self) -> Option<usize> {
        let k = self.best(true);
        (self.enough(k) && self.weight[k] >= self.weight[zero()] && self.clear().is_none())
            .then_some(k)
    }
}

/// Every sampled event by (kind, member), time-sorted, with its file.
struct Index {
    by_key: BTreeMap<(u8, NodeId), Vec<(UnixNs, u32)>>,
    /// Distinct files per key.
    files: BTreeMap<(u8, NodeId), u32>,
    file_count: usize,
}

impl Index {
    fn new(samples: &[Sample]) -> Index {
        let mut by_key: BTreeMap<(u8, NodeId), Vec<(UnixNs, u32)>> = BTreeMap::new();
        for (f, s) in samples.iter().enumerate() {
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
            files.insert(*k, fs.len() as u32);
        }
        Index {
            by_key,
            files,
            file_count: samples.len(),
        }
    }

    /// File `f` read `offset_s` further east: its times move back.
    fn shift(&mut self, f: usize, offset_s: i64) {
        for v in self.by_key.values_mut() {
            if v.iter().any(|e| e.1 == f as u32) {
                for e in v.iter_mut().filter(|e| e.1 == f as u32) {
                    e.0 -= offset_s * SEC as i64;
                }
                v.sort_unstable();
            }
        }
    }

    /// File `f`'s scores, now read `zone_s` east of UTC, `shift_s` east of
    /// the zone its events were sampled in.
    fn score(&self, f: usize, sample: &Sample, zone_s: i64, shift_s: i64) -> Score {
        let mut s = Score::default();
        let me = f as u32;
        let q = QUARTER_S * SEC as i64;
        let reach = MAX_OFFSET_S * SEC as i64 + LINE_UP;
        let mut hits: Vec<(usize, u32)> = Vec::new();
        // Which files were counted for the current (event, offset): a token
        // per pair, so no set is cleared or sorted per event.
        let mut seen: Vec<u64> = vec![0; self.file_count];
        let mut token = 0u64;
        let step = sample.events.len().div_ceil(SCORED_PER_FILE).max(1);
        for &(kind, member, at) in sample.events.iter().step_by(step) {
            let key = (kind, member);
            let (Some(list), Some(&n)) = (self.by_key.get(&key), self.files.get(&key)) else {
                continue;
            };
            if n < 2 {
                continue;
            }
            s.shared += 1;
            let at = at - shift_s * SEC as i64;
            let lo = list.partition_point(|e| e.0 < at - reach);
            let hi = list.partition_point(|e| e.0 <= at + reach);
            hits.clear();
            let hit = |t: UnixNs, g: u32, hits: &mut Vec<(usize, u32)>| {
                let diff = at - t;
                let steps = (diff + diff.signum() * q / 2) / q;
                let zone = zone_s + steps * QUARTER_S;
                if g != me
                    && steps.abs() <= STEPS
                    && zone.abs() <= MAX_OFFSET_S
                    && (diff - steps * q).abs() <= LINE_UP
                {
                    hits.push(((steps + STEPS) as usize, g));
                }
            };
            if hi - lo <= SCAN_LIMIT {
                for &(t, g) in &list[lo..hi] {
                    hit(t, g, &mut hits);
                }
            } else {
                for k in 0..CANDIDATES {
                    let centre = at - offset_of(k) * SEC as i64;
                    let from = list.partition_point(|e| e.0 < centre - LINE_UP);
                    for &(t, g) in list[from..]
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
}
