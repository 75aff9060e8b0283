//! Smoke test of `examples/smart_home`: runs the built example with `--quick` (5 % data,
//! short replay, large modules at 3 % of their size) and checks the JSON it reports for both
//! profiles and all four modes, the plot, the exit status (`--strict` or not), and that the
//! default text output reads at 120 columns.
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
fn quick_replay_reports_both_profiles_and_all_modes() {
    let svg = std::env::temp_dir().join(format!("smart_home_smoke_{}.svg", std::process::id()));
    let out = Command::new(example_binary())
        .args(["--quick", "--json", "--size-sweep", "--strict", "--plot"])
        .arg(&svg)
        .output()
        .expect("run the example");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("one JSON object ({e}); stderr: {stderr}"));
    // `--strict`: exit 1 when a target is missed, 0 when all are met.
    let missed = v["targets"]
        .as_array()
        .expect("targets")
        .iter()
        .filter(|t| t["met"] == false)
        .count();
    assert_eq!(
        out.status.code(),
        Some(i32::from(missed > 0)),
        "--strict with {missed} missed target(s): {stderr}"
    );
    // Each profile's result in one sentence, from this run's figures.
    for profile in ["small", "large"] {
        let r = v["results"][profile].as_str().unwrap_or_default();
        assert!(
            r.starts_with("Result: lmms costs"),
            "results.{profile}: {r:?}"
        );
    }
    assert_eq!(v["plot"].as_str(), svg.to_str());
    for key in ["cold_start", "initial_memory", "gb_s_per_1k"] {
        assert!(v["seed_claims"][key]["before"].is_string(), "claim {key}");
    }
    assert_eq!(v["quick"], true);
    let fields = [
        "cold_start_ms",
        "gateway_ready_us",
        "initial_heap_bytes",
        "initial_rss_bytes",
        "peak_rss_bytes",
        "after_idle_heap_bytes",
        "avg_response_us",
        "p99_response_us",
        "hot_path_ns",
        "gb_s_per_1k_seed",
        "gb_s_per_1k_aws",
        "configured_memory_mb",
        "requests",
        "rebuilds",
        "mean_cpu_us",
        "mean_sweep_us",
        "cost_per_million_usd",
    ];
    let modes = ["eager", "ligs", "lmms", "lmms_idle"];
    for profile in ["small", "large"] {
        let ms = v["profiles"][profile]["modes"]
            .as_object()
            .unwrap_or_else(|| panic!("profiles.{profile}.modes"));
        assert_eq!(ms.keys().collect::<Vec<_>>(), {
            let mut k = modes.to_vec();
            k.sort_unstable();
            k
        });
        for mode in modes {
            let m = &ms[mode];
            for f in fields {
                assert!(
                    m[f].as_f64().is_some_and(|x| x >= 0.0),
                    "{profile}.{mode}.{f} = {}",
                    m[f]
                );
            }
            assert!(m["oom"].is_boolean(), "{profile}.{mode}.oom");
            // The runtime's `[LMMS_STATS]` line, as the child logged it: one JSON object whose
            // counters are the ones the mode reports.
            let line = m["stats_line"].as_str().unwrap_or_default();
            let stats: serde_json::Value = line
                .strip_prefix("[LMMS_STATS] ")
                .and_then(|j| serde_json::from_str(j).ok())
                .unwrap_or_else(|| panic!("{profile}.{mode}.stats_line: {line:?}"));
            for counter in ["ligs_loads", "lugs_unloads", "zafp_hits"] {
                assert_eq!(stats[counter], m[counter], "{profile}.{mode}: {counter}");
            }
            assert_eq!(
                m["non_200"], 0,
                "{profile}.{mode}: every request answered 200"
            );
            assert!(m["cold_start_ms"].as_f64().unwrap() > 0.0);
            assert!(m["configured_memory_mb"].as_u64().unwrap() >= 128);
            // The bill's curve and the recommendation come from the library's right-sizing.
            assert!(!m["size_costs"].as_array().unwrap().is_empty());
            if let Some(rec) = m["recommended_mb"].as_u64() {
                let (c, r) = (
                    m["cost_per_million_usd"].as_f64().unwrap(),
                    m["recommended_cost_per_million_usd"].as_f64().unwrap(),
                );
                assert!(
                    rec >= 128 && (m["oom"] == true || r <= c + 1e-12),
                    "{profile}.{mode}: recommended costs more"
                );
            }
        }
        let u = |mode: &str, f: &str| ms[mode][f].as_u64().unwrap();
        // Eager builds every module before the first request; lazy modes build none.
        assert_eq!(u("eager", "ligs_loads"), u("eager", "modules"));
        assert_eq!(u("eager", "rebuilds"), 0);
        assert_eq!(u("ligs", "rebuilds"), 0);
        for lazy in ["ligs", "lmms", "lmms_idle"] {
            assert!(u("eager", "initial_heap_bytes") > u(lazy, "initial_heap_bytes"));
        }
        // Only the unloading modes unload; the seeds' clock rule shows it after idle.
        assert_eq!(u("eager", "lugs_unloads"), 0);
        assert_eq!(u("ligs", "lugs_unloads"), 0);
        assert!(u("lmms_idle", "lugs_unloads") > 0);
        assert!(u("lmms_idle", "after_idle_heap_bytes") < u("ligs", "after_idle_heap_bytes"));
        assert_eq!(ms["lmms"]["hot_path_on_fast_path"], true);
        assert_eq!(ms["eager"]["hot_path_on_fast_path"], false);
        // Adaptive modes report the budget they ran under.
        assert!(ms["lmms"]["budget_mb"].as_u64().is_some());
        assert!(ms["eager"]["budget_mb"].is_null());
    }
    // The large profile carries the data modules: eager holds more than in the small one,
    // and every invocation of the small profile is in the large one too.
    let p = |profile: &str, f: &str| {
        v["profiles"][profile]["modes"]["eager"][f]
            .as_u64()
            .unwrap()
    };
    assert!(p("large", "initial_heap_bytes") > p("small", "initial_heap_bytes") + (16 << 20));
    assert!(p("large", "requests") > p("small", "requests"));
    assert!(v["targets"].as_array().is_some_and(|t| t.len() == 8));
    // `--size-sweep`: the large profile's lmms priced at candidate sizes, each measured.
    let sweep = v["sizing"]["size_search"]["large"].as_array().unwrap();
    assert!(!sweep.is_empty(), "{sweep:?}");
    for c in sweep {
        assert!(c["memory_mb"].as_u64().unwrap() >= 128, "{c}");
        assert!(c["cost_per_million_usd"].as_f64().unwrap() > 0.0, "{c}");
        assert!(c["requests"].as_u64().unwrap() > 0, "{c}");
        assert!(c["oom"].is_boolean(), "{c}");
    }
    assert_eq!(v["sizing"]["size_search"]["small"], serde_json::json!([]));
    // Ascending, up to the size lmms ran at.
    let mbs: Vec<u64> = sweep
        .iter()
        .map(|c| c["memory_mb"].as_u64().unwrap())
        .collect();
    assert!(mbs.windows(2).all(|w| w[0] < w[1]), "{mbs:?}");
    assert_eq!(
        mbs.last().copied(),
        v["sizing"]["adaptive_size_mb"]["large"].as_u64()
    );
    // The second small eager run that measures the spread of identical runs is made by
    // the full run only.
    assert!(v["small_eager_again_gb_s_per_1k_aws"].is_null());

    let plot = std::fs::read_to_string(&svg).expect("plot written");
    let _ = std::fs::remove_file(&svg);
    assert!(
        plot.starts_with("<svg") && plot.contains("live heap") && plot.contains("memory size"),
        "an SVG chart of heap and of cost per memory size"
    );
}

