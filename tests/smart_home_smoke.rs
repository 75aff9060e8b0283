//! Smoke test of `examples/smart_home`: runs the built example with `--quick` (5 % data,
//! short replay) and checks the JSON it reports for all three modes, and the plot.
//!
//! `cargo test` builds the examples before it runs tests, next to this test's binary
//! (`target/<profile>/examples/smart_home`); Cargo gives tests no `CARGO_BIN_EXE_` path
//! for examples, so the test looks there.

use std::path::PathBuf;
use std::process::Command;

fn example_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    // target/<profile>/deps/smart_home_smoke-HASH → target/<profile>/examples/smart_home
    let profile_dir = exe
        .parent()
        .and_then(|d| d.parent())
        .expect("target/<profile>");
    let bin = profile_dir
        .join("examples")
        .join(format!("smart_home{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} is missing: run the whole `cargo test` (it builds examples) or `cargo build --example smart_home` first",
        bin.display()
    );
    bin
}

#[test]
fn quick_replay_reports_all_modes() {
    let svg = std::env::temp_dir().join(format!("smart_home_smoke_{}.svg", std::process::id()));
    let out = Command::new(example_binary())
        .args(["--quick", "--json", "--plot"])
        .arg(&svg)
        .output()
        .expect("run the example");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "example failed: {stderr}");
    assert_eq!(
        stderr.matches("[LMMS_STATS] {").count(),
        3,
        "one stats line per mode: {stderr}"
    );

    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    for key in ["cold_start", "initial_memory", "gb_s_per_1k"] {
        assert!(v["seed_claims"][key]["before"].is_string(), "claim {key}");
    }
    let fields = [
        "cold_start_ms",
        "gateway_ready_us",
        "initial_heap_bytes",
        "initial_rss_bytes",
        "peak_rss_bytes",
        "after_idle_heap_bytes",
        "avg_response_us",
        "hot_path_ns",
        "gb_s_per_1k_seed",
        "gb_s_per_1k_aws",
        "configured_memory_mb",
    ];
    for mode in ["eager", "ligs", "lmms"] {
        let m = &v["modes"][mode];
        for f in fields {
            assert!(
                m[f].as_f64().is_some_and(|x| x >= 0.0),
                "{mode}.{f} = {}",
                m[f]
            );
        }
        assert_eq!(m["non_200"], 0, "{mode}: every request answered 200");
        assert!(m["cold_start_ms"].as_f64().unwrap() > 0.0);
        assert!(m["configured_memory_mb"].as_u64().unwrap() >= 128);
    }
    let (eager, ligs, lmms) = (
        &v["modes"]["eager"],
        &v["modes"]["ligs"],
        &v["modes"]["lmms"],
    );
    let u = |m: &serde_json::Value, f: &str| m[f].as_u64().unwrap();
    // Eager builds every module before the first request; lazy modes build none.
    assert_eq!(u(eager, "ligs_loads"), u(eager, "modules"));
    assert!(u(eager, "initial_heap_bytes") > u(lmms, "initial_heap_bytes"));
    assert!(u(eager, "initial_heap_bytes") > u(ligs, "initial_heap_bytes"));
    // Only lmms unloads, and that shows after idle; its hot operation got the fast path.
    assert_eq!(u(eager, "lugs_unloads"), 0);
    assert_eq!(u(ligs, "lugs_unloads"), 0);
    assert!(u(lmms, "lugs_unloads") > 0);
    assert!(u(lmms, "after_idle_heap_bytes") < u(ligs, "after_idle_heap_bytes"));
    assert_eq!(lmms["hot_path_on_fast_path"], true);
    assert_eq!(eager["hot_path_on_fast_path"], false);

    let plot = std::fs::read_to_string(&svg).expect("plot written");
    let _ = std::fs::remove_file(&svg);
    assert!(
        plot.starts_with("<svg") && plot.contains("live heap"),
        "an SVG chart"
    );
}
