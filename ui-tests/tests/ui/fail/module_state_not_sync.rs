// A module's state is shared by all threads: a `RefCell` field is one error, at the
// module, none at its `Init` impl or its operations.
use std::cell::RefCell;

#[lmms::module]
pub struct Counter {
    n: RefCell<u32>,
}

impl lmms::Init for Counter {
    fn init() -> Result<Self, lmms::InitError> {
        Ok(Counter { n: RefCell::new(0) })
    }
}

#[lmms::operation(interface = "counter", op = "bump", module = Counter)]
pub fn bump(c: &Counter) -> u32 {
    *c.n.borrow_mut() += 1;
    *c.n.borrow()
}

fn main() {
    let _: Result<u32, lmms::Error> = bump();
}
