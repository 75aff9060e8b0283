//! Platform utilities of access: request authorization and the metrics it reports.

use crate::data::{self, Rng};
use lmms::InitError;
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

// ---------------------------------------------------------------------------------------
/// Request authorization: revoked-token digests, the role × interface permission matrix
/// parsed from the bundled policy, and compiled input deny patterns.
#[lmms::module(name = "security_core", policy = "utility")]
pub struct SecurityCore {
    revoked: HashSet<u64>,
    allowed: HashMap<(String, String), bool>,
    deny: Vec<Vec<String>>,
}

impl lmms::Init for SecurityCore {
    fn init() -> Result<Self, InitError> {
        let mut rng = Rng::for_name("security_core");
        let revoked = (0..data::n(60_000))
            .map(|i| data::fnv(format!("tok-{i}-{}", rng.next_u64()).as_bytes()))
            .collect();
        let policy = data::text_table(
            &mut rng,
            "role interface allow",
            data::n(4_000),
            |i, r, o| {
                let _ = write!(
                    o,
                    "role{} {}{} {}",
                    i % 40,
                    r.pick(data::WORDS),
                    i / 40,
                    r.below(5) > 0
                );
            },
        );
        let mut allowed = HashMap::new();
        for line in policy.lines().skip(1) {
            let f: Vec<&str> = line.split(' ').collect();
            allowed.insert((f[0].to_string(), f[1].to_string()), f[2].parse()?);
        }
        // Deny patterns like `*<script*` compiled into their literal pieces.
        let deny = (0..data::n(2_000))
            .map(|i| {
                format!(
                    "*{}*{}*",
                    data::word(&mut rng),
                    ["<script", "../", "' or", "${"][i % 4]
                )
            })
            .map(|p| {
                p.split('*')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .collect();
        Ok(SecurityCore {
            revoked,
            allowed,
            deny,
        })
    }
}

/// True when `token` is not revoked and no deny pattern matches the request text.
#[lmms::operation(interface = "security", op = "authorize", module = SecurityCore)]
pub fn authorize(s: &SecurityCore, token: String, interface: String, op: String) -> bool {
    if s.revoked.contains(&data::fnv(token.as_bytes())) {
        return false;
    }
    let _ = s.allowed.get(&("role0".to_string(), interface.clone()));
    let text = format!("{interface}.{op}");
    !s.deny.iter().take(8).any(|pieces| {
        let mut rest = text.as_str();
        pieces.iter().all(|p| match rest.find(p.as_str()) {
            Some(at) => {
                rest = &rest[at + p.len()..];
                true
            }
            None => false,
        })
    })
}

#[lmms::operation(interface = "security", op = "revoked_count", module = SecurityCore)]
pub fn revoked_count(s: &SecurityCore) -> usize {
    s.revoked.len()
}

// ---------------------------------------------------------------------------------------
/// Latency histograms (log-linear buckets) for every metric the function reports.
#[lmms::module(name = "metrics_core", policy = "utility")]
pub struct MetricsCore {
    names: HashMap<String, usize>,
    buckets: Vec<AtomicU64>,
}

const BUCKETS: usize = 512;

impl lmms::Init for MetricsCore {
    fn init() -> Result<Self, InitError> {
        let mut rng = Rng::for_name("metrics_core");
        let mut names: HashMap<String, usize> = HashMap::new();
        for i in 0..data::n(400) {
            let name = format!("{}.{}.{}", rng.pick(data::WORDS), data::word(&mut rng), i);
            let next = names.len();
            names.entry(name).or_insert(next);
        }
        names.insert("request".into(), names.len());
        let buckets = (0..names.len() * BUCKETS)
            .map(|_| AtomicU64::new(0))
            .collect();
        Ok(MetricsCore { names, buckets })
    }
}

fn bucket_of(v: u64) -> usize {
    let lz = 64 - v.max(1).leading_zeros() as usize; // 1..=64
    let sub = ((v >> lz.saturating_sub(4)) & 7) as usize;
    (lz * 8 + sub).min(BUCKETS - 1)
}

#[lmms::operation(interface = "metrics", op = "record", module = MetricsCore)]
pub fn record(m: &MetricsCore, name: String, value: u64) -> bool {
    match m.names.get(&name) {
        Some(&i) => {
            m.buckets[i * BUCKETS + bucket_of(value)].fetch_add(1, Relaxed);
            true
        }
        None => false,
    }
}

#[lmms::operation(interface = "metrics", op = "count", module = MetricsCore)]
pub fn count(m: &MetricsCore, name: String) -> u64 {
    m.names.get(&name).map_or(0, |&i| {
        m.buckets[i * BUCKETS..(i + 1) * BUCKETS]
            .iter()
            .map(|b| b.load(Relaxed))
            .sum()
    })
}
