//! `tracing` events for load, unload, promotion and demotion (feature `tracing`); no-ops
//! without it.

#[cfg(feature = "tracing")]
mod imp {
    pub(crate) fn loaded(module: &str, bytes: Option<u64>) {
        tracing::info!(target: "lmms", module, bytes, "LIGS load");
    }
    pub(crate) fn unloaded(module: &str, bytes: Option<u64>) {
        tracing::info!(target: "lmms", module, bytes, "LUGS unload");
    }
    pub(crate) fn promoted(op: &str, calls: u64) {
        tracing::info!(target: "lmms", op, calls, "ZAFP promotion");
    }
    pub(crate) fn demoted(op: &str, calls: u64) {
        tracing::info!(target: "lmms", op, calls, "ZAFP demotion");
    }
}

#[cfg(not(feature = "tracing"))]
mod imp {
    pub(crate) fn loaded(_: &str, _: Option<u64>) {}
    pub(crate) fn unloaded(_: &str, _: Option<u64>) {}
    pub(crate) fn promoted(_: &str, _: u64) {}
    pub(crate) fn demoted(_: &str, _: u64) {}
}

pub(crate) use imp::*;
