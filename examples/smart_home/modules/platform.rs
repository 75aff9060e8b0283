//! Utility modules of the platform layer (30 s grace period, resident floor):
//! security, metrics, HTTP client, configuration, the Home Assistant connection,
//! circuit breaker, websocket, debug and utility helpers, start-up plan.

use crate::data::{self, Rng};
use lmms::InitError;
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;

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

// ---------------------------------------------------------------------------------------
/// The HTTP client: a pool of connection buffers, the route table to Home Assistant and
/// cloud endpoints, and the response fixtures this offline replay answers from.
#[lmms::module(name = "http_client_core", policy = "utility")]
pub struct HttpClientCore {
    pool: Vec<Mutex<Vec<u8>>>,
    routes: HashMap<String, (String, u16)>,
    fixtures: Vec<String>,
}

impl lmms::Init for HttpClientCore {
    fn init() -> Result<Self, InitError> {
        let mut rng = Rng::for_name("http_client_core");
        let pool = (0..data::n(16))
            .map(|_| Mutex::new(vec![0u8; 64 * 1024]))
            .collect();
        let table = data::text_table(&mut rng, "path host port", data::n(8_000), |i, r, o| {
            let _ = write!(
                o,
                "/api/{}/{i} {}.local {}",
                r.pick(data::WORDS),
                data::word(r),
                8000 + r.below(200)
            );
        });
        let mut routes = HashMap::new();
        for line in table.lines().skip(1) {
            let f: Vec<&str> = line.split(' ').collect();
            routes.insert(f[0].to_string(), (f[1].to_string(), f[2].parse()?));
        }
        let fixtures = (0..data::n(600))
            .map(|i| format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n{{\"id\":{i},\"ok\":true,\"body\":\"{}\"}}", data::word(&mut rng).repeat(20)))
            .collect();
        Ok(HttpClientCore {
            pool,
            routes,
            fixtures,
        })
    }
}

#[lmms::operation(interface = "http", op = "request", module = HttpClientCore)]
pub fn request(h: &HttpClientCore, method: String, path: String) -> String {
    let slot = data::fnv(path.as_bytes()) as usize;
    let mut buf = h.pool[slot % h.pool.len()].lock().unwrap();
    let (host, port) = h
        .routes
        .get(&path)
        .cloned()
        .unwrap_or(("homeassistant.local".into(), 8123));
    let head = format!("{method} {path} HTTP/1.1\r\nhost: {host}:{port}\r\n\r\n");
    buf[..head.len().min(65536)].copy_from_slice(&head.as_bytes()[..head.len().min(65536)]);
    h.fixtures[slot % h.fixtures.len()].clone()
}

#[lmms::operation(interface = "http", op = "routes", module = HttpClientCore)]
pub fn routes(h: &HttpClientCore) -> usize {
    h.routes.len()
}

// ---------------------------------------------------------------------------------------
#[derive(Deserialize)]
struct Setting {
    section: String,
    key: String,
    value: serde_json::Value,
}

/// The function's configuration document (JSON), flattened to `section.key`.
#[lmms::module(name = "config_core", policy = "utility")]
pub struct ConfigCore {
    flat: HashMap<String, serde_json::Value>,
}

impl lmms::Init for ConfigCore {
    fn init() -> Result<Self, InitError> {
        let mut rng = Rng::for_name("config_core");
        let doc = data::json_array(&mut rng, data::n(8_000), |i, r, o| {
            let v = match i % 3 {
                0 => format!("{}", r.below(10_000)),
                1 => format!("\"{}\"", data::word(r)),
                _ => format!("[{},{}]", r.below(9), r.unit() > 0.5),
            };
            let _ = write!(
                o,
                r#"{{"section":"{}","key":"k{i}","value":{v}}}"#,
                r.pick(data::WORDS)
            );
        });
        let settings: Vec<Setting> = serde_json::from_str(&doc)?;
        let flat = settings
            .into_iter()
            .map(|s| (format!("{}.{}", s.section, s.key), s.value))
            .collect();
        Ok(ConfigCore { flat })
    }
}

#[lmms::operation(interface = "config", op = "get", module = ConfigCore)]
pub fn config_get(c: &ConfigCore, key: String) -> serde_json::Value {
    c.flat.get(&key).cloned().unwrap_or(serde_json::Value::Null)
}

#[lmms::operation(interface = "config", op = "len", module = ConfigCore)]
pub fn config_len(c: &ConfigCore) -> usize {
    c.flat.len()
}

// ---------------------------------------------------------------------------------------
#[derive(Deserialize)]
struct StateDoc {
    entity_id: String,
    state: String,
    last_changed: u64,
    attributes: HashMap<String, f64>,
}

/// The Home Assistant connection: the last `/api/states` snapshot, parsed.
#[lmms::module(name = "ha_core", policy = "utility")]
pub struct HaCore {
    states: HashMap<String, (String, u64, HashMap<String, f64>)>,
}

impl lmms::Init for HaCore {
    fn init() -> Result<Self, InitError> {
        let mut rng = Rng::for_name("ha_core");
        let doc = data::json_array(&mut rng, data::n(5_000), |i, r, o| {
            let domain = ["light", "switch", "sensor", "climate", "lock", "cover"][i % 6];
            let _ = write!(
                o,
                r#"{{"entity_id":"{}","state":"{}","last_changed":{},"attributes":{{"a":{:.2},"b":{:.2},"c":{}}}}}"#,
                data::entity_id(domain, i / 6),
                r.pick(&["on", "off", "idle", "heat"]),
                1_700_000_000 + r.below(1 << 24),
                r.unit(),
                r.unit() * 100.0,
                r.below(255)
            );
        });
        let docs: Vec<StateDoc> = serde_json::from_str(&doc)?;
        let states = docs
            .into_iter()
            .map(|d| (d.entity_id, (d.state, d.last_changed, d.attributes)))
            .collect();
        Ok(HaCore { states })
    }
}

/// The entity's state as last seen; cached for 30 s (a hit never touches the module).
#[lmms::operation(interface = "ha", op = "get_state", module = HaCore, cache_ttl = "30s")]
pub fn ha_get_state(h: &HaCore, entity_id: String) -> String {
    match h.states.get(&entity_id) {
        Some((s, t, a)) => format!("{entity_id}={s} since {t} ({} attributes)", a.len()),
        None => format!("{entity_id}: unknown"),
    }
}

#[lmms::operation(interface = "ha", op = "call_service", module = HaCore)]
pub fn call_service(h: &HaCore, domain: String, service: String, entity_id: String) -> String {
    let known = h.states.contains_key(&entity_id);
    format!(
        "{domain}.{service}({entity_id}) -> {}",
        if known { "ok" } else { "unknown entity" }
    )
}

// ---------------------------------------------------------------------------------------
/// Circuit breakers: a rolling window of the last 64 outcomes per endpoint.
#[lmms::module(name = "circuit_breaker_core", policy = "utility")]
pub struct CircuitBreakerCore {
    endpoints: HashMap<String, usize>,
    windows: Vec<AtomicU64>,
}

impl lmms::Init for CircuitBreakerCore {
    fn init() -> Result<Self, InitError> {
        let mut rng = Rng::for_name("circuit_breaker_core");
        let endpoints: HashMap<String, usize> = (0..data::n(20_000))
            .map(|i| (format!("https://{}.example/{}", data::word(&mut rng), i), i))
            .collect();
        let windows = (0..endpoints.len())
            .map(|_| AtomicU64::new(u64::MAX))
            .collect();
        Ok(CircuitBreakerCore { endpoints, windows })
    }
}

#[lmms::operation(interface = "circuit", op = "record", module = CircuitBreakerCore)]
pub fn circuit_record(c: &CircuitBreakerCore, endpoint: String, ok: bool) -> u32 {
    let i = c.endpoints.get(&endpoint).copied().unwrap_or(0);
    let w = c.windows[i].fetch_update(Relaxed, Relaxed, |w| Some((w << 1) | ok as u64));
    w.map_or(0, |w| w.count_ones())
}

#[lmms::operation(interface = "circuit", op = "is_open", module = CircuitBreakerCore)]
pub fn circuit_is_open(c: &CircuitBreakerCore, endpoint: String) -> bool {
    let i = c.endpoints.get(&endpoint).copied().unwrap_or(0);
    c.windows[i].load(Relaxed).count_ones() < 32
}

// ---------------------------------------------------------------------------------------
/// The Home Assistant websocket: subscription table and frame buffers.
#[lmms::module(name = "websocket_core", policy = "utility")]
pub struct WebsocketCore {
    subscriptions: HashMap<String, Vec<u32>>,
    frames: Mutex<Vec<Vec<u8>>>,
}

impl lmms::Init for WebsocketCore {
    fn init() -> Result<Self, InitError> {
        let mut rng = Rng::for_name("websocket_core");
        let mut subscriptions: HashMap<String, Vec<u32>> = HashMap::new();
        for i in 0..data::n(30_000) {
            subscriptions
                .entry(format!("{}_changed", rng.pick(data::WORDS)))
                .or_default()
                .push(i as u32);
        }
        let frames = (0..data::n(64))
            .map(|_| Vec::with_capacity(16 * 1024))
            .collect();
        Ok(WebsocketCore {
            subscriptions,
            frames: Mutex::new(frames),
        })
    }
}

#[lmms::operation(interface = "websocket", op = "subscribers", module = WebsocketCore)]
pub fn subscribers(w: &WebsocketCore, event_type: String) -> usize {
    w.subscriptions.get(&event_type).map_or(0, Vec::len)
}

#[lmms::operation(interface = "websocket", op = "send", module = WebsocketCore)]
pub fn ws_send(w: &WebsocketCore, payload: String) -> usize {
    let mut frames = w.frames.lock().unwrap();
    let n = frames.len();
    let f = &mut frames[payload.len() % n];
    f.clear();
    f.extend_from_slice(payload.as_bytes());
    f.len()
}

// ---------------------------------------------------------------------------------------
/// Debug support: a sorted symbol table for decoding addresses in error reports.
#[lmms::module(name = "debug_core", policy = "utility")]
pub struct DebugCore {
    symbols: Vec<(u64, String)>,
}

impl lmms::Init for DebugCore {
    fn init() -> Result<Self, InitError> {
        let mut rng = Rng::for_name("debug_core");
        let map = data::text_table(&mut rng, "addr symbol", data::n(20_000), |_, r, o| {
            let _ = write!(
                o,
                "{:016x} smart_home::{}::{}",
                r.next_u64() >> 20,
                data::word(r),
                data::word(r)
            );
        });
        let mut symbols = Vec::new();
        for line in map.lines().skip(1) {
            let (a, s) = line.split_once(' ').ok_or("symbol map: bad line")?;
            symbols.push((u64::from_str_radix(a, 16)?, s.to_string()));
        }
        symbols.sort_unstable();
        Ok(DebugCore { symbols })
    }
}

#[lmms::operation(interface = "debug", op = "symbolize", module = DebugCore)]
pub fn symbolize(d: &DebugCore, addr: u64) -> String {
    let i = d
        .symbols
        .partition_point(|(a, _)| *a <= addr)
        .saturating_sub(1);
    format!("{addr:#x} in {}", d.symbols[i].1)
}

#[lmms::operation(interface = "debug", op = "health", module = DebugCore)]
pub fn health(d: &DebugCore) -> String {
    format!("ok, {} symbols", d.symbols.len())
}

// ---------------------------------------------------------------------------------------
/// Utility helpers: slice-by-8 CRC-32 tables and a transliteration table for slugs.
#[lmms::module(name = "utility_core", policy = "utility")]
pub struct UtilityCore {
    crc: Vec<[u32; 256]>,
    translit: HashMap<char, String>,
}

impl lmms::Init for UtilityCore {
    fn init() -> Result<Self, InitError> {
        let mut crc = vec![[0u32; 256]; 8];
        for i in 0..256u32 {
            let mut c = i;
            for _ in 0..8 {
                c = if c & 1 == 1 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
            crc[0][i as usize] = c;
        }
        for t in 1..8 {
            for i in 0..256 {
                let prev = crc[t - 1][i];
                crc[t][i] = (prev >> 8) ^ crc[0][(prev & 0xff) as usize];
            }
        }
        let translit = (0x00C0u32..0x2FFF)
            .filter_map(char::from_u32)
            .filter(|c| c.is_alphabetic())
            .map(|c| {
                (
                    c,
                    c.to_lowercase().filter(char::is_ascii).collect::<String>(),
                )
            })
            .collect();
        Ok(UtilityCore { crc, translit })
    }
}

#[lmms::operation(interface = "utility", op = "checksum", module = UtilityCore)]
pub fn checksum(u: &UtilityCore, text: String) -> u32 {
    !text.bytes().fold(!0u32, |c, b| {
        (c >> 8) ^ u.crc[0][((c ^ b as u32) & 0xff) as usize]
    })
}

#[lmms::operation(interface = "utility", op = "slugify", module = UtilityCore)]
pub fn slugify(u: &UtilityCore, text: String) -> String {
    text.chars()
        .map(|c| match u.translit.get(&c) {
            Some(s) if !s.is_empty() => s.clone(),
            _ if c.is_ascii_alphanumeric() => c.to_ascii_lowercase().to_string(),
            _ => "_".into(),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
/// The start-up plan: the dependency graph of the function's components, topologically
/// sorted.
#[lmms::module(name = "initialization_core", policy = "utility")]
pub struct InitializationCore {
    order: Vec<String>,
}

impl lmms::Init for InitializationCore {
    fn init() -> Result<Self, InitError> {
        let mut rng = Rng::for_name("initialization_core");
        let n = data::n(5_000);
        let edges = data::text_table(&mut rng, "from to", n * 3, |i, r, o| {
            let a = i % n;
            let _ = write!(o, "c{} c{}", a, a + 1 + r.below(n - a).min(40));
        });
        let mut indeg = vec![0u32; n + 41];
        let mut out: Vec<Vec<u32>> = vec![Vec::new(); n + 41];
        for line in edges.lines().skip(1) {
            let (a, b) = line.split_once(' ').ok_or("plan: bad edge")?;
            let (a, b): (usize, usize) = (a[1..].parse()?, b[1..].parse()?);
            out[a].push(b as u32);
            indeg[b] += 1;
        }
        let mut ready: Vec<usize> = (0..indeg.len()).filter(|&i| indeg[i] == 0).collect();
        let mut order = Vec::new();
        while let Some(i) = ready.pop() {
            order.push(format!("c{i}"));
            for &j in &out[i] {
                indeg[j as usize] -= 1;
                if indeg[j as usize] == 0 {
                    ready.push(j as usize);
                }
            }
        }
        Ok(InitializationCore { order })
    }
}

#[lmms::operation(interface = "init", op = "plan", module = InitializationCore)]
pub fn plan(i: &InitializationCore, first: usize) -> Vec<String> {
    i.order.iter().take(first).cloned().collect()
}
