#[lmms::module]
pub struct Weather<T> {
    stations: Vec<T>,
}

fn main() {}
