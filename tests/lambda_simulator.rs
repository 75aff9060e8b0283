//! `lmms::lambda` end to end under a Lambda emulator that freezes the function between
//! invocations (lambda-simulator: Runtime and Extensions API on loopback, SIGSTOP/SIGCONT).
//!
//! The function (`lambda_sim/fixture.rs`: a typed handler, `lmms::lambda::run` or
//! `run_concurrent`) is this very test binary started again as a child process with
//! `LMMS_LAMBDA_FIXTURE=1`, so that freezing it does not freeze the test. The binary has
//! its own `main` (`harness = false`) and prints libtest's summary line.
//!
//! ```text
//! cargo test --features lambda --test lambda_simulator
//! LMMS_LAMBDA_TABLE=40 cargo test --release --features lambda --test lambda_simulator  # + the figures table
//! ```

#[path = "lambda_sim/budget.rs"]
mod budget;
#[path = "lambda_sim/fixture.rs"]
mod fixture;
#[path = "lambda_sim/fixture_budget.rs"]
mod fixture_budget;
#[path = "lambda_sim/harness.rs"]
mod harness;
#[path = "lambda_sim/table.rs"]
mod table;

use harness::{answered_ms, invoke, payload, response_ms, simulator, wait, Function};
use lambda_simulator::InvocationStatus;
use serde_json::{json, Value};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// The function's allocator, as a user installs it: the `cost` strategy reads modules'
/// bytes from it (without, it falls back to the idle rule).
#[global_allocator]
static ALLOC: lmms::memory::CountingAlloc = lmms::memory::CountingAlloc::system();

/// The table module's teardown in the tests: long next to a response (a few ms).
const DROP_MS: u64 = 300;

fn main() {
    if std::env::var_os(harness::ROLE).is_some() {
        return fixture::main();
    }
    harness::watchdog(Duration::from_secs(600));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    type Scenario = fn() -> Pin<Box<dyn Future<Output = ()>>>;
    let scenarios: [(&str, Scenario); 4] = [
        ("sweep_after_the_response_and_after_a_bad_event", || {
            Box::pin(sweep_after_response())
        }),
        ("four_concurrent_invocations_share_one_module", || {
            Box::pin(four_concurrent())
        }),
        (
            "thrash_at_128_mb_a_table_used_every_other_invocation_is_built_once",
            || Box::pin(thrash_at_128_mb()),
        ),
        (
            "unload_after_the_response_costs_the_response_at_most_5_ms",
            || Box::pin(unload_after_response()),
        ),
    ];
    println!("\nrunning {} tests", scenarios.len());
    for (name, scenario) in scenarios {
        rt.block_on(scenario());
        println!("test {name} ... ok");
    }
    println!(
        "\ntest result: ok. {} passed; 0 failed; 0 ignored; 0 measured; 0 filtered out\n",
        scenarios.len()
    );
    if let Ok(n) = std::env::var("LMMS_LAMBDA_TABLE") {
        let n = n
            .parse()
            .expect("LMMS_LAMBDA_TABLE: a number of invocations per scenario");
        rt.block_on(table::print(n));
    }
}

/// Checks (c) on every line: valid JSON (parsed by `emf_lines`) with the `_aws` metadata,
/// each declared metric present as a number.
fn check_emf(f: &Function) -> usize {
    let lines = f.emf_lines();
    for v in &lines {
        let aws = &v["_aws"];
        assert!(aws["Timestamp"].is_u64(), "{v}");
        let d = &aws["CloudWatchMetrics"][0];
        assert_eq!(d["Namespace"], "lmms", "{v}");
        assert_eq!(d["Dimensions"], json!([["FunctionName"]]), "{v}");
        assert_eq!(v["FunctionName"], "lmms-fixture");
        let metrics = d["Metrics"].as_array().expect("Metrics");
        assert!(!metrics.is_empty());
        for m in metrics {
            assert!(
                v[m["Name"].as_str().unwrap()].is_number(),
                "{m} missing in {v}"
            );
            assert!(m["Unit"].is_string());
        }
    }
    lines.len()
}

