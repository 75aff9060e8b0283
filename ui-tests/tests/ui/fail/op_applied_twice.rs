#[lmms::operation(interface = "m", op = "a")]
#[lmms::operation(interface = "m", op = "b")]
pub fn a(x: u8) -> u8 {
    x
}

#[lmms::operation(interface = "m", op = "c", dynamic = false)]
#[operation(interface = "m", op = "d", dynamic = false)]
pub fn c(x: u8) -> u8 {
    x
}

// Unused once the second attribute is reported (and dropped, so it does not expand).
#[allow(unused_imports)]
use lmms::operation;

fn main() {
    // The call sites see the operation as declared once.
    let _: Result<u8, lmms::Error> = a(1);
    let _: Result<u8, lmms::Error> = c(1);
}
