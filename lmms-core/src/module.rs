//! A module's lifecycle: built on first use (LIGS), dropped when LUGS unloads it, and never
//! two live instances.
//!
//! # The state machine
//!
//! A [`ModuleCell`] holds the module's value behind `value: AtomicPtr<T>` (null = not
//! resident) and a `state` mutex that serializes the two transitions that change `value`:
//!
//! ```text
//!            build (state locked while publishing)
//!   EMPTY ──────────────────────────────────────────▶ RESIDENT
//!     ▲                                                  │
//!     └──────────── unload (state locked throughout) ────┘
//! ```
//!
//! A call *holds* the value in one of two ways, each a store followed by a load:
//!
//! * **Pinned** (blocking calls, slow and fast path alike): write the module's index into
//!   the calling thread's own record ([`crate::local`]), light fence, load `value`. Nothing
//!   shared is written, so calls on many threads do not contend.
//! * **Counted** (async calls, whose task may move between threads, and calls nested too
//!   deep to pin): `active += 1`, `fence(SeqCst)`, load `value`.
//!
//! Null means "not resident": the call drops its hold, builds the value (or waits for the
//! builder) under `state`, and retries.
//!
//! **Unload** (under `state`, so no build can start): store null into `value`, run the heavy
//! fence ([`crate::zafp::heavy_fence`]), then look for holds: any thread pinning the module
//! or a non-zero `active`. None: nobody can hold the old pointer — drop it (exactly once, on
//! the unloading thread) before releasing `state`. Otherwise put the pointer back: the
//! unload loses the race and the call is served by the current value.
//!
//! Either the unloader's fence comes first in the fences' total order, and the caller's
//! load after its own fence sees null (it goes to the builder, which waits for `state` and
//! so for the drop), or the caller's fence comes first and the unloader sees its hold. A
//! new value is therefore only ever built after the old one is gone. The `loom` models in
//! `src/tests/loom.rs` check both kinds of hold exhaustively (loom models fences, not
//! `SeqCst` accesses, which is why the protocol is written with fences).

use crate::error::{Error, InitError};
use crate::memory;
use crate::sync::{fence, lock, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Condvar, Mutex};
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release, SeqCst};
use std::task::{Context, Poll, Waker};

/// Builds a module's value the first time one of its operations is called.
///
/// ```
/// struct Table(Vec<u32>);
/// impl lmms::Init for Table {
///     fn init() -> Result<Self, lmms::InitError> {
///         Ok(Table((0..1024).collect()))
///     }
/// }
/// assert_eq!(<Table as lmms::Init>::init().unwrap().0.len(), 1024);
/// ```
#[diagnostic::on_unimplemented(
    message = "module `{Self}` has no `lmms::Init` implementation",
    label = "`#[lmms::module]` builds this type with `lmms::Init::init`",
    note = "implement `lmms::Init` for `{Self}`, or declare the module `#[lmms::module(async_init)]` and implement `lmms::AsyncInit`"
)]
pub trait Init: Sized + Send + Sync + 'static {
    /// Builds the value; heavy work belongs here.
    fn init() -> Result<Self, InitError>;
}

/// Like [`Init`], for modules whose construction awaits. Declare the module with
/// `#[lmms::module(async_init)]`; it is built by its first async call (or
/// [`Gateway::preload_async`](crate::Gateway::preload_async)).
///
/// ```
/// struct Remote(String);
/// impl lmms::AsyncInit for Remote {
///     async fn init() -> Result<Self, lmms::InitError> {
///         Ok(Remote("fetched".into()))
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "module `{Self}` is declared `async_init` but has no `lmms::AsyncInit` implementation",
    note = "implement `lmms::AsyncInit` for `{Self}`, or drop `async_init` and implement `lmms::Init`"
)]
pub trait AsyncInit: Sized + Send + Sync + 'static {
    /// Builds the value.
    fn init() -> impl Future<Output = Result<Self, InitError>> + Send;
}

