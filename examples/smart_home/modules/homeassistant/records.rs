//! What the home keeps: notification targets and outbox, the area graph, history.

use crate::data::{self, Rng};
use lmms::InitError;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Mutex;

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
