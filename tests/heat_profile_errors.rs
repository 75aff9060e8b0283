//! Heat profiles that cannot be used: each bad input is `Error::Config` naming the variable
//! (`LMMS_HEAT_PROFILE` and its two settings) and the problem, and a bad profile in the
//! environment gives the starting gateway a fault.

use lmms::{Config, Error, HeatPreload, HeatProfile, Init, InitError, ModuleHeat};

const MIB: u64 = 1 << 20;

#[lmms::module(name = "thing")]
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

/// Every bad input is `Error::Config` naming the variable and the problem.
#[test]
fn each_bad_input_is_a_configuration_error() {
    let dir = std::env::temp_dir();
    let bad_file = dir.join(format!("lmms_heat_bad_{}.json", std::process::id()));
    std::fs::write(&bad_file, "{\"version\": 1, \"modules\": [").unwrap();
    let bad_file = bad_file.to_str().unwrap().to_string();
    let profile = |modules: &str| format!(r#"{{"version": 1, "modules": [{modules}]}}"#);
    let var = "LMMS_HEAT_PROFILE";
    let cases: Vec<(Vec<(&str, String)>, &str)> = vec![
        (
            vec![(var, "/no/such/dir/heat.json".into())],
            "cannot read the heat profile file",
        ),
        (vec![(var, bad_file.clone())], "not valid JSON"),
        (vec![(var, "{oops".into())], "(inline JSON): not valid JSON"),
        (vec![(var, "   ".into())], "is empty"),
        (
            vec![(var, " /opt/heat.json".into())],
            "whitespace around the path",
        ),
        (vec![(var, "[1, 2]".into())], "must be a JSON object"),
        // The old `{module: calls}` snapshot is not a profile.
        (
            vec![(var, r#"{"i18n_core": 4}"#.into())],
            "no `version` field",
        ),
        (
            vec![(var, r#"{"version": 2, "modules": []}"#.into())],
            "version 2 is not supported",
        ),
        (
            vec![(var, r#"{"version": "1", "modules": []}"#.into())],
            "`version` must be a whole number",
        ),
        (
            vec![(var, r#"{"version": 1}"#.into())],
            "`modules` must be an array",
        ),
        (
            vec![(var, profile(r#"{"module": "a", "calls_in_window": -3}"#))],
            r#"module "a": `calls_in_window` must be a non-negative whole number, got -3"#,
        ),
        (
            vec![(
                var,
                profile(r#"{"module": "a", "calls_in_window": 1, "bytes": -1}"#),
            )],
            "`bytes` must be a non-negative whole number, got -1",
        ),
        (
            vec![(
                var,
                profile(r#"{"module": "a", "calls_in_window": 1, "rss_growth_bytes": "2 MiB"}"#),
            )],
            r#"module "a": `rss_growth_bytes` must be a non-negative whole number, got "2 MiB""#,
        ),
        (
            vec![(
                var,
                profile(r#"{"module": "a", "calls_in_window": 1, "build_ns": 1.5}"#),
            )],
            "`build_ns` must be a non-negative whole number, got 1.5",
        ),
        (
            vec![(var, profile(r#"{"module": "a"}"#))],
            "`calls_in_window` is missing",
        ),
        (
            vec![(var, profile(r#"{"calls_in_window": 1}"#))],
            "`module` must be a non-empty string",
        ),
        (
            vec![(var, profile(r#"{"module": "a", "calls": 1}"#))],
            "unknown field `calls`",
        ),
        (
            vec![(
                var,
                profile(
                    r#"{"module": "a", "calls_in_window": 1}, {"module": "a", "calls_in_window": 2}"#,
                ),
            )],
            r#"module "a" is listed twice"#,
        ),
        (
            vec![
                (var, profile("")),
                ("LMMS_HEAT_PROFILE_MIN_CALLS", "many".into()),
            ],
            r#"LMMS_HEAT_PROFILE_MIN_CALLS="many" is not a non-negative whole number"#,
        ),
        (
            vec![(var, profile("")), ("LMMS_HEAT_PROFILE_MAX_MB", "0".into())],
            "LMMS_HEAT_PROFILE_MAX_MB: must be at least 1",
        ),
        (
            vec![("LMMS_HEAT_PROFILE_MAX_MB", "64".into())],
            "LMMS_HEAT_PROFILE_MAX_MB is set but LMMS_HEAT_PROFILE is not",
        ),
    ];
    for (vars, says) in cases {
        let err = Config::from_lookup(|name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.clone())
        })
        .unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, Error::Config(_)), "{msg}");
        assert!(msg.contains(var) && msg.contains(says), "{vars:?}: {msg}");
    }
    let _ = std::fs::remove_file(&bad_file);

    // A good one, inline, with both settings.
    let config = Config::from_lookup(|name| match name {
        "LMMS_HEAT_PROFILE" => Some(profile(r#"{"module": "a", "calls_in_window": 9}"#)),
        "LMMS_HEAT_PROFILE_MIN_CALLS" => Some("4".into()),
        "LMMS_HEAT_PROFILE_MAX_MB" => Some("16".into()),
        _ => None,
    })
    .unwrap();
    let preload = config.heat_preload.unwrap();
    assert_eq!((preload.min_calls, preload.max_bytes), (4, Some(16 * MIB)));
    assert_eq!(preload.profile.modules[0].calls_in_window, 9);
    // The builder checks the limit too.
    let zero = HeatPreload::new(preload.profile).max_mb(0);
    assert!(Config::builder().heat_preload(zero).build().is_err());
}

/// A zero `LMMS_HEAT_PROFILE_MIN_CALLS` is refused like a zero `LMMS_HEAT_PROFILE_MAX_MB`
/// (the guide lists both): read as 0, it would preload modules the profile lists with no
/// calls at all, which the default of 1 exists to leave out.
#[test]
fn a_zero_min_calls_is_a_configuration_error() {
    let profile = r#"{"version": 1, "modules": [{"module": "thing", "calls_in_window": 0}]}"#;
    let err = Config::from_lookup(|name| match name {
        "LMMS_HEAT_PROFILE" => Some(profile.into()),
        "LMMS_HEAT_PROFILE_MIN_CALLS" => Some("0".into()),
        _ => None,
    })
    .map(|c| c.heat_preload.map(|p| p.min_calls))
    .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, Error::Config(_)), "{msg}");
    assert!(
        msg.contains("LMMS_HEAT_PROFILE_MIN_CALLS") && msg.contains("at least 1"),
        "{msg}"
    );
    // The builder checks it too.
    let zero = HeatPreload::new(HeatProfile::from_json(profile).unwrap()).min_calls(0);
    assert!(Config::builder().heat_preload(zero).build().is_err());
}

/// A profile built in code that lists a module twice is refused, as the reader refuses
/// one in JSON: the preload would count the module's bytes twice against `max_mb`.
#[test]
fn a_profile_built_in_code_listing_a_module_twice_is_refused() {
    let twice = HeatProfile::new(
        60,
        vec![ModuleHeat::new("thing", 5), ModuleHeat::new("thing", 3)],
    );
    let err = Config::builder()
        .heat_preload(HeatPreload::new(twice))
        .build()
        .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, Error::Config(_)), "{msg}");
    assert!(msg.contains("\"thing\" is listed twice"), "{msg}");
}

/// A bad profile in the environment of a starting instance: the gateway has a fault (every
/// call returns the error) and preloads nothing. The only test here that starts the
/// gateway; the other reads variables through a closure, not the environment.
#[test]
fn a_bad_profile_in_the_environment_is_a_fault() {
    std::env::set_var("LMMS_HEAT_PROFILE", r#"{"version": 9, "modules": []}"#);
    let gw = lmms::gateway();
    let fault = gw.fault().expect("a fault").to_string();
    assert!(
        fault.contains("LMMS_HEAT_PROFILE") && fault.contains("version 9"),
        "{fault}"
    );
    assert!(gw.heat_preload_report().is_none());
    assert!(matches!(get(), Err(Error::Config(_))));
    assert!(matches!(
        gw.preload_profile(&HeatProfile::new(60, Vec::new()).into()),
        Err(Error::Config(_))
    ));
}
