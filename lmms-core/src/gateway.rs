//! The process-wide gateway: started once, lazily; routes dynamic calls; preloads,
//! unloads and sweeps; answers introspection.

use crate::config::Config;
use crate::error::Error;
use crate::handle::ModuleHandle;
use crate::heat::SweepState;
use crate::registry::Registry;
use crate::sync::lock_std;
use serde_json::Value;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::*};
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

/// The process-wide gateway. Get it with [`gateway`].
///
/// ```
/// let gw = lmms::gateway();
/// println!("{} operations registered", gw.operations().len());
/// println!("{}", gw.stats().log_line());
/// ```
pub struct Gateway {
    pub(crate) config: Config,
    /// A configuration or registration error: every call returns it.
    pub(crate) fault: Option<Error>,
    pub(crate) reg: Registry,
    pub(crate) counters: crate::stats::Counters,
    pub(crate) lugs: Mutex<SweepState>,
    pub(crate) next_sweep_ms: AtomicU64,
    eager_pending: AtomicBool,
    ready_ns: u64,
    pub(crate) sweeper: Mutex<Option<Sweeper>>,
    /// Records per-operation memory deltas of dynamic calls, once set.
    pub(crate) tracker: OnceLock<std::sync::Arc<crate::memory::Tracker>>,
}

/// The background sweeper thread ([`Gateway::start_sweeper`]) and how to stop it.
pub(crate) struct Sweeper {
    /// Set (then the thread unparked) to stop it.
    pub stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    pub handle: std::thread::JoinHandle<()>,
    /// The process that started it: after a `fork()` the child inherits this record but
    /// not the thread, which it must then neither join nor signal.
    pub pid: u32,
}

static GATEWAY: OnceLock<Gateway> = OnceLock::new();

/// Configuration handed over by [`configure`], and whether the gateway has started.
static PENDING: Mutex<(Option<Config>, bool)> = Mutex::new((None, false));

/// Sets the configuration. Must run before the first use of the gateway; afterwards it is
/// an error (the running gateway keeps its settings).
///
/// ```
/// let config = lmms::Config::builder().min_resident_modules(4).build().unwrap();
/// lmms::configure(config).unwrap();
/// assert_eq!(lmms::gateway().config().min_resident_modules, 4);
/// assert!(lmms::configure(lmms::Config::default()).is_err());
/// ```
pub fn configure(config: Config) -> Result<(), Error> {
    let mut pending = lock_std(&PENDING);
    if pending.1 {
        return Err(Error::Config(
            "`lmms::configure` was called after the gateway started; call it first thing in main"
                .into(),
        ));
    }
    // The fields are public: check them here too, so a bad configuration is refused now
    // and changes nothing, instead of failing inside the gateway's start.
    pending.0 = Some(config.validate()?);
    Ok(())
}

/// The process-wide gateway, started on first use: the registry is gathered, the
/// configuration taken from [`configure`] or else [`Config::from_env`]. Starting builds no
/// module (unless `LAZY_LOADING_ENABLED=false`).
///
/// ```
/// let gw = lmms::gateway();
/// assert!(std::ptr::eq(gw, lmms::gateway()));
/// ```
#[inline]
pub fn gateway() -> &'static Gateway {
    let gw = GATEWAY.get_or_init(Gateway::start);
    if gw.eager_pending.load(Relaxed) {
        gw.build_all_once();
    }
    gw
}

/// The gateway if it has no fault: what every call checks first.
#[inline]
pub(crate) fn ready() -> Result<&'static Gateway, Error> {
    let gw = gateway();
    match &gw.fault {
        None => Ok(gw),
        Some(e) => Err(e.clone()),
    }
}

/// Calls `lmms::gateway().execute(..)`: a call by name with JSON arguments.
///
/// ```
/// let err = lmms::execute("weather", "nope", serde_json::json!({})).unwrap_err();
/// assert!(err.to_string().contains("weather"));
/// ```
#[inline]
pub fn execute(interface: &str, op: &str, args: Value) -> Result<Value, Error> {
    gateway().execute(interface, op, args)
}

/// Calls `lmms::gateway().execute_async(..)`: like [`execute`], and able to run async
/// operations.
pub async fn execute_async(interface: &str, op: &str, args: Value) -> Result<Value, Error> {
    gateway().execute_async(interface, op, args).await
}

impl Gateway {
    fn start() -> Gateway {
        let config = {
            let mut pending = lock_std(&PENDING);
            pending.1 = true;
            match pending.0.take() {
                Some(c) => c.validate(),
                None => Config::from_env(),
            }
        };
        Self::start_with(config)
    }

    /// Builds a gateway that is not the process-wide one, to measure start-up (benchmarks).
    /// It shares the operations' statics with the process-wide gateway: do not call
    /// operations through it.
    #[doc(hidden)]
    pub fn start_detached(config: Config) -> Gateway {
        Self::start_with(Ok(config))
    }

