//! # `lmms::lambda` — the invocation boundary for `lambda_runtime` (feature `lambda`)
//!
//! What every Lambda function using lmms needs around its handler, in one call:
//!
//! ```no_run
//! use lambda_runtime::{service_fn, Error, LambdaEvent};
//! use serde_json::Value;
//!
//! async fn handler(event: LambdaEvent<Value>) -> Result<Value, Error> {
//!     Ok(event.payload) // call lmms operations here
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Error> {
//!     lmms::lambda::run(service_fn(handler)).await
//! }
//! ```
//!
//! [`run`] (or [`run_concurrent`], for Lambda Managed Instances) wraps `lambda_runtime`'s
//! own `run` with:
//!
//! - **INIT** (before the first invocation): it starts the gateway, which builds the
//!   blocking modules of `LMMS_HEAT_PROFILE` (a heat profile another instance exported),
//!   then awaits the profile's async modules, and logs what it did as `[LMMS_PRELOAD]`
//!   lines (a configuration fault as `[LMMS_FAULT]`).
//! - **After each invocation's response** (every invocation, those whose event failed to
//!   deserialize included): the boundary sweep (`lmms::gateway().sweep()`) and one stats
//!   line, by default in CloudWatch's Embedded Metric Format ([`StatsFormat`]). Lambda
//!   freezes a classic environment once the runtime and every extension wait for their
//!   next event, so the sweep runs in an *internal extension*, registered here before the
//!   runtime's first `next`, which asks for its next event only when the sweep is done:
//!   the caller already has its response, and the sweep still runs before the freeze.
//! - **Lambda Managed Instances** (`AWS_LAMBDA_MAX_CONCURRENCY` > 1: several invocations
//!   at once, never frozen): a background sweeper
//!   ([`Gateway::start_sweeper`](crate::Gateway::start_sweeper)) instead of sweeps per
//!   invocation, and the stats line after each response. A call holds its module until
//!   it returns, so a sweep never takes a module from under a concurrent invocation.
//!
//! With a hand-built [`lambda_runtime::Runtime`], [`Boundary::init`] does the INIT part
//! and [`Boundary::layer`] gives the layer to add last with `Runtime::layer`.
//!
//! `lambda_runtime` and `lambda-extension` need Rust 1.84; without the `lambda` feature
//! lmms needs 1.82 and compiles neither.

mod emf;
mod extension;
mod layer;
mod options;

pub use emf::StatsFormat;
pub use layer::{BoundaryFuture, BoundaryLayer, BoundaryService};
pub use options::Options;

use lambda_runtime::{layers::TracingLayer, Diagnostic, IntoFunctionResponse, LambdaEvent};
use lambda_runtime::{Error, Runtime, Service};
use serde::{Deserialize, Serialize};
use std::fmt::{self, Debug};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// Where the boundary sweeps, decided at INIT from `AWS_LAMBDA_MAX_CONCURRENCY`.
///
/// ```no_run
/// use lmms::lambda::{Boundary, BoundaryMode, Options};
///
/// # async fn init() -> Result<(), lambda_runtime::Error> {
/// let boundary = Boundary::init(Options::default()).await?;
/// match boundary.mode() {
///     BoundaryMode::PerInvocation => println!("a sweep after each response"),
///     BoundaryMode::Sweeper { max_concurrency } => {
///         println!("{max_concurrency} invocations at once, a background sweeper")
///     }
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BoundaryMode {
    /// One invocation at a time, frozen in between: a sweep after each response, in the
    /// internal extension.
    PerInvocation,
    /// Lambda Managed Instances: `max_concurrency` invocations at once, never frozen; a
    /// background sweeper.
    Sweeper {
        /// `AWS_LAMBDA_MAX_CONCURRENCY`.
        max_concurrency: u32,
    },
}

/// A boundary that could not be set up: names what was asked for and what is wrong.
///
/// ```
/// use lmms::lambda::{Boundary, BoundaryError, Options};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let refused = Boundary::init(Options::default().namespace("AWS/Lambda")).await;
/// let error = refused.err().expect("a namespace under AWS/ is refused");
/// let error = error.downcast_ref::<BoundaryError>().expect("a BoundaryError");
/// assert!(error.to_string().contains("got `AWS/Lambda`"));
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundaryError(String);

impl fmt::Display for BoundaryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BoundaryError {}

/// The INIT half of the boundary: done once, before the runtime polls its first event.
///
/// ```no_run
/// use lambda_runtime::{service_fn, Error, LambdaEvent, Runtime};
///
/// async fn handler(event: LambdaEvent<serde_json::Value>) -> Result<serde_json::Value, Error> {
///     Ok(event.payload)
/// }
///
/// #[tokio::main]
/// async fn main() -> Result<(), Error> {
///     let options = lmms::lambda::Options::default().namespace("orders");
///     let boundary = lmms::lambda::Boundary::init(options).await?;
///     // The boundary layer last, so that it sees every invocation end.
///     Runtime::new(service_fn(handler)).layer(boundary.layer()).run().await
/// }
/// ```
#[must_use = "add `boundary.layer()` to the runtime: the sweep after each response waits for its marks"]
pub struct Boundary {
    mode: BoundaryMode,
    layer: BoundaryLayer,
}

impl Boundary {
    /// Starts the gateway and preloads (`LMMS_HEAT_PROFILE`: blocking modules as the gateway
    /// starts, then async ones), then registers the internal extension (one invocation at
    /// a time) or starts the background sweeper (`AWS_LAMBDA_MAX_CONCURRENCY` > 1).
    ///
    /// Errors: not running under a Lambda Runtime API (`AWS_LAMBDA_RUNTIME_API` unset), a
    /// malformed `AWS_LAMBDA_MAX_CONCURRENCY`, bad [`Options`], or the extension's
    /// registration refused. A configuration fault of the gateway is not one: it is
    /// logged once and every call reports it.
    ///
    /// ```
    /// use lmms::lambda::{Boundary, Options};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # std::env::remove_var("AWS_LAMBDA_RUNTIME_API");
    /// // Outside Lambda (no Runtime API to serve), INIT says so instead of waiting.
    /// let error = Boundary::init(Options::default()).await.err().expect("not in Lambda");
    /// assert!(error.to_string().contains("AWS_LAMBDA_RUNTIME_API is unset"));
    /// # }
    /// ```
    pub async fn init(options: Options) -> Result<Boundary, Error> {
        options.check()?;
        if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_none() {
            return Err(BoundaryError(
                "lmms::lambda: not running inside AWS Lambda (AWS_LAMBDA_RUNTIME_API is unset): \
                 deploy the function or run it under a Lambda emulator"
                    .into(),
            )
            .into());
        }
        let mode = mode_from_env(std::env::var("AWS_LAMBDA_MAX_CONCURRENCY"))?;
        timers_enabled()?;
        let gw = crate::gateway();
        let interval = options.sweep_interval.unwrap_or(gw.config().sweep_interval);
        if matches!(mode, BoundaryMode::Sweeper { .. }) && interval.is_zero() {
            // Zero is a sweep at every call's end for the gateway; for the background
            // sweeper it would be a loop without pause on the sweep lock.
            return Err(BoundaryError(
                "lmms::lambda: the background sweeper of Lambda Managed Instances needs an interval of \
                 more than zero: LMMS_SWEEP_INTERVAL_MS is 0 (set it, or `Options::sweep_interval`)"
                    .into(),
            )
            .into());
        }
        preload().await;
        let emitter = Arc::new(emf::Emitter::new(&options));
        let signal = match mode {
            BoundaryMode::PerInvocation => Some(extension::register(emitter.clone()).await?),
            BoundaryMode::Sweeper { .. } => {
                gw.start_sweeper(interval);
                None
            }
        };
        Ok(Boundary {
            mode,
            layer: BoundaryLayer::new(signal, emitter),
        })
    }

    /// Where this boundary sweeps.
    ///
    /// ```no_run
    /// # async fn init() -> Result<(), lambda_runtime::Error> {
    /// let boundary = lmms::lambda::Boundary::init(Default::default()).await?;
    /// println!("boundary: {:?}", boundary.mode());
    /// # Ok(())
    /// # }
    /// ```
    pub fn mode(&self) -> BoundaryMode {
        self.mode
    }

    /// The layer to add (last) to a `lambda_runtime::Runtime`: it marks the end of each
    /// invocation, once its response or error has been posted. Without it the extension
    /// cannot know when a response has gone: it then sweeps as each invocation starts
    /// and logs an `[LMMS_FAULT]` line saying so.
    ///
    /// ```no_run
    /// use lambda_runtime::{layers::TracingLayer, service_fn, Error, LambdaEvent, Runtime};
    /// use serde_json::Value;
    ///
    /// async fn handler(event: LambdaEvent<Value>) -> Result<Value, Error> {
    ///     Ok(event.payload)
    /// }
    ///
    /// #[tokio::main]
    /// async fn main() -> Result<(), Error> {
    ///     let boundary = lmms::lambda::Boundary::init(Default::default()).await?;
    ///     Runtime::new(service_fn(handler))
    ///         .layer(TracingLayer::new())
    ///         .layer(boundary.layer()) // last: it sees each response posted
    ///         .run()
    ///         .await
    /// }
    /// ```
    pub fn layer(&self) -> BoundaryLayer {
        self.layer.clone()
    }
}

/// The boundary's extension bounds its waits with tokio's timers: a runtime built without
/// them (`enable_io()` alone; `#[tokio::main]` enables both) would make it panic at the
/// first invocation, after which nothing is swept. Refused at INIT instead.
fn timers_enabled() -> Result<(), BoundaryError> {
    // tokio has no query for it: making a timer panics when the runtime has none.
    std::panic::catch_unwind(|| drop(tokio::time::sleep(Duration::ZERO))).map_err(|_| {
        BoundaryError(
            "lmms::lambda: the boundary needs a tokio runtime with timers: build it with \
             `enable_all()` (as `#[tokio::main]` does) or `enable_time()`"
                .into(),
        )
    })
}

/// `AWS_LAMBDA_MAX_CONCURRENCY` read: unset or 1 is one invocation at a time; a value that
/// is not UTF-8 is refused, not taken as unset.
fn mode_from_env(value: Result<String, std::env::VarError>) -> Result<BoundaryMode, BoundaryError> {
    let raw = match value {
        Ok(raw) => raw,
        Err(std::env::VarError::NotPresent) => return Ok(BoundaryMode::PerInvocation),
        Err(std::env::VarError::NotUnicode(raw)) => {
            return Err(BoundaryError(format!(
                "lmms::lambda: AWS_LAMBDA_MAX_CONCURRENCY must be a whole number of at least 1, \
                 got {raw:?}, which is not UTF-8"
            )))
        }
    };
    // Not trimmed: `lambda_runtime` reads it untrimmed, and both must agree on the mode.
    match raw.parse::<u32>() {
        Ok(0) | Err(_) => Err(BoundaryError(format!(
            "lmms::lambda: AWS_LAMBDA_MAX_CONCURRENCY must be a whole number of at least 1, got `{raw}`"
        ))),
        Ok(1) => Ok(BoundaryMode::PerInvocation),
        Ok(n) => Ok(BoundaryMode::Sweeper { max_concurrency: n }),
    }
}

/// INIT: the gateway starts (building `LMMS_HEAT_PROFILE`'s blocking modules), then the
/// profile's async modules are awaited.
async fn preload() {
    let gw = crate::gateway();
    if let Some(fault) = gw.fault() {
        // Every call will return this error; the function still starts so that each
        // invocation reports it instead of the init phase crashing in a loop.
        println!("[LMMS_FAULT] {fault}");
        return;
    }
    let Some(report) = gw.heat_preload_report() else {
        return;
    };
    println!("[LMMS_PRELOAD] {}", emf::to_json(report));
    let async_left = (report.skipped.iter()).any(|s| s.reason == crate::SkipReason::AsyncInit);
    if let (true, Some(preload)) = (async_left, &gw.config().heat_preload) {
        match gw.preload_profile_async(preload).await {
            Ok(more) => println!("[LMMS_PRELOAD] {}", emf::to_json(&more)),
            Err(e) => println!("[LMMS_FAULT] {e}"),
        }
    }
}

/// `lambda_runtime::run` with the lmms boundary ([module docs](self)), [`Options::default`].
/// Runs invocations one at a time (with `AWS_LAMBDA_MAX_CONCURRENCY` > 1 too, like
/// `lambda_runtime::run`; the boundary then uses the background sweeper).
///
/// ```no_run
/// use lambda_runtime::{service_fn, Error, LambdaEvent};
/// use serde_json::Value;
///
/// // Events `{"interface": …, "op": …, "args": {…}}`, served by name.
/// async fn handler(event: LambdaEvent<Value>) -> Result<Value, Error> {
///     let p = &event.payload;
///     let (Some(interface), Some(op)) = (p["interface"].as_str(), p["op"].as_str()) else {
///         return Err("expected {\"interface\", \"op\", \"args\"}".into());
///     };
///     Ok(lmms::execute_async(interface, op, p["args"].clone()).await?)
/// }
///
/// #[tokio::main]
/// async fn main() -> Result<(), Error> {
///     lmms::lambda::run(service_fn(handler)).await
/// }
/// ```
pub async fn run<A, F, R, B, S, D, E>(handler: F) -> Result<(), Error>
where
    F: Service<LambdaEvent<A>, Response = R>,
    F::Future: Future<Output = Result<R, F::Error>>,
    F::Error: Into<Diagnostic> + Debug,
    A: for<'de> Deserialize<'de>,
    R: IntoFunctionResponse<B, S>,
    B: Serialize,
    S: futures_core::Stream<Item = Result<D, E>> + Unpin + Send + 'static,
    D: Into<bytes::Bytes> + Send,
    E: Into<Error> + Send + Debug,
{
    let boundary = Boundary::init(Options::default()).await?;
    Runtime::new(handler)
        .layer(TracingLayer::new())
        .layer(boundary.layer())
        .run()
        .await
}

/// `lambda_runtime::run_concurrent` with the lmms boundary ([module docs](self)),
/// [`Options::default`]: `AWS_LAMBDA_MAX_CONCURRENCY` invocations at once on Lambda
/// Managed Instances, one at a time elsewhere.
///
/// The handler is cloned for each concurrent invocation, so it must be `Clone + Send`.
///
/// ```no_run
/// use lambda_runtime::{service_fn, Error, LambdaEvent};
/// use serde_json::Value;
///
/// async fn handler(event: LambdaEvent<Value>) -> Result<Value, Error> {
///     Ok(lmms::execute_async("orders", "lookup", event.payload).await?)
/// }
///
/// #[tokio::main]
/// async fn main() -> Result<(), Error> {
///     lmms::lambda::run_concurrent(service_fn(handler)).await
/// }
/// ```
pub async fn run_concurrent<A, F, R, B, S, D, E>(handler: F) -> Result<(), Error>
where
    F: Service<LambdaEvent<A>, Response = R> + Clone + Send + 'static,
    F::Future: Future<Output = Result<R, F::Error>> + Send + 'static,
    F::Error: Into<Diagnostic> + Debug,
    A: for<'de> Deserialize<'de> + Send + 'static,
    R: IntoFunctionResponse<B, S> + Send + 'static,
    B: Serialize + Send + 'static,
    S: futures_core::Stream<Item = Result<D, E>> + Unpin + Send + 'static,
    D: Into<bytes::Bytes> + Send + 'static,
    E: Into<Error> + Send + Debug + 'static,
{
    let boundary = Boundary::init(Options::default()).await?;
    Runtime::new(handler)
        .layer(TracingLayer::new())
        .layer(boundary.layer())
        .run_concurrent()
        .await
}

#[cfg(test)]
mod tests;
