//! How an operation's generated code names its module (`module = T`), so that a `T`
//! without `#[lmms::module]` is one compile error, at the `T` the user wrote.
//!
//! Each operation with a module declares a local tag type and ties it to `T`:
//! `impl OpState for Tag { type State = T; }`. The bound `State: IsModule` is then the
//! one place `T` is checked: everything else the wrapper does goes through
//! [`ModuleOperation<Tag>`], whose methods and trait impls ask only `Tag: OpState`, and
//! reach the module through [`IsModule`] inside this crate, where `T: Module` is known.
//! Were the wrapper to use `Operation<T>` directly, each use (the static, its registry
//! entry, the call) would report `T: Module` again. `IsModule` has no supertraits, so
//! the check does not repeat `Module`'s `Send + Sync` either: a module whose state is not
//! `Sync` is reported once, by its own `#[lmms::module]`, not again at each operation.

use crate::call::{enter_async, run};
use crate::cell::{Module, ModuleCell};
use crate::error::Error;
use crate::handle::{ModuleHandle, OpHandle};
use crate::local::FastWord;
use crate::operation::{OpCommon, OpMeta, Operation};
use crate::zafp::FastSlot;
use std::future::Future;
use std::ops::Deref;
use std::thread::LocalKey;

/// A type named by `module = T`: a type with `#[lmms::module]`. Implemented for every
/// [`Module`]; it carries what generated code needs of one.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an lmms module: add `#[lmms::module]` to its definition",
    label = "`module = {Self}` names the module whose state this operation takes",
    note = "a module is a struct or enum declared with `#[lmms::module]`, whose state `lmms::Init` builds"
)]
pub trait IsModule: Sized + 'static {
    /// An empty fast-path slot: the initial value of each operation static's slot (a
    /// `const fn` cannot call `FastSlot::new` through this trait, but can read a constant).
    // Only ever copied into a new static, never borrowed: each copy is a fresh slot.
    #[allow(clippy::declare_interior_mutable_const)]
    const SLOT: FastSlot<Self>;
    /// `op` as the registry sees it.
    fn handle(op: &Operation<Self>) -> &dyn OpHandle;
    /// [`run`] on this module.
    fn run<R>(
        op: &'static Operation<Self>,
        word: &FastWord,
        body: impl FnOnce(&Self) -> R,
    ) -> Result<R, Error>;
    /// [`enter_async`] on this module.
    fn enter_async(
        op: &'static Operation<Self>,
    ) -> impl Future<Output = Result<impl Deref<Target = Self> + Send, Error>> + Send;
}

// `do_not_recommend`: report `T: IsModule` (the message above), not `T: Module`.
#[diagnostic::do_not_recommend]
impl<T: Module> IsModule for T {
    #[allow(clippy::declare_interior_mutable_const)]
    const SLOT: FastSlot<T> = FastSlot::new();

    fn handle(op: &Operation<T>) -> &dyn OpHandle {
        op
    }

    #[inline(always)]
    fn run<R>(
        op: &'static Operation<T>,
        word: &FastWord,
        body: impl FnOnce(&T) -> R,
    ) -> Result<R, Error> {
        run(op, word, body)
    }

    fn enter_async(
        op: &'static Operation<T>,
    ) -> impl Future<Output = Result<impl Deref<Target = T> + Send, Error>> + Send {
        enter_async(op)
    }
}

/// Implemented by the local tag type of one operation with `module = T`: `State` is `T`.
pub trait OpState: 'static {
    /// The type the user wrote in `module = T`.
    type State: IsModule;
}

/// The operation static of an operation with a module, tagged `S`: an [`Operation`] of
/// the module `S::State` (it derefs to one).
pub struct ModuleOperation<S: OpState>(Operation<S::State>);

impl<S: OpState> ModuleOperation<S> {
    /// The static for one `#[lmms::operation(module = T)]`.
    pub const fn new(meta: OpMeta) -> Self {
        Self(Operation {
            common: OpCommon::new(meta),
            slot: <S::State as IsModule>::SLOT,
        })
    }

    /// A blocking call: `body` on the module's state ([`run`]). `word`: the operation's
    /// `thread_local!` [`FastWord`], declared next to this static.
    #[inline(always)]
    pub fn run<R>(
        &'static self,
        word: &'static LocalKey<FastWord>,
        body: impl FnOnce(&S::State) -> R,
    ) -> Result<R, Error> {
        // The address only: `with`'s closure stays small enough to inline, and with it the
        // thread-local access (a constant offset from the thread pointer).
        let word: *const FastWord = word.with(std::ptr::from_ref);
        // SAFETY: a thread-local lives as long as its thread; this call runs on the thread
        // whose word it is, and the reference does not outlive the call.
        <S::State as IsModule>::run(&self.0, unsafe { &*word }, body)
    }

    /// Enters an async call; the guard derefs to the module's state ([`enter_async`]).
    /// (`Send` is declared, not inferred from the body: a caller then asks nothing of
    /// `S::State`, which keeps a `T` without `#[lmms::module]` at one error.)
    pub fn enter_async(
        &'static self,
    ) -> impl Future<Output = Result<impl Deref<Target = S::State> + Send, Error>> + Send {
        <S::State as IsModule>::enter_async(&self.0)
    }
}

impl<S: OpState> Deref for ModuleOperation<S> {
    type Target = Operation<S::State>;
    #[inline(always)]
    fn deref(&self) -> &Operation<S::State> {
        &self.0
    }
}

impl<S: OpState> OpHandle for ModuleOperation<S> {
    fn common(&self) -> &OpCommon {
        &self.0.common
    }
    fn module(&self) -> Option<&'static dyn ModuleHandle> {
        <S::State as IsModule>::handle(&self.0).module()
    }
    fn fill_slot(&self) -> bool {
        <S::State as IsModule>::handle(&self.0).fill_slot()
    }
    fn empty_slot(&self) -> bool {
        <S::State as IsModule>::handle(&self.0).empty_slot()
    }
    fn slot_filled(&self) -> bool {
        <S::State as IsModule>::handle(&self.0).slot_filled()
    }
}

/// The cell static of module `T`. Through this function, rather than `ModuleCell::new`,
/// the cell asks only `T: Module`, which `#[lmms::module]` implements next to it: a state
/// type that is not `Send + Sync` is then reported once, at that impl.
pub const fn module_cell<T: Module>() -> ModuleCell<T> {
    ModuleCell::new()
}
