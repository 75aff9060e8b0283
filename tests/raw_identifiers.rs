//! Raw identifiers are names without their `r#`: a parameter `r#type` is the JSON key
//! `type`, and a module `struct r#Kw` is named `kw` by default.

use lmms::{Error, Init, InitError};
use serde_json::json;

#[lmms::module]
pub struct r#Kw(u8);

impl Init for Kw {
    fn init() -> Result<Self, InitError> {
        Ok(Kw(1))
    }
}

#[lmms::operation(interface = "raw", op = "kw")]
pub fn kw(r#type: String, r#in: u8) -> String {
    format!("{type}:{in}", type = r#type, in = r#in)
}

#[lmms::operation(interface = "raw", op = "match", module = Kw)]
pub fn r#match(k: &Kw, r#type: u8) -> u8 {
    k.0 + r#type
}

#[test]
fn raw_parameters_are_read_from_their_plain_names() {
    assert_eq!(kw("x".into(), 2).unwrap(), "x:2");
    assert_eq!(
        lmms::execute("raw", "kw", json!({ "type": "x", "in": 2 })).unwrap(),
        json!("x:2")
    );
    assert_eq!(r#match(2).unwrap(), 3);
    assert_eq!(
        lmms::execute("raw", "match", json!({ "type": 2 })).unwrap(),
        json!(3)
    );
    // The `r#` form is no key, and the error names the parameters as JSON spells them.
    match lmms::execute("raw", "kw", json!({ "r#type": "x", "in": 2 })).unwrap_err() {
        Error::ExtraArgument {
            param, expected, ..
        } => {
            assert_eq!(param, "r#type");
            assert_eq!(expected, "type, in");
        }
        other => panic!("expected ExtraArgument, got {other}"),
    }
    match lmms::execute("raw", "kw", json!({ "in": 2 })).unwrap_err() {
        Error::MissingArgument { param, .. } => assert_eq!(param, "type"),
        other => panic!("expected MissingArgument, got {other}"),
    }
}

#[test]
fn a_raw_module_name_defaults_without_its_prefix() {
    assert_eq!(r#match(0).unwrap(), 1);
    let names: Vec<_> = lmms::gateway().modules().iter().map(|m| m.name).collect();
    assert_eq!(names, ["kw"]);
    let op = lmms::gateway()
        .operations()
        .into_iter()
        .find(|o| o.op == "match")
        .unwrap();
    assert_eq!(op.module, Some("kw"));
}
