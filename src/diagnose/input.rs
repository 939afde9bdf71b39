//! Reading logs: files, directories, stdin, gzip; one line at a time in bounded
//! memory.
//!
//! - A directory is read recursively (hidden entries skipped), files in name order.
//!   A diagnosis written inside it (`diagnose logs --out logs/diag`) is skipped:
//!   it holds no log, and its charts would be refused as binary data.
//! - gzip is recognised by its magic bytes, not its name (`*.log.1.gz`, a piped
//!   `zcat`-less archive), and concatenated members are read as one stream
//!   (logrotate's `delaycompress` output concatenated with `cat`).
//! - A line longer than [`MAX_LINE`] keeps its first [`MAX_LINE`] bytes (no log line
//!   we understand is near that long); the rest is skipped, never buffered.
//! - A NUL byte means the file is not a text log (a core dump, a BoltDB file, a
//!   gzip stream with its magic cut off): that is an error naming file and line.
//!   Invalid UTF-8 is replaced (a line cut in a multi-byte character stays usable).

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use flate2::bufread::MultiGzDecoder;

/// Longest line kept, in bytes.
pub const MAX_LINE: usize = 64 * 1024;
/// Files read at once at most (each stays open during the merge).
pub const MAX_FILES: usize = 4096;
/// Directory depth read at most.
const MAX_DEPTH: usize = 8;

/// One input: a file or stdin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// What errors and the report call it (the path, or `-`).
    pub label: String,
    pub path: Option<PathBuf>,
    /// How many times its compressed size its gzip stream may decode to
    /// (`--max-gzip-ratio`, [`GzipGuard`]); every reader of it is held to it.
    pub max_gzip_ratio: u64,
}

/// `--max-gzip-ratio`'s default: decoded bytes per compressed byte a gzip
/// file may reach. Real logs compress 5 to 30 times, a flood of one line
/// repeated 200 times a second about 300 times; deflate cannot exceed about
/// 1,032, which a gzip bomb (a run of one byte, `gzip -9`) reaches.
pub const MAX_GZIP_RATIO: u64 = 1000;
/// Decoded bytes of a gzip file never held to its ratio: a small file of
/// repeated lines may compress past it, and reading a MiB costs nothing.
pub const GZIP_RATIO_FLOOR: u64 = 1024 * 1024;

/// File stems that name the program, not the node: `logs/a-01/consul.log`
/// was written by node a-01.
const PROGRAM_STEMS: &[&str] = &[
    "consul",
    "nomad",
    "serf",
    "vault",
    "agent",
    "server",
    "client",
    "memberlist",
    "syslog",
    "messages",
    "daemon",
    "journal",
    "stdout",
    "stderr",
    "output",
    "current",
    "log",
    "logs",
];

/// Whether a file stem names the program rather than the node that wrote it.
pub fn program_stem(stem: &str) -> bool {
    PROGRAM_STEMS.iter().any(|p| stem.eq_ignore_ascii_case(p))
}

impl Source {
    /// Its label for a message: whole up to `PATH_MAX` bytes, longer ones
    /// by their tail (the file name) after the count of bytes left out
    /// ([`crate::quote::path_text`]). Why: a 100 KB path came back whole
    /// in every message naming its file.
    pub fn named(&self) -> crate::quote::Short<'_> {
        crate::quote::path_text(&self.label)
    }

    /// Whether it can be read more than once: a regular file. Standard
    /// input, a pipe (`<(zcat a-01.log.gz)`) or a device is read once: what
    /// a first read takes from it is gone for the next.
    pub fn rereadable(&self) -> bool {
        self.path
            .as_ref()
            .is_some_and(|p| std::fs::metadata(p).is_ok_and(|m| m.is_file()))
    }

    /// The observer a file name suggests: its name without `.gz`, `.log`, `.json`,
    /// `.txt` and rotation numbers (`a-01.log.1.gz` → `a-01`; Consul's own
    /// rotation, `consul-1700000000123456789.log` → `consul`). `None` for stdin.
    pub fn name_hint(&self) -> Option<String> {
        let path = self.path.as_ref()?;
        if names_a_descriptor(path) {
            return None;
        }
        let name = path.file_name()?.to_str()?;
        let mut stem = name;
        loop {
            let before = stem;
            for ext in [".gz", ".log", ".json", ".jsonl", ".txt", ".out"] {
                if let Some(s) = stem.strip_suffix(ext) {
                    stem = s;
                }
            }
            if let Some((s, n)) = stem.rsplit_once('.') {
                if !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit()) {
                    stem = s;
                }
            }
            // Consul's `log_file` rotation appends `-<Unix time>` (seconds or
            // nanoseconds): at least 9 digits, never a node's number.
            if let Some((s, n)) = stem.rsplit_once('-') {
                if n.len() >= 9 && n.bytes().all(|c| c.is_ascii_digit()) {
                    stem = s;
                }
            }
            // logrotate's `dateext` (`consul.log-20240301.gz`, `-2024-03-01`,
            // `-2024030110`, `.20240301`): one node's rotation, not a node.
            if let Some(n) = date_suffix_len(stem) {
                stem = &stem[..stem.len() - n];
            }
            if stem == before {
                break;
            }
        }
        (!stem.is_empty()).then(|| stem.to_string())
    }
}

/// Whether `path` names an open file descriptor, not a file: `/dev/fd/63`,
/// `/proc/self/fd/63`, `/proc/812/fd/3` (what the shell's process
/// substitution `<(zcat a-01.log.gz)` passes), or `/dev/stdin` (standard
/// input by its path, `/proc/self/fd/0`). Its name is a number the shell
/// chose, or the descriptor's, no node's: the node `diagnose <(cat
/// a-01.log)` read was `63`, and `cat a-01.log | diagnose /dev/stdin` read
/// node `stdin`.
pub fn names_a_descriptor(path: &Path) -> bool {
    let parts: Vec<&str> = path.iter().filter_map(|c| c.to_str()).collect();
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    match parts.as_slice() {
        ["/", "dev", "fd", n] => digits(n),
        ["/", "dev", "stdin"] => true,
        ["/", "proc", who, "fd", n] => {
            (digits(who) || *who == "self" || *who == "thread-self") && digits(n)
        }
        _ => false,
    }
}

