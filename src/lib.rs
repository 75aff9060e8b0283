//! # lmms — a managed memory lifecycle for the parts of a service
//!
//! `lmms` gives each part of a service (first of all an AWS Lambda function) a lifecycle
//! decided at compile time:
//!
//! - **LIGS** builds a part's state (its *module*) only when one of its operations is first
//!   called;
//! - **LUGS** drops that state again when it is safe (no call in flight, no hot operation,
//!   no live cached result) and it pays, by measured cost: rebuild time, bytes held and the
//!   platform's memory size (see [`UnloadStrategy`]), so the memory really goes back;
//! - **ZAFP** gives hot operations a pre-resolved fast path that costs about as much as a
//!   direct call.
//!
//! lmms is not on crates.io yet: depend on it by path (a checkout next to your crate) or
//! by git (`lmms = { git = "<the repository's URL>" }`):
//!
//! ```toml
//! [dependencies]
//! lmms = { path = "../lmms" }
//! serde_json = "1" # only for calls by name: their arguments and results are JSON
//! ```
//!
//! ```
//! use lmms::{Init, InitError};
//!
//! /// Module state: built on first use, dropped by LUGS when idle.
//! #[lmms::module(name = "weather_core", policy = "utility")]
//! pub struct Weather {
//!     stations: Vec<(String, f64)>,
//! }
//!
//! impl Init for Weather {
//!     fn init() -> Result<Self, InitError> {
//!         Ok(Weather { stations: vec![("Oslo".into(), 4.5), ("Lima".into(), 19.0)] })
//!     }
//! }
//!
//! /// Registered at compile time; the wrapper takes `city` and returns `Result<String, lmms::Error>`.
//! #[lmms::operation(interface = "weather", op = "forecast", module = Weather)]
//! pub fn forecast(w: &Weather, city: String) -> String {
//!     match w.stations.iter().find(|(name, _)| *name == city) {
//!         Some((_, t)) => format!("{city}: {t} °C"),
//!         None => format!("{city}: no station"),
//!     }
//! }
//!
//! # fn main() -> Result<(), lmms::Error> {
//! assert_eq!(forecast("Oslo".into())?, "Oslo: 4.5 °C");                  // typed call
//! let json = lmms::execute("weather", "forecast", serde_json::json!({"city": "Lima"}))?; // by name
//! assert_eq!(json, "Lima: 19 °C");
//! # Ok(())
//! # }
//! ```
//!
//! ## Where to read on
//!
//! The guide (`docs/guide.md` in the repository) explains concepts, configuration,
//! choosing an unload strategy, the fast path, the cache, memory figures and AWS Lambda;
//! `docs/architecture.md` follows one call through the code and proves the unload
//! protocol; `docs/benchmarks.md` has the measured costs.
//!
//! ## Registration and linking
//!
//! Operations register through [`inventory`](https://docs.rs/inventory) (linker sections).
//! A library crate whose operations are never referenced from the final binary may be left
//! out by the linker, and its operations are then missing from the registry. The remedy:
//! reference the crate (`use my_ops as _;` is not enough on every platform — call one of
//! its items, or add `extern crate my_ops;` to the binary). `lmms::gateway().operations()`
//! lists what is registered, and unknown-interface errors say when the registry is empty.
//!
//! ## Attributes
//!
//! Names (`name`, `interface`, `op`) are ASCII letters, digits, `_` and `-`.
//!
//! `#[lmms::module]` keys: `name` (default: the type name in snake case), `policy` =
//! `"core" | "utility" | "feature"` (default `"utility"`), `async_init` (build with
//! [`AsyncInit`] instead of [`Init`]).
//!
//! `#[lmms::operation]` keys: `interface`, `op` (required), `module = Type` (the first
//! parameter is then `&Type`), `cache_ttl = "300s"` (result cache), `dynamic = false`
//! (left out of [`execute`]; without it, argument types need `serde::Deserialize` and the
//! result `serde::Serialize`), `flatten = true` (below). The function is replaced by its
//! gateway-routed form with the same name and visibility, the module parameter removed and
//! the result wrapped in `Result<_, lmms::Error>`; an `async fn` stays an `async fn`.
//!
//! A function returning `Result<T, E>` becomes `Result<Result<T, E>, lmms::Error>` (the
//! nested form: its own error apart from the gateway's, a call site needs `??`). With
//! `flatten = true`, and an `E` that can hold the gateway's errors (`E: From<lmms::Error>`),
//! the wrapper returns `Result<T, E>` itself, gateway errors converted by `E::from`, and a
//! call site needs one `?`. The key is explicit: the nested form is the default contract.
//! A return type not written `Result<T, E>` (or `std::result::Result`,
//! `core::result::Result`) or an `E` without `From<lmms::Error>` is a compile error naming
//! the fix. Cached results (`cache_ttl`) are still only `Ok` values, and a call by name
//! still answers with the operation's own `Result` as JSON.

pub use lmms_core::*;

#[cfg(feature = "lambda")]
pub mod lambda;

/// Declares module state. See the [crate docs](crate).
///
/// ```
/// #[lmms::module(policy = "feature")]
/// pub struct Reports(Vec<String>);
///
/// impl lmms::Init for Reports {
///     fn init() -> Result<Self, lmms::InitError> {
///         Ok(Reports(Vec::new()))
///     }
/// }
/// ```
pub use lmms_macros::module;

/// Registers an operation. See the [crate docs](crate).
///
/// ```
/// #[lmms::operation(interface = "math", op = "add")]
/// pub fn add(a: i64, b: i64) -> i64 {
///     a + b
/// }
///
/// assert_eq!(add(2, 3).unwrap(), 5);
/// assert_eq!(lmms::execute("math", "add", serde_json::json!({"a": 2, "b": 3})).unwrap(), 5);
/// ```
///
/// A `Result<T, E>` is nested by default, `Result<Result<T, E>, lmms::Error>`; with
/// `flatten = true` and `E: From<lmms::Error>` the wrapper returns `Result<T, E>`:
///
/// ```
/// #[derive(Debug)]
/// pub enum ParseError {
///     Lmms(lmms::Error),
///     NotANumber(String),
/// }
///
/// impl From<lmms::Error> for ParseError {
///     fn from(e: lmms::Error) -> Self {
///         ParseError::Lmms(e)
///     }
/// }
///
/// #[lmms::operation(interface = "docs_text", op = "nested", dynamic = false)]
/// pub fn nested(s: String) -> Result<u32, ParseError> {
///     s.parse().map_err(|_| ParseError::NotANumber(s))
/// }
///
/// #[lmms::operation(interface = "docs_text", op = "flat", flatten = true, dynamic = false)]
/// pub fn flat(s: String) -> Result<u32, ParseError> {
///     s.parse().map_err(|_| ParseError::NotANumber(s))
/// }
///
/// let n: Result<Result<u32, ParseError>, lmms::Error> = nested("7".into());
/// assert_eq!(n.unwrap().unwrap(), 7); // `n??` in a function returning `ParseError`
/// let n: Result<u32, ParseError> = flat("7".into());
/// assert_eq!(n.unwrap(), 7); // `n?`
/// assert!(matches!(flat("x".into()), Err(ParseError::NotANumber(_))));
/// ```
pub use lmms_macros::operation;

/// The README's example, compiled and run as a doctest so it stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// The guide's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../docs/guide.md")]
pub struct GuideDoctests;
