//! A value taken out of its cell by an unload ([`RawCell::detach`]), and its drop: exactly
//! once, with no runtime lock held, on whichever thread finishes it.

use super::{Phase, RawCell, Reclaimed};
use crate::memory;

/// A module value taken out of its cell, dropped by [`Detached::finish`] (or its own drop)
/// exactly once.
pub(crate) struct Detached {
    pub(super) cell: &'static RawCell,
    /// Null once dropped.
    pub(super) value: *mut (),
}

// SAFETY: a `Detached` owns its value exclusively (the cell is DROPPING: no call holds it
// and none can load it, see `RawCell::detach`), as a `Box<T>` would, and the value's type
// is `Send` (a `RawCell` only ever holds a `T: Send + Sync`, see its invariant); the cell
// is a `&'static` of a `Sync` type. So it may be finished on another thread.
unsafe impl Send for Detached {}

impl Detached {
    /// Drops the value (its `Drop` runs here, with no runtime lock held) and returns the
    /// heap bytes that freed.
    pub(crate) fn finish(mut self) -> Reclaimed {
        self.drop_value()
    }

    fn drop_value(&mut self) -> Reclaimed {
        let value = std::mem::replace(&mut self.value, std::ptr::null_mut());
        if value.is_null() {
            return Reclaimed::default();
        }
        let drop_value = self.cell.drop_value;
        let bytes = memory::attribute_free_to(|| {
            // A panicking `Drop` must not leave the cell DROPPING: contain it, and its
            // payload's own `Drop` too (`contain::discard`).
            let _ = crate::contain::contain(move || {
                // SAFETY: `value` came from `Box::into_raw` of the cell's type when the
                // build was published (`boxed`), and `drop_value` drops that type. The
                // cell is DROPPING: `value` is null there, no fast-path slot holds it
                // (`fast_refs` was zero), no ticket was out, and after the heavy fence no
                // thread pinned the module and `active` was zero, so by the protocol in
                // the cell's docs no call holds it and none can load it again. The
                // pointer was replaced by null above, so it is dropped exactly once.
                unsafe { drop_value(value) }
            });
        });
        self.cell.dropped();
        Reclaimed { bytes }
    }

    /// Names `thread` as the one that will call [`Detached::finish`] (the drop thread): an
    /// operation of the module called from its `Drop` there gets `Error::ModuleUnloading`,
    /// a call on any other thread (the detaching one included) waits for the drop.
    pub(crate) fn hand_to(&self, thread: crate::sync::ThreadId) {
        // Waiters wake up to see whose drop it is now: `thread` itself may be one of them.
        self.cell.settle(|st| {
            if let Phase::Dropping(_) = st.phase {
                st.phase = Phase::Dropping(thread);
            }
        });
    }
}

impl Drop for Detached {
    fn drop(&mut self) {
        self.drop_value();
    }
}
