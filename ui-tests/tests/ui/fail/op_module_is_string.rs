#[lmms::module]
pub struct Weather;

impl lmms::Init for Weather {
    fn init() -> Result<Self, lmms::InitError> {
        Ok(Weather)
    }
}

#[lmms::operation(interface = "weather", op = "forecast", module = "Weather")]
pub fn forecast(_w: &Weather, city: String) -> String {
    city
}

fn main() {}
