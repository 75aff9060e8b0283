//! The asymmetric fence that lets a call pin a module without a full fence.
//!
//! The light/heavy pair: on Linux the heavy side is
//! `membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)`, which makes every running thread of the
//! process execute a full barrier, so the light side (the caller's, on every call) needs
//! only a compiler fence. Either the unloader sees the caller's pin, or the caller sees the
//! unloader's null (the store-buffer litmus test is forbidden with a full fence on both
//! sides). Where `membarrier` is unavailable (and under loom and miri), both sides are
//! `fence(SeqCst)`.
//!
//! # Registering late
//!
//! The process must register for expedited membarriers before using them, and with other
//! threads alive the registration waits for an RCU grace period (milliseconds: 9 ms
//! measured under a tokio runtime with its workers started). So it is not done when the
//! gateway starts — a cold start's first call would pay it — but at the first moment the
//! light fence pays off: the first unload that needs the heavy fence ([`heavy_fence`]) or
//! the first fast-path promotion ([`register`], called by `FastSlot::fill`), whichever
//! comes first — or, for a process whose calls stay on the slow path (never promoted,
//! never unloading), in the background once one thread made [`REGISTER_AFTER_CALLS`]
//! slow calls of one operation ([`register_soon`]): no call waits for it. Until then both
//! sides are full fences. Why mixing the two is sound:
//!
//! 1. A caller picks its side by reading `MEMBARRIER` ([`strong_fences`]); it is set only
//!    after the registration succeeded and never cleared. A caller that read `false` runs
//!    `fence(SeqCst)`: that pairs with either heavy side (a full fence, or a membarrier,
//!    which is at least one), so its pin is covered whenever the registration happens.
//! 2. A caller that read `true` runs a compiler fence: it is covered only if every unload
//!    racing it runs the membarrier. Every [`heavy_fence`] first goes through the
//!    registration's `Once` — running it, waiting for it, or finding it done, each of which
//!    makes the outcome visible (the `Once` orders its completion before every return of
//!    `call_once`) — and then uses the membarrier whenever the registration succeeded. So
//!    no heavy fence is a plain fence once a caller can see `true`: there is no pair of a
//!    compiler fence and a plain fence.
//! 3. A fast-path word takes the light side — it is cleared of its `OFF` flag, which lets
//!    the inlined entry take it — only in an out-of-line call that read `true` here
//!    (`FastWord::enter_out_of_line`), so point 2 covers its inlined pins; a word that read
//!    `false` stays out of line, with a full fence, and reads the flag again at its next
//!    call. `FastSlot::fill` calls [`register`] first, so a promotion settles the side its
//!    callers will find.

use crate::sync::fence;
use std::sync::atomic::{compiler_fence, AtomicBool as StdAtomicBool, Ordering::*};

static MEMBARRIER: StdAtomicBool = StdAtomicBool::new(false);

/// The registration, run at most once (see the module docs for when).
#[cfg(all(target_os = "linux", not(loom), not(miri)))]
static REGISTRATION: std::sync::Once = std::sync::Once::new();

/// `membarrier(cmd, 0)`; whether it succeeded.
#[cfg(all(target_os = "linux", not(loom), not(miri)))]
fn membarrier(cmd: libc::c_long) -> bool {
    // SAFETY: the membarrier syscall takes two integers and touches no memory of ours; a
    // kernel without it (or a sandbox that forbids it) returns an error, which callers
    // treat as "no barrier was made".
    unsafe { libc::syscall(libc::SYS_membarrier, cmd, 0 as libc::c_long) == 0 }
}

/// Registers the process for expedited membarriers, once; later calls return at once
/// (after waiting for a registration in progress on another thread). Without it both sides
/// of the asymmetric fence stay full fences. Called by the first promotion and by every
/// heavy fence — never at gateway start (its cost grows with the threads alive).
pub(crate) fn register() {
    #[cfg(all(target_os = "linux", not(loom), not(miri)))]
    REGISTRATION.call_once(|| {
        const MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED: libc::c_long = 1 << 4;
        if membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) {
            MEMBARRIER.store(true, SeqCst);
        }
    });
}

/// A thread's slow-path calls of one operation after which the registration starts in the
/// background ([`register_soon`]): a process past its first calls, whose slow-path pins
/// would otherwise pay a full fence each.
pub(crate) const REGISTER_AFTER_CALLS: u64 = 256;

/// Starts the registration on a thread of its own, once, unless it already happened: the
/// slow path asks for it after [`REGISTER_AFTER_CALLS`] calls. A thread that cannot be
/// started leaves the registration to the first unload or promotion, as before.
#[cold]
pub(crate) fn register_soon() {
    #[cfg(all(target_os = "linux", not(loom), not(miri)))]
    {
        static ASKED: StdAtomicBool = StdAtomicBool::new(false);
        if MEMBARRIER.load(Relaxed) || ASKED.swap(true, Relaxed) {
            return;
        }
        let _ = std::thread::Builder::new()
            .name("lmms-membarrier".into())
            .spawn(register);
    }
}

/// Whether the light fence is a compiler fence: the process registered for `membarrier`.
/// The registration happens at the first unload that needs the heavy fence, the first
/// fast-path promotion, or in the background after a thread's first 256 slow-path calls
/// of one operation — not at gateway start — so this is `false` until then.
///
/// ```
/// let _ = lmms::gateway();
/// assert!(!lmms::membarrier_active(), "a started gateway has not registered yet");
/// ```
pub fn membarrier_active() -> bool {
    MEMBARRIER.load(Relaxed)
}

/// Whether the caller's side of the asymmetric fence must be a full fence (membarrier not
/// registered, yet or at all). Once `false`, `false` for good (see the module docs for why
/// a pin taken while it was `true` stays covered).
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
/// slot emptying visible to the thread that pinned. Costs a syscall (and the first time,
/// the registration): run only when unloading a module whose holds must be checked.
/// `false` if the barrier could not be made (the caller must then treat the module as
/// possibly in use).
pub(crate) fn heavy_fence() -> bool {
    #[cfg(all(target_os = "linux", not(loom), not(miri)))]
    {
        // Settled before deciding which side to run (point 2 of the module docs): never a
        // plain fence once a caller may have run a compiler fence.
        register();
        if MEMBARRIER.load(SeqCst) {
            const MEMBARRIER_CMD_PRIVATE_EXPEDITED: libc::c_long = 1 << 3;
            return membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED);
        }
    }
    fence(SeqCst);
    true
}
