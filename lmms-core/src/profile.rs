//! Heat profiles: what one instance learned about its modules (calls in the heat window,
//! build time, bytes), exported as versioned JSON, and read back (environment or builder)
//! by another instance to preload the hot modules. The preloading is in `preload.rs`.

use crate::Error;
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// Version of the heat-profile JSON this build writes and reads.
pub const HEAT_PROFILE_VERSION: u64 = 1;

/// Environment variable naming a heat profile to preload from: a path to a JSON file, or
/// the JSON itself inline (a value starting with `{`; `[` is read as inline JSON too, and
/// rejected as not an object).
pub const HEAT_PROFILE_VAR: &str = "LMMS_HEAT_PROFILE";
/// Environment variable: least calls in the window a profiled module needs to be preloaded.
pub const HEAT_PROFILE_MIN_CALLS_VAR: &str = "LMMS_HEAT_PROFILE_MIN_CALLS";
/// Environment variable: most mebibytes (by the profile's `bytes`) a preload may fill.
pub const HEAT_PROFILE_MAX_MB_VAR: &str = "LMMS_HEAT_PROFILE_MAX_MB";

/// What an instance learned about its modules, hottest first: exported by
/// [`Gateway::heat_profile`](crate::Gateway::heat_profile), read by [`HeatProfile::from_json`] or from
/// `LMMS_HEAT_PROFILE`, and used by a new instance to preload ([`HeatPreload`]).
///
/// The JSON (version 1):
///
/// ```json
/// {"version": 1, "heat_window_s": 3600, "modules": [
///   {"module": "i18n_core", "calls_in_window": 812, "build_ns": 3100000, "bytes": 2129498,
///    "rss_growth_bytes": 2875392},
///   {"module": "weather_core", "calls_in_window": 40, "build_ns": null, "bytes": null}]}
/// ```
///
/// ```
/// let text = r#"{"version": 1, "heat_window_s": 3600,
///                "modules": [{"module": "weather_core", "calls_in_window": 40}]}"#;
/// let profile = lmms::HeatProfile::from_json(text).unwrap();
/// assert_eq!(profile.modules[0].module, "weather_core");
/// assert_eq!(profile.modules[0].bytes, None);
/// assert_eq!(profile.modules[0].rss_growth_bytes, None); // optional: older profiles lack it
/// assert_eq!(lmms::HeatProfile::from_json(&profile.to_json()).unwrap(), profile);
///
/// let err = lmms::HeatProfile::from_json(r#"{"version": 7, "modules": []}"#).unwrap_err();
/// assert!(err.to_string().contains("version 7"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct HeatProfile {
    /// Format version, [`HEAT_PROFILE_VERSION`].
    pub version: u64,
    /// The exporting instance's heat window (`HEAT_WINDOW`), in seconds: what the call
    /// counts are counted over.
    pub heat_window_s: u64,
    /// One entry per module with calls in the window, hottest first.
    pub modules: Vec<ModuleHeat>,
}

/// One module's figures in a [`HeatProfile`].
///
/// ```
/// let mut entry = lmms::ModuleHeat::new("weather_core", 40);
/// entry.bytes = Some(2 << 20);
/// let profile = lmms::HeatProfile::new(3600, vec![entry, lmms::ModuleHeat::new("i18n_core", 90)]);
/// assert_eq!(profile.modules[0].module, "i18n_core", "hottest first");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ModuleHeat {
    /// Module name.
    pub module: String,
    /// Calls of its operations in the heat window, as of the exporter's last sweep.
    pub calls_in_window: u64,
    /// Mean wall-clock time of its builds, in ns, if the exporter measured it.
    pub build_ns: Option<u64>,
    /// Heap bytes its value held (counting allocator), if the exporter measured it.
    pub bytes: Option<u64>,
    /// How much the exporter's RSS grew across its latest build, if measured (with a
    /// memory budget). Making room before a first build expects the larger of this and
    /// `bytes`.
    pub rss_growth_bytes: Option<u64>,
}

impl ModuleHeat {
    /// A module's entry with no build-time or byte figure.
    pub fn new(module: impl Into<String>, calls_in_window: u64) -> Self {
        Self {
            module: module.into(),
            calls_in_window,
            build_ns: None,
            bytes: None,
            rss_growth_bytes: None,
        }
    }
}

impl HeatProfile {
    /// A profile of these modules (sorted hottest first), over a heat window of
    /// `heat_window_s` seconds.
    pub fn new(heat_window_s: u64, mut modules: Vec<ModuleHeat>) -> Self {
        sort_hottest_first(&mut modules);
        Self {
            version: HEAT_PROFILE_VERSION,
            heat_window_s,
            modules,
        }
    }

