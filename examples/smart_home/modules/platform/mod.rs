//! Utility modules of the platform layer (30 s grace period, resident floor):
//! security, metrics, HTTP client, configuration, the Home Assistant connection,
//! circuit breaker, websocket, debug and utility helpers, start-up plan.
//!
//! By concept: `access.rs` (who may call, what it measured), `connection.rs` (talking to
//! Home Assistant and the cloud), `tools.rs` (debugging, helpers, the start-up plan).

pub mod access;
pub mod connection;
pub mod tools;
