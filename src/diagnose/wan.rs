//! Consul's WAN pool in Go's log, and which program wrote a line.
//!
//! A Consul server is in two Serf pools: its datacenter's (LAN) and the
//! servers' of every datacenter (WAN). hclog (Consul 1.x) names the pool in
//! its module (`agent.server.serf.wan`); Go's log (Consul before 1.0) writes
//! both pools' lines alike (`serf: EventMemberJoin: s-01.dc1 10.0.0.1`), so
//! a WAN line is told by the member it names: the servers' WAN names are
//! `NODE.DC` (Consul's `setupSerf` since 0.2.1), and each join or failure of
//! one is followed by a line of Consul's own naming it. That line's form
//! changed three times; every one is read (quoted from hashicorp/consul's
//! tags, `consul/serf.go` and `consul/util.go`):
//!
//! | versions | line (`s.logger.Printf`) | where |
//! |---|---|---|
//! | 0.1.0–0.2.1 | `[INFO] consul: adding server for datacenter: %s, addr: %s` (`parts.Datacenter, addr`), `removing server for datacenter: …`: WAN only (`remoteJoin`, `remoteFailed`), by datacenter and address, no name | v0.1.0 `consul/serf.go:122`, `:156`; v0.2.1 `consul/serf.go:122`, `:151` |
//! | 0.3.0–0.5.2 | `[INFO] consul: adding server %s`, `removing server %s` (`nodeJoin`/`nodeFailed(me, wan bool)`): LAN and WAN alike | v0.3.0 `consul/serf.go:126`, `:162`; v0.4.1 `consul/serf.go:154`, `:248`; v0.5.2 `consul/serf.go:154`, `:249` |
//! | 0.6.0– | `[INFO] consul: adding LAN server %s`, `adding WAN server %s`, `removing LAN/WAN server %s` | v0.6.0 `consul/serf.go:147`, `:171`, `:254`, `:269` |
//!
//! `%s` of a server is `serverParts.String()`, `"%s (Addr: %s) (DC: %s)"`
//! (`s.Name, s.Addr, s.Datacenter`; v0.3.0 `consul/util.go:34`, v0.4.1
//! `consul/util.go:37`): `s-01.dc1 (Addr: 10.0.0.1:8300) (DC: dc1)`. Before
//! 0.2.1 (v0.2.0 `consul/server.go:208`, `conf.NodeName =
//! s.config.NodeName`) a WAN member was named as its node, `s-09`; since
//! (v0.2.1 `consul/server.go:204`, commit 1611d986 "consul: Avoid name
//! conflict on WAN ring") `NODE.DC`.
//!
//! Nomad (< 0.9) writes Go's log too, and its servers are Serf members
//! `NODE.REGION` (`nomad: adding server nomad-1.global (Addr: …) (DC: dc1)`),
//! which look like Consul's WAN members when a region is named like a
//! datacenter: Nomad's lines are never read for Consul's WAN pool. Which
//! program wrote a line is the line's own when it says (a syslog header's
//! tag, `consul[812]:` / `nomad[900]:`; a `kubectl logs --prefix`
//! container, `[pod/s-01/nomad]`), so one file of both programs' lines
//! (both agents logging to syslog) reads each line as its program's; else
//! its file's, from the file's `consul: ` / `nomad: ` lines and banner.

use std::collections::{BTreeMap, BTreeSet};

/// Most datacenters and WAN member names kept from the lines.
const MAX_WAN_SEEN: usize = 10_000;
/// Most names kept per address (a server has two: its LAN and WAN names).
const MAX_NAMES_AT: usize = 8;

/// What a Consul log tells of its WAN pool: the datacenters it names and
/// the members Consul's own lines name as the WAN pool's.
#[derive(Clone, Debug, Default)]
pub(super) struct WanSeen {
    /// Datacenters named: the start-up banner's `Datacenter: 'dc1'`, and the
    /// `(DC: dc1)` / `for datacenter: dc1` of the server lines.
    datacenters: BTreeSet<String>,
    /// Names the server lines give as WAN members.
    members: BTreeSet<String>,
    /// 0.3.0–0.5.2's `adding server NAME (…) (DC: DC)` whose NAME is
    /// `NODE.DC`: NAME and DC (LAN or WAN is settled over all files, see
    /// [`WanSeen::wan_names`]).
    plain: BTreeSet<(String, String)>,
    /// This stream's own (not added up): its banner's datacenter.
    local: Option<String>,
    /// This stream's own (not added up): the names Serf logged at each
    /// address, to name 0.1.0–0.2.1's `… for datacenter: DC, addr: ADDR`.
    at_address: BTreeMap<String, BTreeSet<String>>,
}

