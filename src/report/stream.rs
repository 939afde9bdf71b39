//! `events.jsonl`, `memberlist.log` and `wire.csv` written while the run goes, so a long or
//! sick run's outputs cost disk, not memory: each record is rendered as the
//! engine reports it (by the same functions as the in-memory writers,
//! [`events::JsonLines`] and [`LogLines`]) into a buffer that is flushed to
//! the output set's staging file every [`FLUSH_BYTES`]. The files are part of
//! the set the [`Publisher`] publishes atomically: an interrupted run removes
//! the staging directory and publishes nothing.
//!
//! Write errors (a full disk) are kept and returned by [`Streams::finish`]; the
//! run itself goes on, as a failed write of one line must not change results.

use std::fs::File;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::Arc;

use crate::metrics::spill::{self, Spilled};
use crate::metrics::{timeline, Record, What};
use crate::protocol::{Nanos, Packet};
use crate::scenario::Scenario;

use super::events;
use super::log::LogLines;
use super::{wire, Format, Level, Publisher};

/// Buffered bytes written to the file at a time.
pub const FLUSH_BYTES: usize = 1 << 20;

/// One file being written.
struct Stream {
    name: &'static str,
    file: File,
    buf: Vec<u8>,
}

impl Stream {
    fn open(publisher: &mut Publisher, format: Format) -> io::Result<Stream> {
        Stream::named(publisher, format.file_name())
    }

    fn named(publisher: &mut Publisher, name: &'static str) -> io::Result<Stream> {
        Ok(Stream {
            name,
            file: publisher.create(name)?,
            buf: Vec::with_capacity(FLUSH_BYTES + 4096),
        })
    }

    /// Write the buffer out once it is full (`force`: whatever it holds).
    fn flush(&mut self, force: bool, error: &mut Option<io::Error>) {
        if self.buf.len() < FLUSH_BYTES && !force {
            return;
        }
        if error.is_none() {
            if let Err(e) = self.file.write_all(&self.buf) {
                *error = Some(io::Error::new(e.kind(), format!("{}: {e}", self.name)));
            }
        }
        self.buf.clear();
    }
}

/// The records the charts read, spilled to a scratch file during the run and
/// read back after it ([`crate::metrics::spill`]).
struct Spill {
    file: File,
    path: PathBuf,
    buf: Vec<u8>,
}

/// The files a run streams, open in the publisher's staging directory.
pub struct Streams<'a> {
    events: Option<(Stream, Level, events::JsonLines)>,
    log: Option<(Stream, LogLines<'a>)>,
    /// `wire.csv`, with the node names it writes.
    wire: Option<(Stream, Vec<String>)>,
    spill: Option<Spill>,
    error: Option<io::Error>,
}

impl<'a> Streams<'a> {
    /// True when no stream reads [`Record`]s (`wire.csv` reads packets).
    pub fn reads_no_records(&self) -> bool {
        self.events.is_none() && self.log.is_none() && self.spill.is_none()
    }

    /// Nothing streamed.
    pub fn none() -> Streams<'a> {
        Streams {
            events: None,
            log: None,
            wire: None,
            spill: None,
            error: None,
        }
    }

    /// Open the streamed formats among `formats` (`events.jsonl`,
    /// `memberlist.log`) in `publisher`'s staging directory.
    pub fn open(
        publisher: &mut Publisher,
        scenario: &'a Scenario,
        formats: &[Format],
    ) -> io::Result<Streams<'a>> {
        let mut s = Streams::none();
        for &f in formats {
            match f {
                Format::Events(level) => {
                    let lines = events::JsonLines::new(scenario);
                    s.events = Some((Stream::open(publisher, f)?, level, lines))
                }
                Format::MemberlistLog(level) => {
                    s.log = Some((Stream::open(publisher, f)?, LogLines::new(scenario, level)))
                }
                _ => {}
            }
        }
        Ok(s)
    }

    /// Also write `wire.csv` ([`wire`]): every message as it is sent and handled.
    pub fn write_wire(&mut self, publisher: &mut Publisher, scenario: &Scenario) -> io::Result<()> {
        let mut s = Stream::named(publisher, "wire.csv")?;
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

    /// Also spill the records the charts read to a scratch file in the staging
    /// directory; [`Streams::finish`] reads them back.
    pub fn spill_chart_inputs(&mut self, publisher: &mut Publisher) -> io::Result<()> {
        let (file, path) = publisher.scratch("chart-inputs")?;
        self.spill = Some(Spill {
            file,
            path,
            buf: Vec::with_capacity(FLUSH_BYTES + 256),
        });
        Ok(())
    }

    /// Whether `format` is one of the streamed ones (never rendered at the end).
    pub fn streams(format: Format) -> bool {
        matches!(format, Format::Events(_) | Format::MemberlistLog(_))
    }

    /// Write one record's lines.
    pub fn record(&mut self, r: &Record) {
        if let Some(sp) = &mut self.spill {
            if timeline::reads(r) {
                spill::encode(r, &mut sp.buf);
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
        if let Some((s, lines)) = &mut self.log {
            if let What::Protocol(ev) = &r.what {
                lines.write(&mut s.buf, r.at, r.node, ev);
                s.flush(false, &mut self.error);
            }
        }
    }

    /// Write what is buffered and complete the files in the publisher; the
    /// spilled chart inputs, checked whole and left in their scratch file for
    /// the charts to read in passes, if they were asked for. The publisher
    /// removes the scratch file when it commits the set.
    pub fn finish(mut self, publisher: &mut Publisher) -> io::Result<Option<Arc<Spilled>>> {
        let mut chart_inputs = None;
        if let Some(mut sp) = self.spill.take() {
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
            let at = |e: io::Error| io::Error::new(e.kind(), format!("{}: {e}", sp.path.display()));
            chart_inputs = Some(Arc::new(Spilled::check(sp.path.clone()).map_err(at)?));
        }
        let files = [
            self.events.take().map(|(s, _, _)| s),
            self.log.take().map(|(s, _)| s),
            self.wire.take().map(|(s, _)| s),
        ];
        for mut s in files.into_iter().flatten() {
            s.flush(true, &mut self.error);
            if let Some(e) = self.error.take() {
                return Err(e);
            }
            publisher.complete(s.name, s.file)?;
        }
        Ok(chart_inputs)
    }
}
