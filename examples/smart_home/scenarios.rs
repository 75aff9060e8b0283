//! The seeds' scenarios, replayed on `lmms::ManualClock` inside one child process: a
//! single command, a morning routine of 50 commands in 30 s, 2 minutes idle, a long mixed
//! workload with idle gaps. A sweep runs at every invocation boundary (Lambda style:
//! between invocations the environment is frozen, so nothing runs during idle time).

use crate::data::{self, Rng};
use crate::handler::{event, handle};
use crate::modules::devices;
use lmms::memory::{live_heap_bytes, rss_bytes};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// One handled request.
#[derive(Clone, Serialize, Deserialize)]
pub struct Request {
    pub scenario: String,
    pub key: String,
    pub t_ms: u64,
    /// Handler time (event in → response out).
    pub dur_ns: u64,
    /// The sweep at the invocation boundary (billed too: it runs before the next `/next`).
    pub sweep_ns: u64,
    pub heap: u64,
    pub rss: u64,
    pub status: u64,
}

/// A heap sample for the plot (replay clock, live heap bytes).
#[derive(Clone, Copy, Serialize, Deserialize)]
pub struct Sample {
    pub t_ms: u64,
    pub heap: u64,
}

/// A sweep that unloaded modules.
#[derive(Clone, Serialize, Deserialize)]
pub struct Unload {
    pub t_ms: u64,
    pub heap: u64,
    pub modules: Vec<String>,
    pub reclaimed: Option<u64>,
}

/// Drives the replay and records what happened.
pub struct Replay {
    pub clock: lmms::ManualClock,
    pub requests: Vec<Request>,
    pub samples: Vec<Sample>,
    pub unloads: Vec<Unload>,
    pub first_response_unix_ns: Option<u64>,
}

pub fn heap() -> u64 {
    live_heap_bytes().unwrap_or(0)
}

pub fn rss() -> u64 {
    rss_bytes().unwrap_or(0)
}

pub fn unix_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

impl Replay {
    pub fn new(clock: lmms::ManualClock) -> Replay {
        Replay {
            clock,
            requests: Vec::new(),
            samples: Vec::new(),
            unloads: Vec::new(),
            first_response_unix_ns: None,
        }
    }

    /// One invocation: the handler, then the boundary sweep.
    pub fn invoke(&mut self, scenario: &str, ev: Value) -> Value {
        let start = Instant::now();
        let response = handle(&ev);
        let dur_ns = start.elapsed().as_nanos() as u64;
        if self.first_response_unix_ns.is_none() {
            self.first_response_unix_ns = Some(unix_ns());
        }
        let t_ms = self.clock.now_ms();
        self.samples.push(Sample { t_ms, heap: heap() });
        let sweep_ns = self.sweep();
        self.requests.push(Request {
            scenario: scenario.into(),
            key: format!(
                "{}.{}",
                ev["interface"].as_str().unwrap_or(""),
                ev["op"].as_str().unwrap_or("")
            ),
            t_ms,
            dur_ns,
            sweep_ns,
            heap: heap(),
            rss: rss(),
            status: response["statusCode"].as_u64().unwrap_or(0),
        });
        response
    }

    /// A sweep (at an invocation boundary); returns its duration in ns.
    pub fn sweep(&mut self) -> u64 {
        let start = Instant::now();
        let report = lmms::gateway().sweep();
        let ns = start.elapsed().as_nanos() as u64;
        let t_ms = self.clock.now_ms();
        if !report.unloaded.is_empty() {
            self.unloads.push(Unload {
                t_ms,
                heap: heap(),
                modules: report.unloaded.clone(),
                reclaimed: report.reclaimed_bytes,
            });
        }
        self.samples.push(Sample { t_ms, heap: heap() });
        ns
    }

    /// Time passes with no invocation (the environment is frozen: no sweep).
    pub fn idle(&self, d: Duration) {
        self.clock.advance(d);
    }
}

/// Scenario 1: "turn on the living room lights", then the same command a second later.
pub fn single_command(r: &mut Replay) {
    let ev = event(
        "lights",
        "turn_on",
        json!({"entity_id": data::entity_id("light", 0)}),
    );
    r.invoke("single", ev.clone());
    r.idle(Duration::from_secs(1));
    r.invoke("single", ev);
}

