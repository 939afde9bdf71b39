//! The memory flapsim may use, and the watchdog that stops it cleanly before
//! the kernel would kill it.
//!
//! Two guards. Before a run, `run`, `bench`, `compare` and `sweep` compare
//! the members' views (n² · 13 bytes, known from the file) with [`available`]
//! and refuse what cannot fit. But a sick cluster's queues also grow with n²,
//! by how sick it is, which no file says: a starved 6,000-node run held 2.5 GB
//! after 40 simulated seconds against 0.47 GB of views. So while any command
//! runs, a watchdog thread ([`watch`]) reads the machine's (or container's)
//! memory every [`POLL`] and, once it is nearly gone and flapsim holds a good
//! share of it, stops the work: a command that publishes a set (`run`,
//! `bench --outputs`, `chart`) through its stop flag, so nothing is
//! half-published; any other (a batch keeps its finished rows) by exiting.
//! Either way exit code 2 and a message, never the OOM killer's SIGKILL.
//!
//! Containers: a Kubernetes pod or a Slurm job has a cgroup limit far below
//! the node's `MemAvailable`, and is killed at that limit. The headroom is
//! therefore the smaller of `MemAvailable` and every enclosing cgroup's limit
//! minus what it holds that the kernel cannot reclaim (usage less page cache:
//! a run's streamed `events.jsonl` is charged to it too), cgroup v2 or v1.
//!
//! Nothing here reaches a result: the watchdog reads wall-clock time and the
//! kernel's counters only to decide whether to stop, and a run either finishes
//! with the same bytes or stops with nothing published.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// How often the watchdog reads the counters (about 0.1 ms of CPU each time:
/// `/proc/meminfo` is the dear one).
const POLL: Duration = Duration::from_millis(100);

/// Once the flag is raised, how long the command has to stop by itself
/// before the watchdog exits the process anyway (e.g. a phase that does not
/// poll the flag).
const GRACE: Duration = Duration::from_secs(10);

/// Below this headroom the machine is about to run out: a sixteenth of its
/// memory, at least 32 MiB (a small container) and at most 1 GiB (a large
/// machine: more than the engine allocates between two polls).
const RESERVE_FRACTION: u64 = 16;
const MIN_RESERVE: u64 = 32 << 20;
const MAX_RESERVE: u64 = 1 << 30;

/// flapsim stops itself only when it holds at least this fraction of the
/// memory: when something else is eating it, the kernel would kill that, not
/// us, and stopping would not help.
const SHARE_FRACTION: u64 = 8;

/// A cgroup limit at or above this is "no limit" (v1 writes 2^63 rounded
/// down to a page).
const UNLIMITED: u64 = 1 << 60;

/// The memory runs may use, in bytes: `FLAPSIM_AVAILABLE_MEMORY` if set (a
/// lower ceiling on a shared machine; the tests' fixed one), else the
/// machine's or container's headroom ([`Reading::headroom`]). Read once per
/// command, only to refuse a cluster that cannot fit or to run fewer batch
/// jobs at once; it never reaches a result. `None` off Linux or when
/// unreadable.
pub fn available() -> Option<u64> {
    if let Ok(Some(v)) = env_bytes(AVAILABLE_VAR) {
        return Some(v);
    }
    Reading::now(&limited_cgroups()).headroom()
}

const AVAILABLE_VAR: &str = "FLAPSIM_AVAILABLE_MEMORY";
const LIMIT_VAR: &str = "FLAPSIM_MEMORY_LIMIT";

/// A byte count from the environment (`4000000000` or `4e9`): `None` when
/// unset, an error naming the variable when it is not one.
fn env_bytes(name: &str) -> Result<Option<u64>, String> {
    let Ok(v) = std::env::var(name) else {
        return Ok(None);
    };
    crate::units::parse_whole(&v).map(Some).ok_or_else(|| {
        format!(
            "{name}=`{}`: expected a number of bytes, e.g. 4000000000 or 4e9",
            crate::quote::short(&v)
        )
    })
}

