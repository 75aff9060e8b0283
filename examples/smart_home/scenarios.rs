//! The seeds' scenarios, replayed on `lmms::ManualClock` inside one child process: a
//! single command, a morning routine of 50 commands in 30 s, 2 minutes idle, a long mixed
//! workload with idle gaps. A sweep runs at every invocation boundary (Lambda style:
//! between invocations the environment is frozen, so nothing runs during idle time).

use crate::data::{self, Rng};
use crate::handler::{event, handle};
use crate::modules::devices;
use crate::wait;
use crate::workload::{large_event, mixed_event, LARGE_ONE_IN};
use lmms::memory::{live_heap_bytes, rss_bytes};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// One handled request: what the bill needs (CPU, modelled wait, peak memory, rebuilds)
/// and what the table shows (handler time, memory after).
#[derive(Clone, Serialize, Deserialize)]
pub struct Request {
    pub scenario: String,
    pub key: String,
    pub t_ms: u64,
    /// Handler time (event in → response out), wall clock.
    pub dur_ns: u64,
    /// The sweep at the invocation boundary (billed too: it runs before the next `/next`).
    pub sweep_ns: u64,
    /// CPU time of the handler and the boundary sweep (plus a sweep that ran between
    /// invocations before this one), this thread, measured.
    pub cpu_ns: u64,
    /// Modelled wait on the Home Assistant API (`wait.rs`), on the replay clock.
    pub wait_ns: u64,
    /// Highest RSS during the invocation (`VmHWM`, reset before it).
    pub peak_rss: u64,
    /// Module builds during the invocation beyond each module's first.
    pub rebuilds: u32,
    pub heap: u64,
    pub rss: u64,
    pub status: u64,
}

/// A heap sample for the plot (replay clock, live heap bytes).
#[derive(Clone, Copy, Serialize, Deserialize)]
pub struct Sample {
    pub t_ms: u64,
    pub heap: u64,
}

/// A sweep that unloaded modules.
#[derive(Clone, Serialize, Deserialize)]
pub struct Unload {
    pub t_ms: u64,
    pub heap: u64,
    pub modules: Vec<String>,
    pub reclaimed: Option<u64>,
}

/// Drives the replay and records what happened.
pub struct Replay {
    pub clock: lmms::ManualClock,
    pub requests: Vec<Request>,
    pub samples: Vec<Sample>,
    pub unloads: Vec<Unload>,
    pub first_response_unix_ns: Option<u64>,
    /// Builds seen so far per module (for rebuilds).
    builds: BTreeMap<&'static str, u64>,
    /// Requests so far per scenario (the index of each modelled wait).
    per_stream: BTreeMap<String, u64>,
    /// CPU of sweeps that ran between invocations, billed with the next one.
    pending_cpu_ns: u64,
    /// Modules of 32 MiB or more resident after the latest invocation.
    big_resident: Vec<String>,
    /// The invocation with the highest peak RSS so far.
    pub peak_at: Option<PeakAt>,
}

/// Where the highest peak RSS of a replay happened.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct PeakAt {
    pub peak_rss: u64,
    /// Index of the invocation in the replay.
    pub index: usize,
    pub key: String,
    /// Modules of 32 MiB or more resident when it started.
    pub big_resident_before: Vec<String>,
}

pub fn heap() -> u64 {
    live_heap_bytes().unwrap_or(0)
}

pub fn rss() -> u64 {
    rss_bytes().unwrap_or(0)
}

pub fn unix_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// CPU time of this thread so far, ns (0 where the clock is missing).
pub fn cpu_ns() -> u64 {
    lmms::memory::thread_cpu_time().map_or(0, |d| d.as_nanos() as u64)
}

/// Resets the kernel's RSS high-water mark (`VmHWM`) to the current RSS, so the next read
/// gives the peak of what ran in between (Linux: `/proc/self/clear_refs`, value 5).
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

impl Replay {
    pub fn new(clock: lmms::ManualClock) -> Replay {
        let mut r = Replay {
            clock,
            requests: Vec::new(),
            samples: Vec::new(),
            unloads: Vec::new(),
            first_response_unix_ns: None,
            builds: BTreeMap::new(),
            per_stream: BTreeMap::new(),
            pending_cpu_ns: 0,
            big_resident: Vec::new(),
            peak_at: None,
        };
        r.count_rebuilds();
        r
    }

