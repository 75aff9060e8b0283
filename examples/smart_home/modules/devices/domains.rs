//! The device domains, each with its own table and extra operations.

use super::*;
use crate::data::{self, Rng};
use lmms::InitError;
use std::sync::atomic::Ordering;

// ---- lights: colour temperature (mired) → RGB table at 0.1 mired, and a gamma curve.
device_module!(lights, Lights, "homeassistant_lights", "feature", "lights",
    domain = "light", count = 4000,
    attrs = ["brightness", "color_temp", "hue", "saturation", "transition", "effect_speed"],
    features = ["brightness", "color_temp", "rgb", "effect", "flash", "transition"],
    extra: (Vec<[u8; 3]>, Vec<u16>) = (mired_table(), gamma_table()));

fn mired_table() -> Vec<[u8; 3]> {
    (1530..=5000)
        .map(|tenth| {
            let kelvin = 1e7 / tenth as f64 / 100.0;
            let r = if kelvin <= 66.0 {
                255.0
            } else {
                329.7 * (kelvin - 60.0).powf(-0.1332)
            };
            let g = if kelvin <= 66.0 {
                99.47 * kelvin.ln() - 161.12
            } else {
                288.12 * (kelvin - 60.0).powf(-0.0755)
            };
            let b = if kelvin >= 66.0 {
                255.0
            } else if kelvin <= 19.0 {
                0.0
            } else {
                138.52 * (kelvin - 10.0).ln() - 305.04
            };
            [r, g, b].map(|c| c.clamp(0.0, 255.0) as u8)
        })
        .collect()
}

fn gamma_table() -> Vec<u16> {
    (0..65536)
        .map(|i| ((i as f64 / 65535.0).powf(2.2) * 65535.0) as u16)
        .collect()
}

/// `lights.set_color_temp`: looks the colour up in the mired table.
#[lmms::operation(interface = "lights", op = "set_color_temp", module = lights::Lights)]
pub fn set_color_temp(m: &lights::Lights, entity_id: String, kelvin: u32) -> String {
    let tenth = (1e8 / kelvin.clamp(2000, 6500) as f64) as usize;
    let [r, g, b] = m.extra.0[tenth.clamp(1530, 5000) - 1530];
    let level = m.extra.1[(r as usize) << 8] >> 8;
    format!("{entity_id} colour {kelvin} K = rgb({r},{g},{b}), level {level}")
}

// ---- climate: dew-point table over temperature (0.1 °C) × relative humidity (1 %).
device_module!(climate, Climate, "homeassistant_climate", "feature", "climate",
    domain = "climate", count = 900,
    attrs = ["current_temperature", "target_temperature", "humidity", "fan_mode", "hvac_action"],
    features = ["target_temperature", "fan_mode", "preset_mode", "swing_mode", "aux_heat"],
    extra: Vec<f32> = dew_points());

fn dew_points() -> Vec<f32> {
    let mut t = Vec::with_capacity(701 * 101);
    for ti in 0..701 {
        let temp = -20.0 + ti as f64 / 10.0;
        for rh in 0..101 {
            let g = (17.62 * temp) / (243.12 + temp) + ((rh.max(1)) as f64 / 100.0).ln();
            t.push((243.12 * g / (17.62 - g)) as f32);
        }
    }
    t
}

/// `climate.set_temperature`: sets the target and reports the dew point at that target.
#[lmms::operation(interface = "climate", op = "set_temperature", module = climate::Climate)]
pub fn set_temperature(m: &climate::Climate, entity_id: String, celsius: f64) -> String {
    let ti = (((celsius.clamp(-20.0, 50.0)) + 20.0) * 10.0) as usize;
    let dew = m.extra[ti * 101 + 45];
    if let Some(i) = m.reg.find(&entity_id) {
        m.reg.state[i].store((1 << 31) | (celsius * 10.0) as u32, Ordering::Relaxed);
    }
    format!("{entity_id} target {celsius:.1} °C (dew point at 45 % RH: {dew:.1} °C)")
}

