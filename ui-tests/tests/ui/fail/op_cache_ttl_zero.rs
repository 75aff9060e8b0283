#[lmms::operation(interface = "weather", op = "forecast", cache_ttl = "0s")]
pub fn forecast(city: String) -> String {
    city
}

fn main() {}
