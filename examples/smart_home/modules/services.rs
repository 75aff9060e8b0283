//! Utility services: weather, parameter validation, translations, units, time zones and
//! response templates.

use crate::data::{self, Rng};
use lmms::InitError;
use serde::Deserialize;
use std::collections::HashMap;
use std::fmt::Write as _;

// ---------------------------------------------------------------------------------------
#[derive(Deserialize)]
struct Station {
    id: String,
    city: String,
    lat: f64,
    lon: f64,
    normals: Vec<f32>,
}

/// Weather: the station list with monthly climate normals (JSON), bucketed on a 1° grid.
#[lmms::module(name = "weather_core", policy = "utility")]
pub struct WeatherCore {
    stations: Vec<Station>,
    grid: HashMap<(i32, i32), Vec<u32>>,
    by_city: HashMap<String, u32>,
}

pub const CITIES: &[&str] = &["Oslo", "Lima", "Austin", "Seattle", "Berlin", "Osaka"];

impl lmms::Init for WeatherCore {
    fn init() -> Result<Self, InitError> {
        let mut rng = Rng::for_name("weather_core");
        let doc = data::json_array(&mut rng, data::n(8_000), |i, r, o| {
            let city = if i < CITIES.len() {
                CITIES[i].to_string()
            } else {
                data::word(r)
            };
            let _ = write!(
                o,
                r#"{{"id":"ST{i:05}","city":"{city}","lat":{:.3},"lon":{:.3},"normals":["#,
                r.unit() * 140.0 - 70.0,
                r.unit() * 360.0 - 180.0
            );
            for m in 0..12 {
                let _ = write!(
                    o,
                    "{}{:.1}",
                    if m > 0 { "," } else { "" },
                    r.unit() * 40.0 - 10.0
                );
            }
            o.push_str("]}");
        });
        let stations: Vec<Station> = serde_json::from_str(&doc)?;
        let mut grid: HashMap<(i32, i32), Vec<u32>> = HashMap::new();
        let mut by_city = HashMap::new();
        for (i, s) in stations.iter().enumerate() {
            grid.entry((s.lat as i32, s.lon as i32))
                .or_default()
                .push(i as u32);
            by_city.entry(s.city.clone()).or_insert(i as u32);
        }
        Ok(WeatherCore {
            stations,
            grid,
            by_city,
        })
    }
}

/// Forecast from the climate normals; cached for 30 s.
#[lmms::operation(interface = "weather", op = "forecast", module = WeatherCore, cache_ttl = "30s")]
pub fn forecast(w: &WeatherCore, city: String) -> String {
    match w.by_city.get(&city) {
        Some(&i) => {
            let s = &w.stations[i as usize];
            format!("{city} ({}): around {:.0} °C", s.id, s.normals[3])
        }
        None => format!("{city}: no station"),
    }
}

#[lmms::operation(interface = "weather", op = "nearest", module = WeatherCore)]
pub fn nearest(w: &WeatherCore, lat: f64, lon: f64) -> String {
    let cell = w.grid.get(&(lat as i32, lon as i32));
    match cell.and_then(|c| c.first()) {
        Some(&i) => {
            let s = &w.stations[i as usize];
            format!("{} at {:.2},{:.2}", s.id, s.lat, s.lon)
        }
        None => "no station in this cell".into(),
    }
}

// ---------------------------------------------------------------------------------------
/// Parameter validation: one compiled rule list per `interface.op` (from bundled schemas).
#[lmms::module(name = "validation_core", policy = "utility")]
pub struct ValidationCore {
    rules: HashMap<String, Vec<(String, char, usize)>>,
}

