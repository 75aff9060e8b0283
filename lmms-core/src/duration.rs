//! Durations written as text, one grammar for all: `cache_ttl = "300s"` (checked by the
//! macros at compile time) and every duration variable of the environment
//! (`UNLOAD_GRACE_PERIOD=30s`).
//!
//! A duration is a whole number followed by a unit, `ms`, `s`, `m` or `h` (`"250ms"`,
//! `"30s"`, `"5m"`, `"1h"`). Where a bare number is allowed (the environment, whose
//! variables have always taken whole numbers), it is in the setting's own unit.
//!
//! This file is compiled into both crates: `lmms-macros/src/duration_grammar.rs` is a
//! link to it. A proc-macro crate that depended on `lmms-core` for it would make every
//! release build compile the runtime and its dependencies a second time, for the host.
//! So it uses nothing outside itself.

/// A unit of a duration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// `ms`.
    Millis,
    /// `s`.
    Seconds,
    /// `m`.
    Minutes,
    /// `h`.
    Hours,
}

impl Unit {
    /// Milliseconds in one of this unit.
    pub const fn millis(self) -> u64 {
        match self {
            Unit::Millis => 1,
            Unit::Seconds => 1_000,
            Unit::Minutes => 60_000,
            Unit::Hours => 3_600_000,
        }
    }
}

/// The accepted forms, as error messages list them.
pub const FORMS: &str = r#""500ms", "30s", "5m" or "1h""#;

/// Parses a duration into milliseconds: a whole number and a unit (`ms`, `s`, `m`, `h`;
/// whitespace around the value or before the unit is allowed), or, when `bare` is given,
/// a whole number alone, in that unit. Zero is accepted (a caller that needs a positive
/// duration checks). The error says what was wrong and the accepted forms.
///
pub fn parse_ms(text: &str, bare: Option<Unit>) -> Result<u64, String> {
    let s = text.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    if num.is_empty() {
        return Err(format!("expected a duration like {FORMS}, got {s:?}"));
    }
    // Only digits, yet not a u64: too many of them.
    let n: u64 = num
        .parse()
        .map_err(|_| format!("duration {s:?} is too large"))?;
    let unit = match (unit.trim(), bare) {
        ("ms", _) => Unit::Millis,
        ("s", _) => Unit::Seconds,
        ("m", _) => Unit::Minutes,
        ("h", _) => Unit::Hours,
        ("", Some(bare)) => bare,
        ("", None) => return Err(format!("no unit in {s:?}; use ms, s, m or h")),
        (other, _) => {
            return Err(format!(
                "unknown duration unit {other:?} in {s:?}; use ms, s, m or h"
            ))
        }
    };
    n.checked_mul(unit.millis())
        .ok_or_else(|| format!("duration {s:?} is too large"))
}

#[cfg(test)]
mod tests {
    use super::{parse_ms, Unit};

    #[test]
    fn forms() {
        assert_eq!(parse_ms("500ms", None), Ok(500));
        assert_eq!(parse_ms("30s", None), Ok(30_000));
        assert_eq!(parse_ms("5m", None), Ok(300_000));
        assert_eq!(parse_ms("1h", None), Ok(3_600_000));
        assert_eq!(parse_ms("0s", None), Ok(0));
        assert_eq!(parse_ms("7", Some(Unit::Seconds)), Ok(7_000));
        assert_eq!(parse_ms("7", Some(Unit::Millis)), Ok(7));
        assert_eq!(parse_ms("7h", Some(Unit::Millis)), Ok(25_200_000));
        assert!(parse_ms("7", None).is_err());
        assert!(parse_ms("5 minutes", None).is_err());
        assert!(parse_ms("s", Some(Unit::Seconds)).is_err());
        assert!(parse_ms("", Some(Unit::Seconds)).is_err());
        assert!(parse_ms("1.5s", None).is_err());
        assert!(parse_ms("-1s", Some(Unit::Seconds)).is_err());
        let big = format!("{}h", u64::MAX / 1000);
        assert!(parse_ms(&big, None).unwrap_err().contains("too large"));
        assert!(parse_ms("99999999999999999999999s", None)
            .unwrap_err()
            .contains("too large"));
    }
}