/// One look at the kernel's memory counters.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Reading {
    /// `/proc/meminfo` `MemTotal` and `MemAvailable`.
    total: Option<u64>,
    available: Option<u64>,
    /// The tightest enclosing cgroup limit, and its headroom (limit less
    /// what is not page cache).
    cgroup: Option<Cgroup>,
    /// This process's resident set.
    rss: Option<u64>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct Cgroup {
    limit: u64,
    headroom: u64,
}

impl Reading {
    /// Read the counters, with the cgroups of `limited` ([`limited_cgroups`]).
    /// Allocates nothing (the files are read into stack buffers): a thread
    /// that called malloc would get an arena of its own, a megabyte more of
    /// every run's peak memory.
    fn now(limited: &[Limited]) -> Reading {
        let mut buf = [0u8; 8192];
        let meminfo = read_text(Path::new("/proc/meminfo"), &mut buf).unwrap_or("");
        Reading {
            total: meminfo_field(meminfo, "MemTotal:"),
            available: meminfo_field(meminfo, "MemAvailable:"),
            cgroup: tightest(limited),
            rss: resident_bytes(),
        }
    }

    /// What can still be allocated before the kernel reclaims no more: the
    /// smaller of the machine's and the cgroup's headroom.
    fn headroom(&self) -> Option<u64> {
        min_some(self.available, self.cgroup.map(|c| c.headroom))
    }

    /// The memory the process can ever have: the machine's or the cgroup's.
    fn total(&self) -> Option<u64> {
        min_some(self.total, self.cgroup.map(|c| c.limit))
    }

    /// Why to stop, if the memory is nearly gone and flapsim holds a good
    /// share of it, or flapsim passed the `hard` ceiling
    /// (`FLAPSIM_MEMORY_LIMIT`).
    fn verdict(&self, hard: Option<u64>) -> Option<String> {
        let rss = self.rss?;
        if let Some(hard) = hard.filter(|&h| rss > h) {
            return Some(format!(
                "flapsim's memory reached {}, over FLAPSIM_MEMORY_LIMIT ({}). {ADVICE}, or raise the limit",
                human(rss),
                human(hard)
            ));
        }
        let (headroom, total) = (self.headroom()?, self.total()?);
        let reserve = (total / RESERVE_FRACTION).clamp(MIN_RESERVE, MAX_RESERVE);
        (headroom < reserve && rss >= total / SHARE_FRACTION).then(|| {
            format!(
                "flapsim's memory reached {} and the {} had only {} left. {ADVICE}, or use a larger machine",
                human(rss),
                if self.cgroup.is_some_and(|c| Some(c.limit) == self.total()) {
                    format!("container (limit {})", human(total))
                } else {
                    format!("machine ({})", human(total))
                },
                human(headroom)
            )
        })
    }
}

fn min_some(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn human(bytes: u64) -> String {
    crate::scenario::resolve::human_bytes(bytes)
}

/// A `Key:   123 kB` line of `/proc/meminfo`, in bytes.
fn meminfo_field(text: &str, key: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with(key))?;
    let kib: u64 = line[key.len()..].split_whitespace().next()?.parse().ok()?;
    kib.checked_mul(1024)
}

/// The text of a small file (a `/proc` or cgroup counter), read into `buf`
/// without allocating; a longer file is cut at the buffer's end.
fn read_text<'a>(path: &Path, buf: &'a mut [u8]) -> Option<&'a str> {
    use std::io::Read;
    let mut file = std::fs::File::open(path).ok()?;
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
    // A cut in the middle of a character only loses that last line.
    let text = &buf[..filled];
    Some(match std::str::from_utf8(text) {
        Ok(t) => t,
        Err(e) => std::str::from_utf8(&text[..e.valid_up_to()]).ok()?,
    })
}

