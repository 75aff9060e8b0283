/// Not serializable: fine, because the operation is left out of `lmms::execute`.
pub struct Handle(std::rc::Rc<u32>);

#[lmms::operation(interface = "local", op = "handle", dynamic = false)]
pub fn handle(n: u32) -> Handle {
    Handle(std::rc::Rc::new(n))
}

#[lmms::operation(interface = "local", op = "still_dynamic", dynamic = true)]
pub fn still_dynamic(n: u32) -> u32 {
    n
}

fn main() {
    assert_eq!(*handle(7).unwrap().0, 7);
    let err = lmms::execute("local", "handle", serde_json::json!({"n": 7})).unwrap_err();
    assert!(matches!(err, lmms::Error::NotDynamic { .. }), "{err}");

    assert_eq!(still_dynamic(1).unwrap(), 1);
    assert_eq!(
        lmms::execute("local", "still_dynamic", serde_json::json!({"n": 1})).unwrap(),
        1
    );
}
