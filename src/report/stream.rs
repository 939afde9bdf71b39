//! `events.jsonl`, `memberlist.log` and `wire.csv` written while the run goes, so a long or
//! sick run's outputs cost disk, not memory: each record is rendered as the
//! engine reports it (by the same functions as the in-memory writers,
//! [`events::JsonLines`] and [`LogLines`]) into a buffer that is flushed to
//! the output set's staging file every [`FLUSH_BYTES`]. The files are part of
//! the set the [`Publisher`] publishes atomically: an interrupted run removes
//! the staging directory and publishes nothing. flapsim never reads these
//! files back, so they should cost neither memory nor fresh cache pages: they
//! are written around the page cache with direct I/O where the filesystem
//! allows it ([`DirectWriter`]), and otherwise through it, dropped from it as
//! the run goes ([`drop_behind`]).
//!
//! Write errors (a full disk) are kept and returned by [`Streams::finish`]; the
//! run itself goes on, as a failed write of one line must not change results.
//!
//! The streams that read records (`events.jsonl`, `memberlist.log`, the chart
//! spill) are rendered and written on a thread of their own ([`Writer`]): a
//! sick run reports ~10 M records, and rendering and writing them took as
//! long as a third of the run's own work, on the engine's thread. The engine
//! hands them over in batches, in order, through a bounded channel (so memory
//! stays flat however far the writer lags); the writer is the only one to
//! touch the files, so the bytes are the same as when written inline, and no
//! result can depend on the thread's timing.

use std::fs::File;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;

use crate::metrics::spill::{self, Spilled};
use crate::metrics::{timeline, Record, What};
use crate::protocol::{Nanos, Packet};
use crate::scenario::Scenario;

use super::direct::{self, DirectWriter};
use super::events;
use super::log::LogLines;
use super::{wire, Format, Level, Publisher};

/// Buffered bytes written to the file at a time.
pub const FLUSH_BYTES: usize = 1 << 20;

/// Bytes written to a file between two requests to start writing them back
/// to disk ([`start_writeback`]), and the most of it left in the page cache.
const WRITEBACK_BYTES: u64 = 64 << 20;

/// One file being written.
struct Stream {
    name: &'static str,
    file: File,
    buf: Vec<u8>,
    /// Bytes written to the file so far, where the range whose writeback was
    /// asked last begins, and up to where the file was dropped from the page
    /// cache ([`drop_behind`]).
    written: u64,
    writeback_from: u64,
    dropped_to: u64,
    /// Bytes between two writeback requests: [`WRITEBACK_BYTES`] (tests use less).
    window: u64,
    /// Writes around the page cache, where the file allows it ([`direct`]);
    /// `None`: through the cache, dropped behind.
    direct: Option<DirectWriter>,
}

impl Stream {
    fn open(publisher: &mut Publisher, format: Format) -> io::Result<Stream> {
        Stream::named(publisher, format.file_name())
    }

    fn named(publisher: &mut Publisher, name: &'static str) -> io::Result<Stream> {
        let file = publisher.create(name)?;
        // Room for a full buffer, the last line past it, and with direct I/O
        // the bytes that align it and the partial block held from the last
        // write.
        let mut buf = Vec::with_capacity(FLUSH_BYTES + 4096 + 2 * direct::BLOCK);
        let direct = DirectWriter::open(&file, &mut buf);
        Ok(Stream {
            name,
            file,
            buf,
            written: 0,
            writeback_from: 0,
            dropped_to: 0,
            window: WRITEBACK_BYTES,
            direct,
        })
    }

    /// Where the data begins in the buffer (past the bytes that align it
    /// for direct I/O).
    fn data_start(&self) -> usize {
        self.direct.as_ref().map_or(0, DirectWriter::start)
    }

    /// Write the buffer out once it is full (`force`: whatever it holds).
    fn flush(&mut self, force: bool, error: &mut Option<io::Error>) {
        if self.buf.len() - self.data_start() < FLUSH_BYTES && !force {
            return;
        }
        if error.is_none() {
            match self.write_out() {
                Ok(()) => return,
                Err(e) => *error = Some(io::Error::new(e.kind(), format!("{}: {e}", self.name))),
            }
        }
        // Not written (the error says so): dropped, so memory stays bounded.
        let start = self.data_start();
        self.buf.truncate(start);
    }

