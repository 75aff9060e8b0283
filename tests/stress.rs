//! Stress: 8 threads call operations of four modules while another thread sweeps and
//! force-unloads without pause, for 10 s (`LMMS_STRESS_SECS` to change). Counts live
//! instances (never above one per module), builds and drops (builds − drops ≤ 1 at the
//! end) and checks every result. Low heat thresholds make operations promote to the fast
//! path and demote again all the time, so unloads race fast-path calls too.

use lmms::{Config, Init, InitError};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::SeqCst};
use std::time::{Duration, Instant};

#[path = "common/callers.rs"]
mod callers;
use callers::{stress_secs, Callers};

static LIVE: [AtomicUsize; 4] = [const { AtomicUsize::new(0) }; 4];
static MAX_LIVE: AtomicUsize = AtomicUsize::new(0);
static BUILDS: [AtomicU64; 4] = [const { AtomicU64::new(0) }; 4];
static DROPS: [AtomicU64; 4] = [const { AtomicU64::new(0) }; 4];

macro_rules! module {
    ($ty:ident, $idx:literal, $name:literal, $policy:literal, $op:ident) => {
        #[lmms::module(name = $name, policy = $policy)]
        pub struct $ty {
            data: Vec<u64>,
        }
        impl Init for $ty {
            fn init() -> Result<Self, InitError> {
                let live = LIVE[$idx].fetch_add(1, SeqCst) + 1;
                MAX_LIVE.fetch_max(live, SeqCst);
                BUILDS[$idx].fetch_add(1, SeqCst);
                Ok($ty {
                    data: (0..256).map(|i| i * ($idx + 1)).collect(),
                })
            }
        }
        impl Drop for $ty {
            fn drop(&mut self) {
                DROPS[$idx].fetch_add(1, SeqCst);
                LIVE[$idx].fetch_sub(1, SeqCst);
            }
        }
        /// Returns a checksum of the value, checking it is alive and the only one.
        #[lmms::operation(interface = $name, op = "sum", module = $ty)]
        pub fn $op(m: &$ty, k: u64) -> u64 {
            assert_eq!(
                LIVE[$idx].load(SeqCst),
                1,
                "call served by a dead or duplicate value"
            );
            m.data.iter().sum::<u64>() + k
        }
    };
}

module!(M0, 0, "m0", "utility", m0_sum);
module!(M1, 1, "m1", "utility", m1_sum);
module!(M2, 2, "m2", "feature", m2_sum);
module!(M3, 3, "m3", "feature", m3_sum);

fn expected(idx: u64, k: u64) -> u64 {
    (0..256).map(|i| i * (idx + 1)).sum::<u64>() + k
}

#[test]
fn callers_sweepers_and_forced_unloads_for_ten_seconds() {
    let secs = stress_secs(10);
    lmms::configure(
        Config::builder()
            .grace_period(Duration::ZERO)
            .min_resident_modules(0)
            .fast_path_threshold(20)
            .heat_window(Duration::from_secs(1))
            .sweep_interval(Duration::from_millis(1))
            .build()
            .unwrap(),
    )
    .unwrap();
    let gw = lmms::gateway();
    let deadline = Instant::now() + Duration::from_secs(secs);
    let callers = Callers::start(8, |t, n| {
        // Skewed: each thread hammers one module and touches the others.
        let idx = if n % 4 == 0 { (n / 4) % 4 } else { t % 4 };
        let got = match idx {
            0 => m0_sum(n),
            1 => m1_sum(n),
            2 => m2_sum(n),
            _ => m3_sum(n),
        };
        assert_eq!(got.unwrap(), expected(idx, n), "wrong result from m{idx}");
    });

    let unloader = {
        std::thread::spawn(move || {
            let (mut sweeps, mut forced, mut refused) = (0u64, 0u64, 0u64);
            while Instant::now() < deadline {
                gw.sweep();
                sweeps += 1;
                for name in ["m0", "m1", "m2", "m3"] {
                    match gw.unload(name) {
                        Ok(true) => forced += 1,
                        Ok(false) => {}
                        Err(_) => refused += 1,
                    }
                }
            }
            (sweeps, forced, refused)
        })
    };
    let (sweeps, forced, refused) = unloader.join().unwrap();
    let calls = callers.stop();

    let stats = gw.stats();
    println!(
        "stress {secs}s: calls={} sweeps={sweeps} forced_unloads={forced} refused={refused} \
         lugs_unloads={} ligs_loads={} zafp_hits={} promotions={} demotions={} max_live={}",
        calls,
        stats.lugs_unloads,
        stats.ligs_loads,
        stats.zafp_hits,
        stats.zafp_promotions,
        stats.zafp_demotions,
        MAX_LIVE.load(SeqCst),
    );
    for i in 0..4 {
        let (b, d) = (BUILDS[i].load(SeqCst), DROPS[i].load(SeqCst));
        println!("  m{i}: builds={b} drops={d} live={}", LIVE[i].load(SeqCst));
        assert!(b >= d && b - d <= 1, "m{i}: builds {b}, drops {d}");
        assert_eq!(LIVE[i].load(SeqCst) as u64, b - d);
    }
    assert_eq!(MAX_LIVE.load(SeqCst), 1, "never two live instances");
    assert!(calls > 0 && forced > 0, "the race actually happened");
    assert!(stats.zafp_hits > 0, "fast-path calls took part in the race");
    let info = gw.modules();
    for m in &info {
        assert_eq!(m.builds - m.drops, u64::from(m.resident), "{m:?}");
    }
}