impl WanSeen {
    fn datacenter(&mut self, dc: &str) {
        if self.datacenters.len() < MAX_WAN_SEEN && !self.datacenters.contains(dc) {
            self.datacenters.insert(dc.to_string());
        }
    }

    fn member(&mut self, name: &str) {
        if !name.is_empty() && self.members.len() < MAX_WAN_SEEN {
            self.members.insert(name.to_string());
        }
    }

    /// A start-up banner's `Datacenter: 'dc1'`: the node's own datacenter.
    pub(super) fn banner(&mut self, dc: &str) {
        self.local.get_or_insert_with(|| dc.to_string());
        self.datacenter(dc);
    }

    /// Serf's `EventMemberJoin/Failed/Leave: NAME ADDRESS` of Consul's.
    pub(super) fn serf_member(&mut self, name: &str, address: &str) {
        // Most lines name a member at an address seen before: found without
        // copying either (this runs on every Serf member line).
        if let Some(names) = self.at_address.get_mut(address) {
            if names.len() < MAX_NAMES_AT && !names.contains(name) {
                names.insert(name.to_string());
            }
            return;
        }
        if self.at_address.len() >= MAX_WAN_SEEN {
            return;
        }
        let names = self.at_address.entry(address.to_string()).or_default();
        if names.len() < MAX_NAMES_AT {
            names.insert(name.to_string());
        }
    }

    /// A Consul line naming a server (see the module's table): `consul:
    /// adding WAN server s-01.dc1 (Addr: tcp/10.0.0.1:8300) (DC: dc1)`,
    /// `adding server s-01.dc1 (Addr: 10.0.0.1:8300) (DC: dc1)`, `adding
    /// server for datacenter: dc2, addr: 10.1.0.9:8300` (`Adding`,
    /// `removing`, `Removing`; and the LAN pool's, for its DC).
    pub(super) fn server_line(&mut self, message: &str) {
        let Some(rest) = message.strip_prefix("consul: ") else {
            return;
        };
        let rest = ["adding ", "Adding ", "removing ", "Removing "]
            .iter()
            .find_map(|p| rest.strip_prefix(p));
        let Some(rest) = rest else { return };
        if let Some(r) = rest.strip_prefix("server for datacenter: ") {
            self.by_address(r);
            return;
        }
        let (pool, rest) = if let Some(r) = rest.strip_prefix("WAN server ") {
            (Pool::Wan, r)
        } else if let Some(r) = rest.strip_prefix("LAN server ") {
            (Pool::Lan, r)
        } else if let Some(r) = rest.strip_prefix("server ") {
            (Pool::Either, r)
        } else {
            return;
        };
        let name = rest.split_whitespace().next().unwrap_or("");
        let dc = rest
            .split_once("(DC: ")
            .and_then(|(_, d)| d.split_once(')'))
            .map(|(d, _)| d.trim())
            .filter(|d| !d.is_empty() && !d.contains(char::is_whitespace));
        match pool {
            Pool::Wan => self.member(name),
            Pool::Lan => {}
            Pool::Either => {
                let wan_shaped = dc.is_some_and(|dc| named_in(name, dc).is_some());
                if wan_shaped && self.plain.len() < MAX_WAN_SEEN {
                    let dc = dc.unwrap_or_default();
                    self.plain.insert((name.to_string(), dc.to_string()));
                }
            }
        }
        if let Some(dc) = dc {
            self.datacenter(dc);
        }
    }

    /// `dc2, addr: 10.1.0.9:8300` (Consul 0.1.0–0.2.1, a server's WAN pool
    /// only): the member Serf last logged at that address named
    /// `NODE.dc2` (0.2.1); before 0.2.1, named as its node, one of another
    /// datacenter than the banner's (this node's own, in the LAN pool too).
    fn by_address(&mut self, rest: &str) {
        let Some((dc, address)) = rest.split_once(", addr: ") else {
            return;
        };
        let dc = dc.trim();
        if dc.is_empty() || dc.contains(char::is_whitespace) {
            return;
        }
        self.datacenter(dc);
        let ip = address
            .trim()
            .rsplit_once(':')
            .map_or(address.trim(), |(ip, _)| ip)
            .trim_start_matches('[')
            .trim_end_matches(']');
        let Some(names) = self.at_address.get(ip) else {
            return;
        };
        let suffixed: Vec<String> = (names.iter())
            .filter(|n| named_in(n, dc).is_some())
            .cloned()
            .collect();
        let remote = self.local.as_deref().is_some_and(|l| l != dc);
        let members: Vec<String> = if !suffixed.is_empty() {
            suffixed
        } else if remote {
            names.iter().cloned().collect()
        } else {
            Vec::new()
        };
        for m in members {
            self.member(&m);
        }
    }

