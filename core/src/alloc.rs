//! [`Allocator`]: the allocator the bindings install (feature `mimalloc`). This crate installs
//! none; a Rust program chooses its own. Why the bindings use it: a call's buffers are allocated
//! on the runtime thread and freed on the caller's, which the system allocator serves with locks
//! and arena hand-offs (docs/decisions.md, decision 11).

use std::alloc::{GlobalAlloc, Layout};
use std::sync::atomic::{AtomicBool, Ordering};

use mimalloc::MiMalloc;

/// mimalloc, committing memory as it is used. mimalloc's default on Linux commits a whole arena
/// at once, which costs about 4 MB of RSS from its first allocation on (an idle client's goal is
/// 2 MB). `MIMALLOC_EAGER_COMMIT` and `MIMALLOC_ARENA_EAGER_COMMIT` in the environment still win.
///
/// ```ignore
/// #[global_allocator]
/// static ALLOCATOR: noorle::alloc::Allocator = noorle::alloc::Allocator;
/// ```
pub struct Allocator;

/// `mi_option_eager_commit` and `mi_option_arena_eager_commit`: their indices in `mi_option_e`
/// (mimalloc.h, v2), which the sys crate does not name.
const EAGER_COMMIT: libmimalloc_sys::mi_option_t = 3;
const ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;

static CONFIGURED: AtomicBool = AtomicBool::new(false);

/// Runs before every allocation: a thread that has not yet seen the flag sets the options itself,
/// so no allocation precedes them (the first one reserves memory).
#[inline(always)]
fn configure() {
    if !CONFIGURED.load(Ordering::Relaxed) {
        configure_now();
    }
}

#[cold]
fn configure_now() {
    // SAFETY: writes two entries of mimalloc's option table, each unless the environment set
    // it; allocates nothing.
    unsafe {
        libmimalloc_sys::mi_option_set_default(EAGER_COMMIT, 0);
        libmimalloc_sys::mi_option_set_default(ARENA_EAGER_COMMIT, 0);
    }
    CONFIGURED.store(true, Ordering::Relaxed);
}

// SAFETY: every method is MiMalloc's; `configure` allocates nothing.
// Not inlined: under fat LTO each of the binary's allocation sites would get its own copy of the
// check (+72 KB in the Node addon), for a call that costs about a nanosecond.
unsafe impl GlobalAlloc for Allocator {
    #[inline(never)]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        configure();
        // SAFETY: the caller's contract, passed on.
        unsafe { MiMalloc.alloc(layout) }
    }

    #[inline(never)]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        configure();
        // SAFETY: as above.
        unsafe { MiMalloc.alloc_zeroed(layout) }
    }

    #[inline(never)]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above (`ptr` came from `alloc`, after `configure`).
        unsafe { MiMalloc.dealloc(ptr, layout) }
    }

    #[inline(never)]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as above.
        unsafe { MiMalloc.realloc(ptr, layout, new_size) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocates_and_sets_the_option() {
        let layout = Layout::from_size_align(100, 8).expect("layout");
        // SAFETY: a non-zero layout; the block is freed with the same one.
        unsafe {
            let p = Allocator.alloc_zeroed(layout);
            assert!(!p.is_null());
            assert!(std::slice::from_raw_parts(p, 100).iter().all(|b| *b == 0));
            let p = Allocator.realloc(p, layout, 4000);
            assert!(!p.is_null());
            Allocator.dealloc(p, Layout::from_size_align(4000, 8).expect("layout"));
        }
        assert!(CONFIGURED.load(Ordering::Relaxed));
        for (option, var) in [
            (EAGER_COMMIT, "MIMALLOC_EAGER_COMMIT"),
            (ARENA_EAGER_COMMIT, "MIMALLOC_ARENA_EAGER_COMMIT"),
        ] {
            if std::env::var_os(var).is_none() {
                // SAFETY: reads the option table.
                assert_eq!(
                    unsafe { libmimalloc_sys::mi_option_get(option) },
                    0,
                    "{var}"
                );
            }
        }
    }
}