    /// Write what is buffered and what direct I/O holds back: the file is
    /// then complete.
    fn close(&mut self, error: &mut Option<io::Error>) {
        self.flush(true, error);
        if let (Some(d), None) = (&mut self.direct, &*error) {
            if let Err(e) = d.finish(&self.file, &mut self.buf) {
                *error = Some(io::Error::new(e.kind(), format!("{}: {e}", self.name)));
            }
        }
    }

    /// Write the buffer to the file. Through the page cache, every window
    /// ([`WRITEBACK_BYTES`]) hand what was written since to the disk and drop
    /// the range before from the cache.
    fn write_out(&mut self) -> io::Result<()> {
        let bytes = (self.buf.len() - self.data_start()) as u64;
        match &mut self.direct {
            // What it holds back is counted as written: it will be.
            Some(d) => d.write(&self.file, &mut self.buf)?,
            None => {
                self.file.write_all(&self.buf)?;
                self.buf.clear();
            }
        }
        self.written += bytes;
        // Direct writes leave nothing in the cache to write back or drop.
        let cached = self.direct.as_ref().is_none_or(|d| !d.is_direct());
        if cached && self.written - self.writeback_from >= self.window {
            start_writeback(&self.file, self.writeback_from, self.written);
            // The range before, whose writeback was asked a range ago.
            drop_behind(&self.file, self.dropped_to, self.writeback_from)?;
            self.dropped_to = self.writeback_from;
            self.writeback_from = self.written;
        }
        Ok(())
    }
}

/// Ask the kernel to start writing `from..to` of `file` to disk, without
/// waiting for it. Why: the publisher syncs every file before it publishes the
/// set, and a sick run's `events.jsonl` (1.2 GB) left all in the page cache
/// made that one sync half a second of the user's wait; written back as the
/// run goes, it is mostly on disk by then. A hint only: errors are the final
/// sync's to report.
#[cfg(target_os = "linux")]
fn start_writeback(file: &File, from: u64, to: u64) {
    use std::os::unix::io::AsRawFd;
    let Some((offset, len)) = byte_range(from, to) else {
        return;
    };
    // SAFETY: a plain syscall on an open descriptor; it reads no memory of ours.
    unsafe {
        libc::sync_file_range(file.as_raw_fd(), offset, len, libc::SYNC_FILE_RANGE_WRITE);
    }
}

#[cfg(not(target_os = "linux"))]
fn start_writeback(_file: &File, _from: u64, _to: u64) {}

/// `from..to` as `sync_file_range`'s offset and length; None when empty (a
/// length of 0 would mean "to the end of the file") or beyond an `off_t`.
#[cfg(target_os = "linux")]
fn byte_range(from: u64, to: u64) -> Option<(i64, i64)> {
    let offset = i64::try_from(from).ok()?;
    let len = i64::try_from(to.checked_sub(from)?).ok()?;
    (len > 0).then_some((offset, len))
}

