//! The data path of a call, top to bottom. Generated wrappers call these (through
//! `lmms::__private`):
//!
//! 0. **Cache** (operations with `cache_ttl`): the wrapper looks the argument tuple up
//!    first ([`crate::cache`], through `OpCache::get` below); a hit returns a clone and
//!    touches nothing below — the module is not built, no heat is counted. A miss goes on,
//!    and stores the result while the call still holds its module (`OpCache::insert`).
//! 1. **Fast path** ([`run`], inlined into the wrapper): this thread's word of the
//!    operation (a `thread_local!` the wrapper declares) lets it in and the slot is filled
//!    → pin the word (the pin is also the thread's call count), run the body on the
//!    pre-resolved value, unpin. A word that does not let it in (see [`crate::zafp`])
//!    sends the call to `run_slow`, which may still take the fast path out of line.
//! 2. **Slow path** (`run_slow` → `enter_slow`, out of line): the gateway is ready (no
//!    configuration or registration fault) → count heat → acquire the module (LIGS: build
//!    it on first use, or wait for a concurrent builder, and take a hold on that build) →
//!    run the same body closure.
//! 3. **End of call** (`Call`'s `Drop`, `end_slow_call`): record last use, now and then
//!    sweep or check the operation for promotion, then release the module.
//!
//! Async calls take [`enter_async`] (always the slow path, with a `Send` counted hold);
//! stateless calls [`enter_stateless`]. **Dynamic calls** ([`Gateway::execute`], at the end
//! of this file) find the operation by name, check the JSON arguments, and go through the
//! operation's generated shim into the same typed call.

use crate::cell::{Hold, Module, ModuleGuard, RawCell};
use crate::error::Error;
use crate::gateway::{ready, Gateway};
use crate::local::{self, FastWord};
use crate::operation::{OpMeta, Operation, StatelessOperation};
use serde_json::Value;
use std::sync::atomic::Ordering::Relaxed;

/// A blocking call in progress on module `T`'s value (slow path); derefs to it. Scoped by
/// [`run`]: never handed to generated code, so its pin is always released in order.
struct Call<T: Module> {
    hold: Hold<T>,
    gw: &'static Gateway,
    op: usize,
}

/// Runs a blocking call of `op`: `body` on the module's value, through the fast path if
/// the slot is filled, else the slow path. `word`: this thread's [`FastWord`] of `op`.
/// This is what a generated wrapper calls: the fast branch is inlined into it (pin, body,
/// unpin), the slow branch is one out-of-line call that receives the same closure.
#[inline(always)]
pub fn run<T: Module, R>(
    op: &'static Operation<T>,
    word: &FastWord,
    body: impl FnOnce(&T) -> R,
) -> Result<R, Error> {
    if let Some(pinned) = op.slot.enter(word) {
        return Ok(body(&pinned));
    }
    // The out-of-line slow path returns its (rare) error boxed: `Result<R, Box<Error>>`
    // comes back in registers for a register-sized `R`, where a `Result<R, Error>` would
    // live in memory and make the fast branch above store its result there too.
    run_slow(op, word, body).map_err(|e| *e)
}

/// The slow branch of [`run`], one copy per operation: besides the body, one call of
/// [`enter_slow`] (shared by every operation of the module) or, for a HOT operation's call
/// refused inline, of [`run_filled`]. `#[cold]` for the caller's layout: the inlined fast
/// branch falls through, the branch to this call is the one taken.
#[cold]
#[inline(never)]
fn run_slow<T: Module, R>(
    op: &'static Operation<T>,
    word: &FastWord,
    body: impl FnOnce(&T) -> R,
) -> Result<R, Box<Error>> {
    if op.slot.filled_for(word) {
        return run_filled(op, word, body);
    }
    let call = enter_slow(op)?;
    Ok(body(&call))
}

/// A HOT operation's call the inlined entry refused: this thread's first call of it
/// (registering its word), a nested call, a process without membarrier (a full fence).
/// Kept out of `run_slow`, whose common case it would otherwise weigh on (registers
/// saved, a larger frame); its work is in [`enter_hot`], shared by the module's operations.
#[cold]
#[inline(never)]
fn run_filled<T: Module, R>(
    op: &'static Operation<T>,
    word: &FastWord,
    body: impl FnOnce(&T) -> R,
) -> Result<R, Box<Error>> {
    let entered = enter_hot(op, word)?;
    Ok(body(&entered))
}

/// What [`enter_hot`] entered: the fast path out of line, or the slow path.
enum Entered<'w, T: Module> {
    Fast(crate::local::FastPinned<'w, T>),
    Slow(Call<T>),
}

