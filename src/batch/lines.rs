//! Result files read one line at a time, and written beside their target
//! until they are complete.
//!
//! Why: a sweep of 10⁶ runs has result files of hundreds of megabytes (and
//! gigabytes with long axis values); reading them whole, as the finishing
//! step and `merge` did, held all of it in memory at once. A line longer than
//! any the sweep can write is refused as soon as it passes the cap, so a
//! hostile file of one 10 GB line costs the cap, not 10 GB.

use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Take, Write};
use std::path::{Path, PathBuf};

use super::manifest::open_regular;
use crate::report::atomic::unique_suffix;
pub use crate::report::atomic::Staged;

/// Why a line could not be read.
#[derive(Debug)]
pub enum LineError {
    /// The file could not be read.
    Io(String),
    /// A line past the cap: not a line flapsim writes (bad input).
    TooLong(String),
}

impl LineError {
    pub fn message(self) -> String {
        match self {
            LineError::Io(m) | LineError::TooLong(m) => m,
        }
    }
}

/// The complete lines of a regular file, each at most `cap` bytes (without
/// its newline). Bytes after the last newline (a torn last line) are not a
/// line: [`Lines::torn`] says whether there were any.
pub struct Lines {
    reader: BufReader<Take<File>>,
    path: PathBuf,
    cap: usize,
    /// Complete lines read.
    line: usize,
    /// Bytes of the complete lines read, newlines included.
    offset: u64,
    buf: Vec<u8>,
    torn: bool,
}

impl Lines {
    /// Open `path` (only a regular file, only the bytes it held when opened).
    pub fn open(path: &Path, cap: usize) -> io::Result<Lines> {
        Lines::open_at(path, cap, 0, 0, 64 * 1024)
    }

    /// Open `path` at `offset`, the end of its line `line`, with a read buffer
    /// of `capacity` bytes.
    pub fn open_at(
        path: &Path,
        cap: usize,
        offset: u64,
        line: usize,
        capacity: usize,
    ) -> io::Result<Lines> {
        let mut file = open_regular(path)?;
        let len = file.limit();
        file.get_mut().seek(SeekFrom::Start(offset))?;
        file.set_limit(len.saturating_sub(offset));
        Ok(Lines {
            reader: BufReader::with_capacity(capacity, file),
            path: path.to_path_buf(),
            cap,
            line,
            offset,
            buf: Vec::new(),
            torn: false,
        })
    }

