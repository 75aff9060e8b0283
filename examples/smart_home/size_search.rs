//! How the large profile's `lmms` gets its heat profile, and what it would cost at other
//! sizes.
//!
//! A **warm-up instance** is an earlier instance of the same function serving requests of
//! another seed (`child::WARMUP_SEED`), never the measured replay. The first one runs at
//! the adaptive size and exports a heat profile (module sizes, so that LUGS can make room
//! before a first build); the measured `lmms` starts from it.
//!
//! `--size-sweep` also prices the function the way Lambda Power Tuning does: one warm-up
//! instance per candidate size (`sizing::candidate_sizes_mb`), each from that profile,
//! serving the first `child::PRICING_MIXED` of the same requests, its invocations priced
//! at its size. It shows what a smaller or larger size would cost, measured; it does not
//! choose the size.

use crate::parent::spawn;
use crate::sizing::{budget_mb, Mode, Profile};
use crate::{child, large};
use serde::Serialize;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::Instant;

/// A heat profile exported by a warm-up instance: the file it was written to (removed on
/// drop), and a line saying where it came from.
pub struct Heat {
    pub path: String,
    pub from: String,
}

impl Drop for Heat {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// One candidate size as its warm-up instance measured it.
#[derive(Clone, Debug, Serialize)]
pub struct Priced {
    pub memory_mb: u32,
    pub budget_mb: u32,
    pub requests: usize,
    pub gb_s_per_1k_aws: f64,
    pub cost_per_million_usd: f64,
    pub rebuilds: u64,
    pub peak_rss_bytes: u64,
    pub oom: bool,
}

/// Runs one warm-up instance at `memory_mb` serving `requests` mixed requests, from the
/// heat profile `from` if given; returns what it measured and the profile it exported.
pub fn warm_up(
    profile: Profile,
    memory_mb: u32,
    quick: bool,
    requests: usize,
    from: Option<&Heat>,
) -> Result<(child::Warmup, Heat), String> {
    let name = format!("{}/lmms warm-up at {memory_mb} MB", profile.name());
    let started = Instant::now();
    let n = requests.to_string();
    let mut extra = vec!["--warmup", n.as_str()];
    if let Some(h) = from {
        extra.extend(["--heat-profile", h.path.as_str()]);
    }
    let (stdout, _) = spawn(&name, profile, Mode::Lmms, Some(memory_mb), quick, &extra)?;
    let w: child::Warmup = serde_json::from_slice(&stdout)
        .map_err(|e| format!("{name}: child output is not a warm-up: {e}"))?;
    // One file per warm-up: two may run at the same size.
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    let path = std::env::temp_dir().join(format!(
        "smart_home_heat_{}_{}_{}.json",
        profile.name(),
        std::process::id(),
        RUNS.fetch_add(1, Relaxed)
    ));
    std::fs::write(&path, w.heat_profile.to_string())
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let modules = w.heat_profile["modules"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let sized = |large: bool| {
        modules
            .iter()
            .filter(|m| m["bytes"].is_u64())
            .filter(|m| large == large::names().any(|n| m["module"] == n))
            .count()
    };
    // Measured under the warm-up's budget: what make_room expects beside the heap bytes.
    let grown = modules
        .iter()
        .filter(|m| m["rss_growth_bytes"].is_u64())
        .count();
    eprintln!(
        "smart_home: {name} done in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let from = format!(
        "a heat profile exported by a warm-up instance at {memory_mb} MB ({} requests of another request sequence, peak RSS {:.0} MiB): sizes of {} small and {} of {} large modules, RSS growth of {}",
        w.requests,
        w.peak_rss_bytes as f64 / 1048576.0,
        sized(false),
        sized(true),
        large::names().count(),
        grown
    );
    let heat = Heat {
        path: path.display().to_string(),
        from,
    };
    Ok((w, heat))
}

fn priced(w: &child::Warmup) -> Priced {
    Priced {
        memory_mb: w.memory_mb,
        budget_mb: budget_mb(w.memory_mb),
        requests: w.requests,
        gb_s_per_1k_aws: w.gb_s_per_1k_aws,
        cost_per_million_usd: w.cost_per_million_usd,
        rebuilds: w.rebuilds,
        peak_rss_bytes: w.peak_rss_bytes,
        oom: w.oom,
    }
}

/// Prices the function at every size of `candidates` (ascending), each run starting from
/// the heat profile `from`.
pub fn sweep(
    profile: Profile,
    candidates: &[u32],
    quick: bool,
    from: &Heat,
) -> Result<Vec<Priced>, String> {
    let mut all = Vec::new();
    for &mb in candidates {
        let (w, _) = warm_up(profile, mb, quick, child::PRICING_MIXED, Some(from))?;
        all.push(priced(&w));
    }
    Ok(all)
}

/// The sweep as one line of the output.
pub fn describe(priced: &[Priced]) -> String {
    let parts: Vec<String> = priced
        .iter()
        .map(|p| {
            format!(
                "{} MB ${:.3}/M, rebuilds {:.1} %, peak {:.0} MiB{}",
                p.memory_mb,
                p.cost_per_million_usd,
                100.0 * p.rebuilds as f64 / p.requests.max(1) as f64,
                p.peak_rss_bytes as f64 / 1048576.0,
                if p.oom { ", OOM" } else { "" }
            )
        })
        .collect();
    let cheapest = priced
        .iter()
        .filter(|p| !p.oom)
        .min_by(|a, b| a.cost_per_million_usd.total_cmp(&b.cost_per_million_usd))
        .map_or("none fits".to_string(), |p| format!("{} MB", p.memory_mb));
    format!(
        "{} warm-up instances, {} requests each of another request sequence, from the same heat profile: {}; cheapest that fits: {cheapest}",
        priced.len(),
        priced.first().map_or(0, |p| p.requests),
        parts.join(" | "),
    )
}
