//! Limits on what a dynamic call's caller controls: arguments nested absurdly deep are
//! refused with an error naming the operation and the limit — never a stack overflow,
//! neither deserializing them nor dropping them — and an error never echoes a huge name.

use lmms::Error;
use serde_json::{json, Map, Value};

/// Returns how deeply its argument nests arrays and objects.
#[lmms::operation(interface = "deep", op = "depth")]
pub fn depth(v: Value) -> usize {
    nesting(&v)
}

#[lmms::operation(interface = "deep", op = "depth_async")]
pub async fn depth_async(v: Value) -> usize {
    nesting(&v)
}

fn nesting(v: &Value) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(v, 0)];
    while let Some((v, d)) = stack.pop() {
        match v {
            Value::Array(a) => stack.extend(a.iter().map(|c| (c, d + 1))),
            Value::Object(m) => stack.extend(m.values().map(|c| (c, d + 1))),
            _ => {}
        }
        deepest = deepest.max(d);
    }
    deepest
}

/// `levels` nested objects (or arrays) around `null`, built without recursion.
fn nested(levels: usize, objects: bool) -> Value {
    let mut v = Value::Null;
    for _ in 0..levels {
        v = if objects {
            let mut m = Map::new();
            m.insert("k".into(), v);
            Value::Object(m)
        } else {
            Value::Array(vec![v])
        };
    }
    v
}

/// `{"v": v}`, without `json!` (which would serialize `v` recursively).
fn arg_v(v: Value) -> Value {
    let mut m = Map::new();
    m.insert("v".into(), v);
    Value::Object(m)
}

fn assert_too_deep(e: &Error, op: &str) {
    let msg = e.to_string();
    assert!(
        matches!(e, Error::ArgumentTooDeep { param, limit, .. } if param == "v" && *limit == lmms::MAX_ARGUMENT_DEPTH),
        "{msg}"
    );
    assert!(
        msg.contains(&format!("deep.{op}")) && msg.contains("128"),
        "{msg}"
    );
}

#[test]
fn arguments_nested_10_000_deep_are_refused_not_a_stack_overflow() {
    for objects in [true, false] {
        let e = lmms::execute("deep", "depth", arg_v(nested(10_000, objects))).unwrap_err();
        assert_too_deep(&e, "depth");
    }
    // Refused the same whatever comes after the depth check: unknown names, wrong shape.
    let e = lmms::execute("deep", "nope", arg_v(nested(10_000, true))).unwrap_err();
    assert!(matches!(e, Error::UnknownOperation { .. }), "{e}");
    let e = lmms::execute("deep", "depth", nested(10_000, false)).unwrap_err();
    assert!(matches!(e, Error::ArgumentsNotObject { .. }), "{e}");
    // The key under which it nests is named, parameter or not.
    let e = lmms::execute("deep", "depth", nested(10_000, true)).unwrap_err();
    assert!(
        matches!(&e, Error::ArgumentTooDeep { param, .. } if param == "k"),
        "{e}"
    );
}

#[test]
fn arguments_up_to_the_depth_limit_are_accepted() {
    assert_eq!(lmms::MAX_ARGUMENT_DEPTH, 128);
    for objects in [true, false] {
        let at_limit = nested(lmms::MAX_ARGUMENT_DEPTH, objects);
        let v = lmms::execute("deep", "depth", arg_v(at_limit)).unwrap();
        assert_eq!(v, json!(lmms::MAX_ARGUMENT_DEPTH));
        let over = nested(lmms::MAX_ARGUMENT_DEPTH + 1, objects);
        let e = lmms::execute("deep", "depth", arg_v(over)).unwrap_err();
        assert_too_deep(&e, "depth");
    }
}

#[tokio::test]
async fn async_calls_refuse_deep_arguments_too() {
    let e = lmms::execute_async("deep", "depth_async", arg_v(nested(10_000, true)))
        .await
        .unwrap_err();
    assert_too_deep(&e, "depth_async");
    let v = lmms::execute_async("deep", "depth_async", arg_v(nested(3, false)))
        .await
        .unwrap();
    assert_eq!(v, json!(3));
}

