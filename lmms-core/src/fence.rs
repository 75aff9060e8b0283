//! The asymmetric fence that lets a call pin a module without a full fence.
//!
//! The light/heavy pair: on Linux the heavy side is
//! `membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)`, which makes every running thread of the
//! process execute a full barrier, so the light side (the caller's, on every call) needs
//! only a compiler fence. Either the unloader sees the caller's pin, or the caller sees the
//! unloader's null (the store-buffer litmus test is forbidden with a full fence on both
//! sides). Where `membarrier` is unavailable (and under loom and miri), both sides are
//! `fence(SeqCst)`.

use crate::sync::fence;
use std::sync::atomic::{compiler_fence, AtomicBool as StdAtomicBool, Ordering::*};

static MEMBARRIER: StdAtomicBool = StdAtomicBool::new(false);

/// `membarrier(cmd, 0)`; whether it succeeded.
#[cfg(all(target_os = "linux", not(loom), not(miri)))]
fn membarrier(cmd: libc::c_long) -> bool {
    // SAFETY: the membarrier syscall takes two integers and touches no memory of ours; a
    // kernel without it (or a sandbox that forbids it) returns an error, which callers
    // treat as "no barrier was made".
    unsafe { libc::syscall(libc::SYS_membarrier, cmd, 0 as libc::c_long) == 0 }
}

/// Registers the process for expedited membarriers (once, at gateway start). Without it
/// both sides of the asymmetric fence stay full fences.
pub(crate) fn init_fences() {
    #[cfg(all(target_os = "linux", not(loom), not(miri)))]
    {
        const MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED: libc::c_long = 1 << 4;
        if membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) {
            MEMBARRIER.store(true, SeqCst);
        }
    }
}

/// Whether the light fence is a compiler fence (membarrier available).
pub fn membarrier_active() -> bool {
    MEMBARRIER.load(Relaxed)
}

/// Whether the caller's side of the asymmetric fence must be a full fence (membarrier is
/// unavailable). Fixed at gateway start, before any call can pin.
#[inline(always)]
pub(crate) fn strong_fences() -> bool {
    !MEMBARRIER.load(Relaxed)
}

/// The caller's side of the asymmetric fence: a compiler fence when the unloader's side is
/// a membarrier, else a full fence.
#[inline(always)]
pub(crate) fn light_fence(strong: bool) {
    if strong {
        fence(SeqCst);
    } else {
        compiler_fence(SeqCst);
    }
}

/// Makes every pin written before a light fence visible here, or this thread's earlier
/// slot emptying visible to the thread that pinned. Costs a syscall: run only when
/// unloading a module whose slot was filled. `false` if the barrier could not be made
/// (the caller must then treat the module as possibly in use).
pub(crate) fn heavy_fence() -> bool {
    #[cfg(all(target_os = "linux", not(loom), not(miri)))]
    if MEMBARRIER.load(SeqCst) {
        // The process registered for this command in `init_fences`.
        const MEMBARRIER_CMD_PRIVATE_EXPEDITED: libc::c_long = 1 << 3;
        return membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED);
    }
    fence(SeqCst);
    true
}
