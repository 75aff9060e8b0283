//! A missing comma between two keys is one error, at the slip: the keys around it are still
//! read (`op`, `module`), so nothing else is reported, here or at the call site.

#[lmms::module]
pub struct Weather;

impl lmms::Init for Weather {
    fn init() -> Result<Self, lmms::InitError> {
        Ok(Weather)
    }
}

#[lmms::operation(interface = "weather" op = "forecast", module = Weather)]
pub fn forecast(_w: &Weather, days: u8) -> u8 {
    days
}

#[lmms::module(async_init policy = "feature")]
pub struct Remote;

impl lmms::AsyncInit for Remote {
    async fn init() -> Result<Self, lmms::InitError> {
        Ok(Remote)
    }
}

fn main() {
    let _ = forecast(3);
}
