//! `#[lmms::operation(flatten = true)]`: the wrapper of an operation declared
//! `-> Result<T, E>` returns `Result<T, E>`, with the gateway's own errors converted into
//! `E`, instead of `Result<Result<T, E>, lmms::Error>`.

use crate::error::Error;

/// An error type that can hold an [`Error`] of the runtime: what `flatten = true` needs of
/// the `E` in `Result<T, E>`. Implemented for every `E: From<lmms::Error>`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot hold an `lmms::Error`: implement `From<lmms::Error>` for it (with thiserror: `#[error(transparent)] Lmms(#[from] lmms::Error)`), or remove `flatten = true` to keep `Result<Result<T, {Self}>, lmms::Error>`",
    label = "`flatten = true` returns the gateway's errors as this type",
    note = "with `flatten = true` the wrapper returns `Result<T, {Self}>`, so an error of the gateway itself (the module failed to build, a bad configuration, ...) must become a `{Self}`"
)]
pub trait HoldsLmmsError: From<Error> {}
// `do_not_recommend`: report `E: HoldsLmmsError` (the message above), not `From`.
#[diagnostic::do_not_recommend]
impl<E: From<Error>> HoldsLmmsError for E {}

/// The flattened result of a call: the operation's own result, or the gateway's error
/// converted with `E::from`.
#[inline(always)]
pub fn flatten<T, E: HoldsLmmsError>(result: Result<Result<T, E>, Error>) -> Result<T, E> {
    match result {
        Ok(inner) => inner,
        Err(e) => Err(E::from(e)),
    }
}