/// Scenario 2: an Alexa morning routine, 50 commands in 30 s.
pub fn morning_routine(r: &mut Replay) {
    for i in 0..50 {
        let room = i % data::ROOMS.len();
        let ev = match i % 12 {
            0 => event(
                "lights",
                "turn_on",
                json!({"entity_id": data::entity_id("light", room)}),
            ),
            1 => event(
                "climate",
                "set_temperature",
                json!({"entity_id": data::entity_id("climate", room), "celsius": 21.5}),
            ),
            2 => event(
                "covers",
                "turn_on",
                json!({"entity_id": data::entity_id("cover", room)}),
            ),
            3 => event(
                "switches",
                "turn_on",
                json!({"entity_id": data::entity_id("switch", 1)}),
            ),
            4 => event("weather", "forecast", json!({"city": "Oslo"})),
            5 => event(
                "media",
                "play",
                json!({"entity_id": data::entity_id("media_player", 1), "query": "morning"}),
            ),
            6 => event("calendar", "agenda", json!({"day": 120})),
            7 => event(
                "alexa",
                "directive",
                json!({"namespace": "Alexa.PowerController", "name": "TurnOn", "endpoint_id": data::entity_id("light", room + 12)}),
            ),
            8 => event(
                "sensors",
                "read",
                json!({"entity_id": data::entity_id("sensor", room)}),
            ),
            9 => event("scenes", "activate", json!({"name": "morning"})),
            10 => event(
                "ha",
                "get_state",
                json!({"entity_id": data::entity_id("light", 1)}),
            ),
            _ => event(
                "notifications",
                "send",
                json!({"target": "phone_0", "message": "Good morning"}),
            ),
        };
        r.invoke("morning", ev);
        r.idle(Duration::from_millis(600));
    }
}

/// Scenario 3: two minutes without a request; the next invocation's boundary sweep runs.
pub fn idle_two_minutes(r: &mut Replay) {
    r.idle(Duration::from_secs(120));
    r.sweep();
}

/// Builds one event of the mixed workload.
type EventFn<'a> = &'a dyn Fn(&mut Rng) -> Value;

