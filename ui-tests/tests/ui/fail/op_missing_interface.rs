#[lmms::operation(op = "forecast")]
pub fn forecast(city: String) -> String {
    city
}

fn main() {}
