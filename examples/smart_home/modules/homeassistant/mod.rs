//! Home Assistant feature modules (unloaded as soon as nothing protects them):
//! automation, scripts, notifications, scenes, areas, history (energy, calendar,
//! presence, alarm, timers, shopping list, logbook, backup and conversation are in
//! `household.rs`).
//!
//! By concept: `automation.rs` (what runs steps: automations, scripts, scenes),
//! `records.rs` (what the home keeps: notifications, the area graph, history).

pub mod automation;
pub mod records;