/// How LUGS treats a module (SPEC section 3).
///
/// ```
/// assert_eq!("feature".parse::<lmms::Policy>().unwrap(), lmms::Policy::Feature);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Policy {
    /// Never unloaded; may be preloaded.
    Core,
    /// Unloaded when all five protections pass.
    Utility,
    /// Unloaded as soon as protections 1–3 pass (no grace period, no floor).
    Feature,
}

impl std::str::FromStr for Policy {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "core" => Ok(Policy::Core),
            "utility" => Ok(Policy::Utility),
            "feature" => Ok(Policy::Feature),
            other => Err(Error::Config(format!(
                "unknown policy {other:?} (expected \"core\", \"utility\" or \"feature\")"
            ))),
        }
    }
}

impl std::fmt::Display for Policy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Policy::Core => "core",
            Policy::Utility => "utility",
            Policy::Feature => "feature",
        })
    }
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// How a module's value is built; chosen by `#[lmms::module]`.
#[doc(hidden)]
pub enum Builder<T> {
    Sync(fn() -> Result<T, InitError>),
    Async(fn() -> BoxFuture<Result<T, InitError>>),
}

/// Implemented by `#[lmms::module]`; not meant to be implemented by hand.
#[doc(hidden)]
pub trait Module: Sized + Send + Sync + 'static {
    const NAME: &'static str;
    const POLICY: Policy;
    const FILE: &'static str;
    const LINE: u32;
    fn builder() -> Builder<Self>;
    fn cell() -> &'static ModuleCell<Self>;
}

/// Why an unload did not happen (in SPEC order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Protection {
    /// 1: a call of one of its operations is in flight.
    ActiveCalls,
    /// 2: one of its operations is HOT or CRITICAL.
    HotOperation,
    /// 3: a live result-cache entry came from it.
    CacheDependencies,
    /// 4: used less than `UNLOAD_GRACE_PERIOD` ago.
    GracePeriod,
    /// 5: no more than `MIN_RESIDENT_MODULES` are resident.
    ResidentFloor,
}

impl std::fmt::Display for Protection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Protection::ActiveCalls => "active calls",
            Protection::HotOperation => "hot operation",
            Protection::CacheDependencies => "cache dependencies",
            Protection::GracePeriod => "grace period",
            Protection::ResidentFloor => "resident floor",
        })
    }
}

struct BuildState {
    /// A build is running (on `builder_thread`).
    building: bool,
    builder_thread: Option<crate::sync::ThreadId>,
    /// Build attempts so far; waiters remember the one they waited for.
    attempt: u64,
    /// The error of the latest failed attempt, handed to that attempt's waiters only.
    failure: Option<(u64, Error)>,
    /// Async waiters of the running build.
    wakers: Vec<Waker>,
}

/// The lazily built, resettable home of one module's value.
#[doc(hidden)]
pub struct ModuleCell<T> {
    value: AtomicPtr<T>,
    active: AtomicUsize,
    state: Mutex<BuildState>,
    built: Condvar,
    /// Index in the registry (set when the registry is built; used for memory attribution
    /// and fast-path pins).
    pub(crate) index: AtomicU32,
    /// Clock time (ms) of the latest release of a call.
    pub(crate) last_use_ms: AtomicU64,
    /// Filled fast-path slots pointing at the current value.
    pub(crate) fast_refs: AtomicUsize,
    /// Live result-cache entries computed by this module (protection 3).
    pub(crate) cache_deps: std::sync::atomic::AtomicUsize,
    pub(crate) builds: AtomicU64,
    pub(crate) drops: AtomicU64,
    /// Heap bytes allocated while the current value was built (counting allocator), or
    /// `u64::MAX` if unknown.
    pub(crate) bytes: AtomicU64,
}

/// What an unload freed.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, Default)]
pub struct Reclaimed {
    /// Heap bytes released during the drop (counting allocator), if known.
    pub bytes: Option<u64>,
}

