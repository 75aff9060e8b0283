//! A module whose attribute has errors is still a module to the operations that name it:
//! one error per mistake, none at the operations or their callers.

#[lmms::module(policy = "sometimes")]
pub struct Weather;

impl lmms::Init for Weather {
    fn init() -> Result<Self, lmms::InitError> {
        Ok(Weather)
    }
}

#[lmms::module(async_init = "yes")]
pub struct Remote;

impl lmms::AsyncInit for Remote {
    async fn init() -> Result<Self, lmms::InitError> {
        Ok(Remote)
    }
}

#[lmms::operation(interface = "weather", op = "forecast", module = Weather)]
pub fn forecast(_w: &Weather, city: String) -> String {
    city
}

#[lmms::operation(interface = "remote", op = "fetch", module = Remote)]
pub async fn fetch(_r: &Remote, key: String) -> String {
    key
}

fn main() {
    let _: Result<String, lmms::Error> = forecast("Lima".to_string());
    let _ = fetch("k".to_string());
}
