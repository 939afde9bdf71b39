//! Consul's WAN pool and the program a line is from: Go-log lines of
//! Consul's WAN pool (every form Consul 0.1 to 0.9 logged its servers in) are
//! left out, and Nomad's lines, in a file of their own or beside Consul's in
//! one syslog file, never are.

use std::path::{Path, PathBuf};

use super::report;
use super::tests::{blame_of, opts, run, scratch, write};
use crate::protocol::SEC;

/// Consul 0.7 servers of dc1, in Go's log: their LAN pool and their WAN pool
/// (members `NODE.DC`) in one form. Over the WAN, the remote server s-09.dc2
/// flaps (a bad link between datacenters) and s-02.dc1 is suspected; on the
/// LAN, s-02's own probes fail (it suspects client after client). s-02's and
/// s-03's logs have no banner and no LAN line naming their own node.
fn consul_07_lan_and_wan(dir: &Path) -> Vec<PathBuf> {
    let base = super::time::parse_instant("2016-08-17T15:20:41Z", 0).unwrap();
    let stamp = |t: i64| {
        let s = super::time::format_utc(base + t * SEC as i64, false);
        format!("    {} {}", s[..10].replace('-', "/"), &s[11..19])
    };
    let hosts = ["s-01", "s-02", "s-03"];
    let mut logs: Vec<Vec<(i64, String)>> = vec![Vec::new(); 3];
    let mut w = |h: usize, t: i64, msg: String| logs[h].push((t, format!("{} {msg}", stamp(t))));
    for h in [0, 2] {
        let (n, ip) = (hosts[h], h + 1);
        w(
            h,
            0,
            format!("[INFO] serf: EventMemberJoin: {n} 10.0.0.{ip}"),
        );
        w(
            h,
            0,
            format!("[INFO] serf: EventMemberJoin: {n}.dc1 10.0.0.{ip}"),
        );
        w(
            h,
            0,
            format!("[INFO] consul: adding LAN server {n} (Addr: 10.0.0.{ip}:8300) (DC: dc1)"),
        );
        w(
            h,
            0,
            format!("[INFO] consul: adding WAN server {n}.dc1 (Addr: 10.0.0.{ip}:8300) (DC: dc1)"),
        );
    }
    for k in 0..10 {
        let t = 60 + k * 170;
        w(
            0,
            t - 5,
            "[INFO] memberlist: Suspect s-09.dc2 has failed, no acks received".into(),
        );
        for (h, lag) in [(0, 0), (1, 1), (2, 2)] {
            w(
                h,
                t + lag,
                "[INFO] serf: EventMemberFailed: s-09.dc2 10.1.0.9".into(),
            );
            w(
                h,
                t + lag,
                "[INFO] consul: removing WAN server s-09.dc2 (Addr: 10.1.0.9:8300) (DC: dc2)"
                    .into(),
            );
            w(
                h,
                t + 35 + lag,
                "[INFO] serf: EventMemberJoin: s-09.dc2 10.1.0.9".into(),
            );
            w(
                h,
                t + 35 + lag,
                "[INFO] consul: adding WAN server s-09.dc2 (Addr: 10.1.0.9:8300) (DC: dc2)".into(),
            );
        }
    }
    for k in 0..3 {
        let t = 100 + k * 400;
        w(
            0,
            t,
            "[INFO] memberlist: Suspect s-02.dc1 has failed, no acks received".into(),
        );
        w(
            2,
            t,
            "[INFO] memberlist: Suspect s-02.dc1 has failed, no acks received".into(),
        );
        w(
            1,
            t + 1,
            "[WARN] memberlist: Refuting a suspect message (from: s-01.dc1)".into(),
        );
    }
    for k in 0..12 {
        let t = 30 + k * 140;
        w(
            1,
            t,
            format!(
                "[INFO] memberlist: Suspect a-{:02} has failed, no acks received",
                k % 6 + 1
            ),
        );
    }
    for h in [0, 2] {
        for k in 0..6 {
            w(
                h,
                200 + k * 250,
                format!(
                    "[INFO] serf: EventMemberJoin: a-{:02} 10.0.1.{}",
                    k + 1,
                    k + 1
                ),
            );
        }
    }
    logs.into_iter()
        .enumerate()
        .map(|(h, mut l)| {
            l.sort_by_key(|x| x.0);
            let banner = if h == 0 {
                "==> Consul agent running!\n         Node name: 's-01'\n        Datacenter: 'dc1'\n\n"
            } else {
                ""
            };
            let text: String = l.into_iter().map(|x| x.1 + "\n").collect();
            write(dir, &format!("{}.log", hosts[h]), &format!("{banner}{text}"))
        })
        .collect()
}

