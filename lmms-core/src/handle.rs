//! Type-erased handles on the statics generated code declares: a module cell
//! ([`ModuleHandle`]) and an operation ([`OpHandle`]). The registry stores them; sweeps,
//! introspection and dynamic calls go through them.

use crate::cell::{Detached, Module, ModuleCell, Quiet, RawCell};
use crate::error::Error;
use crate::module::{Policy, Protection};
use crate::operation::{BoxFuture, OpCommon, Operation, StatelessOperation};
use std::sync::atomic::Ordering::Relaxed;

/// Type-erased access to a module cell, for the registry, sweeps and introspection.
#[doc(hidden)]
pub trait ModuleHandle: Sync + 'static {
    fn name(&self) -> &'static str;
    fn policy(&self) -> Policy;
    fn location(&self) -> (&'static str, u32);
    fn is_async(&self) -> bool;
    fn is_resident(&self) -> bool;
    fn active_calls(&self) -> usize;
    fn cell_index(&self) -> u32;
    fn set_index(&self, index: u32);
    fn last_use_ms(&self) -> u64;
    /// Records a use at `now_ms` (never moves last use backwards).
    fn touch(&self, now_ms: u64);
    fn cache_deps(&self) -> usize;
    fn builds(&self) -> u64;
    fn drops(&self) -> u64;
    fn bytes(&self) -> Option<u64>;
    fn last_build_ns(&self) -> Option<u64>;
    fn mean_build_ns(&self) -> Option<u64>;
    fn last_build_bytes(&self) -> Option<u64>;
    fn last_build_rss_growth_bytes(&self) -> Option<u64>;
    fn idle_gaps(&self) -> crate::cost::IdleGaps;
    /// Builds the value if it is not resident (blocking).
    fn build(&self) -> Result<(), Error>;
    /// Builds the value if it is not resident (awaiting an async init).
    fn build_async(&self) -> BoxFuture<Result<(), Error>>;
    /// Takes the value out if no call holds it and `verdict` agrees (see [`ModuleCell`]);
    /// the caller drops the [`Detached`] value once it holds no runtime lock.
    #[allow(private_interfaces)]
    fn detach(
        &self,
        verdict: &dyn Fn(Quiet) -> Result<(), Protection>,
    ) -> Result<Option<Detached>, Protection>;
    #[doc(hidden)]
    fn cache_deps_counter(&self) -> &std::sync::atomic::AtomicUsize;
}

impl<T: Module> ModuleHandle for ModuleCell<T> {
    fn name(&self) -> &'static str {
        T::NAME
    }
    fn policy(&self) -> Policy {
        T::POLICY
    }
    fn location(&self) -> (&'static str, u32) {
        (T::FILE, T::LINE)
    }
    fn is_async(&self) -> bool {
        T::builder().is_async()
    }
    fn is_resident(&self) -> bool {
        RawCell::is_resident(self)
    }
    fn active_calls(&self) -> usize {
        RawCell::active_calls(self)
    }
    fn cell_index(&self) -> u32 {
        self.index.load(Relaxed)
    }
    fn set_index(&self, index: u32) {
        self.index.store(index, Relaxed);
    }
    fn last_use_ms(&self) -> u64 {
        self.last_use_ms.load(Relaxed)
    }
    fn touch(&self, now_ms: u64) {
        RawCell::touch(self, now_ms);
    }
    fn cache_deps(&self) -> usize {
        self.cache_deps.load(Relaxed)
    }
    fn builds(&self) -> u64 {
        self.builds.load(Relaxed)
    }
    fn drops(&self) -> u64 {
        self.drops.load(Relaxed)
    }
    fn bytes(&self) -> Option<u64> {
        match self.bytes.load(Relaxed) {
            u64::MAX => None,
            b => Some(b),
        }
    }
    fn last_build_ns(&self) -> Option<u64> {
        self.costs.last_build_ns(self.builds())
    }
    fn mean_build_ns(&self) -> Option<u64> {
        self.costs.mean_build_ns(self.builds())
    }
    fn last_build_bytes(&self) -> Option<u64> {
        self.costs.last_build_bytes()
    }
    fn last_build_rss_growth_bytes(&self) -> Option<u64> {
        self.costs.last_build_rss_growth()
    }
    fn idle_gaps(&self) -> crate::cost::IdleGaps {
        self.costs.gaps()
    }
    fn build(&self) -> Result<(), Error> {
        T::cell().acquire(T::NAME, &T::builder()).map(drop)
    }
    fn build_async(&self) -> BoxFuture<Result<(), Error>> {
        Box::pin(RawCell::build_unheld(T::cell(), T::NAME, T::builder().init))
    }
    #[allow(private_interfaces)]
    fn detach(
        &self,
        verdict: &dyn Fn(Quiet) -> Result<(), Protection>,
    ) -> Result<Option<Detached>, Protection> {
        RawCell::detach(T::cell(), verdict)
    }
    fn cache_deps_counter(&self) -> &std::sync::atomic::AtomicUsize {
        &self.cache_deps
    }
}

/// Type-erased access to an operation static, for the registry and sweeps.
#[doc(hidden)]
pub trait OpHandle: Sync + 'static {
    fn common(&self) -> &OpCommon;
    fn module(&self) -> Option<&'static dyn ModuleHandle>;
    /// Fills the fast-path slot from the resident module (under the sweep lock).
    fn fill_slot(&self) -> bool;
    /// Empties the fast-path slot.
    fn empty_slot(&self) -> bool;
    fn slot_filled(&self) -> bool;
}

impl<T: Module> OpHandle for Operation<T> {
    fn common(&self) -> &OpCommon {
        &self.common
    }
    fn module(&self) -> Option<&'static dyn ModuleHandle> {
        let cell: &'static ModuleCell<T> = T::cell();
        Some(cell)
    }
    fn fill_slot(&self) -> bool {
        self.slot.fill()
    }
    fn empty_slot(&self) -> bool {
        self.slot.empty()
    }
    fn slot_filled(&self) -> bool {
        self.slot.is_filled()
    }
}

impl OpHandle for StatelessOperation {
    fn common(&self) -> &OpCommon {
        &self.common
    }
    fn module(&self) -> Option<&'static dyn ModuleHandle> {
        None
    }
    fn fill_slot(&self) -> bool {
        false
    }
    fn empty_slot(&self) -> bool {
        false
    }
    fn slot_filled(&self) -> bool {
        false
    }
}