/// The length of a trailing date stamp in `stem`, its separator included:
/// `-`, `_` or `.` then `YYYYMMDD` with optional `HH`, `HHMM` or `HHMMSS`, the
/// parts possibly separated by `-`, `_`, `.` or `:` (logrotate's `dateext`
/// with its default `-%Y%m%d` or any common `dateformat`). The date must be a
/// plausible calendar date (years 1970 to 2199), so a node's number
/// (`node-12`, `ip-10-0-1-23`) is never taken for one.
fn date_suffix_len(stem: &str) -> Option<usize> {
    let b = stem.as_bytes();
    let is_sep = |c: u8| matches!(c, b'-' | b'_' | b'.' | b':');
    // The trailing run of digits and separators.
    let start = b
        .iter()
        .rposition(|&c| !(c.is_ascii_digit() || is_sep(c)))
        .map_or(0, |i| i + 1);
    // The longest suffix of it that starts with a separator and is a date.
    (start..b.len())
        .filter(|&i| matches!(b[i], b'-' | b'_' | b'.') && i > 0)
        .find(|&i| {
            let rest = &b[i + 1..];
            // The year is four digits, written together.
            if rest.len() < 4 || !rest[..4].iter().all(u8::is_ascii_digit) {
                return false;
            }
            let digits: Vec<u32> = rest
                .iter()
                .filter(|c| c.is_ascii_digit())
                .map(|&c| u32::from(c - b'0'))
                .collect();
            let num = |r: std::ops::Range<usize>| digits[r].iter().fold(0, |a, d| a * 10 + d);
            matches!(digits.len(), 8 | 10 | 12 | 14)
                && !is_sep(*rest.last().unwrap_or(&b'-'))
                && (1970..=2199).contains(&num(0..4))
                && (1..=12).contains(&num(4..6))
                && (1..=31).contains(&num(6..8))
                && (digits.len() < 10 || num(8..10) < 24)
                && (digits.len() < 12 || num(10..12) < 60)
                && (digits.len() < 14 || num(12..14) < 61)
        })
        .map(|i| b.len() - i)
}

/// Each source's observer as its path tells it: the file name's hint, or, when
/// files in different directories share a program's name (`logs/a-01/consul.log`,
/// `logs/s-01/consul.log`), the nearest directory that tells them apart (`a-01`,
/// `s-01`; the bool says so). Files of one directory are one node's (its
/// rotations). Files named after a node keep that name wherever they are
/// (`a-01.log` and `archive/a-01.log.1.gz` are one node).
///
/// Why: reading such files as one node `consul` merges three nodes' lines
/// into one observer and miscounts every flap, silently.
///
/// `wanted[i]` is false for a file whose node `--observer` names: it gets no
/// hint and cannot make another file's ambiguous.
pub fn observer_hints(
    sources: &[Source],
    wanted: &[bool],
) -> Result<Vec<Option<(String, bool)>>, String> {
    let mut hints: Vec<Option<(String, bool)>> = sources
        .iter()
        .zip(wanted)
        .map(|(s, &w)| s.name_hint().filter(|_| w).map(|h| (h, false)))
        .collect();
    let mut stems: Vec<String> = hints.iter().flatten().map(|h| h.0.clone()).collect();
    stems.sort();
    stems.dedup();
    for stem in stems.into_iter().filter(|s| program_stem(s)) {
        let members: Vec<usize> = (0..sources.len())
            .filter(|&i| hints[i].as_ref().is_some_and(|h| h.0 == stem))
            .collect();
        let dir = |i: usize| sources[i].path.as_ref().and_then(|p| p.parent());
        let mut dirs: Vec<&Path> = members.iter().filter_map(|&i| dir(i)).collect();
        dirs.sort();
        dirs.dedup();
        if dirs.len() < 2 {
            continue;
        }
        // The shallowest ancestor level whose names differ between every two
        // directories, skipping program names (`a-01/consul/consul.log`).
        let ancestor = |d: &Path, level: usize| -> Option<String> {
            d.ancestors()
                .nth(level)?
                .file_name()?
                .to_str()
                .map(str::to_string)
        };
        let level = (0..MAX_DEPTH).find(|&level| {
            let mut names: Vec<Option<String>> = dirs.iter().map(|d| ancestor(d, level)).collect();
            let complete = names
                .iter()
                .all(|n| n.as_deref().is_some_and(|n| !program_stem(n)));
            names.sort();
            names.dedup();
            complete && names.len() == dirs.len()
        });
        let Some(level) = level else {
            let files: Vec<String> = members
                .iter()
                .take(2)
                .map(|&i| sources[i].named().to_string())
                .collect();
            return Err(format!(
                "{} and {} would both be read as node `{stem}`, and their directories do not tell the nodes apart: name each file's node with --observer FILE=NAME",
                files[0], files[1]
            ));
        };
        for &i in &members {
            if let Some(name) = dir(i).and_then(|d| ancestor(d, level)) {
                hints[i] = Some((name, true));
            }
        }
    }
    Ok(hints)
}

/// Expand the command line's inputs (`-` is stdin) into sources, each file
/// once, with a warning for each one given again (the same file twice, or a
/// directory and a file in it: its lines would be counted twice).
pub fn expand(
    inputs: &[PathBuf],
    max_gzip_ratio: u64,
) -> Result<(Vec<Source>, Vec<String>), String> {
    let mut all = expand_all(inputs)?;
    for s in &mut all {
        s.max_gzip_ratio = max_gzip_ratio;
    }
    let mut seen: std::collections::HashMap<PathBuf, String> = Default::default();
    let mut out = Vec::with_capacity(all.len());
    let mut warnings = Vec::new();
    // Each file named once in the warnings, however often it was given.
    let mut warned = std::collections::HashSet::new();
    for s in all {
        if let Some(p) = &s.path {
            // A path that cannot be resolved is left for the read to report.
            if let Ok(c) = std::fs::canonicalize(p) {
                if let Some(first) = seen.get(&c) {
                    if !warned.insert(c) {
                        continue;
                    }
                    warnings.push(if *first == s.label {
                        format!("{}: given twice; read once", s.named())
                    } else {
                        let first = crate::quote::path_text(first);
                        format!("{}: the same file as {first}; read once", s.named())
                    });
                    continue;
                }
                seen.insert(c, s.label.clone());
            }
        }
        out.push(s);
    }
    Ok((out, warnings))
}

/// Blocks of a file's decoded bytes hashed to tell copies apart: the first
/// [`HEAD_BLOCKS`] and the last [`TAIL_BLOCKS`] of [`BLOCK`] bytes each, so
/// a file up to 80 MiB decoded is hashed whole, a longer one by its head,
/// its tail and its decoded length.
const BLOCK: u64 = 1024 * 1024;
const HEAD_BLOCKS: u64 = 64;
const TAIL_BLOCKS: usize = 16;

/// What a file holds once decompressed (a gzip file's decoded stream, a
/// plain file's bytes), told cheaply: its decoded length and a hash of its
/// first and last blocks ([`BLOCK`]). A log and its `.gz` twin (`gzip -k`,
/// a rotation kept both ways) have the same identity; their stored bytes
/// differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodedId {
    pub len: u64,
    pub hash: u64,
}

