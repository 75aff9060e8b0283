//! A user's crate, as the benchmarks see it: one module with a 64-entry table and the
//! operations the harness (`benches/user-bench`) calls across the crate boundary. Nothing
//! here is `#[inline]` or generic, so the harness gets exactly the code a user's handler
//! crate would get: a call into this crate.
//!
//! Every operation runs the same body, `t.data[i & 63]`, as the baselines in the harness.
//!
//! ```
//! user_app::setup().unwrap(); // configures the gateway, promotes `hot` and `cached`
//! assert_eq!(user_app::hot(3).unwrap(), user_app::warm(3).unwrap());
//! assert_eq!(user_app::cached(3).unwrap(), user_app::body(&user_app::Table::new(), 3));
//! let (hits, _) = user_app::cached_hits_and_misses();
//! user_app::cached(3).unwrap();
//! assert_eq!(user_app::cached_hits_and_misses().0, hits + 1);
//! ```

use lmms::{Config, Init, InitError};
use std::time::Duration;

/// The state every variant reads: 64 numbers.
pub struct Table {
    data: [u64; 64],
}

impl Table {
    /// The table, computed (so that nothing can fold it away).
    pub fn new() -> Table {
        let mut data = [0u64; 64];
        for (i, d) in data.iter_mut().enumerate() {
            *d = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
        Table { data }
    }
}

impl Table {
    /// A table of one repeated value, for `static` initializers (the eager baseline).
    pub const fn filled(v: u64) -> Table {
        Table { data: [v; 64] }
    }
}

impl Default for Table {
    fn default() -> Self {
        Table::new()
    }
}

/// The body every variant runs (never inlined, so each variant pays the same call).
#[inline(never)]
pub fn body(t: &Table, i: usize) -> u64 {
    t.data[i & 63]
}

/// The module: `core`, so it is never unloaded while the benchmark runs.
#[lmms::module(name = "user_table", policy = "core")]
pub struct UserTable(Table);

impl Init for UserTable {
    fn init() -> Result<Self, InitError> {
        Ok(UserTable(Table::new()))
    }
}

/// Promoted to the fast path by [`setup`].
#[lmms::operation(interface = "user", op = "hot", module = UserTable)]
pub fn hot(t: &UserTable, i: usize) -> u64 {
    body(&t.0, i)
}

/// Off the fast path: the resident, not hot, typed call. Under [`setup`] it is called once
/// and stays WARM; the benchmark that loops on it runs in its own process under
/// [`setup_warm`], with the fast path off, since any operation called in a loop turns HOT
/// and is promoted within 64 calls.
#[lmms::operation(interface = "user", op = "warm", module = UserTable)]
pub fn warm(t: &UserTable, i: usize) -> u64 {
    body(&t.0, i)
}

/// No arguments, unit result: `execute` with (almost) no JSON work.
#[lmms::operation(interface = "user", op = "noop", module = UserTable)]
pub fn noop(t: &UserTable) {
    std::hint::black_box(&t.0);
}

/// Two arguments, a number result: `execute` with a JSON object of arguments (each one
/// deserialized, the result serialized).
#[lmms::operation(interface = "user", op = "pair", module = UserTable)]
pub fn pair(t: &UserTable, i: u64, j: u64) -> u64 {
    body(&t.0, (i ^ j) as usize)
}

/// Cached, and promoted to the fast path by [`setup`] (heated with misses on distinct
/// keys: hits do not count heat).
#[lmms::operation(interface = "user", op = "cached", module = UserTable, cache_ttl = "3600s")]
pub fn cached(t: &UserTable, i: u64) -> u64 {
    body(&t.0, i as usize)
}

/// Configures the gateway with no end-of-call sweeps, promotes `hot` and `cached` with one
/// explicit sweep, and checks that `warm` stayed off the fast path. Returns an error
/// message if the state is not the one the benchmarks need.
pub fn setup() -> Result<(), String> {
    let config = Config::builder()
        .sweep_interval(Duration::from_secs(1 << 40))
        .build()
        .map_err(|e| e.to_string())?;
    lmms::configure(config).map_err(|e| e.to_string())?;
    for i in 0..100 {
        hot(i).map_err(|e| e.to_string())?;
        cached(1_000 + i as u64).map_err(|e| e.to_string())?;
    }
    warm(0).map_err(|e| e.to_string())?;
    let report = lmms::gateway().sweep();
    let ops = lmms::gateway().operations();
    let fast = |name: &str| ops.iter().any(|o| o.op == name && o.fast_path);
    if !fast("hot") || !fast("cached") || fast("warm") {
        return Err(format!("fast paths not as expected: {report:?}"));
    }
    Ok(())
}

/// Configures the gateway with the fast path off (`ENABLE_FAST_PATH=false`) and no
/// end-of-call sweeps, for the benchmark of a resident typed call that stays on the slow
/// path however often it is called. Returns an error message if an operation has a fast
/// path anyway.
pub fn setup_warm() -> Result<(), String> {
    let config = Config::builder()
        .fast_path(false)
        .sweep_interval(Duration::from_secs(1 << 40))
        .build()
        .map_err(|e| e.to_string())?;
    lmms::configure(config).map_err(|e| e.to_string())?;
    for i in 0..1_000 {
        warm(i).map_err(|e| e.to_string())?;
    }
    lmms::gateway().sweep();
    match lmms::gateway().operations().iter().find(|o| o.fast_path) {
        Some(o) => Err(format!("{}.{} has a fast path", o.interface, o.op)),
        None => Ok(()),
    }
}

/// How many hits `cached` has served so far (the hit loop must not miss).
pub fn cached_hits_and_misses() -> (u64, u64) {
    let ops = lmms::gateway().operations();
    ops.iter()
        .find(|o| o.op == "cached")
        .map_or((0, 0), |o| (o.cache_hits, o.cache_misses))
}
