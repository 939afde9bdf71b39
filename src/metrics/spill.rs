//! Records written to disk during a run and read back after it.
//!
//! Why: the charts' post-passes (`timeline`) need the run's membership changes
//! in order, and their time columns depend on when the run's last event fell,
//! so they cannot be folded into fixed aggregates while the run goes. Keeping
//! those records in memory during the run would put them on top of the engine's
//! own state; spilling them to a file and reading them back once the engine is
//! gone keeps the run's peak memory independent of them.
//!
//! Format: per record, `at` (u64 LE), `node` (u32 LE), then `0` and the event's
//! bytes ([`Event::encode`]) or `1` and a truth byte, then a class byte (0: none,
//! else bit 0 set and bits 1–3 the flags). Only this process writes and reads
//! the file; a record that does not decode is reported as a corrupt file.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::engine::Truth;
use crate::protocol::event::{take, FieldBytes};
use crate::protocol::Event;

use super::{Class, Record, What};

/// Append `r`'s bytes to `out`.
pub fn encode(r: &Record, out: &mut Vec<u8>) {
    r.at.put(out);
    r.node.put(out);
    match r.what {
        What::Protocol(ev) => {
            out.push(0);
            ev.encode(out);
        }
        What::Truth(t) => {
            out.push(1);
            out.push(match t {
                Truth::Up => 0,
                Truth::Crashed => 1,
                Truth::Left => 2,
                Truth::Degraded(false) => 3,
                Truth::Degraded(true) => 4,
            });
        }
    }
    out.push(match r.class {
        None => 0,
        Some(c) => {
            1 | u8::from(c.subject_up) << 1
                | u8::from(c.subject_degraded) << 2
                | u8::from(c.observer_degraded) << 3
        }
    });
}

/// Read one record written by [`encode`] from the front of `bytes`.
pub fn decode(bytes: &mut &[u8]) -> Option<Record> {
    let at = u64::take(bytes)?;
    let node = u32::take(bytes)?;
    let what = match take::<1>(bytes)?[0] {
        0 => What::Protocol(Event::decode(bytes)?),
        1 => What::Truth(match take::<1>(bytes)?[0] {
            0 => Truth::Up,
            1 => Truth::Crashed,
            2 => Truth::Left,
            3 => Truth::Degraded(false),
            4 => Truth::Degraded(true),
            _ => return None,
        }),
        _ => return None,
    };
    let c = take::<1>(bytes)?[0];
    let class = match c {
        0 => None,
        _ if c & 1 == 1 && c < 16 => Some(Class {
            subject_up: c & 2 != 0,
            subject_degraded: c & 4 != 0,
            observer_degraded: c & 8 != 0,
        }),
        _ => return None,
    };
    Some(Record {
        at,
        node,
        what,
        class,
    })
}

/// Every record of the file at `path`, in order.
pub fn read_all(path: &Path) -> io::Result<Vec<Record>> {
    let mut records = Vec::new();
    for_each(path, |r| records.push(*r))?;
    Ok(records)
}

/// Bytes read at a time.
const CHUNK: usize = 1 << 16;

/// The most a cut record can hold: more left undecoded is a corrupt file.
const MAX_CUT: usize = 1024;

/// Call `f` with every record of the file at `path`, in order, holding one
/// chunk of the file in memory (so a pass over a long run's records costs no
/// more memory than a short one's). Returns how many records there were. A
/// cut or corrupt file is an error, after `f` has seen the records before
/// the damage.
pub fn for_each(path: &Path, mut f: impl FnMut(&Record)) -> io::Result<usize> {
    let corrupt = || {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}: corrupt record file", path.display()),
        )
    };
    let mut file = File::open(path)?;
    let mut count = 0;
    // One buffer, read into after the cut record left from the last read
    // (at most `MAX_CUT` bytes): every byte is copied once, from the kernel.
    let mut buf = vec![0u8; CHUNK + MAX_CUT];
    let mut filled = 0;
    loop {
        let n = file.read(&mut buf[filled..])?;
        if n == 0 {
            break;
        }
        filled += n;
        let mut rest = &buf[..filled];
        loop {
            let mut try_rest = rest;
            match decode(&mut try_rest) {
                Some(r) => {
                    f(&r);
                    count += 1;
                    rest = try_rest;
                }
                // A record cut by the chunk end: read more.
                None => break,
            }
        }
        let used = filled - rest.len();
        buf.copy_within(used..filled, 0);
        filled -= used;
        if filled > MAX_CUT {
            return Err(corrupt());
        }
    }
    if filled == 0 {
        Ok(count)
    } else {
        Err(corrupt())
    }
}

