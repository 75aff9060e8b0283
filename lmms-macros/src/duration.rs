//! `cache_ttl = "300s"`: durations in the usual forms.

/// Parses `"500ms"`, `"30s"`, `"5m"`, `"1h"` (a positive whole number and a unit) into
/// milliseconds.
pub(crate) fn parse_ms(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num.parse().map_err(|_| {
        format!("expected a duration like \"500ms\", \"30s\", \"5m\" or \"1h\", got {s:?}")
    })?;
    let factor = match unit.trim() {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        other => {
            return Err(format!(
                "unknown duration unit {other:?} in {s:?}; use ms, s, m or h"
            ))
        }
    };
    if n == 0 {
        return Err(format!("a cache TTL must be positive, got {s:?}"));
    }
    n.checked_mul(factor)
        .ok_or_else(|| format!("duration {s:?} is too large"))
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
        assert!(parse_ms("0s").is_err());
        assert!(parse_ms("5 minutes").is_err());
        assert!(parse_ms("s").is_err());
        assert!(parse_ms("1.5s").is_err());
    }
}
