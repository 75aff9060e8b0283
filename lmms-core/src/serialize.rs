//! Hand-written serde impls of the report types. The runtime depends on serde's traits
//! only (`serde_core`), so no build of it waits for serde's derive macro (and `syn`); the
//! macros below make the calls `#[derive(Serialize)]` makes, so the output is unchanged
//! (`tests/json_shapes.rs` pins it).

/// `impl Serialize` for a struct, as `#[derive(Serialize)]` writes it: a struct of the
/// fields listed, which must be all of them, in declaration order (the destructuring
/// fails to compile when one is missing). With `$line without { .. }`, also a view of it
/// without those (its last) fields, serialized under the struct's name.
macro_rules! serialize_struct {
    ($ty:ident { $($field:ident),+ $(,)? }) => {
        impl serde_core::Serialize for $ty {
            fn serialize<S: serde_core::Serializer>(
                &self,
                serializer: S,
            ) -> Result<S::Ok, S::Error> {
                let $ty { $($field),+ } = self;
                serialize_struct!(@fields serializer, $ty, $($field),+)
            }
        }
    };
    ($ty:ident { $($field:ident),+ $(,)? } $line:ident without { $($tail:ident),+ $(,)? }) => {
        serialize_struct!($ty { $($field,)+ $($tail),+ });

        #[doc = concat!("[`", stringify!($ty), "`] without its trailing lists.")]
        pub(crate) struct $line<'a>(pub(crate) &'a $ty);

        impl serde_core::Serialize for $line<'_> {
            fn serialize<S: serde_core::Serializer>(
                &self,
                serializer: S,
            ) -> Result<S::Ok, S::Error> {
                let $ty { $($field,)+ $($tail: _),+ } = self.0;
                serialize_struct!(@fields serializer, $ty, $($field),+)
            }
        }
    };
    (@fields $serializer:ident, $ty:ident, $($field:ident),+) => {{
        use serde_core::ser::SerializeStruct;
        let len = [$(stringify!($field)),+].len();
        let mut state = $serializer.serialize_struct(stringify!($ty), len)?;
        $(state.serialize_field(stringify!($field), $field)?;)+
        state.end()
    }};
}

/// `impl Serialize` for an enum of unit variants, as `#[derive(Serialize)]` writes it:
/// each variant (all of them, the match is exhaustive) with its index and its spelling.
macro_rules! serialize_unit_enum {
    ($ty:ident { $($variant:ident => $index:literal $name:literal),+ $(,)? }) => {
        impl serde_core::Serialize for $ty {
            fn serialize<S: serde_core::Serializer>(
                &self,
                serializer: S,
            ) -> Result<S::Ok, S::Error> {
                let (index, name) = match self {
                    $($ty::$variant => ($index, $name)),+
                };
                serializer.serialize_unit_variant(stringify!($ty), index, name)
            }
        }
    };
}

use crate::cost::IdleGaps;
use crate::lugs::{DeferredDrops, SweepReport};
use crate::memory::{
    BudgetSource, InvocationSample, LeakBasis, LeakReport, OpMemory, Pressure, Recommendation,
    RightSizing, SizeCost, Snapshot, Trace, TracedInvocation, TrackerReport, TrimReport,
};
use crate::preload::{HeatPreloadReport, SkipReason, SkippedModule};
use crate::{
    Heat, HeatProfile, ModuleHeat, ModuleInfo, OperationInfo, Policy, Protection, Stats,
    ThrashWarning, Unload, UnloadReason, UnloadStrategy,
};
use serde_core::ser::{Serialize, SerializeMap, SerializeStruct, Serializer};

// stats.rs
serialize_struct!(Stats {
    fault,
    ligs_loads,
    lugs_unloads,
    zafp_hits,
    zafp_promotions,
    zafp_demotions,
    cache_hits,
    cache_misses,
    unload_attempts,
    unload_blocked,
    unload_blocked_by,
    unloads_by_reason,
    unload_strategy,
    memory_budget_bytes,
    budget_source,
    memory_reclaimed_bytes,
    memory_measured,
    live_heap_bytes,
    rss_bytes,
    resident_modules,
    total_modules,
    hot_paths,
    sweeps,
    thrash_rebuilds,
    thrash,
    deferred_drops,
    deferred_drop_ns,
    deferred_drops_pending,
} StatsLine without { modules, operations });
serialize_struct!(ModuleInfo {
    name,
    policy,
    resident,
    active_calls,
    last_use_ms,
    cache_entries,
    bytes,
    builds,
    drops,
    last_build_ns,
    mean_build_ns,
    last_build_bytes,
    last_build_rss_growth_bytes,
    uses_since_build,
    idle_ms,
    idle_gaps,
    is_async
});
serialize_struct!(OperationInfo {
    interface,
    op,
    module,
    heat,
    calls_in_window,
    total_calls,
    fast_path,
    cache_hits,
    cache_misses,
    cache_entries,
    dynamic,
    is_async
});

// profile.rs
serialize_struct!(HeatProfile {
    version,
    heat_window_s,
    modules
});
serialize_struct!(ModuleHeat {
    module,
    calls_in_window,
    build_ns,
    bytes,
    rss_growth_bytes
});