impl<T: Module> std::ops::Deref for Entered<'_, T> {
    type Target = T;
    #[inline(always)]
    fn deref(&self) -> &T {
        match self {
            Entered::Fast(pinned) => pinned,
            Entered::Slow(call) => call,
        }
    }
}

/// The fast path out of line, else (the slot was emptied meanwhile) the slow path. One
/// copy per module. (Only here, off the warm path: returning the two-way `Entered` costs
/// a slow-path call ~4 ns over returning a `Call`.)
#[cold]
#[inline(never)]
fn enter_hot<'w, T: Module>(
    op: &'static Operation<T>,
    word: &'w FastWord,
) -> Result<Entered<'w, T>, Box<Error>> {
    if let Some(pinned) = op.slot.enter_out_of_line(word, op.common.index()) {
        return Ok(Entered::Fast(pinned));
    }
    enter_slow(op).map(Entered::Slow)
}

/// Out of line and generic over the module only: one copy per module, shared by its
/// operations' `run_slow`. The error comes back boxed, as `run_slow` returns it.
#[inline(never)]
fn enter_slow<T: Module>(op: &'static Operation<T>) -> Result<Call<T>, Box<Error>> {
    let gw = ready().map_err(Box::new)?;
    let index = op.common.index();
    count(index);
    let cell = T::cell();
    if !cell.is_resident() {
        // A build is coming: with a memory budget, make room for it first.
        gw.make_room(cell.index.load(Relaxed));
    }
    let hold = cell.acquire(T::NAME, &T::builder()).map_err(Box::new)?;
    Ok(Call {
        hold,
        gw,
        op: index,
    })
}

/// Async form of [`run`]: awaits an async module build. Always the slow path: a
/// fast-path pin belongs to one thread and a task may move between threads.
pub async fn enter_async<T: Module>(op: &'static Operation<T>) -> Result<AsyncCall<T>, Error> {
    let gw = ready()?;
    count(op.common.index());
    let cell = T::cell();
    if !cell.is_resident() {
        gw.make_room(cell.index.load(Relaxed));
    }
    let guard = cell.acquire_async(T::NAME, &T::builder()).await?;
    Ok(AsyncCall {
        guard,
        gw,
        op: op.common.index(),
    })
}

/// An async call in progress on module `T`'s value; `Send`, derefs to the value.
#[doc(hidden)]
pub struct AsyncCall<T: Module> {
    guard: ModuleGuard<T>,
    gw: &'static Gateway,
    op: usize,
}

impl<T: Module> std::ops::Deref for AsyncCall<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T: Module> Drop for AsyncCall<T> {
    fn drop(&mut self) {
        end_slow_call(T::cell(), self.gw, self.op);
    }
}

/// Records the end of a slow-path call (its guard is released right after, as fields drop
/// after `drop`, so an end-of-call sweep still sees the module in use).
#[inline]
fn end_slow_call(cell: &RawCell, gw: &'static Gateway, op: usize) {
    // Write only when the (millisecond) time moved on: an unconditional store from every
    // call would bounce the cell's cache line, which every caller reads, between cores.
    let now = gw.now_ms();
    if cell.last_use_ms.load(Relaxed) < now {
        cell.touch(now);
    }
    gw.after_call(op);
}

#[inline]
fn count(op: usize) {
    if let Some(rec) = local::current() {
        // Calls that stay on the slow path: their pins' fence should be the light one.
        if rec.count(op) == crate::fence::REGISTER_AFTER_CALLS {
            crate::fence::register_soon();
        }
    }
}

impl<T: Module> std::ops::Deref for Call<T> {
    type Target = T;
    #[inline(always)]
    fn deref(&self) -> &T {
        &self.hold
    }
}

impl<T: Module> Drop for Call<T> {
    #[inline]
    fn drop(&mut self) {
        end_slow_call(T::cell(), self.gw, self.op);
    }
}

/// A call of an operation without module state.
#[doc(hidden)]
pub struct StatelessCall {
    gw: &'static Gateway,
    op: usize,
}

/// Enters a call of a stateless operation.
#[inline]
pub fn enter_stateless(op: &'static StatelessOperation) -> Result<StatelessCall, Error> {
    let gw = ready()?;
    let op = op.common.index();
    count(op);
    Ok(StatelessCall { gw, op })
}

impl Drop for StatelessCall {
    #[inline]
    fn drop(&mut self) {
        self.gw.after_call(self.op);
    }
}

