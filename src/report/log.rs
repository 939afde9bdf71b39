//! `memberlist.log`: the protocol events of chosen observers as the memberlist and
//! Serf log lines an operator would have grepped (memberlist.md §8, incidents.md §4).
//!
//! Format. Each line is Consul 0.5-era Go `log` framing: four spaces, the date
//! `YYYY/MM/DD HH:MM:SS`, `[LEVEL]`, the text:
//! `    2015/09/29 01:55:43 [INFO] memberlist: Suspect web-07 has failed, no acks received`.
//! When the file holds more than one observer, each line starts with the observer's
//! name, a colon and a space before that framing, `a-01:     2015/09/29 …`, so
//! `grep '^a-01: '` gives one node's log and `sed 's/^[^ ]*: //'` gives back the exact
//! Consul lines. With a single observer the prefix is omitted and the file reads like
//! that node's own log, opened by the agent's start-up banner ([`banner`]) that
//! names the node.
//!
//! Clock. Virtual time 0 is 2015-09-29 00:00:00 for the 2015 preset (the incident's
//! date) and 2026-01-01 00:00:00 for the others; the date is computed here with civil
//! calendar arithmetic, never from the system clock, so output is reproducible.
//!
//! Level. Consul's default level is INFO, so DEBUG lines (failed UDP pings, push/pull
//! starts) are written only with [`Level::Debug`].
//!
//! Texts. Each event kind's line per generation is a template in the event table
//! (`protocol::event`, rendered by `protocol::event::log_line`); this module
//! adds the framing. Events without a log line (SUSPECT/DEAD state changes,
//! health-score gauge, confirmations, flap counter, reaping) are left out; they
//! are in `events.jsonl`.

use crate::metrics::{Metrics, What};
use crate::protocol::config::Generation;
use crate::protocol::event::log_line::{self, Roster};
use crate::protocol::{Event, Nanos, NodeId, SEC};
use crate::scenario::Scenario;

pub use crate::protocol::event::Level;

/// Days from 1970-01-01 to the civil date (proleptic Gregorian; H. Hinnant's
/// `days_from_civil`).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Civil date of a day count from 1970-01-01 (inverse of [`days_from_civil`]).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Unix seconds at virtual time 0 for this scenario's preset.
pub fn epoch_for(scenario: &Scenario) -> i64 {
    let days = if scenario.protocol.generation == Generation::Y2015 {
        days_from_civil(2015, 9, 29)
    } else {
        days_from_civil(2026, 1, 1)
    };
    days * 86_400
}

/// `YYYY/MM/DD HH:MM:SS` of virtual time `at` (truncated to the second, as Go's log).
pub fn wall(epoch: i64, at: Nanos) -> String {
    let secs = epoch + (at / SEC) as i64;
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400);
    format!(
        "{y:04}/{m:02}/{d:02} {:02}:{:02}:{:02}",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    )
}

/// Node names and addresses of a scenario, for the log templates.
pub struct ScenarioRoster<'a>(pub &'a Scenario);

impl Roster for ScenarioRoster<'_> {
    fn name(&self, id: NodeId) -> &str {
        &self.0.nodes[id as usize].name
    }
    fn ip(&self, id: NodeId) -> &str {
        &self.0.nodes[id as usize].ip
    }
}

/// Which nodes' lines `memberlist.log` holds: the scenario's `log_observers`,
/// every node when it names none.
fn logged(scenario: &Scenario) -> Vec<bool> {
    let mut chosen = vec![scenario.log_observers.is_empty(); scenario.nodes.len()];
    for &o in &scenario.log_observers {
        chosen[o as usize] = true;
    }
    chosen
}

/// Consul's default Serf WAN port, for the banner (flapsim models the LAN pool only).
const SERF_WAN_PORT: u16 = 8302;

/// The start-up banner that opens a file of one observer's lines, as a
/// Consul agent prints it before its log (Consul 0.5's `agent` command; the
/// wording of `Node name:` and `Cluster Addr:` is unchanged through 1.x).
/// Why: such a file has no line prefix, and the banner is how a real agent's
/// log says whose it is, so `flapsim diagnose` reads the file as that node's
/// whatever it is named. Only the lines the scenario knows are written (the
/// name and the cluster address), none it would have to invent (datacenter,
/// server mode, client ports). None when the file holds several observers
/// (each line names its own) or none.
pub fn banner(scenario: &Scenario) -> Option<String> {
    let chosen = logged(scenario);
    let mut observers = chosen.iter().enumerate().filter(|(_, &c)| c);
    let (only, _) = observers.next()?;
    if observers.next().is_some() {
        return None;
    }
    let node = &scenario.nodes[only];
    Some(format!(
        "==> Consul agent running!\n         Node name: '{}'\n      Cluster Addr: {} (LAN: {}, WAN: {})\n\n==> Log data will now stream in as it occurs:\n\n",
        node.name,
        node.ip,
        log_line::PORT,
        SERF_WAN_PORT,
    ))
}

/// Writes `memberlist.log` lines one event at a time (the framing around the
/// event table's templates): which observers are logged, the observer prefix,
/// the date, the level filter.
pub struct LogLines<'a> {
    scenario: &'a Scenario,
    chosen: Vec<bool>,
    prefix: bool,
    epoch: i64,
    min: Level,
    /// Cache of the date string: many lines share the same second.
    last_sec: u64,
    date: String,
    /// Scratch for the rendered text.
    text: String,
}

impl<'a> LogLines<'a> {
    /// Lines of the scenario's `log_observers` (every node when empty) at `min`
    /// and above.
    pub fn new(scenario: &'a Scenario, min: Level) -> LogLines<'a> {
        let chosen = logged(scenario);
        let prefix = chosen.iter().filter(|&&c| c).count() > 1;
        LogLines {
            scenario,
            chosen,
            prefix,
            epoch: epoch_for(scenario),
            min,
            last_sec: u64::MAX,
            date: String::new(),
            text: String::new(),
        }
    }

    /// Append the line of `event` at `observer` to `out`, if it has one.
    pub fn write(&mut self, out: &mut Vec<u8>, at: Nanos, observer: NodeId, event: &Event) {
        if !self.chosen[observer as usize] || event.info().level < self.min {
            return;
        }
        // The severity is known only once the template is chosen: render the
        // text first, then frame it.
        self.text.clear();
        let roster = ScenarioRoster(self.scenario);
        let generation = self.scenario.protocol.generation;
        let Some(tpl) = log_line::render(event, observer, generation, &roster, &mut self.text)
        else {
            return;
        };
        if at / SEC != self.last_sec {
            self.last_sec = at / SEC;
            self.date = wall(self.epoch, at);
        }
        if self.prefix {
            out.extend_from_slice(self.scenario.nodes[observer as usize].name.as_bytes());
            out.extend_from_slice(b": ");
        }
        for part in [
            "    ",
            &self.date,
            " [",
            tpl.severity.as_str(),
            "] ",
            &self.text,
            "\n",
        ] {
            out.extend_from_slice(part.as_bytes());
        }
    }
}

/// `memberlist.log` for the scenario's `log_observers` (every node when empty).
pub fn memberlist_log(scenario: &Scenario, metrics: &Metrics, min: Level) -> Vec<u8> {
    let mut lines = LogLines::new(scenario, min);
    let mut out = banner(scenario).map(String::into_bytes).unwrap_or_default();
    for r in &metrics.events {
        if let What::Protocol(ev) = &r.what {
            lines.write(&mut out, r.at, r.node, ev);
        }
    }
    out
}
