#[lmms::operation(interface = "weather", op = "forecast", cache_ttl = "5 minutes")]
pub fn forecast(city: String) -> String {
    city
}

fn main() {}