/// The mixed workload's operations: (weight, event builder). Skewed: the first few carry
/// most of the traffic; the long tail touches almost every module now and then.
fn mixed_event(rng: &mut Rng) -> Value {
    let hot = rng.below(40);
    let any = rng.below(300);
    let table: &[(u32, EventFn)] = &[
        (30, &|_| {
            event(
                "sensors",
                "read",
                json!({"entity_id": data::entity_id("sensor", hot)}),
            )
        }),
        (18, &|_| {
            event(
                "lights",
                "get_state",
                json!({"entity_id": data::entity_id("light", hot)}),
            )
        }),
        (12, &|_| {
            event(
                "lights",
                "turn_on",
                json!({"entity_id": data::entity_id("light", hot)}),
            )
        }),
        (7, &|_| {
            event(
                "climate",
                "get_state",
                json!({"entity_id": data::entity_id("climate", hot % 12)}),
            )
        }),
        (6, &|_| {
            event(
                "ha",
                "get_state",
                json!({"entity_id": data::entity_id("switch", hot % 8)}),
            )
        }),
        (5, &|_| {
            event(
                "alexa",
                "directive",
                json!({"namespace": "Alexa.PowerController", "name": "TurnOff", "endpoint_id": data::entity_id("light", hot)}),
            )
        }),
        (3, &|_| {
            event("weather", "forecast", json!({"city": "Oslo"}))
        }),
        (1, &|_| {
            event(
                "lights",
                "set_color_temp",
                json!({"entity_id": data::entity_id("light", any), "kelvin": 2700}),
            )
        }),
        (1, &|_| {
            event(
                "switches",
                "turn_off",
                json!({"entity_id": data::entity_id("switch", any)}),
            )
        }),
        (1, &|_| {
            event(
                "covers",
                "turn_off",
                json!({"entity_id": data::entity_id("cover", any)}),
            )
        }),
        (1, &|_| {
            event(
                "locks",
                "get_state",
                json!({"entity_id": data::entity_id("lock", any % 100)}),
            )
        }),
        (1, &|_| {
            event(
                "media",
                "play",
                json!({"entity_id": data::entity_id("media_player", 1), "query": "relax"}),
            )
        }),
        (1, &|_| {
            event(
                "fans",
                "turn_on",
                json!({"entity_id": data::entity_id("fan", any)}),
            )
        }),
        (1, &|_| {
            event(
                "cameras",
                "get_state",
                json!({"entity_id": data::entity_id("camera", any % 60)}),
            )
        }),
        (1, &|_| {
            event(
                "vacuums",
                "turn_on",
                json!({"entity_id": data::entity_id("vacuum", any % 20)}),
            )
        }),
        (1, &|_| {
            event(
                "water_heater",
                "get_state",
                json!({"entity_id": data::entity_id("water_heater", any % 30)}),
            )
        }),
        (1, &|_| {
            event(
                "irrigation",
                "turn_on",
                json!({"entity_id": data::entity_id("valve", any % 100)}),
            )
        }),
        (1, &|_| {
            event(
                "doorbells",
                "get_state",
                json!({"entity_id": data::entity_id("doorbell", any % 40)}),
            )
        }),
        (1, &|_| {
            event(
                "climate",
                "set_temperature",
                json!({"entity_id": data::entity_id("climate", any % 12), "celsius": 20.0}),
            )
        }),
        (1, &|_| {
            event(
                "automation",
                "trigger",
                json!({"automation_id": format!("auto_{any}")}),
            )
        }),
        (1, &|_| {
            event("scripts", "run", json!({"name": format!("script_{any}")}))
        }),
        (1, &|_| {
            event(
                "notifications",
                "send",
                json!({"target": "phone_0", "message": "Door opened"}),
            )
        }),
        (1, &|_| {
            event(
                "scenes",
                "activate",
                json!({"name": data::WORDS[any % data::WORDS.len()]}),
            )
        }),
        (1, &|_| {
            event("areas", "distance", json!({"from": any % 12, "to": 3}))
        }),
        (1, &|_| {
            event(
                "history",
                "summary",
                json!({"entity_id": data::entity_id("sensor", hot), "hours": 6}),
            )
        }),
        (1, &|_| event("energy", "day_cost", json!({"day": any}))),
        (1, &|_| event("calendar", "agenda", json!({"day": any}))),
        (1, &|_| {
            event("presence", "locate", json!({"lat": 59.5, "lon": 10.5}))
        }),
        (1, &|_| {
            event(
                "alarm",
                "command",
                json!({"command": "arm_home", "code": "code7"}),
            )
        }),
        (1, &|_| {
            event("timers", "start", json!({"name": "pasta", "seconds": 540}))
        }),
        (1, &|_| event("shopping", "add", json!({"item": "milk"}))),
        (1, &|_| {
            event(
                "logbook",
                "search",
                json!({"word": data::entity_id("light", hot)}),
            )
        }),
        (1, &|_| event("backup", "status", json!({}))),
        (1, &|_| {
            event(
                "conversation",
                "process",
                json!({"text": "turn on the kitchen lights"}),
            )
        }),
        (1, &|_| {
            event(
                "alexa",
                "intent",
                json!({"utterance": "alexa wake the kitchen lights"}),
            )
        }),
        (1, &|_| event("alexa", "discover", json!({"page": any % 4}))),
        (1, &|_| {
            event("routines", "describe", json!({"name": "morning"}))
        }),
        (1, &|_| {
            event(
                "http",
                "request",
                json!({"method": "GET", "path": "/api/states"}),
            )
        }),
        (1, &|_| event("config", "get", json!({"key": "home.k3"}))),
        (1, &|_| {
            event(
                "circuit",
                "is_open",
                json!({"endpoint": "https://ha.example/0"}),
            )
        }),
        (1, &|_| {
            event(
                "websocket",
                "subscribers",
                json!({"event_type": "state_changed"}),
            )
        }),
        (1, &|_| {
            event("utility", "slugify", json!({"text": "Wohnzimmer Küche"}))
        }),
        (1, &|_| {
            event("i18n", "translate", json!({"lang": "de", "key": "msg.7"}))
        }),
        (1, &|_| {
            event(
                "units",
                "convert",
                json!({"value": 3.0, "from": "u0", "to": "u8"}),
            )
        }),
        (1, &|_| {
            event(
                "tz",
                "offset",
                json!({"zone": "Zone/x", "epoch": 1_700_000_000i64}),
            )
        }),
        (1, &|_| {
            event(
                "template",
                "render",
                json!({"name": "t1", "device": "lamp", "area": "hall"}),
            )
        }),
        (1, &|_| {
            event(
                "validation",
                "check",
                json!({"key": "home.op1", "params": "{}"}),
            )
        }),
        (1, &|_| event("debug", "health", json!({}))),
        (1, &|_| event("init", "plan", json!({"first": 3}))),
        (1, &|_| event("singleton", "count", json!({}))),
        (1, &|_| {
            event("cache", "get", json!({"key": "state:sensor.kitchen_1"}))
        }),
    ];
    let total: u32 = table.iter().map(|(w, _)| w).sum();
    let mut pick = rng.below(total as usize) as u32;
    for (w, f) in table {
        if pick < *w {
            return f(rng);
        }
        pick -= w;
    }
    unreachable!("weights cover the range")
}

/// Scenario 4: `n` requests, 0.2–3 s apart, with an idle gap of 1–20 min every ~350.
pub fn mixed_workload(r: &mut Replay, n: usize) {
    let mut rng = Rng::for_name("mixed workload");
    for i in 0..n {
        let ev = mixed_event(&mut rng);
        r.invoke("mixed", ev);
        if i % 350 == 349 {
            r.idle(Duration::from_secs(60 + rng.below(19 * 60) as u64));
        } else {
            r.idle(Duration::from_millis(200 + rng.below(2_800) as u64));
        }
    }
}

/// The hot path: `calls` typed calls of `sensors.read` timed as one batch (ns per call),
/// and whether that operation had its fast-path slot filled.
pub fn hot_path(calls: usize) -> (f64, bool) {
    let id = data::entity_id("sensor", 3);
    let _ = devices::read(id.clone());
    let start = Instant::now();
    let mut sink = 0usize;
    for _ in 0..calls {
        sink += devices::read(id.clone()).map_or(0, |s| s.len());
    }
    let ns = start.elapsed().as_nanos() as f64 / calls as f64;
    std::hint::black_box(sink);
    let filled = lmms::gateway()
        .operations()
        .iter()
        .any(|o| o.interface == "sensors" && o.op == "read" && o.fast_path);
    (ns, filled)
}
