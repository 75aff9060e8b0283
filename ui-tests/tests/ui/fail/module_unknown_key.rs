#[lmms::module(name = "weather", lifetime = "long")]
pub struct Weather;

impl lmms::Init for Weather {
    fn init() -> Result<Self, lmms::InitError> {
        Ok(Weather)
    }
}

fn main() {}