// lugs/report.rs
serialize_struct!(SweepReport {
    unloaded,
    unloads,
    blocked,
    reclaimed_bytes,
    promoted,
    demoted,
    expired_cache_entries,
    pressure,
    strategy,
    fallback,
    trim,
    blocking_ns,
    cost_ns,
    deferred,
    thrash
});

// lugs/drops.rs
serialize_struct!(DeferredDrops {
    unloads,
    not_listed,
    reclaimed_bytes,
    blocking_ns,
    cost_ns,
    trim_released_bytes
});

// strategy.rs
serialize_unit_enum!(UnloadReason { Pressure => 0 "pressure", BreakEven => 1 "break_even", IdleRule => 2 "idle_rule", Explicit => 3 "explicit" });
serialize_struct!(Unload {
    module,
    reason,
    bytes,
    reclaimed_bytes,
    build_ns,
    uses,
    idle_ms,
    priority,
    break_even_ms,
    pressure,
    working_set
});

// preload.rs
serialize_struct!(HeatPreloadReport {
    built,
    already_resident,
    skipped,
    profiled_bytes,
    elapsed_us
});

// cost.rs
serialize_struct!(IdleGaps {
    s1_to_10s,
    s10_to_1m,
    m1_to_10m,
    m10_to_1h,
    over_1h
});

// heat.rs
serialize_unit_enum!(Heat { Cold => 0 "COLD", Warm => 1 "WARM", Hot => 2 "HOT", Critical => 3 "CRITICAL" });

// module.rs
serialize_unit_enum!(Policy { Core => 0 "core", Utility => 1 "utility", Feature => 2 "feature" });
serialize_unit_enum!(Protection { ActiveCalls => 0 "active_calls", HotOperation => 1 "hot_operation", CacheDependencies => 2 "cache_dependencies", GracePeriod => 3 "grace_period", ResidentFloor => 4 "resident_floor", BelowBreakEven => 5 "below_break_even", WorkingSet => 6 "working_set" });

// working_set.rs
serialize_struct!(ThrashWarning {
    message,
    kept,
    thrash_rebuilds,
    working_set,
    working_set_bytes,
    needed_rss_bytes,
    recommended_mb,
    exceeds_max,
    budget_mb
});

// config.rs
serialize_unit_enum!(UnloadStrategy { Cost => 0 "cost", Idle => 1 "idle" });

// memory/recommend.rs
serialize_struct!(Recommendation {
    peak_rss_bytes,
    safety_margin,
    needed_bytes,
    recommended_mb,
    exceeds_max,
    current_mb,
    billed_duration_ms,
    price_per_gb_s,
    current_gb_s,
    recommended_gb_s,
    current_cost_usd,
    recommended_cost_usd,
    saving_per_million_usd
});

// memory/snapshot.rs
serialize_struct!(Snapshot {
    name,
    heap_bytes,
    rss_bytes,
    elapsed_ms
});
serialize_struct!(OpMemory {
    calls,
    total_duration_ns,
    max_duration_ns,
    heap_delta_total,
    heap_delta_max,
    heap_delta_last,
    rss_delta_total,
    rss_delta_max,
    rss_delta_last
});

// memory/right_size.rs
serialize_struct!(SizeCost {
    memory_mb,
    oom,
    cpu_share,
    init_billed_ms,
    billed_ms,
    gb_s,
    gb_s_per_1k,
    cost_usd,
    cost_per_million_usd
});
serialize_struct!(RightSizing {
    invocations,
    rebuilds,
    peak_bytes,
    safety_margin,
    needed_bytes,
    price_per_gb_s,
    price_per_request,
    recommended_mb,
    sizes
});

// memory/mod.rs
serialize_struct!(TrimReport {
    rss_before,
    rss_after
});
serialize_unit_enum!(BudgetSource { MemoryBudgetMb => 0 "memory_budget_mb", LambdaFunctionMemorySize => 1 "lambda_function_memory_size", Builder => 2 "builder" });
serialize_unit_enum!(Pressure { Normal => 0 "NORMAL", Moderate => 1 "MODERATE", High => 2 "HIGH", Critical => 3 "CRITICAL" });

// memory/leak.rs
serialize_unit_enum!(LeakBasis { Heap => 0 "heap", Rss => 1 "rss" });
serialize_struct!(LeakReport {
    basis,
    samples,
    slope_bytes_per_invocation,
    r_squared,
    growth_bytes,
    threshold_bytes_per_invocation,
    suspected
});
serialize_struct!(InvocationSample {
    index,
    heap_bytes,
    rss_bytes,
    duration
});

// memory/trace.rs (its `Deserialize` is in memory/trace_read.rs)
serialize_struct!(TracedInvocation {
    peak_bytes,
    cpu,
    wait,
    rebuilds
});
serialize_struct!(Trace { init, invocations });

// memory/tracker.rs
serialize_struct!(TrackerReport {
    heap_measured,
    elapsed_ms,
    snapshots,
    dropped_snapshots,
    operations,
    peak_heap_bytes,
    heap_high_water_bytes,
    peak_rss_bytes,
    rss_high_water_bytes,
    invocations,
    leak
});

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
