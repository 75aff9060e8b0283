//! With a memory budget, each build's RSS growth is measured and the heat profile carries
//! it (`rss_growth_bytes`) beside the heap bytes; it survives the JSON round trip, and a
//! profile without it (written before it existed) still loads.

use lmms::{Config, HeatProfile};
use std::time::Duration;

#[global_allocator]
static A: lmms::memory::CountingAlloc = lmms::memory::CountingAlloc::system();

const MIB: u64 = 1 << 20;

/// Half a million separately allocated 8-byte boxes: ~4 MiB counted, ~19 MiB of RSS.
#[lmms::module(name = "boxes", policy = "feature")]
// Boxed on purpose: one small allocation each, the point of the module.
#[allow(clippy::vec_box)]
pub struct Boxes(Vec<Box<u64>>);

impl lmms::Init for Boxes {
    fn init() -> Result<Self, lmms::InitError> {
        Ok(Boxes((1..=500_000u64).map(Box::new).collect()))
    }
}

#[lmms::operation(interface = "boxes", op = "len", module = Boxes)]
pub fn boxes_len(m: &Boxes) -> usize {
    m.0.len()
}

#[test]
fn the_rss_growth_is_exported_and_round_trips() {
    // A budget far above this process: RSS growth is measured, nothing is under pressure.
    let config = Config::builder()
        .memory_budget_mb(8192)
        .sweep_interval(Duration::from_secs(1 << 40))
        .build()
        .unwrap();
    lmms::configure(config).unwrap();
    let gw = lmms::gateway();
    assert_eq!(boxes_len().unwrap(), 500_000);
    gw.sweep(); // heat counts are as of the last sweep

    let info = gw
        .modules()
        .into_iter()
        .find(|m| m.name == "boxes")
        .unwrap();
    let growth = info
        .last_build_rss_growth_bytes
        .expect("measured under a budget");
    let heap = info.last_build_bytes.unwrap();
    assert!(growth > heap, "RSS growth {growth} vs heap {heap}");
    let stats = serde_json::to_value(gw.stats()).unwrap();
    let listed = stats["modules"].as_array().unwrap();
    let boxes = listed.iter().find(|m| m["name"] == "boxes").unwrap();
    assert_eq!(boxes["last_build_rss_growth_bytes"], growth);

    let profile = gw.heat_profile();
    let entry = profile
        .modules
        .iter()
        .find(|m| m.module == "boxes")
        .unwrap();
    assert_eq!(entry.rss_growth_bytes, Some(growth));
    assert_eq!(entry.bytes, Some(heap));
    let json = profile.to_json();
    assert!(
        json.contains(&format!("\"rss_growth_bytes\":{growth}")),
        "{json}"
    );
    assert_eq!(HeatProfile::from_json(&json).unwrap(), profile);

    // Unloaded, the module keeps its figures, and the export still carries them.
    assert!(gw.unload("boxes").unwrap());
    let after = gw.heat_profile();
    let entry = after.modules.iter().find(|m| m.module == "boxes").unwrap();
    assert_eq!(entry.rss_growth_bytes, Some(growth));
    assert!(growth < 64 * MIB, "{growth}");
}

#[test]
fn a_profile_without_the_field_still_loads() {
    let old = r#"{"version": 1, "heat_window_s": 3600, "modules": [
        {"module": "boxes", "calls_in_window": 3, "build_ns": 1000, "bytes": 4096}]}"#;
    let profile = HeatProfile::from_json(old).unwrap();
    assert_eq!(profile.modules[0].bytes, Some(4096));
    assert_eq!(profile.modules[0].rss_growth_bytes, None);
    let null = old.replace(
        "\"bytes\": 4096",
        "\"bytes\": 4096, \"rss_growth_bytes\": null",
    );
    assert_eq!(HeatProfile::from_json(&null).unwrap(), profile);
}
