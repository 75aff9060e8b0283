//! Settings, read from the environment (the seeds' variable names) or built in code, and
//! the clock.
//!
//! Every duration is checked when the configuration is built: the runtime works in
//! milliseconds on a `u64` clock, so a duration past [`MAX_DURATION`] is refused with an
//! error naming the setting instead of wrapping. Numbers in the environment are parsed
//! exactly as written: surrounding whitespace is refused, like any other stray character.

pub(crate) use crate::clock::millis;
pub use crate::clock::{Clock, ManualClock, MAX_DURATION};
use crate::duration::Unit;
use crate::env::{parse_bool, parse_duration, parse_u64};
use crate::memory::BudgetSource;
use crate::Error;
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
    /// `UNLOAD_GRACE_PERIOD` (a bare number is seconds; or `"250ms"`, `"30s"`, `"5m"`,
    /// `"1h"`): protection 4.
    pub grace_period: Duration,
    /// `MIN_RESIDENT_MODULES`: protection 5.
    pub min_resident_modules: usize,
    /// `ENABLE_FAST_PATH`: false, ZAFP never fills a slot.
    pub fast_path: bool,
    /// `FAST_PATH_THRESHOLD`: calls in the heat window above which an operation is HOT.
    pub fast_path_threshold: u64,
    /// `HEAT_WINDOW` (a bare number is seconds, or with a unit as above): the sliding
    /// window heat is counted over.
    pub heat_window: Duration,
    /// `MAX_HOT_PATHS`: filled fast-path slots at most.
    pub max_hot_paths: usize,
    /// `CACHE_MAX_ENTRIES`: result-cache entries at most, across all operations.
    pub cache_max_entries: usize,
    /// `MEMORY_BUDGET_MB`, else `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`: the budget memory
    /// pressure is measured against (neither set: none).
    pub memory_budget_bytes: Option<u64>,
    /// Where [`Config::memory_budget_bytes`] came from.
    pub budget_source: Option<BudgetSource>,
    /// `UNLOAD_STRATEGY`: how LUGS decides what to unload (default [`UnloadStrategy::Cost`]).
    pub unload_strategy: UnloadStrategy,
    /// `GB_SECONDS_PER_CPU_SECOND`: what one CPU-second of rebuild is worth in GB-seconds of
    /// held memory, for the break-even rule (default 9; see the guide for its derivation).
    pub gb_seconds_per_cpu_second: f64,
    /// `LMMS_SWEEP_INTERVAL_MS` (a bare number is milliseconds, or with a unit as above):
    /// least time between two sweeps run at the end of a call.
    pub sweep_interval: Duration,
    /// `LMMS_WORKING_SET_INVOCATIONS`: under a memory budget, a module called in one of the
    /// last this many invocations (the current one included; an invocation ends at each
    /// sweep but the one making room for a build) is in the working set, which HIGH
    /// pressure does not evict (default 2: a module used every other invocation stays).
    pub working_set_invocations: u64,
    /// `LMMS_TRIM_ON_UNLOAD`: after a sweep that unloaded something, return freed pages
    /// to the OS (`malloc_trim(0)` on glibc) and report the RSS change.
    pub trim_on_unload: bool,
    /// Time source; [`ManualClock`] makes grace periods and heat windows testable.
    pub clock: Clock,
    /// `LMMS_HEAT_PROFILE` (with `LMMS_HEAT_PROFILE_MIN_CALLS`, `LMMS_HEAT_PROFILE_MAX_MB`):
    /// a heat profile whose hot modules the gateway builds when it starts (unset: none).
    pub heat_preload: Option<crate::HeatPreload>,
    /// The configuration error of a faulted gateway (see [`Config::fault`]).
    fault: Option<Error>,
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
            budget_source: None,
            unload_strategy: UnloadStrategy::Cost,
            gb_seconds_per_cpu_second: 9.0,
            sweep_interval: Duration::from_secs(1),
            working_set_invocations: 2,
            trim_on_unload: false,
            clock: Clock::system(),
            heat_preload: None,
            fault: None,
        }
    }
}

