//! Running a child process and reading what it prints, within a bound.
//!
//! Why: `bench --against` runs whatever file the user names. A wrong file
//! (one that prints forever, like `yes`) must end in a message, not fill the
//! memory: reading every byte a child printed, as `Command::output` does, took
//! 5 GB in 6 s with `--against` a script that runs `yes`. A bench prints a few
//! lines, so each stream is read up to [`MAX_STREAM`] bytes and only the lines
//! asked for are kept, each up to [`MAX_LINE`] bytes; a child that prints more
//! is killed and its run refused.

use std::io::{self, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;

/// Bytes read from one stream of a child before it is killed (a bench prints
/// under a kilobyte; a full `--outputs` list adds a few lines).
pub const MAX_STREAM: u64 = 4 << 20;

/// Bytes kept of one line; the rest of a longer line is read and dropped.
pub const MAX_LINE: usize = 16 << 10;

/// What a child printed, as far as its caller asked.
#[derive(Debug)]
pub struct Captured {
    pub status: ExitStatus,
    /// The first line of standard output that the caller's test accepted.
    pub line: Option<String>,
    /// The last non-empty line of standard error.
    pub last_error_line: Option<String>,
}

/// Why a child's output could not be captured.
#[derive(Debug)]
pub enum CaptureError {
    /// The child could not be started.
    Spawn(io::Error),
    /// The child printed more than [`MAX_STREAM`] bytes on `stream`
    /// (`"stdout"` or `"stderr"`); it was killed.
    TooMuch { stream: &'static str },
    /// Reading its output or waiting for it failed.
    Io(io::Error),
}

/// Run `cmd` to its end (standard input closed) and keep the first line of
/// its standard output that `wanted` accepts and the last non-empty line of
/// its standard error.
pub fn run_bounded(cmd: &mut Command, wanted: fn(&str) -> bool) -> Result<Captured, CaptureError> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(CaptureError::Spawn)?;
    let out = child.stdout.take().expect("stdout is piped");
    let err = child.stderr.take().expect("stderr is piped");
    // Both streams are read at once, each by its own thread: a child that
    // fills one pipe while the other is read would otherwise never end.
    let (done_tx, done) = mpsc::channel::<Option<&'static str>>();
    let err_done = done_tx.clone();
    let out_reader = thread::spawn(move || {
        let mut first = None;
        let read = scan_lines(out, |line| {
            if first.is_none() && wanted(line) {
                first = Some(line.to_string());
            }
        });
        let _ = done_tx.send(matches!(read, Ok(Scan::TooMuch)).then_some("stdout"));
        read.map(|_| first)
    });
    let err_reader = thread::spawn(move || {
        let mut last = None;
        let read = scan_lines(err, |line| {
            if !line.trim().is_empty() {
                last = Some(line.trim().to_string());
            }
        });
        let _ = err_done.send(matches!(read, Ok(Scan::TooMuch)).then_some("stderr"));
        read.map(|_| last)
    });
    for _ in 0..2 {
        if let Ok(Some(stream)) = done.recv() {
            // Killed, the child stops writing. The other reader is left to
            // end with the process: a grandchild may still hold that pipe.
            kill(&mut child);
            let _ = child.wait();
            return Err(CaptureError::TooMuch { stream });
        }
    }
    let line = out_reader.join().expect("stdout reader panicked");
    let last_error_line = err_reader.join().expect("stderr reader panicked");
    let status = child.wait().map_err(CaptureError::Io)?;
    Ok(Captured {
        status,
        line: line.map_err(CaptureError::Io)?,
        last_error_line: last_error_line.map_err(CaptureError::Io)?,
    })
}

fn kill(child: &mut Child) {
    // It may have ended already: then there is nothing to kill.
    let _ = child.kill();
}

/// How reading a stream ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scan {
    /// At its end, within the bound.
    Ended,
    /// Past [`MAX_STREAM`] bytes: reading stopped there.
    TooMuch,
}

/// Call `each` with every line of `stream` (lossy UTF-8, without its line
/// end, cut to [`MAX_LINE`] bytes), reading at most [`MAX_STREAM`] bytes.
fn scan_lines(mut stream: impl Read, mut each: impl FnMut(&str)) -> io::Result<Scan> {
    let mut chunk = [0u8; 8192];
    let mut line: Vec<u8> = Vec::new();
    let mut total: u64 = 0;
    loop {
        let n = match stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        total += n as u64;
        if total > MAX_STREAM {
            return Ok(Scan::TooMuch);
        }
        for &b in &chunk[..n] {
            if b == b'\n' {
                emit(&mut line, &mut each);
            } else if line.len() < MAX_LINE {
                line.push(b);
            }
        }
    }
    if !line.is_empty() {
        emit(&mut line, &mut each);
    }
    Ok(Scan::Ended)
}

fn emit(line: &mut Vec<u8>, each: &mut impl FnMut(&str)) {
    let text = String::from_utf8_lossy(line);
    each(text.strip_suffix('\r').unwrap_or(&text));
    line.clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_of(bytes: &[u8]) -> (Scan, Vec<String>) {
        let mut lines = Vec::new();
        let scan = scan_lines(bytes, |l| lines.push(l.to_string())).expect("in memory");
        (scan, lines)
    }

    #[test]
    fn lines_are_split_and_the_last_needs_no_line_end() {
        let (scan, lines) = lines_of(b"one\r\ntwo\n\nthree");
        assert_eq!(scan, Scan::Ended);
        assert_eq!(lines, ["one", "two", "", "three"]);
    }

    #[test]
    fn a_long_line_is_cut_and_the_next_one_kept() {
        let mut bytes = vec![b'x'; MAX_LINE * 3];
        bytes.extend_from_slice(b"\nnext\n");
        let (scan, lines) = lines_of(&bytes);
        assert_eq!(scan, Scan::Ended);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].len(), MAX_LINE);
        assert_eq!(lines[1], "next");
    }

    #[test]
    fn reading_stops_past_the_bound() {
        // An endless stream: the reader must stop by itself.
        let endless = io::repeat(b'y');
        let mut seen = 0usize;
        let scan = scan_lines(endless, |_| seen += 1).expect("in memory");
        assert_eq!(scan, Scan::TooMuch);
        assert_eq!(seen, 0, "a line without its end is never complete");
    }
}
