//! Opening a file the user named as input, without ever blocking on it.
//!
//! Why: `open(2)` of a named pipe (FIFO) waits until something opens it for
//! writing, so `mkfifo p.yaml; flapsim run p.yaml` (or `validate`, `sweep`,
//! `compare`, `diagnose`, or a `chart-data.json` that is a FIFO) hung forever
//! before any message. Every input is therefore opened without blocking and
//! looked at before it is read:
//!
//! - a regular file is read as it is;
//! - a pipe is read as `cat` reads it, until its writer closes it, once it
//!   has a writer: standard input through `/dev/stdin`, process substitution
//!   `<(zcat a.log.gz)`, or a FIFO whose writer opened it before or after us.
//!   A pipe with no writer is waited on for [`WRITER_WAIT_MS`] at most (so
//!   `flapsim run p & producer > p` works in either order); if nothing opens it
//!   for writing by then it is refused, naming the file (exit 2). The wait is
//!   for input to exist, never part of a result: what is read does not depend
//!   on when it arrives.
//! - a directory, a device (`/dev/tty`, `/dev/zero`, a disk) or a socket is
//!   refused with what it is: none is a file a scenario, a log or a data file
//!   comes in (a terminal would wait for typing; `/dev/zero` never ends).
//!
//! The files flapsim writes and reads back (a sweep's `manifest.json`, result
//! files, the data files a redraw carries into its new set) go through
//! [`open_regular`] ([`open_regular_to_append`] to append to them): they are
//! refused at once unless regular, saying what they are ([`what_it_is`]).

use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::os::unix::io::AsRawFd;
use std::path::Path;

/// How long a pipe with no writer is waited on for one, in milliseconds:
/// time for a writer started just before or after flapsim (`flapsim run p &
/// cat s.yaml > p`) to open it, short enough that a forgotten writer is said
/// promptly.
pub const WRITER_WAIT_MS: i32 = 5_000;

/// An input opened for reading: a regular file or a pipe with a writer.
#[derive(Debug)]
pub struct Input {
    file: File,
    /// A regular file's length when opened; `None` for a pipe.
    len: Option<u64>,
    /// The byte a pipe's writer check took from it, given back first.
    first: Option<u8>,
}

impl Input {
    /// The open file (for its metadata: a pipe's next read is `read`'s).
    pub fn file(&self) -> &File {
        &self.file
    }

    /// A regular file's length when opened (its true size); `None` for a
    /// pipe, whose length is known only by reading it to its end.
    pub fn regular_len(&self) -> Option<u64> {
        self.len
    }
}

impl Read for Input {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if let Some(b) = self.first.take() {
            buf[0] = b;
            return Ok(1);
        }
        self.file.read(buf)
    }
}

/// Open `path` to read it: a regular file, or a pipe once it has a writer
/// (waiting [`WRITER_WAIT_MS`] at most for one). Anything else, and a pipe
/// no one writes to, is an [`io::ErrorKind::InvalidInput`] error saying what
/// the path is (the caller names the path).
pub fn open(path: &Path) -> io::Result<Input> {
    let file = open_nonblocking(path, not_a_file)?;
    let meta = file.metadata()?;
    let kind = meta.file_type();
    if kind.is_file() {
        set_blocking(&file)?;
        return Ok(Input {
            file,
            len: Some(meta.len()),
            first: None,
        });
    }
    if kind.is_fifo() {
        let first = wait_for_writer(&file)?;
        set_blocking(&file)?;
        return Ok(Input {
            file,
            len: None,
            first,
        });
    }
    Err(not_a_file(&kind))
}

/// Open `path` only if it is a regular file: what flapsim wrote and reads
/// back (a `manifest.json` or `results.jsonl` replaced by a FIFO, a link to
/// `/dev/zero` or a pipe, is refused without waiting or reading).
pub fn open_regular(path: &Path) -> io::Result<File> {
    regular(open_nonblocking(path, not_regular)?)
}

/// Open `path` to append to it, created if missing, only if it is a regular
/// file: a result file flapsim wrote and goes on writing (a sweep's
/// `results.jsonl`). Why: `open(2)` for writing waits, like one for reading,
/// until a FIFO has a reader, so `sweep --resume` hung on a FIFO in place of
/// its results; opened without blocking and looked at, it is refused as
/// [`open_regular`] refuses it. One open: what is checked is what is written.
pub fn open_regular_to_append(path: &Path) -> io::Result<File> {
    let file = OpenOptions::new()
        .append(true)
        .create(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| said_as_what_it_is(e, path, not_regular))?;
    regular(file)
}

/// `file` (opened non-blocking) in blocking mode if it is a regular file;
/// refused, saying what it is, if not.
fn regular(file: File) -> io::Result<File> {
    let kind = file.metadata()?.file_type();
    if !kind.is_file() {
        return Err(not_regular(&kind));
    }
    set_blocking(&file)?;
    Ok(file)
}

/// What `kind` is, as a refusal of a file flapsim wrote.
fn not_regular(kind: &std::fs::FileType) -> io::Error {
    invalid(format!(
        "{}, not a regular file (flapsim writes only regular files here)",
        what_it_is(kind)
    ))
}

