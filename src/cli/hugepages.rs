//! The process's allocator: the system's (glibc malloc), with the memory it
//! grows marked for transparent huge pages.
//!
//! Why: a large cluster's state is read at random. A thousand nodes' member
//! views, broadcast queues, suspicions and pending events span over a
//! hundred megabytes, touched a few cache lines at a time in no order, so
//! with 4 KiB pages nearly every such read also misses the TLB (and under a
//! hypervisor each miss walks two page tables). With 2 MiB pages the same
//! memory needs a few dozen TLB entries. The starved 1,000-node bench costs
//! about a tenth less CPU (README, "Speed").
//!
//! Most Linux machines (Debian, Ubuntu, RHEL) set transparent huge pages to
//! `madvise`: only memory a process marks with `madvise(MADV_HUGEPAGE)` gets
//! them, and glibc marks none unless the user sets
//! `GLIBC_TUNABLES=glibc.malloc.hugetlb=1`. This allocator does what that
//! tunable does, without asking the user: after each allocation, the part of
//! the heap glibc has just grown (`brk`) is marked, and so is any allocation of
//! at least [`MARK_FROM`] (glibc maps those apart from the heap). Where huge
//! pages are `never` the kernel ignores the marks; where they are `always`
//! they are redundant; off Linux there are none.
//!
//! At most [`MARK_AT_MOST`] is marked: see there.
//!
//! Nothing here reaches a result: which pages back the memory changes how
//! fast it is read, never what is read.
//!
//! Only the main thread's heap grows by `brk`; the threads of a batch get
//! glibc arenas of their own, which are not marked (their runs are small).

use std::alloc::{GlobalAlloc, Layout, System};
#[cfg(target_os = "linux")]
use std::sync::atomic::{AtomicUsize, Ordering};

/// The system allocator, marking what it grows for huge pages.
pub struct HugePageHeap;

/// A huge page on x86-64 and aarch64 with 4 KiB base pages.
#[cfg(target_os = "linux")]
const HUGE_PAGE: usize = 2 << 20;

/// Allocations this large are marked on their own: glibc serves them with
/// `mmap`, outside the heap `brk` grows, and they span whole huge pages.
#[cfg(target_os = "linux")]
const MARK_FROM: usize = 2 * HUGE_PAGE;

/// How much glibc grows the heap by at least (its `M_TOP_PAD`; default
/// 128 KiB). The kernel backs only whole, aligned 2 MiB blocks that lie
/// inside one marked mapping with a huge page, and each growth marked is a
/// mapping of its own, so small growths would hold none. Growing 32 MiB at a
/// time leaves at most one partial block at each end. It is address space,
/// not memory: pages are backed when first touched.
#[cfg(target_os = "linux")]
const GROW_BY: usize = 16 * HUGE_PAGE;

/// The most heap marked (counted from where it stood at the first
/// allocation), and the most memory of large allocations marked, each.
///
/// Why a bound: a huge page costs more to touch the first time, and on a VM
/// whose host takes back the guest's free memory (Firecracker's and
/// virtio-balloon's free page reporting, as on this project's machine) much
/// more: the host must back all 2 MiB at once. A run reads its state many
/// times, so for a 1,000-node sick cluster (under 200 MB) the TLB misses
/// saved outweigh it. A 10,000-node cluster allocates 1.3 GB of views
/// first, and over 60 simulated seconds touches most of it too few times:
/// marked whole, it took 2–3 s more kernel time to fault in (6.5 s against
/// 4.7 s in all, measured alternating with an unmarked build). Marking its
/// first 256 MiB only keeps it as fast as unmarked.
#[cfg(target_os = "linux")]
const MARK_AT_MOST: usize = 256 << 20;

/// How much free memory glibc keeps at the top of the heap before giving it
/// back to the kernel (its `M_TRIM_THRESHOLD`; default 128 KiB, raised by
/// glibc as large blocks are freed).
///
/// Why: a sick cluster's queues and tables grow and shrink by megabytes as
/// suspicions come and go. With the default, glibc gave the top back after
/// each shrink, and what grew there next was a new mapping the kernel had to
/// back and zero again, a huge page at a time: on the starved 1,000-node
/// bench over 30 s, zeroing pages (`clear_page_erms`) was 9 % of one profile
/// (1.8 % with the top kept), and kernel time ranged 0.03–0.38 s from run to
/// run (0.05–0.09 s kept). Keeping up to the marked bound free costs no
/// memory the run did not already hold at its peak; a larger shrink (a
/// 10,000-node run's views freed) is still given back.
///
/// Setting it also stops glibc from raising its mmap threshold by itself, so
/// blocks of 128 KiB and more are always mapped apart from the heap (and given
/// back when freed): measured, that costs nothing here (peak RSS unchanged,
/// 120 MB at 30 s), where letting the heap serve them as well held 11 MB more.
/// Tried again over the starved bench's 120 s, with the heap serving every
/// block below [`MARK_FROM`] (`M_MMAP_THRESHOLD`): the radix heap's large
/// buckets, freed after each redistribution, then came back without being
/// zeroed, and page faults fell from 26,200 to 8,500 (system time from up to
/// 0.37 s to 0.07 s), but the run's CPU did not fall beyond the machine's
/// noise (1.031 of the shipped build's in `bench --against`, 0.991 over
/// eight runs in turn) while its peak grew from 138 to 164 MB. So the
/// default stays.
#[cfg(target_os = "linux")]
const KEEP_FREE_AT_TOP: usize = MARK_AT_MOST;