    /// The profile as one line of JSON.
    pub fn to_json(&self) -> String {
        // Strings, integers and nulls only: serializing cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a profile. Errors (`Error::Config`) name the problem: not JSON, no or an
    /// unsupported `version`, a missing, unknown or mistyped field, a negative or
    /// fractional number, a module listed twice. Module names are not checked against a
    /// registry here; a preload skips and reports names the binary does not have.
    pub fn from_json(text: &str) -> Result<Self, Error> {
        parse(text).map_err(|e| Error::Config(format!("heat profile: {e}")))
    }
}

/// Calls desc, then the dearer build first (unknown last), then by name.
fn sort_hottest_first(modules: &mut [ModuleHeat]) {
    modules.sort_by(|a, b| {
        b.calls_in_window
            .cmp(&a.calls_in_window)
            .then_with(|| b.build_ns.unwrap_or(0).cmp(&a.build_ns.unwrap_or(0)))
            .then_with(|| a.module.cmp(&b.module))
    });
}

fn parse(text: &str) -> Result<HeatProfile, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    let Value::Object(top) = value else {
        return Err(format!(
            "must be a JSON object {{\"version\": {HEAT_PROFILE_VERSION}, \"modules\": [..]}}, got {value}"
        ));
    };
    let version = match top.get("version") {
        None => return Err(format!(
            "no `version` field: not a heat profile (expected {{\"version\": {HEAT_PROFILE_VERSION}, \"modules\": [..]}})"
        )),
        Some(v) => v.as_u64().ok_or_else(|| format!("`version` must be a whole number, got {v}"))?,
    };
    if version != HEAT_PROFILE_VERSION {
        return Err(format!(
            "version {version} is not supported (this build reads version {HEAT_PROFILE_VERSION})"
        ));
    }
    only_fields(
        &top,
        &["version", "heat_window_s", "modules"],
        "the profile",
    )?;
    let heat_window_s = match top.get("heat_window_s") {
        None | Some(Value::Null) => 0,
        Some(v) => count(v, "`heat_window_s`")?,
    };
    let Some(Value::Array(items)) = top.get("modules") else {
        return Err("`modules` must be an array of {\"module\", \"calls_in_window\", ..}".into());
    };
    let mut seen = BTreeSet::new();
    let mut modules = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let m = module_entry(i, item)?;
        if !seen.insert(m.module.clone()) {
            return Err(format!("module {:?} is listed twice", m.module));
        }
        modules.push(m);
    }
    let mut profile = HeatProfile::new(heat_window_s, modules);
    profile.version = version;
    Ok(profile)
}

fn module_entry(i: usize, item: &Value) -> Result<ModuleHeat, String> {
    let Value::Object(entry) = item else {
        return Err(format!("modules[{i}] must be an object, got {item}"));
    };
    let module = match entry.get("module") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        other => {
            return Err(format!(
                "modules[{i}]: `module` must be a non-empty string, got {}",
                other.map_or("nothing".to_string(), Value::to_string)
            ))
        }
    };
    let at = format!("module {module:?}");
    only_fields(
        entry,
        &[
            "module",
            "calls_in_window",
            "build_ns",
            "bytes",
            "rss_growth_bytes",
        ],
        &at,
    )?;
    let calls = entry
        .get("calls_in_window")
        .ok_or_else(|| format!("{at}: `calls_in_window` is missing"))?;
    let optional = |field: &str| match entry.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => count(v, &format!("{at}: `{field}`")).map(Some),
    };
    Ok(ModuleHeat {
        calls_in_window: count(calls, &format!("{at}: `calls_in_window`"))?,
        build_ns: optional("build_ns")?,
        bytes: optional("bytes")?,
        rss_growth_bytes: optional("rss_growth_bytes")?,
        module,
    })
}

fn count(v: &Value, what: &str) -> Result<u64, String> {
    v.as_u64()
        .ok_or_else(|| format!("{what} must be a non-negative whole number, got {v}"))
}

fn only_fields(object: &Map<String, Value>, known: &[&str], at: &str) -> Result<(), String> {
    match object.keys().find(|k| !known.contains(&k.as_str())) {
        None => Ok(()),
        Some(k) => Err(format!(
            "{at} has an unknown field `{k}` (known: {})",
            known.join(", ")
        )),
    }
}

