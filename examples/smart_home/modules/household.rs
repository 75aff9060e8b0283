//! More Home Assistant feature modules: energy, calendar, presence, alarm, timers,
//! shopping list, logbook, backup, conversation.

use crate::data::{self, Rng};
use lmms::InitError;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::Mutex;

// ---------------------------------------------------------------------------------------
/// Energy: tariff bands and a year of hourly meter readings (CSV).
#[lmms::module(name = "homeassistant_energy", policy = "feature")]
pub struct EnergyModule {
    hourly_kwh: Vec<f32>,
    tariff: [f32; 24],
}

impl lmms::Init for EnergyModule {
    fn init() -> Result<Self, InitError> {
        let mut rng = Rng::for_name("homeassistant_energy");
        let csv = data::text_table(&mut rng, "hour,kwh", data::n(8_760 * 8), |h, r, o| {
            let _ = write!(o, "{h},{:.3}", 0.2 + r.unit() * ((h % 24) as f64 / 8.0));
        });
        let mut hourly_kwh = Vec::new();
        for line in csv.lines().skip(1) {
            let (_, v) = line.split_once(',').ok_or("energy: bad row")?;
            hourly_kwh.push(v.parse()?);
        }
        let tariff = std::array::from_fn(|h| if (7..22).contains(&h) { 0.31 } else { 0.18 });
        Ok(EnergyModule { hourly_kwh, tariff })
    }
}

#[lmms::operation(interface = "energy", op = "day_cost", module = EnergyModule)]
pub fn day_cost(e: &EnergyModule, day: usize) -> String {
    let start = (day * 24) % e.hourly_kwh.len().max(24);
    let hours = &e.hourly_kwh[start..(start + 24).min(e.hourly_kwh.len())];
    let kwh: f32 = hours.iter().sum();
    let cost: f32 = hours.iter().zip(e.tariff).map(|(k, t)| k * t).sum();
    format!("day {day}: {kwh:.1} kWh, {cost:.2} EUR")
}

#[lmms::operation(interface = "energy", op = "total", module = EnergyModule)]
pub fn energy_total(e: &EnergyModule) -> f64 {
    e.hourly_kwh.iter().map(|&k| k as f64).sum()
}

// ---------------------------------------------------------------------------------------
#[derive(Deserialize)]
struct Event {
    title: String,
    first_day: u32,
    every_days: u32,
    minute: u32,
}

/// Calendar: recurring events (JSON) expanded into the year's occurrences.
#[lmms::module(name = "homeassistant_calendar", policy = "feature")]
pub struct CalendarModule {
    by_day: BTreeMap<u32, Vec<(u32, String)>>,
}

impl lmms::Init for CalendarModule {
    fn init() -> Result<Self, InitError> {
        let mut rng = Rng::for_name("homeassistant_calendar");
        let doc = data::json_array(&mut rng, data::n(400), |_, r, o| {
            let _ = write!(
                o,
                r#"{{"title":"{} {}","first_day":{},"every_days":{},"minute":{}}}"#,
                r.pick(data::WORDS),
                data::word(r),
                r.below(30),
                [1, 7, 14, 30][r.below(4)],
                r.below(1440)
            );
        });
        let events: Vec<Event> = serde_json::from_str(&doc)?;
        let mut by_day: BTreeMap<u32, Vec<(u32, String)>> = BTreeMap::new();
        for e in &events {
            let mut d = e.first_day;
            while d < 365 {
                by_day
                    .entry(d)
                    .or_default()
                    .push((e.minute, e.title.clone()));
                d += e.every_days.max(1);
            }
        }
        by_day.values_mut().for_each(|v| v.sort());
        Ok(CalendarModule { by_day })
    }
}

#[lmms::operation(interface = "calendar", op = "agenda", module = CalendarModule)]
pub fn agenda(c: &CalendarModule, day: u32) -> Vec<String> {
    let items = c.by_day.get(&(day % 365)).map(Vec::as_slice).unwrap_or(&[]);
    items
        .iter()
        .take(5)
        .map(|(m, t)| format!("{:02}:{:02} {t}", m / 60, m % 60))
        .collect()
}

// ---------------------------------------------------------------------------------------
/// Presence: geofence polygons for each zone and the household's trackers.
#[lmms::module(name = "homeassistant_presence", policy = "feature")]
pub struct PresenceModule {
    zones: Vec<(String, Vec<(f64, f64)>)>,
}

impl lmms::Init for PresenceModule {
    fn init() -> Result<Self, InitError> {
        let mut rng = Rng::for_name("homeassistant_presence");
        let zones = (0..data::n(2_000))
            .map(|i| {
                let (cx, cy) = (59.0 + rng.unit(), 10.0 + rng.unit());
                let r = 0.001 + rng.unit() * 0.01;
                let poly = (0..48)
                    .map(|k| {
                        let a = k as f64 / 48.0 * std::f64::consts::TAU;
                        (cx + r * a.cos(), cy + r * a.sin())
                    })
                    .collect();
                (
                    if i == 0 {
                        "home".to_string()
                    } else {
                        format!("zone_{i}")
                    },
                    poly,
                )
            })
            .collect();
        Ok(PresenceModule { zones })
    }
}

