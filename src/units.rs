//! Human units shared by scenarios, overrides and reports: durations such as
//! `500ms`, `90s`, `2h`, `1m30s`.

/// Nanoseconds.
pub type Nanos = u64;

/// Nanoseconds to seconds.
pub fn secs(ns: Nanos) -> f64 {
    ns as f64 / 1e9
}

/// `n` and the noun, singular for one: `1 seed`, `3 seeds` (a sweep of
/// one seed said "1 seeds").
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// A whole number written plainly or in `1e9` style (`--limit events=1e9`,
/// `FLAPSIM_MEMORY_LIMIT=4e9`), surrounding spaces allowed; `None` for
/// anything else (a fraction, a sign, a unit, a value past `u64`).
pub fn parse_whole(v: &str) -> Option<u64> {
    let v = v.trim();
    v.parse::<u64>().ok().or_else(|| {
        v.parse::<f64>()
            .ok()
            .filter(|f| f.is_finite() && *f >= 0.0 && *f < 1.8e19 && f.fract() == 0.0)
            .map(|f| f as u64)
    })
}

/// Round to `digits` decimals so reports do not print float noise.
pub fn round(x: f64, digits: i32) -> f64 {
    if !x.is_finite() {
        return 0.0;
    }
    let scale = 10f64.powi(digits);
    (x * scale).round() / scale
}

/// Parse a human duration: one or more `<number><unit>` terms with units
/// `ns`, `us`/`µs`, `ms`, `s`, `m`, `h`, `d`; decimals allowed (`1.5s`).
/// A bare `0` is accepted. Errors say what was wrong and what is expected.
pub fn parse_duration(text: &str) -> Result<Nanos, String> {
    let s = text.trim();
    // The text as quoted in a message: a long one shortened.
    let shown = crate::quote::short(s);
    if s.is_empty() {
        return Err("empty duration; expected e.g. 500ms, 90s, 2h".into());
    }
    if s == "0" {
        return Ok(0);
    }
    if s.starts_with('-') {
        return Err(format!(
            "negative duration `{shown}`; durations must be >= 0"
        ));
    }
    let mut total: f64 = 0.0;
    let mut rest = s;
    while !rest.is_empty() {
        let num_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(|| {
                format!("duration `{shown}` has no unit; expected e.g. 500ms, 90s, 2h")
            })?;
        if num_end == 0 {
            return Err(format!(
                "bad duration `{shown}`; expected e.g. 500ms, 90s, 2h"
            ));
        }
        let value: f64 = rest[..num_end]
            .parse()
            .map_err(|_| format!("bad number in duration `{shown}`"))?;
        let after = &rest[num_end..];
        let unit_end = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let unit = after[..unit_end].trim();
        let scale: f64 = match unit {
            "ns" => 1.0,
            "us" | "µs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" | "min" => 60e9,
            "h" => 3600e9,
            "d" => 86400e9,
            _ => {
                return Err(format!(
                    "unknown unit `{}` in duration `{shown}`; use ns, us, ms, s, m, h or d",
                    crate::quote::short(unit)
                ))
            }
        };
        total += value * scale;
        rest = &after[unit_end..];
    }
    if !total.is_finite() || total > 1e19 {
        return Err(format!("duration `{shown}` is too large"));
    }
    Ok(total.round() as Nanos)
}

/// Units from the largest down, for formatting.
const UNITS: [(u64, &str); 7] = [
    (86_400_000_000_000, "d"),
    (3_600_000_000_000, "h"),
    (60_000_000_000, "m"),
    (1_000_000_000, "s"),
    (1_000_000, "ms"),
    (1_000, "us"),
    (1, "ns"),
];

/// Format a duration compactly for humans, as they write it: `1.5s`, `250ms`
/// under a minute, and whole days, hours and minutes above (`2h`, `1h10m`,
/// `1m30.5s`, `1d6h`, not a fraction of the largest unit such as `1.167h`).
/// May round: above a minute, to the millisecond. [`parse_duration`] reads
/// every form back.
pub fn format_duration(ns: Nanos) -> String {
    if ns == 0 {
        return "0s".into();
    }
    const MINUTE: Nanos = 60_000_000_000;
    if ns >= MINUTE {
        return days_hours_minutes(ns);
    }
    for (scale, unit) in UNITS {
        if ns >= scale {
            if ns.is_multiple_of(scale) {
                return format!("{}{}", ns / scale, unit);
            }
            let v = ns as f64 / scale as f64;
            return format!("{}{}", trim_float(v), unit);
        }
    }
    format!("{ns}ns")
}

