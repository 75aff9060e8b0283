//! What the boundary is told: the EMF namespace, the stats line's format, the sweeper's
//! interval, the heat line; checked by [`Boundary::init`](super::Boundary::init).

use super::{BoundaryError, StatsFormat};
use std::time::Duration;

/// How the boundary is configured: [`Options::default`] is what [`run`](super::run) uses.
///
/// ```
/// use std::time::Duration;
/// let options = lmms::lambda::Options::default()
///     .namespace("shop/checkout")
///     .stats(lmms::lambda::StatsFormat::Emf)
///     .sweep_interval(Duration::from_millis(500));
/// assert_eq!(options.namespace_name(), "shop/checkout");
/// ```
#[derive(Debug, Clone)]
pub struct Options {
    pub(super) namespace: String,
    pub(super) stats: StatsFormat,
    pub(super) sweep_interval: Option<Duration>,
    pub(super) heat_line: bool,
}

impl Default for Options {
    /// Namespace `lmms`, EMF stats, the gateway's `sweep_interval` for the sweeper
    /// (Managed Instances only; `LMMS_SWEEP_INTERVAL_MS`, default 1 s), no heat line.
    fn default() -> Self {
        Options {
            namespace: "lmms".into(),
            stats: StatsFormat::Emf,
            sweep_interval: None,
            heat_line: false,
        }
    }
}

impl Options {
    /// The CloudWatch namespace of the EMF metrics (1–255 characters of `A-Z a-z 0-9 . - _
    /// / # :`, starting with neither `AWS/` nor `:`; checked by
    /// [`Boundary::init`](super::Boundary::init)).
    ///
    /// ```
    /// let options = lmms::lambda::Options::default().namespace("shop/checkout");
    /// assert_eq!(options.namespace_name(), "shop/checkout");
    /// ```
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = namespace.into();
        self
    }

    /// The namespace set.
    ///
    /// ```
    /// assert_eq!(lmms::lambda::Options::default().namespace_name(), "lmms");
    /// ```
    pub fn namespace_name(&self) -> &str {
        &self.namespace
    }

    /// The stats line's format (or none).
    ///
    /// ```
    /// use lmms::lambda::{Options, StatsFormat};
    /// // The gateway's cumulative `[LMMS_STATS] {json}` line instead of EMF metrics.
    /// let options = Options::default().stats(StatsFormat::Prefixed);
    /// ```
    pub fn stats(mut self, format: StatsFormat) -> Self {
        self.stats = format;
        self
    }

    /// How often the background sweeper sweeps on Lambda Managed Instances (more than
    /// zero), instead of the gateway's `sweep_interval`.
    ///
    /// ```
    /// use std::time::Duration;
    /// let options = lmms::lambda::Options::default().sweep_interval(Duration::from_millis(250));
    /// ```
    pub fn sweep_interval(mut self, interval: Duration) -> Self {
        self.sweep_interval = Some(interval);
        self
    }

    /// Also log the instance's heat profile after each stats line, as `[LMMS_HEAT] {json}`
    /// (what `LMMS_HEAT_PROFILE` reads in a new instance).
    ///
    /// ```
    /// let options = lmms::lambda::Options::default().heat_line(true);
    /// ```
    pub fn heat_line(mut self, on: bool) -> Self {
        self.heat_line = on;
        self
    }

    pub(super) fn check(&self) -> Result<(), BoundaryError> {
        let ns = &self.namespace;
        let allowed = |c: char| c.is_ascii_alphanumeric() || ".-_/#:".contains(c);
        // CloudWatch reserves `AWS/` and refuses a leading `:`; spaces, which it allows,
        // stay refused here as before.
        let reserved = ns.starts_with("AWS/") || ns.starts_with(':');
        if ns.is_empty() || ns.len() > 255 || !ns.chars().all(allowed) || reserved {
            return Err(BoundaryError(format!(
                "lmms::lambda: the EMF namespace must be 1-255 characters of A-Z a-z 0-9 . - _ / # : \
                 and start with neither `AWS/` nor `:`, got `{ns}`"
            )));
        }
        if self.sweep_interval.is_some_and(|i| i.is_zero()) {
            return Err(BoundaryError(
                "lmms::lambda: the sweeper interval must be more than zero".into(),
            ));
        }
        Ok(())
    }
}