/// (a) One invocation at a time, frozen in between: the response does not wait for the
/// sweep (the table's 300 ms drop), the sweep is over before the freeze, and an event
/// that fails deserialization gets its sweep too.
async fn sweep_after_response() {
    let sim = simulator(true).await;
    let drop_ms = DROP_MS.to_string();
    let f = Function::start(
        &sim,
        "after_response",
        &[("UNLOAD_STRATEGY", "idle"), ("FIXTURE_DROP_MS", &drop_ms)],
    );
    sim.wait_for(|| async { sim.extension_count().await >= 1 }, harness::WAIT)
        .await
        .expect("the lmms-boundary extension registers at INIT");
    harness::initialized(&sim).await;
    let names: Vec<String> = (sim.get_registered_extensions().await.into_iter())
        .map(|e| e.name)
        .collect();
    assert_eq!(names, ["lmms-boundary"]);

    let s = invoke(&sim, json!({"op": "lookup", "i": 300, "hold_ms": 0})).await;
    assert_eq!(payload(&s)["value"], 300 % 251);
    let id = &s.invocation.request_id;
    let answered = answered_ms(&s);
    let took = response_ms(&s);
    assert!(
        took < DROP_MS as f64,
        "the response waited for the sweep: {took} ms"
    );
    f.frozen(&sim, "after the invocation").await;
    // Frozen: the process can write nothing more, so what the log has now was done before.
    let out = f.output();
    let dropped: i64 = (out
        .lines()
        .find_map(|l| l.strip_prefix("[FIXTURE_DROPPED] ")))
    .unwrap_or_else(|| panic!("the table was not dropped before the freeze:\n{out}"))
    .parse()
    .unwrap();
    assert!(
        dropped >= answered + DROP_MS as i64 - 1,
        "the drop ended {} ms after the response",
        dropped - answered
    );
    let emf = f
        .emf_of(id)
        .unwrap_or_else(|| panic!("no EMF line for {id} before the freeze:\n{out}"));
    assert_eq!(emf["unloaded"], json!(["fixture_table"]));
    assert_eq!(emf["sweep_unloaded"], 1);
    assert_eq!(emf["ligs_loads"], 1);
    assert!(emf["_aws"]["Timestamp"].as_i64().unwrap() >= answered);

    // An event the handler's type cannot take: lambda_runtime answers with an error and
    // never calls the handler; the boundary still sweeps.
    let bad = invoke(&sim, json!("not a request")).await;
    assert_eq!(bad.status, InvocationStatus::Error);
    assert!(
        bad.error
            .as_ref()
            .unwrap()
            .error_type
            .contains("Deserializ"),
        "{:?}",
        bad.error
    );
    f.frozen(&sim, "after the bad event").await;
    let emf = (f.emf_of(&bad.invocation.request_id)).unwrap_or_else(|| {
        panic!(
            "no sweep for the bad event before the freeze:\n{}",
            f.output()
        )
    });
    assert_eq!(emf["sweeps"], 1, "{emf}");

    // Thawed by the next event: the table is built again and served.
    let s = invoke(&sim, json!({"op": "lookup", "i": 5})).await;
    assert_eq!(payload(&s)["value"], 5);
    f.frozen(&sim, "after the last event").await;
    assert_eq!(check_emf(&f), 3);
    assert!(!f.output().contains("[LMMS_FAULT]"), "{}", f.output());
}

/// (b) Lambda Managed Instances: `AWS_LAMBDA_MAX_CONCURRENCY=4`, `run_concurrent`, no
/// freeze, a background sweeper every 20 ms under the idle rule (it unloads the table
/// whenever no call holds it). 16 invocations, each holding the table 150 ms.
async fn four_concurrent() {
    let sim = simulator(false).await;
    let env = [
        ("AWS_LAMBDA_MAX_CONCURRENCY", "4"),
        ("FIXTURE_CONCURRENT", "1"),
        ("UNLOAD_STRATEGY", "idle"),
        ("LMMS_SWEEP_INTERVAL_MS", "20"),
        ("FIXTURE_DROP_MS", "50"),
    ];
    let f = Function::start(&sim, "concurrent", &env);
    harness::initialized(&sim).await;
    let mut ids = Vec::new();
    for i in 0..16u64 {
        let id = sim
            .enqueue_payload(json!({"op": "lookup", "i": 1000 + i, "hold_ms": 150}))
            .await;
        ids.push((id, (1000 + i) % 251));
    }
    for (id, expected) in &ids {
        let s = wait(&sim, id).await;
        assert_eq!(payload(&s)["value"], *expected, "{id}");
    }
    let s = invoke(&sim, json!({"op": "counts"})).await;
    let counts: fixture::Counts = serde_json::from_value(payload(&s)["counts"].clone()).unwrap();
    assert_eq!(
        counts.max_in_flight, 4,
        "invocations did not run 4 at once: {counts:?}"
    );
    assert_eq!(
        counts.max_live, 1,
        "two live instances of the table: {counts:?}"
    );
    assert!(
        counts.builds >= 1 && counts.builds - counts.drops <= 1,
        "{counts:?}"
    );
    assert_eq!(
        sim.extension_count().await,
        0,
        "no extension on Managed Instances"
    );
    // One stats line per invocation, after its response.
    harness::wait_log(&f, "17 EMF lines", |out| {
        out.matches("\"_aws\"").count() >= 17
    })
    .await;
    assert_eq!(check_emf(&f), 17);
    let sweeps: Vec<Value> = f.emf_lines().iter().map(|v| v["sweeps"].clone()).collect();
    let total: u64 = sweeps.iter().filter_map(Value::as_u64).sum();
    assert!(total >= 1, "the background sweeper never swept: {sweeps:?}");
    assert!(!f.output().contains("[LMMS_FAULT]"), "{}", f.output());
}

