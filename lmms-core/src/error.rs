//! The one error type a caller meets, and the error a module's `init` returns.

use std::fmt;
use std::sync::Arc;

/// Every failure a call through lmms can meet, each naming what was asked for.
///
/// ```
/// let err = lmms::execute("no_such_interface", "get", serde_json::json!({})).unwrap_err();
/// assert!(matches!(err, lmms::Error::UnknownInterface { .. }));
/// assert!(err.to_string().contains("no_such_interface"));
/// ```
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
#[allow(missing_docs)] // variant fields are named for what they hold
pub enum Error {
    /// No operation is registered under this interface.
    #[error("unknown interface `{interface}` (registered interfaces: {known})")]
    UnknownInterface { interface: String, known: String },
    /// The interface exists but has no such operation.
    #[error("unknown operation `{op}` on interface `{interface}` (its operations: {known})")]
    UnknownOperation {
        interface: String,
        op: String,
        known: String,
    },
    /// Dynamic arguments were not a JSON object (or `null` for no arguments).
    #[error(
        "arguments of `{interface}.{op}` must be a JSON object keyed by parameter name, got {got}"
    )]
    ArgumentsNotObject {
        interface: String,
        op: String,
        got: String,
    },
    /// A parameter is missing from the dynamic arguments.
    #[error("missing argument `{param}` for `{interface}.{op}`")]
    MissingArgument {
        interface: String,
        op: String,
        param: String,
    },
    /// An argument could not be deserialized into its parameter's type.
    #[error("argument `{param}` of `{interface}.{op}` has the wrong type: {reason}")]
    BadArgument {
        interface: String,
        op: String,
        param: String,
        reason: String,
    },
    /// A dynamic argument nests arrays and objects deeper than
    /// [`MAX_ARGUMENT_DEPTH`](crate::MAX_ARGUMENT_DEPTH) (`limit`); it was not deserialized.
    #[error("argument `{param}` of `{interface}.{op}` nests arrays and objects deeper than {limit} levels, the limit for dynamic arguments")]
    ArgumentTooDeep {
        interface: String,
        op: String,
        param: String,
        limit: usize,
    },
    /// The dynamic arguments name a parameter the operation does not have (a name longer
    /// than 64 characters is cut, with its length in bytes).
    #[error("unexpected argument `{param}` for `{interface}.{op}` (its parameters: {expected})")]
    ExtraArgument {
        interface: String,
        op: String,
        param: String,
        expected: String,
    },
    /// The result could not be turned into JSON.
    #[error("result of `{interface}.{op}` could not be serialized: {reason}")]
    BadResult {
        interface: String,
        op: String,
        reason: String,
    },
    /// The operation was declared `dynamic = false`.
    #[error(
        "operation `{interface}.{op}` is not dynamically callable (declared `dynamic = false`)"
    )]
    NotDynamic { interface: String, op: String },
    /// An async operation was called through the blocking `execute`.
    #[error("operation `{interface}.{op}` is async: call it through `execute_async`")]
    AsyncOperation { interface: String, op: String },
    /// Building the module failed (its `init` returned an error or panicked).
    #[error("init of module `{module}` failed: {cause}")]
    InitFailed { module: String, cause: InitError },
    /// The module is built asynchronously and is not resident; a blocking call cannot build it.
    #[error("module `{module}` has an async init: call one of its async operations or `preload_async` first")]
    AsyncInitRequired { module: String },
    /// Bad configuration (environment or builder), or `configure` called too late.
    #[error("configuration error: {0}")]
    Config(String),
    /// The compile-time registry is inconsistent (for example, a duplicate operation).
    #[error("registration error: {0}")]
    Registration(String),
    /// A forced unload found the module in use (a call in flight, or a fast-path slot that
    /// could not be emptied); nothing was dropped.
    #[error("module `{module}` cannot be unloaded now: {protection}")]
    UnloadRefused {
        module: String,
        protection: crate::Protection,
    },
    /// An operation of a module was called from that module's own `Drop`, while LUGS
    /// unloads it: the value is going away and no new one can be built under its drop.
    #[error(
        "module `{module}` is being unloaded: its operations cannot be called from its own `Drop`"
    )]
    ModuleUnloading { module: String },
    /// No module of that name is registered.
    #[error("unknown module `{module}` (registered modules: {known})")]
    UnknownModule { module: String, known: String },
}

/// The error a module's [`Init::init`](crate::Init::init) returns.
///
/// It takes a plain message or any error type, like `Box<dyn Error + Send + Sync>`:
///
/// ```
/// use lmms::InitError;
///
/// fn from_message() -> Result<(), InitError> {
///     Err("no config".into())
/// }
/// fn from_error() -> Result<u32, InitError> {
///     Ok("42".parse::<u32>()?)
/// }
/// assert_eq!(from_message().unwrap_err().to_string(), "no config");
/// assert_eq!(from_error().unwrap(), 42);
/// ```
///
/// Like `anyhow::Error`, it does not itself implement `std::error::Error` (that would make
/// its blanket `From` overlap `From<T> for T`); [`InitError::as_error`] gives the inner one.
#[derive(Clone)]
pub struct InitError {
    inner: Arc<dyn std::error::Error + Send + Sync + 'static>,
}

impl InitError {
    /// An error with a plain message.
    pub fn msg(message: impl fmt::Display) -> Self {
        Self::from(message.to_string())
    }

    /// The underlying error, for `source()` chains and downcasting.
    pub fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        &*self.inner
    }
}

impl fmt::Debug for InitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.inner, f)
    }
}

impl fmt::Display for InitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.inner, f)
    }
}

impl<E> From<E> for InitError
where
    E: Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
{
    fn from(err: E) -> Self {
        Self {
            inner: Arc::from(err.into()),
        }
    }
}