/// The default output (no flags but `--quick`): every line of stdout and stderr at most 120
/// columns (characters, not bytes), each profile's result first, the targets in their own
/// section saying they do not fail the run, exit 0 whatever they say, and the plot written
/// where the output says.
#[test]
fn default_output_fits_120_columns_and_writes_the_plot() {
    let out = Command::new(example_binary())
        .arg("--quick")
        .output()
        .expect("run the example");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "example failed: {stderr}");
    let text = String::from_utf8(out.stdout).expect("UTF-8 output");
    // Both streams: a terminal shows the progress lines on stderr among the report's.
    let wide: Vec<(usize, &str)> = text
        .lines()
        .chain(stderr.lines())
        .map(|l| (l.chars().count(), l))
        .filter(|(n, _)| *n > 120)
        .collect();
    assert!(wide.is_empty(), "lines wider than 120 columns: {wide:#?}");
    assert_eq!(text.matches("\nResult: lmms costs").count(), 2, "{text}");
    assert!(
        text.contains("== Targets (informational: a MISSED target does not fail the run"),
        "{text}"
    );
    assert!(!text.contains("seed before"), "{text}");
    let plot = text
        .lines()
        .find_map(|l| l.strip_prefix("Plot: "))
        .and_then(|l| l.split(" (").next())
        .unwrap_or_else(|| panic!("no plot path in the output: {text}"));
    let svg = std::fs::read_to_string(plot).unwrap_or_else(|e| panic!("{plot}: {e}"));
    assert!(
        svg.starts_with("<svg") && svg.contains("live heap"),
        "{plot}"
    );
}