/// A run's chart records left in their spill file: read in passes
/// ([`super::Metrics::for_each_record`]) instead of held in memory.
#[derive(Debug)]
pub struct Spilled {
    path: PathBuf,
    count: usize,
    /// The first failure of a pass (only a file changed under us fails: the
    /// run wrote it whole); whoever publishes what the passes computed must
    /// ask [`Spilled::failure`].
    failure: OnceLock<String>,
}

impl Spilled {
    /// The `count` records a run wrote to `path`, as its writer counted them.
    ///
    /// Why no pass to check them here: the charts read the records in passes
    /// anyway, and each pass checks what it reads (a cut or corrupt record,
    /// or a number of records other than `count`), keeping the first failure
    /// for whoever publishes ([`Spilled::failure`]). A separate check pass
    /// decoded a sick 1,000-node run's 5 M records once more for nothing.
    pub fn written(path: PathBuf, count: usize) -> Spilled {
        Spilled {
            path,
            count,
            failure: OnceLock::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// One pass over the records; a failure (a cut or corrupt file, or not
    /// the number of records written) is kept for [`Spilled::failure`].
    pub fn for_each(&self, f: impl FnMut(&Record)) {
        let failure = match for_each(&self.path, f) {
            Err(e) => format!("{}: {e}", self.path.display()),
            Ok(read) if read != self.count => format!(
                "{}: {read} records read where {} were written",
                self.path.display(),
                self.count
            ),
            Ok(_) => return,
        };
        let _ = self.failure.set(failure);
    }

    /// Why a pass failed, if one did: what it computed is incomplete.
    pub fn failure(&self) -> Option<&str> {
        self.failure.get().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::State;

    /// Rule: records read back exactly, across chunk boundaries; a cut file is
    /// an error, not a shorter list, and so is a file longer than written.
    #[test]
    fn records_round_trip_through_the_file() {
        let mut records = Vec::new();
        for i in 0..20_000u32 {
            records.push(Record {
                at: u64::from(i) * 1_000_003,
                node: i % 7,
                what: match i % 3 {
                    0 => What::Truth(Truth::Degraded(i % 2 == 0)),
                    1 => What::Protocol(Event::MemberDown {
                        subject: i % 5,
                        incarnation: i,
                        from: 3,
                        state: State::Dead,
                    }),
                    _ => What::Protocol(Event::HealthScore { score: i % 9 }),
                },
                class: (i % 3 == 1).then_some(Class {
                    subject_up: i % 2 == 0,
                    subject_degraded: true,
                    observer_degraded: false,
                }),
            });
        }
        let mut bytes = Vec::new();
        for r in &records {
            encode(r, &mut bytes);
        }
        let dir = std::env::temp_dir().join(format!("flapsim-spill-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("records");
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(read_all(&path).unwrap(), records);
        std::fs::write(&path, &bytes[..bytes.len() - 3]).unwrap();
        assert_eq!(
            read_all(&path).unwrap_err().kind(),
            io::ErrorKind::InvalidData
        );
        let cut = Spilled::written(path.clone(), records.len());
        cut.for_each(|_| {});
        assert!(
            cut.failure().is_some_and(|f| f.contains("corrupt")),
            "a cut file is refused"
        );

        // Rule: a spill is read in passes, each checking the file against the
        // count written; a pass that fails (the file changed under us) is
        // remembered, never silent.
        std::fs::write(&path, &bytes).unwrap();
        let spilled = Spilled::written(path.clone(), records.len());
        assert_eq!(spilled.len(), records.len());
        let mut seen = 0;
        spilled.for_each(|r| {
            assert_eq!(*r, records[seen]);
            seen += 1;
        });
        assert_eq!((seen, spilled.failure()), (records.len(), None));
        let mut longer = bytes.clone();
        encode(&records[0], &mut longer);
        std::fs::write(&path, &longer).unwrap();
        let extended = Spilled::written(path.clone(), records.len());
        extended.for_each(|_| {});
        assert!(
            extended
                .failure()
                .is_some_and(|f| f.contains("20001 records read where 20000 were written")),
            "{:?}",
            extended.failure()
        );
        std::fs::remove_file(&path).unwrap();
        spilled.for_each(|_| panic!("no record from a missing file"));
        assert!(spilled.failure().is_some_and(|f| f.contains("records")));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
