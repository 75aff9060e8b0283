//! A parameter may be named like its operation (`fn count(count: u32)`): the expansion
//! binds no local that shadows the function it calls. Typed and by name; stateless, with
//! a module and a cache, flattened and async.

use lmms::{Init, InitError};
use serde_json::json;

#[lmms::operation(interface = "same", op = "count")]
pub fn count(count: u32) -> u32 {
    count + 1
}

#[lmms::module(name = "same_base")]
pub struct Base(u32);

impl Init for Base {
    fn init() -> Result<Self, InitError> {
        Ok(Base(100))
    }
}

#[lmms::operation(interface = "same", op = "offset", module = Base, cache_ttl = "1h")]
pub fn offset(b: &Base, offset: u32) -> u32 {
    b.0 + offset
}

#[derive(Debug, serde::Serialize)]
pub struct Failed(String);

impl From<lmms::Error> for Failed {
    fn from(e: lmms::Error) -> Self {
        Failed(e.to_string())
    }
}

#[lmms::operation(interface = "same", op = "half", flatten = true, cache_ttl = "1h")]
pub fn half(half: u32) -> Result<u32, Failed> {
    if half % 2 == 0 {
        Ok(half / 2)
    } else {
        Err(Failed(format!("{half} is odd")))
    }
}

#[lmms::operation(interface = "same", op = "double")]
pub async fn double(double: u32) -> u32 {
    double * 2
}

#[test]
fn typed_and_by_name() {
    assert_eq!(count(1).unwrap(), 2);
    assert_eq!(
        lmms::execute("same", "count", json!({ "count": 1 })).unwrap(),
        json!(2)
    );
    assert_eq!(offset(1).unwrap(), 101);
    assert_eq!(
        lmms::execute("same", "offset", json!({ "offset": 2 })).unwrap(),
        json!(102)
    );
    assert_eq!(half(4).unwrap(), 2);
    assert!(half(3).is_err());
    assert_eq!(
        lmms::execute("same", "half", json!({ "half": 6 })).unwrap(),
        json!({ "Ok": 3 })
    );
}

/// An operation declared in a function body (as in a doc test) is found the same way.
#[test]
fn in_a_function_body() {
    #[lmms::operation(interface = "same", op = "local")]
    fn local(local: u32) -> u32 {
        local + 3
    }
    assert_eq!(local(1).unwrap(), 4);
    assert_eq!(
        lmms::execute("same", "local", json!({ "local": 1 })).unwrap(),
        json!(4)
    );
}

/// Also when the name is a raw identifier.
#[lmms::operation(interface = "same", op = "loop")]
pub fn r#loop(r#loop: u32) -> u32 {
    r#loop * 10
}

#[test]
fn a_raw_name() {
    assert_eq!(r#loop(1).unwrap(), 10);
    assert_eq!(
        lmms::execute("same", "loop", json!({ "loop": 2 })).unwrap(),
        json!(20)
    );
}

#[tokio::test]
async fn async_typed_and_by_name() {
    assert_eq!(double(2).await.unwrap(), 4);
    assert_eq!(
        lmms::execute_async("same", "double", json!({ "double": 3 }))
            .await
            .unwrap(),
        json!(6)
    );
}
