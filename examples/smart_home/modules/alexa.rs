//! Alexa skill modules: smart-home directives, discovery, intents and routines.

use crate::data::{self, Rng};
use crate::modules::devices::{climate, lights};
use lmms::InitError;
use serde::Deserialize;
use std::collections::HashMap;
use std::fmt::Write as _;

// ---------------------------------------------------------------------------------------
#[derive(Deserialize)]
struct Capability {
    interface: String,
    version: String,
    directives: Vec<String>,
    properties: Vec<String>,
}

/// Smart Home skill: the capability interface definitions (JSON), keyed by directive.
#[lmms::module(name = "alexa_smart_home", policy = "feature")]
pub struct AlexaSmartHome {
    directives: HashMap<(String, String), (String, usize)>,
}

impl lmms::Init for AlexaSmartHome {
    fn init() -> Result<Self, InitError> {
        let mut rng = Rng::for_name("alexa_smart_home");
        let doc = data::json_array(&mut rng, data::n(1_200), |i, r, o| {
            let iface = match i {
                0 => "Alexa.PowerController".to_string(),
                1 => "Alexa.ThermostatController".to_string(),
                _ => format!("Alexa.{}Controller{i}", data::word(r)),
            };
            let _ = write!(
                o,
                r#"{{"interface":"{iface}","version":"3","directives":["TurnOn","TurnOff","SetTargetTemperature","{}"],"properties":["{}","{}"]}}"#,
                data::word(r),
                data::word(r),
                data::word(r)
            );
        });
        let caps: Vec<Capability> = serde_json::from_str(&doc)?;
        let mut directives = HashMap::new();
        for c in &caps {
            for d in &c.directives {
                directives.insert(
                    (c.interface.clone(), d.clone()),
                    (c.version.clone(), c.properties.len()),
                );
            }
        }
        Ok(AlexaSmartHome { directives })
    }
}

/// Handles a directive: power and thermostat directives call the device modules.
#[lmms::operation(interface = "alexa", op = "directive", module = AlexaSmartHome)]
pub fn directive(
    a: &AlexaSmartHome,
    namespace: String,
    name: String,
    endpoint_id: String,
) -> String {
    let Some((version, _)) = a.directives.get(&(namespace.clone(), name.clone())) else {
        return format!("INVALID_DIRECTIVE {namespace}.{name}");
    };
    let outcome = match name.as_str() {
        "TurnOn" => lights::turn_on(endpoint_id.clone()),
        "TurnOff" => lights::turn_off(endpoint_id.clone()),
        "SetTargetTemperature" => {
            crate::modules::devices::set_temperature(endpoint_id.clone(), 21.0)
        }
        _ => climate::get_state(endpoint_id.clone()),
    };
    match outcome {
        Ok(text) => format!("v{version} Response: {text}"),
        Err(e) => format!("v{version} ErrorResponse: {e}"),
    }
}

// ---------------------------------------------------------------------------------------
/// Discovery: the pre-rendered endpoint documents Alexa asks for on "discover devices".
#[lmms::module(name = "alexa_discovery", policy = "feature")]
pub struct AlexaDiscovery {
    endpoints: Vec<String>,
}

impl lmms::Init for AlexaDiscovery {
    fn init() -> Result<Self, InitError> {
        let mut rng = Rng::for_name("alexa_discovery");
        let endpoints = (0..data::n(3_000))
            .map(|i| {
                let id = data::entity_id(["light", "switch", "climate", "lock"][i % 4], i / 4);
                let v = serde_json::json!({
                    "endpointId": id, "friendlyName": format!("{} {}", data::word(&mut rng), i),
                    "manufacturerName": "lmms", "displayCategories": ["LIGHT"],
                    "capabilities": [{"type": "AlexaInterface", "interface": "Alexa.PowerController", "version": "3",
                        "properties": {"supported": [{"name": "powerState"}], "retrievable": true}}]
                });
                v.to_string()
            })
            .collect();
        Ok(AlexaDiscovery { endpoints })
    }
}

/// Discovery response size and first endpoint; cached for 30 s.
#[lmms::operation(interface = "alexa", op = "discover", module = AlexaDiscovery, cache_ttl = "30s")]
pub fn discover(d: &AlexaDiscovery, page: u32) -> String {
    let per = 300usize;
    let start = (page as usize * per).min(d.endpoints.len());
    let bytes: usize = d.endpoints[start..(start + per).min(d.endpoints.len())]
        .iter()
        .map(String::len)
        .sum();
    format!(
        "page {page}: {bytes} bytes of {} endpoints",
        d.endpoints.len()
    )
}