/// The program break at the first allocation (0 before it): the heap is
/// marked from here up to [`MARK_AT_MOST`] above it.
#[cfg(target_os = "linux")]
static HEAP_START: AtomicUsize = AtomicUsize::new(0);

/// How far the heap has been marked: the program break when last seen (0
/// before the first allocation).
#[cfg(target_os = "linux")]
static MARKED_UP_TO: AtomicUsize = AtomicUsize::new(0);

/// Memory of large allocations marked so far.
#[cfg(target_os = "linux")]
static MARKED_APART: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to `System` unchanged; the marking only
// advises the kernel about memory the process already maps.
unsafe impl GlobalAlloc for HugePageHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        mark_growth(p, layout.size());
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(layout);
        mark_growth(p, layout.size());
        p
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        mark_growth(p, new_size);
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        #[cfg(target_os = "linux")]
        follow_break();
    }
}

/// Mark what an allocation may have grown: the heap's new top, or the
/// allocation itself when glibc mapped it apart.
#[cfg(target_os = "linux")]
#[inline]
fn mark_growth(p: *mut u8, size: usize) {
    if p.is_null() {
        return;
    }
    if size >= MARK_FROM && MARKED_APART.fetch_add(size, Ordering::Relaxed) < MARK_AT_MOST {
        advise(p as usize, size);
    }
    follow_break();
}

#[cfg(not(target_os = "linux"))]
#[inline]
fn mark_growth(_p: *mut u8, _size: usize) {}

/// Mark the heap up to the program break, and keep track of it when glibc
/// gives the top back to the kernel (it does when a free leaves more than
/// its trim threshold free at the top): what grows there again is a new
/// mapping, unmarked.
///
/// Threads race only to a missed marking (pages as before), never to an
/// error: glibc grows and trims under its own lock, and this runs after.
#[cfg(target_os = "linux")]
#[inline]
fn follow_break() {
    // SAFETY: `sbrk(0)` only reads the current program break.
    let brk = unsafe { libc::sbrk(0) } as usize;
    let marked = MARKED_UP_TO.load(Ordering::Relaxed);
    if brk == marked || brk == usize::MAX {
        return;
    }
    if MARKED_UP_TO
        .compare_exchange(marked, brk, Ordering::Relaxed, Ordering::Relaxed)
        .is_err()
    {
        return;
    }
    if marked == 0 {
        // The first allocation: let glibc grow the heap [`GROW_BY`] at a
        // time, and mark nothing yet: what is below the break now is a few
        // pages of start-up.
        HEAP_START.store(brk, Ordering::Relaxed);
        // SAFETY: mallopt only sets tunables of glibc's allocator.
        unsafe {
            libc::mallopt(libc::M_TOP_PAD, GROW_BY as libc::c_int);
            libc::mallopt(libc::M_TRIM_THRESHOLD, KEEP_FREE_AT_TOP as libc::c_int);
        }
        return;
    }
    let end = brk.min(
        HEAP_START
            .load(Ordering::Relaxed)
            .saturating_add(MARK_AT_MOST),
    );
    if end > marked {
        advise(marked, end - marked);
    }
}

/// `madvise(MADV_HUGEPAGE)` over the pages of `[start, start + len)`. Its
/// result is ignored: where huge pages are not built in the kernel refuses,
/// and the memory is used as it is.
#[cfg(target_os = "linux")]
fn advise(start: usize, len: usize) {
    const PAGE: usize = 4096;
    let first = start & !(PAGE - 1);
    let end = (start + len + PAGE - 1) & !(PAGE - 1);
    // SAFETY: the range lies within mappings this process owns (the heap
    // below the break, or a live allocation); the advice changes how they
    // are backed, never their contents.
    unsafe {
        libc::madvise(first as *mut libc::c_void, end - first, libc::MADV_HUGEPAGE);
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// The `VmFlags` line of the mapping of this process holding `addr`.
    fn vm_flags_at(addr: usize) -> String {
        let smaps = std::fs::read_to_string("/proc/self/smaps").expect("Linux has smaps");
        let mut inside = false;
        for line in smaps.lines() {
            if let Some((range, _)) = line.split_once(' ') {
                if let Some((lo, hi)) = range.split_once('-') {
                    if let (Ok(lo), Ok(hi)) =
                        (usize::from_str_radix(lo, 16), usize::from_str_radix(hi, 16))
                    {
                        inside = (lo..hi).contains(&addr);
                        continue;
                    }
                }
            }
            if inside && line.starts_with("VmFlags:") {
                return line.to_string();
            }
        }
        panic!("no mapping holds {addr:#x}");
    }

    /// A large allocation through the allocator is marked for huge pages
    /// (`hg` in its mapping's flags), its contents are what was written, and
    /// it is freed like any other.
    #[test]
    fn a_large_allocation_is_marked_for_huge_pages() {
        let size = 8 * HUGE_PAGE;
        let layout = Layout::from_size_align(size, 64).expect("layout");
        // SAFETY: a non-zero layout, written within bounds, freed once.
        unsafe {
            let p = HugePageHeap.alloc_zeroed(layout);
            assert!(!p.is_null());
            let flags = vm_flags_at(p as usize + size / 2);
            if std::path::Path::new("/sys/kernel/mm/transparent_hugepage").exists() {
                assert!(flags.split_whitespace().any(|f| f == "hg"), "{flags}");
            }
            p.add(size - 1).write(7);
            assert_eq!(*p.add(size - 1), 7);
            assert_eq!(*p.add(size / 2), 0);
            HugePageHeap.dealloc(p, layout);
        }
    }
}
