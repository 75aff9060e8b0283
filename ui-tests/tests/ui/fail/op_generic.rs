#[lmms::operation(interface = "weather", op = "forecast")]
pub fn forecast<T: ToString>(city: T) -> String {
    city.to_string()
}

fn main() {}