fn invalid(message: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message.into())
}

/// What a file of type `kind` is, as a refusal says it (`a socket`): the
/// one wording for every file flapsim refuses to read or carry.
pub fn what_it_is(kind: &std::fs::FileType) -> &'static str {
    if kind.is_file() {
        "a regular file"
    } else if kind.is_dir() {
        "a directory"
    } else if kind.is_symlink() {
        "a symbolic link"
    } else if kind.is_fifo() {
        "a pipe (FIFO)"
    } else if kind.is_char_device() {
        "a character device (a terminal, /dev/null, /dev/zero…)"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "not a regular file or a pipe"
    }
}

/// What `kind` is, as a refusal.
fn not_a_file(kind: &std::fs::FileType) -> io::Error {
    invalid(format!("{}, not a file", what_it_is(kind)))
}

/// `open(2)` with `O_NONBLOCK`: a FIFO opens at once, writer or not. Opening
/// a socket fails with `ENXIO` ("No such device or address"): said as what
/// it is, by `refusal`.
fn open_nonblocking(path: &Path, refusal: Refusal) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| said_as_what_it_is(e, path, refusal))
}

/// How a file that is not one to read is refused: by what its type is.
type Refusal = fn(&std::fs::FileType) -> io::Error;

/// `ENXIO` ("No such device or address": opening a socket, or a FIFO for
/// writing with no reader) said as what `path` is, by `refusal`.
fn said_as_what_it_is(e: io::Error, path: &Path, refusal: Refusal) -> io::Error {
    if e.raw_os_error() == Some(libc::ENXIO) {
        if let Ok(m) = std::fs::metadata(path) {
            return refusal(&m.file_type());
        }
    }
    e
}

/// Clear `O_NONBLOCK` again: once a file is known to be readable its reads
/// block as any reader's do (a pipe's writer sets the pace, as for `cat`).
fn set_blocking(file: &File) -> io::Result<()> {
    let fd = file.as_raw_fd();
    // SAFETY: fcntl on a descriptor `file` owns, with integer arguments.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: as above.
    if unsafe { libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Wait until the pipe `file` (opened non-blocking) has, or has had, a
/// writer. A non-blocking read tells which it is without waiting: a byte
/// (there is data: it is kept and returned, to be read first), "would
/// block" (a writer is connected and has written nothing yet: its pace from
/// here on), or end of file (no writer now). Only the last waits: `poll`
/// wakes when a writer writes or opens and closes again (Linux reports the
/// hang-up only of a writer that came after this reader opened), else
/// [`WRITER_WAIT_MS`] pass and the pipe is refused.
fn wait_for_writer(file: &File) -> io::Result<Option<u8>> {
    let mut byte = [0u8; 1];
    loop {
        match (&*file).read(&mut byte) {
            Ok(1) => return Ok(Some(byte[0])),
            Ok(_) => break,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    let mut pfd = libc::pollfd {
        fd: file.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd, for the call's duration.
    match unsafe { libc::poll(&mut pfd, 1, WRITER_WAIT_MS) } {
        0 => Err(invalid(format!(
            "a pipe with no writer: nothing opened it to write within {} s (start the writer first, or give a regular file)",
            WRITER_WAIT_MS / 1000
        ))),
        n if n < 0 => {
            let e = io::Error::last_os_error();
            Err(if e.kind() == io::ErrorKind::Interrupted {
                io::Error::new(
                    io::ErrorKind::Interrupted,
                    "interrupted while waiting for a writer to the pipe",
                )
            } else {
                e
            })
        }
        // Data, or a writer came and went (an empty input): the reads say.
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> std::path::PathBuf {
        let d =
            std::env::temp_dir().join(format!("flapsim-input-file-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn mkfifo(path: &Path) {
        use std::os::unix::ffi::OsStrExt;
        let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
    }

    /// Rule: a FIFO whose writer opens it after the reader is read whole,
    /// the byte taken by the writer check first.
    #[test]
    fn a_fifo_whose_writer_comes_later_is_read_whole() {
        let d = scratch("later");
        let p = d.join("f");
        mkfifo(&p);
        let writer = {
            let p = p.clone();
            std::thread::spawn(move || std::fs::write(&p, b"duration: 1s\n").unwrap())
        };
        let mut text = String::new();
        open(&p).unwrap().read_to_string(&mut text).unwrap();
        writer.join().unwrap();
        assert_eq!(text, "duration: 1s\n");
        let _ = std::fs::remove_dir_all(&d);
    }

    /// Rule: a directory or a device is refused as what it is.
    #[test]
    fn directories_and_devices_are_refused_as_what_they_are() {
        let e = open(Path::new("/")).unwrap_err();
        assert!(e.to_string().contains("a directory"), "{e}");
        let e = open(Path::new("/dev/null")).unwrap_err();
        assert!(e.to_string().contains("character device"), "{e}");
        let e = open_regular(Path::new("/dev/zero")).unwrap_err();
        assert!(e.to_string().contains("not a regular file"), "{e}");
    }
}
