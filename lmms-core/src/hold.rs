//! The holds a call takes on a module's value, and what keeps the value alive under them:
//! *pinned* on the calling thread's record (blocking calls, slow and fast path) or
//! *counted* in the cell's `active` (async calls, and calls nested too deep to pin). See
//! [`crate::cell`] for the protocol they take part in.

use crate::cell::ModuleCell;
use crate::sync::AtomicPtr;
use std::sync::atomic::Ordering::{Acquire, Release};

/// A counted hold on a resident value (async calls, and blocking calls that cannot pin).
/// Dropping it ends the call. Only the runtime makes one.
#[doc(hidden)]
pub struct ModuleGuard<T: 'static> {
    pub(crate) cell: &'static ModuleCell<T>,
    pub(crate) value: *mut T,
}

// SAFETY: the guard hands out `&T` only; `T: Sync` makes sharing it across threads sound,
// and moving the guard moves a pointer and a `&'static` whose cell is `Sync`.
unsafe impl<T: Sync> Send for ModuleGuard<T> {}
// SAFETY: as above, `&ModuleGuard<T>` only exposes `&T`.
unsafe impl<T: Sync> Sync for ModuleGuard<T> {}

impl<T> ModuleGuard<T> {
    /// The cell this call runs in.
    pub(crate) fn cell(&self) -> &'static ModuleCell<T> {
        self.cell
    }
}

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
        self.cell.active.fetch_sub(1, Release);
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

/// A hold pinned on the calling thread's record (slow and fast path). Not `Send`: the pin
/// belongs to this thread. Dropping it unpins. Crate-private: pins nest, so they must be
/// dropped in reverse order of pinning, which the runtime's scoped calls guarantee.
pub(crate) struct Pinned<T> {
    value: *const T,
    depth: usize,
    rec: &'static crate::local::ThreadRecord,
}

impl<T> Pinned<T> {
    /// Pins module `index` on `rec`, light fence, loads `from`. `None` (unpinned) if it is
    /// null or the thread's pins are all in use. `strong_fence`: no membarrier in this
    /// process, so the caller's side must be a full fence ([`crate::zafp::strong_fences`]).
    #[inline(always)]
    pub(crate) fn pin(
        from: &AtomicPtr<T>,
        rec: &'static crate::local::ThreadRecord,
        index: u32,
        strong_fence: bool,
    ) -> Option<Self> {
        let depth = rec.pin(index)?;
        crate::zafp::light_fence(strong_fence);
        let value = from.load(Acquire);
        if value.is_null() {
            rec.unpin(depth);
            return None;
        }
        Some(Pinned { value, depth, rec })
    }
}

impl<T> std::ops::Deref for Pinned<T> {
    type Target = T;
    #[inline(always)]
    fn deref(&self) -> &T {
        // SAFETY: the value was loaded non-null after this thread pinned its module behind
        // a light fence. An unload stores null (and empties the fast-path slots), runs the
        // heavy fence and backs off while any thread pins the module (see this module's
        // docs), so the value stays alive until `drop` clears the pin with `Release`.
        unsafe { &*self.value }
    }
}

impl<T> Drop for Pinned<T> {
    #[inline(always)]
    fn drop(&mut self) {
        self.rec.unpin(self.depth);
    }
}
