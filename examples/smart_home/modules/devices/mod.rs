//! Device modules (`homeassistant_lights`, `_climate`, …): each parses its bundled entity
//! registry (JSON, a different attribute schema and size per domain) and builds one
//! domain-specific table. `device_module!` declares the shared part; the table and any
//! extra operation are written out per domain.

use crate::data::{self, Rng};
use lmms::InitError;
use serde::Deserialize;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU32, Ordering};

/// One entity as the bundled registry describes it.
#[derive(Deserialize)]
pub struct Entity {
    pub entity_id: String,
    pub name: String,
    pub area: String,
    pub manufacturer: String,
    pub model: String,
    pub attributes: Vec<(String, f64)>,
    pub supported: Vec<String>,
}

/// A parsed registry plus live state (bit 31: on; low 16 bits: level).
pub struct Registry {
    pub entities: Vec<Entity>,
    pub index: HashMap<String, u32>,
    pub state: Vec<AtomicU32>,
}

const MAKERS: &[&str] = &[
    "Philips", "IKEA", "Aqara", "Shelly", "Ecobee", "Yale", "Somfy", "Sonos", "Eufy", "Bosch",
];

impl Registry {
    /// Generates the domain's registry document, then parses and indexes it.
    pub fn build(
        domain: &str,
        count: usize,
        attrs: &[&str],
        features: &[&str],
    ) -> Result<Registry, InitError> {
        let mut rng = Rng::for_name(domain);
        let text = data::json_array(&mut rng, count, |i, rng, out| {
            let id = data::entity_id(domain, i);
            let _ = write!(
                out,
                r#"{{"entity_id":"{id}","name":"{} {}","area":"{}","manufacturer":"{}","model":"{}-{}","attributes":["#,
                data::word(rng),
                domain,
                data::ROOMS[i % data::ROOMS.len()],
                rng.pick(MAKERS),
                data::word(rng).to_uppercase(),
                rng.below(900) + 100
            );
            for (k, a) in attrs.iter().enumerate() {
                let sep = if k > 0 { "," } else { "" };
                let _ = write!(out, r#"{sep}["{a}",{:.3}]"#, rng.unit() * 255.0);
            }
            out.push_str(r#"],"supported":["#);
            let mut first = true;
            for f in features.iter().filter(|_| rng.below(4) > 0) {
                let _ = write!(out, r#"{}"{f}""#, if first { "" } else { "," });
                first = false;
            }
            out.push_str("]}");
        });
        let entities: Vec<Entity> = serde_json::from_str(&text)?;
        let index = entities
            .iter()
            .enumerate()
            .map(|(i, e)| (e.entity_id.clone(), i as u32))
            .collect();
        let state = (0..entities.len())
            .map(|i| AtomicU32::new((i as u32 * 37) % 256))
            .collect();
        Ok(Registry {
            entities,
            index,
            state,
        })
    }

    pub fn find(&self, id: &str) -> Option<usize> {
        self.index.get(id).map(|&i| i as usize)
    }

    pub fn describe(&self, id: &str, table: usize) -> String {
        match self.find(id) {
            Some(i) => {
                let e = &self.entities[i];
                let s = self.state[i].load(Ordering::Relaxed);
                format!(
                    "{} \"{}\" ({}, {} {}, {} attributes, {} features, table {table}): {} level {}",
                    e.entity_id,
                    e.name,
                    e.area,
                    e.manufacturer,
                    e.model,
                    e.attributes.len(),
                    e.supported.len(),
                    if s >> 31 == 1 { "on" } else { "off" },
                    s & 0xffff
                )
            }
            None => format!("{id}: no such entity"),
        }
    }

    pub fn switch(&self, id: &str, on: bool) -> String {
        match self.find(id) {
            Some(i) => {
                if on {
                    self.state[i].fetch_or(1 << 31, Ordering::Relaxed);
                } else {
                    self.state[i].fetch_and(0x7fff_ffff, Ordering::Relaxed);
                }
                format!("{id} turned {}", if on { "on" } else { "off" })
            }
            None => format!("{id}: no such entity"),
        }
    }
}

/// Entry count of a domain table (shown by `get_state`).
pub trait Table {
    fn entries(&self) -> usize;
}

impl<T> Table for Vec<T> {
    fn entries(&self) -> usize {
        self.len()
    }
}

impl<A: Table, B: Table> Table for (A, B) {
    fn entries(&self) -> usize {
        self.0.entries() + self.1.entries()
    }
}

impl Table for std::collections::HashSet<u64> {
    fn entries(&self) -> usize {
        self.len()
    }
}

impl Table for crate::modules::media::Library {
    fn entries(&self) -> usize {
        self.track_count()
    }
}

/// Declares a device module: its state (registry + `extra` table), its `init`, and the
/// operations `get_state`, `turn_on`, `turn_off` on interface `$iface`.
macro_rules! device_module {
    (
        $modname:ident, $ty:ident, $name:literal, $policy:literal, $iface:literal,
        domain = $domain:literal, count = $count:expr,
        attrs = [$($attr:literal),*], features = [$($feat:literal),*],
        extra: $extra_ty:ty = $extra:expr
    ) => {
        pub mod $modname {
            use super::*;

            #[lmms::module(name = $name, policy = $policy)]
            pub struct $ty {
                pub reg: Registry,
                pub extra: $extra_ty,
            }

            impl lmms::Init for $ty {
                fn init() -> Result<Self, InitError> {
                    let reg = Registry::build(
                        $domain,
                        data::n($count),
                        &[$($attr),*],
                        &[$($feat),*],
                    )?;
                    Ok($ty { reg, extra: $extra })
                }
            }

            #[lmms::operation(interface = $iface, op = "get_state", module = $ty)]
            pub fn get_state(m: &$ty, entity_id: String) -> String {
                m.reg.describe(&entity_id, Table::entries(&m.extra))
            }

            #[lmms::operation(interface = $iface, op = "turn_on", module = $ty)]
            pub fn turn_on(m: &$ty, entity_id: String) -> String {
                m.reg.switch(&entity_id, true)
            }

            #[lmms::operation(interface = $iface, op = "turn_off", module = $ty)]
            pub fn turn_off(m: &$ty, entity_id: String) -> String {
                m.reg.switch(&entity_id, false)
            }
        }
    };
}

// The domains (after the macro, so that it is in scope there).
mod domains;

pub use domains::*;
