// `flatten = true` returns the declared `Result<T, E>` itself: on another return type it
// is an error at that type, and call sites see the nested form meanwhile.
#[lmms::operation(interface = "math", op = "double", flatten = true)]
pub fn double(n: u32) -> u32 {
    n * 2
}

#[lmms::operation(interface = "math", op = "nothing", flatten = true)]
pub fn nothing() {}

fn main() {
    let _: Result<u32, lmms::Error> = double(2);
}