/// Step 0, for operations with `cache_ttl`: what the generated wrapper calls. The gateway
/// (its fault check, its clock, its `cache_max_entries` bound) is read here and handed to
/// the cache, which knows nothing of it.
impl<K, V> crate::cache::OpCache<K, V>
where
    K: crate::cache::CacheKeyTuple,
    V: crate::cache::CachedResult,
{
    /// The cached result for `key` now, counting a hit or a miss on `op` (a hit takes no
    /// lock and writes nothing shared). Errs only when the gateway has a fault (the same
    /// error entering the call would give).
    #[inline]
    pub fn get(&self, op: &crate::operation::OpCommon, key: &K) -> Result<Option<V>, Error> {
        let gw = ready()?;
        Ok(self.get_at(op, key, gw.now_ms()))
    }

    /// Stores `value` for `key` on a miss, while the call still holds the module: expiring
    /// `cache_ttl` from now, within the configured `cache_max_entries`.
    pub fn insert(&'static self, op: &'static dyn crate::handle::OpHandle, key: K, value: V) {
        let gw = crate::gateway::gateway();
        self.insert_at(op, key, value, gw.now_ms(), gw.config.cache_max_entries);
    }
}

/// Dynamic calls: by name, JSON in and out. The arguments are checked (object, depth), the
/// operation's generated shim deserializes them and makes the typed call above — the same
/// cache, build, fast path and bookkeeping — and serializes the result.
impl Gateway {
    /// A call by name. `args` is a JSON object keyed by parameter name (or `null`); the
    /// result comes back as JSON. It takes the same path as a typed call.
    ///
    /// ```
    /// let err = lmms::gateway().execute("nowhere", "get", serde_json::json!(null)).unwrap_err();
    /// assert!(matches!(err, lmms::Error::UnknownInterface { .. }));
    /// ```
    pub fn execute(&self, interface: &str, op: &str, args: Value) -> Result<Value, Error> {
        let Some(meta) = self.accept(interface, op, &args) else {
            return Err(self.refuse(interface, op, args));
        };
        match meta.dynamic {
            crate::operation::Dynamic::Sync(call) => {
                self.tracked_sync(interface, op, || call(args))
            }
            crate::operation::Dynamic::Async(_) => Err(Error::AsyncOperation {
                interface: interface.into(),
                op: op.into(),
            }),
            crate::operation::Dynamic::Off => Err(Error::NotDynamic {
                interface: interface.into(),
                op: op.into(),
            }),
        }
    }

    /// Like [`Gateway::execute`], and able to run async operations.
    pub async fn execute_async(
        &self,
        interface: &str,
        op: &str,
        args: Value,
    ) -> Result<Value, Error> {
        let Some(meta) = self.accept(interface, op, &args) else {
            return Err(self.refuse(interface, op, args));
        };
        match meta.dynamic {
            crate::operation::Dynamic::Sync(call) => {
                self.tracked(interface, op, async { call(args) }).await
            }
            crate::operation::Dynamic::Async(call) => self.tracked(interface, op, call(args)).await,
            crate::operation::Dynamic::Off => Err(Error::NotDynamic {
                interface: interface.into(),
                op: op.into(),
            }),
        }
    }

    /// The operation a dynamic call names, if the gateway has no fault, the operation
    /// exists and the arguments are not too deep; else [`Gateway::refuse`] says why.
    #[inline]
    fn accept(&self, interface: &str, op: &str, args: &Value) -> Option<&'static OpMeta> {
        if self.fault.is_some() {
            return None;
        }
        crate::args::accept(self.reg.find(interface, op), args)
    }

    /// The error of a dynamic call [`Gateway::accept`] turned away (its arguments taken
    /// apart without recursion).
    #[cold]
    fn refuse(&self, interface: &str, op: &str, args: Value) -> Error {
        let found = match &self.fault {
            Some(e) => Err(e.clone()),
            None => self
                .reg
                .find(interface, op)
                .ok_or_else(|| self.reg.not_found(interface, op)),
        };
        crate::args::refuse(found, args)
    }

    #[inline]
    fn tracked_sync(
        &self,
        interface: &str,
        op: &str,
        call: impl FnOnce() -> Result<Value, Error>,
    ) -> Result<Value, Error> {
        match self.tracker.get() {
            None => call(),
            Some(t) => t.measure(&format!("{interface}.{op}"), call),
        }
    }

    async fn tracked(
        &self,
        interface: &str,
        op: &str,
        call: impl std::future::Future<Output = Result<Value, Error>>,
    ) -> Result<Value, Error> {
        let Some(t) = self.tracker.get() else {
            return call.await;
        };
        let before = crate::memory::Reading::now();
        let result = call.await;
        t.record(
            &format!("{interface}.{op}"),
            &before,
            &crate::memory::Reading::now(),
        );
        result
    }
}
