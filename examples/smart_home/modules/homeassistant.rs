//! Home Assistant feature modules (unloaded as soon as nothing protects them):
//! automation, scripts, notifications, scenes, areas, history, energy, calendar,
//! presence, alarm, timers, shopping list, logbook, backup, conversation.

use crate::data::{self, Rng};
use crate::modules::devices::lights;
use lmms::InitError;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::Mutex;

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
/// Notifications: targets (phones, speakers, e-mail) and a bounded outbox.
#[lmms::module(name = "homeassistant_notifications", policy = "feature")]
pub struct NotificationsModule {
    targets: HashMap<String, (String, String)>,
    outbox: Mutex<Vec<String>>,
}

impl lmms::Init for NotificationsModule {
    fn init() -> Result<Self, InitError> {
        let mut rng = Rng::for_name("homeassistant_notifications");
        let text = data::text_table(
            &mut rng,
            "target kind address",
            data::n(3_000),
            |i, r, o| {
                let _ = write!(
                    o,
                    "{}{i} {} {}@{}.example",
                    r.pick(&["phone_", "speaker_", "mail_"]),
                    r.pick(&["push", "tts", "smtp"]),
                    data::word(r),
                    data::word(r)
                );
            },
        );
        let mut targets = HashMap::new();
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split(' ').collect();
            targets.insert(f[0].to_string(), (f[1].to_string(), f[2].to_string()));
        }
        Ok(NotificationsModule {
            targets,
            outbox: Mutex::new(Vec::with_capacity(data::n(2_000))),
        })
    }
}

#[lmms::operation(interface = "notifications", op = "send", module = NotificationsModule)]
pub fn send(m: &NotificationsModule, target: String, message: String) -> String {
    let kind = m.targets.get(&target).map_or("push", |(k, _)| k.as_str());
    let mut outbox = m.outbox.lock().unwrap();
    if outbox.len() == outbox.capacity() {
        outbox.clear();
    }
    outbox.push(format!("{kind} -> {target}: {message}"));
    format!("queued ({} in outbox)", outbox.len())
}

#[lmms::operation(interface = "notifications", op = "pending", module = NotificationsModule)]
pub fn pending(m: &NotificationsModule) -> usize {
    m.outbox.lock().unwrap().len()
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

// ---------------------------------------------------------------------------------------
/// Areas: the floor plan graph (which areas adjoin) with shortest hop counts.
#[lmms::module(name = "homeassistant_areas", policy = "feature")]
pub struct AreasModule {
    names: Vec<String>,
    hops: Vec<u8>,
}

impl lmms::Init for AreasModule {
    fn init() -> Result<Self, InitError> {
        let n = data::n(400).max(data::ROOMS.len());
        let names: Vec<String> = (0..n)
            .map(|i| {
                format!(
                    "{}_{}",
                    data::ROOMS[i % data::ROOMS.len()],
                    i / data::ROOMS.len()
                )
            })
            .collect();
        let mut hops = vec![u8::MAX; n * n];
        for i in 0..n {
            hops[i * n + i] = 0;
            for j in [i + 1, i + 7] {
                if j < n {
                    hops[i * n + j] = 1;
                    hops[j * n + i] = 1;
                }
            }
        }
        // BFS from each area over the adjacency.
        for s in 0..n {
            let mut frontier = vec![s];
            let mut d = 0u8;
            while !frontier.is_empty() && d < 250 {
                d += 1;
                let mut next = Vec::new();
                for &u in &frontier {
                    for v in [u.wrapping_sub(1), u + 1, u.wrapping_sub(7), u + 7] {
                        if v < n && hops[s * n + v] == u8::MAX {
                            hops[s * n + v] = d;
                            next.push(v);
                        }
                    }
                }
                frontier = next;
            }
        }
        Ok(AreasModule { names, hops })
    }
}

#[lmms::operation(interface = "areas", op = "distance", module = AreasModule)]
pub fn distance(m: &AreasModule, from: usize, to: usize) -> Option<u8> {
    let n = m.names.len();
    (from < n && to < n).then(|| m.hops[from * n + to])
}

#[lmms::operation(interface = "areas", op = "list", module = AreasModule)]
pub fn list_areas(m: &AreasModule, first: usize) -> Vec<String> {
    m.names.iter().take(first).cloned().collect()
}

// ---------------------------------------------------------------------------------------
/// History: a day of per-minute readings for many entities, parsed from the CSV export
/// into columns.
#[lmms::module(name = "homeassistant_history", policy = "feature")]
pub struct HistoryModule {
    entities: HashMap<String, u32>,
    minutes: usize,
    values: Vec<f32>,
}

impl lmms::Init for HistoryModule {
    fn init() -> Result<Self, InitError> {
        let mut rng = Rng::for_name("homeassistant_history");
        let (ents, minutes) = (data::n(400), 1440);
        let csv = data::text_table(
            &mut rng,
            "entity,minute,value",
            ents * minutes,
            |k, r, o| {
                let _ = write!(
                    o,
                    "{},{},{:.2}",
                    data::entity_id("sensor", k / minutes),
                    k % minutes,
                    20.0 + r.unit() * 5.0
                );
            },
        );
        let mut entities = HashMap::new();
        let mut values = vec![f32::NAN; ents * minutes];
        for line in csv.lines().skip(1) {
            let mut f = line.split(',');
            let (Some(e), Some(m), Some(v)) = (f.next(), f.next(), f.next()) else {
                return Err("history: short row".into());
            };
            let next = entities.len() as u32;
            let row = *entities.entry(e.to_string()).or_insert(next) as usize;
            values[row * minutes + m.parse::<usize>()?] = v.parse()?;
        }
        Ok(HistoryModule {
            entities,
            minutes,
            values,
        })
    }
}

/// Mean and range of an entity over its last `hours`; cached for 30 s.
#[lmms::operation(interface = "history", op = "summary", module = HistoryModule, cache_ttl = "30s")]
pub fn summary(m: &HistoryModule, entity_id: String, hours: u32) -> String {
    let Some(&row) = m.entities.get(&entity_id) else {
        return format!("{entity_id}: no history");
    };
    let span = (hours as usize * 60).clamp(1, m.minutes);
    let start = row as usize * m.minutes + m.minutes - span;
    let vals = &m.values[start..start + span];
    let (lo, hi) = vals
        .iter()
        .fold((f32::MAX, f32::MIN), |(a, b), v| (a.min(*v), b.max(*v)));
    let mean = vals.iter().sum::<f32>() / span as f32;
    format!("{entity_id} last {hours} h: mean {mean:.2}, range {lo:.2}..{hi:.2}")
}

#[lmms::operation(interface = "history", op = "entities", module = HistoryModule)]
pub fn history_entities(m: &HistoryModule) -> usize {
    m.entities.len()
}