/// Wait until `from..to` of `file` is on disk, then drop it from the page
/// cache (flapsim never reads these files back).
///
/// Why: a sick run's `events.jsonl` is over a gigabyte, and written through
/// the page cache every byte went into a freshly allocated cache page. On a
/// VM whose host reclaims the guest's free memory, as here, each such page
/// is first faulted in by the host: with every output, a starved 1,000-node
/// run spent 3.1–3.9 s of system time writing its files, and one profile put
/// the kernel's copy into the cache at a fifth of all samples. Dropped a
/// range behind, the file keeps at most two ranges cached, and the next
/// range can be written into the pages the last one freed, already backed:
/// 0.8–0.95 s of system time. The range waited for was handed to the disk a
/// range earlier ([`start_writeback`]), so on a disk that keeps up nothing
/// waits, and on a slower one rendering still runs a range ahead of the
/// disk. Direct I/O ([`DirectWriter`]) costs less system time still, and is
/// used where the filesystem allows it: this is the path of files it refuses.
///
/// A failed writeback (an I/O error, a full disk or quota) is returned:
/// waiting for it here consumes the error the publisher's final sync would
/// otherwise have reported.
#[cfg(target_os = "linux")]
fn drop_behind(file: &File, from: u64, to: u64) -> io::Result<()> {
    use std::os::unix::io::AsRawFd;
    let Some((offset, len)) = byte_range(from, to) else {
        return Ok(());
    };
    let fd = file.as_raw_fd();
    let wait = libc::SYNC_FILE_RANGE_WAIT_BEFORE
        | libc::SYNC_FILE_RANGE_WRITE
        | libc::SYNC_FILE_RANGE_WAIT_AFTER;
    // SAFETY: plain syscalls on an open descriptor; they read no memory of ours.
    unsafe {
        if libc::sync_file_range(fd, offset, len, wait) != 0 {
            let e = io::Error::last_os_error();
            // A failed writeback is the file's; anything else (a system
            // without the call) leaves the error, if any, to the final sync.
            return match e.raw_os_error() {
                Some(libc::EIO | libc::ENOSPC | libc::EDQUOT) => Err(e),
                _ => Ok(()),
            };
        }
        // A hint: pages it cannot drop stay cached, which changes nothing.
        libc::posix_fadvise(fd, offset, len, libc::POSIX_FADV_DONTNEED);
    }
    Ok(())
}

#[cfg(not(target_os = "linux"))]
fn drop_behind(_file: &File, _from: u64, _to: u64) -> io::Result<()> {
    Ok(())
}

/// The records the charts read, spilled to a scratch file during the run and
/// read back after it ([`crate::metrics::spill`]).
struct Spill {
    file: File,
    path: PathBuf,
    buf: Vec<u8>,
    /// Records encoded: what every pass over the file must read back.
    records: usize,
}

/// The files a run streams, open in the publisher's staging directory.
pub struct Streams {
    /// The record streams, on their writer thread (None: none is open).
    records: Option<Writer>,
    /// `wire.csv`, with the node names it writes. Written inline: it reads
    /// packets, which the engine recycles as soon as they are handled.
    wire: Option<(Stream, Vec<String>)>,
    error: Option<io::Error>,
}

impl Streams {
    /// True when no stream reads [`Record`]s (`wire.csv` reads packets).
    pub fn reads_no_records(&self) -> bool {
        self.records.is_none()
    }

    /// Nothing streamed.
    pub fn none() -> Streams {
        Streams {
            records: None,
            wire: None,
            error: None,
        }
    }

    /// Open the streamed formats among `formats` (`events.jsonl`,
    /// `memberlist.log`) in `publisher`'s staging directory, and the chart
    /// spill if `spill_chart_inputs`, with their writer thread.
    pub fn open(
        publisher: &mut Publisher,
        scenario: &Scenario,
        formats: &[Format],
        spill_chart_inputs: bool,
    ) -> io::Result<Streams> {
        let mut sinks = RecordSinks::default();
        for &f in formats {
            match f {
                Format::Events(level) => {
                    let lines = events::JsonLines::new(scenario);
                    sinks.events = Some((Stream::open(publisher, f)?, level, lines))
                }
                Format::MemberlistLog(level) => {
                    let mut s = Stream::open(publisher, f)?;
                    if let Some(banner) = super::log::banner(scenario) {
                        s.buf.extend_from_slice(banner.as_bytes());
                    }
                    sinks.log = Some((s, level))
                }
                _ => {}
            }
        }
        if spill_chart_inputs {
            let (file, path) = publisher.scratch("chart-inputs")?;
            sinks.spill = Some(Spill {
                file,
                path,
                buf: Vec::with_capacity(FLUSH_BYTES + 256),
                records: 0,
            });
        }
        let mut s = Streams::none();
        if sinks.events.is_some() || sinks.log.is_some() || sinks.spill.is_some() {
            s.records = Some(Writer::spawn(sinks, scenario)?);
        }
        Ok(s)
    }

    /// Also write `wire.csv` ([`wire`]): every message as it is sent and handled.
    pub fn write_wire(&mut self, publisher: &mut Publisher, scenario: &Scenario) -> io::Result<()> {
        let mut s = Stream::named(publisher, super::files::WIRE.name)?;
        s.buf.extend_from_slice(wire::HEADER.as_bytes());
        self.wire = Some((s, wire::names(scenario)));
        Ok(())
    }