macro_rules! cell_new {
    ($($const:ident)?) => {
        /// An empty cell.
        pub $($const)? fn new() -> Self {
            Self {
                value: AtomicPtr::new(std::ptr::null_mut()),
                active: AtomicUsize::new(0),
                state: Mutex::new(BuildState {
                    building: false,
                    builder_thread: None,
                    attempt: 0,
                    failure: None,
                    wakers: Vec::new(),
                }),
                built: Condvar::new(),
                index: AtomicU32::new(u32::MAX),
                last_use_ms: AtomicU64::new(0),
                fast_refs: AtomicUsize::new(0),
                cache_deps: std::sync::atomic::AtomicUsize::new(0),
                builds: AtomicU64::new(0),
                drops: AtomicU64::new(0),
                bytes: AtomicU64::new(u64::MAX),
            }
        }
    };
}

impl<T: Send + Sync + 'static> ModuleCell<T> {
    #[cfg(not(loom))]
    cell_new!(const);
    #[cfg(loom)]
    cell_new!();

    /// Whether a value is resident.
    pub fn is_resident(&self) -> bool {
        !self.value.load(Acquire).is_null()
    }

    /// In-flight calls of any kind (a scan of the thread records: for introspection and
    /// sweeps, not the call path).
    pub fn active_calls(&self) -> usize {
        self.active.load(Relaxed) + crate::local::pins_of(self.index.load(Relaxed))
    }

    /// The current value pointer (null when not resident), for filling fast-path slots.
    pub(crate) fn value_ptr(&self) -> *mut T {
        self.value.load(Acquire)
    }

    /// Enters a blocking call: a hold on the resident value, building it first if needed.
    /// `name` and `builder` describe the module for errors and the build.
    #[inline]
    pub fn acquire(
        &'static self,
        name: &'static str,
        builder: &Builder<T>,
    ) -> Result<Hold<T>, Error> {
        loop {
            if let Some(hold) = self.try_pin() {
                return Ok(Hold::Pinned(hold));
            }
            if let Some(guard) = self.try_count() {
                return Ok(Hold::Counted(guard));
            }
            self.build_blocking(name, builder)?;
        }
    }

    /// Like [`ModuleCell::acquire`] for async calls: a counted hold (`Send`), awaiting an
    /// async build.
    pub async fn acquire_async(
        &'static self,
        name: &'static str,
        builder: &Builder<T>,
    ) -> Result<ModuleGuard<T>, Error> {
        loop {
            if let Some(guard) = self.try_count() {
                return Ok(guard);
            }
            self.build_async(name, builder).await?;
        }
    }

    /// A pinned hold, if the value is resident and this thread can pin (`None` also when
    /// it cannot: the caller then tries a counted hold, which tells the two apart).
    #[inline]
    fn try_pin(&'static self) -> Option<Pinned<T>> {
        // Under loom the thread records (process-wide) cannot be used across model
        // executions; the pinned protocol is modelled on its own in `tests/loom.rs`.
        #[cfg(loom)]
        return None;
        #[cfg(not(loom))]
        {
            let rec = crate::local::current()?;
            Pinned::pin(
                &self.value,
                rec,
                self.index.load(Relaxed),
                crate::zafp::strong_fences(),
            )
        }
    }

    /// A pinned hold taken on a given record (for the loom model).
    #[cfg(all(test, loom))]
    pub(crate) fn pin_with(&self, rec: &'static crate::local::ThreadRecord) -> Option<Pinned<T>> {
        Pinned::pin(
            &self.value,
            rec,
            self.index.load(Relaxed),
            crate::zafp::strong_fences(),
        )
    }

    /// A counted hold: `active += 1`, fence, load.
    #[inline]
    pub(crate) fn try_count(&'static self) -> Option<ModuleGuard<T>> {
        self.active.fetch_add(1, Relaxed);
        fence(SeqCst);
        let value = self.value.load(Acquire);
        if value.is_null() {
            self.active.fetch_sub(1, Release);
            return None;
        }
        Some(ModuleGuard { cell: self, value })
    }

    /// Builds the value unless one is resident; with a build already running, waits for it
    /// and shares its outcome.
    fn build_blocking(&self, name: &'static str, builder: &Builder<T>) -> Result<(), Error> {
        let mut st = lock(&self.state);
        loop {
            if !self.value.load(SeqCst).is_null() {
                return Ok(());
            }
            if !st.building {
                break;
            }
            if st.builder_thread == Some(crate::sync::current_thread()) {
                return Err(init_failed(
                    name,
                    "its init called one of its own operations (cyclic init)",
                ));
            }
            let attempt = st.attempt;
            while st.building && st.attempt == attempt {
                st = match self.built.wait(st) {
                    Ok(g) => g,
                    Err(p) => p.into_inner(),
                };
            }
            if let Some((failed, err)) = &st.failure {
                if *failed == attempt {
                    return Err(err.clone());
                }
            }
        }
        let build = match builder {
            Builder::Sync(build) => *build,
            Builder::Async(_) => {
                return Err(Error::AsyncInitRequired {
                    module: name.to_string(),
                })
            }
        };
        let attempt = self.begin_build(&mut st);
        drop(st);
        let outcome =
            memory::attribute_to(|| catch_unwind(AssertUnwindSafe(build)).map(|r| r.map(Box::new)));
        self.finish_build(name, attempt, outcome.0, outcome.1)
    }

    async fn build_async(&self, name: &'static str, builder: &Builder<T>) -> Result<(), Error> {
        let attempt = loop {
            let waiting_for = {
                let mut st = lock(&self.state);
                if !self.value.load(SeqCst).is_null() {
                    return Ok(());
                }
                if !st.building {
                    break self.begin_build(&mut st);
                }
                st.attempt
            };
            WaitBuild {
                cell: self,
                attempt: waiting_for,
            }
            .await;
            let st = lock(&self.state);
            if let Some((failed, err)) = &st.failure {
                if *failed == waiting_for {
                    return Err(err.clone());
                }
            }
        };
        // From here on this task is the builder; if it is dropped mid-build (cancelled) or
        // the init panics, the guard ends the attempt so that waiters retry.
        let mut abort = AbortBuild {
            cell: self,
            attempt,
            armed: true,
        };
        let (result, bytes) = match builder {
            Builder::Sync(build) => memory::attribute_to(|| {
                catch_unwind(AssertUnwindSafe(*build)).map(|r| r.map(Box::new))
            }),
            Builder::Async(build) => {
                let (r, bytes) = CatchUnwind(memory::Attributed::new(build())).await;
                (r.map(|r| r.map(Box::new)), bytes)
            }
        };
        abort.armed = false;
        self.finish_build(name, attempt, result, bytes)
    }

    fn begin_build(&self, st: &mut BuildState) -> u64 {
        st.building = true;
        st.builder_thread = Some(crate::sync::current_thread());
        st.attempt += 1;
        st.attempt
    }

    fn finish_build(
        &self,
        name: &'static str,
        attempt: u64,
        outcome: std::thread::Result<Result<Box<T>, InitError>>,
        bytes: Option<u64>,
    ) -> Result<(), Error> {
        let result = match outcome {
            Ok(Ok(value)) => {
                self.bytes.store(bytes.unwrap_or(u64::MAX), Relaxed);
                self.builds.fetch_add(1, Relaxed);
                self.value.store(Box::into_raw(value), SeqCst);
                crate::trace::loaded(name, bytes);
                Ok(())
            }
            Ok(Err(cause)) => Err(Error::InitFailed {
                module: name.to_string(),
                cause,
            }),
            Err(panic) => Err(init_failed(
                name,
                &format!("init panicked: {}", panic_message(&*panic)),
            )),
        };
        let mut st = lock(&self.state);
        st.building = false;
        st.builder_thread = None;
        st.failure = result.as_ref().err().map(|e| (attempt, e.clone()));
        let wakers = std::mem::take(&mut st.wakers);
        drop(st);
        self.built.notify_all();
        wakers.into_iter().for_each(Waker::wake);
        result
    }

    /// Unloads the value if no call holds it (see the protocol in this module's docs).
    /// Returns `Ok(None)` if nothing was resident. The caller empties the fast-path slots
    /// first; a filled one refuses the unload.
    pub(crate) fn unload(&self) -> Result<Option<Reclaimed>, Protection> {
        let st = lock(&self.state);
        if st.building {
            return Err(Protection::ActiveCalls);
        }
        let value = self.value.load(Acquire);
        if value.is_null() {
            return Ok(None);
        }
        if self.fast_refs.load(SeqCst) != 0 {
            return Err(Protection::HotOperation);
        }
        if self.active.load(Relaxed) != 0 {
            return Err(Protection::ActiveCalls);
        }
        let index = self.index.load(Relaxed);
        self.value.store(std::ptr::null_mut(), Relaxed);
        let quiet = crate::zafp::heavy_fence()
            && self.active.load(Acquire) == 0
            && !crate::local::any_pins(index);
        if !quiet {
            self.value.store(value, Release);
            return Err(Protection::ActiveCalls);
        }
        let freed = memory::attribute_free_to(|| {
            // SAFETY: `value` came from `Box::into_raw` in `finish_build`. It is now null in
            // the cell, no fast-path slot holds it (`fast_refs` is zero), and after the heavy
            // fence no thread pins the module and `active` is zero: by the protocol in this
            // module's docs no call holds it, and none can load it again. The state lock
            // excludes a concurrent unload or build, so it is dropped exactly once.
            let boxed = unsafe { Box::from_raw(value) };
            // A panicking `Drop` must not leave the state locked: contain it.
            let _ = catch_unwind(AssertUnwindSafe(move || drop(boxed)));
        });
        self.drops.fetch_add(1, Relaxed);
        self.bytes.store(u64::MAX, Relaxed);
        drop(st);
        Ok(Some(Reclaimed { bytes: freed }))
    }
}

