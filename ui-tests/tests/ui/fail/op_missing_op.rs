#[lmms::operation(interface = "weather")]
pub fn forecast(city: String) -> String {
    city
}

fn main() {}
