//! A state parameter of another type than the module named by `module = T` is reported at
//! that parameter's type, blocking and async alike.

#[lmms::module]
pub struct Weather;

impl lmms::Init for Weather {
    fn init() -> Result<Self, lmms::InitError> {
        Ok(Weather)
    }
}

pub struct Other;

#[lmms::operation(interface = "weather", op = "forecast", module = Weather)]
pub fn forecast(_w: &Other, days: u8) -> u8 {
    days
}

#[lmms::operation(interface = "weather", op = "alerts", module = Weather)]
pub async fn alerts(_w: &Other, days: u8) -> u8 {
    days
}

fn main() {}