/// Whether a file starts with gzip's magic bytes (as [`LineReader`] reads it).
fn is_gzip(f: &mut File) -> io::Result<bool> {
    let mut magic = [0u8; 2];
    let n = f.read(&mut magic)?;
    Ok(n == 2 && magic == [0x1f, 0x8b])
}

/// A file's decoded length as its metadata tells it, modulo 2^32, without
/// reading it: a plain file's size; for a gzip file, its trailer's ISIZE
/// (the decoded length of its last member, modulo 2^32, as `gzip -l` reads
/// it). Files that may be copies of each other share it. (Gzip members
/// concatenated, `cat a.gz b.gz`, give their last member's length only:
/// such a file is not matched with its plain twin.)
pub fn decoded_len_hint(path: &Path, size: u64) -> io::Result<u32> {
    use std::io::{Seek, SeekFrom};
    let mut f = File::open(path)?;
    if size < 18 || !is_gzip(&mut f)? {
        return Ok(size as u32);
    }
    let mut isize = [0u8; 4];
    f.seek(SeekFrom::End(-4))?;
    f.read_exact(&mut isize)?;
    Ok(u32::from_le_bytes(isize))
}

/// A file's [`DecodedId`], and whether it is gzip. A plain file is read in
/// bounded time (its head and tail blocks); a gzip file is decoded to its
/// end in bounded memory (one block, and the tail blocks' hashes).
pub fn decoded_id(path: &Path, max_gzip_ratio: u64) -> io::Result<(DecodedId, bool)> {
    use std::hash::Hasher;
    use std::io::{Seek, SeekFrom};
    let mut f = File::open(path)?;
    let gzip = is_gzip(&mut f)?;
    f.seek(SeekFrom::Start(0))?;
    let block_hash = |bytes: &[u8]| {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        h.write(bytes);
        h.finish()
    };
    let mut head: Vec<u64> = Vec::new();
    let mut tail: std::collections::VecDeque<u64> = Default::default();
    let mut buf = vec![0u8; BLOCK as usize];
    let mut len = 0u64;
    let mut index = 0u64;
    // Block `index` of the decoded bytes, read whole (short only at the end).
    let mut take = |r: &mut dyn Read, index: u64| -> io::Result<usize> {
        let mut n = 0;
        while n < buf.len() {
            match r.read(&mut buf[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if n > 0 {
            let h = block_hash(&buf[..n]);
            if index < HEAD_BLOCKS {
                head.push(h);
            } else {
                if tail.len() == TAIL_BLOCKS {
                    tail.pop_front();
                }
                tail.push_back(h);
            }
        }
        Ok(n)
    };
    if gzip {
        let mut r = GzipGuard::new(io::BufReader::new(f), max_gzip_ratio);
        loop {
            let n = take(&mut r, index)?;
            len += n as u64;
            index += 1;
            if (n as u64) < BLOCK {
                break;
            }
        }
    } else {
        let size = f.metadata()?.len();
        let blocks = size.div_ceil(BLOCK);
        // The head, then the tail blocks past it: the rest is skipped.
        let tail_from = blocks.saturating_sub(TAIL_BLOCKS as u64).max(HEAD_BLOCKS);
        while index < blocks.min(HEAD_BLOCKS) {
            len += take(&mut f, index)? as u64;
            index += 1;
        }
        if tail_from < blocks {
            f.seek(SeekFrom::Start(tail_from * BLOCK))?;
            len = tail_from * BLOCK;
            index = tail_from;
            while index < blocks {
                len += take(&mut f, index)? as u64;
                index += 1;
            }
        }
    }
    let mut h = std::collections::hash_map::DefaultHasher::new();
    h.write_u64(len);
    for x in head.iter().chain(tail.iter()) {
        h.write_u64(*x);
    }
    let id = DecodedId {
        len,
        hash: h.finish(),
    };
    Ok((id, gzip))
}

fn expand_all(inputs: &[PathBuf]) -> Result<Vec<Source>, String> {
    let mut out = Vec::new();
    let mut stdin = false;
    for p in inputs {
        if p.as_os_str() == "-" {
            if stdin {
                return Err("`-` (stdin) given twice".into());
            }
            stdin = true;
            out.push(Source {
                label: "-".into(),
                path: None,
                max_gzip_ratio: MAX_GZIP_RATIO,
            });
            continue;
        }
        let meta = std::fs::metadata(p).map_err(|e| format!("{}: {e}", crate::quote::path(p)))?;
        if meta.is_dir() {
            let before = out.len();
            walk(p, 0, &mut out)?;
            if out.len() == before {
                return Err(format!(
                    "{}: the directory holds no files",
                    crate::quote::path(p)
                ));
            }
        } else {
            out.push(file_source(p));
        }
        if out.len() > MAX_FILES {
            return Err(format!(
                "more than {MAX_FILES} input files; diagnose a subset (e.g. the servers and the suspected nodes)"
            ));
        }
    }
    if out.is_empty() {
        return Err("no input: give log files, directories, or `-` for stdin".into());
    }
    Ok(out)
}

fn file_source(p: &Path) -> Source {
    Source {
        label: p.display().to_string(),
        path: Some(p.to_path_buf()),
        max_gzip_ratio: MAX_GZIP_RATIO,
    }
}

fn walk(dir: &Path, depth: usize, out: &mut Vec<Source>) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err(format!(
            "{}: directories nested too deep",
            crate::quote::path(dir)
        ));
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", crate::quote::path(dir)))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            !p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.'))
        })
        .collect();
    entries.sort();
    for p in entries {
        // Symlinks are followed for files, not for directories (no cycles).
        let Ok(lmeta) = std::fs::symlink_metadata(&p) else {
            continue;
        };
        if lmeta.is_dir() {
            if !is_diagnosis_set(&p) {
                walk(&p, depth + 1, out)?;
            }
        } else if std::fs::metadata(&p).is_ok_and(|m| m.is_file()) {
            out.push(file_source(&p));
            if out.len() > MAX_FILES {
                return Err(format!(
                    "{}: more than {MAX_FILES} files; diagnose a subset",
                    crate::quote::path(dir)
                ));
            }
        }
    }
    Ok(())
}

/// Whether `dir` holds a set `flapsim diagnose` published (its text report
/// beside its summary): no log is in it.
fn is_diagnosis_set(dir: &Path) -> bool {
    dir.join("diagnosis.txt").is_file() && dir.join("summary.json").is_file()
}

/// The compressed side of a gzip decoder, counting the bytes it took.
struct Counted<R> {
    inner: R,
    taken: u64,
}

