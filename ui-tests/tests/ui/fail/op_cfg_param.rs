#[lmms::operation(interface = "weather", op = "forecast")]
pub fn forecast(city: String, #[cfg(not(debug_assertions))] days: u8) -> String {
    city
}

fn main() {
    // The call site sees the parameters of this configuration: no second error.
    let _: Result<String, lmms::Error> = forecast("Oslo".into());
}
