//! ZAFP on the injectable clock: heat levels, promotion, the fast path giving the same
//! results and errors, decay and demotion, `MAX_HOT_PATHS` with least recently used
//! emptied first, and no unload under a fast-path call.

use lmms::{Config, Heat, Init, InitError, ManualClock, OperationInfo};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Duration;

#[lmms::module(policy = "feature")]
pub struct Dict {
    words: Vec<String>,
}

impl Init for Dict {
    fn init() -> Result<Self, InitError> {
        Ok(Dict {
            words: ["alpha", "beta", "gamma"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
        })
    }
}

#[lmms::operation(interface = "dict", op = "word", module = Dict)]
pub fn word(d: &Dict, i: usize) -> Result<String, String> {
    d.words
        .get(i)
        .cloned()
        .ok_or_else(|| format!("no word {i}"))
}

#[lmms::operation(interface = "dict", op = "count", module = Dict)]
pub fn count(d: &Dict) -> usize {
    d.words.len()
}

#[lmms::operation(interface = "dict", op = "first", module = Dict)]
pub fn first(d: &Dict) -> String {
    d.words[0].clone()
}

/// Stateless: HOT like any other operation, but with no slot to fill.
#[lmms::operation(interface = "dict", op = "echo")]
pub fn echo(x: u32) -> u32 {
    x
}

/// Tries to unload its own module from inside a (fast-path) call.
#[lmms::operation(interface = "dict", op = "unload_self", module = Dict)]
pub fn unload_self(_d: &Dict) -> Option<String> {
    lmms::gateway().unload("dict").err().map(|e| e.to_string())
}

const THRESHOLD: u64 = 10;

fn setup() -> (MutexGuard<'static, ()>, &'static ManualClock) {
    static SERIAL: Mutex<()> = Mutex::new(());
    static CLOCK: OnceLock<ManualClock> = OnceLock::new();
    let guard = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let clock = CLOCK.get_or_init(|| {
        let clock = ManualClock::new();
        lmms::configure(
            Config::builder()
                .clock(lmms::Clock::manual(&clock))
                .fast_path_threshold(THRESHOLD)
                .heat_window(Duration::from_secs(600))
                .max_hot_paths(2)
                .sweep_interval(Duration::from_secs(1 << 40))
                .build()
                .unwrap(),
        )
        .unwrap();
        clock
    });
    // Absorb calls the previous test made after its last sweep, then let them all age
    // out of the heat window: otherwise they would count as this test's recent calls.
    lmms::gateway().sweep();
    clock.advance(Duration::from_secs(3600));
    lmms::gateway().sweep();
    (guard, clock)
}

fn op(name: &str) -> OperationInfo {
    lmms::gateway()
        .operations()
        .into_iter()
        .find(|o| o.op == name)
        .unwrap()
}

#[test]
fn heat_levels_promotion_same_results_and_decay() {
    let (_g, clock) = setup();
    let gw = lmms::gateway();
    for _ in 0..2 {
        count().unwrap();
    }
    gw.sweep();
    assert_eq!(op("count").heat, Heat::Cold, "{:?}", op("count"));
    for _ in 0..(THRESHOLD - 2) {
        count().unwrap();
    }
    gw.sweep();
    assert_eq!(
        op("count").heat,
        Heat::Warm,
        "exactly the threshold is still WARM"
    );
    assert!(!op("count").fast_path);
    count().unwrap();
    let r = gw.sweep();
    assert_eq!(op("count").heat, Heat::Hot);
    assert!(r.promoted.contains(&"dict.count".to_string()), "{r:?}");
    assert!(op("count").fast_path);

    // Calls now go through the fast path, with the same results.
    let hits = gw.stats().zafp_hits;
    for _ in 0..40 {
        assert_eq!(count().unwrap(), 3);
    }
    assert_eq!(gw.stats().zafp_hits, hits + 40);
    gw.sweep();
    assert_eq!(op("count").heat, Heat::Critical, "above 4 x threshold");

    // Decay: after the window without calls the operation cools and loses its slot.
    clock.advance(Duration::from_secs(601));
    let r = gw.sweep();
    assert!(r.demoted.contains(&"dict.count".to_string()), "{r:?}");
    assert_eq!(op("count").heat, Heat::Cold);
    assert!(!op("count").fast_path);
    let stats = gw.stats();
    assert!(stats.zafp_promotions >= 1 && stats.zafp_demotions >= 1);
}

#[test]
fn fast_path_returns_the_same_errors() {
    let (_g, _clock) = setup();
    let gw = lmms::gateway();
    for _ in 0..=THRESHOLD {
        word(0).unwrap().unwrap();
    }
    gw.sweep();
    assert!(op("word").fast_path);
    let hits = gw.stats().zafp_hits;
    assert_eq!(word(1).unwrap(), Ok("beta".to_string()));
    assert_eq!(word(9).unwrap(), Err("no word 9".to_string()));
    assert_eq!(
        lmms::execute("dict", "word", serde_json::json!({"i": 2})).unwrap(),
        serde_json::json!({"Ok": "gamma"})
    );
    assert!(gw.stats().zafp_hits >= hits + 3);
}

#[test]
fn max_hot_paths_empties_least_recently_used() {
    let (_g, clock) = setup();
    let gw = lmms::gateway();
    for _ in 0..=THRESHOLD {
        count().unwrap();
    }
    gw.sweep();
    clock.advance(Duration::from_secs(1));
    for _ in 0..=THRESHOLD {
        word(0).unwrap().unwrap();
    }
    gw.sweep();
    assert!(op("count").fast_path && op("word").fast_path);
    clock.advance(Duration::from_secs(1));
    for _ in 0..=THRESHOLD {
        first().unwrap();
    }
    clock.advance(Duration::from_secs(1));
    // The most recently active HOT operation is stateless: it has no slot and must not
    // take one of the two places.
    for _ in 0..=THRESHOLD {
        echo(1).unwrap();
    }
    gw.sweep();
    assert!(op("echo").heat.is_hot() && !op("echo").fast_path);
    // Three HOT operations with slots, two places: `count` was active least recently.
    assert!(
        op("first").fast_path && op("word").fast_path,
        "{:?}",
        gw.operations()
    );
    assert!(!op("count").fast_path);
    assert!(op("count").heat.is_hot(), "still HOT, only without a slot");
    assert_eq!(gw.stats().hot_paths, 2);
}

#[test]
fn no_unload_under_a_fast_path_call() {
    let (_g, _clock) = setup();
    let gw = lmms::gateway();
    for _ in 0..=THRESHOLD {
        unload_self().unwrap();
    }
    // Not hot yet: a slow-path call holds its module through the active-call count.
    let msg = unload_self()
        .unwrap()
        .expect("refused under a slow-path call");
    assert!(msg.contains("active calls"), "{msg}");
    gw.sweep();
    assert!(op("unload_self").fast_path);
    let hits = gw.stats().zafp_hits;
    // On the fast path the unload empties the slot, then finds this thread's pin.
    let msg = unload_self()
        .unwrap()
        .expect("refused under a fast-path call");
    assert!(msg.contains("active calls"), "{msg}");
    assert_eq!(gw.stats().zafp_hits, hits + 1);
    // Once the call is over, a forced unload goes through.
    assert!(gw.unload("dict").unwrap());
    assert_eq!(count().unwrap(), 3, "rebuilt on the next call");
}
