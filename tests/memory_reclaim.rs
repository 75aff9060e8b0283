//! 64 MiB held by a module really goes back when LUGS drops it: the live heap (counting
//! allocator), the module's measured `bytes`, `Stats.memory_reclaimed_bytes`, and RSS —
//! right after the drop and after a trim, both reported.
//!
//! Figures are printed (`cargo test --test memory_reclaim -- --nocapture`) and repeated in
//! every assertion message. glibc serves a 64 MiB block with its own `mmap` (above the
//! mmap threshold), so freeing it unmaps it and RSS drops before any trim; the same 64 MiB
//! in 64 KiB chunks comes from an arena, where RSS may drop only when trimmed.

use lmms::{Config, Init, InitError, UnloadStrategy};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Duration;

#[global_allocator]
static A: lmms::memory::CountingAlloc = lmms::memory::CountingAlloc::system();

const SIZE: usize = 64 << 20;
const CHUNK: usize = 64 << 10;
/// RSS that must come back with a trim: 64 MiB less 8 MiB of slack for the allocator's
/// own bookkeeping and what the rest of the process does meanwhile.
const RSS_MIN_DROP: u64 = 56 << 20;

/// One 64 MiB block, every page written.
#[lmms::module(name = "reclaim_block", policy = "feature")]
pub struct Block(Vec<u8>);

impl Init for Block {
    fn init() -> Result<Self, InitError> {
        Ok(Block(vec![1u8; SIZE]))
    }
}

#[lmms::operation(interface = "reclaim_block", op = "sum", module = Block)]
pub fn block_sum(b: &Block) -> u64 {
    b.0.iter().step_by(4096).map(|&x| x as u64).sum()
}

/// 64 MiB in 1 024 chunks of 64 KiB (below glibc's mmap threshold), every page written.
#[lmms::module(name = "reclaim_chunks", policy = "feature")]
pub struct Chunks(Vec<Vec<u8>>);

impl Init for Chunks {
    fn init() -> Result<Self, InitError> {
        Ok(Chunks(
            (0..SIZE / CHUNK)
                .map(|i| vec![(i % 251) as u8 + 1; CHUNK])
                .collect(),
        ))
    }
}

#[lmms::operation(interface = "reclaim_chunks", op = "sum", module = Chunks)]
pub fn chunks_sum(c: &Chunks) -> u64 {
    c.0.iter().map(|v| v[0] as u64).sum()
}

/// Tests share the process (and its RSS): one at a time, one configuration.
fn setup() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    static CONFIGURED: OnceLock<()> = OnceLock::new();
    let guard = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    CONFIGURED.get_or_init(|| {
        let config = Config::builder()
            // The seeds' rule: a feature module goes at the first sweep after its use.
            .unload_strategy(UnloadStrategy::Idle)
            .trim_on_unload(true)
            // Only explicit sweeps.
            .sweep_interval(Duration::from_secs(1 << 40))
            .build()
            .unwrap();
        lmms::configure(config).unwrap();
    });
    guard
}

fn mib(b: u64) -> f64 {
    b as f64 / 1048576.0
}

fn heap() -> u64 {
    lmms::memory::live_heap_bytes().expect("counting allocator installed")
}

fn rss() -> u64 {
    lmms::memory::rss_bytes().expect("RSS from /proc/self/statm")
}

fn module_bytes(name: &str) -> Option<u64> {
    lmms::gateway()
        .modules()
        .into_iter()
        .find(|m| m.name == name)
        .and_then(|m| m.bytes)
}

fn reclaimed_total() -> u64 {
    lmms::gateway()
        .stats()
        .memory_reclaimed_bytes
        .expect("measured with the counting allocator")
}

