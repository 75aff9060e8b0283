//! The invocation handler: route the event through lmms.

use lambda_runtime::{Diagnostic, LambdaEvent};
use serde_json::Value;
use std::fmt;

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
/// operation's result as JSON. The boundary work (the sweep after the response, the
/// metrics and heat lines) is `lmms::lambda`'s, set up in `main`.
pub async fn handle(event: LambdaEvent<Value>) -> Result<Value, InvocationError> {
    route(event.payload).await
}

/// The instance's heat profile as an operation, so that an invocation
/// `{"interface": "lmms", "op": "heat"}` exports it (what `LMMS_HEAT_PROFILE` reads in a
/// new instance). It runs on no module.
#[lmms::operation(interface = "lmms", op = "heat")]
pub fn export_heat() -> lmms::HeatProfile {
    lmms::gateway().heat_profile()
}

/// Reads the event and runs the call.
async fn route(payload: Value) -> Result<Value, InvocationError> {
    let invalid = |message: String| {
        Err(InvocationError {
            error_type: "InvalidEvent",
            message,
        })
    };
    let Value::Object(mut event) = payload else {
        return invalid(format!(
            "the event must be a JSON object {{\"interface\", \"op\", \"params\"}}, got {}",
            kind(&payload)
        ));
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
            return invalid(format!("bad event: {}", problems.join("; ")));
        }
    };
    let params = event.remove("params").unwrap_or(Value::Null);
    lmms::execute_async(&interface, &op, params)
        .await
        .map_err(InvocationError::from)
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