    /// Builds beyond each module's first since the last call.
    fn count_rebuilds(&mut self) -> u32 {
        let mut rebuilds = 0;
        self.big_resident.clear();
        for m in lmms::gateway().modules() {
            if m.resident && m.bytes.is_some_and(|b| b >= 32 << 20) {
                self.big_resident.push(m.name.to_string());
            }
            let seen = self.builds.insert(m.name, m.builds).unwrap_or(0);
            let new = m.builds.saturating_sub(seen);
            // The first build of a module is not a rebuild.
            rebuilds += if seen == 0 {
                new.saturating_sub(1)
            } else {
                new
            } as u32;
        }
        rebuilds
    }

    /// One invocation of `scenario`: the handler, the modelled wait, then the boundary sweep.
    pub fn invoke(&mut self, scenario: &str, ev: Value) -> Value {
        self.invoke_in(scenario, scenario, ev)
    }

    /// [`Replay::invoke`], drawing the modelled wait from `stream`'s sequence.
    pub fn invoke_in(&mut self, scenario: &str, stream: &str, ev: Value) -> Value {
        let (interface, op) = (
            ev["interface"].as_str().unwrap_or("").to_string(),
            ev["op"].as_str().unwrap_or("").to_string(),
        );
        let index = self.per_stream.entry(stream.to_string()).or_insert(0);
        let wait_ns = wait::wait_ns(stream, *index, &interface, &op);
        *index += 1;
        reset_peak_rss();
        let cpu0 = cpu_ns();
        let start = Instant::now();
        let response = handle(&ev);
        let dur_ns = start.elapsed().as_nanos() as u64;
        if self.first_response_unix_ns.is_none() {
            self.first_response_unix_ns = Some(unix_ns());
        }
        self.clock.advance(Duration::from_nanos(wait_ns));
        let t_ms = self.clock.now_ms();
        self.samples.push(Sample { t_ms, heap: heap() });
        let sweep_ns = self.sweep_only();
        let cpu_ns = cpu_ns().saturating_sub(cpu0) + std::mem::take(&mut self.pending_cpu_ns);
        let peak_rss = lmms::memory::rss_high_water_bytes().unwrap_or(0);
        if self.peak_at.as_ref().is_none_or(|p| peak_rss > p.peak_rss) {
            self.peak_at = Some(PeakAt {
                peak_rss,
                index: self.requests.len(),
                key: format!("{interface}.{op}"),
                big_resident_before: self.big_resident.clone(),
            });
        }
        let rebuilds = self.count_rebuilds();
        self.requests.push(Request {
            scenario: scenario.into(),
            key: format!("{interface}.{op}"),
            t_ms,
            dur_ns,
            sweep_ns,
            cpu_ns,
            wait_ns,
            peak_rss,
            rebuilds,
            heap: heap(),
            rss: rss(),
            status: response["statusCode"].as_u64().unwrap_or(0),
        });
        response
    }

    /// A sweep between invocations (after an idle period): its CPU is billed with the next
    /// invocation.
    pub fn sweep(&mut self) {
        let cpu0 = cpu_ns();
        self.sweep_only();
        self.pending_cpu_ns += cpu_ns().saturating_sub(cpu0);
    }

    /// A sweep; returns its wall-clock duration in ns.
    fn sweep_only(&mut self) -> u64 {
        let start = Instant::now();
        let report = lmms::gateway().sweep();
        let ns = start.elapsed().as_nanos() as u64;
        let t_ms = self.clock.now_ms();
        if !report.unloaded.is_empty() {
            self.unloads.push(Unload {
                t_ms,
                heap: heap(),
                modules: report.unloaded.clone(),
                reclaimed: report.reclaimed_bytes,
            });
        }
        self.samples.push(Sample { t_ms, heap: heap() });
        ns
    }

    /// Time passes with no invocation (the environment is frozen: no sweep).
    pub fn idle(&self, d: Duration) {
        self.clock.advance(d);
    }
}

