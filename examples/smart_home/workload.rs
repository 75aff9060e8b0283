//! What the mixed workload asks: the small profile's skewed mix of ~50 operations, and in
//! the large profile, now and then a request for one of the data-bearing modules.

use crate::data::{self, Rng};
use crate::handler::event;
use serde_json::{json, Value};

/// In the large profile, the chance that a slot of the mixed workload is followed by a
/// request for a large module: 1 in 100. Voice notes, free-text commands, geofencing,
/// solar forecasts, pairing a new device, camera detections and firmware checks are
/// occasional next to the state reads and switches that make up a smart home's traffic.
pub const LARGE_ONE_IN: usize = 100;

/// A request for one of the large modules, chosen with its own generator (so the small
/// profile's requests are the same in both profiles).
pub fn large_event(rng: &mut Rng) -> Value {
    let n = rng.next_u64();
    match rng.below(10) {
        0 | 1 => event("voice", "transcribe", json!({"clip": n % 100_000})),
        2 | 3 => event(
            "conversation",
            "understand",
            json!({"text": "turn the kitchen lights to warm white please"}),
        ),
        4 | 5 => event(
            "presence",
            "geofence",
            json!({"lat": 59.0 + (n % 1000) as f64 / 1000.0, "lon": 10.0 + (n % 777) as f64 / 1000.0}),
        ),
        6 => event(
            "energy",
            "solar_forecast",
            json!({"cell": n % 4_000, "day": n % 365}),
        ),
        7 => event("catalogue", "lookup", json!({"entry": n})),
        8 => event("cameras", "detect", json!({"camera": n % 60})),
        _ => event("ota", "check", json!({"device": n})),
    }
}

/// Builds one event of the mixed workload.
type EventFn<'a> = &'a dyn Fn(&mut Rng) -> Value;

/// The mixed workload's operations: (weight, event builder). Skewed: the first few carry
/// most of the traffic; the long tail touches almost every module now and then.
pub fn mixed_event(rng: &mut Rng) -> Value {
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