/// (c) Thrash at 128 MB (the default `cost` strategy, Lambda's memory size as the budget):
/// a ~100 MiB table used every other invocation, small modules used at every one, the
/// process at ~92 % of 128 MB (HIGH pressure) whenever the table is resident. The table
/// is in the working set (used in the last 2 invocations) at every boundary: built once.
async fn thrash_at_128_mb() {
    let (f, done) = budget::thrash("thrash", &[], 12).await;
    for (k, i) in done.iter().enumerate() {
        let (pct, unloaded) = (i.rss_percent(), i.unloaded());
        println!("[thrash] invocation {k}: RSS {pct:.1} % of 128 MB, unloaded {unloaded:?}");
    }
    assert_eq!(f.builds("fixture_big").await, (1, 0), "(builds, thrash)");
    for (k, i) in done.iter().enumerate() {
        // The scenario: HIGH pressure (above 90 %, under the limit) at every boundary.
        let pct = i.rss_percent();
        assert!(
            pct > 90.0 && pct <= 100.0,
            "not HIGH pressure at {k}: {}",
            i.emf
        );
        assert!(i.unloaded().is_empty(), "invocation {k}: {}", i.emf);
    }
    assert!(!f.f.output().contains("[LMMS_FAULT]"), "{}", f.f.output());
    drop(f); // one fixture process at a time (each holds ~118 MiB)

    // With a working set of 1 invocation the table is outside it at every other boundary:
    // evicted after invocation 1, rebuilt at 2 (thrash, counted), then kept at HIGH.
    let ws1 = [("LMMS_WORKING_SET_INVOCATIONS", "1")];
    let (f, done) = budget::thrash("thrash_ws1", &ws1, 6).await;
    let unloaded: Vec<Vec<String>> = done.iter().map(budget::Invocation::unloaded).collect();
    let (builds, thrash) = f.builds("fixture_big").await;
    println!("[thrash] LMMS_WORKING_SET_INVOCATIONS=1: table built {builds} times, thrash {thrash}, unloaded {unloaded:?}");
    assert_eq!((builds, thrash), (2, 1), "{unloaded:?}");
    assert_eq!(unloaded[1], ["fixture_big"]);
}

/// (d) Unload after the response: a ~99 MiB module of 1 M allocations is unloaded by the
/// boundary sweep of an invocation (pressure HIGH, the module no longer in the working
/// set). That invocation's response, as the emulator records it, is at most 5 ms slower
/// than the one before, whose sweep unloads nothing: medians over 5 rounds.
async fn unload_after_response() {
    let (f, rounds) = budget::unload_after("unload", &[], 5).await;
    for (k, r) in rounds.iter().enumerate() {
        assert!(r.kept.unloaded().is_empty(), "round {k}: {}", r.kept.emf);
        assert!(r.kept.rss_percent() > 90.0, "round {k}: {}", r.kept.emf);
        assert_eq!(
            r.unloading.unloaded(),
            ["fixture_many"],
            "round {k}: {}",
            r.unloading.emf
        );
    }
    let median = |f: fn(&budget::Round) -> f64| {
        harness::quantile(&rounds.iter().map(f).collect::<Vec<_>>(), 0.5)
    };
    let kept = median(|r| r.kept.response_ms);
    let unloading = median(|r| r.unloading.response_ms);
    let sweep = median(|r| r.unloading.sweep_ms());
    println!(
        "[unload] median response: {unloading:.2} ms with the unload after it, {kept:.2} ms \
         without (+{:.2} ms); the unloading sweep took {sweep:.1} ms after the response",
        unloading - kept
    );
    assert!(
        unloading - kept <= 5.0,
        "the response waited for the unload: {unloading:.2} ms vs {kept:.2} ms"
    );
    assert_eq!(f.builds("fixture_many").await, (5, 0), "(builds, thrash)");
    assert!(!f.f.output().contains("[LMMS_FAULT]"), "{}", f.f.output());
}
