//! Reading one environment value: exact (no whitespace trimmed away), an error naming the
//! variable and the value when it does not parse, or when it is not UTF-8.

use crate::duration::{self, Unit};
use crate::Error;
use std::time::Duration;

/// Values are taken exactly: whitespace around one is refused, not trimmed, so the value
/// in force is the value written (and a stray quote or newline is caught).
fn untrimmed(name: &str, value: &str) -> Result<(), Error> {
    if value.trim() == value {
        return Ok(());
    }
    Err(Error::Config(format!(
        "{name}={value:?} has whitespace around the value (write {:?})",
        value.trim()
    )))
}

pub(crate) fn parse_bool(name: &str, value: &str) -> Result<bool, Error> {
    untrimmed(name, value)?;
    match value.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(Error::Config(format!(
            "{name}={value:?} is not a boolean (expected true/false, 1/0, yes/no, on/off)"
        ))),
    }
}

pub(crate) fn parse_u64(name: &str, value: &str) -> Result<u64, Error> {
    untrimmed(name, value)?;
    value.parse::<u64>().map_err(|e| {
        Error::Config(format!(
            "{name}={value:?} is not a non-negative whole number ({e})"
        ))
    })
}

/// A duration: the `cache_ttl` forms (`"250ms"`, `"30s"`, `"5m"`, `"1h"`), or a bare whole
/// number in the variable's own unit `bare` (seconds for the seeds' variables).
pub(crate) fn parse_duration(name: &str, value: &str, bare: Unit) -> Result<Duration, Error> {
    untrimmed(name, value)?;
    duration::parse_ms(value, Some(bare))
        .map(Duration::from_millis)
        .map_err(|why| {
            Error::Config(format!(
                "{name}={value:?} is not a duration: {why} (a bare whole number is {}; \
                 with a unit: {})",
                unit_name(bare),
                duration::FORMS
            ))
        })
}

/// `raw` as a `String`, or an error naming the variable.
pub(crate) fn os_value(name: &str, raw: std::ffi::OsString) -> Result<String, Error> {
    raw.into_string().map_err(|raw| {
        Error::Config(format!(
            "{name}={raw:?} is not valid UTF-8 (a value must be text; unset the variable \
             for the default)"
        ))
    })
}

/// A unit's name in words (`seconds`), for messages.
const fn unit_name(unit: Unit) -> &'static str {
    match unit {
        Unit::Millis => "milliseconds",
        Unit::Seconds => "seconds",
        Unit::Minutes => "minutes",
        Unit::Hours => "hours",
    }
}
