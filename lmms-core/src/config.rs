//! Settings (SPEC section 5), read from the environment or built in code, and the clock.

use crate::Error;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Gateway settings. Defaults are the seeds' values; every field has an environment
/// variable of the seeds' name, read by [`Config::from_env`].
///
/// ```
/// use std::time::Duration;
/// let config = lmms::Config::builder()
///     .grace_period(Duration::from_secs(5))
///     .min_resident_modules(2)
///     .build()
///     .unwrap();
/// assert_eq!(config.min_resident_modules, 2);
/// assert!(config.lazy_loading);
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Config {
    /// `LAZY_LOADING_ENABLED`: false builds every module when the gateway starts.
    pub lazy_loading: bool,
    /// `ENABLE_MODULE_UNLOADING`: false, LUGS never unloads.
    pub unloading: bool,
    /// `UNLOAD_GRACE_PERIOD` (seconds): protection 4.
    pub grace_period: Duration,
    /// `MIN_RESIDENT_MODULES`: protection 5.
    pub min_resident_modules: usize,
    /// `ENABLE_FAST_PATH`: false, ZAFP never fills a slot.
    pub fast_path: bool,
    /// `FAST_PATH_THRESHOLD`: calls in the heat window above which an operation is HOT.
    pub fast_path_threshold: u64,
    /// `HEAT_WINDOW` (seconds): the sliding window heat is counted over.
    pub heat_window: Duration,
    /// `MAX_HOT_PATHS`: filled fast-path slots at most.
    pub max_hot_paths: usize,
    /// `CACHE_MAX_ENTRIES`: result-cache entries at most, across all operations.
    pub cache_max_entries: usize,
    /// `MEMORY_BUDGET_MB`: the budget memory pressure is measured against (unset: none).
    pub memory_budget_bytes: Option<u64>,
    /// `LMMS_SWEEP_INTERVAL_MS`: least time between two sweeps run at the end of a call.
    pub sweep_interval: Duration,
    /// `LMMS_TRIM_ON_UNLOAD`: after a sweep that unloaded something, return freed pages
    /// to the OS (`malloc_trim(0)` on glibc) and report the RSS change.
    pub trim_on_unload: bool,
    /// Time source; [`ManualClock`] makes grace periods and heat windows testable.
    pub clock: Clock,
    /// `LMMS_HEAT_PROFILE` (with `LMMS_HEAT_PROFILE_MIN_CALLS`, `LMMS_HEAT_PROFILE_MAX_MB`):
    /// a heat profile whose hot modules the gateway builds when it starts (unset: none).
    pub heat_preload: Option<crate::HeatPreload>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            lazy_loading: true,
            unloading: true,
            grace_period: Duration::from_secs(30),
            min_resident_modules: 8,
            fast_path: true,
            fast_path_threshold: 50,
            heat_window: Duration::from_secs(3600),
            max_hot_paths: 100,
            cache_max_entries: 10_000,
            memory_budget_bytes: None,
            sweep_interval: Duration::from_secs(1),
            trim_on_unload: false,
            clock: Clock::system(),
            heat_preload: None,
        }
    }
}

impl Config {
    /// A builder starting from the defaults.
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder {
            config: Config::default(),
        }
    }

    /// Reads every setting from the process environment. A variable that is set but does
    /// not parse is an error naming the variable and the value.
    ///
    /// ```
    /// let config = lmms::Config::from_env().unwrap();
    /// assert!(config.fast_path_threshold > 0);
    /// ```
    pub fn from_env() -> Result<Self, Error> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`Config::from_env`], reading variables through `lookup` (testable without
    /// touching the process environment).
    ///
    /// ```
    /// let err = lmms::Config::from_lookup(|v| (v == "HEAT_WINDOW").then(|| "soon".to_string()))
    ///     .unwrap_err();
    /// assert!(err.to_string().contains("HEAT_WINDOW") && err.to_string().contains("soon"));
    /// ```
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let mut c = Config::default();
        let b = |name: &str, slot: &mut bool| -> Result<(), Error> {
            if let Some(v) = lookup(name) {
                *slot = parse_bool(name, &v)?;
            }
            Ok(())
        };
        b("LAZY_LOADING_ENABLED", &mut c.lazy_loading)?;
        b("ENABLE_MODULE_UNLOADING", &mut c.unloading)?;
        b("ENABLE_FAST_PATH", &mut c.fast_path)?;
        b("LMMS_TRIM_ON_UNLOAD", &mut c.trim_on_unload)?;
        let num = |name: &str| -> Result<Option<u64>, Error> {
            lookup(name).map(|v| parse_u64(name, &v)).transpose()
        };
        if let Some(s) = num("UNLOAD_GRACE_PERIOD")? {
            c.grace_period = Duration::from_secs(s);
        }
        if let Some(n) = num("MIN_RESIDENT_MODULES")? {
            c.min_resident_modules = n as usize;
        }
        if let Some(n) = num("FAST_PATH_THRESHOLD")? {
            c.fast_path_threshold = n;
        }
        if let Some(s) = num("HEAT_WINDOW")? {
            c.heat_window = Duration::from_secs(s);
        }
        if let Some(n) = num("MAX_HOT_PATHS")? {
            c.max_hot_paths = n as usize;
        }
        if let Some(n) = num("CACHE_MAX_ENTRIES")? {
            c.cache_max_entries = n as usize;
        }
        if let Some(mb) = num("MEMORY_BUDGET_MB")? {
            c.memory_budget_bytes = Some(mb.saturating_mul(1024 * 1024));
        }
        if let Some(ms) = num("LMMS_SWEEP_INTERVAL_MS")? {
            c.sweep_interval = Duration::from_millis(ms);
        }
        c.heat_preload = crate::profile::from_lookup(&lookup)?;
        c.validate()
    }

    fn validate(self) -> Result<Self, Error> {
        let bad = |name: &str, why: &str| Err(Error::Config(format!("{name}: {why}")));
        if self.fast_path_threshold == 0 {
            return bad("FAST_PATH_THRESHOLD", "must be at least 1");
        }
        if self.heat_window.is_zero() {
            return bad("HEAT_WINDOW", "must be at least 1 second");
        }
        if self.memory_budget_bytes == Some(0) {
            return bad(
                "MEMORY_BUDGET_MB",
                "must be at least 1 (unset it for no budget)",
            );
        }
        if let Some(preload) = &self.heat_preload {
            preload.validate()?;
        }
        Ok(self)
    }
}

