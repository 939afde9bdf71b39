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
/// warming reads). A prefetch retires at once. Elsewhere than x86-64 (where
/// stable Rust has no prefetch), nothing is asked.
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
    let _ = r;
}