// ---------------------------------------------------------------------------------------
/// Custom-skill intents: sample utterances indexed by word bigram.
#[lmms::module(name = "alexa_intents", policy = "feature")]
pub struct AlexaIntents {
    intents: Vec<String>,
    bigrams: HashMap<(String, String), Vec<u32>>,
}

impl lmms::Init for AlexaIntents {
    fn init() -> Result<Self, InitError> {
        let mut rng = Rng::for_name("alexa_intents");
        let n_int = data::n(400);
        let intents: Vec<String> = (0..n_int)
            .map(|i| format!("{}Intent{i}", data::word(&mut rng)))
            .collect();
        let text = data::text_table(&mut rng, "intent utterance", data::n(40_000), |i, r, o| {
            let _ = write!(
                o,
                "{}\t{} {} the {} {}",
                i % n_int,
                r.pick(&["please", "can you", "alexa", "now"]),
                r.pick(data::WORDS),
                r.pick(data::ROOMS),
                r.pick(data::WORDS)
            );
        });
        let mut bigrams: HashMap<(String, String), Vec<u32>> = HashMap::new();
        for line in text.lines().skip(1) {
            let (intent, utt) = line.split_once('\t').ok_or("utterance: no tab")?;
            let intent: u32 = intent.parse()?;
            let words: Vec<&str> = utt.split(' ').collect();
            for w in words.windows(2) {
                let list = bigrams
                    .entry((w[0].to_string(), w[1].to_string()))
                    .or_default();
                if list.last() != Some(&intent) {
                    list.push(intent);
                }
            }
        }
        Ok(AlexaIntents { intents, bigrams })
    }
}

#[lmms::operation(interface = "alexa", op = "intent", module = AlexaIntents)]
pub fn intent(a: &AlexaIntents, utterance: String) -> String {
    let words: Vec<&str> = utterance.split(' ').collect();
    let mut votes: HashMap<u32, u32> = HashMap::new();
    for w in words.windows(2) {
        for &i in a
            .bigrams
            .get(&(w[0].to_string(), w[1].to_string()))
            .map(Vec::as_slice)
            .unwrap_or(&[])
        {
            *votes.entry(i).or_default() += 1;
        }
    }
    let best = votes
        .into_iter()
        .max_by_key(|&(i, v)| (v, std::cmp::Reverse(i)));
    best.map_or_else(
        || "AMAZON.FallbackIntent".into(),
        |(i, _)| a.intents[i as usize].clone(),
    )
}

// ---------------------------------------------------------------------------------------
#[derive(Deserialize)]
struct Routine {
    name: String,
    steps: Vec<String>,
}

/// Alexa routines (JSON): the step lists the morning routine replays.
#[lmms::module(name = "alexa_routines", policy = "feature")]
pub struct AlexaRoutines {
    routines: HashMap<String, Vec<String>>,
}

impl lmms::Init for AlexaRoutines {
    fn init() -> Result<Self, InitError> {
        let mut rng = Rng::for_name("alexa_routines");
        let doc = data::json_array(&mut rng, data::n(900), |i, r, o| {
            let name = if i < data::WORDS.len() {
                data::WORDS[i].to_string()
            } else {
                format!("routine_{i}")
            };
            let _ = write!(o, r#"{{"name":"{name}","steps":["#);
            for k in 0..3 + r.below(20) {
                let _ = write!(
                    o,
                    r#"{}"{} {}""#,
                    if k > 0 { "," } else { "" },
                    r.pick(&[
                        "lights.turn_on",
                        "media.play",
                        "climate.set_temperature",
                        "notifications.send"
                    ]),
                    data::entity_id("light", r.below(400))
                );
            }
            o.push_str("]}");
        });
        let routines: Vec<Routine> = serde_json::from_str(&doc)?;
        Ok(AlexaRoutines {
            routines: routines.into_iter().map(|r| (r.name, r.steps)).collect(),
        })
    }
}

#[lmms::operation(interface = "routines", op = "describe", module = AlexaRoutines)]
pub fn describe(r: &AlexaRoutines, name: String) -> String {
    match r.routines.get(&name) {
        Some(steps) => format!("{name}: {} steps, first {}", steps.len(), steps[0]),
        None => format!("{name}: no such routine"),
    }
}
