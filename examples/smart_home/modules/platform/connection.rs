//! Platform utilities of the connection: the HTTP client, configuration, the Home
//! Assistant connection, the circuit breaker and the websocket subscriptions.

use crate::data::{self, Rng};
use lmms::InitError;
use serde::Deserialize;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;

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
    // Shift the outcome into the endpoint's window of the last 64 calls.
    let window = &c.windows[i];
    let mut w = window.load(Relaxed);
    while let Err(seen) = window.compare_exchange_weak(w, (w << 1) | ok as u64, Relaxed, Relaxed) {
        w = seen;
    }
    w.count_ones()
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
