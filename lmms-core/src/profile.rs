//! Heat profiles: what one instance learned about its modules (calls in the heat window,
//! build time, bytes), exported as versioned JSON, and read back (environment or builder)
//! by another instance to preload the hot modules. Reading one (files and text, without
//! trusting either) is in `profile/read.rs`; the preloading is in `preload.rs`.

mod read;

use crate::Error;
pub use read::HEAT_PROFILE_MAX_BYTES;

/// Version of the heat-profile JSON this build writes and reads.
pub const HEAT_PROFILE_VERSION: u64 = 1;

/// Environment variable naming a heat profile to preload from: a path to a regular JSON
/// file, or the JSON itself inline (a value starting with `{`; `[` is read as inline JSON
/// too, and rejected as not an object); at most [`HEAT_PROFILE_MAX_BYTES`] either way.
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
#[derive(Clone, Debug, PartialEq, Eq)]
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

serialize_struct!(HeatProfile {
    version,
    heat_window_s,
    modules
});

/// One module's figures in a [`HeatProfile`].
///
/// ```
/// let mut entry = lmms::ModuleHeat::new("weather_core", 40);
/// entry.bytes = Some(2 << 20);
/// let profile = lmms::HeatProfile::new(3600, vec![entry, lmms::ModuleHeat::new("i18n_core", 90)]);
/// assert_eq!(profile.modules[0].module, "i18n_core", "hottest first");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
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

serialize_struct!(ModuleHeat {
    module,
    calls_in_window,
    build_ns,
    bytes,
    rss_growth_bytes
});

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
    /// fractional number, a module listed twice, `bytes` adding up past `u64::MAX`. Module
    /// names are not checked against a registry here; a preload skips and reports names the
    /// binary does not have.
    pub fn from_json(text: &str) -> Result<Self, Error> {
        read::parse_str(text).map_err(|e| Error::Config(format!("heat profile: {e}")))
    }

    /// What a profile must be, however it was made (read or built in code): each module
    /// listed once (a preload would count a module's bytes twice), and the modules' `bytes`
    /// adding up within a `u64` (a preload adds them up as it goes; a larger sum cannot be
    /// a profile this runtime wrote).
    pub(crate) fn check(&self) -> Result<(), String> {
        if let Some(name) = self.listed_twice() {
            return Err(format!(
                "module {} is listed twice",
                read::cut(&format!("{name:?}"))
            ));
        }
        self.modules
            .iter()
            .try_fold(0u64, |sum, m| sum.checked_add(m.bytes.unwrap_or(0)))
            .map(drop)
            .ok_or_else(|| "the modules' `bytes` add up past u64::MAX: not a real profile".into())
    }

    /// The first name (in name order) listed twice, comparing borrowed names: no copies.
    fn listed_twice(&self) -> Option<&str> {
        let mut names: Vec<&str> = self.modules.iter().map(|m| m.module.as_str()).collect();
        crate::order::sort_by(&mut names, |a, b| a.cmp(b));
        names.windows(2).find(|w| w[0] == w[1]).map(|w| w[0])
    }
}

/// Calls desc, then the dearer build first (unknown last), then by name.
fn sort_hottest_first(modules: &mut [ModuleHeat]) {
    crate::order::sort_by(modules, |a, b| {
        b.calls_in_window
            .cmp(&a.calls_in_window)
            .then_with(|| b.build_ns.unwrap_or(0).cmp(&a.build_ns.unwrap_or(0)))
            .then_with(|| a.module.cmp(&b.module))
    });
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
    /// `LMMS_HEAT_PROFILE_MIN_CALLS` (default 1, at least 1): fewer calls in the profile,
    /// not preloaded.
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
        self.profile
            .check()
            .map_err(|e| Error::Config(format!("heat profile: {e}")))?;
        if self.min_calls == 0 {
            return Err(Error::Config(format!(
                "{HEAT_PROFILE_MIN_CALLS_VAR}: must be at least 1 (unset it for the default, 1)"
            )));
        }
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
    let profile = load(&spec, HEAT_PROFILE_MAX_BYTES)
        .map_err(|e| Error::Config(format!("{HEAT_PROFILE_VAR}{e}")))?;
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

/// A profile from the variable's value, at most `cap` bytes; the error starts with where it
/// came from (`=<path>: ...` or ` (inline JSON): ...`), to follow the variable's name.
pub(crate) fn load(spec: &str, cap: u64) -> Result<HeatProfile, String> {
    let json = spec.trim_start();
    if json.trim_end().is_empty() {
        return Err(
            " is empty: set it to a file path or inline JSON, or unset it for no preload".into(),
        );
    }
    // Inline JSON may carry JSON's own whitespace; a path is taken exactly, as every other
    // setting is.
    if json.starts_with('{') || json.starts_with('[') {
        if json.len() as u64 > cap {
            return Err(format!(
                " (inline JSON): {} bytes, past the {cap}-byte limit \
                 (lmms::HEAT_PROFILE_MAX_BYTES): not a heat profile",
                json.len()
            ));
        }
        return read::parse_str(json).map_err(|e| format!(" (inline JSON): {e}"));
    }
    if spec.trim() != spec {
        return Err(format!(
            "={spec:?}: whitespace around the path (write {:?})",
            spec.trim()
        ));
    }
    read::parse_file(spec, cap).map_err(|e| format!("={spec}: {e}"))
}
