#[lmms::operation(interface = 3, op = "forecast")]
pub fn forecast(city: String) -> String {
    city
}

fn main() {}
