//! `crate = "..."` on both attributes: a crate that reaches lmms through its own re-export
//! (a company platform crate, or a renamed dependency) names that path, and the generated
//! code uses it for every path into lmms.

mod platform {
    pub use lmms as runtime;
}

use platform::runtime::{Init, InitError};

#[lmms::module(policy = "feature", crate = "crate::platform::runtime")]
pub struct Units(u32);

impl Init for Units {
    fn init() -> Result<Self, InitError> {
        Ok(Units(42))
    }
}

#[lmms::operation(interface = "units", op = "add", module = Units, crate = "crate::platform::runtime")]
pub fn add(u: &Units, x: u32) -> u32 {
    u.0 + x
}

#[lmms::operation(
    interface = "units",
    op = "half",
    cache_ttl = "1m",
    crate = "crate::platform::runtime"
)]
pub async fn half(x: u32) -> Result<u32, String> {
    if x % 2 == 0 {
        Ok(x / 2)
    } else {
        Err(format!("{x} is odd"))
    }
}

#[test]
fn operations_declared_through_a_reexport_are_called_typed_and_by_name() {
    assert_eq!(add(1).unwrap(), 43);
    let by_name = platform::runtime::execute("units", "add", serde_json::json!({"x": 2}));
    assert_eq!(by_name.unwrap(), 44);
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    assert_eq!(rt.block_on(half(8)).unwrap(), Ok(4));
    assert_eq!(rt.block_on(half(3)).unwrap(), Err("3 is odd".to_string()));
    let by_name = rt.block_on(platform::runtime::execute_async(
        "units",
        "half",
        serde_json::json!({"x": 10}),
    ));
    assert_eq!(by_name.unwrap(), serde_json::json!({"Ok": 5}));
}
