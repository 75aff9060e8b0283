//! `tracing` events for load, unload, promotion and demotion (feature `tracing`); no-ops
//! without it. Callers emit them with no runtime lock held and inside `catch_unwind`: a
//! subscriber is user code, which may panic or call back into the gateway.

#[cfg(feature = "tracing")]
mod imp {
    pub(crate) fn loaded(module: &str, bytes: Option<u64>) {
        tracing::info!(target: "lmms", module, bytes, "LIGS load");
    }
    pub(crate) fn unloaded(module: &str, bytes: Option<u64>) {
        tracing::info!(target: "lmms", module, bytes, "LUGS unload");
    }
    pub(crate) fn promoted(op: &str) {
        tracing::info!(target: "lmms", op, "ZAFP promotion");
    }
    pub(crate) fn demoted(op: &str) {
        tracing::info!(target: "lmms", op, "ZAFP demotion");
    }
}

#[cfg(not(feature = "tracing"))]
mod imp {
    pub(crate) fn loaded(_: &str, _: Option<u64>) {}
    pub(crate) fn unloaded(_: &str, _: Option<u64>) {}
    pub(crate) fn promoted(_: &str) {}
    pub(crate) fn demoted(_: &str) {}
}

pub(crate) use imp::*;
