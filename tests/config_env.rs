//! A bad value in the environment, with no `configure`: every call returns the
//! configuration error naming the variable and the value — never a panic, never defaults.

use lmms::{Error, Init, InitError};

#[lmms::module]
pub struct Thing;

impl Init for Thing {
    fn init() -> Result<Self, InitError> {
        Ok(Thing)
    }
}

#[lmms::operation(interface = "thing", op = "get", module = Thing)]
pub fn get(_t: &Thing) -> u8 {
    7
}

#[lmms::operation(interface = "thing", op = "plain")]
pub fn plain() -> u8 {
    8
}

#[test]
fn bad_environment_value_fails_every_call() {
    // The only test in this binary: nothing else reads the environment concurrently.
    std::env::set_var("MIN_RESIDENT_MODULES", "eight");
    let check = |e: Error| {
        assert!(matches!(e, Error::Config(_)), "{e}");
        let msg = e.to_string();
        assert!(
            msg.contains("MIN_RESIDENT_MODULES") && msg.contains("eight"),
            "{msg}"
        );
    };
    check(get().unwrap_err());
    check(plain().unwrap_err());
    check(lmms::execute("thing", "get", serde_json::json!({})).unwrap_err());
    check(lmms::gateway().preload("thing").unwrap_err());
    assert!(lmms::gateway().fault().is_some());
    assert!(!lmms::gateway().modules()[0].resident, "nothing was built");

    // The fault shows where the settings do: the defaults shown are not in force.
    let gw = lmms::gateway();
    let shown = format!("{:?}", gw.config());
    assert!(shown.contains("MIN_RESIDENT_MODULES"), "{shown}");
    let line = gw.stats().log_line();
    let json: serde_json::Value =
        serde_json::from_str(line.trim_start_matches("[LMMS_STATS] ")).unwrap();
    assert!(
        json["fault"].as_str().is_some_and(|f| f.contains("eight")),
        "{line}"
    );
    check(
        gw.config()
            .fault()
            .cloned()
            .expect("config() carries the fault"),
    );
    check(Error::Config(
        gw.stats().fault.expect("Stats carries the fault"),
    ));
    // Not settings: the stand-in cannot be built back into a configuration.
    check(gw.config().clone().to_builder().build().unwrap_err());

    // Every variable is read and checked the same way.
    for var in [
        "LAZY_LOADING_ENABLED",
        "ENABLE_MODULE_UNLOADING",
        "UNLOAD_GRACE_PERIOD",
        "ENABLE_FAST_PATH",
        "FAST_PATH_THRESHOLD",
        "HEAT_WINDOW",
        "MAX_HOT_PATHS",
        "CACHE_MAX_ENTRIES",
        "MEMORY_BUDGET_MB",
    ] {
        let err =
            lmms::Config::from_lookup(|v| (v == var).then(|| "maybe?".to_string())).unwrap_err();
        assert!(
            err.to_string().contains(var) && err.to_string().contains("maybe?"),
            "{err}"
        );
    }
    let ok = lmms::Config::from_lookup(|v| match v {
        "UNLOAD_GRACE_PERIOD" => Some("5".into()),
        "ENABLE_FAST_PATH" => Some("false".into()),
        "MEMORY_BUDGET_MB" => Some("512".into()),
        _ => None,
    })
    .unwrap();
    assert_eq!(ok.grace_period.as_secs(), 5);
    assert!(!ok.fast_path);
    assert_eq!(ok.memory_budget_bytes, Some(512 << 20));
}

#[test]
fn whitespace_around_a_value_is_refused_and_the_message_says_so() {
    // Read through a closure: the process environment is left to the test above.
    for (var, value, clean) in [
        ("UNLOAD_GRACE_PERIOD", " 30", "30"),
        ("MAX_HOT_PATHS", "7\n", "7"),
        ("ENABLE_FAST_PATH", "true ", "true"),
        ("LAZY_LOADING_ENABLED", "\toff", "off"),
    ] {
        let err = lmms::Config::from_lookup(|v| (v == var).then(|| value.to_string()))
            .expect_err("a value with surrounding whitespace is refused, not trimmed");
        let msg = err.to_string();
        assert!(matches!(err, Error::Config(_)), "{msg}");
        assert!(
            msg.contains(var)
                && msg.contains(&format!("{value:?}"))
                && msg.contains("whitespace")
                && msg.contains(&format!("{clean:?}")),
            "{msg}"
        );
        // Without the whitespace, the same value is taken.
        lmms::Config::from_lookup(|v| (v == var).then(|| clean.to_string())).unwrap();
    }
}
