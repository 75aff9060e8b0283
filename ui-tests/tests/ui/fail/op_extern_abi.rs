#[lmms::operation(interface = "ffi", op = "add")]
#[no_mangle]
pub extern "C" fn add(a: u32, b: u32) -> u32 {
    a + b
}

fn main() {
    let _: Result<u32, lmms::Error> = add(1, 2);
}
