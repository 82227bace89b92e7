//! Durations as people type them: `90s`, `15m`, `1h`, `7d`, `1h30m`; a bare number is seconds.

use std::time::Duration;

/// Parses a duration; the error says what was expected.
pub fn parse_duration(input: &str) -> Result<Duration, String> {
    let s = input.trim();
    if s.is_empty() {
        return Err("expected a duration such as 90s, 15m, 1h or 7d".into());
    }
    if let Ok(secs) = s.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    let mut total: u64 = 0;
    let mut digits = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 7 * 86_400,
            _ => {
                return Err(format!(
                    "unknown unit '{c}' in '{s}'; use s, m, h, d or w (e.g. 90s, 15m, 1h, 7d)"
                ))
            }
        };
        let n: u64 = digits.parse().map_err(|_| {
            format!("expected a number before '{c}' in '{s}' (e.g. 90s, 15m, 1h, 7d)")
        })?;
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| format!("'{s}' is too long"))?;
        digits.clear();
    }
    if !digits.is_empty() {
        return Err(format!(
            "'{s}' ends without a unit; write e.g. {digits}s or {digits}m"
        ));
    }
    Ok(Duration::from_secs(total))
}

/// How old something created at `at` is, by this host's clock (zero if it seems to be from the
/// future).
pub fn age(at: &noorle::Timestamp) -> Duration {
    std::time::SystemTime::now()
        .duration_since(at.to_system_time())
        .unwrap_or_default()
}

/// A duration in its largest whole unit, as `parse_duration` reads it back: `40d`, `3h`, `5m`,
/// `12s`.
pub fn format_duration(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        86_400.. => format!("{}d", s / 86_400),
        3600.. => format!("{}h", s / 3600),
        60.. => format!("{}m", s / 60),
        _ => format!("{s}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_combinations() {
        let cases = [
            ("90s", 90),
            ("15m", 900),
            ("1h", 3600),
            ("7d", 604_800),
            ("1h30m", 5400),
            ("0", 0),
            ("45", 45),
        ];
        for (s, secs) in cases {
            assert_eq!(parse_duration(s), Ok(Duration::from_secs(secs)), "{s}");
        }
    }

    #[test]
    fn formats_in_the_largest_whole_unit() {
        let cases = [
            (0, "0s"),
            (59, "59s"),
            (60, "1m"),
            (7200, "2h"),
            (40 * 86_400 + 5, "40d"),
        ];
        for (secs, shown) in cases {
            assert_eq!(format_duration(Duration::from_secs(secs)), shown);
        }
    }

    #[test]
    fn rejects_bad_input() {
        for s in ["", "h", "1x", "1h30", "-1s", "1.5h"] {
            assert!(parse_duration(s).is_err(), "{s}");
        }
    }
}
