/// An error type that can hold lmms's own: `flatten = true` returns `Result<u32, AppError>`.
#[derive(Debug, PartialEq)]
pub enum AppError {
    Lmms(String),
    Negative(i64),
}

impl From<lmms::Error> for AppError {
    fn from(e: lmms::Error) -> Self {
        AppError::Lmms(e.to_string())
    }
}

#[lmms::operation(interface = "flat", op = "root", flatten = true, dynamic = false)]
pub fn root(n: i64) -> Result<u32, AppError> {
    if n < 0 {
        return Err(AppError::Negative(n));
    }
    Ok((n as f64).sqrt() as u32)
}

fn sum(a: i64, b: i64) -> Result<u32, AppError> {
    Ok(root(a)? + root(b)?)
}

fn main() {
    assert_eq!(sum(16, 9), Ok(7));
    assert_eq!(sum(16, -1), Err(AppError::Negative(-1)));
}
