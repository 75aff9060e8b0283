//! What a module is to the runtime: the traits that build it ([`Init`], [`AsyncInit`]), how
//! generated code says which ([`Builder`]), its unload [`Policy`] and the [`Protection`]s
//! that keep it resident. The trait `#[lmms::module]` implements, `Module`, lives with the
//! cell it names ([`crate::cell`]). Its lifecycle lives in [`crate::cell`] (the state
//! machine and the holds a call takes) and [`crate::build`] (building, waiting, handing the
//! build to its waiters).

use crate::error::{Error, InitError};
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

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
// No `Send + Sync` here: `#[lmms::module]` requires them of the state (the `Module` impl),
// and a state type that lacks them is reported there, once, not again at this impl.
pub trait Init: Sized + 'static {
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
// No `Send + Sync`: see `Init`.
pub trait AsyncInit: Sized + 'static {
    /// Builds the value.
    fn init() -> impl Future<Output = Result<Self, InitError>> + Send;
}

/// How LUGS treats a module.
///
/// ```
/// assert_eq!("feature".parse::<lmms::Policy>().unwrap(), lmms::Policy::Feature);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Policy {
    /// Never unloaded; may be preloaded.
    Core,
    /// Unloaded when all five protections pass.
    Utility,
    /// Unloaded as soon as protections 1–3 pass (no grace period, no floor).
    Feature,
}

serialize_unit_enum!(Policy { Core => 0 "core", Utility => 1 "utility", Feature => 2 "feature" });

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

/// How a module's value is built, chosen by `#[lmms::module]`: its init, type-erased (the
/// value comes back boxed, [`boxed`]), so that everything past the call of
/// `init` is compiled once, in the runtime, whatever the module.
///
/// Made only by [`Builder::blocking`] and [`Builder::asynchronous`] from `T`'s own init (or
/// [`Builder::unbuildable`], which builds nothing): the erased pointer is always a `Box<T>`,
/// which is what `ModuleCell<T>` drops it as.
#[doc(hidden)]
pub struct Builder<T> {
    pub(crate) init: ErasedInit<'static>,
    ty: PhantomData<fn() -> T>,
}

// The bounds are on the constructors, not on their `impl` blocks: a module without its
// init then reads as the missing trait (`Init`'s own message), not as a missing method.
impl<T> Builder<T> {
    /// `T` is built by [`Init::init`].
    pub fn blocking() -> Self
    where
        T: Init,
    {
        Builder {
            init: ErasedInit::Sync(&blocking_init::<T>),
            ty: PhantomData,
        }
    }

    /// `T` is built by [`AsyncInit::init`].
    pub fn asynchronous() -> Self
    where
        T: AsyncInit,
    {
        Builder {
            init: ErasedInit::Async(&async_init::<T>),
            ty: PhantomData,
        }
    }

    /// Never builds (an error if called): generated next to a `compile_error!` only.
    pub fn unbuildable() -> Self {
        Builder {
            init: ErasedInit::Sync(&|| Err(InitError::msg("not buildable"))),
            ty: PhantomData,
        }
    }

    /// Whether the init is async.
    pub(crate) fn is_async(&self) -> bool {
        matches!(self.init, ErasedInit::Async(_))
    }
}

/// A module's init, type-erased: it returns the built value boxed ([`boxed`]).
#[derive(Clone, Copy)]
pub(crate) enum ErasedInit<'a> {
    Sync(&'a (dyn Fn() -> Result<*mut (), InitError> + Sync)),
    Async(&'a (dyn Fn() -> BoxFuture<Result<*mut (), InitError>> + Sync)),
}

/// A built value, boxed and type-erased for the module cell (the generic side of a build).
pub(crate) fn boxed<T>(value: T) -> *mut () {
    Box::into_raw(Box::new(value)).cast()
}

fn blocking_init<T: Init>() -> Result<*mut (), InitError> {
    T::init().map(boxed)
}

fn async_init<T: AsyncInit>() -> BoxFuture<Result<*mut (), InitError>> {
    Box::pin(async { T::init().await.map(boxed) })
}

/// Why an unload did not happen, in the order the protections are checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
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
    /// Not a protection but the cost strategy's decision: without a memory budget, the
    /// module has been idle for less than its break-even time (rebuilding it would cost
    /// more than holding it).
    BelowBreakEven,
    /// Not a protection but the cost strategy's decision under a memory budget: the module
    /// is in the working set (used in the last `working_set_invocations` invocations, or
    /// kept after thrashing), so at HIGH pressure it stays; only CRITICAL pressure, or a
    /// build that would not fit, evicts it.
    WorkingSet,
}

serialize_unit_enum!(Protection {
    ActiveCalls => 0 "active_calls",
    HotOperation => 1 "hot_operation",
    CacheDependencies => 2 "cache_dependencies",
    GracePeriod => 3 "grace_period",
    ResidentFloor => 4 "resident_floor",
    BelowBreakEven => 5 "below_break_even",
    WorkingSet => 6 "working_set",
});

impl std::fmt::Display for Protection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Protection::ActiveCalls => "active calls",
            Protection::HotOperation => "hot operation",
            Protection::CacheDependencies => "cache dependencies",
            Protection::GracePeriod => "grace period",
            Protection::ResidentFloor => "resident floor",
            Protection::BelowBreakEven => "idle for less than its break-even time",
            Protection::WorkingSet => "in the working set (used in recent invocations)",
        })
    }
}
