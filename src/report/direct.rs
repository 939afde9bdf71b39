//! Writing a streamed output file with direct I/O (`O_DIRECT`): whole,
//! aligned blocks go from the stream's buffer to the disk without passing
//! through the page cache.
//!
//! Why: a sick run's `events.jsonl` is over a gigabyte (and `wire.csv`
//! several). Written through the page cache, every byte is first copied into
//! a freshly allocated cache page, and on a VM whose host takes back the
//! guest's free memory (as on this project's machine) each such page must be
//! backed by the host first: with every output on, the starved 1,000-node
//! run's writer thread spent most of its time in that copy
//! (`copy_folio_from_iter_atomic`, a fifth of all samples), even with written
//! ranges dropped from the cache behind it ([`super::stream`]). Direct I/O
//! copies nothing: the disk reads the blocks from the stream's own buffer,
//! which stays backed for the whole run.
//!
//! The price is that a direct write waits for the disk. The record streams
//! have a thread of their own, and rendering a megabyte of JSON takes about as
//! long as a fast disk takes to write one, so the engine does not wait;
//! `wire.csv` is written on the engine's thread, where a direct write (about
//! half a millisecond per megabyte on this machine's disk) costs less than the
//! copy into fresh cache pages did. On a disk slower than the engine's output,
//! the buffered path waited too (for the writeback of the window before).
//!
//! Direct I/O needs the memory, the file offset and the length of each write
//! aligned to the device's block. Every write here is whole [`BLOCK`]s (4 KiB,
//! the largest logical block of common disks) from an address aligned to one:
//! the buffer's data begins past a few unused bytes, where its allocation
//! reaches an aligned address, and the bytes of a last partial block stay at
//! that start until more complete it. At the end, the file is switched back
//! to buffered I/O and that tail is written through the cache. Where the
//! filesystem refuses direct I/O, or refuses a write as misaligned (a device
//! with larger blocks), the file falls back to buffered writes of exactly the
//! bytes not yet written, so the file's bytes are the same either way.

use std::fs::File;
use std::io::{self, Write};

/// The alignment and unit of every direct write.
pub const BLOCK: usize = 4096;

/// How a stream's buffer is written around the page cache.
#[derive(Debug)]
pub struct DirectWriter {
    /// Where the data begins in the buffer: the bytes before only align it.
    start: usize,
    /// The file is open for direct I/O; false once it fell back (or finished).
    direct: bool,
}

impl DirectWriter {
    /// Switch `file` to direct I/O and align the start of `buf` (empty, with
    /// room for what will be written between two [`Self::write`]s); `None`
    /// if the file cannot do direct I/O (it stays buffered, as it was).
    pub fn open(file: &File, buf: &mut Vec<u8>) -> Option<DirectWriter> {
        assert!(buf.is_empty(), "BUG! direct I/O set up on a used buffer");
        if !set_direct(file, true) {
            return None;
        }
        let mut w = DirectWriter {
            start: 0,
            direct: true,
        };
        w.align(buf);
        Some(w)
    }

    /// Where the data begins in the buffer.
    pub fn start(&self) -> usize {
        self.start
    }

    /// Whether writes still go around the page cache.
    pub fn is_direct(&self) -> bool {
        self.direct
    }

    /// Write the data of `buf`: every whole block now, around the cache; the
    /// rest stays at the data's start until more bytes complete its block
    /// (or [`Self::finish`]).
    pub fn write(&mut self, file: &File, buf: &mut Vec<u8>) -> io::Result<()> {
        if !self.direct {
            (&*file).write_all(&buf[self.start..])?;
            buf.truncate(self.start);
            return Ok(());
        }
        if !(buf.as_ptr() as usize + self.start).is_multiple_of(BLOCK) {
            // The buffer grew and moved since it was aligned (a render that
            // ran past its room): align it again.
            self.align(buf);
        }
        let data = &buf[self.start..];
        let whole = data.len() / BLOCK * BLOCK;
        if whole > 0 {
            match write_blocks(file, &data[..whole]) {
                Ok(()) => {}
                Err((done, e)) if refused(&e) => {
                    // Not for direct I/O after all: the rest goes buffered.
                    self.go_buffered(file);
                    (&*file).write_all(&data[done..])?;
                    buf.truncate(self.start);
                    return Ok(());
                }
                Err((_, e)) => return Err(e),
            }
        }
        let end = buf.len();
        buf.copy_within(self.start + whole..end, self.start);
        buf.truncate(end - whole);
        Ok(())
    }

    /// Write the bytes of the last partial block through the page cache; the
    /// file is buffered from then on.
    pub fn finish(&mut self, file: &File, buf: &mut Vec<u8>) -> io::Result<()> {
        self.go_buffered(file);
        self.write(file, buf)
    }

    /// Write through the page cache from now on.
    fn go_buffered(&mut self, file: &File) {
        if self.direct {
            self.direct = false;
            set_direct(file, false);
        }
    }

    /// Move the data of `buf` so that it begins at an aligned address.
    fn align(&mut self, buf: &mut Vec<u8>) {
        let data = buf.split_off(self.start);
        buf.clear();
        // Room first: growing after measuring would move the buffer again.
        buf.reserve(BLOCK + data.len());
        let start = (BLOCK - buf.as_ptr() as usize % BLOCK) % BLOCK;
        buf.resize(start, 0);
        buf.extend_from_slice(&data);
        self.start = start;
    }
}

/// Write all of `blocks` (whole blocks, from an aligned address); on an
/// error, how many bytes went out before it.
fn write_blocks(file: &File, blocks: &[u8]) -> Result<(), (usize, io::Error)> {
    let mut done = 0;
    while done < blocks.len() {
        match (&*file).write(&blocks[done..]) {
            Ok(0) => return Err((done, io::ErrorKind::WriteZero.into())),
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err((done, e)),
        }
    }
    Ok(())
}

