//! Preloading from a heat profile: which modules to build (hottest first, above a call
//! threshold, within a byte limit), at gateway start or by hand, and the report.

use crate::gateway::Gateway;
use crate::profile::{HeatPreload, HeatProfile, ModuleHeat};
use crate::stats::ModuleInfo;
use crate::Error;
use serde_core::ser::{Serialize, SerializeMap, SerializeStruct, Serializer};
use std::sync::OnceLock;
use std::time::Instant;

/// What a heat-profile preload did: returned by [`Gateway::preload_profile`] and
/// [`Gateway::preload_profile_async`]; the one run at start is
/// [`Gateway::heat_preload_report`]. Serializes to JSON for a log line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct HeatPreloadReport {
    /// Modules built by this preload, in the order built (hottest first).
    pub built: Vec<String>,
    /// Modules selected that were resident already.
    pub already_resident: Vec<String>,
    /// Modules of the profile not built, each with the reason.
    pub skipped: Vec<SkippedModule>,
    /// Profiled bytes of the built and already resident modules (those with a figure).
    pub profiled_bytes: u64,
    /// Wall-clock time the preload took, in microseconds.
    pub elapsed_us: u64,
}

serialize_struct!(HeatPreloadReport {
    built,
    already_resident,
    skipped,
    profiled_bytes,
    elapsed_us
});

/// A module of the profile that a preload did not build.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SkippedModule {
    /// Module name, as the profile spells it.
    pub module: String,
    /// Why it was not built (in JSON, its fields sit beside `module`:
    /// `{"module": "x", "reason": "below_threshold", "calls": 2, "min_calls": 3}`).
    pub reason: SkipReason,
}

/// Why a preload did not build a module of the profile.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SkipReason {
    /// Fewer calls in the profile than `min_calls`.
    BelowThreshold {
        /// Its calls in the profile.
        calls: u64,
        /// The threshold.
        min_calls: u64,
    },
    /// This binary has no module of that name (the profile came from another build).
    UnknownModule,
    /// A byte limit is set and the profile has no byte figure for it.
    BytesUnknown,
    /// Its profiled bytes do not fit in what is left of the byte limit.
    OverLimit {
        /// Its profiled bytes.
        bytes: u64,
        /// What was left of the limit.
        left: u64,
    },
    /// It has an async init, which a blocking preload (at start, or
    /// [`Gateway::preload_profile`]) cannot run: use [`Gateway::preload_profile_async`].
    AsyncInit,
    /// Its init failed; the first call retries it and gets the error.
    InitFailed {
        /// The error.
        error: String,
    },
}

/// The preload the gateway ran when it started, if a heat profile was configured.
static AT_START: OnceLock<HeatPreloadReport> = OnceLock::new();

/// Runs the configured preload once, when the process-wide gateway starts (outside its
/// initialization, so an init may call operations). Without a profile or with a fault:
/// nothing.
impl Gateway {
    /// The preload a configured heat profile asks for, run once when the gateway starts.
    pub(crate) fn preload_at_start(&self) {
        if let (Some(preload), None) = (&self.config.heat_preload, self.fault()) {
            let _ = AT_START.set(preload_blocking(self, preload));
        }
    }
}

fn preload_blocking(gw: &Gateway, preload: &HeatPreload) -> HeatPreloadReport {
    let mut selection = Selection::new(gw, preload, true);
    while let Some(name) = selection.next_module() {
        let result = gw.preload(&name);
        selection.settle(name, result);
    }
    selection.finish()
}

impl Gateway {
    /// Builds the modules `preload` selects (see [`HeatPreload`]), blocking. Modules with
    /// an async init are skipped ([`SkipReason::AsyncInit`]); names this binary does not
    /// have, and failing inits, are skipped and reported, never an error. The only errors
    /// are the gateway's fault and a preload that is not valid (e.g. a profile whose
    /// `bytes` add up past `u64::MAX`, or `max_mb(0)`).
    ///
    /// ```
    /// let profile = lmms::HeatProfile::from_json(
    ///     r#"{"version": 1, "modules": [{"module": "gone_core", "calls_in_window": 9}]}"#,
    /// ).unwrap();
    /// let report = lmms::gateway().preload_profile(&profile.into()).unwrap();
    /// assert!(report.built.is_empty());
    /// assert_eq!(report.skipped[0].reason, lmms::SkipReason::UnknownModule);
    /// ```
    pub fn preload_profile(&self, preload: &HeatPreload) -> Result<HeatPreloadReport, Error> {
        if let Some(e) = self.fault() {
            return Err(e.clone());
        }
        preload.validate()?;
        Ok(preload_blocking(self, preload))
    }

