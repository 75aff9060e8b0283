//! The memory-budget scenarios, driven from the test's side at
//! `AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128` under the default `cost` strategy (modules in
//! `fixture_budget.rs`), one invocation at a time, frozen in between. Each returns what it
//! measured; the tests assert on it and the figures table prints it.

use crate::harness::{invoke, payload, response_ms, simulator, Function};
use lambda_simulator::{InvocationState, Simulator};
use serde_json::{json, Value};

/// The budget, MiB (Lambda's memory size).
pub const MEMORY_MB: u64 = 128;
const MEMORY: &str = "128";

/// What one invocation left in the emulator and the log.
pub struct Invocation {
    pub response_ms: f64,
    /// Its EMF line (written after the response, before the freeze).
    pub emf: Value,
}

impl Invocation {
    /// The RSS when its boundary sweep was over, % of the budget.
    pub fn rss_percent(&self) -> f64 {
        let rss = self.emf["rss_bytes"].as_f64().expect("rss_bytes");
        rss * 100.0 / (MEMORY_MB << 20) as f64
    }

    pub fn unloaded(&self) -> Vec<String> {
        serde_json::from_value(self.emf["unloaded"].clone()).unwrap_or_default()
    }

    pub fn sweep_ms(&self) -> f64 {
        self.emf["sweep_us"].as_f64().unwrap_or(0.0) / 1000.0
    }
}

/// The fixture function under the budget, with `env` on top of the scenario's.
pub struct Budgeted {
    pub sim: Simulator,
    pub f: Function,
}

impl Budgeted {
    pub async fn start(name: &str, scenario: &[(&str, &str)], env: &[(&str, &str)]) -> Self {
        let sim = simulator(true).await;
        let mut all = vec![
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", MEMORY),
            ("FIXTURE_TABLE_MIB", "0"),
        ];
        all.extend_from_slice(scenario);
        all.extend_from_slice(env);
        let f = Function::start(&sim, name, &all);
        crate::harness::initialized(&sim).await;
        Budgeted { sim, f }
    }

    /// One `use` invocation of `mods`, waited until frozen (its sweep over).
    pub async fn call(&self, mods: &[&str]) -> Invocation {
        let s: InvocationState = invoke(&self.sim, json!({"op": "use", "mods": mods})).await;
        payload(&s);
        self.f.frozen(&self.sim, "after a budget invocation").await;
        let id = &s.invocation.request_id;
        crate::harness::wait_log(&self.f, "the invocation's EMF line", |out| {
            out.contains(id.as_str())
        })
        .await;
        let emf = (self.f.emf_of(id)).expect("the EMF line");
        Invocation {
            response_ms: response_ms(&s),
            emf,
        }
    }

    /// `module`'s builds so far, and the thrash the gateway counted.
    pub async fn builds(&self, module: &str) -> (u64, u64) {
        let s = invoke(&self.sim, json!({"op": "builds"})).await;
        let b = &payload(&s)["builds"];
        let builds = b["builds"][module].as_u64();
        (
            builds.unwrap_or_else(|| panic!("no module {module}: {b}")),
            b["thrash_rebuilds"].as_u64().unwrap(),
        )
    }

    /// The process's peak RSS so far, MiB.
    pub fn peak_rss_mib(&self) -> f64 {
        self.f.status_kib("VmHWM:") as f64 / 1024.0
    }
}

/// Thrash at 128 MB: `n` invocations, each using the small modules, every other (from the
/// first) the ~100 MiB `fixture_big` too. Returns the function (for its figures) and the
/// invocations.
pub async fn thrash(name: &str, env: &[(&str, &str)], n: usize) -> (Budgeted, Vec<Invocation>) {
    let f = Budgeted::start(name, &[("FIXTURE_MANY_ALLOCS", "0")], env).await;
    let mut done = Vec::new();
    for k in 0..n {
        let mods: &[&str] = if k % 2 == 0 {
            &["small", "big"]
        } else {
            &["small"]
        };
        done.push(f.call(mods).await);
    }
    (f, done)
}

/// One round of the unload scenario: the invocations whose boundary sweep unloads nothing
/// (`kept`, `fixture_many` resident) and whose sweep unloads it (`unloading`).
pub struct Round {
    pub kept: Invocation,
    pub unloading: Invocation,
}

/// Invocations from an eviction to the next build of `fixture_many` in a round: more than
/// lmms' thrash window, so each round's eviction is an ordinary one.
const GAP: u64 = lmms::THRASH_INVOCATIONS + 1;

/// Invocations in a round of [`unload_after`].
pub const ROUND: usize = 2 + GAP as usize;

/// Unload after the response: `rounds` rounds of: build `fixture_many` (~99 MiB, 1 M
/// allocations, the process at ~92 % of 128 MB); one invocation with it resident and
/// in the working set (its boundary unloads nothing); one more, the same, after which it
/// has left the working set and HIGH pressure unloads it; then `GAP - 1` invocations with
/// the small modules only.
pub async fn unload_after(
    name: &str,
    env: &[(&str, &str)],
    rounds: usize,
) -> (Budgeted, Vec<Round>) {
    let f = Budgeted::start(name, &[("FIXTURE_BIG_MIB", "0")], env).await;
    let mut done = Vec::new();
    for _ in 0..rounds {
        f.call(&["small", "many"]).await;
        let kept = f.call(&["small"]).await;
        let unloading = f.call(&["small"]).await;
        for _ in 1..GAP {
            f.call(&["small"]).await;
        }
        done.push(Round { kept, unloading });
    }
    (f, done)
}