#[test]
fn a_huge_unexpected_argument_name_is_cut_in_the_error() {
    // 50 MB of key.
    const LEN: usize = 50 << 20;
    let mut args = Map::new();
    args.insert("k".repeat(LEN), json!(1));
    let e = lmms::execute("deep", "depth", Value::Object(args)).unwrap_err();
    let Error::ExtraArgument { param, .. } = &e else {
        panic!("{e}");
    };
    assert_eq!(param, &format!("{}… ({LEN} bytes)", "k".repeat(64)));
    let msg = e.to_string();
    assert!(msg.len() < 300 && msg.contains("deep.depth"), "{msg}");
    // Cut on a character boundary, counting characters.
    let wide = "é".repeat(100);
    let mut args = Map::new();
    args.insert(wide.clone(), json!(1));
    let e = lmms::execute("deep", "depth", Value::Object(args)).unwrap_err();
    assert!(
        matches!(&e, Error::ExtraArgument { param, .. } if *param == format!("{}… (200 bytes)", "é".repeat(64))),
        "{e}"
    );
    // A name of 64 characters or fewer is given whole.
    let mut args = Map::new();
    args.insert("x".repeat(64), json!(1));
    let e = lmms::execute("deep", "depth", Value::Object(args)).unwrap_err();
    assert!(
        matches!(&e, Error::ExtraArgument { param, .. } if *param == "x".repeat(64)),
        "{e}"
    );
}

/// The start of an error message, for a failed assertion's report.
fn head(msg: &str) -> String {
    msg.chars().take(200).collect()
}

#[test]
fn a_huge_unknown_interface_operation_or_module_name_is_cut_in_the_error() {
    const LEN: usize = 50 << 20;
    let huge = "i".repeat(LEN);
    let cut = format!("{}… ({LEN} bytes)", "i".repeat(64));
    let e = lmms::execute(&huge, "depth", json!({})).unwrap_err();
    let msg = e.to_string();
    assert!(
        matches!(e, Error::UnknownInterface { .. }),
        "{}",
        head(&msg)
    );
    assert!(
        msg.len() < 1000 && msg.contains(&cut),
        "{} bytes: {}",
        msg.len(),
        head(&msg)
    );
    let e = lmms::execute("deep", &huge, json!({})).unwrap_err();
    let msg = e.to_string();
    assert!(
        matches!(e, Error::UnknownOperation { .. }),
        "{}",
        head(&msg)
    );
    assert!(
        msg.len() < 1000 && msg.contains(&cut),
        "{} bytes: {}",
        msg.len(),
        head(&msg)
    );
    let e = lmms::gateway().preload(&huge).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, Error::UnknownModule { .. }), "{}", head(&msg));
    assert!(
        msg.len() < 1000 && msg.contains(&cut),
        "{} bytes: {}",
        msg.len(),
        head(&msg)
    );
}

#[lmms::operation(interface = "deep", op = "count")]
pub fn count(n: u64) -> u64 {
    n
}

#[test]
fn a_huge_ill_typed_argument_value_is_not_echoed_in_the_error() {
    const LEN: usize = 50 << 20;
    let e = lmms::execute("deep", "count", json!({ "n": "v".repeat(LEN) })).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, Error::BadArgument { .. }), "{}", head(&msg));
    assert!(msg.len() < 1000, "{} bytes: {}", msg.len(), head(&msg));
    // The message still says which argument, and what was expected.
    assert!(
        msg.contains("deep.count") && msg.contains("`n`") && msg.ends_with("expected u64"),
        "{msg}"
    );
    // A short reason is given whole.
    let e = lmms::execute("deep", "count", json!({ "n": "seven" })).unwrap_err();
    assert!(
        e.to_string()
            .ends_with(r#"invalid type: string "seven", expected u64"#),
        "{e}"
    );
}
