//! A module's `Drop` is its unload hook: it runs exactly once per build, so a buffer it
//! flushes loses nothing and repeats nothing — across build/unload cycles, and with calls
//! on several threads racing unloads (and sweeps that fill and empty the fast path).

use lmms::{Config, Init, InitError};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::*};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Duration;

macro_rules! buffered_module {
    ($ty:ident, $name:literal, $sink:ident, $drops:ident, $push:ident) => {
        /// Items flushed by the module's `Drop`, in flush order.
        static $sink: Mutex<Vec<u64>> = Mutex::new(Vec::new());
        /// Values dropped (counted by the hook itself).
        static $drops: AtomicU64 = AtomicU64::new(0);

        #[lmms::module(name = $name, policy = "feature")]
        pub struct $ty(Mutex<Vec<u64>>);

        impl Init for $ty {
            fn init() -> Result<Self, InitError> {
                Ok($ty(Mutex::new(Vec::new())))
            }
        }

        impl Drop for $ty {
            fn drop(&mut self) {
                let buffered = std::mem::take(self.0.get_mut().unwrap_or_else(|p| p.into_inner()));
                $sink
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .extend(buffered);
                $drops.fetch_add(1, SeqCst);
            }
        }

        /// Buffers `item` in the resident value.
        #[lmms::operation(interface = $name, op = "push", module = $ty)]
        pub fn $push(m: &$ty, item: u64) {
            m.0.lock().unwrap_or_else(|p| p.into_inner()).push(item);
        }
    };
}

buffered_module!(SeqBuffer, "hook_seq", SEQ_SINK, SEQ_DROPS, seq_push);
buffered_module!(RaceBuffer, "hook_race", RACE_SINK, RACE_DROPS, race_push);

/// Tests in this file share one gateway: configured once, run one at a time.
fn setup() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    static CONFIGURED: OnceLock<()> = OnceLock::new();
    let guard = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    CONFIGURED.get_or_init(|| {
        let config = Config::builder()
            // Low, so that the racing test's sweeps promote `push` to the fast path.
            .fast_path_threshold(5)
            // Only explicit sweeps.
            .sweep_interval(Duration::from_secs(1 << 40))
            .build()
            .unwrap();
        lmms::configure(config).unwrap();
    });
    guard
}

fn info(name: &str) -> lmms::ModuleInfo {
    lmms::gateway()
        .modules()
        .into_iter()
        .find(|m| m.name == name)
        .expect("registered")
}

/// Every pushed item appears in `sink` exactly once: nothing twice, nothing lost.
fn assert_exactly_once(sink: &Mutex<Vec<u64>>, pushed: &BTreeSet<u64>, context: &str) {
    let flushed = sink.lock().unwrap().clone();
    let unique: BTreeSet<u64> = flushed.iter().copied().collect();
    assert_eq!(
        unique.len(),
        flushed.len(),
        "{context}: {} items flushed twice",
        flushed.len() - unique.len()
    );
    let lost: Vec<_> = pushed.difference(&unique).take(10).collect();
    let extra: Vec<_> = unique.difference(pushed).take(10).collect();
    assert!(
        lost.is_empty() && extra.is_empty(),
        "{context}: lost {lost:?}…, never pushed {extra:?}… ({} pushed, {} flushed)",
        pushed.len(),
        flushed.len()
    );
}

#[test]
fn every_buffered_item_is_flushed_once_across_cycles() {
    let _serial = setup();
    let gw = lmms::gateway();
    let mut pushed = BTreeSet::new();
    const CYCLES: u64 = 10;
    for cycle in 0..CYCLES {
        for i in 0..100 {
            let item = cycle * 1000 + i;
            seq_push(item).unwrap();
            pushed.insert(item);
        }
        assert!(info("hook_seq").resident);
        assert!(
            gw.unload("hook_seq").unwrap(),
            "cycle {cycle}: was resident"
        );
        assert!(
            !gw.unload("hook_seq").unwrap(),
            "a second unload finds nothing"
        );
        assert_exactly_once(&SEQ_SINK, &pushed, &format!("after cycle {cycle}"));
        let m = info("hook_seq");
        assert_eq!((m.builds, m.drops), (cycle + 1, cycle + 1));
        assert_eq!(SEQ_DROPS.load(SeqCst), cycle + 1, "hook ran once per build");
    }
    // A value still resident has not flushed yet; its drop flushes the rest.
    seq_push(999_999).unwrap();
    pushed.insert(999_999);
    let m = info("hook_seq");
    assert!(m.resident);
    assert_eq!(m.builds, m.drops + 1, "builds == drops + 1 while resident");
    assert!(!SEQ_SINK.lock().unwrap().contains(&999_999));
    assert!(gw.unload("hook_seq").unwrap());
    assert_exactly_once(&SEQ_SINK, &pushed, "final");
    let m = info("hook_seq");
    assert_eq!(m.builds, m.drops);
    assert_eq!(SEQ_DROPS.load(SeqCst), m.drops);
    println!(
        "[unload_hook] sequential: {} items over {} builds, each flushed once",
        pushed.len(),
        m.builds
    );
}

#[test]
fn every_buffered_item_is_flushed_once_with_calls_racing_unloads() {
    let _serial = setup();
    let gw = lmms::gateway();
    const THREADS: u64 = 3;
    let per_thread: u64 = if cfg!(debug_assertions) {
        20_000
    } else {
        100_000
    };
    let done = AtomicBool::new(false);
    let (unloads, sweeps_unloading) = std::thread::scope(|s| {
        let unloader = s.spawn(|| {
            let (mut unloads, mut sweeps) = (0u64, 0u64);
            let mut round = 0u64;
            while !done.load(Acquire) {
                round += 1;
                if round % 8 == 0 {
                    // Refreshes heat: `push` turns HOT and gets a fast-path slot, which the
                    // next `unload` empties before trying.
                    if gw.sweep().unloaded.iter().any(|m| m == "hook_race") {
                        sweeps += 1;
                    }
                } else if let Ok(true) = gw.unload("hook_race") {
                    unloads += 1;
                }
                std::thread::yield_now();
            }
            (unloads, sweeps)
        });
        let callers: Vec<_> = (0..THREADS)
            .map(|t| {
                s.spawn(move || {
                    for i in 0..per_thread {
                        race_push(t * 10_000_000 + i).unwrap();
                        if i % 256 == 0 {
                            std::thread::yield_now();
                        }
                    }
                })
            })
            .collect();
        for c in callers {
            c.join().unwrap();
        }
        done.store(true, Release);
        unloader.join().unwrap()
    });
    let m = info("hook_race");
    assert_eq!(
        m.builds,
        m.drops + m.resident as u64,
        "builds == drops (+1 if resident): {m:?}"
    );
    let _ = gw.unload("hook_race").unwrap();
    let pushed: BTreeSet<u64> = (0..THREADS)
        .flat_map(|t| (0..per_thread).map(move |i| t * 10_000_000 + i))
        .collect();
    assert_exactly_once(&RACE_SINK, &pushed, "racing");
    let m = info("hook_race");
    assert_eq!(m.builds, m.drops);
    assert_eq!(RACE_DROPS.load(SeqCst), m.drops, "hook ran once per build");
    println!(
        "[unload_hook] racing: {} items from {THREADS} threads, {} builds, {} unloads and {} \
         sweep unloads while calls ran ({} fast-path calls), each item flushed once",
        pushed.len(),
        m.builds,
        unloads,
        sweeps_unloading,
        gw.stats().zafp_hits
    );
    assert!(
        unloads + sweeps_unloading > 0,
        "no unload won against the calls: the race was not exercised"
    );
}
