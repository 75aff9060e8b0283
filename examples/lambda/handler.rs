//! The invocation handler: route the event through lmms, then sweep at the boundary.

use lambda_runtime::{Diagnostic, LambdaEvent};
use serde_json::{json, Value};
use std::fmt;
use std::time::Instant;

/// A failed invocation, reported to Lambda as `{"errorType", "errorMessage"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvocationError {
    /// Lambda's `errorType`: `InvalidEvent`, `UnknownOperation`, `InvalidArguments`,
    /// `ModuleInitFailed`, `Misconfigured` or `OperationFailed`.
    pub error_type: &'static str,
    /// Lambda's `errorMessage`: lmms' own message, which names what was asked for.
    pub message: String,
}

impl fmt::Display for InvocationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.error_type, self.message)
    }
}

impl std::error::Error for InvocationError {}

impl From<InvocationError> for Diagnostic {
    fn from(e: InvocationError) -> Diagnostic {
        Diagnostic {
            error_type: e.error_type.to_string(),
            error_message: e.message,
        }
    }
}

impl From<lmms::Error> for InvocationError {
    fn from(e: lmms::Error) -> Self {
        use lmms::Error as E;
        let error_type = match &e {
            E::UnknownInterface { .. } | E::UnknownOperation { .. } | E::NotDynamic { .. } => {
                "UnknownOperation"
            }
            E::ArgumentsNotObject { .. }
            | E::MissingArgument { .. }
            | E::BadArgument { .. }
            | E::ArgumentTooDeep { .. }
            | E::ExtraArgument { .. } => "InvalidArguments",
            E::InitFailed { .. } | E::AsyncInitRequired { .. } => "ModuleInitFailed",
            E::Config(_) | E::Registration(_) => "Misconfigured",
            _ => "OperationFailed",
        };
        InvocationError {
            error_type,
            message: e.to_string(),
        }
    }
}

/// The Lambda handler: one invocation. The event is `{"interface", "op", "params"}`
/// (`params` optional: an object keyed by parameter name); the response is the
/// operation's result as JSON.
///
/// Whatever the outcome, the invocation ends with a sweep (the environment may be frozen
/// as soon as the response is sent, so this is where idle modules are given back) and the
/// `[LMMS_SWEEP]`, `[LMMS_STATS]` and `[LMMS_HEAT]` (the instance's heat profile) log lines.
pub async fn handle(event: LambdaEvent<Value>) -> Result<Value, InvocationError> {
    let (payload, context) = event.into_parts();
    let started = Instant::now();
    let (call, result) = route(payload).await;
    let served_us = started.elapsed().as_micros() as u64;

    let sweep_started = Instant::now();
    let gw = lmms::gateway();
    let report = gw.sweep();
    let sweep_us = sweep_started.elapsed().as_micros() as u64;

    println!(
        "[LMMS_SWEEP] {}",
        json!({
            "request_id": context.request_id,
            "call": call,
            "ok": result.is_ok(),
            "error_type": result.as_ref().err().map(|e| e.error_type),
            "served_us": served_us,
            "sweep_us": sweep_us,
            "unloaded": report.unloaded,
            "reclaimed_bytes": report.reclaimed_bytes,
            "promoted": report.promoted,
            "demoted": report.demoted,
        })
    );
    println!("{}", gw.stats().log_line());
    println!("[LMMS_HEAT] {}", gw.heat_profile().to_json());
    result
}

/// The instance's heat profile as an operation, so that an invocation
/// `{"interface": "lmms", "op": "heat"}` exports it (what `LMMS_HEAT_PROFILE` reads in a
/// new instance). It runs on no module.
#[lmms::operation(interface = "lmms", op = "heat")]
pub fn export_heat() -> lmms::HeatProfile {
    lmms::gateway().heat_profile()
}

/// Reads the event and runs the call. Returns `interface.op` (for the log) and the result.
async fn route(payload: Value) -> (Option<String>, Result<Value, InvocationError>) {
    let invalid = |message: String| {
        Err(InvocationError {
            error_type: "InvalidEvent",
            message,
        })
    };
    let Value::Object(mut event) = payload else {
        return (
            None,
            invalid(format!(
                "the event must be a JSON object {{\"interface\", \"op\", \"params\"}}, got {}",
                kind(&payload)
            )),
        );
    };
    let (interface, op) = match (event.get("interface"), event.get("op")) {
        (Some(Value::String(i)), Some(Value::String(o))) => (i.clone(), o.clone()),
        (i, o) => {
            let what = |name: &str, v: Option<&Value>| match v {
                Some(Value::String(_)) => None,
                Some(other) => Some(format!("`{name}` must be a string, got {}", kind(other))),
                None => Some(format!("`{name}` is missing")),
            };
            let problems: Vec<String> = [what("interface", i), what("op", o)]
                .into_iter()
                .flatten()
                .collect();
            return (None, invalid(format!("bad event: {}", problems.join("; "))));
        }
    };
    let params = event.remove("params").unwrap_or(Value::Null);
    let result = lmms::execute_async(&interface, &op, params)
        .await
        .map_err(InvocationError::from);
    (Some(format!("{interface}.{op}")), result)
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