/// Rule: a Consul 0.x WAN-pool line (Go's log, no hclog module) is told from
/// a LAN line by the member it names, `NODE.DC` with DC a datacenter the logs
/// name (banner, `(DC: dc1)`) and NODE a node they name, or a name an
/// `adding/removing WAN server` line gives, and is left out like hclog's. It
/// was read as LAN: s-09.dc2's WAN flaps were the verdict (30 flaps) and
/// s-02.dc1 had 12 suspicions; now the verdict names s-02 and no flap is
/// counted.
#[test]
fn a_wan_pool_line_in_go_log_format_is_left_out() {
    let dir = scratch("wan-golog");
    let paths = consul_07_lan_and_wan(&dir);
    let d = run(&paths, opts());
    let a = &d.analysis;
    assert_eq!(
        a.metrics.totals.flaps, 0,
        "s-09.dc2's flaps are the WAN pool's"
    );
    assert_eq!(
        a.metrics.totals.suspicions, 12,
        "s-02's of the clients only"
    );
    assert!(
        !a.names
            .iter()
            .any(|n| n.ends_with(".dc1") || n.ends_with(".dc2")),
        "{:?}",
        a.names
    );
    let wan: Vec<u64> = a.files.iter().map(|f| f.wan).collect();
    assert_eq!(wan, vec![34, 23, 24]);
    assert!(
        d.verdict.text.starts_with("s-02 raised"),
        "{}",
        d.verdict.text
    );
    assert!(
        report::text(&d).contains("81 of Consul's WAN pool (servers across datacenters) left out")
    );
}

/// Rule: the rename of a node named from its file (`s-02` → `s-02.dc1`, the
/// one name the lines give with its prefix) never takes a WAN-pool name: s-02
/// was read as `s-02.dc1` and blamed under that name for its LAN suspicions.
#[test]
fn a_node_named_from_its_file_is_not_renamed_to_its_wan_name() {
    let dir = scratch("wan-rename");
    let paths = consul_07_lan_and_wan(&dir);
    let d = run(&paths, opts());
    assert_eq!(blame_of(&d, "s-02"), (12, 0));
    assert!(d.analysis.notes.is_empty(), "{:?}", d.analysis.notes);
    assert_eq!(d.analysis.files[1].observer.as_deref(), Some("s-02"));
}

/// Rule: a LAN node whose name has a dot and a datacenter's name after it
/// (`web.dc1`) is not taken for a WAN member unless `web` is a node too.
#[test]
fn a_lan_node_named_like_a_wan_member_is_kept() {
    let dir = scratch("wan-lan-dot");
    let log = "==> Consul agent running!
         Node name: 's-01'
        Datacenter: 'dc1'

    2016/08/17 15:20:41 [INFO] serf: EventMemberJoin: s-01 10.0.0.1
    2016/08/17 15:20:41 [INFO] serf: EventMemberJoin: s-01.dc1 10.0.0.1
    2016/08/17 15:20:41 [INFO] consul: adding WAN server s-01.dc1 (Addr: 10.0.0.1:8300) (DC: dc1)
    2016/08/17 15:21:00 [INFO] serf: EventMemberFailed: web.dc1 10.0.1.7
    2016/08/17 15:21:30 [INFO] serf: EventMemberJoin: web.dc1 10.0.1.7
";
    let p = write(&dir, "s-01.log", log);
    let d = run(&[p], opts());
    assert_eq!(d.analysis.metrics.totals.flaps, 1, "web.dc1 is a LAN node");
    assert_eq!(
        d.analysis.files[0].wan, 1,
        "s-01.dc1's join is the WAN pool's"
    );
}