    /// Like [`Gateway::preload_profile`], and awaits async inits too.
    ///
    /// ```
    /// /// In `main`, before serving: the start built the blocking modules of
    /// /// `LMMS_HEAT_PROFILE`; this builds its async ones (the rest are resident).
    /// async fn init_phase() -> Result<(), lmms::Error> {
    ///     let gw = lmms::gateway();
    ///     if let Some(preload) = &gw.config().heat_preload {
    ///         let report = gw.preload_profile_async(preload).await?;
    ///         println!("[LMMS_PRELOAD] {}", serde_json::to_string(&report).unwrap());
    ///     }
    ///     Ok(())
    /// }
    /// ```
    pub async fn preload_profile_async(
        &self,
        preload: &HeatPreload,
    ) -> Result<HeatPreloadReport, Error> {
        if let Some(e) = self.fault() {
            return Err(e.clone());
        }
        preload.validate()?;
        let mut selection = Selection::new(self, preload, false);
        while let Some(name) = selection.next_module() {
            let result = self.preload_async(&name).await;
            selection.settle(name, result);
        }
        Ok(selection.finish())
    }

    /// The report of the preload run when the gateway started (`LMMS_HEAT_PROFILE` or
    /// [`ConfigBuilder::heat_preload`](crate::ConfigBuilder::heat_preload)); `None`
    /// without a configured profile, or with a fault.
    ///
    /// ```
    /// let profile = lmms::HeatProfile::from_json(
    ///     r#"{"version": 1, "modules": [{"module": "gone_core", "calls_in_window": 3}]}"#,
    /// )?;
    /// lmms::configure(lmms::Config::builder().heat_preload(profile).build()?)?;
    /// let report = lmms::gateway().heat_preload_report().expect("preloaded at start");
    /// assert_eq!(report.skipped[0].module, "gone_core");
    /// assert_eq!(report.skipped[0].reason, lmms::SkipReason::UnknownModule);
    /// # Ok::<(), lmms::Error>(())
    /// ```
    pub fn heat_preload_report(&self) -> Option<&'static HeatPreloadReport> {
        AT_START.get()
    }
}

/// Walks the profile hottest first, deciding module by module (so the byte limit counts
/// what was really built or found resident before).
struct Selection<'a> {
    preload: &'a HeatPreload,
    modules: Vec<ModuleInfo>,
    blocking: bool,
    next: usize,
    /// What is left of the byte limit, if there is one.
    left: Option<u64>,
    /// Profiled bytes of the module handed out by `next_module`.
    pending_bytes: Option<u64>,
    report: HeatPreloadReport,
    started: Instant,
}

impl<'a> Selection<'a> {
    fn new(gw: &Gateway, preload: &'a HeatPreload, blocking: bool) -> Self {
        Self {
            preload,
            modules: gw.modules(),
            blocking,
            next: 0,
            left: preload.max_bytes,
            pending_bytes: None,
            report: HeatPreloadReport::default(),
            started: Instant::now(),
        }
    }

    /// The next module to build; the ones skipped or resident on the way are recorded.
    fn next_module(&mut self) -> Option<String> {
        while let Some(m) = self.preload.profile.modules.get(self.next) {
            self.next += 1;
            let reason = if m.calls_in_window < self.preload.min_calls {
                Some(SkipReason::BelowThreshold {
                    calls: m.calls_in_window,
                    min_calls: self.preload.min_calls,
                })
            } else {
                match (self.modules.iter().find(|i| i.name == m.module), self.left) {
                    (None, _) => Some(SkipReason::UnknownModule),
                    (Some(info), _) if info.resident => {
                        self.report.already_resident.push(m.module.clone());
                        self.take(m.bytes);
                        continue;
                    }
                    (Some(_), Some(_)) if m.bytes.is_none() => Some(SkipReason::BytesUnknown),
                    (Some(_), Some(left)) if m.bytes.unwrap_or(0) > left => {
                        Some(SkipReason::OverLimit {
                            bytes: m.bytes.unwrap_or(0),
                            left,
                        })
                    }
                    (Some(info), _) if info.is_async && self.blocking => {
                        Some(SkipReason::AsyncInit)
                    }
                    (Some(_), _) => None,
                }
            };
            match reason {
                Some(reason) => self.skip(m.module.clone(), reason),
                None => {
                    self.pending_bytes = m.bytes;
                    return Some(m.module.clone());
                }
            }
        }
        None
    }

    /// Records the build of the module `next_module` handed out.
    fn settle(&mut self, name: String, result: Result<(), Error>) {
        match result {
            Ok(()) => {
                self.take(self.pending_bytes);
                self.report.built.push(name);
            }
            Err(Error::AsyncInitRequired { .. }) => self.skip(name, SkipReason::AsyncInit),
            Err(e) => self.skip(
                name,
                SkipReason::InitFailed {
                    error: e.to_string(),
                },
            ),
        }
    }