impl lmms::Init for ValidationCore {
    fn init() -> Result<Self, InitError> {
        let mut rng = Rng::for_name("validation_core");
        // `iface.op: field:type:maxlen, ...`
        let schemas = data::text_table(&mut rng, "# schemas", data::n(3_000), |i, r, o| {
            let _ = write!(o, "{}.op{i}:", r.pick(data::WORDS));
            for f in 0..1 + r.below(6) {
                let _ = write!(
                    o,
                    " {}{f}:{}:{},",
                    data::word(r),
                    ['s', 'n', 'b'][r.below(3)],
                    8 + r.below(256)
                );
            }
        });
        let mut rules = HashMap::new();
        for line in schemas.lines().skip(1) {
            let (key, fields) = line.split_once(':').ok_or("schema: no `:`")?;
            let mut compiled = Vec::new();
            for f in fields.split(',').map(str::trim).filter(|f| !f.is_empty()) {
                let p: Vec<&str> = f.split(':').collect();
                let kind = p
                    .get(1)
                    .and_then(|k| k.chars().next())
                    .ok_or("schema: no type")?;
                compiled.push((p[0].to_string(), kind, p.get(2).ok_or("no max")?.parse()?));
            }
            rules.insert(key.to_string(), compiled);
        }
        Ok(ValidationCore { rules })
    }
}

#[lmms::operation(interface = "validation", op = "check", module = ValidationCore)]
pub fn check(v: &ValidationCore, key: String, params: String) -> bool {
    params.len() < 4096
        && v.rules
            .get(&key)
            .is_none_or(|r| r.iter().all(|(_, _, max)| params.len() <= *max * 16))
}

// ---------------------------------------------------------------------------------------
/// Translations: one `key = text` catalogue per language.
#[lmms::module(name = "i18n_core", policy = "utility")]
pub struct I18nCore {
    catalogs: HashMap<&'static str, HashMap<String, String>>,
}

impl lmms::Init for I18nCore {
    fn init() -> Result<Self, InitError> {
        let mut catalogs = HashMap::new();
        for lang in data::LANGS {
            let mut rng = Rng::for_name(lang);
            let text = data::text_table(&mut rng, "# catalog", data::n(1_200), |i, r, o| {
                let _ = write!(
                    o,
                    "msg.{i} = {} {} {} {{device}} {}",
                    data::word(r),
                    data::word(r),
                    r.pick(data::WORDS),
                    data::word(r)
                );
            });
            let cat = text
                .lines()
                .skip(1)
                .filter_map(|l| l.split_once(" = "))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            catalogs.insert(*lang, cat);
        }
        Ok(I18nCore { catalogs })
    }
}

#[lmms::operation(interface = "i18n", op = "translate", module = I18nCore)]
pub fn translate(t: &I18nCore, lang: String, key: String) -> String {
    let text = t.catalogs.get(lang.as_str()).and_then(|c| c.get(&key));
    text.cloned().unwrap_or(key)
}

// ---------------------------------------------------------------------------------------
/// Units: definitions parsed, then the full conversion matrix of each dimension.
#[lmms::module(name = "units_core", policy = "utility")]
pub struct UnitsCore {
    index: HashMap<String, (usize, usize)>,
    matrices: Vec<Vec<f64>>,
}

impl lmms::Init for UnitsCore {
    fn init() -> Result<Self, InitError> {
        let mut rng = Rng::for_name("units_core");
        let dims = [
            "length",
            "mass",
            "temperature",
            "energy",
            "power",
            "volume",
            "pressure",
            "time",
        ];
        let defs = data::text_table(&mut rng, "unit dim factor", data::n(1_200), |i, r, o| {
            let _ = write!(
                o,
                "u{i} {} {:.6}",
                dims[i % dims.len()],
                0.001 + r.unit() * 1000.0
            );
        });
        let mut per_dim: Vec<Vec<(String, f64)>> = vec![Vec::new(); dims.len()];
        for line in defs.lines().skip(1) {
            let f: Vec<&str> = line.split(' ').collect();
            let d = dims
                .iter()
                .position(|d| *d == f[1])
                .ok_or("unknown dimension")?;
            per_dim[d].push((f[0].to_string(), f[2].parse()?));
        }
        let mut index = HashMap::new();
        let mut matrices = Vec::new();
        for (d, units) in per_dim.iter().enumerate() {
            let mut m = Vec::with_capacity(units.len() * units.len());
            for (i, (name, from)) in units.iter().enumerate() {
                index.insert(name.clone(), (d, i));
                m.extend(units.iter().map(|(_, to)| from / to));
            }
            matrices.push(m);
        }
        Ok(UnitsCore { index, matrices })
    }
}

