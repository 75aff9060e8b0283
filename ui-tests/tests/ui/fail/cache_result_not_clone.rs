// Each cache hit hands out a clone of the stored result: `Report` is not `Clone`.
pub struct Report {
    pub lines: Vec<String>,
}

#[lmms::operation(interface = "reports", op = "daily", cache_ttl = "60s", dynamic = false)]
pub fn daily(day: u32) -> Result<Report, String> {
    Ok(Report { lines: vec![day.to_string()] })
}

fn main() {}
