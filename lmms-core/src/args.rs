//! Arguments of dynamic calls: a JSON object keyed by parameter name.

use crate::error::Error;
use crate::operation::OpMeta;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

/// The arguments of one dynamic call, taken parameter by parameter by the generated shim.
#[doc(hidden)]
pub struct Args {
    meta: &'static OpMeta,
    map: Map<String, Value>,
}

impl Args {
    /// Checks the shape: an object (or `null` for no arguments) whose keys are all
    /// parameters of the operation.
    pub fn new(meta: &'static OpMeta, args: Value) -> Result<Self, Error> {
        let map = match args {
            Value::Object(map) => map,
            Value::Null => Map::new(),
            other => {
                return Err(Error::ArgumentsNotObject {
                    interface: meta.interface.into(),
                    op: meta.op.into(),
                    got: kind(&other).into(),
                })
            }
        };
        if let Some(extra) = map.keys().find(|k| !meta.params.contains(&k.as_str())) {
            return Err(Error::ExtraArgument {
                interface: meta.interface.into(),
                op: meta.op.into(),
                param: shorten(extra),
                expected: if meta.params.is_empty() {
                    "none".into()
                } else {
                    meta.params.join(", ")
                },
            });
        }
        Ok(Self { meta, map })
    }

    /// Takes parameter `name`. A missing parameter is an error unless its type accepts
    /// `null` (an `Option`).
    pub fn take<T: DeserializeOwned>(&mut self, name: &'static str) -> Result<T, Error> {
        let meta = self.meta;
        match self.map.remove(name) {
            Some(v) => serde_json::from_value(v).map_err(|e| Error::BadArgument {
                interface: meta.interface.into(),
                op: meta.op.into(),
                param: name.into(),
                reason: e.to_string(),
            }),
            None => serde_json::from_value(Value::Null).map_err(|_| Error::MissingArgument {
                interface: meta.interface.into(),
                op: meta.op.into(),
                param: name.into(),
            }),
        }
    }
}

/// Serializes a result of a dynamic call.
#[doc(hidden)]
pub fn to_json<R: Serialize>(meta: &'static OpMeta, result: &R) -> Result<Value, Error> {
    serde_json::to_value(result).map_err(|e| Error::BadResult {
        interface: meta.interface.into(),
        op: meta.op.into(),
        reason: e.to_string(),
    })
}

/// Characters of a caller-supplied name that an error message repeats; the rest is cut.
const NAME_IN_ERROR_CHARS: usize = 64;

/// `name` as an error message repeats it: whole up to [`NAME_IN_ERROR_CHARS`] characters,
/// else cut there, with an ellipsis and the name's full length (a caller can send a
/// megabyte-long key; the error, which is logged and returned, should not echo it).
fn shorten(name: &str) -> String {
    match name.char_indices().nth(NAME_IN_ERROR_CHARS) {
        None => name.to_string(),
        Some((cut, _)) => format!("{}… ({} bytes)", &name[..cut], name.len()),
    }
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