/// This process's resident set, from `/proc/self/statm` (pages).
#[cfg(target_os = "linux")]
fn resident_bytes() -> Option<u64> {
    let mut buf = [0u8; 256];
    let statm = read_text(Path::new("/proc/self/statm"), &mut buf)?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    // SAFETY: sysconf reads a constant of the system; it touches no memory of ours.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    pages.checked_mul(u64::try_from(page).ok()?)
}

#[cfg(not(target_os = "linux"))]
fn resident_bytes() -> Option<u64> {
    None
}

/// A cgroup with a memory limit: its counter files (v2 or v1 names), built
/// once so that a poll joins no paths.
#[derive(Clone, Debug)]
struct Limited {
    limit: PathBuf,
    usage: PathBuf,
    stat: PathBuf,
    /// The `memory.stat` line of its page cache.
    cache_key: &'static str,
}

impl Limited {
    /// cgroup v2: `memory.max` (`max`: none), `memory.current`, `file`.
    fn v2(dir: &Path) -> Limited {
        Limited {
            limit: dir.join("memory.max"),
            usage: dir.join("memory.current"),
            stat: dir.join("memory.stat"),
            cache_key: "file",
        }
    }

    /// cgroup v1: `memory.limit_in_bytes`, `memory.usage_in_bytes`,
    /// `total_cache`.
    fn v1(dir: &Path) -> Limited {
        Limited {
            limit: dir.join("memory.limit_in_bytes"),
            usage: dir.join("memory.usage_in_bytes"),
            stat: dir.join("memory.stat"),
            cache_key: "total_cache",
        }
    }

    /// The limit and its headroom (limit less what is not page cache);
    /// `None` without a limit.
    fn read(&self) -> Option<Cgroup> {
        let limit = number_in(&self.limit)?;
        let usage = number_in(&self.usage)?;
        let mut buf = [0u8; 16384];
        let cache = read_text(&self.stat, &mut buf)
            .and_then(|text| stat_field(text, self.cache_key))
            .unwrap_or(0);
        (limit < UNLIMITED).then(|| Cgroup {
            limit,
            headroom: limit.saturating_sub(usage.saturating_sub(cache)),
        })
    }
}

/// The cgroups enclosing this process that limit its memory, found once
/// (a process does not change cgroup) so that each poll reads only those.
fn limited_cgroups() -> Vec<Limited> {
    let cgroups = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
    limited_along(&cgroups, Path::new("/sys/fs/cgroup"))
}

/// The tightest of `limited`'s limits, by headroom.
fn tightest(limited: &[Limited]) -> Option<Cgroup> {
    limited
        .iter()
        .filter_map(Limited::read)
        .min_by_key(|c| c.headroom)
}

#[cfg(test)]
fn tightest_cgroup(cgroups: &str, root: &Path) -> Option<Cgroup> {
    tightest(&limited_along(cgroups, root))
}

/// The cgroups with a memory limit among those enclosing this process (its
/// own and each ancestor), v2 or v1, under `root` (`/sys/fs/cgroup`).
/// `cgroups` is `/proc/self/cgroup`. Inside a container's cgroup namespace
/// the process's path is `/` and its limit sits at the root itself.
fn limited_along(cgroups: &str, root: &Path) -> Vec<Limited> {
    let mut found: Vec<Limited> = Vec::new();
    for line in cgroups.lines() {
        let mut parts = line.splitn(3, ':');
        let (Some(_), Some(controllers), Some(path)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        if controllers.is_empty() {
            dirs_along(
                &root.join(path.trim_start_matches('/')),
                root,
                Limited::v2,
                &mut found,
            );
        } else if controllers.split(',').any(|c| c == "memory") {
            let v1_root = root.join("memory");
            dirs_along(
                &v1_root.join(path.trim_start_matches('/')),
                &v1_root,
                Limited::v1,
                &mut found,
            );
        }
    }
    found
}

/// Push `dir` and each of its ancestors up to `root` that have a limit.
fn dirs_along(dir: &Path, root: &Path, files: fn(&Path) -> Limited, found: &mut Vec<Limited>) {
    let mut at: Option<PathBuf> = Some(dir.to_path_buf());
    while let Some(d) = at {
        let cgroup = files(&d);
        if cgroup.read().is_some() {
            found.push(cgroup);
        }
        at = (d != root && d.starts_with(root))
            .then(|| d.parent().map(Path::to_path_buf))
            .flatten();
    }
}

fn number_in(path: &Path) -> Option<u64> {
    let mut buf = [0u8; 64];
    read_text(path, &mut buf)?.trim().parse().ok()
}

/// `KEY value` of a cgroup `memory.stat`.
fn stat_field(text: &str, key: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(' ')?.trim().parse().ok())
}

