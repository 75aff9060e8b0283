//! One mistake in each attribute is one error, at the attribute: the call sites below are
//! written for the fixed attributes (no state argument, a `Result` to `?`, a future to
//! await) and report nothing.

#[lmms::module]
pub struct Weather {
    base: u32,
}

impl lmms::Init for Weather {
    fn init() -> Result<Self, lmms::InitError> {
        Ok(Weather { base: 20 })
    }
}

#[lmms::operation(interface = "weather", op = "forecast", module = Weather, cache_ttl = "often")]
pub fn forecast(w: &Weather, city: String, mut days: u8) -> String {
    days += 1;
    format!("{city}: {}", w.base + u32::from(days))
}

#[lmms::operation(interface = "weather", op = "alerts", module = "Weather")]
pub async fn alerts(w: &Weather, region: String) -> Vec<String> {
    vec![format!("{region}: {}", w.base)]
}

#[lmms::operation(interface = "weather", colour = "blue", op = "units")]
pub fn units(metric: bool) -> &'static str {
    if metric {
        "C"
    } else {
        "F"
    }
}

fn report() -> Result<String, lmms::Error> {
    let today: String = forecast("Lima".to_string(), 1)?;
    let unit: &str = units(true)?;
    Ok(format!("{today}{unit}"))
}

async fn report_alerts() -> Result<usize, lmms::Error> {
    let alerts: Vec<String> = alerts("Andes".to_string()).await?;
    Ok(alerts.len())
}

fn main() {
    let _ = report();
    let _ = report_alerts();
}
