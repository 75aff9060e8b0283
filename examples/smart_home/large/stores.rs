//! Stores: the device catalogue (parsed from JSON lines) and the firmware images the hub
//! serves for over-the-air updates (with a checksum per 4 KiB block, computed at load).

use super::MIB;
use crate::data::{self, Rng};
use lmms::InitError;
use serde::Deserialize;
use std::collections::HashMap;
use std::fmt::Write as _;

// ---------------------------------------------------------------------------------------
/// One catalogue entry, as the bundled JSON lines describe it.
#[derive(Deserialize)]
struct Device {
    manufacturer: String,
    model: String,
    protocol: String,
    capabilities: Vec<String>,
    firmware: String,
    power_w: f32,
    description: String,
}

/// Device catalogue: ~260 000 device models (Zigbee, Z-Wave, Matter, Wi-Fi) with their
/// descriptions, parsed with serde from JSON lines streamed a chunk at a time like a file
/// reader, with an index by model; ~128 MiB of heap.
#[lmms::module(name = "device_catalogue", policy = "utility")]
pub struct DeviceCatalogue {
    devices: Vec<Device>,
    by_model: HashMap<String, u32>,
}

impl lmms::Init for DeviceCatalogue {
    fn init() -> Result<Self, InitError> {
        let count = data::large(260_000);
        let mut rng = Rng::for_name("device_catalogue");
        let pool: Vec<String> = (0..4_096).map(|_| data::word(&mut rng)).collect();
        let mut devices = Vec::with_capacity(count);
        let mut chunk = String::with_capacity(1 << 20);
        while devices.len() < count {
            chunk.clear();
            for i in devices.len()..count.min(devices.len() + 4_000) {
                let mut w = || pool[rng.below(pool.len())].as_str();
                let _ = write!(
                    chunk,
                    r#"{{"manufacturer":"{}","model":"M{i}-{}","protocol":"{}","capabilities":["{}","{}","{}"],"firmware":"{}.{}","power_w":{},"description":""#,
                    w(),
                    w(),
                    ["zigbee", "zwave", "matter", "wifi"][i % 4],
                    w(),
                    w(),
                    w(),
                    i % 9,
                    i % 200,
                    i % 2_000
                );
                for _ in 0..16 {
                    chunk.push_str(w());
                    chunk.push(' ');
                }
                chunk.push_str("\"}\n");
            }
            for line in chunk.lines() {
                devices.push(serde_json::from_str::<Device>(line)?);
            }
        }
        let by_model = devices
            .iter()
            .enumerate()
            .map(|(i, d)| (d.model.clone(), i as u32))
            .collect();
        Ok(DeviceCatalogue { devices, by_model })
    }
}

/// Looks up catalogue entry number `entry` by its model name (as a pairing flow would),
/// and describes it.
#[lmms::operation(interface = "catalogue", op = "lookup", module = DeviceCatalogue)]
pub fn lookup(c: &DeviceCatalogue, entry: u64) -> String {
    if c.devices.is_empty() {
        return "no catalogue in this profile".into();
    }
    let wanted = &c.devices[entry as usize % c.devices.len()].model;
    match c.by_model.get(wanted) {
        Some(&i) => {
            let d = &c.devices[i as usize];
            format!(
                "{} {} ({}, fw {}, {:.1} W): {}; {} chars of description",
                d.manufacturer,
                d.model,
                d.protocol,
                d.firmware,
                d.power_w,
                d.capabilities.join(", "),
                d.description.len()
            )
        }
        None => format!("unknown model {wanted}"),
    }
}

// ---------------------------------------------------------------------------------------
/// Bytes per firmware block (the unit of a delta update).
const BLOCK: usize = 4096;

/// Fletcher-64 of a block, over its little-endian 32-bit words (the integrity check an
/// update server runs before serving a block).
fn fletcher64(bytes: &[u8]) -> u64 {
    let (mut a, mut b) = (0u64, 0u64);
    for w in bytes.chunks_exact(4) {
        a = (a + u32::from_le_bytes([w[0], w[1], w[2], w[3]]) as u64) % 0xffff_ffff;
        b = (b + a) % 0xffff_ffff;
    }
    b << 32 | a
}

/// Firmware store: ~150 MiB of firmware images for the devices the hub updates over the
/// air, unpacked at load with a Fletcher-64 checksum per 4 KiB block (checked again before
/// serving a block).
#[lmms::module(name = "firmware_store", policy = "utility")]
pub struct FirmwareStore {
    images: Vec<u8>,
    sums: Vec<u64>,
}

impl lmms::Init for FirmwareStore {
    fn init() -> Result<Self, InitError> {
        let n = data::large(150 * MIB) / BLOCK * BLOCK;
        let mut rng = Rng::for_name("firmware_store");
        let mut images = vec![0u8; n];
        for chunk in images.chunks_mut(8) {
            let bytes = rng.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
        let sums = images.chunks(BLOCK).map(fletcher64).collect();
        Ok(FirmwareStore { images, sums })
    }
}

/// Whether device `device` needs an update: its current block is checked against the
/// stored CRC and the block's version is reported.
#[lmms::operation(interface = "ota", op = "check", module = FirmwareStore)]
pub fn check(f: &FirmwareStore, device: u64) -> String {
    if f.sums.is_empty() {
        return "no firmware in this profile".into();
    }
    let block = device as usize % f.sums.len();
    let bytes = &f.images[block * BLOCK..(block + 1) * BLOCK];
    let ok = fletcher64(bytes) == f.sums[block];
    format!(
        "device {device}: block {block} v{} {}",
        bytes[0] % 16,
        if ok { "verified" } else { "CORRUPT" }
    )
}
