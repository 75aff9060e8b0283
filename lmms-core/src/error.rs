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
#[derive(Debug, Clone)]
#[non_exhaustive]
#[allow(missing_docs)] // variant fields are named for what they hold
pub enum Error {
    /// No operation is registered under this interface.
    UnknownInterface { interface: String, known: String },
    /// The interface exists but has no such operation.
    UnknownOperation {
        interface: String,
        op: String,
        known: String,
    },
    /// Dynamic arguments were not a JSON object (or `null` for no arguments).
    ArgumentsNotObject {
        interface: String,
        op: String,
        got: String,
    },
    /// A parameter is missing from the dynamic arguments.
    MissingArgument {
        interface: String,
        op: String,
        param: String,
    },
    /// An argument could not be deserialized into its parameter's type.
    BadArgument {
        interface: String,
        op: String,
        param: String,
        reason: String,
    },
    /// A dynamic argument nests arrays and objects deeper than
    /// [`MAX_ARGUMENT_DEPTH`](crate::MAX_ARGUMENT_DEPTH) (`limit`); it was not deserialized.
    ArgumentTooDeep {
        interface: String,
        op: String,
        param: String,
        limit: usize,
    },
    /// The dynamic arguments name a parameter the operation does not have (a name longer
    /// than 64 characters is cut, with its length in bytes).
    ExtraArgument {
        interface: String,
        op: String,
        param: String,
        expected: String,
    },
    /// The result could not be turned into JSON.
    BadResult {
        interface: String,
        op: String,
        reason: String,
    },
    /// The operation was declared `dynamic = false`.
    NotDynamic { interface: String, op: String },
    /// An async operation was called through the blocking `execute`.
    AsyncOperation { interface: String, op: String },
    /// Building the module failed (its `init` returned an error or panicked).
    InitFailed { module: String, cause: InitError },
    /// The module is built asynchronously and is not resident; a blocking call cannot build it.
    AsyncInitRequired { module: String },
    /// Bad configuration (environment or builder), or `configure` called too late.
    Config(String),
    /// The compile-time registry is inconsistent (for example, a duplicate operation).
    Registration(String),
    /// A forced unload found the module in use (a call in flight, or a fast-path slot that
    /// could not be emptied); nothing was dropped.
    UnloadRefused {
        module: String,
        protection: crate::Protection,
    },
    /// An operation of a module was called from that module's own `Drop`, while LUGS
    /// unloads it: the value is going away and no new one can be built under its drop.
    ModuleUnloading { module: String },
    /// No module of that name is registered.
    UnknownModule { module: String, known: String },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::UnknownInterface { interface, known } => write!(f, "unknown interface `{interface}` (registered interfaces: {known})"),
            Error::UnknownOperation { interface, op, known } => write!(f, "unknown operation `{op}` on interface `{interface}` (its operations: {known})"),
            Error::ArgumentsNotObject { interface, op, got } => write!(f, "arguments of `{interface}.{op}` must be a JSON object keyed by parameter name, got {got}"),
            Error::MissingArgument { interface, op, param } => write!(f, "missing argument `{param}` for `{interface}.{op}`"),
            Error::BadArgument { interface, op, param, reason } => write!(f, "argument `{param}` of `{interface}.{op}` has the wrong type: {reason}"),
            Error::ArgumentTooDeep { interface, op, param, limit } => write!(f, "argument `{param}` of `{interface}.{op}` nests arrays and objects deeper than {limit} levels, the limit for dynamic arguments"),
            Error::ExtraArgument { interface, op, param, expected } => write!(f, "unexpected argument `{param}` for `{interface}.{op}` (its parameters: {expected})"),
            Error::BadResult { interface, op, reason } => write!(f, "result of `{interface}.{op}` could not be serialized: {reason}"),
            Error::NotDynamic { interface, op } => write!(f, "operation `{interface}.{op}` is not dynamically callable (declared `dynamic = false`)"),
            Error::AsyncOperation { interface, op } => write!(f, "operation `{interface}.{op}` is async: call it through `execute_async`"),
            Error::InitFailed { module, cause } => write!(f, "init of module `{module}` failed: {cause}"),
            Error::AsyncInitRequired { module } => write!(f, "module `{module}` has an async init: call one of its async operations or `preload_async` first"),
            Error::Config(detail) => write!(f, "configuration error: {detail}"),
            Error::Registration(detail) => write!(f, "registration error: {detail}"),
            Error::UnloadRefused { module, protection } => write!(f, "module `{module}` cannot be unloaded now: {protection}"),
            Error::ModuleUnloading { module } => write!(f, "module `{module}` is being unloaded: its operations cannot be called from its own `Drop`"),
            Error::UnknownModule { module, known } => write!(f, "unknown module `{module}` (registered modules: {known})"),
        }
    }
}

/// No variant wraps another error (an init's error is shown in the message; its own chain
/// is [`InitError::as_error`]).
impl std::error::Error for Error {}

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
