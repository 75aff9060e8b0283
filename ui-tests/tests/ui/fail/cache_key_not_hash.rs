// A cached operation's key is the tuple of its arguments: `f64` is neither `Hash` nor `Eq`.
#[lmms::operation(interface = "units", op = "to_fahrenheit", cache_ttl = "300s")]
pub fn to_fahrenheit(city: String, celsius: f64) -> String {
    format!("{city}: {}", celsius * 9.0 / 5.0 + 32.0)
}

fn main() {}
