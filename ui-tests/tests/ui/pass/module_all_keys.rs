#[lmms::module(name = "weather_core", policy = "core", async_init = false)]
pub struct Weather(Vec<u8>);

impl lmms::Init for Weather {
    fn init() -> Result<Self, lmms::InitError> {
        Ok(Weather(vec![1, 2, 3]))
    }
}

#[lmms::module(name = "reports-v2", policy = "feature")]
pub enum Reports {
    Empty,
}

impl lmms::Init for Reports {
    fn init() -> Result<Self, lmms::InitError> {
        Ok(Reports::Empty)
    }
}

#[lmms::operation(interface = "weather", op = "len", module = Weather)]
pub fn len(w: &Weather) -> usize {
    w.0.len()
}

#[lmms::operation(interface = "reports", op = "is_empty", module = Reports)]
pub fn is_empty(r: &Reports) -> bool {
    matches!(r, Reports::Empty)
}

fn main() {
    assert_eq!(len().unwrap(), 3);
    assert_eq!(
        lmms::execute("weather", "len", serde_json::json!({})).unwrap(),
        3
    );
    assert!(is_empty().unwrap());
    assert_eq!(
        lmms::execute("reports", "is_empty", serde_json::json!({})).unwrap(),
        true
    );

    let modules = lmms::gateway().modules();
    let core = modules.iter().find(|m| m.name == "weather_core").unwrap();
    assert_eq!(core.policy, lmms::Policy::Core);
    let feature = modules.iter().find(|m| m.name == "reports-v2").unwrap();
    assert_eq!(feature.policy, lmms::Policy::Feature);
}