/// A Consul 0.7 server of dc1 whose LAN pool has the Nomad hosts' agents
/// (`nomad-1`..`nomad-3`), and Nomad 0.8 servers (Go's log) of a region named
/// like the datacenter, `dc1` (`region = "${dc}"`): Nomad names its servers'
/// Serf members `NODE.REGION` (its `setupSerf`) and logs `nomad: adding
/// server nomad-1.dc1 (Addr: …) (DC: dc1)`. Over Nomad's pool nomad-3.dc1
/// flaps five times.
fn consul_and_nomad_region_named_like_the_dc(dir: &Path) -> Vec<PathBuf> {
    let consul = "==> Consul agent running!
         Node name: 's-01'
        Datacenter: 'dc1'

    2018/03/01 10:00:00 [INFO] serf: EventMemberJoin: s-01 10.0.0.1
    2018/03/01 10:00:00 [INFO] serf: EventMemberJoin: s-01.dc1 10.0.0.1
    2018/03/01 10:00:00 [INFO] consul: adding LAN server s-01 (Addr: tcp/10.0.0.1:8300) (DC: dc1)
    2018/03/01 10:00:00 [INFO] consul: adding WAN server s-01.dc1 (Addr: tcp/10.0.0.1:8300) (DC: dc1)
    2018/03/01 10:00:01 [INFO] serf: EventMemberJoin: nomad-1 10.0.2.1
    2018/03/01 10:00:01 [INFO] serf: EventMemberJoin: nomad-2 10.0.2.2
    2018/03/01 10:00:01 [INFO] serf: EventMemberJoin: nomad-3 10.0.2.3
";
    let mut paths = vec![write(dir, "s-01.log", consul)];
    for (h, host) in ["nomad-1", "nomad-2"].iter().enumerate() {
        let mut text = String::from(
            "==> Nomad agent configuration:\n\n                Client: false\n             Log Level: INFO\n                Region: dc1 (DC: dc1)\n                Server: true\n               Version: 0.8.7\n\n==> Nomad agent started! Log data will stream in below:\n\n",
        );
        let line = |t: i64, msg: &str| {
            format!(
                "    2018/03/01 10:{:02}:{:02}.{:06} {msg}\n",
                t / 60,
                t % 60,
                1000 * h + 17
            )
        };
        text += &line(
            5,
            &format!("[INFO] serf: EventMemberJoin: {host}.dc1 10.0.2.{}", h + 1),
        );
        text += &line(
            5,
            "[INFO] nomad: starting 2 scheduling worker(s) for [service batch system _core]",
        );
        for n in 1..=3 {
            text += &line(
                6,
                &format!("[INFO] serf: EventMemberJoin: nomad-{n}.dc1 10.0.2.{n}"),
            );
            text += &line(
                6,
                &format!(
                    "[INFO] nomad: adding server nomad-{n}.dc1 (Addr: 10.0.2.{n}:4647) (DC: dc1)"
                ),
            );
        }
        for k in 0..5 {
            let t = 60 + k * 300 + h as i64;
            text += &line(
                t - 4,
                "[INFO] memberlist: Suspect nomad-3.dc1 has failed, no acks received",
            );
            text += &line(t, "[INFO] serf: EventMemberFailed: nomad-3.dc1 10.0.2.3");
            text += &line(
                t,
                "[INFO] nomad: removing server nomad-3.dc1 (Addr: 10.0.2.3:4647) (DC: dc1)",
            );
            text += &line(t + 30, "[INFO] serf: EventMemberJoin: nomad-3.dc1 10.0.2.3");
            text += &line(
                t + 30,
                "[INFO] nomad: adding server nomad-3.dc1 (Addr: 10.0.2.3:4647) (DC: dc1)",
            );
        }
        paths.push(write(dir, &format!("{host}.log"), &text));
    }
    paths
}

