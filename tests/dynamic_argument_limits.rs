//! Limits on what a dynamic call's caller controls: an error never echoes a huge name.

use lmms::Error;
use serde_json::{json, Map, Value};

/// Takes one JSON argument, `v`.
#[lmms::operation(interface = "deep", op = "depth")]
pub fn depth(v: Value) -> usize {
    v.as_array().map_or(0, |a| a.len())
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