impl<R: BufRead> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.taken += n as u64;
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counted<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, n: usize) {
        self.taken += n as u64;
        self.inner.consume(n);
    }
}

/// A gzip file's decoded bytes, refused once past their first
/// [`GZIP_RATIO_FLOOR`] they outnumber `max_ratio` times the compressed
/// bytes the decoder took to make them.
///
/// Why: a gzip bomb (2 GiB of newlines, `gzip -9`: 2 MB on disk) kept
/// diagnose busy for minutes in flat memory; its time was bounded by the
/// decoded size, not by anything the input's size on disk says. Checked as
/// the bytes come, against the compressed bytes taken so far (not the file's
/// size, which would let the first 1,000 times its size through), so a bomb
/// is refused within its first MiBs; a real log stays far below the ratio.
pub struct GzipGuard<R: BufRead> {
    decoder: MultiGzDecoder<Counted<R>>,
    decoded: u64,
    max_ratio: u64,
    /// Set once refused: every later read is refused too.
    refused: Option<TooDense>,
}

impl<R: BufRead> GzipGuard<R> {
    pub fn new(compressed: R, max_ratio: u64) -> GzipGuard<R> {
        GzipGuard {
            decoder: MultiGzDecoder::new(Counted {
                inner: compressed,
                taken: 0,
            }),
            decoded: 0,
            max_ratio,
            refused: None,
        }
    }
}

impl<R: BufRead> Read for GzipGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(t) = self.refused {
            return Err(io::Error::new(io::ErrorKind::InvalidData, t));
        }
        let n = self.decoder.read(buf)?;
        self.decoded += n as u64;
        let compressed = self.decoder.get_ref().taken;
        if self.decoded > GZIP_RATIO_FLOOR
            && self.decoded > compressed.saturating_mul(self.max_ratio)
        {
            let t = TooDense {
                decoded: self.decoded,
                compressed,
                max_ratio: self.max_ratio,
            };
            self.refused = Some(t);
            return Err(io::Error::new(io::ErrorKind::InvalidData, t));
        }
        Ok(n)
    }
}

/// A gzip stream refused by its [`GzipGuard`]: `decoded` bytes made from
/// `compressed`, more than `max_ratio` times as many.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TooDense {
    pub decoded: u64,
    pub compressed: u64,
    pub max_ratio: u64,
}

impl std::fmt::Display for TooDense {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "its gzip stream decodes to more than {} times its compressed size ({} bytes from {}): a gzip bomb, not a log; if it is a log, raise the limit with --max-gzip-ratio {}",
            self.max_ratio,
            self.decoded,
            self.compressed,
            self.max_ratio.saturating_mul(10)
        )
    }
}

impl std::error::Error for TooDense {}

/// The [`TooDense`] refusal an I/O error carries, if it is one.
fn too_dense(e: &io::Error) -> Option<TooDense> {
    e.get_ref()?.downcast_ref::<TooDense>().copied()
}

/// A line read: its number (from 1), its text, and whether it was cut at [`MAX_LINE`].
pub struct Line<'a> {
    pub number: u64,
    pub text: &'a str,
    pub cut: bool,
}

/// Why reading stopped early.
#[derive(Debug)]
pub enum ReadError {
    /// NUL byte: not a text log.
    Binary {
        line: u64,
        column: usize,
    },
    Io {
        line: u64,
        error: io::Error,
    },
    /// Its gzip stream decodes to more than its ratio allows ([`GzipGuard`]).
    TooDense {
        line: u64,
        refused: TooDense,
    },
}

thread_local! {
    static OPENED: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

thread_local! {
    /// Bytes the live readers' buffers and decoders hold now, and at most.
    static HELD: std::cell::Cell<(usize, usize)> = const { std::cell::Cell::new((0, 0)) };
}

/// The most bytes the readers of this thread held at once in buffers and
/// gzip decoders (as [`Feed::held`] counts them) since the last call, which
/// starts it over from what they hold now.
pub fn held_peak() -> usize {
    HELD.with(|h| {
        let (now, peak) = h.get();
        h.set((now, now));
        peak
    })
}

/// Inputs opened for reading by this thread so far: how many times a
/// diagnosis reads its inputs, which must not grow with the square of their
/// number (a diagnosis runs on one thread).
pub fn opened() -> u64 {
    OPENED.with(|n| n.get())
}

/// What the readers of one merge may hold in read buffers, all together:
/// each of `n` readers gets `READ_BUDGET / n`, within [`MIN_BUFFER`] and
/// [`MAX_BUFFER`]. Why: a diagnosis keeps one reader per input open while it
/// merges them by time; at [`MAX_BUFFER`] each, 1,000 small files peaked at
/// 284 MB, and [`MAX_FILES`] would have taken about 1 GB.
pub const READ_BUDGET: usize = 16 * 1024 * 1024;
/// One reader's buffer at most: one big file is read at full speed.
pub const MAX_BUFFER: usize = 256 * 1024;
/// One reader's buffer at least (a page: smaller reads cost more in system
/// calls than in copies). Reached past `READ_BUDGET / MIN_BUFFER` = 4,096
/// readers, which only files read once per node add to [`MAX_FILES`].
pub const MIN_BUFFER: usize = 4 * 1024;
/// What the gzip decoders open at once may hold, their buffers included.
pub const GZIP_BUDGET: usize = 48 * 1024 * 1024;
/// What an open gzip decoder holds besides its buffers: miniz_oxide's
/// 32 KiB window and its Huffman tables (about 11 KB), rounded up.
pub const GZIP_DECODER: usize = 48 * 1024;

/// How the readers of one merge share [`READ_BUDGET`] and [`GZIP_BUDGET`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadShare {
    /// Each reader's buffer (a gzip reader has two: compressed and decoded).
    pub buffer: usize,
    /// Gzip decoders open at once at most; the others are parked
    /// ([`LineReader::park`]).
    pub open_gzip: usize,
}

impl ReadShare {
    /// The share of each of `readers` readers read at once.
    pub fn among(readers: usize) -> ReadShare {
        let buffer = (READ_BUDGET / readers.max(1)).clamp(MIN_BUFFER, MAX_BUFFER);
        ReadShare {
            buffer,
            open_gzip: (GZIP_BUDGET / (GZIP_DECODER + 2 * buffer)).max(1),
        }
    }
}

/// A source's stored bytes, buffered.
type Raw = BufReader<Box<dyn Read>>;
/// A gzip source's decoded bytes, buffered.
type Decoded = BufReader<GzipGuard<Raw>>;

/// Where a reader's bytes come from.
enum Inner {
    Plain(Raw),
    Gzip(Box<Decoded>),
    /// A gzip file's decoder, dropped to bound memory (or not yet made): it
    /// is made again when the bytes kept run out, and skips what was read.
    Parked,
    /// Read to its end: nothing is kept.
    Ended,
}