/// An error that says direct I/O is not possible here (not that the disk
/// failed): the bytes are then written buffered instead. `EINVAL` is what
/// Linux filesystems answer for a misaligned or unsupported direct write;
/// some network and FUSE filesystems answer `EOPNOTSUPP`.
fn refused(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::EINVAL | libc::EOPNOTSUPP))
}

/// Turn `O_DIRECT` on or off for `file`; whether the file now has it as asked.
#[cfg(target_os = "linux")]
fn set_direct(file: &File, on: bool) -> bool {
    use std::os::unix::io::AsRawFd;
    let fd = file.as_raw_fd();
    // SAFETY: fcntl on an open descriptor, reading and setting its flags only.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        if flags < 0 {
            return false;
        }
        let flags = if on {
            flags | libc::O_DIRECT
        } else {
            flags & !libc::O_DIRECT
        };
        libc::fcntl(fd, libc::F_SETFL, flags) == 0
    }
}

#[cfg(not(target_os = "linux"))]
fn set_direct(_file: &File, on: bool) -> bool {
    !on
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use std::fs::OpenOptions;
    use std::path::PathBuf;

    /// A new file `flapsim-{tag}-{pid}` in the system's temporary directory,
    /// open for reading and writing.
    pub(in crate::report) fn scratch_file(tag: &str) -> (PathBuf, File) {
        let path = std::env::temp_dir().join(format!("flapsim-{tag}-{}", std::process::id()));
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .unwrap();
        (path, file)
    }

    /// A scratch file switched to direct I/O, with an aligned buffer of
    /// `capacity`; `None` where the temporary directory refuses direct I/O
    /// (the test then has nothing to check).
    fn direct_file(tag: &str, capacity: usize) -> Option<(PathBuf, File, Vec<u8>, DirectWriter)> {
        let (path, file) = scratch_file(&format!("direct-{tag}"));
        let mut buf = Vec::with_capacity(capacity);
        let Some(w) = DirectWriter::open(&file, &mut buf) else {
            eprintln!("no direct I/O in {}", std::env::temp_dir().display());
            std::fs::remove_file(&path).unwrap();
            return None;
        };
        Some((path, file, buf, w))
    }

    /// Pseudo-random bytes in pieces of awkward sizes (none a whole block).
    fn pieces() -> Vec<Vec<u8>> {
        let mut x = 7u32;
        (0..300usize)
            .map(|piece| {
                (0..(piece * 733) % 11_000 + 1)
                    .map(|_| {
                        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                        (x >> 16) as u8
                    })
                    .collect()
            })
            .collect()
    }

    /// Rule: a file written in whole aligned blocks holds every byte given,
    /// in order, whatever sizes the writes come in, the buffer moving in
    /// memory included, and the last partial block is written at the end.
    #[test]
    fn direct_writes_keep_every_byte_in_order() {
        let Some((path, file, mut buf, mut w)) = direct_file("order", 3 * BLOCK) else {
            return;
        };
        let mut want = Vec::new();
        for (i, p) in pieces().iter().enumerate() {
            // Every fifth write grows the buffer past its room, which moves it.
            let times = if i % 5 == 0 { 4 } else { 1 };
            for _ in 0..times {
                buf.extend_from_slice(p);
                want.extend_from_slice(p);
            }
            w.write(&file, &mut buf).unwrap();
            assert!(w.is_direct(), "write {i} fell back");
            assert!(buf.len() - w.start() < BLOCK, "only a partial block held");
            assert_eq!((buf.as_ptr() as usize + w.start()) % BLOCK, 0);
        }
        w.finish(&file, &mut buf).unwrap();
        assert!(!w.is_direct(), "finished files are buffered again");
        assert_eq!(buf.len(), w.start(), "nothing left held");
        drop(file);
        let got = std::fs::read(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(got.len(), want.len());
        assert!(got == want);
    }

    /// Rule: when a direct write is refused, the file falls back to buffered
    /// writes of exactly the bytes not yet written.
    #[test]
    fn a_refused_direct_write_falls_back_without_losing_or_repeating_bytes() {
        let Some((path, file, mut buf, mut w)) = direct_file("fallback", 4 * BLOCK) else {
            return;
        };
        let p = pieces();
        // Two whole blocks and a part: the blocks go out directly.
        let first = &p[13];
        assert!(first.len() > 2 * BLOCK && first.len() < 3 * BLOCK);
        buf.extend_from_slice(first);
        w.write(&file, &mut buf).unwrap();
        assert_eq!(buf.len() - w.start(), first.len() - 2 * BLOCK);
        // Misalign the file offset behind the writer's back (one byte written
        // buffered): the next whole-block direct write is refused.
        set_direct(&file, false);
        (&file).write_all(b"!").unwrap();
        set_direct(&file, true);
        let mut after = Vec::new();
        for piece in &p[14..40] {
            buf.extend_from_slice(piece);
            w.write(&file, &mut buf).unwrap();
            after.extend_from_slice(piece);
        }
        assert!(!w.is_direct(), "the misaligned write fell back");
        w.finish(&file, &mut buf).unwrap();
        drop(file);
        let got = std::fs::read(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        // The blocks that went out directly, the stray byte, then everything
        // held or written since, once each.
        let mut want = first[..2 * BLOCK].to_vec();
        want.push(b'!');
        want.extend_from_slice(&first[2 * BLOCK..]);
        want.extend_from_slice(&after);
        assert_eq!(got.len(), want.len());
        assert!(got == want);
    }
}
