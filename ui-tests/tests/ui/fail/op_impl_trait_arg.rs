#[lmms::operation(interface = "weather", op = "forecast")]
pub fn forecast(city: impl ToString) -> String {
    city.to_string()
}

fn main() {}