/// Reads one source line by line.
///
/// A gzip reader of a regular file can be parked ([`LineReader::park`]): its
/// decoder and buffers are dropped, the decoded bytes not yet read are kept,
/// and when they run out the file is decoded again from its start to where
/// it was. Why: a decoder holds about [`GZIP_DECODER`] bytes that no smaller
/// buffer saves, so thousands of gzip files read at once cannot all keep
/// one. Resuming costs decoding the part already read again: cheap for a
/// rotation that waits for its time (parked after its first lines), dear
/// only for more gzip files than [`ReadShare::open_gzip`] whose lines
/// interleave in time.
pub struct LineReader {
    feed: Feed,
    buf: Vec<u8>,
    /// A line that is not valid UTF-8, with its bad bytes replaced.
    text: String,
    number: u64,
    pub gzip: bool,
    /// See [`LineReader::parkable`] (told once: it asks the file system).
    parkable: bool,
}

/// A source's decoded bytes, parked or not.
struct Feed {
    source: Source,
    inner: Inner,
    /// Capacity of each buffer.
    capacity: usize,
    /// The file as first opened: a parked reader resumes only in it.
    identity: Option<FileIdentity>,
    /// A parked reader's decoded bytes not yet read, from `kept_at` on.
    kept: Vec<u8>,
    kept_at: usize,
    /// Decoded bytes read so far (where a parked reader resumes).
    offset: u64,
}

/// A line buffer kept between lines at most: one long line (up to
/// [`MAX_LINE`]) does not make a reader hold its length for good.
const LINE_KEPT: usize = 4 * 1024;

impl LineReader {
    pub fn open(source: &Source) -> io::Result<LineReader> {
        Self::with_buffer(source, MAX_BUFFER)
    }

    /// As [`LineReader::open`], with buffers of `capacity` bytes (a merge's
    /// readers share [`READ_BUDGET`]: [`ReadShare`]). A gzip regular file
    /// starts parked: its decoder is made at its first line.
    pub fn with_buffer(source: &Source, capacity: usize) -> io::Result<LineReader> {
        OPENED.with(|n| n.set(n.get() + 1));
        let (raw, identity) = open_raw(source)?;
        let mut br = BufReader::with_capacity(capacity, raw);
        let head = br.fill_buf()?;
        let gzip = head.len() >= 2 && head[0] == 0x1f && head[1] == 0x8b;
        let mut reader = LineReader {
            feed: Feed {
                source: source.clone(),
                inner: Inner::Plain(br),
                capacity,
                identity,
                kept: Vec::new(),
                kept_at: 0,
                offset: 0,
            },
            buf: Vec::with_capacity(1024),
            text: String::new(),
            number: 0,
            gzip,
            parkable: gzip && source.rereadable(),
        };
        if gzip {
            let Inner::Plain(br) = std::mem::replace(&mut reader.feed.inner, Inner::Parked) else {
                unreachable!("made plain above")
            };
            if !reader.parkable() {
                reader.feed.inner = Inner::Gzip(Box::new(BufReader::with_capacity(
                    capacity,
                    GzipGuard::new(br, source.max_gzip_ratio),
                )));
            }
        }
        reader.feed.told(0);
        Ok(reader)
    }

    /// Whether [`LineReader::park`] can drop its decoder: a gzip regular
    /// file (standard input or a pipe cannot be read again).
    pub fn parkable(&self) -> bool {
        self.parkable
    }

    /// Whether it holds a gzip decoder now.
    pub fn decoding(&self) -> bool {
        matches!(self.feed.inner, Inner::Gzip(_))
    }

    /// Drops a gzip reader's decoder and buffers, keeping the decoded bytes
    /// not yet read; the next line that needs more makes them again
    /// (see [`LineReader`]). Does nothing to a reader that is not
    /// [`LineReader::parkable`].
    pub fn park(&mut self) {
        if !self.parkable() {
            return;
        }
        self.feed.park();
    }

    /// The next line, `None` at the end.
    pub fn next_line(&mut self) -> Result<Option<Line<'_>>, ReadError> {
        if self.buf.capacity() > LINE_KEPT {
            self.buf = Vec::with_capacity(1024);
            self.text = String::new();
        }
        self.buf.clear();
        let mut cut = false;
        let mut any = false;
        // The line's length so far, kept or not (a NUL's column).
        let mut read = 0usize;
        let line = self.number + 1;
        loop {
            let chunk = match self.feed.fill() {
                Ok(c) => c,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => {
                    return Err(match too_dense(&error) {
                        Some(refused) => ReadError::TooDense { line, refused },
                        None => ReadError::Io { line, error },
                    })
                }
            };
            if chunk.is_empty() {
                break;
            }
            any = true;
            // The line's end and a NUL are looked for in one pass (this
            // runs over every byte of the logs). A NUL is looked for as the
            // bytes come, not in the line kept: a binary file may have no
            // newline (`/dev/zero` never ended, a 2 GB sparse file was read
            // whole twice before it was refused), and one past MAX_LINE in
            // a long line was never seen.
            let (take, done) = match memchr::memchr2(b'\n', 0, chunk) {
                Some(i) if chunk[i] == 0 => {
                    self.number = line;
                    return Err(ReadError::Binary {
                        line,
                        column: read.saturating_add(i + 1),
                    });
                }
                Some(i) => (i, true),
                None => (chunk.len(), false),
            };
            read = read.saturating_add(take);
            let room = MAX_LINE - self.buf.len();
            if take > room {
                cut = true;
            }
            self.buf.extend_from_slice(&chunk[..take.min(room)]);
            self.feed.consume(take + usize::from(done));
            if done {
                break;
            }
        }
        if !any {
            // Its buffers and decoder are of no more use.
            self.feed.set(Inner::Ended);
            return Ok(None);
        }
        self.number = line;
        // Valid UTF-8 (nearly every line) is lent as it was read, not copied.
        let text = match std::str::from_utf8(&self.buf) {
            Ok(s) => s,
            Err(_) => {
                self.text.clear();
                self.text.push_str(&String::from_utf8_lossy(&self.buf));
                &self.text
            }
        };
        Ok(Some(Line {
            number: line,
            text,
            cut,
        }))
    }
}

impl Feed {
    /// What it holds in buffers and a decoder: the bytes a merge's budget
    /// ([`READ_BUDGET`], [`GZIP_BUDGET`]) is about.
    fn held(&self) -> usize {
        self.kept.capacity()
            + match self.inner {
                Inner::Plain(_) => self.capacity,
                Inner::Gzip(_) => 2 * self.capacity + GZIP_DECODER,
                Inner::Parked | Inner::Ended => 0,
            }
    }