/// How a new instance preloads from a [`HeatProfile`]: the profile, plus which of its
/// modules to build. Set it with `LMMS_HEAT_PROFILE` (and `LMMS_HEAT_PROFILE_MIN_CALLS`,
/// `LMMS_HEAT_PROFILE_MAX_MB`) or [`ConfigBuilder::heat_preload`](crate::ConfigBuilder::heat_preload);
/// the gateway then preloads when it starts. [`Gateway::preload_profile`](crate::Gateway::preload_profile) runs one by hand.
///
/// Modules are taken hottest first; a module is built if it has at least `min_calls`
/// calls in the profile and, with `max_bytes`, if its profiled bytes still fit.
///
/// ```
/// let profile = lmms::HeatProfile::new(3600, vec![lmms::ModuleHeat::new("weather_core", 40)]);
/// let preload = lmms::HeatPreload::new(profile).min_calls(10).max_mb(64);
/// let config = lmms::Config::builder().heat_preload(preload).build().unwrap();
/// assert_eq!(config.heat_preload.unwrap().max_bytes, Some(64 << 20));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct HeatPreload {
    /// The profile to preload from.
    pub profile: HeatProfile,
    /// `LMMS_HEAT_PROFILE_MIN_CALLS` (default 1): fewer calls in the profile, not preloaded.
    pub min_calls: u64,
    /// `LMMS_HEAT_PROFILE_MAX_MB` (default none): the profiled bytes of the modules the
    /// preload leaves resident stay within this; a module without a byte figure is then
    /// skipped (its size is unknown).
    pub max_bytes: Option<u64>,
}

impl HeatPreload {
    /// Preload from `profile`: every module with at least one call, no byte limit.
    pub fn new(profile: HeatProfile) -> Self {
        Self {
            profile,
            min_calls: 1,
            max_bytes: None,
        }
    }

    /// Least calls in the window a module needs to be preloaded.
    #[must_use]
    pub fn min_calls(mut self, calls: u64) -> Self {
        self.min_calls = calls;
        self
    }

    /// Most mebibytes (by the profile's byte figures) the preloaded modules may hold.
    #[must_use]
    pub fn max_mb(mut self, mb: u64) -> Self {
        self.max_bytes = Some(mb.saturating_mul(1 << 20));
        self
    }

    pub(crate) fn validate(&self) -> Result<(), Error> {
        if self.max_bytes == Some(0) {
            return Err(Error::Config(format!(
                "{HEAT_PROFILE_MAX_MB_VAR}: must be at least 1 (unset it for no limit)"
            )));
        }
        Ok(())
    }
}

impl From<HeatProfile> for HeatPreload {
    fn from(profile: HeatProfile) -> Self {
        Self::new(profile)
    }
}

/// Reads `LMMS_HEAT_PROFILE` and its two settings for [`Config::from_lookup`](crate::Config::from_lookup).
pub(crate) fn from_lookup(
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<HeatPreload>, Error> {
    let number = |name: &str| -> Result<Option<u64>, Error> {
        lookup(name)
            .map(|v| crate::env::parse_u64(name, &v))
            .transpose()
    };
    let min_calls = number(HEAT_PROFILE_MIN_CALLS_VAR)?;
    let max_mb = number(HEAT_PROFILE_MAX_MB_VAR)?;
    let Some(spec) = lookup(HEAT_PROFILE_VAR) else {
        if let Some(set) = [HEAT_PROFILE_MIN_CALLS_VAR, HEAT_PROFILE_MAX_MB_VAR]
            .into_iter()
            .find(|name| lookup(name).is_some())
        {
            return Err(Error::Config(format!(
                "{set} is set but {HEAT_PROFILE_VAR} is not (it only tunes a heat-profile preload)"
            )));
        }
        return Ok(None);
    };
    let profile = load(&spec).map_err(|e| Error::Config(format!("{HEAT_PROFILE_VAR}{e}")))?;
    let mut preload = HeatPreload::new(profile);
    if let Some(n) = min_calls {
        preload = preload.min_calls(n);
    }
    if let Some(mb) = max_mb {
        preload = preload.max_mb(mb);
    }
    preload.validate()?;
    Ok(Some(preload))
}

/// A profile from the variable's value; the error starts with where it came from
/// (`=<path>: ...` or ` (inline JSON): ...`), to follow the variable's name.
fn load(spec: &str) -> Result<HeatProfile, String> {
    let json = spec.trim_start();
    if json.trim_end().is_empty() {
        return Err(
            " is empty: set it to a file path or inline JSON, or unset it for no preload".into(),
        );
    }
    // Inline JSON may carry JSON's own whitespace; a path is taken exactly, as every other
    // setting is.
    if json.starts_with('{') || json.starts_with('[') {
        return parse(json).map_err(|e| format!(" (inline JSON): {e}"));
    }
    if spec.trim() != spec {
        return Err(format!(
            "={spec:?}: whitespace around the path (write {:?})",
            spec.trim()
        ));
    }
    let text = std::fs::read_to_string(spec)
        .map_err(|e| format!("={spec}: cannot read the heat profile file: {e}"))?;
    parse(&text).map_err(|e| format!("={spec}: {e}"))
}
