#[lmms::module]
pub fn weather() -> String {
    "sunny".into()
}

fn main() {}
