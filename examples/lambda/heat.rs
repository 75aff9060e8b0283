//! Heat export and preload: what one instance learns can preload another.
//!
//! Lambda scales out by running more execution environments, each with its own process
//! and so its own gateway. A warm instance knows which modules its traffic uses (the heat
//! of their operations); a new instance knows nothing and builds each module on its first
//! call, inside some request's latency. [`heat_snapshot`] exports the warm instance's
//! knowledge as `{module: calls in the heat window}`; `LMMS_PRELOAD` hands it (or a plain
//! list of names) to a new instance, which builds those modules during its init phase,
//! before its first invocation.

use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Instant;

/// Environment variable read at start: comma-separated module names, a heat snapshot
/// (JSON object `{module: calls}` or array of names) inline, or a path to a JSON file
/// holding one.
pub const PRELOAD_VAR: &str = "LMMS_PRELOAD";

/// `{module: calls in the heat window}` for every module with calls in the window, from
/// `lmms::gateway().operations()` (the calls of a module's operations added up). Counts
/// are as of the last sweep; the handler sweeps at the end of every invocation, so after
/// an invocation they include it.
pub fn heat_snapshot() -> BTreeMap<String, u64> {
    let mut heat = BTreeMap::new();
    for op in lmms::gateway().operations() {
        if let (Some(module), n @ 1..) = (op.module, op.calls_in_window) {
            *heat.entry(module.to_string()).or_insert(0) += n;
        }
    }
    heat
}

/// The heat snapshot as an operation, so that an invocation
/// `{"interface": "lmms", "op": "heat"}` exports it. It runs on no module.
#[lmms::operation(interface = "lmms", op = "heat")]
pub fn export() -> BTreeMap<String, u64> {
    heat_snapshot()
}

/// `LMMS_PRELOAD`, if set and not blank.
pub fn preload_spec_from_env() -> Option<String> {
    std::env::var(PRELOAD_VAR)
        .ok()
        .filter(|s| !s.trim().is_empty())
}

/// The module names a preload spec asks for, hottest first for a snapshot.
///
/// - starts with `{` or `[`: a heat snapshot (`{module: calls}`, modules with 0 calls left
///   out) or an array of names, inline;
/// - contains `/` or ends in `.json`, or names an existing file: a path to such JSON;
/// - otherwise: comma-separated module names.
pub fn parse_preload(spec: &str) -> Result<Vec<String>, String> {
    let spec = spec.trim();
    let (json, origin) = if spec.starts_with('{') || spec.starts_with('[') {
        (spec.to_string(), "inline JSON".to_string())
    } else if spec.contains('/') || spec.ends_with(".json") || std::path::Path::new(spec).is_file()
    {
        let text = std::fs::read_to_string(spec)
            .map_err(|e| format!("cannot read heat snapshot file {spec:?}: {e}"))?;
        (text, format!("file {spec:?}"))
    } else {
        let mut names: Vec<String> = Vec::new();
        for name in spec.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            if !names.iter().any(|n| n == name) {
                names.push(name.to_string());
            }
        }
        return Ok(names);
    };
    let value: Value = serde_json::from_str(&json)
        .map_err(|e| format!("heat snapshot ({origin}) is not valid JSON: {e}"))?;
    match value {
        Value::Object(map) => {
            let mut hot = Vec::new();
            for (name, calls) in map {
                let calls = calls.as_u64().ok_or_else(|| {
                    format!(
                        "heat snapshot ({origin}): calls of {name:?} must be a whole number, got {calls}"
                    )
                })?;
                if calls > 0 {
                    hot.push((name, calls));
                }
            }
            hot.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            Ok(hot.into_iter().map(|(name, _)| name).collect())
        }
        Value::Array(items) => items
            .into_iter()
            .map(|v| match v {
                Value::String(s) => Ok(s),
                other => Err(format!(
                    "heat snapshot ({origin}): module names must be strings, got {other}"
                )),
            })
            .collect(),
        other => Err(format!(
            "heat snapshot ({origin}) must be an object {{module: calls}} or an array of names, got {other}"
        )),
    }
}

/// What a preload did.
#[derive(Debug, Default, serde::Serialize)]
pub struct PreloadReport {
    /// Modules built by this preload.
    pub built: Vec<String>,
    /// Modules asked for that were already resident.
    pub already_resident: Vec<String>,
    /// Names (or the spec itself) that could not be preloaded, with the reason.
    pub failed: Vec<(String, String)>,
    /// Time the preload took, in milliseconds.
    pub elapsed_ms: f64,
}

/// Parses `spec` (see [`parse_preload`]) and preloads the modules it names. Never fails:
/// an unreadable spec, an unknown module or a failing init is logged as a
/// `[LMMS_PRELOAD]` line and listed in the report, and the function starts anyway.
pub async fn preload_from_spec(spec: &str) -> PreloadReport {
    match parse_preload(spec) {
        Ok(names) => preload(&names).await,
        Err(e) => {
            println!("[LMMS_PRELOAD] {PRELOAD_VAR} ignored: {e}");
            PreloadReport {
                failed: vec![(PRELOAD_VAR.to_string(), e)],
                ..PreloadReport::default()
            }
        }
    }
}

/// Builds each named module (async inits awaited), logging one `[LMMS_PRELOAD]` line per
/// failure and one summary line.
pub async fn preload(names: &[String]) -> PreloadReport {
    let started = Instant::now();
    let gw = lmms::gateway();
    let resident: Vec<&'static str> = gw
        .modules()
        .into_iter()
        .filter(|m| m.resident)
        .map(|m| m.name)
        .collect();
    let mut report = PreloadReport::default();
    for name in names {
        if resident.contains(&name.as_str()) {
            report.already_resident.push(name.clone());
            continue;
        }
        match gw.preload_async(name).await {
            Ok(()) => report.built.push(name.clone()),
            Err(e) => {
                println!("[LMMS_PRELOAD] skipped module {name:?}: {e}");
                report.failed.push((name.clone(), e.to_string()));
            }
        }
    }
    report.elapsed_ms = started.elapsed().as_secs_f64() * 1e3;
    println!(
        "[LMMS_PRELOAD] {}",
        serde_json::to_string(&report).unwrap_or_default()
    );
    report
}
