//! Arguments of dynamic calls: a JSON object keyed by parameter name.
//!
//! The caller builds the [`Value`], so it can be nested arbitrarily deep, and both
//! deserializing it and dropping it recurse once per level. The gateway therefore checks
//! the depth without recursion ([`accept`]) before anything else touches the value, and
//! takes apart a value it refuses without recursion too ([`dismantle`]).

use crate::error::Error;
use crate::handle::OpHandle;
use crate::operation::OpMeta;
use serde_core::de::DeserializeOwned;
use serde_core::Serialize;
use serde_json::{Map, Value};
use std::mem::ManuallyDrop;

/// How deeply one argument of a dynamic call ([`execute`](crate::execute),
/// [`execute_async`](crate::execute_async)) may nest JSON arrays and objects: a scalar is
/// depth 0, `[1]` depth 1, `{"a": [1]}` depth 2. A deeper argument is refused with
/// [`Error::ArgumentTooDeep`] before it is deserialized: deserializing (and dropping) a
/// JSON value recurses once per level, and a value nested thousands deep would overflow
/// the stack. Real arguments stay far below; serde_json's parser stops at the same depth.
///
/// ```
/// use serde_json::json;
///
/// #[lmms::operation(interface = "docs_depth", op = "echo")]
/// pub fn echo(v: serde_json::Value) -> serde_json::Value {
///     v
/// }
///
/// // MAX_ARGUMENT_DEPTH + 1 nested arrays: one level too many.
/// let mut v = json!(0);
/// for _ in 0..=lmms::MAX_ARGUMENT_DEPTH {
///     v = json!([v]);
/// }
/// let err = lmms::execute("docs_depth", "echo", json!({ "v": v })).unwrap_err();
/// assert!(matches!(err, lmms::Error::ArgumentTooDeep { limit: 128, .. }));
/// ```
pub const MAX_ARGUMENT_DEPTH: usize = 128;

/// The operation `found` for a dynamic call, if its arguments are no deeper than
/// [`MAX_ARGUMENT_DEPTH`]. If not, [`refuse`] gives the error.
#[inline]
pub(crate) fn accept(
    found: Option<&'static dyn OpHandle>,
    args: &Value,
) -> Option<&'static OpMeta> {
    match found {
        // The object holding the arguments is one level more.
        Some(op) if !exceeds(args, MAX_ARGUMENT_DEPTH + 1) => Some(&op.common().meta),
        _ => None,
    }
}

/// The error for arguments [`accept`] turns away (or the lookup's own), after taking the
/// arguments apart without recursion.
#[cold]
pub(crate) fn refuse(found: Result<&'static dyn OpHandle, Error>, args: Value) -> Error {
    let err = match found {
        Err(e) => e,
        Ok(op) => {
            let meta = &op.common().meta;
            match &args {
                Value::Object(map) => Error::ArgumentTooDeep {
                    interface: meta.interface.into(),
                    op: meta.op.into(),
                    param: map
                        .iter()
                        .find(|(_, v)| exceeds(v, MAX_ARGUMENT_DEPTH))
                        .map_or_else(String::new, |(k, _)| shorten(k)),
                    limit: MAX_ARGUMENT_DEPTH,
                },
                other => Error::ArgumentsNotObject {
                    interface: meta.interface.into(),
                    op: meta.op.into(),
                    got: kind(other).into(),
                },
            }
        }
    };
    dismantle(args);
    err
}

/// Whether `v` nests arrays and objects more than `limit` deep. Iterative: a stack of the
/// containers still to visit, each with its depth (the root container is depth 1). Only
/// nested containers are pushed, so flat arguments cost no allocation.
#[inline]
fn exceeds(v: &Value, limit: usize) -> bool {
    match v {
        // The usual arguments, an object of scalars, are one pass over its values: only a
        // container among them is walked (one level down, so one level less).
        Value::Object(m) => {
            limit == 0
                || m.values()
                    .any(|c| is_container(c) && exceeds_walk(c, limit - 1))
        }
        Value::Array(_) => exceeds_walk(v, limit),
        // `null` (no arguments) or a scalar: nothing to walk.
        _ => false,
    }
}

