//! The modelled I/O wait of a request: the round trip to the Home Assistant API (or another
//! service outside AWS) that a real invocation would wait on. The replay has no network, so
//! the wait is drawn from a seeded distribution, passes on the replay clock and is billed;
//! CPU time is measured. The draw depends only on the request's stream and index, so every
//! mode (and both profiles) waits the same for the same request.
//!
//! **An assumption, not a measurement.** A request from an AWS region to a home's Home
//! Assistant goes through a relay (e.g. Home Assistant Cloud's remote access) and the home's
//! broadband link; we take a log-normal round trip with a median of [`MEDIAN_MS`] and a
//! spread of [`SIGMA`] (p99 ≈ 3.2 × the median). Put your own function's figures here.

use crate::data::fnv;

/// Median round trip to the Home Assistant API, ms (assumed).
pub const MEDIAN_MS: f64 = 40.0;
/// Log-normal spread (σ of the log): p99 = median × e^(2.326 σ) ≈ 128 ms.
pub const SIGMA: f64 = 0.5;

/// Interfaces the function answers from its own code and data, without a round trip:
/// conversions, templates, bundled tables, its own caches and the large modules' models,
/// tiles, grids and stores. Every other request reads or changes state in Home Assistant
/// (devices, scenes, automations, history) or calls an outside API (weather, push
/// notifications): one round trip each.
const LOCAL: &[&str] = &[
    "utility",
    "units",
    "i18n",
    "tz",
    "template",
    "validation",
    "debug",
    "init",
    "singleton",
    "cache",
    "config",
    "circuit",
    "websocket",
    "areas",
    "routines",
    "voice",
    "conversation",
    "presence",
    "catalogue",
    "ota",
];

/// Whether a request to `interface.op` waits on a round trip.
pub fn waits(interface: &str, op: &str) -> bool {
    // The large modules' operations on interfaces that otherwise reach Home Assistant.
    let local_op = matches!(
        (interface, op),
        ("cameras", "detect") | ("energy", "solar_forecast")
    );
    !local_op && !LOCAL.contains(&interface)
}

/// The modelled wait of request `index` of `stream`, ns (0 if the request does not wait).
pub fn wait_ns(stream: &str, index: u64, interface: &str, op: &str) -> u64 {
    if !waits(interface, op) {
        return 0;
    }
    // Two uniforms in (0, 1] from the key, then Box–Muller.
    let key = fnv(format!("{stream}#{index}").as_bytes());
    let u = |salt: u64| {
        let h = (key ^ salt).wrapping_mul(0x2545_f491_4f6c_dd1d);
        ((h >> 11) as f64 + 1.0) / (1u64 << 53) as f64
    };
    let z = (-2.0 * u(0x51_7cc1).ln()).sqrt() * (std::f64::consts::TAU * u(0xb5_ad4e)).cos();
    (MEDIAN_MS * (SIGMA * z).exp() * 1e6) as u64
}
