//! Inner attributes at the top of an operation's body (`#![allow(...)]`) stay in the
//! body: the operation compiles, and they still apply to the body (here they allow what
//! this file denies).
#![deny(unused_variables)]

use lmms::{Init, InitError};
use serde_json::json;

#[lmms::operation(interface = "inner", op = "plain")]
pub fn plain(x: u8) -> u8 {
    #![allow(unused_variables)]
    let y = 1;
    x
}

#[lmms::module(name = "inner_state")]
pub struct State(u8);

impl Init for State {
    fn init() -> Result<Self, InitError> {
        Ok(State(10))
    }
}

/// Docs and other outer attributes still go on the wrapper.
#[lmms::operation(interface = "inner", op = "stateful", module = State, cache_ttl = "1h")]
#[must_use]
pub fn stateful(s: &State, x: u8) -> u8 {
    #![allow(unused_variables)]
    #![allow(clippy::let_unit_value)]
    let unused = ();
    s.0 + x
}

#[lmms::operation(interface = "inner", op = "later")]
pub async fn later(x: u8) -> u8 {
    #![allow(unused_variables)]
    let y = 1;
    x
}

#[test]
fn operations_with_inner_attributes_run() {
    assert_eq!(plain(1).unwrap(), 1);
    assert_eq!(
        lmms::execute("inner", "plain", json!({ "x": 2 })).unwrap(),
        json!(2)
    );
    assert_eq!(stateful(1).unwrap(), 11);
}

#[tokio::test]
async fn async_operations_with_inner_attributes_run() {
    assert_eq!(later(3).await.unwrap(), 3);
}