/// Scenario 1: "turn on the living room lights", then the same command a second later.
pub fn single_command(r: &mut Replay) {
    let ev = event(
        "lights",
        "turn_on",
        json!({"entity_id": data::entity_id("light", 0)}),
    );
    r.invoke("single", ev.clone());
    r.idle(Duration::from_secs(1));
    r.invoke("single", ev);
}

/// Scenario 2: an Alexa morning routine, 50 commands in 30 s.
pub fn morning_routine(r: &mut Replay) {
    for i in 0..50 {
        let room = i % data::ROOMS.len();
        let ev = match i % 12 {
            0 => event(
                "lights",
                "turn_on",
                json!({"entity_id": data::entity_id("light", room)}),
            ),
            1 => event(
                "climate",
                "set_temperature",
                json!({"entity_id": data::entity_id("climate", room), "celsius": 21.5}),
            ),
            2 => event(
                "covers",
                "turn_on",
                json!({"entity_id": data::entity_id("cover", room)}),
            ),
            3 => event(
                "switches",
                "turn_on",
                json!({"entity_id": data::entity_id("switch", 1)}),
            ),
            4 => event("weather", "forecast", json!({"city": "Oslo"})),
            5 => event(
                "media",
                "play",
                json!({"entity_id": data::entity_id("media_player", 1), "query": "morning"}),
            ),
            6 => event("calendar", "agenda", json!({"day": 120})),
            7 => event(
                "alexa",
                "directive",
                json!({"namespace": "Alexa.PowerController", "name": "TurnOn", "endpoint_id": data::entity_id("light", room + 12)}),
            ),
            8 => event(
                "sensors",
                "read",
                json!({"entity_id": data::entity_id("sensor", room)}),
            ),
            9 => event("scenes", "activate", json!({"name": "morning"})),
            10 => event(
                "ha",
                "get_state",
                json!({"entity_id": data::entity_id("light", 1)}),
            ),
            _ => event(
                "notifications",
                "send",
                json!({"target": "phone_0", "message": "Good morning"}),
            ),
        };
        r.invoke("morning", ev);
        r.idle(Duration::from_millis(600));
    }
}

/// Scenario 3: two minutes without a request; the next invocation's boundary sweep runs.
pub fn idle_two_minutes(r: &mut Replay) {
    r.idle(Duration::from_secs(120));
    r.sweep();
}

/// Scenario 4: `n` requests, 0.2–3 s apart, with an idle gap of 1–20 min every ~350. In the
/// large profile, after about one request in [`LARGE_ONE_IN`], 0.2–3 s later, a request for
/// a large module (its own generator: the other requests are those of the small profile).
/// `seed` prefixes the generators' names ("" for the measured replay).
pub fn mixed_workload(r: &mut Replay, n: usize, seed: &str) {
    let mut rng = Rng::for_name(&format!("{seed}mixed workload"));
    let mut large_rng = Rng::for_name(&format!("{seed}large requests"));
    for i in 0..n {
        let ev = mixed_event(&mut rng);
        r.invoke("mixed", ev);
        if data::large_enabled() && large_rng.below(LARGE_ONE_IN) == 0 {
            r.idle(Duration::from_millis(200 + large_rng.below(2_800) as u64));
            let ev = large_event(&mut large_rng);
            r.invoke_in("mixed", "large", ev);
        }
        if i % 350 == 349 {
            r.idle(Duration::from_secs(60 + rng.below(19 * 60) as u64));
        } else {
            r.idle(Duration::from_millis(200 + rng.below(2_800) as u64));
        }
    }
}

/// The hot path: `calls` typed calls of `sensors.read` timed as one batch (ns per call),
/// and whether that operation had its fast-path slot filled.
pub fn hot_path(calls: usize) -> (f64, bool) {
    let id = data::entity_id("sensor", 3);
    let _ = devices::read(id.clone());
    let start = Instant::now();
    let mut sink = 0usize;
    for _ in 0..calls {
        sink += devices::read(id.clone()).map_or(0, |s| s.len());
    }
    let ns = start.elapsed().as_nanos() as f64 / calls as f64;
    std::hint::black_box(sink);
    let filled = lmms::gateway()
        .operations()
        .iter()
        .any(|o| o.interface == "sensors" && o.op == "read" && o.fast_path);
    (ns, filled)
}
