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
//! - *thrash at 128 MB* and *unload after the response, 128 MB* (`budget.rs`: the default
//!   `cost` strategy, `AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128`, the process at ~92 % of it):
//!   a ~100 MiB table used every other invocation (N invocations; the affected ones are
//!   those using the table), and rounds of a ~99 MiB module of 1 M allocations unloaded
//!   by the boundary sweep of an invocation that does not use it (N/4 rounds of 11
//!   invocations; the affected ones are those whose sweep unloads it, and their sweep's
//!   figure is the unload's).
//!
//! Response: from the runtime taking the event to the answer reaching the emulator.

use crate::budget::{self, Budgeted};
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
/// The 64 MiB table; the budget scenarios' modules empty (eager builds every module).
const COMMON: [(&str, &str); 5] = [
    ("FIXTURE_TABLE_MIB", "64"),
    ("FIXTURE_DROP_MS", "200"),
    ("FIXTURE_BIG_MIB", "0"),
    ("FIXTURE_MANY_ALLOCS", "0"),
    ("FIXTURE_FILL_PERCENT", "0"),
];
const CONCURRENT: [(&str, &str); 2] = [
    ("AWS_LAMBDA_MAX_CONCURRENCY", "4"),
    ("FIXTURE_CONCURRENT", "1"),
];

struct Row {
    /// Invocations sent, and how many of them the response figures are of.
    invocations: usize,
    affected: usize,
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
            f.frozen(&sim, "after a table invocation").await;
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
        invocations: n,
        affected: times.len(),
        sweep_ms: (!sweeps.is_empty()).then(|| quantile(&sweeps, 0.5)),
        p50: quantile(&times, 0.5),
        p99: quantile(&times, 0.99),
        rebuilds: counts.builds.saturating_sub(1),
        peak_rss_mib: f.status_kib("VmHWM:") as f64 / 1024.0,
        rss_after_mib,
    }
}

/// A row of a budget scenario: the affected invocations' responses and sweeps, `module`'s
/// builds beyond `expected_builds`.
async fn budget_row(
    f: Budgeted,
    affected: &[&budget::Invocation],
    invocations: usize,
    module: &str,
    expected_builds: u64,
) -> Row {
    let times: Vec<f64> = affected.iter().map(|i| i.response_ms).collect();
    let sweeps: Vec<f64> = affected.iter().map(|i| i.sweep_ms()).collect();
    let rss_after_mib = f.f.status_kib("VmRSS:") as f64 / 1024.0;
    let (builds, _) = f.builds(module).await;
    Row {
        invocations,
        affected: times.len(),
        p50: quantile(&times, 0.5),
        p99: quantile(&times, 0.99),
        rebuilds: builds.saturating_sub(expected_builds),
        sweep_ms: Some(quantile(&sweeps, 0.5)),
        peak_rss_mib: f.peak_rss_mib(),
        rss_after_mib,
    }
}

async fn thrash_row(name: &str, env: Env, n: usize) -> Row {
    let (f, done) = budget::thrash(name, env, n).await;
    let affected: Vec<&budget::Invocation> = done.iter().step_by(2).collect();
    budget_row(f, &affected, n, "fixture_big", 1).await
}

/// lmms builds the module again in each round by design (it is unloaded in each).
async fn unload_row(name: &str, env: Env, n: usize) -> Row {
    let rounds = (n / 4).max(1);
    let (f, done) = budget::unload_after(name, env, rounds).await;
    let affected: Vec<&budget::Invocation> = done.iter().map(|r| &r.unloading).collect();
    budget_row(f, &affected, rounds * budget::ROUND, "fixture_many", 1).await
}

fn print_row(scenario: &str, mode: &str, r: &Row) {
    let sweep = r.sweep_ms.map_or("-".into(), |ms| format!("{ms:.1}"));
    println!(
        "| {scenario} | {mode} | {} ({}) | {:.1} | {:.1} | {} | {sweep} | {:.1} | {:.1} |",
        r.invocations, r.affected, r.p50, r.p99, r.rebuilds, r.peak_rss_mib, r.rss_after_mib
    );
}

pub async fn print(n: usize) {
    println!("| scenario | mode | invocations (affected) | p50 response ms | p99 response ms | rebuilds | boundary sweep p50 ms | peak RSS MiB | RSS after the last, MiB |");
    println!("|---|---|---|---|---|---|---|---|---|");
    const THRASH: &str = "thrash at 128 MB";
    print_row(
        THRASH,
        "eager",
        &thrash_row("table_thrash_eager", &EAGER, n).await,
    );
    print_row(
        THRASH,
        "lmms (cost)",
        &thrash_row("table_thrash_lmms", &[], n).await,
    );
    const UNLOAD: &str = "unload after the response, 128 MB, 1 M allocations";
    let eager = unload_row("table_unload_eager", &EAGER, n).await;
    print_row(UNLOAD, "eager", &eager);
    print_row(
        UNLOAD,
        "lmms (cost)",
        &unload_row("table_unload_lmms", &[], n).await,
    );
    let runs: [(&str, bool, &str, Env); 5] = [
        (
            "unload after the response, 64 MiB, idle rule",
            false,
            "eager",
            &EAGER,
        ),
        (
            "unload after the response, 64 MiB, idle rule",
            false,
            "lmms (idle)",
            &LMMS,
        ),
        (
            "unload after the response, 64 MiB, idle rule",
            false,
            "lmms (idle), sweep in the handler",
            &IN_HANDLER,
        ),
        ("4 concurrent", true, "eager", &EAGER),
        ("4 concurrent", true, "lmms (idle)", &LMMS),
    ];
    for (i, (scenario, concurrent, mode, env)) in runs.into_iter().enumerate() {
        print_row(
            scenario,
            mode,
            &measure(&format!("table_{i}"), concurrent, env, n).await,
        );
    }
}