impl Config {
    /// The configuration error that kept the settings from being read, on the
    /// configuration a faulted gateway shows ([`Gateway::config`](crate::Gateway::config)):
    /// every other field is then the default and **nothing is in force** — every call
    /// returns this error. `None` on every configuration that was read or built.
    ///
    /// ```
    /// assert!(lmms::Config::default().fault().is_none());
    /// // A gateway whose environment held a bad value shows the error here, and its
    /// // `Stats` (and `[LMMS_STATS]` line) carry it as `fault`.
    /// let gw = lmms::gateway();
    /// assert_eq!(gw.config().fault().is_some(), gw.stats().fault.is_some());
    /// ```
    pub fn fault(&self) -> Option<&Error> {
        self.fault.as_ref()
    }

    /// The stand-in configuration of a gateway whose configuration failed: the defaults,
    /// marked with the error.
    pub(crate) fn faulted(error: Error) -> Self {
        Self {
            fault: Some(error),
            ..Self::default()
        }
    }

    /// A builder starting from the defaults.
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder {
            config: Config::default(),
            budget_mb: None,
        }
    }

    /// Reads every setting from the process environment. A variable that is set but does
    /// not parse is an error naming the variable and the value; so is whitespace around a
    /// value (refused, not trimmed), and a value that is not UTF-8 (never read as unset).
    ///
    /// ```
    /// let config = lmms::Config::from_env().unwrap();
    /// assert!(config.fast_path_threshold > 0);
    /// ```
    pub fn from_env() -> Result<Self, Error> {
        Self::from_os_lookup(|name| std::env::var_os(name))
    }

    /// [`Config::from_lookup`] over raw values: the first variable read whose value is not
    /// UTF-8 is the error. Reading goes on past it (as if unset) only until the end or an
    /// error; since any earlier error would have stopped it first, the error returned is
    /// still the first bad value read.
    pub(crate) fn from_os_lookup(
        lookup: impl Fn(&str) -> Option<std::ffi::OsString>,
    ) -> Result<Self, Error> {
        let not_text = std::cell::Cell::new(None);
        let config = Self::from_lookup(|name| match crate::env::os_value(name, lookup(name)?) {
            Ok(value) => Some(value),
            Err(e) => {
                let first = not_text.take();
                not_text.set(first.or(Some(e)));
                None
            }
        });
        match not_text.into_inner() {
            Some(e) => Err(e),
            None => config,
        }
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
        // A count of things held in memory: one this platform's `usize` cannot hold is an
        // error, not a value cut to its low bits (a 32-bit target).
        let count = |name: &str| -> Result<Option<usize>, Error> {
            num(name)?
                .map(|n| {
                    usize::try_from(n).map_err(|_| {
                        Error::Config(format!(
                            "{name}: {n} is more than this platform can count ({})",
                            usize::MAX
                        ))
                    })
                })
                .transpose()
        };
        let duration = |name: &str, bare: Unit| -> Result<Option<Duration>, Error> {
            lookup(name)
                .map(|v| parse_duration(name, &v, bare))
                .transpose()
        };
        if let Some(d) = duration("UNLOAD_GRACE_PERIOD", Unit::Seconds)? {
            c.grace_period = d;
        }
        if let Some(n) = count("MIN_RESIDENT_MODULES")? {
            c.min_resident_modules = n;
        }
        if let Some(n) = num("FAST_PATH_THRESHOLD")? {
            c.fast_path_threshold = n;
        }
        if let Some(d) = duration("HEAT_WINDOW", Unit::Seconds)? {
            c.heat_window = d;
        }
        if let Some(n) = count("MAX_HOT_PATHS")? {
            c.max_hot_paths = n;
        }
        if let Some(n) = count("CACHE_MAX_ENTRIES")? {
            c.cache_max_entries = n;
        }
        // Both are checked when set, even the one that loses: a bad value is never ignored.
        let budget = num("MEMORY_BUDGET_MB")?;
        let lambda = num("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")?;
        if let Some((mb, source)) = budget
            .map(|mb| (mb, BudgetSource::MemoryBudgetMb))
            .or(lambda.map(|mb| (mb, BudgetSource::LambdaFunctionMemorySize)))
        {
            c.memory_budget_bytes = Some(mb_to_bytes(source.variable(), mb)?);
            c.budget_source = Some(source);
        }
        if let Some(v) = lookup("UNLOAD_STRATEGY") {
            c.unload_strategy = v.parse().map_err(|e: Error| match e {
                Error::Config(why) => Error::Config(format!("UNLOAD_STRATEGY={v:?}: {why}")),
                other => other,
            })?;
        }
        if let Some(v) = lookup("GB_SECONDS_PER_CPU_SECOND") {
            c.gb_seconds_per_cpu_second = v.parse::<f64>().map_err(|e| {
                Error::Config(format!(
                    "GB_SECONDS_PER_CPU_SECOND={v:?} is not a number ({e})"
                ))
            })?;
        }
        if let Some(d) = duration("LMMS_SWEEP_INTERVAL_MS", Unit::Millis)? {
            c.sweep_interval = d;
        }
        if let Some(n) = num("LMMS_WORKING_SET_INVOCATIONS")? {
            c.working_set_invocations = n;
        }
        c.heat_preload = crate::profile::from_lookup(&lookup)?;
        c.validate()
    }

    /// A builder starting from these settings (e.g. from [`Config::from_env`], so the
    /// platform's memory size still applies when a test swaps the clock).
    ///
    /// ```
    /// let config = lmms::Config::from_env().unwrap().to_builder().min_resident_modules(1).build();
    /// assert_eq!(config.unwrap().min_resident_modules, 1);
    /// ```
    pub fn to_builder(self) -> ConfigBuilder {
        ConfigBuilder {
            config: self,
            budget_mb: None,
        }
    }

    /// Checks every setting's range (also run by [`crate::configure`], since the fields are
    /// public).
    pub(crate) fn validate(self) -> Result<Self, Error> {
        if let Some(e) = &self.fault {
            // A faulted gateway's stand-in: not settings.
            return Err(e.clone());
        }
        let bad = |name: &str, why: &str| Err(Error::Config(format!("{name}: {why}")));
        if self.fast_path_threshold == 0 {
            return bad("FAST_PATH_THRESHOLD", "must be at least 1");
        }
        if self.heat_window.is_zero() {
            return bad("HEAT_WINDOW", "must be more than 0");
        }
        if self.memory_budget_bytes == Some(0) {
            let name = self
                .budget_source
                .map_or("MEMORY_BUDGET_MB", BudgetSource::variable);
            return bad(name, "must be at least 1 (unset it for no budget)");
        }
        if self.working_set_invocations == 0 {
            return bad("LMMS_WORKING_SET_INVOCATIONS", "must be at least 1");
        }
        if !(self.gb_seconds_per_cpu_second.is_finite() && self.gb_seconds_per_cpu_second > 0.0) {
            return Err(Error::Config(format!(
                "GB_SECONDS_PER_CPU_SECOND: must be a finite number above 0, got {}",
                self.gb_seconds_per_cpu_second
            )));
        }
        for (name, d) in [
            ("UNLOAD_GRACE_PERIOD", self.grace_period),
            ("HEAT_WINDOW", self.heat_window),
            ("LMMS_SWEEP_INTERVAL_MS", self.sweep_interval),
        ] {
            if d > MAX_DURATION {
                return Err(Error::Config(format!(
                    "{name}: {d:?} is out of range (at most {} ms)",
                    MAX_DURATION.as_millis()
                )));
            }
        }
        if let Some(preload) = &self.heat_preload {
            preload.validate()?;
        }
        Ok(self)
    }
}