    fn start_with(config: Result<Config, Error>) -> Gateway {
        let t0 = Instant::now();
        let (reg, reg_error) = Registry::collect();
        let (config, fault) = match config {
            Ok(c) => (c, reg_error),
            Err(e) => (Config::faulted(e.clone()), Some(e)),
        };
        if config.memory_budget_bytes.is_some() {
            // Builds measure their RSS growth, which making room before a build counts.
            crate::cost::measure_rss_growth();
        }
        let lugs = Mutex::new(SweepState::new(reg.ops.len(), reg.modules.len()));
        let eager = fault.is_none() && (!config.lazy_loading || config.heat_preload.is_some());
        let first_sweep_ms = config
            .clock
            .now_ms()
            .saturating_add(crate::config::millis(config.sweep_interval));
        Gateway {
            counters: Default::default(),
            lugs,
            next_sweep_ms: AtomicU64::new(first_sweep_ms),
            eager_pending: AtomicBool::new(eager),
            ready_ns: u64::try_from(t0.elapsed().as_nanos()).unwrap_or(u64::MAX),
            sweeper: Mutex::new(None),
            tracker: OnceLock::new(),
            config,
            fault,
            reg,
        }
    }

    /// `LAZY_LOADING_ENABLED=false`: builds every synchronously built module, once; then
    /// the heat-profile preload, if one is configured. Runs outside the gateway's own
    /// initialization so that an `init` may call operations.
    fn build_all_once(&self) {
        if !self.eager_pending.swap(false, AcqRel) {
            return;
        }
        let eager = !self.config.lazy_loading;
        for m in self.reg.modules.iter().filter(|_| eager) {
            if !m.is_async() {
                // An init failure here is not fatal: the module is retried on first use,
                // where the caller gets the error.
                if m.build().is_ok() {
                    m.touch(self.now_ms());
                }
            }
        }
        self.preload_at_start();
    }

    /// The settings in force. With a configuration fault, nothing is: the defaults are
    /// shown, marked with the error ([`Config::fault`]).
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The configuration or registration error every call returns, if any.
    pub fn fault(&self) -> Option<&Error> {
        self.fault.as_ref()
    }

    /// Has every dynamic call ([`Gateway::execute`], [`Gateway::execute_async`]) record its
    /// heap and RSS delta and duration in `tracker`, under `interface.op`. Typed calls are
    /// not tracked: their path stays free of clock and `/proc` reads. Set once; a second
    /// call is an error.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let tracker = Arc::new(lmms::memory::Tracker::new());
    /// lmms::gateway().track_operations(tracker.clone()).unwrap();
    /// assert!(lmms::gateway().track_operations(tracker).is_err());
    /// ```
    pub fn track_operations(
        &self,
        tracker: std::sync::Arc<crate::memory::Tracker>,
    ) -> Result<(), Error> {
        self.tracker.set(tracker).map_err(|_| {
            Error::Config("`track_operations` was already called: the gateway has a tracker".into())
        })
    }

    /// Time it took to make the gateway ready (registry gathered, tables built), in ns.
    pub fn ready_time_ns(&self) -> u64 {
        self.ready_ns
    }

    #[inline]
    pub(crate) fn now_ms(&self) -> u64 {
        self.config.clock.now_ms()
    }

    pub(crate) fn module_handle(&self, name: &str) -> Result<&'static dyn ModuleHandle, Error> {
        self.reg.module(name)
    }

    /// Builds module `name` ahead of need (blocking). A module with an async init needs
    /// [`Gateway::preload_async`].
    ///
    /// ```
    /// let err = lmms::gateway().preload("no_such_module").unwrap_err();
    /// assert!(matches!(err, lmms::Error::UnknownModule { .. }));
    /// ```
    pub fn preload(&self, name: &str) -> Result<(), Error> {
        self.check_fault()?;
        let m = self.module_handle(name)?;
        if !m.is_resident() {
            // A build is coming: with a memory budget, make room for it first (a resident
            // module builds nothing, and room made for it would evict for nothing).
            self.make_room(m.cell_index());
        }
        m.build()?;
        m.touch(self.now_ms());
        Ok(())
    }

    /// Builds module `name` ahead of need, awaiting an async init.
    pub async fn preload_async(&self, name: &str) -> Result<(), Error> {
        self.check_fault()?;
        let m = self.module_handle(name)?;
        if !m.is_resident() {
            self.make_room(m.cell_index());
        }
        m.build_async().await?;
        m.touch(self.now_ms());
        Ok(())
    }

    /// Builds every `core` module (blocking ones; async ones are skipped).
    pub fn preload_core(&self) -> Result<(), Error> {
        self.check_fault()?;
        for m in &self.reg.modules {
            if m.policy() == crate::Policy::Core && !m.is_async() {
                m.build()?;
                m.touch(self.now_ms());
            }
        }
        Ok(())
    }

    fn check_fault(&self) -> Result<(), Error> {
        match &self.fault {
            None => Ok(()),
            Some(e) => Err(e.clone()),
        }
    }
}