    pub(super) fn add(&mut self, o: WanSeen) {
        for d in o.datacenters {
            self.datacenter(&d);
        }
        for m in o.members {
            self.member(&m);
        }
        for p in o.plain {
            if self.plain.len() < MAX_WAN_SEEN {
                self.plain.insert(p);
            }
        }
    }

    /// The names the lines gave as members that are Consul's WAN pool's:
    /// those the server lines name as such; each `NODE.DC` that 0.3.0–0.5.2's
    /// `adding server` names with `(DC: DC)`, unless `NODE.DC.DC` is named
    /// so too (then `NODE.DC` is a LAN server's node name, whose WAN name
    /// that is); and each `NODE.DC` where NODE is a name the lines give too
    /// and DC a datacenter they name (a LAN node named `web.dc1` is not one
    /// unless `web` is also a node).
    pub(super) fn wan_names(&self, names: &[String]) -> BTreeSet<String> {
        let known: BTreeSet<&str> = names.iter().map(String::as_str).collect();
        let plain: BTreeSet<&str> = self.plain.iter().map(|(n, _)| n.as_str()).collect();
        let plain_wan = |n: &str| {
            (self.plain.iter())
                .filter(|(name, _)| name == n)
                .any(|(name, dc)| !plain.contains(format!("{name}.{dc}").as_str()))
        };
        names
            .iter()
            .filter(|n| {
                self.members.contains(n.as_str())
                    || plain_wan(n)
                    || n.rsplit_once('.').is_some_and(|(node, dc)| {
                        !node.is_empty() && self.datacenters.contains(dc) && known.contains(node)
                    })
            })
            .cloned()
            .collect()
    }
}

/// Which pool a server line names.
enum Pool {
    Wan,
    Lan,
    /// 0.3.0–0.5.2: one form for both.
    Either,
}

/// `NODE` of a name `NODE.DC`, if it is one.
fn named_in<'a>(name: &'a str, dc: &str) -> Option<&'a str> {
    let node = name.strip_suffix(dc)?.strip_suffix('.')?;
    (!node.is_empty()).then_some(node)
}

/// The program that wrote a line, where its own prefix says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Program {
    Consul,
    Nomad,
}

impl Program {
    /// A syslog tag without its `[PID]` (`consul`, `/usr/bin/nomad`) or a
    /// container's name: Consul's or Nomad's when it is the program's name.
    pub(super) fn named(tag: &str) -> Option<Program> {
        let name = tag.rsplit('/').next().unwrap_or(tag);
        match name {
            "consul" => Some(Program::Consul),
            "nomad" => Some(Program::Nomad),
            _ => None,
        }
    }
}

/// Which program wrote a log, as its lines tell: Consul and Nomad (< 0.9)
/// both write Go's log with Serf's and memberlist's lines alike, and a
/// Nomad server's Serf members are `NODE.REGION` (its `setupSerf`), which
/// looks like a Consul WAN member `NODE.DC` when a region is named like a
/// datacenter (`region = "${dc}"`). Consul's WAN pool is a Consul server's
/// only: a file whose lines are Nomad's is never read for it (a line whose
/// own prefix names its program is read as that program's, see
/// [`Program`]).
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Product {
    /// A `nomad: ` / `nomad.` line (`nomad: adding server nomad-1.global
    /// (Addr: …) (DC: dc1)`), or Nomad's banner.
    nomad: bool,
    /// A `consul: ` / `consul.` line, or Consul's banner.
    consul: bool,
}

impl Product {
    /// A Go-log line's message (no hclog module: hclog's lines name their
    /// pool in the module and are told apart there).
    pub(super) fn line(&mut self, message: &str) {
        let by = |p: &str| {
            message
                .strip_prefix(p)
                .is_some_and(|r| r.starts_with(": ") || r.starts_with('.'))
        };
        self.nomad |= by("nomad");
        self.consul |= by("consul");
    }