    /// A packet leaving (`sent`) or handled by its receiver, for `wire.csv`.
    #[inline]
    pub fn wire(&mut self, at: Nanos, packet: &Packet, sent: bool) {
        if let Some((s, names)) = &mut self.wire {
            wire::write_packet(&mut s.buf, names, at, packet, sent);
            s.flush(false, &mut self.error);
        }
    }

    /// Whether `format` is one of the streamed ones (never rendered at the end).
    pub fn streams(format: Format) -> bool {
        matches!(format, Format::Events(_) | Format::MemberlistLog(_))
    }

    /// Hand one record to the record streams.
    #[inline]
    pub fn record(&mut self, r: &Record) {
        if let Some(w) = &mut self.records {
            w.record(r);
        }
    }

    /// Write what is buffered and complete the files in the publisher; the
    /// spilled chart inputs, left in their scratch file for the charts to
    /// read in passes (each checks the file against the count written), if
    /// they were asked for. The publisher
    /// removes the scratch file when it commits the set.
    pub fn finish(mut self, publisher: &mut Publisher) -> io::Result<Option<Arc<Spilled>>> {
        let mut sinks = match self.records.take() {
            Some(w) => w.finish()?,
            None => RecordSinks::default(),
        };
        if self.error.is_none() {
            self.error = sinks.error.take();
        }
        let mut chart_inputs = None;
        if let Some(mut sp) = sinks.spill.take() {
            if self.error.is_none() {
                if let Err(e) = sp.file.write_all(&sp.buf) {
                    self.error = Some(e);
                }
            }
            drop(sp.file);
            // A failed write leaves a short file: never read it as complete.
            if let Some(e) = self.error.take() {
                return Err(e);
            }
            chart_inputs = Some(Arc::new(Spilled::written(sp.path.clone(), sp.records)));
        }
        let files = [
            sinks.events.take().map(|(s, _, _)| s),
            sinks.log.take().map(|(s, _)| s),
            self.wire.take().map(|(s, _)| s),
        ];
        for mut s in files.into_iter().flatten() {
            s.close(&mut self.error);
            if let Some(e) = self.error.take() {
                return Err(e);
            }
            publisher.complete(s.name, s.file)?;
        }
        Ok(chart_inputs)
    }
}

/// The streams that read records, as the writer thread holds them.
#[derive(Default)]
struct RecordSinks {
    events: Option<(Stream, Level, events::JsonLines)>,
    /// `memberlist.log` at its level (its [`LogLines`] borrows the scenario,
    /// so the thread makes it from its own copy).
    log: Option<(Stream, Level)>,
    spill: Option<Spill>,
    error: Option<io::Error>,
}

impl RecordSinks {
    /// Write one record's lines.
    fn record(&mut self, r: &Record, log: &mut Option<LogLines<'_>>) {
        if let Some(sp) = &mut self.spill {
            if timeline::reads(r) {
                spill::encode(r, &mut sp.buf);
                sp.records += 1;
                if sp.buf.len() >= FLUSH_BYTES {
                    if self.error.is_none() {
                        if let Err(e) = sp.file.write_all(&sp.buf) {
                            self.error = Some(e);
                        }
                    }
                    sp.buf.clear();
                }
            }
        }
        if let Some((s, level, lines)) = &mut self.events {
            if events::wanted(r, *level) {
                lines.write(&mut s.buf, r);
                s.flush(false, &mut self.error);
            }
        }
        if let (Some((s, _)), Some(lines)) = (&mut self.log, log) {
            if let What::Protocol(ev) = &r.what {
                lines.write(&mut s.buf, r.at, r.node, ev);
                s.flush(false, &mut self.error);
            }
        }
    }
}

/// Records handed over at a time (40 bytes each, so 640 KiB): the channel
/// costs nothing per record, and the writer's lag, bounded by [`IN_FLIGHT`],
/// holds little memory (at most `IN_FLIGHT + 2` batches, 3.8 MiB).
///
/// Why this many: the writer renders faster than the engine reports, so it
/// sleeps between batches, and each batch sent wakes it with a futex call,
/// costly on a VM: with 1,024-record batches a starved 1,000-node run with
/// every output (9 M records in 120 s) made 17,704 futex calls and spent
/// 1.9 % of its samples waking the writer; with these, 1,090 and 0.6 %.
const BATCH: usize = 16 * 1024;

