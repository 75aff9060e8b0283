//! A key of a dynamic call's arguments that is no parameter of the operation is reported
//! as such (naming it and the parameters), before any error about the parameters
//! themselves — however many keys there are, and whether or not the parameters are
//! optional.

use lmms::Error;
use serde_json::json;

#[lmms::operation(interface = "names", op = "two")]
pub fn two(city: String, days: u8) -> String {
    format!("{city}:{days}")
}

#[lmms::operation(interface = "names", op = "optional")]
pub fn optional(a: u64, b: Option<u64>) -> u64 {
    a + b.unwrap_or(0)
}

#[lmms::operation(interface = "names", op = "none")]
pub fn none() -> u64 {
    7
}

fn extra(e: &Error) -> &str {
    match e {
        Error::ExtraArgument { param, .. } => param,
        other => panic!("expected ExtraArgument, got {other}"),
    }
}

#[test]
fn a_key_that_is_no_parameter_is_reported_before_anything_else() {
    let call = |op: &str, args| lmms::execute("names", op, args);
    // A misspelled parameter: as many keys as parameters, one of them missing.
    let e = call("two", json!({ "cty": "Oslo", "days": 2 })).unwrap_err();
    assert_eq!(extra(&e), "cty");
    assert!(e.to_string().contains("city, days"), "{e}");
    // The misspelled key next to a bad argument.
    let e = call("two", json!({ "city": 5, "dayz": 2 })).unwrap_err();
    assert_eq!(extra(&e), "dayz");
    // Every parameter fine, the optional one absent, one key too many.
    let e = call("optional", json!({ "a": 1, "c": 2 })).unwrap_err();
    assert_eq!(extra(&e), "c");
    // More keys than parameters.
    let e = call("optional", json!({ "a": 1, "b": 2, "c": 3 })).unwrap_err();
    assert_eq!(extra(&e), "c");
    let e = call("none", json!({ "x": 1 })).unwrap_err();
    assert_eq!(extra(&e), "x");
    assert!(e.to_string().contains("none"), "{e}");
}

#[test]
fn parameters_alone_are_read_and_checked_as_before() {
    let call = |op: &str, args| lmms::execute("names", op, args);
    assert_eq!(
        call("two", json!({ "city": "Oslo", "days": 2 })).unwrap(),
        json!("Oslo:2")
    );
    assert_eq!(call("optional", json!({ "a": 1 })).unwrap(), json!(1));
    assert_eq!(
        call("optional", json!({ "a": 1, "b": 2 })).unwrap(),
        json!(3)
    );
    assert_eq!(call("none", json!({})).unwrap(), json!(7));
    assert_eq!(call("none", json!(null)).unwrap(), json!(7));
    assert!(matches!(
        call("two", json!({ "city": "Oslo" })).unwrap_err(),
        Error::MissingArgument { .. }
    ));
    assert!(matches!(
        call("two", json!({ "city": "Oslo", "days": 999 })).unwrap_err(),
        Error::BadArgument { .. }
    ));
}
