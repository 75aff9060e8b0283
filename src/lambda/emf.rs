//! The stats line: CloudWatch's Embedded Metric Format (EMF), or lmms' `[LMMS_STATS]`.
//!
//! An EMF line is a JSON object whose `_aws` member tells CloudWatch Logs which of its
//! other members are metrics (namespace, dimensions, names and units); Lambda sends
//! stdout to CloudWatch Logs, which extracts the metrics without any API call. Counters
//! are written as what happened since the previous line of this process (so that
//! CloudWatch's `Sum` over a period, across instances, is the period's total); gauges
//! (resident modules, heap, RSS) as they are now.

use crate::{Stats, SweepReport};
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The stats line after each invocation.
///
/// ```
/// use lmms::lambda::{Options, StatsFormat};
/// let options = Options::default().stats(StatsFormat::Off); // metrics from elsewhere
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatsFormat {
    /// One Embedded Metric Format line (CloudWatch metrics straight from the log).
    Emf,
    /// The gateway's `[LMMS_STATS] {json}` line ([`Stats::log_line`]), cumulative figures.
    Prefixed,
    /// No line.
    Off,
}

/// A boundary sweep: its report and how long it took.
pub(super) struct SweepFacts {
    pub(super) elapsed: Duration,
    pub(super) report: SweepReport,
}

/// A counter's metric name and how to read it from [`Stats`].
type Counter = (&'static str, fn(&Stats) -> u64);

/// The cumulative counters the EMF line turns into per-line counts.
const COUNTERS: [Counter; 7] = [
    ("ligs_loads", |s| s.ligs_loads),
    ("lugs_unloads", |s| s.lugs_unloads),
    ("sweeps", |s| s.sweeps),
    ("zafp_hits", |s| s.zafp_hits),
    ("cache_hits", |s| s.cache_hits),
    ("cache_misses", |s| s.cache_misses),
    ("unload_blocked", |s| s.unload_blocked),
];

/// Writes the stats lines. Shared by the layer and the extension (and, on Managed
/// Instances, by concurrent invocations).
pub(crate) struct Emitter {
    format: StatsFormat,
    namespace: String,
    function_name: Option<String>,
    heat_line: bool,
    /// The counters as of the latest line.
    last: Mutex<[u64; COUNTERS.len()]>,
}

impl Emitter {
    pub(super) fn new(options: &super::Options) -> Self {
        Emitter {
            format: options.stats,
            namespace: options.namespace.clone(),
            function_name: std::env::var("AWS_LAMBDA_FUNCTION_NAME").ok(),
            heat_line: options.heat_line,
            last: Mutex::new([0; COUNTERS.len()]),
        }
    }

    /// Logs the line(s) for one invocation's end.
    pub(super) fn emit(&self, request_id: &str, sweep: Option<&SweepFacts>) {
        let gw = crate::gateway();
        match self.format {
            StatsFormat::Emf => {
                let stats = gw.stats();
                let counts = self.counts(&stats);
                println!(
                    "{}",
                    self.emf_line(&stats, &counts, request_id, sweep, now_ms())
                );
            }
            StatsFormat::Prefixed => println!("{}", gw.stats().log_line()),
            StatsFormat::Off => {}
        }
        if self.heat_line {
            println!("[LMMS_HEAT] {}", gw.heat_profile().to_json());
        }
    }

    /// Each counter's growth since the latest line. A reading older than the latest line
    /// (a concurrent invocation wrote a newer one first) counts 0: its growth is in that line.
    fn counts(&self, stats: &Stats) -> [u64; COUNTERS.len()] {
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = [0; COUNTERS.len()];
        for (i, (_, read)) in COUNTERS.iter().enumerate() {
            if let Some(grown) = read(stats).checked_sub(last[i]) {
                out[i] = grown;
                last[i] = read(stats);
            }
        }
        out
    }

    /// The EMF object: `_aws` metadata, then each metric and property as a member.
    fn emf_line(
        &self,
        stats: &Stats,
        counts: &[u64; COUNTERS.len()],
        request_id: &str,
        sweep: Option<&SweepFacts>,
        timestamp_ms: u64,
    ) -> String {
        let mut root = Map::new();
        let mut metrics = Vec::new();
        let mut metric = |name: &str, unit: &str, value: Value| {
            metrics.push(json!({"Name": name, "Unit": unit}));
            root.insert(name.into(), value);
        };
        for ((name, _), count) in COUNTERS.iter().zip(counts) {
            metric(name, "Count", json!(count));
        }
        metric("resident_modules", "Count", json!(stats.resident_modules));
        for (name, bytes) in [
            ("live_heap_bytes", stats.live_heap_bytes),
            ("rss_bytes", stats.rss_bytes),
        ] {
            if let Some(b) = bytes {
                metric(name, "Bytes", json!(b));
            }
        }
        if let Some(s) = sweep {
            let us = u64::try_from(s.elapsed.as_micros()).unwrap_or(u64::MAX);
            metric("sweep_us", "Microseconds", json!(us));
            metric("sweep_unloaded", "Count", json!(s.report.unloaded.len()));
            if let Some(b) = s.report.reclaimed_bytes {
                metric("sweep_reclaimed_bytes", "Bytes", json!(b));
            }
        }
        let dimensions = match &self.function_name {
            Some(name) => {
                root.insert("FunctionName".into(), json!(name));
                json!([["FunctionName"]])
            }
            None => json!([[]]),
        };
        root.insert("request_id".into(), json!(request_id));
        root.insert("unload_strategy".into(), to_value(&stats.unload_strategy));
        if let Some(s) = sweep {
            root.insert("unloaded".into(), json!(s.report.unloaded));
        }
        root.insert(
            "_aws".into(),
            json!({
                "Timestamp": timestamp_ms,
                "CloudWatchMetrics": [{
                    "Namespace": self.namespace,
                    "Dimensions": dimensions,
                    "Metrics": metrics,
                }],
            }),
        );
        Value::Object(root).to_string()
    }
}

/// Milliseconds since the Unix epoch (EMF's `Timestamp`, Lambda's deadlines).
pub(super) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn to_value<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// JSON of a report for the `[LMMS_PRELOAD]` line.
pub(super) fn to_json<T: Serialize>(v: &T) -> String {
    to_value(v).to_string()
}

#[cfg(test)]
pub(super) mod testing {
    //! The EMF line without the process-wide gateway, for the unit tests.
    use super::*;

    pub(in crate::lambda) fn line(
        options: &super::super::Options,
        function_name: Option<&str>,
        stats: &Stats,
        sweep: Option<(Duration, SweepReport)>,
    ) -> (String, [u64; COUNTERS.len()]) {
        let mut e = Emitter::new(options);
        e.function_name = function_name.map(String::from);
        let counts = counts(&mut e, stats);
        let facts = sweep.map(|(elapsed, report)| SweepFacts { elapsed, report });
        (
            e.emf_line(stats, &counts, "req-1", facts.as_ref(), 1_700_000_000_123),
            counts,
        )
    }

    pub(in crate::lambda) fn counts(e: &mut Emitter, stats: &Stats) -> [u64; COUNTERS.len()] {
        e.counts(stats)
    }
}
