//! Stress: calls racing deferred unloads. 8 threads call four `feature` modules; every
//! call's end-of-call maintenance may sweep (1 ms interval), and those sweeps hand what they
//! unload to the drop thread, whose drops (slow: thousands of frees each) overlap the calls
//! that need the same modules again. One module's `Drop` calls another module's operation
//! from the drop thread. Another thread reads stats, drains and sweeps explicitly. For 5 s
//! (`LMMS_STRESS_SECS` to change). Never two live instances; every result right; at the
//! end, after `drain_drops`, builds − drops = resident for each module and every unload's
//! drop has run.

use lmms::{Config, Error, Init, InitError, UnloadStrategy};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::SeqCst};
use std::time::{Duration, Instant};

#[path = "common/callers.rs"]
mod callers;
use callers::{stress_secs, Callers};

#[global_allocator]
static A: lmms::memory::CountingAlloc = lmms::memory::CountingAlloc::system();

static LIVE: [AtomicUsize; 4] = [const { AtomicUsize::new(0) }; 4];
static MAX_LIVE: AtomicUsize = AtomicUsize::new(0);
static BUILDS: [AtomicU64; 4] = [const { AtomicU64::new(0) }; 4];
static DROPS: [AtomicU64; 4] = [const { AtomicU64::new(0) }; 4];
/// Calls made from `D0`'s `Drop`: served, and refused with `ModuleUnloading`.
static FROM_DROP: [AtomicU64; 2] = [const { AtomicU64::new(0) }; 2];

const CHUNKS: u64 = 4096;

fn checksum(idx: u64) -> u64 {
    (0..CHUNKS).map(|i| i * (idx + 1)).sum()
}

macro_rules! module {
    ($ty:ident, $idx:literal, $name:literal, $op:ident) => {
        #[lmms::module(name = $name, policy = "feature")]
        pub struct $ty(Vec<Box<[u64]>>);
        impl Init for $ty {
            fn init() -> Result<Self, InitError> {
                let live = LIVE[$idx].fetch_add(1, SeqCst) + 1;
                MAX_LIVE.fetch_max(live, SeqCst);
                BUILDS[$idx].fetch_add(1, SeqCst);
                Ok($ty((0..CHUNKS)
                    .map(|i| vec![i * ($idx + 1); 4].into_boxed_slice())
                    .collect()))
            }
        }
        impl Drop for $ty {
            fn drop(&mut self) {
                if $idx == 0 {
                    from_drop();
                }
                DROPS[$idx].fetch_add(1, SeqCst);
                LIVE[$idx].fetch_sub(1, SeqCst);
            }
        }
        /// A checksum of the value, checking it is alive and the only one.
        #[lmms::operation(interface = $name, op = "sum", module = $ty)]
        pub fn $op(m: &$ty, k: u64) -> u64 {
            assert_eq!(
                LIVE[$idx].load(SeqCst),
                1,
                "served by a dead or duplicate value"
            );
            m.0.iter().map(|b| b[0]).sum::<u64>() + k
        }
    };
}

module!(D0, 0, "d0", d0_sum);
module!(D1, 1, "d1", d1_sum);
module!(D2, 2, "d2", d2_sum);
module!(D3, 3, "d3", d3_sum);

/// `D0`'s `Drop` calls `d1`: served (resident, or built right there), or refused when
/// `d1`'s own drop is queued behind this one on the drop thread.
fn from_drop() {
    match d1_sum(1) {
        Ok(v) => {
            assert_eq!(v, checksum(1) + 1);
            FROM_DROP[0].fetch_add(1, SeqCst);
        }
        Err(Error::ModuleUnloading { module }) if module == "d1" => {
            FROM_DROP[1].fetch_add(1, SeqCst);
        }
        Err(e) => panic!("d1 called from d0's Drop: {e}"),
    }
}

fn call(idx: u64, k: u64) -> u64 {
    let r = match idx {
        0 => d0_sum(k),
        1 => d1_sum(k),
        2 => d2_sum(k),
        _ => d3_sum(k),
    };
    r.unwrap()
}

#[test]
fn calls_racing_deferred_unloads() {
    let secs = stress_secs(5);
    lmms::configure(
        Config::builder()
            .unload_strategy(UnloadStrategy::Idle)
            // Fast-path calls run no end-of-call maintenance: every call here may sweep.
            .fast_path(false)
            // Nor does any operation turn HOT (which would protect its module).
            .fast_path_threshold(1 << 40)
            .sweep_interval(Duration::from_millis(1))
            .trim_on_unload(true)
            .build()
            .unwrap(),
    )
    .unwrap();
    let gw = lmms::gateway();
    let deadline = Instant::now() + Duration::from_secs(secs);
    let callers = Callers::start(8, |t, n| {
        // Each thread moves to the next module every 16 calls, so modules go idle (and are
        // unloaded) and are needed again all the time.
        let idx = (n / 16 + t) % 4;
        assert_eq!(call(idx, n), checksum(idx) + n, "wrong result from d{idx}");
        // Gaps, in which a module nobody calls is unloaded.
        if (n + t) % 4 == 0 {
            std::thread::sleep(Duration::from_millis(1));
        }
    });

    let observer = std::thread::spawn(move || {
        let (mut drains, mut sweeps) = (0u64, 0u64);
        while Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
            let s = gw.stats();
            assert!(s.resident_modules <= 4);
            if drains % 4 == 0 {
                gw.sweep();
                sweeps += 1;
            } else {
                assert!(gw.drain_drops());
            }
            drains += 1;
        }
        (drains, sweeps)
    });
    let (drains, sweeps) = observer.join().unwrap();
    let calls = callers.stop();

    assert!(gw.drain_drops());
    let stats = gw.stats();
    println!(
        "deferred stress {secs}s: calls={} drains={drains} explicit_sweeps={sweeps} \
         sweeps={} lugs_unloads={} deferred_drops={} deferred_drop_ms={:.1} ligs_loads={} \
         from_drop served={} refused={} max_live={}",
        calls,
        stats.sweeps,
        stats.lugs_unloads,
        stats.deferred_drops,
        stats.deferred_drop_ns as f64 / 1e6,
        stats.ligs_loads,
        FROM_DROP[0].load(SeqCst),
        FROM_DROP[1].load(SeqCst),
        MAX_LIVE.load(SeqCst),
    );
    assert_eq!(MAX_LIVE.load(SeqCst), 1, "never two live instances");
    assert_eq!(stats.deferred_drops_pending, 0);
    assert!(stats.deferred_drops > 0, "no unload was deferred");
    let mut dropped = 0;
    for (i, m) in ["d0", "d1", "d2", "d3"].iter().enumerate() {
        let info = stats.modules.iter().find(|x| x.name == *m).unwrap();
        let (b, d) = (BUILDS[i].load(SeqCst), DROPS[i].load(SeqCst));
        println!("  {m}: builds={b} drops={d} resident={}", info.resident);
        assert_eq!(
            b - d,
            u64::from(info.resident),
            "{m}: builds {b}, drops {d}"
        );
        assert_eq!((info.builds, info.drops), (b, d), "{m}: the cell's counts");
        assert_eq!(LIVE[i].load(SeqCst) as u64, b - d);
        dropped += d;
    }
    assert_eq!(
        stats.lugs_unloads, dropped,
        "an unload whose drop never ran"
    );
}
