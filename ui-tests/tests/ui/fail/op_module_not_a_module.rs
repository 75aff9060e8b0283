// `module = Weather` names a type without `#[lmms::module]`: one error, at `Weather`.
pub struct Weather;

#[lmms::operation(interface = "weather", op = "forecast", module = Weather)]
pub fn forecast(_w: &Weather, city: String) -> String {
    city
}

#[lmms::operation(interface = "weather", op = "warm", module = Weather, cache_ttl = "1s")]
pub async fn warm(_w: &Weather, city: String) -> Result<bool, String> {
    Ok(city.is_empty())
}

fn main() {
    let _: Result<String, lmms::Error> = forecast("Oslo".to_string());
    let _ = warm("Oslo".to_string());
}