#[test]
fn a_64_mib_block_comes_back_on_sweep_with_trim_report() {
    let _serial = setup();
    let gw = lmms::gateway();
    // A first build-and-sweep cycle: the sweep allocates lasting bookkeeping for the
    // operation's first calls (its heat window), which must not count against the drop.
    assert_eq!(block_sum().unwrap(), (SIZE / 4096) as u64);
    drop(gw.sweep());
    assert_eq!(block_sum().unwrap(), (SIZE / 4096) as u64);
    let bytes = module_bytes("reclaim_block");
    let (heap_resident, rss_resident) = (heap(), rss());
    let reclaimed_before = reclaimed_total();

    let report = gw.sweep();
    // Take what is needed and free the report before reading the heap: its own strings
    // would otherwise count against the drop.
    let unloaded = report.unloaded.iter().any(|m| m == "reclaim_block");
    let (report_reclaimed, trim) = (report.reclaimed_bytes, report.trim);
    let report_text = format!("{report:?}");
    drop(report);

    let heap_after = heap() - report_text.capacity() as u64;
    let reclaimed = reclaimed_total() - reclaimed_before;
    let trim = trim.expect("trim_on_unload reports the trim");
    let rss_after_drop = trim.rss_before.unwrap();
    let rss_after_trim = trim.rss_after.unwrap();
    let heap_drop = heap_resident.saturating_sub(heap_after);
    let rss_drop_no_trim = rss_resident.saturating_sub(rss_after_drop);
    let rss_drop_trim = rss_resident.saturating_sub(rss_after_trim);
    let figures = format!(
        "single 64 MiB block, unloaded by sweep: module bytes {:.2} MiB; live heap {:.2} -> {:.2} MiB \
         (drop {} B = {:.3} MiB); memory_reclaimed_bytes +{:.2} MiB; SweepReport.reclaimed_bytes {:?}; \
         RSS resident {:.2} MiB, after drop {:.2} MiB (drop {:.2} MiB without trim), after trim \
         {:.2} MiB (drop {:.2} MiB with trim)",
        mib(bytes.unwrap_or(0)),
        mib(heap_resident),
        mib(heap_after),
        heap_drop,
        mib(heap_drop),
        mib(reclaimed),
        report_reclaimed,
        mib(rss_resident),
        mib(rss_after_drop),
        mib(rss_drop_no_trim),
        mib(rss_after_trim),
        mib(rss_drop_trim),
    );
    println!("[memory_reclaim] {figures}");

    assert!(
        unloaded,
        "sweep did not unload the feature module: {report_text}; {figures}"
    );
    assert!(bytes.unwrap_or(0) >= SIZE as u64, "module bytes: {figures}");
    assert!(heap_drop >= SIZE as u64, "live heap drop: {figures}");
    assert!(
        reclaimed >= SIZE as u64,
        "memory_reclaimed_bytes: {figures}"
    );
    assert!(
        report_reclaimed.unwrap_or(0) >= SIZE as u64,
        "SweepReport.reclaimed_bytes: {figures}"
    );
    assert!(
        rss_drop_trim >= RSS_MIN_DROP,
        "RSS drop with trim: {figures}"
    );
    assert_eq!(
        module_bytes("reclaim_block"),
        None,
        "not resident: {figures}"
    );
}

#[test]
fn a_64_mib_chunked_module_comes_back_on_unload_then_trim() {
    let _serial = setup();
    let gw = lmms::gateway();
    assert_eq!(
        chunks_sum().unwrap(),
        (0..SIZE / CHUNK).map(|i| (i % 251) as u64 + 1).sum::<u64>()
    );
    let bytes = module_bytes("reclaim_chunks");
    let (heap_resident, rss_resident) = (heap(), rss());
    let reclaimed_before = reclaimed_total();

    assert!(gw.unload("reclaim_chunks").unwrap(), "was resident");

    let (heap_after, rss_after_drop) = (heap(), rss());
    let reclaimed = reclaimed_total() - reclaimed_before;
    let trim = lmms::memory::trim();
    let rss_after_trim = trim.rss_after.unwrap();
    let heap_drop = heap_resident.saturating_sub(heap_after);
    let rss_drop_no_trim = rss_resident.saturating_sub(rss_after_drop);
    let rss_drop_trim = rss_resident.saturating_sub(rss_after_trim);
    let figures = format!(
        "64 MiB in 64 KiB chunks, Gateway::unload: module bytes {:.2} MiB; live heap {:.2} -> {:.2} MiB \
         (drop {} B = {:.3} MiB); memory_reclaimed_bytes +{:.2} MiB; RSS resident {:.2} MiB, after drop \
         {:.2} MiB (drop {:.2} MiB without trim), after memory::trim() {:.2} MiB (drop {:.2} MiB \
         with trim; the trim itself released {:.2} MiB)",
        mib(bytes.unwrap_or(0)),
        mib(heap_resident),
        mib(heap_after),
        heap_drop,
        mib(heap_drop),
        mib(reclaimed),
        mib(rss_resident),
        mib(rss_after_drop),
        mib(rss_drop_no_trim),
        mib(rss_after_trim),
        mib(rss_drop_trim),
        mib(trim.rss_released().unwrap_or(0)),
    );
    println!("[memory_reclaim] {figures}");

    assert!(bytes.unwrap_or(0) >= SIZE as u64, "module bytes: {figures}");
    assert!(heap_drop >= SIZE as u64, "live heap drop: {figures}");
    assert!(
        reclaimed >= SIZE as u64,
        "memory_reclaimed_bytes: {figures}"
    );
    assert!(
        rss_drop_trim >= RSS_MIN_DROP,
        "RSS drop with trim: {figures}"
    );
}