    /// `inner` replaced, [`held_peak`] told.
    fn set(&mut self, inner: Inner) {
        let before = self.held();
        self.inner = inner;
        self.told(before);
    }

    /// [`held_peak`] told of a change from `before`.
    fn told(&self, before: usize) {
        let after = self.held();
        HELD.with(|h| {
            let (now, peak) = h.get();
            let now = (now + after).saturating_sub(before);
            h.set((now, peak.max(now)));
        });
    }

    /// Drops its decoder and buffers, keeping the decoded bytes not yet read.
    fn park(&mut self) {
        let before = self.held();
        if let Inner::Gzip(r) = &self.inner {
            let rest = r.buffer();
            if !rest.is_empty() {
                // What was left of the bytes kept before is in front of it.
                let mut kept = Vec::with_capacity(self.kept.len() - self.kept_at + rest.len());
                kept.extend_from_slice(&self.kept[self.kept_at..]);
                kept.extend_from_slice(rest);
                self.kept = kept;
                self.kept_at = 0;
            }
            self.inner = Inner::Parked;
        }
        self.told(before);
    }

    /// The bytes not yet read, more read if none are left (empty at the end).
    fn fill(&mut self) -> io::Result<&[u8]> {
        if self.kept_at < self.kept.len() {
            return Ok(&self.kept[self.kept_at..]);
        }
        if !self.kept.is_empty() {
            let before = self.held();
            self.kept = Vec::new();
            self.kept_at = 0;
            self.told(before);
        }
        if matches!(self.inner, Inner::Parked) {
            self.resume()?;
        }
        match &mut self.inner {
            Inner::Plain(r) => r.fill_buf(),
            Inner::Gzip(r) => r.fill_buf(),
            Inner::Parked | Inner::Ended => Ok(&[]),
        }
    }

    fn consume(&mut self, n: usize) {
        self.offset += n as u64;
        if self.kept_at < self.kept.len() {
            self.kept_at += n;
            return;
        }
        match &mut self.inner {
            Inner::Plain(r) => r.consume(n),
            Inner::Gzip(r) => r.consume(n),
            Inner::Parked | Inner::Ended => {}
        }
    }

    /// A parked gzip reader's decoder made again, at `offset`.
    fn resume(&mut self) -> io::Result<()> {
        let (raw, identity) = open_raw(&self.source)?;
        if identity != self.identity {
            // A rotation renamed it and wrote another at its path, or it was
            // rewritten: what is there now is not the rest of what was read.
            return Err(io::Error::other(
                "the file changed while it was read (rotated or rewritten?); diagnose a copy that stays put",
            ));
        }
        let raw = BufReader::with_capacity(self.capacity, raw);
        let mut r = BufReader::with_capacity(
            self.capacity,
            GzipGuard::new(raw, self.source.max_gzip_ratio),
        );
        let mut skip = self.offset;
        while skip > 0 {
            let chunk = r.fill_buf()?;
            if chunk.is_empty() {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the file got shorter while it was read",
                ));
            }
            let n = chunk.len().min(usize::try_from(skip).unwrap_or(usize::MAX));
            r.consume(n);
            skip -= n as u64;
        }
        self.set(Inner::Gzip(Box::new(r)));
        Ok(())
    }
}

impl Drop for Feed {
    fn drop(&mut self) {
        let before = self.held();
        self.inner = Inner::Ended;
        self.kept = Vec::new();
        self.told(before);
    }
}

/// A source's bytes as stored, and which file they are (none for standard
/// input). A FIFO no one writes to, a device or a socket is refused, never
/// waited on ([`crate::input_file`]); `/dev/stdin` and `<(…)` are pipes with
/// a writer, read as they come.
fn open_raw(source: &Source) -> io::Result<(Box<dyn Read>, Option<FileIdentity>)> {
    Ok(match &source.path {
        Some(p) => {
            let input = crate::input_file::open(p)?;
            let identity = FileIdentity::of(input.file())?;
            (Box::new(input), Some(identity))
        }
        None => (Box::new(io::stdin()), None),
    })
}

/// Which file an open file is, and whether it changed: a parked gzip reader
/// opens its path again to resume ([`Feed::resume`]), and must find the file
/// it began (a log rotation renames files and writes new ones at the old
/// names). Only compared, never reported: the modification time is the
/// file's, no clock is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct FileIdentity {
    device: u64,
    inode: u64,
    len: u64,
    modified: Option<std::time::SystemTime>,
}