fn mb_to_bytes(name: &str, mb: u64) -> Result<u64, Error> {
    mb.checked_mul(1024 * 1024)
        .ok_or_else(|| Error::Config(format!("{name}={mb} is out of range (bytes overflow)")))
}

/// How LUGS decides what to unload. Parsed in any case (`cost`, `Cost`, `COST`), like
/// booleans.
///
/// ```
/// use lmms::UnloadStrategy;
/// assert_eq!("cost".parse::<UnloadStrategy>().unwrap(), UnloadStrategy::Cost);
/// assert_eq!("Cost".parse::<UnloadStrategy>().unwrap(), UnloadStrategy::Cost);
/// assert_eq!("idle".parse::<UnloadStrategy>().unwrap(), UnloadStrategy::Idle);
/// assert!("lru".parse::<UnloadStrategy>().is_err());
/// assert_eq!(lmms::Config::default().unload_strategy, UnloadStrategy::Cost);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnloadStrategy {
    /// By measured cost (the default): with a memory budget, nothing goes below HIGH
    /// pressure and, at HIGH, modules go in GreedyDual-Size-Frequency order; without a
    /// budget, a module goes once idle past its break-even time. Protections 1–3 always
    /// hold and `core` modules always stay.
    Cost,
    /// The seeds' clock rule: all five protections, `feature` modules go as soon as
    /// protections 1–3 pass; at HIGH pressure, least recently used first.
    Idle,
}

