//! A value that is not UTF-8, in the real process environment, is a configuration error
//! naming the variable — never read as unset. Each case runs in a child process (this test
//! binary again), so no test here changes the environment of another.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::process::Command;

/// Set in a child: the variable the child holds a non-UTF-8 value in.
const CHILD: &str = "LMMS_TEST_NOT_UTF8_CHILD";

const VARIABLES: [&str; 19] = [
    "LAZY_LOADING_ENABLED",
    "ENABLE_MODULE_UNLOADING",
    "UNLOAD_GRACE_PERIOD",
    "MIN_RESIDENT_MODULES",
    "ENABLE_FAST_PATH",
    "FAST_PATH_THRESHOLD",
    "HEAT_WINDOW",
    "MAX_HOT_PATHS",
    "CACHE_MAX_ENTRIES",
    "MEMORY_BUDGET_MB",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "UNLOAD_STRATEGY",
    "GB_SECONDS_PER_CPU_SECOND",
    "LMMS_SWEEP_INTERVAL_MS",
    "LMMS_TRIM_ON_UNLOAD",
    "LMMS_HEAT_PROFILE",
    "LMMS_HEAT_PROFILE_MIN_CALLS",
    "LMMS_HEAT_PROFILE_MAX_MB",
    "LMMS_WORKING_SET_INVOCATIONS",
];

/// In a child: reports what the gateway made of its environment on stdout.
#[test]
fn child_reports_the_gateway_fault() {
    if std::env::var_os(CHILD).is_some() {
        match lmms::gateway().fault() {
            Some(fault) => println!("\nVERDICT fault: {fault}"),
            None => println!("\nVERDICT no fault"),
        }
    }
}

#[test]
fn a_non_utf8_value_of_any_variable_is_a_fault_naming_it() {
    let exe = std::env::current_exe().unwrap();
    for var in VARIABLES {
        let mut child = Command::new(&exe);
        child
            .args(["--exact", "child_reports_the_gateway_fault", "--nocapture"])
            .args(["--test-threads", "1"])
            .env(CHILD, var)
            .env(var, OsStr::from_bytes(b"30\xff"));
        // Only this variable set: the child's environment holds no other lmms setting.
        for other in VARIABLES.iter().filter(|v| **v != var) {
            child.env_remove(other);
        }
        let out = child.output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{var}: {stdout}");
        let line = stdout
            .lines()
            .find_map(|l| l.strip_prefix("VERDICT "))
            .unwrap_or_else(|| panic!("{var}: the child printed no verdict: {stdout}"));
        assert!(
            line.contains(var) && line.contains("not valid UTF-8"),
            "{var}: {line}"
        );
    }
}
