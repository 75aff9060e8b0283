//! The fixture function's modules for the memory-budget scenarios (default `cost` strategy,
//! `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` as the budget), called by `{"op": "use", "mods": [..]}`:
//!
//! - `big`: `fixture_big`, one allocation of `FIXTURE_BIG_MIB` MiB (100 by default);
//! - `many`: `fixture_many`, `FIXTURE_MANY_ALLOCS` boxes of 88 bytes (1 000 000 by default:
//!   ~99 MiB in glibc's 96-byte chunks plus the 8-byte pointers), so its `Drop` frees
//!   that many allocations;
//! - `small`: `fixture_small_a` and `fixture_small_b`, which together bring the process to
//!   `FIXTURE_FILL_PERCENT` % of the budget (92 by default) once a large module is
//!   resident: at its first build, each takes half of what the budget's share leaves after
//!   the RSS at that moment (large modules' bytes excluded) and `FIXTURE_LARGE_MIB` (100).
//!   Their build sleeps `FIXTURE_SMALL_BUILD_MS` (20): dearer per byte than the large
//!   ones, so the cost strategy's first pick under pressure is a large module.
//!
//! Every page is written (RSS, as a real table's). `{"op": "builds"}` returns each module's
//! build count and the thrash the gateway counted.

use crate::fixture::env_u64;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::OnceLock;

const MIB: u64 = 1 << 20;
/// glibc's chunk for an 88-byte box (and its pointer in the vector).
const MANY_BYTES_EACH: u64 = 96 + 8;

/// Bytes held by resident large modules (left out of the small modules' share).
static LARGE_LIVE: AtomicU64 = AtomicU64::new(0);

/// Each small module's bytes, decided at the first one's build.
fn small_bytes() -> usize {
    static SHARE: OnceLock<usize> = OnceLock::new();
    *SHARE.get_or_init(|| {
        let budget = env_u64("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", 128) * MIB;
        let target = budget * env_u64("FIXTURE_FILL_PERCENT", 92) / 100;
        // Freed pages the allocator kept are not the process's baseline.
        lmms::memory::trim();
        let rss = lmms::memory::rss_bytes().expect("RSS readable") - LARGE_LIVE.load(SeqCst);
        let large = env_u64("FIXTURE_LARGE_MIB", 100) * MIB;
        (target.saturating_sub(rss + large) / 2) as usize
    })
}

#[lmms::module(name = "fixture_big", policy = "feature")]
pub struct Big(Vec<u8>);

impl lmms::Init for Big {
    fn init() -> Result<Self, lmms::InitError> {
        let bytes = vec![1; (env_u64("FIXTURE_BIG_MIB", 100) * MIB) as usize];
        LARGE_LIVE.fetch_add(bytes.len() as u64, SeqCst);
        Ok(Big(bytes))
    }
}

impl Drop for Big {
    fn drop(&mut self) {
        LARGE_LIVE.fetch_sub(self.0.len() as u64, SeqCst);
    }
}

#[lmms::operation(interface = "budget", op = "big", module = Big)]
pub fn big(m: &Big) -> usize {
    m.0.len()
}

/// Boxed on purpose: one allocation per element is the point (its `Drop` frees 1 M).
#[allow(clippy::vec_box)]
#[lmms::module(name = "fixture_many", policy = "feature")]
pub struct Many(Vec<Box<[u8; 88]>>);

impl lmms::Init for Many {
    fn init() -> Result<Self, lmms::InitError> {
        let n = env_u64("FIXTURE_MANY_ALLOCS", 1_000_000);
        let boxes = (0..n).map(|i| Box::new([i as u8 | 1; 88])).collect();
        LARGE_LIVE.fetch_add(n * MANY_BYTES_EACH, SeqCst);
        Ok(Many(boxes))
    }
}

impl Drop for Many {
    fn drop(&mut self) {
        LARGE_LIVE.fetch_sub(self.0.len() as u64 * MANY_BYTES_EACH, SeqCst);
    }
}

#[lmms::operation(interface = "budget", op = "many", module = Many)]
pub fn many(m: &Many) -> usize {
    m.0.len()
}

macro_rules! small {
    ($ty:ident, $name:literal, $op:ident) => {
        #[lmms::module(name = $name, policy = "feature")]
        pub struct $ty(Vec<u8>);
        impl lmms::Init for $ty {
            fn init() -> Result<Self, lmms::InitError> {
                let ms = env_u64("FIXTURE_SMALL_BUILD_MS", 20);
                std::thread::sleep(std::time::Duration::from_millis(ms));
                Ok($ty(vec![1; small_bytes()]))
            }
        }
        #[lmms::operation(interface = "budget", op = $name, module = $ty)]
        pub fn $op(m: &$ty) -> usize {
            m.0.len()
        }
    };
}
small!(SmallA, "fixture_small_a", small_a);
small!(SmallB, "fixture_small_b", small_b);

/// Calls the named modules' operations (`small`, `big`, `many`), in order.
pub fn use_modules(mods: &[String]) -> Result<u64, lambda_runtime::Error> {
    let mut held = 0;
    for m in mods {
        held += match m.as_str() {
            "small" => small_a()? + small_b()?,
            "big" => big()?,
            "many" => many()?,
            other => return Err(format!("unknown module `{other}` (small, big, many)").into()),
        } as u64;
    }
    Ok(held)
}

/// Each module's builds so far, and the gateway's thrash count.
pub fn builds() -> Value {
    let gw = lmms::gateway();
    let builds: serde_json::Map<String, Value> = (gw.modules().into_iter())
        .map(|m| (m.name.to_string(), json!(m.builds)))
        .collect();
    json!({"builds": builds, "thrash_rebuilds": gw.stats().thrash_rebuilds})
}