#[cfg(not(loom))]
impl<T> Drop for ModuleCell<T> {
    fn drop(&mut self) {
        let value = *self.value.get_mut();
        if !value.is_null() {
            // SAFETY: `&mut self` proves no guard borrows the cell; the pointer came from
            // `Box::into_raw` and is dropped here once.
            drop(unsafe { Box::from_raw(value) });
        }
    }
}

/// A call in progress on a resident value (slow path). Dropping it ends the call.
#[doc(hidden)]
pub struct ModuleGuard<T: 'static> {
    cell: &'static ModuleCell<T>,
    value: *mut T,
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
#[doc(hidden)]
pub enum Hold<T: 'static> {
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
/// belongs to this thread. Dropping it unpins.
#[doc(hidden)]
pub struct Pinned<T> {
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

fn init_failed(module: &str, why: &str) -> Error {
    Error::InitFailed {
        module: module.to_string(),
        cause: InitError::msg(why),
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_string()
    }
}

/// Waits until the build `attempt` is over.
struct WaitBuild<'a, T> {
    cell: &'a ModuleCell<T>,
    attempt: u64,
}

impl<T> Future for WaitBuild<'_, T> {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut st = lock(&self.cell.state);
        if st.building && st.attempt == self.attempt {
            st.wakers.push(cx.waker().clone());
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    }
}

/// Ends an async build attempt that was cancelled or panicked, so its waiters retry.
struct AbortBuild<'a, T> {
    cell: &'a ModuleCell<T>,
    attempt: u64,
    armed: bool,
}

impl<T> Drop for AbortBuild<'_, T> {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let mut st = lock(&self.cell.state);
        if st.attempt == self.attempt {
            st.building = false;
            st.builder_thread = None;
        }
        let wakers = std::mem::take(&mut st.wakers);
        drop(st);
        self.cell.built.notify_all();
        wakers.into_iter().for_each(Waker::wake);
    }
}

/// Polls a future, turning a panic into an error value (and reporting attributed bytes).
struct CatchUnwind<F>(memory::Attributed<F>);

impl<F, T> Future for CatchUnwind<F>
where
    F: Future<Output = Result<T, InitError>> + Unpin,
{
    type Output = (std::thread::Result<Result<T, InitError>>, Option<u64>);
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = &mut self.0;
        match catch_unwind(AssertUnwindSafe(|| Pin::new(&mut *inner).poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready((r, bytes))) => Poll::Ready((Ok(r), bytes)),
            Err(panic) => Poll::Ready((Err(panic), inner.bytes())),
        }
    }
}
