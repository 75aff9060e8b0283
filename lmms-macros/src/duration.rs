//! `cache_ttl = "300s"`: the runtime's duration grammar (`duration_grammar.rs`, a link to
//! `lmms-core/src/duration.rs`, where the environment's duration variables are parsed with
//! it too), plus the one rule of a TTL: it is positive. No bare number: a TTL states its
//! unit.

use crate::duration_grammar as duration;

/// Parses `"500ms"`, `"30s"`, `"5m"`, `"1h"` (a positive whole number and a unit) into
/// milliseconds.
pub(crate) fn parse_ms(s: &str) -> Result<u64, String> {
    match duration::parse_ms(s, None)? {
        0 => Err(format!("a cache TTL must be positive, got {:?}", s.trim())),
        ms => Ok(ms),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_ms;

    #[test]
    fn forms() {
        assert_eq!(parse_ms("500ms"), Ok(500));
        assert_eq!(parse_ms("30s"), Ok(30_000));
        assert_eq!(parse_ms("5m"), Ok(300_000));
        assert_eq!(parse_ms("1h"), Ok(3_600_000));
        assert!(parse_ms("0s").unwrap_err().contains("must be positive"));
        assert!(parse_ms("30").unwrap_err().contains("no unit"));
        assert!(parse_ms("5 minutes").is_err());
        assert!(parse_ms("s").is_err());
        assert!(parse_ms("1.5s").is_err());
    }
}
