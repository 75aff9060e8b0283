//! The Lambda-style handler: an event `{"interface", "op", "params"}` is authorized,
//! routed through `lmms::execute`, logged and measured. Authorization, logging and
//! metrics are typed calls: that is how the application itself uses its modules.

use crate::modules::{core as core_mod, platform};
use serde_json::{json, Value};
use std::time::Instant;

/// The caller's session token (the replay has one user).
const TOKEN: &str = "session-7f3a";

/// Builds an event.
pub fn event(interface: &str, op: &str, params: Value) -> Value {
    json!({"interface": interface, "op": op, "params": params})
}

/// Handles one event; never panics, answers `statusCode` 200, 400, 403 or 500.
pub fn handle(event: &Value) -> Value {
    let start = Instant::now();
    let (Some(interface), Some(op)) = (event["interface"].as_str(), event["op"].as_str()) else {
        return json!({"statusCode": 400, "body": "event needs `interface` and `op`"});
    };
    match platform::access::authorize(TOKEN.into(), interface.into(), op.into()) {
        Ok(true) => {}
        Ok(false) => return json!({"statusCode": 403, "body": "forbidden"}),
        Err(e) => return json!({"statusCode": 500, "body": e.to_string()}),
    }
    let params = event.get("params").cloned().unwrap_or(Value::Null);
    let (status, body) = match lmms::execute(interface, op, params) {
        Ok(v) => (200, v),
        Err(e @ (lmms::Error::InitFailed { .. } | lmms::Error::Config(_))) => {
            (500, Value::String(e.to_string()))
        }
        Err(e) => (400, Value::String(e.to_string())),
    };
    let _ = core_mod::log(
        "app.handler".into(),
        2,
        format!("{interface}.{op} -> {status}"),
    );
    let _ = platform::access::record("request".into(), start.elapsed().as_micros() as u64);
    json!({"statusCode": status, "body": body})
}
