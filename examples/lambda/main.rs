//! # lambda — the smart-home function behind the official `lambda_runtime`
//!
//! The same application as `examples/smart_home` (its ~50 modules and their data-bearing
//! inits are compiled in from `../smart_home`), served as a real AWS Lambda function:
//!
//! - an invocation's event is `{"interface": .., "op": .., "params": {..}}`; it is routed
//!   through [`lmms::execute_async`] and the operation's result is the response;
//! - every invocation ends with `lmms::gateway().sweep()`: a Lambda execution environment
//!   is frozen between invocations, so the invocation boundary is the one moment a sweep
//!   is sure to run (a background sweeper thread would be frozen with the rest);
//! - each invocation logs its sweep (`[LMMS_SWEEP]`), the gateway's `[LMMS_STATS]` line and
//!   the instance's heat profile (`[LMMS_HEAT]`, from `Gateway::heat_profile`);
//! - `LMMS_HEAT_PROFILE` (a heat profile exported by another instance, inline or a file
//!   path) makes the gateway build that instance's hot modules when it starts, during the
//!   init phase, before the first invocation: what one instance learned preloads another.
//!
//! Errors (a malformed event, an unknown operation, bad arguments, a failed init) come
//! back as Lambda errors with a descriptive `errorType`; nothing panics.
//!
//! ```text
//! cargo lambda build --release --example lambda     # or see docs/lambda.md
//! cargo test --example lambda                       # the handler, locally, no AWS
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

/// Live heap bytes are counted (and attributed to modules), so `[LMMS_STATS]` and the
/// sweep lines report the memory that unloads really give back.
#[global_allocator]
static ALLOC: lmms::memory::CountingAlloc = lmms::memory::CountingAlloc::system();

/// Size of the modules' data, in percent of the base sizes (the smart_home replay's
/// full-size setting: eager start-up near the seeds' 40-50 MB).
const DATA_SCALE_PCT: u32 = 70;

/// One invocation at a time per execution environment: a current-thread runtime is enough.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_none() {
        // lambda_runtime would panic on the missing variables; say what to do instead.
        eprintln!(
            "not running inside AWS Lambda (AWS_LAMBDA_RUNTIME_API is unset): deploy it, run it \
             under `cargo lambda watch`, or test it with `cargo test --example lambda`"
        );
        std::process::exit(2);
    }
    data::set_scale_pct(DATA_SCALE_PCT);
    let gw = lmms::gateway();
    if let Some(fault) = gw.fault() {
        // Every call will return this error; the function still starts so that each
        // invocation reports it instead of the init phase crashing in a loop.
        println!("[LMMS_FAULT] {fault}");
    }
    if let Some(report) = gw.heat_preload_report() {
        // `LMMS_HEAT_PROFILE`: the gateway built the profile's hot modules as it started.
        println!("[LMMS_PRELOAD] {}", json(report));
        let needs_async = (report.skipped.iter()).any(|s| s.reason == lmms::SkipReason::AsyncInit);
        if let (true, Some(preload)) = (needs_async, &gw.config().heat_preload) {
            // Modules with an async init need the async preload.
            if let Ok(more) = gw.preload_profile_async(preload).await {
                println!("[LMMS_PRELOAD] {}", json(&more));
            }
        }
    }
    lambda_runtime::run(lambda_runtime::service_fn(handler::handle)).await
}

fn json(report: &lmms::HeatPreloadReport) -> String {
    serde_json::to_string(report).unwrap_or_default()
}