fn exceeds_walk(v: &Value, limit: usize) -> bool {
    let mut stack = Vec::new();
    let mut next = Some((v, 1));
    while let Some((v, depth)) = next.take().or_else(|| stack.pop()) {
        if !is_container(v) {
            continue;
        }
        if depth > limit {
            return true;
        }
        let items = v.as_array().into_iter().flatten();
        let values = v.as_object().into_iter().flat_map(|m| m.values());
        stack.extend(
            items
                .chain(values)
                .filter(|c| is_container(c))
                .map(|c| (c, depth + 1)),
        );
    }
    false
}

fn is_container(v: &Value) -> bool {
    matches!(v, Value::Array(_) | Value::Object(_))
}

/// Drops `v` without recursion: each container's children are moved out before it drops.
pub(crate) fn dismantle(v: Value) {
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            Value::Array(a) => stack.extend(a),
            Value::Object(m) => stack.extend(m.into_iter().map(|(_, v)| v)),
            _ => {}
        }
    }
}

/// The arguments of one dynamic call, taken parameter by parameter by the generated shim.
#[doc(hidden)]
pub struct Args {
    meta: &'static OpMeta,
    /// `None` for `null`: no map to build or drop on a call without arguments. Dropped by
    /// [`Args`]'s own `Drop`, out of line: the generated shim, which drops its `Args` on
    /// each of its exits (every `?`), then holds a call there instead of a copy of the
    /// map's drop code.
    map: ManuallyDrop<Option<Map<String, Value>>>,
    /// Parameters taken so far, and how many of them were in the map: once all are taken,
    /// the map holds a key that is no parameter exactly when `found < map.len()`.
    taken: usize,
    found: usize,
}

impl Args {
    /// Checks the shape: an object (or `null` for no arguments) with no more keys than
    /// the operation has parameters. That every key is a parameter is checked by the
    /// takes (without a pass of its own): before any error a take returns, and after the
    /// last one, so a key that is no parameter is reported as before any other error.
    #[inline]
    pub fn new(meta: &'static OpMeta, args: Value) -> Result<Self, Error> {
        match args {
            Value::Null => Ok(Self {
                meta,
                map: ManuallyDrop::new(None),
                taken: 0,
                found: 0,
            }),
            args => Self::from_object(meta, args),
        }
    }

    fn from_object(meta: &'static OpMeta, args: Value) -> Result<Self, Error> {
        let map = match args {
            Value::Object(map) => map,
            other => {
                return Err(Error::ArgumentsNotObject {
                    interface: meta.interface.into(),
                    op: meta.op.into(),
                    got: kind(&other).into(),
                })
            }
        };
        let args = Self {
            meta,
            map: ManuallyDrop::new(Some(map)),
            taken: 0,
            found: 0,
        };
        // More keys than parameters: one of them is no parameter.
        if args.keys() > meta.params.len() {
            if let Some(e) = args.extra() {
                return Err(e);
            }
        }
        Ok(args)
    }

    fn keys(&self) -> usize {
        self.map.as_ref().map_or(0, Map::len)
    }

    /// The error for a key of the map that is no parameter, if there is one.
    #[cold]
    fn extra(&self) -> Option<Error> {
        let meta = self.meta;
        let map = self.map.as_ref()?;
        let extra = map.keys().find(|k| !meta.params.contains(&k.as_str()))?;
        Some(Error::ExtraArgument {
            interface: meta.interface.into(),
            op: meta.op.into(),
            param: shorten(extra),
            expected: if meta.params.is_empty() {
                "none".into()
            } else {
                meta.params.join(", ")
            },
        })
    }

    /// Takes parameter `name`. A missing parameter is an error unless its type accepts
    /// `null` (an `Option`).
    pub fn take<T: DynamicArgument>(&mut self, name: &'static str) -> Result<T, Error> {
        // Taken in place (`null` left behind): removing would rebalance the map for each
        // parameter, and the map is dropped whole at the end of the call anyway.
        let got = self
            .map
            .as_mut()
            .and_then(|m| m.get_mut(name))
            .map(Value::take);
        self.taken += 1;
        self.found += usize::from(got.is_some());
        // The last parameter: any key not taken is no parameter.
        if self.taken == self.meta.params.len() && self.found < self.keys() {
            if let Some(e) = self.extra() {
                return Err(e);
            }
        }
        match got {
            Some(v) => serde_json::from_value(v).map_err(|e| self.bad(name, e)),
            None => serde_json::from_value(Value::Null).map_err(|_| self.missing(name)),
        }
    }

