#[lmms::operation(interface = "weather", op = "forecast", dynamic = "no")]
pub fn forecast(city: String) -> String {
    city
}

fn main() {}