#[lmms::operation(interface = "units", op = "convert", module = UnitsCore)]
pub fn convert(u: &UnitsCore, value: f64, from: String, to: String) -> Option<f64> {
    let (&(d1, i), &(d2, j)) = (u.index.get(&from)?, u.index.get(&to)?);
    let n = (u.matrices[d1].len() as f64).sqrt() as usize;
    (d1 == d2).then(|| value * u.matrices[d1][i * n + j])
}

// ---------------------------------------------------------------------------------------
/// Time zones: rules parsed, then every DST transition from 2000 to 2050 computed.
#[lmms::module(name = "timezone_core", policy = "utility")]
pub struct TimezoneCore {
    zones: HashMap<String, (i32, Vec<(i64, i32)>)>,
}

impl lmms::Init for TimezoneCore {
    fn init() -> Result<Self, InitError> {
        let mut rng = Rng::for_name("timezone_core");
        let rules = data::text_table(
            &mut rng,
            "zone offset dst_month",
            data::n(450),
            |i, r, o| {
                let _ = write!(
                    o,
                    "Zone/{}{i} {} {}",
                    data::word(r),
                    r.below(27) as i32 - 12,
                    r.below(12)
                );
            },
        );
        let mut zones = HashMap::new();
        for line in rules.lines().skip(1) {
            let f: Vec<&str> = line.split(' ').collect();
            let (off, month): (i32, i64) = (f[1].parse()?, f[2].parse()?);
            let trans = (2000..2050i64)
                .flat_map(|y| {
                    let start = (y - 1970) * 31_556_952 + month * 2_629_746;
                    [(start, off + 1), (start + 7 * 2_629_746, off)]
                })
                .collect();
            zones.insert(f[0].to_string(), (off, trans));
        }
        Ok(TimezoneCore { zones })
    }
}

#[lmms::operation(interface = "tz", op = "offset", module = TimezoneCore)]
pub fn offset(t: &TimezoneCore, zone: String, epoch: i64) -> Option<i32> {
    let (base, trans) = t.zones.get(&zone)?;
    let i = trans.partition_point(|(at, _)| *at <= epoch);
    Some(if i == 0 { *base } else { trans[i - 1].1 })
}

// ---------------------------------------------------------------------------------------
/// Response templates compiled into literal and placeholder segments.
#[lmms::module(name = "template_core", policy = "utility")]
pub struct TemplateCore {
    templates: HashMap<String, Vec<(bool, String)>>,
}

impl lmms::Init for TemplateCore {
    fn init() -> Result<Self, InitError> {
        let mut rng = Rng::for_name("template_core");
        let src = data::text_table(&mut rng, "# templates", data::n(5_000), |i, r, o| {
            let _ = write!(
                o,
                "t{i}|The {{device}} in the {{area}} is now {} ({} {{state}}) {}",
                r.pick(data::WORDS),
                data::word(r),
                data::word(r)
            );
        });
        let mut templates = HashMap::new();
        for line in src.lines().skip(1) {
            let (name, body) = line.split_once('|').ok_or("template: no `|`")?;
            let mut segs = Vec::new();
            for (k, part) in body.split(['{', '}']).enumerate() {
                if !part.is_empty() {
                    segs.push((k % 2 == 1, part.to_string()));
                }
            }
            templates.insert(name.to_string(), segs);
        }
        Ok(TemplateCore { templates })
    }
}

#[lmms::operation(interface = "template", op = "render", module = TemplateCore)]
pub fn render(t: &TemplateCore, name: String, device: String, area: String) -> String {
    let Some(segs) = t.templates.get(&name) else {
        return format!("no template {name}");
    };
    segs.iter()
        .map(|(var, s)| match (var, s.as_str()) {
            (true, "device") => device.as_str(),
            (true, "area") => area.as_str(),
            (true, _) => "on",
            (false, s) => s,
        })
        .collect()
}