/// Rule: Consul's WAN pool is a Consul log's: a Nomad log's lines (`nomad:
/// ` lines, its banner, and no `consul: ` line) are never left out as WAN.
/// Its servers `nomad-3.dc1` looked like Consul WAN members `NODE.DC` (dc1
/// a datacenter the Consul log names, nomad-3 a node it names), and
/// nomad-3.dc1's ten flaps were left out as the WAN pool's.
#[test]
fn a_nomad_log_is_not_read_for_consuls_wan_pool() {
    let dir = scratch("wan-nomad");
    let paths = consul_and_nomad_region_named_like_the_dc(&dir);
    let d = run(&paths, opts());
    let a = &d.analysis;
    let wan: Vec<u64> = a.files.iter().map(|f| f.wan).collect();
    assert_eq!(wan, vec![1, 0, 0], "s-01.dc1's join only");
    assert_eq!(a.metrics.totals.flaps, 10, "nomad-3.dc1's, seen by both");
    assert!(a.names.iter().any(|n| n == "nomad-3.dc1"), "{:?}", a.names);
    assert!(!a.names.iter().any(|n| n == "s-01.dc1"), "{:?}", a.names);
}

/// [`consul_07_lan_and_wan`]'s files, each line passed through `rewrite`
/// (None: the version did not log it).
fn consul_07_as(dir: &Path, rewrite: impl Fn(&str) -> Option<String>) -> Vec<PathBuf> {
    let paths = consul_07_lan_and_wan(dir);
    for p in &paths {
        let text = std::fs::read_to_string(p).unwrap();
        let out: String = text
            .lines()
            .filter_map(|l| rewrite(l).map(|l| l + "\n"))
            .collect();
        std::fs::write(p, out).unwrap();
    }
    paths
}

/// `consul: adding WAN server s-09.dc2 (Addr: 10.1.0.9:8300) (DC: dc2)` as
/// Consul 0.1.0 to 0.2.1 logged it: `consul: adding server for datacenter:
/// dc2, addr: 10.1.0.9:8300`, of the WAN pool only (`remoteJoin`,
/// `remoteFailed`); the LAN pool's servers were not logged.
fn as_consul_02(line: &str) -> Option<String> {
    if line.contains("LAN server ") {
        return None;
    }
    for verb in ["adding", "removing"] {
        let form = format!("consul: {verb} WAN server ");
        if let Some((head, rest)) = line.split_once(&form) {
            let addr = rest.split_once("(Addr: ")?.1.split_once(')')?.0;
            let dc = rest.split_once("(DC: ")?.1.split_once(')')?.0;
            return Some(format!(
                "{head}consul: {verb} server for datacenter: {dc}, addr: {addr}"
            ));
        }
    }
    Some(line.to_string())
}

/// Rule: Consul 0.3.0 to 0.5.2 logged both pools' servers alike, `consul:
/// adding server NAME (Addr: …) (DC: DC)` (and `removing server`): NAME
/// `NODE.DC`, DC its own line's, is a WAN member, and DC a datacenter. Those
/// lines were not read: s-09.dc2's 30 WAN flaps were counted as LAN flaps
/// and the verdict.
#[test]
fn consul_before_0_6s_plain_adding_server_line_names_a_wan_member() {
    let dir = scratch("wan-consul-03");
    let paths = consul_07_as(&dir, |l| {
        Some(
            l.replace("consul: adding LAN server ", "consul: adding server ")
                .replace("consul: adding WAN server ", "consul: adding server ")
                .replace("consul: removing WAN server ", "consul: removing server "),
        )
    });
    let d = run(&paths, opts());
    let a = &d.analysis;
    assert_eq!(a.metrics.totals.flaps, 0, "s-09.dc2's are the WAN pool's");
    assert_eq!(
        a.metrics.totals.suspicions, 12,
        "s-02's of the clients only"
    );
    let wan: Vec<u64> = a.files.iter().map(|f| f.wan).collect();
    assert_eq!(wan, vec![34, 23, 24], "as with 0.6's `adding WAN server`");
    assert!(
        d.verdict.text.starts_with("s-02 raised"),
        "{}",
        d.verdict.text
    );
}