// ---- locks: digests of every user's PIN codes.
device_module!(locks, Locks, "homeassistant_locks", "feature", "locks",
    domain = "lock", count = 300,
    attrs = ["battery", "auto_lock_s", "wrong_code_count"],
    features = ["open", "code", "auto_lock"],
    extra: std::collections::HashSet<u64> = pin_digests());

fn pin_digests() -> std::collections::HashSet<u64> {
    let mut rng = Rng::for_name("pins");
    (0..data::n(60_000))
        .map(|_| {
            data::fnv(format!("user{}:{:06}", rng.below(500), rng.below(1_000_000)).as_bytes())
        })
        .collect()
}

// ---- covers: sun elevation for each day of the year at 15-minute steps (auto-shading).
device_module!(covers, Covers, "homeassistant_covers", "feature", "covers",
    domain = "cover", count = 600,
    attrs = ["position", "tilt", "speed"],
    features = ["open", "close", "set_position", "tilt"],
    extra: Vec<f32> = sun_elevations(59.9));

fn sun_elevations(lat: f64) -> Vec<f32> {
    let mut v = Vec::with_capacity(365 * 96);
    for day in 0..365 {
        let decl =
            -23.44f64.to_radians() * ((360.0 / 365.0 * (day as f64 + 10.0)).to_radians()).cos();
        for q in 0..96 {
            let hour_angle = ((q as f64 / 4.0 - 12.0) * 15.0).to_radians();
            let (la, de) = (lat.to_radians(), decl);
            let s = la.sin() * de.sin() + la.cos() * de.cos() * hour_angle.cos();
            v.push(s.asin().to_degrees() as f32);
        }
    }
    v
}

// ---- fans: speed → airflow curves per fan model.
device_module!(fans, Fans, "homeassistant_fans", "feature", "fans",
    domain = "fan", count = 400,
    attrs = ["percentage", "oscillating", "direction"],
    features = ["set_speed", "oscillate", "direction", "preset_mode"],
    extra: Vec<[f32; 101]> = (0..data::n(2_000)).map(fan_curve).collect());

/// Airflow curve (m³/h) of fan model `m` at each speed percentage.
fn fan_curve(m: usize) -> [f32; 101] {
    std::array::from_fn(|p| {
        let k = 1.0 + (m % 17) as f32 / 10.0;
        (p as f32 / 100.0).powf(k) * (800.0 + (m % 400) as f32)
    })
}

// ---- media players: the music library, parsed and indexed by word.
device_module!(media_players, MediaPlayers, "homeassistant_media_players", "feature", "media",
    domain = "media_player", count = 150,
    attrs = ["volume_level", "is_volume_muted", "media_position"],
    features = ["play", "pause", "volume_set", "select_source", "shuffle", "repeat"],
    extra: crate::modules::media::Library = crate::modules::media::Library::build());

/// `media.play`: finds a track by word in the library index.
#[lmms::operation(interface = "media", op = "play", module = media_players::MediaPlayers)]
pub fn play(m: &media_players::MediaPlayers, entity_id: String, query: String) -> String {
    match m.extra.search(&query) {
        Some(t) => format!("{entity_id} playing {t}"),
        None => format!("{entity_id}: nothing found for {query:?}"),
    }
}

// ---- sensors: per-sensor calibration and a ring of recent readings.
device_module!(sensors, Sensors, "homeassistant_sensors", "feature", "sensors",
    domain = "sensor", count = 3000,
    attrs = ["value", "battery", "offset", "scale"],
    features = ["temperature", "humidity", "illuminance", "power", "co2", "pressure"],
    extra: Vec<Vec<f32>> = reading_rings());

fn reading_rings() -> Vec<Vec<f32>> {
    let mut rng = Rng::for_name("readings");
    (0..data::n(1500))
        .map(|_| {
            let base = rng.unit() as f32 * 30.0;
            (0..288)
                .map(|k| base + ((k as f32) / 24.0).sin() * 2.0)
                .collect()
        })
        .collect()
}

