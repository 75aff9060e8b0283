//! The figures table (`LMMS_LAMBDA_TABLE=N`): eager vs lmms in two scenarios, N
//! invocations each, a 64 MiB table module whose drop takes 200 ms.
//!
//! - *unload after the response*: one invocation at a time, frozen in between; each
//!   reads the table. lmms (idle rule) unloads it after each response and rebuilds it
//!   at the next invocation; eager builds it at INIT and never unloads; "lmms, sweep in
//!   the handler" is the hand-written boundary this feature replaces (the handler sweeps
//!   before it returns, so the response waits for the drop).
//! - *4 concurrent*: `AWS_LAMBDA_MAX_CONCURRENCY=4`, events sent in waves of 4 with a
//!   300 ms pause after each, each holding the table 50 ms; lmms sweeps in the
//!   background every 100 ms, so the table goes in the pauses and the next wave's four
//!   concurrent first calls wait for one rebuild.
//!
//! Response: from the runtime taking the event to the answer reaching the emulator.

use crate::fixture::Counts;
use crate::harness::{payload, quantile, response_ms, simulator, wait, Function};
use serde_json::json;

/// Environment variables of the function.
type Env = &'static [(&'static str, &'static str)];

const EAGER: [(&str, &str); 2] = [
    ("LAZY_LOADING_ENABLED", "false"),
    ("ENABLE_MODULE_UNLOADING", "false"),
];
const LMMS: [(&str, &str); 2] = [
    ("UNLOAD_STRATEGY", "idle"),
    ("LMMS_SWEEP_INTERVAL_MS", "100"),
];
const IN_HANDLER: [(&str, &str); 3] = [
    ("UNLOAD_STRATEGY", "idle"),
    ("LMMS_SWEEP_INTERVAL_MS", "100"),
    ("FIXTURE_SWEEP_IN_HANDLER", "1"),
];
const COMMON: [(&str, &str); 2] = [("FIXTURE_TABLE_MIB", "64"), ("FIXTURE_DROP_MS", "200")];
const CONCURRENT: [(&str, &str); 2] = [
    ("AWS_LAMBDA_MAX_CONCURRENCY", "4"),
    ("FIXTURE_CONCURRENT", "1"),
];

struct Row {
    p50: f64,
    p99: f64,
    rebuilds: u64,
    /// The boundary sweeps' p50 (from the EMF lines), if it swept per invocation.
    sweep_ms: Option<f64>,
    peak_rss_mib: f64,
    rss_after_mib: f64,
}

async fn measure(name: &str, concurrent: bool, mode: &[(&str, &str)], n: usize) -> Row {
    let sim = simulator(!concurrent).await;
    let mut env: Vec<(&str, &str)> = [&COMMON[..], mode].concat();
    if concurrent {
        env.extend(CONCURRENT);
    }
    let f = Function::start(&sim, name, &env);
    crate::harness::initialized(&sim).await;
    let wave = if concurrent { 4 } else { 1 };
    let hold = if concurrent { 50 } else { 0 };
    let mut times = Vec::new();
    for start in (0..n).step_by(wave) {
        let mut ids = Vec::new();
        for i in start..(start + wave).min(n) {
            ids.push(
                sim.enqueue_payload(json!({"op": "lookup", "i": i, "hold_ms": hold}))
                    .await,
            );
        }
        for id in ids {
            let s = wait(&sim, &id).await;
            payload(&s);
            times.push(response_ms(&s));
        }
        if concurrent {
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        } else {
            sim.wait_for_frozen(crate::harness::WAIT).await.unwrap();
        }
    }
    let rss_after_mib = f.status_kib("VmRSS:") as f64 / 1024.0;
    let s = wait(&sim, &sim.enqueue_payload(json!({"op": "counts"})).await).await;
    let counts: Counts = serde_json::from_value(payload(&s)["counts"].clone()).unwrap();
    let sweeps: Vec<f64> = (f.emf_lines().iter())
        .filter_map(|v| v["sweep_us"].as_f64())
        .map(|us| us / 1000.0)
        .collect();
    Row {
        sweep_ms: (!sweeps.is_empty()).then(|| quantile(&sweeps, 0.5)),
        p50: quantile(&times, 0.5),
        p99: quantile(&times, 0.99),
        rebuilds: counts.builds.saturating_sub(1),
        peak_rss_mib: f.status_kib("VmHWM:") as f64 / 1024.0,
        rss_after_mib,
    }
}

pub async fn print(n: usize) {
    println!("| scenario | mode | invocations | p50 response ms | p99 response ms | rebuilds | boundary sweep p50 ms | peak RSS MiB | RSS after the last, MiB |");
    println!("|---|---|---|---|---|---|---|---|---|");
    let runs: [(&str, bool, &str, Env); 5] = [
        ("unload after the response", false, "eager", &EAGER),
        ("unload after the response", false, "lmms", &LMMS),
        (
            "unload after the response",
            false,
            "lmms, sweep in the handler",
            &IN_HANDLER,
        ),
        ("4 concurrent", true, "eager", &EAGER),
        ("4 concurrent", true, "lmms", &LMMS),
    ];
    for (i, (scenario, concurrent, mode, env)) in runs.into_iter().enumerate() {
        let r = measure(&format!("table_{i}"), concurrent, env, n).await;
        let sweep = r.sweep_ms.map_or("-".into(), |ms| format!("{ms:.1}"));
        println!(
            "| {scenario} | {mode} | {n} | {:.1} | {:.1} | {} | {sweep} | {:.1} | {:.1} |",
            r.p50, r.p99, r.rebuilds, r.peak_rss_mib, r.rss_after_mib
        );
    }
}