/// Full batches the engine may have queued before it waits for the writer.
const IN_FLIGHT: usize = 4;

/// The record streams' thread, as the engine's side sees it.
struct Writer {
    batch: Vec<Record>,
    /// Full batches to the thread; `None` once finished.
    full: Option<SyncSender<Vec<Record>>>,
    /// Emptied batches back, to be refilled (no allocation per batch once
    /// `IN_FLIGHT + 2` of them exist).
    empty: Receiver<Vec<Record>>,
    thread: Option<JoinHandle<RecordSinks>>,
}

impl Writer {
    fn spawn(mut sinks: RecordSinks, scenario: &Scenario) -> io::Result<Writer> {
        let (full, batches) = mpsc::sync_channel::<Vec<Record>>(IN_FLIGHT);
        let (recycle, empty) = mpsc::channel::<Vec<Record>>();
        let scenario = sinks.log.is_some().then(|| scenario.clone());
        let thread = std::thread::Builder::new()
            .name("flapsim-writer".into())
            .spawn(move || {
                let mut log = (scenario.as_ref().zip(sinks.log.as_ref()))
                    .map(|(scenario, &(_, level))| LogLines::new(scenario, level));
                for mut batch in batches {
                    for r in &batch {
                        sinks.record(r, &mut log);
                    }
                    batch.clear();
                    // The engine's side is gone only after it stopped sending.
                    let _ = recycle.send(batch);
                }
                sinks
            })?;
        Ok(Writer {
            batch: Vec::with_capacity(BATCH),
            full: Some(full),
            empty,
            thread: Some(thread),
        })
    }

    #[inline]
    fn record(&mut self, r: &Record) {
        self.batch.push(*r);
        if self.batch.len() >= BATCH {
            self.ship();
        }
    }

    /// Send the batch being filled (waits while `IN_FLIGHT` are queued).
    fn ship(&mut self) {
        let next = self
            .empty
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(BATCH));
        let batch = std::mem::replace(&mut self.batch, next);
        if let Some(full) = &self.full {
            // Fails only if the thread is gone (it panicked): `finish` says so.
            let _ = full.send(batch);
        }
    }

    /// Send what is left, let the thread write it, and take the streams back.
    fn finish(mut self) -> io::Result<RecordSinks> {
        if !self.batch.is_empty() {
            self.ship();
        }
        self.full = None;
        let thread = self.thread.take().expect("finished once");
        thread.join().map_err(|_| {
            io::Error::other("the thread writing events.jsonl and memberlist.log failed")
        })
    }
}

impl Drop for Writer {
    /// A run that stops early drops its streams unfinished: close the channel
    /// and wait for the thread, so that nothing writes into the staging
    /// directory once the publisher removes it.
    fn drop(&mut self) {
        self.full = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rule: a stream that hands each window to the disk and drops the one
    /// before from the page cache writes every byte given, in order, however
    /// the writes fall across the windows.
    #[test]
    fn dropping_written_ranges_behind_keeps_every_byte() {
        let (path, file) = super::super::direct::tests::scratch_file("drop-behind");
        let mut s = Stream {
            name: "test",
            file,
            buf: Vec::new(),
            written: 0,
            writeback_from: 0,
            dropped_to: 0,
            window: 3 * 4096 + 17,
            direct: None,
        };
        let mut want = Vec::new();
        let mut error = None;
        let mut x = 11u32;
        for piece in 0..400usize {
            for _ in 0..(piece * 613) % 9000 + 1 {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                s.buf.push((x >> 16) as u8);
            }
            want.extend_from_slice(&s.buf);
            s.flush(true, &mut error);
            assert!(error.is_none(), "{error:?}");
        }
        assert!(
            s.dropped_to > 10 * s.window,
            "ranges were dropped behind: {} of {} bytes",
            s.dropped_to,
            s.written
        );
        assert_eq!(s.written, want.len() as u64);
        drop(s);
        assert!(std::fs::read(&path).unwrap() == want);
        std::fs::remove_file(&path).unwrap();
    }
}
