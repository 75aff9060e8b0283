//! The function's ~50 modules, grouped as the seeds' protection matrix assigns them:
//! core (never unloaded), utility (grace period and resident floor), feature (unloaded
//! as soon as nothing protects them).

pub mod alexa;
pub mod core;
pub mod devices;
pub mod homeassistant;
pub mod household;
pub mod media;
pub mod platform;
pub mod services;