impl FileIdentity {
    fn of(file: &File) -> io::Result<FileIdentity> {
        let meta = file.metadata()?;
        #[cfg(unix)]
        let (device, inode) = {
            use std::os::unix::fs::MetadataExt;
            (meta.dev(), meta.ino())
        };
        #[cfg(not(unix))]
        let (device, inode) = (0, 0);
        Ok(FileIdentity {
            device,
            inode,
            len: meta.len(),
            modified: meta.modified().ok(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rule: a parked gzip reader goes on where it was: parked after every
    /// line (its decoder dropped, made again and the part read skipped),
    /// with buffers smaller than a line, it reads the lines a plain reader
    /// does; what it holds parked is its decoded bytes not yet read, not a
    /// decoder.
    #[test]
    fn a_parked_gzip_reader_goes_on_where_it_was() {
        use std::io::Write;
        let dir = std::env::temp_dir().join(format!("flapsim-input-park-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let text: String = (0..3000)
            .map(|i| {
                format!(
                    "    2015/09/29 00:00:{:02} [INFO] line {i} {}\n",
                    i % 60,
                    "x".repeat(i % 97)
                )
            })
            .collect();
        let plain = dir.join("a.log");
        std::fs::write(&plain, &text).unwrap();
        let gz = dir.join("a.log.gz");
        let mut enc =
            flate2::write::GzEncoder::new(File::create(&gz).unwrap(), flate2::Compression::fast());
        enc.write_all(text.as_bytes()).unwrap();
        enc.finish().unwrap();
        let lines = |p: &Path, capacity: usize, park: bool| {
            let mut r = LineReader::with_buffer(&file_source(p), capacity).unwrap();
            assert_eq!(r.parkable(), p == gz);
            let mut out = Vec::new();
            while let Some(l) = r.next_line().unwrap() {
                out.push(l.text.to_string());
                if park {
                    r.park();
                    assert!(!r.decoding());
                    assert!(r.feed.held() <= capacity);
                }
            }
            out
        };
        let want = lines(&plain, MAX_BUFFER, false);
        assert_eq!(want.len(), 3000);
        assert_eq!(lines(&gz, MAX_BUFFER, false), want);
        assert_eq!(lines(&gz, 4096, true), want);
        assert_eq!(lines(&gz, 64, true), want);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Rule: a parked gzip reader goes on in the file it began, or says it
    /// cannot: resumed by opening its path again, it read whatever file was
    /// there by then (a rotation renames `a.log.1.gz` and writes a new one)
    /// from the old one's offset, and counted those lines as the old file's,
    /// with no word.
    #[test]
    fn a_gzip_file_replaced_while_its_reader_is_parked_is_an_error_not_other_lines() {
        use std::io::Write;
        let dir = std::env::temp_dir().join(format!("flapsim-input-swap-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let gzip = |name: &str, tag: &str| {
            let text: String = (0..2000)
                .map(|i| format!("    2015/09/29 00:00:{:02} [INFO] {tag} line {i}\n", i % 60))
                .collect();
            let p = dir.join(name);
            let mut enc = flate2::write::GzEncoder::new(
                File::create(&p).unwrap(),
                flate2::Compression::fast(),
            );
            enc.write_all(text.as_bytes()).unwrap();
            enc.finish().unwrap();
            p
        };
        let path = gzip("a.log.1.gz", "old");
        let mut r = LineReader::with_buffer(&file_source(&path), 64).unwrap();
        assert!(r.parkable());
        let first = r.next_line().unwrap().unwrap().text.to_string();
        assert!(first.contains("old line 0"), "{first}");
        r.park();
        // Rotated: the old file renamed away, a new one written at its path.
        std::fs::rename(&path, dir.join("a.log.2.gz")).unwrap();
        let _ = gzip("a.log.1.gz", "new");
        let mut read = Vec::new();
        let end = loop {
            match r.next_line() {
                Ok(Some(l)) => read.push(l.text.to_string()),
                Ok(None) => break None,
                Err(e) => break Some(format!("{e:?}")),
            }
        };
        assert!(
            read.iter().all(|l| l.contains("old line")),
            "lines of the new file read as the old one's: {:?}",
            read.iter().find(|l| !l.contains("old line"))
        );
        let e = end.expect("the old file's lines cannot all be read again: an error");
        assert!(e.contains("changed while it was read"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Rule: a file named after its program (`consul.log`) is named after its
    /// node's directory when several directories hold one; a file named after
    /// a node keeps that name; one directory's files are one node's.
    #[test]
    fn per_host_directories_name_their_nodes() {
        let hints = |paths: &[&str]| {
            let sources: Vec<Source> = paths.iter().map(|p| file_source(Path::new(p))).collect();
            observer_hints(&sources, &vec![true; sources.len()]).map(|h| {
                h.into_iter()
                    .map(|h| {
                        h.map_or(String::new(), |(n, dir)| {
                            format!("{n}{}", if dir { "/" } else { "" })
                        })
                    })
                    .collect::<Vec<_>>()
            })
        };
        assert_eq!(
            hints(&[
                "logs/a-01/consul.log",
                "logs/s-01/consul.log",
                "logs/s-01/consul.log.1.gz"
            ])
            .unwrap(),
            vec!["a-01/", "s-01/", "s-01/"]
        );
        assert_eq!(
            hints(&[
                "a-01/consul/consul-1700000000.log",
                "b-02/consul/consul.log"
            ])
            .unwrap(),
            vec!["a-01/", "b-02/"],
            "a program's directory is skipped"
        );
        assert_eq!(
            hints(&[
                "/var/log/consul/consul-1700000000123456789.log",
                "/var/log/consul/consul.log"
            ])
            .unwrap(),
            vec!["consul", "consul"],
            "one directory: one node's rotations"
        );
        assert_eq!(
            hints(&["logs/a-01.log", "archive/a-01.log.1.gz"]).unwrap(),
            vec!["a-01", "a-01"],
            "a node's name is kept wherever its files are"
        );
        let err = hints(&["logs/consul.log", "old/logs/consul.log"]).unwrap_err();
        assert!(err.contains("--observer FILE=NAME"), "{err}");
        // Once --observer names one of them, the other is alone with its stem.
        let sources: Vec<Source> = ["logs/consul.log", "old/logs/consul.log"]
            .iter()
            .map(|p| file_source(Path::new(p)))
            .collect();
        let h = observer_hints(&sources, &[true, false]).unwrap();
        assert_eq!(h, vec![Some(("consul".to_string(), false)), None]);
    }

    /// Rule: a NUL byte anywhere in a line is binary data, at its column,
    /// found as it is read. One past the kept [`MAX_LINE`] bytes of a long
    /// line was never seen (the line was read as cut text), and a file of
    /// NULs without a newline was read to its end before it was refused
    /// (`/dev/zero` never was).
    #[test]
    fn a_nul_past_the_kept_part_of_a_long_line_is_binary_data() {
        let dir = std::env::temp_dir().join(format!("flapsim-input-nul-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("core.log");
        let mut bytes = b"first line\n".to_vec();
        bytes.extend(std::iter::repeat_n(b'x', MAX_LINE + 100));
        bytes.extend_from_slice(b"\0tail\n");
        std::fs::write(&p, bytes).unwrap();
        let mut r = LineReader::open(&file_source(&p)).unwrap();
        assert!(r.next_line().unwrap().is_some());
        let e = r.next_line().err();
        let _ = std::fs::remove_dir_all(&dir);
        match e {
            Some(ReadError::Binary { line, column }) => {
                assert_eq!((line, column), (2, MAX_LINE + 101));
            }
            _ => panic!("a NUL past the kept part is binary data"),
        }
        // An endless stream of NULs, from a pipe: binary at its first byte.
        // (`/dev/zero` itself is a device, refused before it is read.)
        let e = LineReader::open(&file_source(Path::new("/dev/zero"))).err();
        assert!(e.is_some_and(|e| e.to_string().contains("character device")));
        let mut fds = [0; 2];
        // SAFETY: two valid descriptors are written into `fds`.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        use std::os::unix::io::FromRawFd;
        // SAFETY: each end is owned once, by its `File`.
        let (read_end, write_end) = unsafe {
            (
                std::fs::File::from_raw_fd(fds[0]),
                std::fs::File::from_raw_fd(fds[1]),
            )
        };
        let writer = std::thread::spawn(move || {
            let mut w = write_end;
            let zeros = [0u8; 4096];
            // Until the reader is gone (EPIPE: SIGPIPE is ignored).
            while std::io::Write::write_all(&mut w, &zeros).is_ok() {}
        });
        let zeros = file_source(Path::new(&format!("/dev/fd/{}", fds[0])));
        let e = LineReader::open(&zeros).unwrap().next_line().err();
        drop(read_end);
        writer.join().unwrap();
        assert!(matches!(e, Some(ReadError::Binary { line: 1, column: 1 })));
    }

    /// Rule: a file descriptor's path (`<(cat a-01.log)` is `/dev/fd/63`)
    /// names no node: it gives no name hint, as standard input gives none.
    /// It named node `63`. A file named with digits is still its name's.
    #[test]
    fn a_descriptors_path_names_no_node() {
        let s = |p: &str| file_source(Path::new(p)).name_hint();
        for p in [
            "/dev/fd/63",
            "/proc/self/fd/63",
            "/proc/812/fd/3",
            "/proc/thread-self/fd/0",
        ] {
            assert_eq!(s(p), None, "{p}");
        }
        assert_eq!(s("/var/log/63.log").as_deref(), Some("63"));
        assert_eq!(s("logs/fd/63").as_deref(), Some("63"));
    }

    /// Rule: standard input by its path (`/dev/stdin`) names no node, as
    /// `-` names none: `cat a-01.log | diagnose /dev/stdin` read its lines
    /// as node `stdin`. A file named `stdin` elsewhere is still its name's.
    #[test]
    fn standard_inputs_path_names_no_node() {
        let s = |p: &str| file_source(Path::new(p)).name_hint();
        assert_eq!(s("/dev/stdin"), None);
        assert_eq!(s("logs/stdin").as_deref(), Some("stdin"));
    }

    #[test]
    fn name_hints_drop_extensions_and_rotation() {
        let s = |p: &str| file_source(Path::new(p)).name_hint();
        assert_eq!(s("/var/log/a-01.log").as_deref(), Some("a-01"));
        assert_eq!(s("consul-1700000000.log").as_deref(), Some("consul"));
        assert_eq!(s("node-12.log").as_deref(), Some("node-12"));
        assert_eq!(s("logs/a-01.log.1.gz").as_deref(), Some("a-01"));
        assert_eq!(s("s-02.json").as_deref(), Some("s-02"));
        assert_eq!(s("web-7").as_deref(), Some("web-7"));
        assert_eq!(s("ip-10-0-1-23.log").as_deref(), Some("ip-10-0-1-23"));
        assert_eq!(s("node-2024.log").as_deref(), Some("node-2024"));
        assert_eq!(
            Source {
                label: "-".into(),
                path: None,
                max_gzip_ratio: MAX_GZIP_RATIO,
            }
            .name_hint(),
            None
        );
    }

    /// Rule: a file's decoded identity is its content once decompressed:
    /// a log and its gzip twins (any level, or two gzip members
    /// concatenated) have one, a file one byte off another has its own; the
    /// length hint of a gzip file is its trailer's, its decoded length.
    #[test]
    fn a_log_and_its_gzip_twin_have_one_decoded_identity() {
        use std::io::Write;
        let dir = std::env::temp_dir().join(format!("flapsim-input-gz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // Over two blocks, lines of different lengths.
        let text: String = (0..60_000)
            .map(|i| {
                format!(
                    "    2024/03/01 10:00:{:02} [INFO] serf: EventMemberJoin: n-{i} 10.0.{}.{}\n",
                    i % 60,
                    i / 250,
                    i % 250
                )
            })
            .collect();
        assert!(text.len() as u64 > 2 * BLOCK);
        let plain = dir.join("a.log");
        std::fs::write(&plain, &text).unwrap();
        let gz = |name: &str, parts: &[&str], level: u32| {
            let p = dir.join(name);
            let mut f = File::create(&p).unwrap();
            for part in parts {
                let mut enc =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level));
                enc.write_all(part.as_bytes()).unwrap();
                f.write_all(&enc.finish().unwrap()).unwrap();
            }
            p
        };
        let (head, rest) = text.split_at(1000);
        let twins = [
            gz("a.log.gz", &[&text], 6),
            gz("a.log.1.gz", &[&text], 1),
            gz("a.log.2.gz", &[head, rest], 9),
        ];
        let mut off_by_one = text.clone().into_bytes();
        off_by_one[text.len() / 2] = b'#';
        let other = dir.join("b.log");
        std::fs::write(&other, &off_by_one).unwrap();
        let id = |p: &Path| decoded_id(p, MAX_GZIP_RATIO).unwrap();
        let size = |p: &Path| std::fs::metadata(p).unwrap().len();
        let (want, gzip) = id(&plain);
        assert!(!gzip);
        assert_eq!(want.len, text.len() as u64);
        for t in &twins {
            assert_eq!(id(t), (want, true), "{}", t.display());
        }
        assert_eq!(
            decoded_len_hint(&twins[0], size(&twins[0])).unwrap(),
            text.len() as u32
        );
        assert_eq!(
            decoded_len_hint(&plain, size(&plain)).unwrap(),
            text.len() as u32
        );
        assert_ne!(id(&other).0, want);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Rule: logrotate's `dateext` rotations (`-YYYYMMDD`, `-YYYYMMDDHH`,
    /// `-YYYY-MM-DD`, `.YYYYMMDD`, before or after `.gz`) are their live file's
    /// node: `consul.log-20240301.gz` was read as a node `consul.log-20240301`
    /// (merging every host's rotations), `s-01.log-20240301.gz` as a node
    /// `s-01.log-20240301`.
    #[test]
    fn logrotate_dateext_rotations_join_their_live_files_node() {
        let s = |p: &str| file_source(Path::new(p)).name_hint();
        for (file, node) in [
            ("s-01.log-20240301.gz", "s-01"),
            ("s-01.log-20240301", "s-01"),
            ("s-01.log-2024030110.gz", "s-01"),
            ("s-01.log-2024-03-01.gz", "s-01"),
            ("s-01.log-2024-03-01-10.gz", "s-01"),
            ("s-01.log.20240301.gz", "s-01"),
            ("s-01.log_20240301", "s-01"),
            ("s-01.log-20240301-1709251200.gz", "s-01"),
            ("s-01-20240301.log", "s-01"),
            ("s-01.log-20240301.1.gz", "s-01"),
            ("consul.log-20240301.gz", "consul"),
            ("syslog-20240301", "syslog"),
        ] {
            assert_eq!(s(file).as_deref(), Some(node), "{file}");
        }
        // And the per-host-directory rule applies to them.
        let sources: Vec<Source> = [
            "logs/s-01/consul.log",
            "logs/s-01/consul.log-20240301.gz",
            "logs/s-02/consul.log",
            "logs/s-02/consul.log-20240301.gz",
        ]
        .iter()
        .map(|p| file_source(Path::new(p)))
        .collect();
        let hints: Vec<String> = observer_hints(&sources, &[true; 4])
            .unwrap()
            .into_iter()
            .map(|h| h.unwrap().0)
            .collect();
        assert_eq!(hints, vec!["s-01", "s-01", "s-02", "s-02"]);
    }
}