/// What the watchdog found, once it found it.
static TRIPPED: OnceLock<String> = OnceLock::new();

/// The stop flag of a command that publishes a set, once it has one.
static FLAG: Mutex<Option<Arc<AtomicBool>>> = Mutex::new(None);

/// Why the watchdog stopped this command, if it did (for its message).
pub fn tripped() -> Option<&'static str> {
    TRIPPED.get().map(String::as_str)
}

/// What to do about it (the reasons end with one more option).
const ADVICE: &str =
    "A run's memory grows with the square of its cluster's size, and with how sick the cluster is: lower the cluster size or the duration";

/// The message of a command the watchdog stopped through its flag (`at`:
/// where, e.g. " at 3s simulated"): it published nothing.
pub fn stopped_message(at: &str) -> String {
    format!(
        "stopped{at}, nothing written: {}",
        tripped().unwrap_or("out of memory")
    )
}

/// From now on the watchdog stops this command by raising `flag` (which it
/// polls, publishing nothing) rather than by exiting.
pub fn stop_through(flag: Arc<AtomicBool>) {
    *FLAG.lock().unwrap_or_else(|p| p.into_inner()) = Some(flag);
}

/// Start the watchdog (once per process; Linux only). `FLAPSIM_MEMORY_LIMIT`
/// (bytes) also stops flapsim once its resident memory passes it. Fails on
/// a memory variable that is not a number of bytes (bad input: a typo must
/// not turn a guard off).
pub fn watch() -> Result<(), String> {
    env_bytes(AVAILABLE_VAR)?;
    let hard = env_bytes(LIMIT_VAR)?;
    let limited = limited_cgroups();
    if !cfg!(target_os = "linux") || Reading::now(&limited).rss.is_none() {
        return Ok(());
    }
    let spawned = std::thread::Builder::new()
        .name("flapsim-memory".into())
        .spawn(move || loop {
            std::thread::sleep(POLL);
            let Some(why) = Reading::now(&limited).verdict(hard) else {
                continue;
            };
            let _ = TRIPPED.set(why);
            let flag = FLAG.lock().unwrap_or_else(|p| p.into_inner()).clone();
            if let Some(flag) = flag {
                flag.store(true, Ordering::SeqCst);
                std::thread::sleep(GRACE);
            }
            eprintln!("error: stopped: {}", tripped().unwrap_or("out of memory"));
            std::process::exit(i32::from(super::EXIT_BAD_INPUT));
        });
    // Without the thread flapsim runs as before, unguarded.
    drop(spawned);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GB: u64 = 1_000_000_000;
    const GIB: u64 = 1 << 30;

    fn reading(total: u64, available: u64, rss: u64) -> Reading {
        Reading {
            total: Some(total),
            available: Some(available),
            cgroup: None,
            rss: Some(rss),
        }
    }

    /// The watchdog stops flapsim only when the machine is nearly out of
    /// memory and flapsim holds a good share of it.
    #[test]
    fn the_watchdog_stops_only_a_large_process_on_a_full_machine() {
        // 24 GB machine: the reserve is 1 GiB.
        assert!(reading(24 * GB, 10 * GB, 12 * GB).verdict(None).is_none());
        let why = reading(24 * GB, GB, 20 * GB).verdict(None).expect("full");
        assert!(
            why.contains("machine (24.0 GB)") && why.contains("1.0 GB left"),
            "{why}"
        );
        // Someone else filled it: the kernel would kill them, not us.
        assert!(reading(24 * GB, GB, GB).verdict(None).is_none());
        // A hard ceiling stops at it, whatever the machine has.
        let why = reading(24 * GB, 20 * GB, 3 * GB)
            .verdict(Some(2 * GB))
            .expect("over the ceiling");
        assert!(why.contains("FLAPSIM_MEMORY_LIMIT"), "{why}");
        assert!(Reading::default().verdict(None).is_none());
    }

    /// A container's limit counts, not the node's memory.
    #[test]
    fn a_cgroup_limit_is_the_ceiling_in_a_container() {
        let r = Reading {
            cgroup: Some(Cgroup {
                limit: 4 * GB,
                headroom: 100 << 20,
            }),
            ..reading(64 * GB, 60 * GB, 3 * GB)
        };
        assert_eq!(r.headroom(), Some(100 << 20));
        let why = r.verdict(None).expect("the pod is full");
        assert!(why.contains("container (limit 4.0 GB)"), "{why}");
    }

    fn write(dir: &Path, name: &str, text: &str) {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join(name), text).unwrap();
    }

    /// v2 and v1 hierarchies: the tightest limit along the path, less what
    /// is not page cache; no limit is none.
    #[test]
    fn cgroup_limits_are_read_along_the_path_v2_and_v1() {
        let root = std::env::temp_dir().join(format!("flapsim-cgroup-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        // v2: the pod's limit (8 GB) is above the container's (2 GB).
        let pod = root.join("kubepods/pod1");
        write(&pod, "memory.max", "8589934592\n");
        write(&pod, "memory.current", "1073741824\n");
        let ctr = pod.join("ctr");
        write(&ctr, "memory.max", "2147483648\n");
        write(&ctr, "memory.current", "1610612736\n");
        write(
            &ctr,
            "memory.stat",
            "anon 1\nfile 536870912\nfile_mapped 7\n",
        );
        let c = tightest_cgroup("0::/kubepods/pod1/ctr\n", &root).expect("limited");
        assert_eq!(c.limit, 2 * GIB);
        assert_eq!(c.headroom, GIB, "2 GiB - (1.5 GiB - 0.5 GiB of page cache)");
        // `max` and a missing file: no limit.
        write(&ctr, "memory.max", "max\n");
        write(&pod, "memory.max", "max\n");
        assert_eq!(tightest_cgroup("0::/kubepods/pod1/ctr\n", &root), None);
        // v1, unlimited (2^63 rounded to a page) and limited.
        let v1dir = root.join("memory/job");
        write(&v1dir, "memory.limit_in_bytes", "9223372036854771712\n");
        write(&v1dir, "memory.usage_in_bytes", "1073741824\n");
        assert_eq!(tightest_cgroup("4:memory:/job\n", &root), None);
        write(&v1dir, "memory.limit_in_bytes", "4294967296\n");
        write(&v1dir, "memory.stat", "cache 5\ntotal_cache 0\n");
        let c = tightest_cgroup("7:cpu:/x\n4:memory:/job\n", &root).expect("limited");
        assert_eq!((c.limit, c.headroom), (4 * GIB, 3 * GIB));
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn meminfo_fields_are_bytes() {
        let text = "MemTotal:       24731740 kB\nMemAvailable:   24159064 kB\n";
        assert_eq!(meminfo_field(text, "MemAvailable:"), Some(24159064 * 1024));
        assert_eq!(meminfo_field(text, "SwapTotal:"), None);
    }
}
