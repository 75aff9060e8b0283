//! Result-cache costs in one run: a hit of a cached operation, the same operation without
//! a cache (plain typed call, module resident, slow path), and the bare lookup a hit goes
//! through (hash, shard table load, find, expiry check, clone; no lock), with no gateway.
//!
//! `cargo bench --bench cache -- --warm-up-time 1 --measurement-time 3`
//!
//! The fast path is switched off so that the uncached call is the "resident, not hot"
//! typed call: a hit does not depend on it either way (it returns before the call is
//! entered).

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use lmms::__private::v1::{Dynamic, OpCache, OpMeta, StatelessOperation};
use lmms::{Config, Init, InitError};

pub struct Table([u64; 64]);

#[lmms::module(name = "bench_cache_table", policy = "core")]
pub struct CacheTable(Table);

impl Init for CacheTable {
    fn init() -> Result<Self, InitError> {
        let mut data = [0u64; 64];
        for (i, d) in data.iter_mut().enumerate() {
            *d = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
        Ok(CacheTable(Table(data)))
    }
}

#[lmms::operation(interface = "bench_cache", op = "cached", module = CacheTable, cache_ttl = "3600s")]
pub fn cached(t: &CacheTable, i: u64) -> u64 {
    t.0 .0[(i & 63) as usize]
}

#[lmms::operation(interface = "bench_cache", op = "plain", module = CacheTable)]
pub fn plain(t: &CacheTable, i: u64) -> u64 {
    t.0 .0[(i & 63) as usize]
}

#[lmms::operation(interface = "bench_cache", op = "cached_text", module = CacheTable, cache_ttl = "3600s")]
pub fn cached_text(t: &CacheTable, city: String) -> String {
    format!("{city}: {}", t.0 .0[city.len() & 63])
}

/// A stand-alone cache for the bare lookup (not registered: only its map is measured).
static BARE_OP: StatelessOperation = StatelessOperation::new(OpMeta {
    interface: "bench_cache",
    op: "bare",
    fn_name: "bare",
    file: file!(),
    line: line!(),
    params: &["i"],
    is_async: false,
    dynamic: Dynamic::Off,
    cache_ttl_ms: Some(3_600_000),
});
static BARE: OpCache<(u64,), u64> = OpCache::new();

fn bench(c: &mut Criterion) {
    let config = Config::builder().fast_path(false).build().unwrap();
    lmms::configure(config).unwrap();
    lmms::gateway().preload("bench_cache_table").unwrap();

    assert_eq!(cached(7).unwrap(), plain(7).unwrap());
    BARE.insert(&BARE_OP, (7,), 7);
    assert_eq!(BARE.lookup_at(&(7,), 0), Some(7));
    cached_text("Oslo".into()).unwrap();

    let mut g = c.benchmark_group("result_cache");
    g.bench_function("cache_hit", |b| b.iter(|| cached(black_box(7)).unwrap()));
    g.bench_function("uncached_typed_call", |b| {
        b.iter(|| plain(black_box(7)).unwrap())
    });
    g.bench_function("bare_map_get", |b| {
        b.iter(|| BARE.lookup_at(black_box(&(7,)), 0).unwrap())
    });
    g.bench_function("cache_hit_string", |b| {
        b.iter(|| cached_text(black_box("Oslo".to_string())).unwrap())
    });
    g.finish();

    let stats = lmms::gateway().stats();
    let op = stats.operations.iter().find(|o| o.op == "cached").unwrap();
    assert_eq!(op.cache_misses, 1, "the hit loop missed");
}

criterion_group!(benches, bench);
criterion_main!(benches);
