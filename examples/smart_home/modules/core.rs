//! The seeds' core modules (never unloaded): `cache_core`, `logging_core`, `singleton_core`.

use crate::data::{self, Rng};
use lmms::InitError;
use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;
use std::sync::Mutex;

// ---------------------------------------------------------------------------------------
/// The application's own key/value cache: 16 shards, pre-sized, warmed from the last
/// state snapshot (a bundled text document).
#[lmms::module(name = "cache_core", policy = "core")]
pub struct CacheCore {
    shards: Vec<Mutex<HashMap<String, (u64, String)>>>,
}

impl lmms::Init for CacheCore {
    fn init() -> Result<Self, InitError> {
        let mut rng = Rng::for_name("cache_core");
        let snapshot = data::text_table(&mut rng, "key\tttl\tvalue", data::n(8_000), |i, r, o| {
            let _ = write!(
                o,
                "state:{}\t{}\t{}",
                data::entity_id("sensor", i),
                30 + r.below(600),
                data::word(r)
            );
        });
        let shards: Vec<_> = (0..16)
            .map(|_| Mutex::new(HashMap::with_capacity(data::n(1024))))
            .collect();
        for line in snapshot.lines().skip(1) {
            let mut f = line.split('\t');
            let (Some(k), Some(ttl), Some(v)) = (f.next(), f.next(), f.next()) else {
                return Err("cache snapshot: malformed line".into());
            };
            let shard = (data::fnv(k.as_bytes()) % 16) as usize;
            shards[shard]
                .lock()
                .unwrap()
                .insert(k.to_string(), (ttl.parse()?, v.to_string()));
        }
        Ok(CacheCore { shards })
    }
}

impl CacheCore {
    fn shard(&self, key: &str) -> &Mutex<HashMap<String, (u64, String)>> {
        &self.shards[(data::fnv(key.as_bytes()) % 16) as usize]
    }
}

#[lmms::operation(interface = "cache", op = "get", module = CacheCore)]
pub fn cache_get(c: &CacheCore, key: String) -> Option<String> {
    c.shard(&key)
        .lock()
        .unwrap()
        .get(&key)
        .map(|(_, v)| v.clone())
}

#[lmms::operation(interface = "cache", op = "set", module = CacheCore)]
pub fn cache_set(c: &CacheCore, key: String, value: String, ttl_s: u64) -> bool {
    c.shard(&key)
        .lock()
        .unwrap()
        .insert(key, (ttl_s, value))
        .is_none()
}

#[lmms::operation(interface = "cache", op = "len", module = CacheCore)]
pub fn cache_len(c: &CacheCore) -> usize {
    c.shards.iter().map(|s| s.lock().unwrap().len()).sum()
}

// ---------------------------------------------------------------------------------------
/// Structured logging: per-logger levels parsed from the bundled logging config, and a
/// pre-allocated ring of recent lines (what a Lambda keeps for its error reports).
#[lmms::module(name = "logging_core", policy = "core")]
pub struct LoggingCore {
    levels: HashMap<String, u8>,
    ring: Mutex<VecDeque<String>>,
}

const LEVELS: &[&str] = &["trace", "debug", "info", "warn", "error"];

impl lmms::Init for LoggingCore {
    fn init() -> Result<Self, InitError> {
        let mut rng = Rng::for_name("logging_core");
        let config = data::text_table(&mut rng, "# logger = level", data::n(6_000), |i, r, o| {
            let _ = write!(
                o,
                "app.{}.{}{i} = {}",
                r.pick(data::WORDS),
                data::word(r),
                r.pick(LEVELS)
            );
        });
        let mut levels = HashMap::new();
        for line in config.lines().filter(|l| !l.starts_with('#')) {
            let (name, level) = line
                .split_once(" = ")
                .ok_or("logging config: missing `=`")?;
            let lvl = LEVELS
                .iter()
                .position(|l| *l == level)
                .ok_or("unknown level")?;
            levels.insert(name.to_string(), lvl as u8);
        }
        let cap = data::n(8_192);
        let ring = (0..cap).map(|_| String::with_capacity(160)).collect();
        Ok(LoggingCore {
            levels,
            ring: Mutex::new(ring),
        })
    }
}

#[lmms::operation(interface = "logging", op = "log", module = LoggingCore)]
pub fn log(l: &LoggingCore, logger: String, level: u8, message: String) -> bool {
    if l.levels.get(&logger).is_some_and(|&min| level < min) {
        return false;
    }
    let mut ring = l.ring.lock().unwrap();
    let mut slot = ring.pop_front().unwrap_or_default();
    slot.clear();
    let _ = write!(
        slot,
        "[{}] {logger}: {message}",
        LEVELS[level.min(4) as usize]
    );
    ring.push_back(slot);
    true
}

#[lmms::operation(interface = "logging", op = "tail", module = LoggingCore)]
pub fn tail(l: &LoggingCore, lines: usize) -> Vec<String> {
    let ring = l.ring.lock().unwrap();
    ring.iter().rev().take(lines).cloned().collect()
}

// ---------------------------------------------------------------------------------------
/// The singleton registry: the manifest of shared objects and their configured sizes.
#[lmms::module(name = "singleton_core", policy = "core")]
pub struct SingletonCore {
    entries: HashMap<String, (String, usize)>,
}

impl lmms::Init for SingletonCore {
    fn init() -> Result<Self, InitError> {
        let mut rng = Rng::for_name("singleton_core");
        let manifest = data::text_table(&mut rng, "name kind size", data::n(3_000), |i, r, o| {
            let _ = write!(
                o,
                "{}_{i} {} {}",
                data::word(r),
                r.pick(data::WORDS),
                r.below(1 << 16)
            );
        });
        let mut entries = HashMap::new();
        for line in manifest.lines().skip(1) {
            let f: Vec<&str> = line.split(' ').collect();
            if f.len() != 3 {
                return Err(format!("singleton manifest: bad line {line:?}").into());
            }
            entries.insert(f[0].to_string(), (f[1].to_string(), f[2].parse()?));
        }
        Ok(SingletonCore { entries })
    }
}

#[lmms::operation(interface = "singleton", op = "get", module = SingletonCore)]
pub fn singleton_get(s: &SingletonCore, name: String) -> Option<String> {
    s.entries.get(&name).map(|(k, n)| format!("{k}:{n}"))
}

#[lmms::operation(interface = "singleton", op = "count", module = SingletonCore)]
pub fn singleton_count(s: &SingletonCore) -> usize {
    s.entries.len()
}
