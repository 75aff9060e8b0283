#[lmms::operation(interface = "geo", op = "distance")]
pub fn distance((x, y): (f64, f64)) -> f64 {
    (x * x + y * y).sqrt()
}

fn main() {}
