//! The holds a call takes on a module's value, and what keeps the value alive under them:
//! *pinned* on the calling thread's record (blocking calls, slow and fast path) or
//! *counted* in the cell's `active` (async calls, and calls nested too deep to pin). See
//! [`crate::cell`] for the protocol they take part in.

pub(crate) use crate::local::Pinned;
use crate::sync::AtomicUsize;
use std::sync::atomic::Ordering::Release;

/// A counted hold on a resident value (async calls, and blocking calls that cannot pin).
/// Dropping it ends the call. Only the runtime makes one.
#[doc(hidden)]
pub struct ModuleGuard<T: 'static> {
    /// The cell's count of counted holds.
    pub(crate) active: &'static AtomicUsize,
    pub(crate) value: *mut T,
}

// SAFETY: the guard hands out `&T` only; `T: Sync` makes sharing it across threads sound,
// and moving the guard moves a pointer and a `&'static` atomic.
unsafe impl<T: Sync> Send for ModuleGuard<T> {}
// SAFETY: as above, `&ModuleGuard<T>` only exposes `&T`.
unsafe impl<T: Sync> Sync for ModuleGuard<T> {}

impl<T> std::ops::Deref for ModuleGuard<T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: `value` was loaded non-null after `active` was incremented and a SeqCst
        // fence; by the protocol in this module's docs, no unload can drop it until this
        // guard's drop decrements `active`.
        unsafe { &*self.value }
    }
}

impl<T> Drop for ModuleGuard<T> {
    #[inline]
    fn drop(&mut self) {
        // `Release`: the call's use of the value happens before an unload that reads zero.
        self.active.fetch_sub(1, Release);
    }
}

/// A blocking call's hold on a module's value: pinned on the calling thread, or counted.
/// Crate-private: a pin must be released in the order it was taken, which only the
/// runtime's own scoped calls guarantee.
pub(crate) enum Hold<T: 'static> {
    Pinned(Pinned<T>),
    Counted(ModuleGuard<T>),
}

impl<T> std::ops::Deref for Hold<T> {
    type Target = T;
    #[inline(always)]
    fn deref(&self) -> &T {
        match self {
            Hold::Pinned(p) => p,
            Hold::Counted(g) => g,
        }
    }
}
