#[lmms::operation(interface = "weather", op = "forecast", interface = "climate")]
pub fn forecast(city: String) -> String {
    city
}

fn main() {}
