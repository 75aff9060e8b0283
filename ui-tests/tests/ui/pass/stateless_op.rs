#[lmms::operation(interface = "math", op = "add")]
pub fn add(a: i64, b: i64) -> i64 {
    a + b
}

#[lmms::operation(interface = "math", op = "zero")]
fn zero() -> i64 {
    0
}

#[lmms::operation(interface = "math", op = "noop")]
pub fn noop() {}

fn main() {
    assert_eq!(add(2, 3).unwrap(), 5);
    assert_eq!(zero().unwrap(), 0);
    let (): () = noop().unwrap();

    let json = lmms::execute("math", "add", serde_json::json!({"a": 2, "b": 3})).unwrap();
    assert_eq!(json, 5);
    assert_eq!(
        lmms::execute("math", "zero", serde_json::json!({})).unwrap(),
        0
    );
    assert_eq!(
        lmms::execute("math", "noop", serde_json::Value::Null).unwrap(),
        serde_json::Value::Null
    );

    // No module is involved.
    let ops = lmms::gateway().operations();
    let info = ops
        .iter()
        .find(|o| o.interface == "math" && o.op == "add")
        .unwrap();
    assert_eq!(info.module, None);
}
