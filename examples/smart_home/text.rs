//! Printing helpers for the text output: every line fits [`WIDTH`] columns, and each row
//! of figures is shown in one unit chosen for the row.

/// The widest line the default output prints, in characters.
pub const WIDTH: usize = 120;

/// `text` wrapped at [`WIDTH`] on spaces; continuation lines start with `indent`.
pub fn wrap(text: &str, indent: &str) -> String {
    let mut out = String::new();
    let mut line = String::new();
    let mut first = true;
    for word in text.split(' ') {
        let len = line.chars().count();
        if !first && len + 1 + word.chars().count() > WIDTH && !line.trim().is_empty() {
            out.push_str(line.trim_end());
            out.push('\n');
            line = indent.to_string();
        } else if !first {
            line.push(' ');
        }
        line.push_str(word);
        first = false;
    }
    out.push_str(line.trim_end());
    out.push('\n');
    out
}

/// A section header: `== title ==`.
pub fn header(title: &str) -> String {
    format!("\n== {title} ==\n")
}

/// A figure with as many decimals as its size needs: 1057, 48.7, 5.03, 0.044, 0.0042.
pub fn num(x: f64) -> String {
    if !x.is_finite() {
        return "-".into();
    }
    let a = x.abs();
    let decimals = if a == 0.0 || a >= 1000.0 {
        0
    } else if a >= 10.0 {
        1
    } else if a >= 1.0 {
        2
    } else if a >= 0.01 {
        3
    } else {
        // Two significant digits.
        (-a.log10()).floor() as usize + 2
    };
    format!("{x:.decimals$}")
}

/// A count with thousands separators: 317,856.
pub fn count(x: u64) -> String {
    let s = x.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The time unit for a row whose largest value is `max_ns`: the largest of ns, µs, ms, s
/// in which that value is at least 1, or the one where it stays under 10 000.
pub fn time_unit(max_ns: f64) -> (&'static str, f64) {
    const UNITS: [(&str, f64); 4] = [("ns", 1.0), ("µs", 1e3), ("ms", 1e6), ("s", 1e9)];
    UNITS
        .into_iter()
        .find(|(_, div)| max_ns / div < 10_000.0)
        .unwrap_or(UNITS[3])
}

/// `r` with enough decimals (3 to 6) that its rounding does not cross `limit`.
pub fn ratio(r: f64, limit: f64) -> String {
    for d in 3..=6 {
        let s = format!("{r:.d$}");
        if s.parse::<f64>()
            .map_or(true, |v| (v <= limit) == (r <= limit))
        {
            return format!("{s}×");
        }
    }
    format!("{r:e}×")
}