/// Rule: Consul 0.1.0 to 0.2.1 logged a WAN member by its datacenter and
/// address only, `consul: adding server for datacenter: dc2, addr:
/// 10.1.0.9:8300`, just after Serf's `EventMemberJoin: s-09.dc2 10.1.0.9`:
/// the member Serf last logged at that address named `NODE.DC` is a WAN
/// member, and DC a datacenter. Not read, s-09.dc2's 30 WAN flaps were
/// counted.
#[test]
fn consul_before_0_3s_adding_server_for_datacenter_line_names_a_wan_member() {
    let dir = scratch("wan-consul-02");
    let paths = consul_07_as(&dir, as_consul_02);
    let text = std::fs::read_to_string(&paths[1]).unwrap();
    assert!(text.contains("consul: removing server for datacenter: dc2, addr: 10.1.0.9:8300\n"));
    let d = run(&paths, opts());
    let a = &d.analysis;
    assert_eq!(a.metrics.totals.flaps, 0, "s-09.dc2's are the WAN pool's");
    assert_eq!(
        a.metrics.totals.suspicions, 12,
        "s-02's of the clients only"
    );
    assert!(
        d.verdict.text.starts_with("s-02 raised"),
        "{}",
        d.verdict.text
    );
    // Consul 0.1.0 and 0.2.0 named a WAN member as its node (`s-09`, no
    // `.DC`): one of another datacenter than the banner's is one still.
    let dir = scratch("wan-consul-01");
    let paths = consul_07_as(&dir, |l| as_consul_02(&l.replace("s-09.dc2", "s-09")));
    let d = run(&paths, opts());
    assert_eq!(
        d.analysis.metrics.totals.flaps, 0,
        "s-09's are the WAN pool's"
    );
    assert!(!d.analysis.names.iter().any(|n| n == "s-09"));
}