    /// The error for parameter `name` that could not be read, unless a key is no
    /// parameter (reported first).
    #[cold]
    fn bad(&self, name: &'static str, e: serde_json::Error) -> Error {
        self.extra().unwrap_or_else(|| Error::BadArgument {
            interface: self.meta.interface.into(),
            op: self.meta.op.into(),
            param: name.into(),
            reason: shorten_reason(e.to_string()),
        })
    }

    /// The error for parameter `name` that is not there, unless a key is no parameter
    /// (reported first: likely the same parameter, misspelled).
    #[cold]
    fn missing(&self, name: &'static str) -> Error {
        self.extra().unwrap_or_else(|| Error::MissingArgument {
            interface: self.meta.interface.into(),
            op: self.meta.op.into(),
            param: name.into(),
        })
    }
}

impl Drop for Args {
    #[inline]
    fn drop(&mut self) {
        if self.map.is_some() {
            self.drop_map();
        }
    }
}

impl Args {
    #[inline(never)]
    fn drop_map(&mut self) {
        drop(std::mem::take(&mut *self.map));
    }
}

/// What an argument of a dynamic operation must be: it is read from the caller's JSON.
/// Implemented for every `DeserializeOwned` type; the generated shim names it at the
/// argument's type, so a type without serde is one error there, naming both fixes.
#[diagnostic::on_unimplemented(
    message = "operations are callable by name, so this argument must implement `serde::Deserialize`; derive it, or add `dynamic = false` to call the operation only through its typed wrapper",
    label = "`{Self}` does not implement `serde::Deserialize`",
    note = "`lmms::execute` reads each argument of the operation from JSON",
    note = "if `{Self}` derives it already, your lockfile has a serde older than 1.0.220, whose traits are not the ones lmms uses: run `cargo update -p serde`"
)]
pub trait DynamicArgument: DeserializeOwned {}
// `do_not_recommend`: report `T: DynamicArgument` (the message above), not serde's bound.
#[diagnostic::do_not_recommend]
impl<T: DeserializeOwned> DynamicArgument for T {}

/// What the result of a dynamic operation must be: it is returned to the caller as JSON.
/// Implemented for every `Serialize` type; named by the shim at the declared return type.
#[diagnostic::on_unimplemented(
    message = "operations are callable by name, so this result must implement `serde::Serialize`; derive it, or add `dynamic = false` to call the operation only through its typed wrapper",
    label = "`{Self}` does not implement `serde::Serialize`",
    note = "`lmms::execute` returns the operation's result as JSON",
    note = "if `{Self}` derives it already, your lockfile has a serde older than 1.0.220, whose traits are not the ones lmms uses: run `cargo update -p serde`"
)]
pub trait DynamicResult: Serialize {}
#[diagnostic::do_not_recommend]
impl<T: Serialize + ?Sized> DynamicResult for T {}

/// Serializes a result of a dynamic call.
#[doc(hidden)]
pub fn to_json<R: DynamicResult>(meta: &'static OpMeta, result: &R) -> Result<Value, Error> {
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
pub(crate) fn shorten(name: &str) -> String {
    match name.char_indices().nth(NAME_IN_ERROR_CHARS) {
        None => name.to_string(),
        Some((cut, _)) => format!("{}… ({} bytes)", &name[..cut], name.len()),
    }
}

/// Characters kept at each end of a long [`Error::BadArgument`] reason.
const REASON_END_CHARS: usize = 96;

/// The reason an argument could not be read, as an error message repeats it: whole up to
/// about twice [`REASON_END_CHARS`] characters, else its first and last
/// [`REASON_END_CHARS`] characters around an ellipsis and its full length. serde's message
/// quotes the refused value (`invalid type: string "…", expected u64`), which the caller
/// chooses and can make a megabyte long; its end says what was expected.
fn shorten_reason(reason: String) -> String {
    if reason
        .char_indices()
        .nth(2 * REASON_END_CHARS + 16)
        .is_none()
    {
        return reason;
    }
    let head = reason
        .char_indices()
        .nth(REASON_END_CHARS)
        .map_or(0, |(i, _)| i);
    let tail = reason
        .char_indices()
        .nth_back(REASON_END_CHARS - 1)
        .map_or(reason.len(), |(i, _)| i);
    format!(
        "{}… ({} bytes) …{}",
        &reason[..head],
        reason.len(),
        &reason[tail..]
    )
}

/// What a JSON value is, for an error message ("an array").
pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