fn inside(p: (f64, f64), poly: &[(f64, f64)]) -> bool {
    let mut inside = false;
    let mut j = poly.len() - 1;
    for i in 0..poly.len() {
        let (a, b) = (poly[i], poly[j]);
        if (a.1 > p.1) != (b.1 > p.1) && p.0 < (b.0 - a.0) * (p.1 - a.1) / (b.1 - a.1) + a.0 {
            inside = !inside;
        }
        j = i;
    }
    inside
}

#[lmms::operation(interface = "presence", op = "locate", module = PresenceModule)]
pub fn locate(m: &PresenceModule, lat: f64, lon: f64) -> String {
    let z = m.zones.iter().find(|(_, poly)| inside((lat, lon), poly));
    z.map_or_else(|| "not_home".into(), |(n, _)| n.clone())
}

// ---------------------------------------------------------------------------------------
/// Alarm panel: the arming state machine (parsed transition table) and user codes.
#[lmms::module(name = "homeassistant_alarm", policy = "feature")]
pub struct AlarmModule {
    transitions: HashMap<(String, String), String>,
    codes: Vec<u64>,
    state: Mutex<String>,
}

impl lmms::Init for AlarmModule {
    fn init() -> Result<Self, InitError> {
        let table = "disarmed arm_home armed_home\ndisarmed arm_away arming\narming timeout armed_away\narmed_home disarm disarmed\narmed_away disarm disarmed\narmed_away trigger triggered\narmed_home trigger triggered\ntriggered disarm disarmed\ndisarmed arm_night armed_night\narmed_night disarm disarmed";
        let mut transitions = HashMap::new();
        for line in table.lines() {
            let f: Vec<&str> = line.split(' ').collect();
            transitions.insert((f[0].to_string(), f[1].to_string()), f[2].to_string());
        }
        let mut codes: Vec<u64> = (0..data::n(50_000))
            .map(|i| data::fnv(format!("code{i}").as_bytes()))
            .collect();
        codes.sort_unstable();
        Ok(AlarmModule {
            transitions,
            codes,
            state: Mutex::new("disarmed".into()),
        })
    }
}

#[lmms::operation(interface = "alarm", op = "command", module = AlarmModule)]
pub fn alarm_command(m: &AlarmModule, command: String, code: String) -> String {
    if m.codes.binary_search(&data::fnv(code.as_bytes())).is_err() {
        return "wrong code".into();
    }
    let mut s = m.state.lock().unwrap();
    match m.transitions.get(&(s.clone(), command.clone())) {
        Some(next) => {
            *s = next.clone();
            format!("alarm {next}")
        }
        None => format!("cannot {command} while {s}"),
    }
}

// ---------------------------------------------------------------------------------------
/// Timers: a hashed timing wheel (one slot per second of a day).
#[lmms::module(name = "homeassistant_timers", policy = "feature")]
pub struct TimersModule {
    wheel: Mutex<Vec<Vec<String>>>,
}

impl lmms::Init for TimersModule {
    fn init() -> Result<Self, InitError> {
        Ok(TimersModule {
            wheel: Mutex::new((0..86_400).map(|_| Vec::new()).collect()),
        })
    }
}

#[lmms::operation(interface = "timers", op = "start", module = TimersModule)]
pub fn start_timer(t: &TimersModule, name: String, seconds: u32) -> String {
    let mut w = t.wheel.lock().unwrap();
    let slot = seconds as usize % w.len();
    w[slot].push(name.clone());
    format!("timer {name} set for {seconds} s")
}

// ---------------------------------------------------------------------------------------
/// Shopping list: the product catalogue (for suggestions) and the list itself.
#[lmms::module(name = "homeassistant_shopping_list", policy = "feature")]
pub struct ShoppingListModule {
    catalogue: Vec<String>,
    items: Mutex<Vec<String>>,
}

impl lmms::Init for ShoppingListModule {
    fn init() -> Result<Self, InitError> {
        let mut rng = Rng::for_name("homeassistant_shopping_list");
        let mut catalogue: Vec<String> = (0..data::n(25_000))
            .map(|_| format!("{} {}", data::word(&mut rng), data::word(&mut rng)))
            .collect();
        catalogue.sort_unstable();
        catalogue.dedup();
        Ok(ShoppingListModule {
            catalogue,
            items: Mutex::new(Vec::new()),
        })
    }
}

#[lmms::operation(interface = "shopping", op = "add", module = ShoppingListModule)]
pub fn add_item(s: &ShoppingListModule, item: String) -> String {
    let i = s.catalogue.partition_point(|c| c.as_str() < item.as_str());
    let suggestion = s.catalogue.get(i).cloned().unwrap_or_default();
    let mut items = s.items.lock().unwrap();
    items.push(item);
    format!("{} items (did you mean {suggestion:?}?)", items.len())
}