fn parse_bool(name: &str, value: &str) -> Result<bool, Error> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(Error::Config(format!(
            "{name}={value:?} is not a boolean (expected true/false, 1/0, yes/no, on/off)"
        ))),
    }
}

fn parse_u64(name: &str, value: &str) -> Result<u64, Error> {
    value.trim().parse::<u64>().map_err(|e| {
        Error::Config(format!(
            "{name}={value:?} is not a non-negative whole number ({e})"
        ))
    })
}

/// Builds a [`Config`]; every setting of the environment, plus the clock.
#[derive(Clone, Debug)]
#[must_use]
pub struct ConfigBuilder {
    config: Config,
}

macro_rules! setters {
    ($($(#[$doc:meta])* $name:ident : $ty:ty),* $(,)?) => {
        impl ConfigBuilder {
            $($(#[$doc])* pub fn $name(mut self, value: $ty) -> Self {
                self.config.$name = value;
                self
            })*
        }
    };
}

setters! {
    /// `LAZY_LOADING_ENABLED`.
    lazy_loading: bool,
    /// `ENABLE_MODULE_UNLOADING`.
    unloading: bool,
    /// `UNLOAD_GRACE_PERIOD`.
    grace_period: Duration,
    /// `MIN_RESIDENT_MODULES`.
    min_resident_modules: usize,
    /// `ENABLE_FAST_PATH`.
    fast_path: bool,
    /// `FAST_PATH_THRESHOLD`.
    fast_path_threshold: u64,
    /// `HEAT_WINDOW`.
    heat_window: Duration,
    /// `MAX_HOT_PATHS`.
    max_hot_paths: usize,
    /// `CACHE_MAX_ENTRIES`.
    cache_max_entries: usize,
    /// Least time between two end-of-call sweeps.
    sweep_interval: Duration,
    /// Trim freed pages back to the OS after an unloading sweep.
    trim_on_unload: bool,
    /// The time source.
    clock: Clock,
}

impl ConfigBuilder {
    /// `MEMORY_BUDGET_MB`, in mebibytes.
    pub fn memory_budget_mb(mut self, mb: u64) -> Self {
        self.config.memory_budget_bytes = Some(mb.saturating_mul(1024 * 1024));
        self
    }

    /// `LMMS_HEAT_PROFILE`: preload from a heat profile when the gateway starts (a
    /// [`HeatProfile`](crate::HeatProfile) preloads every module it lists with calls).
    pub fn heat_preload(mut self, preload: impl Into<crate::HeatPreload>) -> Self {
        self.config.heat_preload = Some(preload.into());
        self
    }

    /// The finished configuration, or the first setting out of range.
    pub fn build(self) -> Result<Config, Error> {
        self.config.validate()
    }
}

/// The gateway's time source: the system's monotonic clock, or a [`ManualClock`].
///
/// ```
/// use std::time::Duration;
/// let manual = lmms::ManualClock::new();
/// let clock = lmms::Clock::manual(&manual);
/// manual.advance(Duration::from_secs(31));
/// assert_eq!(clock.now_ms(), 31_000);
/// ```
#[derive(Clone, Debug)]
pub struct Clock(ClockKind);

#[derive(Clone, Debug)]
enum ClockKind {
    System(coarsetime::Instant),
    Manual(Arc<AtomicU64>),
}

impl Clock {
    /// The monotonic system clock, read coarsely (`CLOCK_MONOTONIC_COARSE` on Linux:
    /// a few ns a read, resolution of a few ms).
    pub fn system() -> Self {
        Clock(ClockKind::System(
            coarsetime::Instant::now_without_cache_update(),
        ))
    }

    /// A clock that moves only when `manual` is advanced.
    pub fn manual(manual: &ManualClock) -> Self {
        Clock(ClockKind::Manual(manual.ms.clone()))
    }

    /// Milliseconds since this clock's origin.
    #[inline]
    pub fn now_ms(&self) -> u64 {
        match &self.0 {
            // `now_without_cache_update`: `now()` would also write a process-wide atomic,
            // a cache line every calling thread would contend on.
            ClockKind::System(origin) => coarsetime::Instant::now_without_cache_update()
                .duration_since(*origin)
                .as_millis(),
            ClockKind::Manual(ms) => ms.load(Ordering::Acquire),
        }
    }
}

/// A clock for tests and replays: time moves only when told to.
#[derive(Clone, Debug, Default)]
pub struct ManualClock {
    ms: Arc<AtomicU64>,
}

impl ManualClock {
    /// A clock at time zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves time forward.
    pub fn advance(&self, by: Duration) {
        self.ms.fetch_add(by.as_millis() as u64, Ordering::AcqRel);
    }

    /// Milliseconds since the origin.
    pub fn now_ms(&self) -> u64 {
        self.ms.load(Ordering::Acquire)
    }
}
