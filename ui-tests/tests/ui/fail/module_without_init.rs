#[lmms::module]
pub struct Weather;

fn main() {}
