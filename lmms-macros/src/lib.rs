//! Procedural macros of [`lmms`](https://docs.rs/lmms). Use them through the `lmms`
//! crate: `#[lmms::module]` and `#[lmms::operation]`.
//!
//! The expansion logic lives in plain functions over `proc_macro2` (`module::expand`,
//! `operation::expand`) so it can be unit tested and snapshotted. On an error the
//! `compile_error!`s come with what callers expect, so each mistake is reported once, at
//! the attribute: a module keeps its `Module` impl (with defaults for rejected values), an
//! operation becomes a stand-in with the expanded signature and the user's body nested
//! in it (`stand_in`), so IDEs keep working.

use proc_macro::TokenStream;

mod attr;
mod cache;
mod duration;
mod duration_grammar;
mod dynamic;
mod flatten;
mod marker;
mod module;
mod operation;
mod stand_in;
mod ty;
mod wrapper;

#[cfg(test)]
mod check_tests;
#[cfg(test)]
mod snapshot_tests;

/// Declares a module: state built lazily by `lmms::Init` (or `lmms::AsyncInit` with
/// `async_init`) and dropped by LUGS when idle. See the `lmms` crate docs.
#[proc_macro_attribute]
pub fn module(args: TokenStream, item: TokenStream) -> TokenStream {
    module::expand(args.into(), item.into()).into()
}

/// Registers a function as an operation of an interface and replaces it by its
/// gateway-routed form. See the `lmms` crate docs.
#[proc_macro_attribute]
pub fn operation(args: TokenStream, item: TokenStream) -> TokenStream {
    operation::expand(args.into(), item.into()).into()
}