    /// The next complete line, without its newline; `None` at the end.
    pub fn next_line(&mut self) -> Result<Option<&[u8]>, LineError> {
        self.buf.clear();
        loop {
            let avail = match self.reader.fill_buf() {
                Ok(a) => a,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(LineError::Io(format!(
                        "reading {}: {e}",
                        self.path.display()
                    )))
                }
            };
            if avail.is_empty() {
                self.torn = !self.buf.is_empty();
                return Ok(None);
            }
            let (take, done) = match avail.iter().position(|&b| b == b'\n') {
                Some(i) => (i, true),
                None => (avail.len(), false),
            };
            if self.buf.len() + take > self.cap {
                return Err(LineError::TooLong(format!(
                    "{}:{}: line longer than {} bytes, more than any line of this sweep's results can be: not a result row",
                    self.path.display(),
                    self.line + 1,
                    self.cap
                )));
            }
            self.buf.extend_from_slice(&avail[..take]);
            self.reader.consume(take + usize::from(done));
            if done {
                self.line += 1;
                self.offset += self.buf.len() as u64 + 1;
                return Ok(Some(&self.buf));
            }
        }
    }

    /// The line [`Lines::next_line`] gave last, still held (to locate an
    /// error in it once it is known to be one, without keeping a copy of
    /// every line).
    pub fn last_line(&self) -> &[u8] {
        &self.buf
    }

    /// Complete lines read so far.
    pub fn line(&self) -> usize {
        self.line
    }

    /// Bytes of the complete lines read so far.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// After [`Lines::next_line`] gave `None`: did bytes without a newline end
    /// the file?
    pub fn torn(&self) -> bool {
        self.torn
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// A file of records written once and read back once, in `dir` but
/// unlinked as soon as it is created, so nothing is left of it whatever
/// stops the process. For what is too big to hold and is needed again later
/// in the same order (`points.csv`'s lines before the Pareto front is known).
pub struct Scratch {
    w: io::BufWriter<File>,
    records: usize,
}

impl Scratch {
    pub fn create(dir: &Path) -> io::Result<Scratch> {
        let path = dir.join(format!(".flapsim-scratch.{}.tmp", unique_suffix()));
        let file = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)?;
        fs::remove_file(&path)?;
        Ok(Scratch {
            w: io::BufWriter::with_capacity(256 * 1024, file),
            records: 0,
        })
    }

    /// Append one record (any bytes, newlines too).
    pub fn push(&mut self, record: &[u8]) -> io::Result<()> {
        self.w.write_all(&(record.len() as u64).to_le_bytes())?;
        self.w.write_all(record)?;
        self.records += 1;
        Ok(())
    }

    pub fn records(&self) -> usize {
        self.records
    }

    /// Read the records back in order, each handed to `each`.
    pub fn replay(self, each: &mut dyn FnMut(usize, &[u8]) -> io::Result<()>) -> io::Result<()> {
        let mut file = self.w.into_inner().map_err(|e| e.into_error())?;
        file.seek(SeekFrom::Start(0))?;
        let mut r = BufReader::with_capacity(256 * 1024, file);
        let mut rec = Vec::new();
        for i in 0..self.records {
            let mut len = [0u8; 8];
            r.read_exact(&mut len)?;
            rec.resize(u64::from_le_bytes(len) as usize, 0);
            r.read_exact(&mut rec)?;
            each(i, &rec)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch_dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("flapsim-lines-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn complete_lines_are_read_and_a_torn_tail_is_not_a_line() {
        let d = scratch_dir("torn");
        let p = d.join("f");
        fs::write(&p, "ab\n\ncd\nef").unwrap();
        let mut l = Lines::open_at(&p, 10, 0, 0, 2).unwrap();
        let mut got = Vec::new();
        while let Some(line) = l.next_line().unwrap() {
            got.push(String::from_utf8(line.to_vec()).unwrap());
        }
        assert_eq!(got, ["ab", "", "cd"]);
        assert!(l.torn());
        assert_eq!((l.line(), l.offset()), (3, 7));
        let mut again = Lines::open_at(&p, 10, 4, 2, 8).unwrap();
        assert_eq!(again.next_line().unwrap(), Some(&b"cd"[..]));
        fs::remove_dir_all(&d).unwrap();
    }

    /// Rule: a line longer than the cap is refused once the cap is passed,
    /// naming the file and the line, without reading the rest of it.
    #[test]
    fn a_line_past_the_cap_is_refused_naming_file_and_line() {
        let d = scratch_dir("cap");
        let p = d.join("results.jsonl");
        fs::write(&p, format!("ok\n{}\n", "x".repeat(100))).unwrap();
        let mut l = Lines::open_at(&p, 16, 0, 0, 4).unwrap();
        assert_eq!(l.next_line().unwrap(), Some(&b"ok"[..]));
        match l.next_line() {
            Err(LineError::TooLong(m)) => {
                assert!(m.contains("results.jsonl:2:"), "{m}");
                assert!(l.buf.len() <= 16 + 4, "held {}", l.buf.len());
            }
            other => panic!("{other:?}"),
        }
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn scratch_records_come_back_in_order_and_leave_no_file() {
        let d = scratch_dir("scratch");
        let mut s = Scratch::create(&d).unwrap();
        for r in ["a,b", "", "quoted \"x\ny\""] {
            s.push(r.as_bytes()).unwrap();
        }
        assert_eq!(fs::read_dir(&d).unwrap().count(), 0);
        let mut got = Vec::new();
        s.replay(&mut |i, r| {
            got.push((i, String::from_utf8(r.to_vec()).unwrap()));
            Ok(())
        })
        .unwrap();
        assert_eq!(got[2], (2, "quoted \"x\ny\"".to_string()));
        assert_eq!(got.len(), 3);
        fs::remove_dir_all(&d).unwrap();
    }
}
