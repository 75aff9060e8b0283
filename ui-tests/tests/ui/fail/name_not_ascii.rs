//! Names are ASCII, and the message says so: an explicit name and one taken from a
//! non-ASCII type name are both refused, at the offending token.

#[lmms::module]
pub struct Météo;

impl lmms::Init for Météo {
    fn init() -> Result<Self, lmms::InitError> {
        Ok(Météo)
    }
}

#[lmms::operation(interface = "météo", op = "forecast", module = Météo)]
pub fn forecast(_m: &Météo, city: String) -> String {
    city
}

fn main() {
    let _: Result<String, lmms::Error> = forecast("Lima".to_string());
}
