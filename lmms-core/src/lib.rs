//! Runtime of [`lmms`](https://docs.rs/lmms): the registry, the gateway, LIGS (lazy
//! build), LUGS (safe unload), ZAFP (fast path), the result cache and memory figures.
//!
//! Applications depend on the `lmms` facade, which re-exports this crate and the
//! attribute macros; generated code reaches this crate only through `lmms::__private`.

#![warn(missing_docs)]
// `ModuleCell::new`, `FastSlot::new`, `OpCache::new` are const constructors for the statics
// generated code declares; a `Default` impl would add nothing but API surface.
#![allow(clippy::new_without_default)]

// First: its `serialize_struct!` and `serialize_unit_enum!` are used by the modules below.
#[macro_use]
mod serialize;

mod args;
mod build;
mod cache;
mod call;
mod cell;
mod clock;
mod config;
mod contain;
pub mod cost;
mod duration;
mod env;
mod error;
mod fence;
mod flatten;
mod gateway;
mod handle;
mod heat;
mod hold;
mod introspect;
mod local;
mod lugs;
pub mod memory;
mod module;
// Const items of generated code, which loom's non-`const` atomics cannot build (and the
// loom models use no generated code).
#[cfg(not(loom))]
mod module_of;
mod operation;
mod order;
mod preload;
mod profile;
mod promote;
mod registry;
mod room;
mod stats;
mod strategy;
mod sync;
mod thrash;
mod trace;
mod working_set;
mod zafp;

#[cfg(test)]
mod tests;

pub use args::MAX_ARGUMENT_DEPTH;
pub use config::{Clock, Config, ConfigBuilder, ManualClock, UnloadStrategy, MAX_DURATION};
pub use cost::IdleGaps;
pub use error::{Error, InitError};
pub use fence::membarrier_active;
pub use gateway::{configure, execute, execute_async, gateway, Gateway};
pub use heat::Heat;
pub use lugs::{DeferredDrops, SweepReport};
pub use module::{AsyncInit, Init, Policy, Protection};
pub use preload::{HeatPreloadReport, SkipReason, SkippedModule};
pub use profile::{
    HeatPreload, HeatProfile, ModuleHeat, HEAT_PROFILE_MAX_BYTES, HEAT_PROFILE_MAX_MB_VAR,
    HEAT_PROFILE_MIN_CALLS_VAR, HEAT_PROFILE_VAR, HEAT_PROFILE_VERSION,
};
pub use stats::{ModuleInfo, OperationInfo, Stats};
pub use strategy::{Unload, UnloadReason};
pub use working_set::{ThrashWarning, THRASH_INVOCATIONS};

/// Items used by code that `#[lmms::module]` and `#[lmms::operation]` generate. Not a
/// public API: it changes with the macros, under a new version module.
#[doc(hidden)]
pub mod __private {

    /// Version 1 of the generated-code interface.
    pub mod v1 {
        pub use crate::args::{to_json, Args, DynamicArgument, DynamicResult};
        pub use crate::cache::{
            assert_cache_key, assert_cache_value, CacheKey, CacheKeyTuple, CacheOk, CacheValue,
            CachedResult, OpCache,
        };
        pub use crate::call::{enter_async, enter_stateless, run, AsyncCall, StatelessCall};
        pub use crate::cell::Module;
        pub use crate::cell::ModuleCell;
        pub use crate::flatten::{flatten, HoldsLmmsError};
        pub use crate::local::FastWord;
        pub use crate::module::Builder;
        #[cfg(not(loom))]
        pub use crate::module_of::{module_cell, IsModule, ModuleOperation, OpState};
        pub use crate::operation::{
            BoxFuture, Dynamic, OpCommon, OpMeta, Operation, StatelessOperation,
        };
        pub use crate::registry::{ModuleEntry, OperationEntry};
        pub use inventory;
        pub use serde_json::Value;
        pub use std::boxed::Box;
        pub use std::result::Result;

        /// Boxes a dynamic async call for [`Dynamic::Async`].
        pub fn box_dyn<F>(f: F) -> BoxFuture<Result<Value, crate::Error>>
        where
            F: std::future::Future<Output = Result<Value, crate::Error>> + Send + 'static,
        {
            Box::pin(f)
        }
    }
}
