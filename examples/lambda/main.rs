//! # lambda — the smart-home function behind the official `lambda_runtime`
//!
//! The same application as `examples/smart_home` (its ~50 modules and their data-bearing
//! inits are compiled in from `../smart_home`), served as a real AWS Lambda function:
//!
//! - an invocation's event is `{"interface": .., "op": .., "params": {..}}`; it is routed
//!   through [`lmms::execute_async`] and the operation's result is the response;
//! - `lmms::lambda` does the boundary work: at INIT, the preload from `LMMS_HEAT_PROFILE`
//!   (a heat profile exported by another instance, inline or a file path: what one
//!   instance learned preloads another), logged as `[LMMS_PRELOAD]`; after each response,
//!   the boundary sweep (in an internal extension, before the environment is frozen), one
//!   EMF metrics line and the instance's heat profile (`[LMMS_HEAT]`).
//!
//! Errors (a malformed event, an unknown operation, bad arguments, a failed init) come
//! back as Lambda errors with a descriptive `errorType`; nothing panics.
//!
//! ```text
//! cargo lambda build --release --features lambda --example lambda  # or see docs/lambda.md
//! cargo test --features lambda --example lambda                    # the handler, no AWS
//! ```

// The application's modules and the data their inits generate, shared with smart_home by
// path. This binary reaches them through `execute`, so some typed helpers that only
// smart_home's scenarios call are unused here: hence the `dead_code` allowances.
#[allow(dead_code)]
#[path = "../smart_home/data.rs"]
mod data;
#[allow(dead_code)]
#[path = "../smart_home/modules/mod.rs"]
mod modules;

mod handler;
#[cfg(test)]
mod tests;

/// Live heap bytes are counted (and attributed to modules), so the metrics line and the
/// heat profile report the memory that unloads really give back.
#[global_allocator]
static ALLOC: lmms::memory::CountingAlloc = lmms::memory::CountingAlloc::system();

/// Size of the modules' data, in percent of the base sizes (the smart_home replay's
/// full-size setting: eager start-up near the seeds' 40-50 MB).
const DATA_SCALE_PCT: u32 = 70;

/// One invocation at a time per execution environment: a current-thread runtime is enough
/// (the boundary sweep runs on tokio's blocking pool).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    data::set_scale_pct(DATA_SCALE_PCT);
    // `[LMMS_HEAT]` after each metrics line: the profile the next instance can preload.
    let options = lmms::lambda::Options::default()
        .namespace("lmms/smart-home")
        .heat_line(true);
    let boundary = lmms::lambda::Boundary::init(options).await?;
    lambda_runtime::Runtime::new(lambda_runtime::service_fn(handler::handle))
        .layer(boundary.layer())
        .run()
        .await
}
