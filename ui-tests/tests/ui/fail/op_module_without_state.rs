#[lmms::module]
pub struct Weather;

impl lmms::Init for Weather {
    fn init() -> Result<Self, lmms::InitError> {
        Ok(Weather)
    }
}

#[lmms::operation(interface = "weather", op = "now", module = Weather)]
pub fn now() -> String {
    "sunny".into()
}

fn main() {}
