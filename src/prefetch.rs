//! Asking for a cache line ahead of its use.
//!
//! A thousand nodes' state does not fit in cache, so handling an event
//! mostly waits on memory. Where the lines an event will read are known
//! before it needs them, they are asked for first, together, so that their
//! misses overlap. Nothing here reads what the program sees: results
//! cannot change.

/// Ask for the cache line holding `r`, without waiting for it.
///
/// Why an instruction rather than a read: a read that misses holds back
/// every instruction after it from retiring until it arrives, so warming
/// a packet's dozen lines by reading them still stalled the handler behind
/// the slowest (perf put a quarter of the broadcast queue's samples on its
/// warming reads). A prefetch retires at once. Elsewhere than x86-64, where
/// stable Rust has no prefetch, the line is read (`touch`): its miss
/// still overlaps the others asked for, as all warming did before.
#[inline(always)]
pub fn prefetch<T>(r: &T) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        // SAFETY: `_mm_prefetch` needs SSE, which every x86-64 processor
        // has (it is in the target's baseline). A prefetch only hints the
        // cache: it reads nothing the program sees and cannot fault.
        unsafe { _mm_prefetch::<_MM_HINT_T0>((r as *const T).cast::<i8>()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    touch(r);
}

/// Read the first byte of `r` and throw it away (kept by `black_box`). Read
/// as a `MaybeUninit` byte, since it may be padding.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
#[inline(always)]
fn touch<T>(r: &T) {
    if std::mem::size_of::<T>() == 0 {
        return;
    }
    // SAFETY: `r` is a live, non-zero-sized reference, so its first byte is
    // in bounds and readable; a `MaybeUninit<u8>` has no invalid values and
    // no alignment to keep.
    let byte =
        unsafe { std::ptr::read_volatile((r as *const T).cast::<std::mem::MaybeUninit<u8>>()) };
    std::hint::black_box(byte);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fallback compiles and runs here too, on a value with padding and
    /// on a zero-sized one, and changes neither.
    #[test]
    fn touching_reads_nothing_the_program_sees() {
        struct Padded {
            small: u8,
            wide: u64,
        }
        let padded = Padded { small: 3, wide: 7 };
        touch(&padded);
        touch(&());
        prefetch(&padded);
        assert_eq!((padded.small, padded.wide), (3, 7));
    }
}
