//! Geographic data: elevation map tiles of the home's region (geofencing) and an hourly
//! solar-irradiance grid for a year (energy forecasts).

use super::MIB;
use crate::data::{self, Rng};
use lmms::InitError;

// ---------------------------------------------------------------------------------------
/// Pixels along a tile's side.
const TILE: usize = 256;
/// Lattice cells along a tile's side for the interpolated relief.
const LATTICE: usize = 8;

/// Map tiles: 256×256 u16 elevation tiles (128 KiB each), ~144 MiB, rendered at load from
/// the bundled coarse relief (bilinear interpolation of a seeded lattice, as a tile
/// renderer would from a DEM).
#[lmms::module(name = "map_tiles", policy = "utility")]
pub struct MapTiles {
    tiles: Vec<u16>,
}

impl lmms::Init for MapTiles {
    fn init() -> Result<Self, InitError> {
        let count = data::large(144 * MIB) / (TILE * TILE * 2);
        let mut rng = Rng::for_name("map_tiles");
        let mut tiles = Vec::with_capacity(count * TILE * TILE);
        let step = TILE / LATTICE;
        for _ in 0..count {
            let lattice: Vec<f32> = (0..(LATTICE + 1) * (LATTICE + 1))
                .map(|_| rng.below(4_000) as f32)
                .collect();
            // The lattice rows interpolated along x, then each pixel between two of them.
            let rows: Vec<Vec<f32>> = (0..=LATTICE)
                .map(|j| {
                    (0..TILE)
                        .map(|x| {
                            let (gx, fx) = (x / step, (x % step) as f32 / step as f32);
                            let at = |i: usize| lattice[j * (LATTICE + 1) + gx + i];
                            at(0) * (1.0 - fx) + at(1) * fx
                        })
                        .collect()
                })
                .collect();
            for y in 0..TILE {
                let (gy, fy) = (y / step, (y % step) as f32 / step as f32);
                let (top, bottom) = (&rows[gy], &rows[gy + 1]);
                tiles.extend((0..TILE).map(|x| (top[x] * (1.0 - fy) + bottom[x] * fy) as u16));
            }
        }
        Ok(MapTiles { tiles })
    }
}

/// Whether a position is inside the home geofence: the mean elevation of a 64×64 window
/// around it on its tile, against the home's.
#[lmms::operation(interface = "presence", op = "geofence", module = MapTiles)]
pub fn geofence(m: &MapTiles, lat: f64, lon: f64) -> String {
    let count = m.tiles.len() / (TILE * TILE);
    if count == 0 {
        return "no map tiles in this profile".into();
    }
    let key = ((lat * 1e4) as i64)
        .wrapping_mul(31)
        .wrapping_add((lon * 1e4) as i64);
    let tile = key.unsigned_abs() as usize % count;
    let (cy, cx) = (
        key.unsigned_abs() as usize % (TILE - 64),
        (key.unsigned_abs() as usize / 7) % (TILE - 64),
    );
    let base = tile * TILE * TILE;
    let sum: u64 = (cy..cy + 64)
        .flat_map(|y| (cx..cx + 64).map(move |x| base + y * TILE + x))
        .map(|i| m.tiles[i] as u64)
        .sum();
    let mean = sum / (64 * 64);
    format!(
        "tile {tile}: mean elevation {mean} m, {}",
        if mean < 2_000 { "inside" } else { "outside" }
    )
}

// ---------------------------------------------------------------------------------------
/// Hours in the forecast year.
const HOURS: usize = 8_760;

/// Solar forecast: hourly irradiance for a year on ~3 900 grid cells (f32), ~130 MiB,
/// computed at load from the bundled per-cell parameters (latitude, cloudiness).
#[lmms::module(name = "energy_grid", policy = "utility")]
pub struct EnergyGrid {
    grid: Vec<f32>,
}

impl lmms::Init for EnergyGrid {
    fn init() -> Result<Self, InitError> {
        let cells = data::large(130 * MIB) / (HOURS * 4);
        let mut rng = Rng::for_name("energy_grid");
        let mut grid = Vec::with_capacity(cells * HOURS);
        // Solar declination per day and the hour angle's cosine per hour of the day.
        let decl: Vec<(f64, f64)> = (0..HOURS / 24)
            .map(|d| (0.409 * (std::f64::consts::TAU * (d as f64 - 81.0) / 365.0).sin()).sin_cos())
            .collect();
        let hour_cos: Vec<f64> = (0..24)
            .map(|h| (std::f64::consts::TAU * (h as f64 - 12.0) / 24.0).cos())
            .collect();
        for _ in 0..cells {
            let lat = (35.0 + rng.unit() * 30.0).to_radians();
            let cloud = 0.3 + rng.unit() * 0.5;
            let (sl, cl) = lat.sin_cos();
            for &(sd, cd) in &decl {
                for &ch in &hour_cos {
                    let elev = sl * sd + cl * cd * ch;
                    grid.push((1_000.0 * elev.max(0.0) * (1.0 - cloud * rng.unit())) as f32);
                }
            }
        }
        Ok(EnergyGrid { grid })
    }
}

/// Forecast solar energy (kWh/m²) of grid cell `cell` on day `day` of the year.
#[lmms::operation(interface = "energy", op = "solar_forecast", module = EnergyGrid)]
pub fn solar_forecast(m: &EnergyGrid, cell: u64, day: u64) -> String {
    let cells = m.grid.len() / HOURS;
    if cells == 0 {
        return "no forecast grid in this profile".into();
    }
    let start = (cell as usize % cells) * HOURS + (day as usize % 365) * 24;
    let wh: f32 = m.grid[start..start + 24].iter().sum();
    format!("cell {cell} day {day}: {:.2} kWh/m²", wh / 1_000.0)
}