    /// `==> Nomad agent started! Log data will stream in below:`, `==>
    /// Starting Consul agent...`, `==> Consul agent running!`.
    pub(super) fn banner(&mut self, line: &str) {
        let Some(rest) = line.trim().strip_prefix("==> ") else {
            return;
        };
        let rest = rest.strip_prefix("Starting ").unwrap_or(rest);
        self.nomad |= rest.starts_with("Nomad agent");
        self.consul |= rest.starts_with("Consul agent");
    }

    pub(super) fn add(&mut self, o: Product) {
        self.nomad |= o.nomad;
        self.consul |= o.consul;
    }

    /// Nomad's, and nothing of Consul's.
    pub(super) fn nomad(&self) -> bool {
        self.nomad && !self.consul
    }
}

/// `        Datacenter: 'dc1'` (Consul 0.1 to 1.x print it at start).
pub(super) fn banner_datacenter(line: &str) -> Option<&str> {
    let dc = line
        .trim()
        .strip_prefix("Datacenter: '")?
        .strip_suffix('\'')?;
    let ok = !dc.is_empty() && dc.len() <= 253 && !dc.contains(char::is_whitespace);
    ok.then_some(dc)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each form of the module's table, as the versions logged it.
    #[test]
    fn every_form_of_consuls_server_lines_is_read() {
        let mut w = WanSeen::default();
        w.server_line("consul: adding WAN server s-01.dc1 (Addr: tcp/10.0.0.1:8300) (DC: dc1)");
        w.server_line("consul: adding LAN server s-02 (Addr: tcp/10.0.0.2:8300) (DC: dc1)");
        w.server_line("consul: removing server s-03.dc3 (Addr: 10.3.0.3:8300) (DC: dc3)");
        w.server_line("consul: adding server s-04 (Addr: 10.0.0.4:8300) (DC: dc1)");
        w.banner("dc1");
        w.serf_member("s-05.dc5", "10.5.0.5");
        w.serf_member("s-05", "10.5.0.5");
        w.server_line("consul: adding server for datacenter: dc5, addr: 10.5.0.5:8300");
        w.serf_member("s-06", "10.6.0.6");
        w.server_line("consul: removing server for datacenter: dc6, addr: 10.6.0.6:8300");
        w.serf_member("s-07", "10.0.0.7");
        w.server_line("consul: adding server for datacenter: dc1, addr: 10.0.0.7:8300");
        w.server_line("consul: adding server for datacenter: dc8, addr: 10.8.0.8:8300");
        let names: Vec<String> = [
            "s-01.dc1", "s-02", "s-03.dc3", "s-04", "s-05.dc5", "s-05", "s-06", "s-07",
        ]
        .map(String::from)
        .to_vec();
        let wan: Vec<String> = w.wan_names(&names).into_iter().collect();
        assert_eq!(wan, ["s-01.dc1", "s-03.dc3", "s-05.dc5", "s-06"]);
        let dcs: Vec<&str> = w.datacenters.iter().map(String::as_str).collect();
        assert_eq!(dcs, ["dc1", "dc3", "dc5", "dc6", "dc8"]);
    }

    /// Rule: 0.3.0–0.5.2's one form for both pools: a LAN server whose node
    /// is named `web.dc1` (its WAN name `web.dc1.dc1`) is not a WAN member.
    #[test]
    fn a_lan_server_named_node_dc_is_not_taken_for_a_wan_member() {
        let mut w = WanSeen::default();
        w.server_line("consul: adding server web.dc1 (Addr: 10.0.0.1:8300) (DC: dc1)");
        w.server_line("consul: adding server web.dc1.dc1 (Addr: 10.0.0.1:8300) (DC: dc1)");
        let names = ["web.dc1", "web.dc1.dc1"].map(String::from).to_vec();
        let wan: Vec<String> = w.wan_names(&names).into_iter().collect();
        assert_eq!(wan, ["web.dc1.dc1"]);
    }

    #[test]
    fn a_lines_own_prefix_names_its_program() {
        assert_eq!(Program::named("consul"), Some(Program::Consul));
        assert_eq!(Program::named("/usr/bin/nomad"), Some(Program::Nomad));
        assert_eq!(Program::named("consul-template"), None);
        assert_eq!(Program::named("kernel"), None);
    }
}
