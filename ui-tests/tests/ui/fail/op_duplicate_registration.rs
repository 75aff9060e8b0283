#[lmms::operation(interface = "weather", op = "forecast")]
pub fn forecast(city: String) -> String {
    city
}

#[lmms::operation(interface = "weather", op = "forecast")]
pub fn forecast_again(city: String) -> String {
    city
}

fn main() {}
