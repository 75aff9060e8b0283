pub struct Weather;

impl Weather {
    #[lmms::operation(interface = "weather", op = "forecast")]
    pub fn forecast(&self, city: String) -> String {
        city
    }
}

fn main() {}
