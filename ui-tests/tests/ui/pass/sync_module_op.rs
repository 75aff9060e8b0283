use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

static BUILDS: AtomicUsize = AtomicUsize::new(0);

#[lmms::module]
pub struct Weather {
    stations: Vec<(String, f64)>,
}

impl lmms::Init for Weather {
    fn init() -> Result<Self, lmms::InitError> {
        BUILDS.fetch_add(1, SeqCst);
        Ok(Weather {
            stations: vec![("Oslo".into(), 4.5), ("Lima".into(), 19.0)],
        })
    }
}

/// Doc comments and other attributes stay on the generated function.
#[lmms::operation(interface = "weather", op = "forecast", module = Weather)]
pub fn forecast(w: &Weather, city: String) -> String {
    match w.stations.iter().find(|(name, _)| *name == city) {
        Some((_, t)) => format!("{city}: {t}"),
        None => format!("{city}: no station"),
    }
}

fn main() {
    assert_eq!(
        BUILDS.load(SeqCst),
        0,
        "nothing is built before the first call"
    );

    // Typed call: the state parameter is gone and the result is wrapped.
    let text: Result<String, lmms::Error> = forecast("Oslo".into());
    assert_eq!(text.unwrap(), "Oslo: 4.5");
    assert_eq!(BUILDS.load(SeqCst), 1);

    // Dynamic call through the same gateway path.
    let json = lmms::execute("weather", "forecast", serde_json::json!({"city": "Lima"})).unwrap();
    assert_eq!(json, "Lima: 19");
    assert_eq!(BUILDS.load(SeqCst), 1, "the module is built once");

    // The default module name is the type name in snake case, the default policy utility.
    let m = lmms::gateway()
        .modules()
        .into_iter()
        .find(|m| m.name == "weather")
        .unwrap();
    assert_eq!(m.policy, lmms::Policy::Utility);
    assert!(m.resident);
}