/// `sensors.read`: the latest reading and the 24 h mean of a sensor.
#[lmms::operation(interface = "sensors", op = "read", module = sensors::Sensors)]
pub fn read(m: &sensors::Sensors, entity_id: String) -> String {
    match m.reg.find(&entity_id) {
        Some(i) => {
            let ring = &m.extra[i % m.extra.len()];
            let mean = ring.iter().sum::<f32>() / ring.len() as f32;
            format!(
                "{entity_id} = {:.2} (24 h mean {mean:.2})",
                ring[ring.len() - 1]
            )
        }
        None => format!("{entity_id}: no such sensor"),
    }
}

// ---- cameras: motion-zone bitmaps (64 × 48) per camera and preset.
device_module!(cameras, Cameras, "homeassistant_cameras", "feature", "cameras",
    domain = "camera", count = 120,
    attrs = ["fps", "bitrate", "motion_sensitivity"],
    features = ["stream", "snapshot", "motion", "ptz"],
    extra: Vec<[u64; 48]> = (0..data::n(4_000)).map(|i| {
        let mut rng = Rng::for_name(&format!("zone{i}"));
        std::array::from_fn(|_| rng.next_u64())
    }).collect());

// ---- vacuums: occupancy grids of each floor plan (5 cm cells).
device_module!(vacuums, Vacuums, "homeassistant_vacuums", "feature", "vacuums",
    domain = "vacuum", count = 30,
    attrs = ["battery", "fan_speed", "cleaned_area"],
    features = ["start", "pause", "return_home", "clean_spot", "map"],
    extra: Vec<Vec<u8>> = (0..data::n(30)).map(|f| {
        (0..200 * 200).map(|c| u8::from((c / 200 + f) % 37 == 0 || (c % 200) % 41 == 0)).collect()
    }).collect());

// ---- switches: weekly on/off schedules at 5-minute resolution.
device_module!(switches, Switches, "homeassistant_switches", "feature", "switches",
domain = "switch", count = 1500,
attrs = ["current_power_w", "today_energy_kwh"],
features = ["schedule", "power_monitor"],
extra: Vec<u8> = {
    let mut rng = Rng::for_name("schedules");
    (0..data::n(1500) * 2016 / 8).map(|_| rng.next_u64() as u8).collect()
});

// ---- water heaters: standing-loss table by tank size and temperature difference.
device_module!(water_heaters, WaterHeaters, "homeassistant_water_heaters", "feature", "water_heater",
    domain = "water_heater", count = 40,
    attrs = ["temperature", "target_temperature", "tank_litres"],
    features = ["target_temperature", "operation_mode", "away_mode"],
    extra: Vec<f64> = (0..400 * 80).map(|k| {
        let (litres, dt) = (50.0 + (k / 80) as f64, (k % 80) as f64);
        0.0019 * litres.powf(0.67) * dt
    }).collect());

// ---- irrigation: evapotranspiration per zone and day of year.
device_module!(irrigation, Irrigation, "homeassistant_irrigation", "feature", "irrigation",
    domain = "valve", count = 200,
    attrs = ["flow_lpm", "soil_moisture"],
    features = ["open", "close", "duration"],
    extra: Vec<f32> = (0..data::n(200) * 365).map(|k| {
        let day = (k % 365) as f32;
        3.5 + 2.5 * ((day - 172.0) / 365.0 * std::f32::consts::TAU).cos()
    }).collect());

// ---- doorbells: the chime wavetables (8 kHz, 16-bit).
device_module!(doorbells, Doorbells, "homeassistant_doorbells", "feature", "doorbells",
    domain = "doorbell", count = 60,
    attrs = ["volume", "ring_count"],
    features = ["chime", "snapshot", "talk"],
    extra: Vec<Vec<i16>> = [523.25, 659.25, 783.99, 880.0, 1046.5, 392.0].iter().map(|f| {
        (0..24_000).map(|s| {
            let t = s as f64 / 8000.0;
            ((t * f * std::f64::consts::TAU).sin() * (-t * 1.5).exp() * 30000.0) as i16
        }).collect()
    }).collect());
