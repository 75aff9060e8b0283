#[derive(Debug)]
pub struct Negative(i64);

impl std::fmt::Display for Negative {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} is negative", self.0)
    }
}

#[lmms::module]
pub struct Roots;

impl lmms::Init for Roots {
    fn init() -> Result<Self, lmms::InitError> {
        Ok(Roots)
    }
}

/// The operation's own `Result` is kept whole inside the gateway's.
#[lmms::operation(interface = "math", op = "sqrt", module = Roots)]
pub fn sqrt(_r: &Roots, n: i64) -> Result<u32, String> {
    if n < 0 {
        return Err(Negative(n).to_string());
    }
    Ok((n as f64).sqrt() as u32)
}

fn main() {
    let ok: Result<Result<u32, String>, lmms::Error> = sqrt(16);
    assert_eq!(ok.unwrap(), Ok(4));
    assert_eq!(sqrt(-1).unwrap(), Err("-1 is negative".to_string()));

    let json = lmms::execute("math", "sqrt", serde_json::json!({"n": 9})).unwrap();
    assert_eq!(json, serde_json::json!({"Ok": 3}));
    let json = lmms::execute("math", "sqrt", serde_json::json!({"n": -4})).unwrap();
    assert_eq!(json, serde_json::json!({"Err": "-4 is negative"}));
}
