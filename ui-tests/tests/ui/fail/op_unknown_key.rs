#[lmms::operation(interface = "weather", op = "forecast", colour = "red")]
pub fn forecast(city: String) -> String {
    city
}

fn main() {}