/// Host s-01 runs a Consul 0.7 server (dc1) and a Nomad 0.8 server of a
/// region named like the datacenter (`dc1`), both logging to syslog, one
/// file: Consul's LAN pool (a-01 flaps three times), Consul's WAN pool
/// (`s-01.dc1`, `s-03.dc1`; remote s-09.dc2 flaps ten times) and Nomad's
/// server pool, whose members are `NODE.REGION`: `s-01.dc1`, `s-03.dc1`,
/// the very names of Consul's WAN pool (s-03.dc1 flaps five times).
fn consul_and_nomad_in_one_syslog_file(dir: &Path) -> PathBuf {
    let mut lines: Vec<(i64, String)> = Vec::new();
    let mut w = |t: i64, program: &str, msg: &str| {
        let (pid, ms) = if program == "consul" {
            (812, 0)
        } else {
            (900, 250)
        };
        lines.push((
            t,
            format!(
                "Mar  1 10:{m:02}:{s:02} s-01 {program}[{pid}]:     2018/03/01 10:{m:02}:{s:02}{frac} {msg}",
                m = t / 60,
                s = t % 60,
                frac = if ms > 0 { format!(".{:06}", ms * 1000) } else { String::new() },
            ),
        ));
    };
    for (n, ip) in [("s-01", 1), ("s-03", 3)] {
        w(
            0,
            "consul",
            &format!("[INFO] serf: EventMemberJoin: {n} 10.0.0.{ip}"),
        );
        w(
            0,
            "consul",
            &format!("[INFO] serf: EventMemberJoin: {n}.dc1 10.0.0.{ip}"),
        );
        w(
            0,
            "consul",
            &format!("[INFO] consul: adding LAN server {n} (Addr: tcp/10.0.0.{ip}:8300) (DC: dc1)"),
        );
        w(
            0,
            "consul",
            &format!(
                "[INFO] consul: adding WAN server {n}.dc1 (Addr: tcp/10.0.0.{ip}:8300) (DC: dc1)"
            ),
        );
        w(
            1,
            "nomad",
            &format!("[INFO] serf: EventMemberJoin: {n}.dc1 10.0.0.{ip}"),
        );
        w(
            1,
            "nomad",
            &format!("[INFO] nomad: adding server {n}.dc1 (Addr: 10.0.0.{ip}:4647) (DC: dc1)"),
        );
    }
    w(2, "consul", "[INFO] serf: EventMemberJoin: a-01 10.0.1.1");
    for k in 0..10 {
        let t = 60 + k * 170;
        w(
            t,
            "consul",
            "[INFO] serf: EventMemberFailed: s-09.dc2 10.1.0.9",
        );
        w(
            t,
            "consul",
            "[INFO] consul: removing WAN server s-09.dc2 (Addr: tcp/10.1.0.9:8300) (DC: dc2)",
        );
        w(
            t + 35,
            "consul",
            "[INFO] serf: EventMemberJoin: s-09.dc2 10.1.0.9",
        );
        w(
            t + 35,
            "consul",
            "[INFO] consul: adding WAN server s-09.dc2 (Addr: tcp/10.1.0.9:8300) (DC: dc2)",
        );
    }
    for k in 0..5 {
        let t = 100 + k * 300;
        w(
            t - 4,
            "nomad",
            "[INFO] memberlist: Suspect s-03.dc1 has failed, no acks received",
        );
        w(
            t,
            "nomad",
            "[INFO] serf: EventMemberFailed: s-03.dc1 10.0.0.3",
        );
        w(
            t,
            "nomad",
            "[INFO] nomad: removing server s-03.dc1 (Addr: 10.0.0.3:4647) (DC: dc1)",
        );
        w(
            t + 30,
            "nomad",
            "[INFO] serf: EventMemberJoin: s-03.dc1 10.0.0.3",
        );
        w(
            t + 30,
            "nomad",
            "[INFO] nomad: adding server s-03.dc1 (Addr: 10.0.0.3:4647) (DC: dc1)",
        );
    }
    for k in 0..3 {
        let t = 130 + k * 500;
        w(t, "consul", "[INFO] serf: EventMemberFailed: a-01 10.0.1.1");
        w(
            t + 20,
            "consul",
            "[INFO] serf: EventMemberJoin: a-01 10.0.1.1",
        );
    }
    lines.sort_by_key(|l| l.0);
    let text: String = lines.into_iter().map(|l| l.1 + "\n").collect();
    write(dir, "syslog", &text)
}

/// Rule: in one file of both programs' lines (syslog's `consul[812]:`,
/// `nomad[900]:`), each line is its program's: Nomad's are never read for
/// Consul's WAN pool, Consul's are. The file counted as Consul's, and
/// Nomad's `s-03.dc1`, a Consul WAN member's name, was left out with its
/// five flaps.
#[test]
fn in_one_file_of_consuls_and_nomads_lines_each_line_is_its_programs() {
    let dir = scratch("wan-mixed");
    let p = consul_and_nomad_in_one_syslog_file(&dir);
    let d = run(&[p], opts());
    let a = &d.analysis;
    assert_eq!(
        a.metrics.totals.flaps, 8,
        "a-01's 3 (Consul's LAN) and s-03.dc1's 5 (Nomad's), not s-09.dc2's"
    );
    assert_eq!(
        a.metrics.totals.suspicions, 5,
        "s-01's of s-03.dc1, Nomad's"
    );
    assert_eq!(blame_of(&d, "s-01"), (5, 0), "the syslog header's host");
    assert_eq!(
        a.files[0].wan,
        2 + 2 * 10,
        "Consul's `EventMemberJoin: s-01.dc1`, `s-03.dc1`, and s-09.dc2's events"
    );
    assert!(!a.names.iter().any(|n| n == "s-09.dc2"), "{:?}", a.names);
    assert!(a.names.iter().any(|n| n == "s-03.dc1"), "{:?}", a.names);
}