// ---------------------------------------------------------------------------------------
/// Logbook: the recent event log (text), parsed, with a word index for search.
#[lmms::module(name = "homeassistant_logbook", policy = "feature")]
pub struct LogbookModule {
    entries: Vec<String>,
    index: HashMap<String, Vec<u32>>,
}

impl lmms::Init for LogbookModule {
    fn init() -> Result<Self, InitError> {
        let mut rng = Rng::for_name("homeassistant_logbook");
        let text = data::text_table(&mut rng, "# logbook", data::n(15_000), |i, r, o| {
            let _ = write!(
                o,
                "{} {} turned {} by {}",
                1_700_000_000 + i * 60,
                data::entity_id("light", r.below(400)),
                r.pick(&["on", "off"]),
                r.pick(data::WORDS)
            );
        });
        let entries: Vec<String> = text.lines().skip(1).map(str::to_string).collect();
        let mut index: HashMap<String, Vec<u32>> = HashMap::new();
        for (i, e) in entries.iter().enumerate() {
            for w in e.split(' ').skip(1) {
                index.entry(w.to_string()).or_default().push(i as u32);
            }
        }
        Ok(LogbookModule { entries, index })
    }
}

#[lmms::operation(interface = "logbook", op = "search", module = LogbookModule)]
pub fn search(l: &LogbookModule, word: String) -> Vec<String> {
    let hits = l.index.get(&word).map(Vec::as_slice).unwrap_or(&[]);
    hits.iter()
        .rev()
        .take(3)
        .map(|&i| l.entries[i as usize].clone())
        .collect()
}

// ---------------------------------------------------------------------------------------
#[derive(Deserialize)]
struct BackupFile {
    path: String,
    size: u64,
    digest: String,
}

/// Backup: the last backup's manifest (JSON), to plan the next incremental one.
#[lmms::module(name = "homeassistant_backup", policy = "feature")]
pub struct BackupModule {
    files: Vec<BackupFile>,
}

impl lmms::Init for BackupModule {
    fn init() -> Result<Self, InitError> {
        let mut rng = Rng::for_name("homeassistant_backup");
        let doc = data::json_array(&mut rng, data::n(12_000), |i, r, o| {
            let _ = write!(
                o,
                r#"{{"path":"/config/{}/{}_{i}.yaml","size":{},"digest":"{:016x}{:016x}"}}"#,
                r.pick(data::WORDS),
                data::word(r),
                r.below(1 << 20),
                r.next_u64(),
                r.next_u64()
            );
        });
        Ok(BackupModule {
            files: serde_json::from_str(&doc)?,
        })
    }
}

#[lmms::operation(interface = "backup", op = "status", module = BackupModule)]
pub fn backup_status(b: &BackupModule) -> String {
    let total: u64 = b.files.iter().map(|f| f.size).sum();
    let newest = b.files.last().map_or("", |f| f.path.as_str());
    let d = b.files.first().map_or("", |f| f.digest.as_str());
    format!(
        "{} files, {total} bytes; last {newest}, first digest {d}",
        b.files.len()
    )
}

// ---------------------------------------------------------------------------------------
/// Conversation: sentence patterns (`turn on the {area} lights`) compiled into token
/// sequences with slots, matched against what the user said.
#[lmms::module(name = "homeassistant_conversation", policy = "feature")]
pub struct ConversationModule {
    patterns: Vec<(Vec<Option<String>>, String)>,
}

impl lmms::Init for ConversationModule {
    fn init() -> Result<Self, InitError> {
        let mut rng = Rng::for_name("homeassistant_conversation");
        let verbs = [
            "turn on", "turn off", "dim", "open", "close", "lock", "start",
        ];
        let text = data::text_table(&mut rng, "# sentences", data::n(9_000), |i, r, o| {
            let _ = write!(
                o,
                "{} the {{area}} {} {}|intent_{}",
                verbs[i % verbs.len()],
                r.pick(data::WORDS),
                data::word(r),
                i % 97
            );
        });
        let mut patterns = Vec::new();
        for line in text.lines().skip(1) {
            let (sentence, intent) = line.split_once('|').ok_or("sentence: no intent")?;
            let tokens = sentence
                .split(' ')
                .map(|t| (!t.starts_with('{')).then(|| t.to_string()))
                .collect();
            patterns.push((tokens, intent.to_string()));
        }
        Ok(ConversationModule { patterns })
    }
}

#[lmms::operation(interface = "conversation", op = "process", module = ConversationModule)]
pub fn process(c: &ConversationModule, text: String) -> String {
    let words: Vec<&str> = text.split(' ').collect();
    let hit = c.patterns.iter().find(|(toks, _)| {
        toks.len() == words.len()
            && toks
                .iter()
                .zip(&words)
                .all(|(t, w)| t.as_deref().is_none_or(|t| t == *w))
    });
    hit.map_or_else(|| "no intent matched".into(), |(_, i)| i.clone())
}
