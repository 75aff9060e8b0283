//! Deterministic data the modules build from: a seeded generator, the home's naming scheme
//! (shared with the scenarios, so requests name entities that exist) and a size scale.
//!
//! Every module's `init` generates its "bundled" document as text here and then parses or
//! compiles it, so the work and the memory are real, varied and repeatable.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU32, Ordering};

/// Size scale in percent of the base sizes in the modules: set by `main` (70 for the
/// full run, which puts eager start-up near the seeds' 40-50 MB; 5 for `--quick`).
static SCALE_PCT: AtomicU32 = AtomicU32::new(100);

/// Sets the size scale (percent) before any module is built.
pub fn set_scale_pct(pct: u32) {
    SCALE_PCT.store(pct.max(1), Ordering::Relaxed);
}

/// `base` scaled by the size scale, at least 1.
pub fn n(base: usize) -> usize {
    (base * SCALE_PCT.load(Ordering::Relaxed) as usize / 100).max(1)
}

/// Size of the large profile's data modules in 1/1000 of their full size: 0 in the small
/// profile (the modules are compiled in but hold nothing, and no request uses them), 1000
/// in the full large profile, less with `--quick`.
static LARGE_PERMILLE: AtomicU32 = AtomicU32::new(0);

/// Sets the large modules' size (1/1000 of full) before any module is built.
pub fn set_large_permille(permille: u32) {
    LARGE_PERMILLE.store(permille, Ordering::Relaxed);
}

/// Whether the large data modules hold data in this process (the large profile).
pub fn large_enabled() -> bool {
    LARGE_PERMILLE.load(Ordering::Relaxed) > 0
}

/// `full` (an element count of a large module at full size) scaled to this run: 0 in the
/// small profile.
pub fn large(full: usize) -> usize {
    (full as u64 * LARGE_PERMILLE.load(Ordering::Relaxed) as u64 / 1000) as usize
}

/// xorshift64*: small, fast, deterministic.
#[derive(Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator seeded from a name, so each module builds different data.
    pub fn for_name(name: &str) -> Rng {
        let mut h = 0xcbf2_9ce4_8422_2325u64;
        for b in name.bytes() {
            h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
        }
        Rng(h | 1)
    }

    /// A generator from a number (requests pick their data with it).
    pub fn seeded(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

pub const ROOMS: &[&str] = &[
    "living_room",
    "kitchen",
    "bedroom",
    "office",
    "hallway",
    "garage",
    "bathroom",
    "nursery",
    "basement",
    "porch",
    "dining_room",
    "laundry",
];

pub const WORDS: &[&str] = &[
    "morning", "evening", "night", "away", "home", "vacation", "guest", "movie", "dinner", "party",
    "relax", "focus", "sleep", "wake", "arrive", "leave", "rain", "sunny", "cold", "warm", "quiet",
    "bright", "dim", "secure", "eco", "boost", "clean", "water", "energy", "alert", "remind",
    "check", "status", "schedule", "weekend", "holiday", "storm", "heat",
];

pub const LANGS: &[&str] = &[
    "en", "de", "fr", "es", "it", "nl", "pt", "sv", "da", "fi", "nb", "pl",
];

/// The entity id of device `i` of `domain`: the scheme scenarios use too.
pub fn entity_id(domain: &str, i: usize) -> String {
    format!(
        "{domain}.{}_{}",
        ROOMS[i % ROOMS.len()],
        i / ROOMS.len() + 1
    )
}

/// A pseudo-word of 4–11 letters (names, tokens, phrases).
pub fn word(rng: &mut Rng) -> String {
    const SYL: &[&str] = &[
        "ka", "lo", "mi", "ra", "te", "su", "no", "vi", "ze", "ba", "do", "fu", "ge", "hi",
    ];
    let mut s = String::new();
    for _ in 0..2 + rng.below(4) {
        s.push_str(SYL[rng.below(SYL.len())]);
    }
    s
}

/// A JSON array of `count` objects written by `each(i, rng, out)` (the "bundled" document).
pub fn json_array(
    rng: &mut Rng,
    count: usize,
    mut each: impl FnMut(usize, &mut Rng, &mut String),
) -> String {
    let mut out = String::with_capacity(count * 160);
    out.push('[');
    for i in 0..count {
        if i > 0 {
            out.push(',');
        }
        each(i, rng, &mut out);
    }
    out.push(']');
    out
}

/// A CSV-like text of `rows` lines written by `row(i, rng, out)`, with a header.
pub fn text_table(
    rng: &mut Rng,
    header: &str,
    rows: usize,
    mut row: impl FnMut(usize, &mut Rng, &mut String),
) -> String {
    let mut out = String::with_capacity(rows * 48);
    let _ = writeln!(out, "{header}");
    for i in 0..rows {
        row(i, rng, &mut out);
        out.push('\n');
    }
    out
}

/// FNV-1a, used for token and key digests.
pub fn fnv(bytes: &[u8]) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for b in bytes {
        h = (h ^ *b as u64).wrapping_mul(0x0100_0000_01b3);
    }
    h
}