serialize_unit_enum!(UnloadStrategy { Cost => 0 "cost", Idle => 1 "idle" });

impl std::str::FromStr for UnloadStrategy {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.to_ascii_lowercase().as_str() {
            "cost" => Ok(UnloadStrategy::Cost),
            "idle" => Ok(UnloadStrategy::Idle),
            _ => Err(Error::Config(format!(
                "unknown unload strategy {s:?} (expected \"cost\" or \"idle\", in any case)"
            ))),
        }
    }
}

/// Builds a [`Config`]; every setting of the environment, plus the clock.
#[derive(Clone, Debug)]
#[must_use]
pub struct ConfigBuilder {
    config: Config,
    budget_mb: Option<u64>,
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
    /// `LMMS_WORKING_SET_INVOCATIONS`: the invocations a use keeps a module in the working
    /// set (at least 1).
    ///
    /// ```
    /// let config = lmms::Config::builder().working_set_invocations(4).build().unwrap();
    /// assert_eq!(config.working_set_invocations, 4);
    /// assert!(lmms::Config::builder().working_set_invocations(0).build().is_err());
    /// ```
    working_set_invocations: u64,
    /// Trim freed pages back to the OS after an unloading sweep.
    trim_on_unload: bool,
    /// The time source.
    clock: Clock,
    /// `UNLOAD_STRATEGY`.
    unload_strategy: UnloadStrategy,
    /// `GB_SECONDS_PER_CPU_SECOND`.
    gb_seconds_per_cpu_second: f64,
}

impl ConfigBuilder {
    /// `MEMORY_BUDGET_MB`, in mebibytes (source: [`BudgetSource::Builder`]).
    pub fn memory_budget_mb(mut self, mb: u64) -> Self {
        self.budget_mb = Some(mb);
        self
    }

    /// No memory budget, whatever the environment said.
    pub fn no_memory_budget(mut self) -> Self {
        self.budget_mb = None;
        self.config.memory_budget_bytes = None;
        self.config.budget_source = None;
        self
    }

    /// `LMMS_HEAT_PROFILE`: preload from a heat profile when the gateway starts (a
    /// [`HeatProfile`](crate::HeatProfile) preloads every module it lists with calls).
    pub fn heat_preload(mut self, preload: impl Into<crate::HeatPreload>) -> Self {
        self.config.heat_preload = Some(preload.into());
        self
    }

    /// The finished configuration, or the first setting out of range.
    pub fn build(mut self) -> Result<Config, Error> {
        if let Some(mb) = self.budget_mb {
            self.config.memory_budget_bytes = Some(mb_to_bytes("MEMORY_BUDGET_MB", mb)?);
            self.config.budget_source = Some(BudgetSource::Builder);
        }
        self.config.validate()
    }
}
