//! The compile-time description of an operation and its per-operation runtime state
//! (registry index, fast-path slot), as statics emitted by `#[lmms::operation]`.

use crate::cell::Module;
use crate::error::Error;
use crate::sync::{maybe_const, AtomicU32};
use crate::zafp::FastSlot;
use serde_json::Value;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// A boxed future, as dynamic async calls return.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// How an operation is reached by [`crate::execute`].
#[doc(hidden)]
#[derive(Clone, Copy)]
pub enum Dynamic {
    /// `dynamic = false`.
    Off,
    Sync(fn(Value) -> Result<Value, Error>),
    Async(fn(Value) -> BoxFuture<Result<Value, Error>>),
}

/// What `#[lmms::operation]` knows at compile time.
#[doc(hidden)]
pub struct OpMeta {
    pub interface: &'static str,
    pub op: &'static str,
    pub fn_name: &'static str,
    pub file: &'static str,
    pub line: u32,
    pub params: &'static [&'static str],
    pub is_async: bool,
    pub dynamic: Dynamic,
    /// `cache_ttl` in milliseconds.
    pub cache_ttl_ms: Option<u64>,
}

/// Runtime counters of one operation, shared by both kinds of operation statics.
#[doc(hidden)]
pub struct OpCommon {
    pub meta: OpMeta,
    pub(crate) index: AtomicU32,
    pub(crate) cache_hits: AtomicU64,
    pub(crate) cache_misses: AtomicU64,
    /// Live result-cache entries (kept exact by `crate::cache`).
    pub(crate) cache_entries: std::sync::atomic::AtomicUsize,
}

impl OpCommon {
    maybe_const! {
        /// Runtime state for `meta`.
        fn new(meta: OpMeta) -> Self {
            Self { meta, index: AtomicU32::new(u32::MAX), cache_hits: AtomicU64::new(0), cache_misses: AtomicU64::new(0), cache_entries: std::sync::atomic::AtomicUsize::new(0) }
        }
    }

    /// Index in the registry (`u32::MAX` before the gateway starts).
    #[inline]
    pub(crate) fn index(&self) -> usize {
        self.index.load(Relaxed) as usize
    }

    pub(crate) fn key(&self) -> String {
        format!("{}.{}", self.meta.interface, self.meta.op)
    }
}

/// An operation that runs on module `T`'s state.
#[doc(hidden)]
pub struct Operation<T> {
    pub common: OpCommon,
    pub(crate) slot: FastSlot<T>,
}

impl<T: Module> Operation<T> {
    maybe_const! {
        /// The static for one `#[lmms::operation(module = T)]`.
        fn new(meta: OpMeta) -> Self {
            Self { common: OpCommon::new(meta), slot: FastSlot::new() }
        }
    }
}

/// An operation without module state.
#[doc(hidden)]
pub struct StatelessOperation {
    pub common: OpCommon,
}

impl StatelessOperation {
    maybe_const! {
        /// The static for one `#[lmms::operation]` without `module`.
        fn new(meta: OpMeta) -> Self {
            Self { common: OpCommon::new(meta) }
        }
    }
}
