#[lmms::module(policy = "sometimes")]
pub struct Weather;

impl lmms::Init for Weather {
    fn init() -> Result<Self, lmms::InitError> {
        Ok(Weather)
    }
}

fn main() {}