/// `1d6h`, `1h10m`, `1m30.5s`: each whole unit from days down to seconds that
/// is not zero, the seconds to the millisecond.
fn days_hours_minutes(ns: Nanos) -> String {
    const MS: Nanos = 1_000_000;
    let mut rest = ns.saturating_add(MS / 2) / MS * MS;
    let mut out = String::new();
    for (scale, unit) in &UNITS[..3] {
        if rest >= *scale {
            out.push_str(&format!("{}{unit}", rest / scale));
            rest %= scale;
        }
    }
    if rest > 0 {
        out.push_str(&trim_float(rest as f64 / 1e9));
        out.push('s');
    }
    out
}

/// Format a duration exactly, in the largest unit that divides it (`90s`,
/// `1500ms`, `123456789ns`), so that [`parse_duration`] gives it back.
pub fn format_duration_exact(ns: Nanos) -> String {
    if ns == 0 {
        return "0s".into();
    }
    let (scale, unit) = UNITS
        .into_iter()
        .find(|(scale, _)| ns.is_multiple_of(*scale))
        .unwrap_or((1, "ns"));
    format!("{}{unit}", ns / scale)
}

fn trim_float(v: f64) -> String {
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_singular_and_every_other_count_plural() {
        assert_eq!(count(1, "seed"), "1 seed");
        assert_eq!(count(0, "run"), "0 runs");
        assert_eq!(count(2, "job"), "2 jobs");
    }

    #[test]
    fn whole_numbers_are_plain_or_in_e_notation() {
        assert_eq!(parse_whole(" 4000000000 "), Some(4_000_000_000));
        assert_eq!(parse_whole("4e9"), Some(4_000_000_000));
        for bad in ["4G", "-1", "1.5", "", "1e30"] {
            assert_eq!(parse_whole(bad), None, "{bad}");
        }
    }

    #[test]
    fn durations_parse_in_every_unit() {
        assert_eq!(parse_duration("500ms"), Ok(500_000_000));
        assert_eq!(parse_duration("90s"), Ok(90_000_000_000));
        assert_eq!(parse_duration("2h"), Ok(7_200_000_000_000));
        assert_eq!(parse_duration("1m30s"), Ok(90_000_000_000));
        assert_eq!(parse_duration("1.5s"), Ok(1_500_000_000));
        assert_eq!(parse_duration("250us"), Ok(250_000));
        assert_eq!(parse_duration("0"), Ok(0));
    }

    #[test]
    fn bad_durations_are_rejected_with_a_reason() {
        assert!(parse_duration("10").unwrap_err().contains("no unit"));
        assert!(parse_duration("10 parsecs")
            .unwrap_err()
            .contains("unknown unit"));
        assert!(parse_duration("-1s").unwrap_err().contains("negative"));
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn exact_durations_parse_back() {
        for ns in [
            0,
            1,
            1_500_000_000,
            90_000_000_000,
            123_456_789,
            7_200_000_000_000,
        ] {
            assert_eq!(parse_duration(&format_duration_exact(ns)), Ok(ns));
        }
        assert_eq!(format_duration_exact(1_500_000_000), "1500ms");
    }

    #[test]
    fn durations_format_back() {
        assert_eq!(format_duration(1_500_000_000), "1.5s");
        assert_eq!(format_duration(7_200_000_000_000), "2h");
        assert_eq!(format_duration(250_000_000), "250ms");
    }

    /// Rule: above a minute a duration reads in whole units as people write
    /// it (`validate` said `2.167h` for 2h10m), and reads back the same.
    #[test]
    fn long_durations_read_in_whole_units() {
        const S: Nanos = 1_000_000_000;
        for (ns, text) in [
            (60 * S, "1m"),
            (90 * S, "1m30s"),
            (90 * S + 500_000_000, "1m30.5s"),
            (4_200 * S, "1h10m"),
            (7_800 * S, "2h10m"),
            (3_600 * S + 10 * S, "1h10s"),
            (86_400 * S, "1d"),
            (87_000 * S, "1d10m"),
            (108_000 * S, "1d6h"),
        ] {
            assert_eq!(format_duration(ns), text, "{ns}");
            assert_eq!(parse_duration(text), Ok(ns), "{text}");
        }
        // Above a minute, rounded to the millisecond, never to `1m60s`.
        assert_eq!(format_duration(120 * S - 1), "2m");
        assert_eq!(format_duration(60 * S + 1_234_567), "1m0.001s");
    }
}
