//! What runs steps: automations, scripts and scenes.

use crate::data::{self, Rng};
use crate::modules::devices::lights;
use lmms::InitError;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

// ---------------------------------------------------------------------------------------
#[derive(Deserialize)]
pub struct Automation {
    id: String,
    alias: String,
    triggers: Vec<Trigger>,
    actions: Vec<Action>,
}
#[derive(Deserialize)]
struct Trigger {
    entity_id: String,
    to: String,
}
#[derive(Deserialize)]
struct Action {
    service: String,
    entity_id: String,
}

/// Automations (JSON), indexed by the entity that triggers them.
#[lmms::module(name = "homeassistant_automation", policy = "feature")]
pub struct AutomationModule {
    automations: Vec<Automation>,
    by_id: HashMap<String, u32>,
    by_trigger: HashMap<String, Vec<u32>>,
}

impl lmms::Init for AutomationModule {
    fn init() -> Result<Self, InitError> {
        let mut rng = Rng::for_name("homeassistant_automation");
        let doc = data::json_array(&mut rng, data::n(2_500), |i, r, o| {
            let _ = write!(
                o,
                r#"{{"id":"auto_{i}","alias":"{} {}","triggers":[{{"entity_id":"{}","to":"on"}}],"actions":["#,
                r.pick(data::WORDS),
                data::word(r),
                data::entity_id("binary_sensor", r.below(500))
            );
            for k in 0..1 + r.below(4) {
                let _ = write!(
                    o,
                    r#"{}{{"service":"light.turn_on","entity_id":"{}"}}"#,
                    if k > 0 { "," } else { "" },
                    data::entity_id("light", r.below(400))
                );
            }
            o.push_str("]}");
        });
        let automations: Vec<Automation> = serde_json::from_str(&doc)?;
        let mut by_trigger: HashMap<String, Vec<u32>> = HashMap::new();
        let mut by_id = HashMap::new();
        for (i, a) in automations.iter().enumerate() {
            by_id.insert(a.id.clone(), i as u32);
            for t in &a.triggers {
                by_trigger
                    .entry(t.entity_id.clone())
                    .or_default()
                    .push(i as u32);
            }
        }
        Ok(AutomationModule {
            automations,
            by_id,
            by_trigger,
        })
    }
}

/// Runs an automation's actions; light actions go to the lights module by typed call.
#[lmms::operation(interface = "automation", op = "trigger", module = AutomationModule)]
pub fn trigger(m: &AutomationModule, automation_id: String) -> String {
    let Some(&i) = m.by_id.get(&automation_id) else {
        return format!("{automation_id}: no such automation");
    };
    let a = &m.automations[i as usize];
    let mut done = 0;
    for act in &a.actions {
        if act.service == "light.turn_on" && lights::turn_on(act.entity_id.clone()).is_ok() {
            done += 1;
        }
    }
    format!("{} ({}): {done} actions", a.alias, a.triggers[0].to)
}

#[lmms::operation(interface = "automation", op = "for_entity", module = AutomationModule)]
pub fn for_entity(m: &AutomationModule, entity_id: String) -> usize {
    m.by_trigger.get(&entity_id).map_or(0, Vec::len)
}

// ---------------------------------------------------------------------------------------
/// Scripts: named step sequences parsed from the bundled YAML-like text.
#[lmms::module(name = "homeassistant_scripts", policy = "feature")]
pub struct ScriptsModule {
    scripts: BTreeMap<String, Vec<(String, String)>>,
}

impl lmms::Init for ScriptsModule {
    fn init() -> Result<Self, InitError> {
        let mut rng = Rng::for_name("homeassistant_scripts");
        let text = data::text_table(&mut rng, "# scripts", data::n(1_500), |i, r, o| {
            let _ = write!(o, "script_{i}:");
            for _ in 0..2 + r.below(8) {
                let _ = write!(
                    o,
                    "\n  - {}: {}",
                    r.pick(&["delay", "service", "wait", "event"]),
                    data::word(r)
                );
            }
        });
        let mut scripts = BTreeMap::new();
        let mut current: Option<(String, Vec<(String, String)>)> = None;
        for line in text.lines().skip(1) {
            if let Some(step) = line.strip_prefix("  - ") {
                let (k, v) = step.split_once(": ").ok_or("script step: no `: `")?;
                current
                    .as_mut()
                    .ok_or("step before script")?
                    .1
                    .push((k.into(), v.into()));
            } else if let Some(name) = line.strip_suffix(':') {
                if let Some((n, s)) = current.replace((name.to_string(), Vec::new())) {
                    scripts.insert(n, s);
                }
            }
        }
        if let Some((n, s)) = current {
            scripts.insert(n, s);
        }
        Ok(ScriptsModule { scripts })
    }
}

#[lmms::operation(interface = "scripts", op = "run", module = ScriptsModule)]
pub fn run_script(m: &ScriptsModule, name: String) -> String {
    match m.scripts.get(&name) {
        Some(steps) => format!("{name}: {} steps run", steps.len()),
        None => format!("{name}: no such script"),
    }
}

#[lmms::operation(interface = "scripts", op = "count", module = ScriptsModule)]
pub fn script_count(m: &ScriptsModule) -> usize {
    m.scripts.len()
}

// ---------------------------------------------------------------------------------------
#[derive(Deserialize)]
struct Scene {
    name: String,
    entities: Vec<(String, u8)>,
}

/// Scenes (JSON): the light levels each scene sets.
#[lmms::module(name = "homeassistant_scenes", policy = "feature")]
pub struct ScenesModule {
    scenes: HashMap<String, Scene>,
}

impl lmms::Init for ScenesModule {
    fn init() -> Result<Self, InitError> {
        let mut rng = Rng::for_name("homeassistant_scenes");
        let doc = data::json_array(&mut rng, data::n(1_200), |i, r, o| {
            let name = if i < data::WORDS.len() {
                data::WORDS[i].to_string()
            } else {
                format!("scene_{i}")
            };
            let _ = write!(o, r#"{{"name":"{name}","entities":["#);
            for k in 0..3 + r.below(12) {
                let _ = write!(
                    o,
                    r#"{}["{}",{}]"#,
                    if k > 0 { "," } else { "" },
                    data::entity_id("light", r.below(400)),
                    r.below(255)
                );
            }
            o.push_str("]}");
        });
        let scenes: Vec<Scene> = serde_json::from_str(&doc)?;
        Ok(ScenesModule {
            scenes: scenes.into_iter().map(|s| (s.name.clone(), s)).collect(),
        })
    }
}

/// Activates a scene: its first lights are switched on through the lights module.
#[lmms::operation(interface = "scenes", op = "activate", module = ScenesModule)]
pub fn activate(m: &ScenesModule, name: String) -> String {
    let Some(s) = m.scenes.get(&name) else {
        return format!("{name}: no such scene");
    };
    let on = s
        .entities
        .iter()
        .take(3)
        .filter(|(id, _)| lights::turn_on(id.clone()).is_ok())
        .count();
    format!(
        "scene {} on: {on} of {} entities set",
        s.name,
        s.entities.len()
    )
}

#[lmms::operation(interface = "scenes", op = "count", module = ScenesModule)]
pub fn scene_count(m: &ScenesModule) -> usize {
    m.scenes.len()
}
