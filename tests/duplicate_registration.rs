//! Two operations with the same `(interface, op)` in different Rust modules of one binary
//! (the compile-time check only sees one Rust module): the gateway reports both source
//! locations at start and serves no call silently.

mod first {
    #[lmms::operation(interface = "dup", op = "get")]
    pub fn get() -> u8 {
        1
    }
}

mod second {
    #[lmms::operation(interface = "dup", op = "get")]
    pub fn get() -> u8 {
        2
    }
}

#[test]
fn duplicate_operation_is_reported_with_both_locations() {
    let err = first::get().unwrap_err();
    assert!(matches!(err, lmms::Error::Registration(_)), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("dup.get"), "{msg}");
    assert!(
        msg.contains("duplicate_registration.rs:6") && msg.contains("duplicate_registration.rs:13"),
        "{msg}"
    );
    assert!(second::get().is_err());
    assert!(lmms::execute("dup", "get", serde_json::json!({})).is_err());
}