    fn take(&mut self, bytes: Option<u64>) {
        let bytes = bytes.unwrap_or(0);
        // Cannot saturate: a valid profile's bytes add up within a u64 (checked when read).
        self.report.profiled_bytes = self.report.profiled_bytes.saturating_add(bytes);
        self.left = self.left.map(|left| left.saturating_sub(bytes));
    }

    fn skip(&mut self, module: String, reason: SkipReason) {
        self.report.skipped.push(SkippedModule { module, reason });
    }

    fn finish(mut self) -> HeatPreloadReport {
        self.report.elapsed_us = self.started.elapsed().as_micros() as u64;
        self.report
    }
}

impl Gateway {
    /// Exports what this instance learned: per module, the calls of its operations in the
    /// heat window (as of the last sweep), its mean build time, the bytes its latest
    /// build allocated and the RSS growth across that build (with a memory budget; both
    /// kept after an unload), hottest first. Modules without calls in the
    /// window are left out. Hand it to a new instance
    /// through `LMMS_HEAT_PROFILE` ([`HeatProfile::to_json`] writes it).
    ///
    /// ```
    /// let profile = lmms::gateway().heat_profile();
    /// assert_eq!(profile.version, lmms::HEAT_PROFILE_VERSION);
    /// println!("{}", profile.to_json());
    /// ```
    pub fn heat_profile(&self) -> HeatProfile {
        let mut modules: Vec<ModuleHeat> = Vec::new();
        for op in self.operations() {
            if let (Some(name), calls @ 1..) = (op.module, op.calls_in_window) {
                match modules.iter_mut().find(|m| m.module == name) {
                    Some(m) => m.calls_in_window = m.calls_in_window.saturating_add(calls),
                    None => modules.push(ModuleHeat::new(name, calls)),
                }
            }
        }
        let info = self.modules();
        for m in &mut modules {
            if let Some(i) = info.iter().find(|i| i.name == m.module) {
                m.build_ns = i.mean_build_ns;
                // The latest build's figure: still known after the module was unloaded.
                m.bytes = i.bytes.or(i.last_build_bytes);
                m.rss_growth_bytes = i.last_build_rss_growth_bytes;
            }
        }
        HeatProfile::new(self.config.heat_window.as_secs(), modules)
    }
}

/// A [`SkipReason`]'s fields: its tag under `reason`, then its own (at most two).
fn skip_fields(reason: &SkipReason) -> ([(&'static str, SkipField<'_>); 3], usize) {
    use SkipField::{Count, Tag, Text};
    let none = ("", Count(0));
    match reason {
        SkipReason::BelowThreshold { calls, min_calls } => (
            [
                ("reason", Tag("below_threshold")),
                ("calls", Count(*calls)),
                ("min_calls", Count(*min_calls)),
            ],
            3,
        ),
        SkipReason::UnknownModule => ([("reason", Tag("unknown_module")), none, none], 1),
        SkipReason::BytesUnknown => ([("reason", Tag("bytes_unknown")), none, none], 1),
        SkipReason::OverLimit { bytes, left } => (
            [
                ("reason", Tag("over_limit")),
                ("bytes", Count(*bytes)),
                ("left", Count(*left)),
            ],
            3,
        ),
        SkipReason::AsyncInit => ([("reason", Tag("async_init")), none, none], 1),
        SkipReason::InitFailed { error } => (
            [("reason", Tag("init_failed")), ("error", Text(error)), none],
            2,
        ),
    }
}

/// One value of a [`SkipReason`]'s fields.
#[derive(Clone, Copy)]
enum SkipField<'a> {
    Tag(&'static str),
    Count(u64),
    Text(&'a str),
}

impl Serialize for SkipField<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            SkipField::Tag(s) => serializer.serialize_str(s),
            SkipField::Count(n) => serializer.serialize_u64(*n),
            SkipField::Text(s) => serializer.serialize_str(s),
        }
    }
}

/// Internally tagged, as `#[serde(tag = "reason", rename_all = "snake_case")]` writes it:
/// `{"reason": "over_limit", "bytes": 9, "left": 4}`.
impl Serialize for SkipReason {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (fields, len) = skip_fields(self);
        let mut state = serializer.serialize_struct("SkipReason", len)?;
        for (key, value) in &fields[..len] {
            state.serialize_field(key, value)?;
        }
        state.end()
    }
}

/// The reason flattened beside the module's name, as `#[serde(flatten)]` writes it (a
/// map): `{"module": "x", "reason": "below_threshold", "calls": 2, "min_calls": 3}`.
impl Serialize for SkippedModule {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let SkippedModule { module, reason } = self;
        let (fields, len) = skip_fields(reason);
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("module", module)?;
        for (key, value) in &fields[..len] {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}
