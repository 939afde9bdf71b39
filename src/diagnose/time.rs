//! Timestamps of real logs, to Unix nanoseconds.
//!
//! Two shapes occur in memberlist/Serf/Consul/Nomad logs:
//! - Go's standard `log` (Consul 0.5–0.9, Serf agents, old Nomad, flapsim's own
//!   `memberlist.log`): `2015/09/29 00:00:37`, optionally `.123456`. It carries NO
//!   zone: Go prints the host's local time. We read it in the zone given by
//!   `--log-zone` (default UTC, which is right for flapsim's logs and for hosts run
//!   in UTC, as most servers are), or per file (`--log-zone FILE=ZONE`); a
//!   wrong zone shifts that file's lines as a whole by whole quarter hours,
//!   which [`super::zones`] finds from the Serf events the files share.
//! - RFC 3339 as hclog writes it (Consul 1.x, Nomad 0.9+): `2024-03-01T10:00:00.123Z`,
//!   `…+0900` or `…+09:00` (the text form has no colon, the JSON form has one). The
//!   zone is applied, so files in different zones line up.

use crate::report::log::days_from_civil;

/// Nanoseconds since 1970-01-01T00:00:00Z.
pub type UnixNs = i64;

/// A parsed timestamp: the instant, the precision the log gives it with (1 s for
/// Go's default log, 1 ms for hclog), and how many bytes of the input it used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    pub at: UnixNs,
    pub precision: i64,
    pub len: usize,
    /// Whether the text carried its zone (hclog's `Z`, `+0900`): a stamp
    /// without one was read in the zone given, which may be wrong for its host.
    pub zoned: bool,
}

/// Years outside this range are a garbled line, not a log (and keep the
/// arithmetic far from i64's limits).
const YEARS: std::ops::RangeInclusive<i64> = 1990..=2200;

fn digits(b: &[u8], at: usize, n: usize) -> Option<i64> {
    let s = b.get(at..at + n)?;
    s.iter().try_fold(0i64, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
    })
}

/// Fraction of a second after the seconds (`.123`): nanoseconds, precision, bytes used.
fn fraction(b: &[u8], at: usize) -> (i64, i64, usize) {
    if b.get(at) != Some(&b'.') && b.get(at) != Some(&b',') {
        return (0, 1_000_000_000, 0);
    }
    let mut ns = 0i64;
    let mut n = 0usize;
    while let Some(&c) = b.get(at + 1 + n) {
        if !c.is_ascii_digit() {
            break;
        }
        if n < 9 {
            ns = ns * 10 + i64::from(c - b'0');
        }
        n += 1;
    }
    if n == 0 {
        return (0, 1_000_000_000, 0);
    }
    let kept = n.min(9) as u32;
    let scale = 10i64.pow(9 - kept);
    (ns * scale, scale, n + 1)
}

/// Why a timestamp-shaped text is not a valid instant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadStamp(pub String);

fn civil(y: i64, mo: i64, d: i64, h: i64, mi: i64, s: i64) -> Result<i64, BadStamp> {
    if !YEARS.contains(&y) {
        return Err(BadStamp(format!("year {y} is out of range")));
    }
    let month_days = [
        31,
        28 + i64::from(leap(y)),
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&mo) || d < 1 || d > month_days[(mo - 1) as usize] {
        return Err(BadStamp(format!("no date {y:04}-{mo:02}-{d:02}")));
    }
    // 60 is a leap second (Go never prints it, but accept it).
    if h > 23 || mi > 59 || s > 60 {
        return Err(BadStamp(format!("no time {h:02}:{mi:02}:{s:02}")));
    }
    let days = days_from_civil(y, mo as u32, d as u32);
    Ok(days * 86_400 + h * 3600 + mi * 60 + s)
}

/// The civil seconds of `YYYY?MM?DD?HH:MM:SS` at the start of `b` (both
/// shapes put the numbers at the same offsets; the caller checked the separators).
fn date_time(b: &[u8]) -> Option<Result<i64, BadStamp>> {
    let n = |at, len| digits(b, at, len);
    Some(civil(
        n(0, 4)?,
        n(5, 2)?,
        n(8, 2)?,
        n(11, 2)?,
        n(14, 2)?,
        n(17, 2)?,
    ))
}

fn leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// Go `log` framing: `YYYY/MM/DD HH:MM:SS[.frac]`, read in the zone `offset_s`
/// (seconds east of UTC). `None` when the text does not have that shape.
pub fn go_log(b: &[u8], offset_s: i64) -> Option<Result<Stamp, BadStamp>> {
    let shape = b.len() >= 19
        && b[4] == b'/'
        && b[7] == b'/'
        && b[10] == b' '
        && b[13] == b':'
        && b[16] == b':';
    if !shape {
        return None;
    }
    let secs = date_time(b)?;
    let (ns, precision, flen) = fraction(b, 19);
    Some(secs.map(|secs| Stamp {
        at: (secs - offset_s) * 1_000_000_000 + ns,
        precision,
        len: 19 + flen,
        zoned: false,
    }))
}

/// Month abbreviations of a syslog header.
pub const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// How far after its file's last modification a line without a year may be
/// stamped (the host's zone against the reader's, a clock a little ahead).
pub const YEARLESS_SLACK_S: i64 = 2 * 86_400;

/// A syslog / journald header's stamp, `Mmm dd HH:MM:SS[.frac]` (`-o
/// short-precise` adds the fraction), read in the zone `offset_s`. It has no
/// year: the year is the latest that puts the line no later than
/// `reference` (its file's last modification: a line is written before its
/// file last changes) plus [`YEARLESS_SLACK_S`], so a file from December to
/// January reads across the new year. `None` when not of that shape.
pub fn syslog(b: &[u8], offset_s: i64, reference: UnixNs) -> Option<Result<Stamp, BadStamp>> {
    let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let shape = b.len() >= 15
        && b[3] == b' '
        && (b[4] == b' ' || digit(4))
        && digit(5)
        && b[6] == b' '
        && b[9] == b':'
        && b[12] == b':';
    if !shape {
        return None;
    }
    let mo = MONTHS.iter().position(|m| b.starts_with(m.as_bytes()))? as i64 + 1;
    let d = if b[4] == b' ' {
        digits(b, 5, 1)?
    } else {
        digits(b, 4, 2)?
    };
    let (h, mi, sec) = (digits(b, 7, 2)?, digits(b, 10, 2)?, digits(b, 13, 2)?);
    let (ns, precision, flen) = fraction(b, 15);
    let ref_s = reference.div_euclid(1_000_000_000);
    let (ref_year, _, _) =
        crate::report::log::civil_from_days((ref_s + offset_s).div_euclid(86_400));
    let mut last = None;
    for y in [ref_year + 1, ref_year, ref_year - 1] {
        match civil(y, mo, d, h, mi, sec) {
            Ok(secs) if secs - offset_s <= ref_s + YEARLESS_SLACK_S => {
                return Some(Ok(Stamp {
                    at: (secs - offset_s) * 1_000_000_000 + ns,
                    precision,
                    len: 15 + flen,
                    zoned: false,
                }))
            }
            Ok(_) => {}
            Err(e) => last = Some(e),
        }
    }
    Some(Err(last.unwrap_or_else(|| {
        BadStamp(format!(
            "no date {mo:02}-{d:02} in the year up to the file's last change"
        ))
    })))
}

/// RFC 3339 as hclog prints it: `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HHMM|±HH:MM)`. A
/// missing zone is read in `offset_s`, like Go's log.
pub fn rfc3339(b: &[u8], offset_s: i64) -> Option<Result<Stamp, BadStamp>> {
    let shape = b.len() >= 19
        && b[4] == b'-'
        && b[7] == b'-'
        && (b[10] == b'T' || b[10] == b' ')
        && b[13] == b':'
        && b[16] == b':';
    if !shape {
        return None;
    }
    let secs = date_time(b)?;
    let (ns, precision, flen) = fraction(b, 19);
    let mut len = 19 + flen;
    let zoned = matches!(b.get(len), Some(b'Z' | b'z' | b'+' | b'-'));
    let offset = match b.get(len) {
        Some(b'Z') | Some(b'z') => {
            len += 1;
            0
        }
        Some(&sign @ (b'+' | b'-')) => {
            let hh = digits(b, len + 1, 2);
            let colon = b.get(len + 3) == Some(&b':');
            let mm = digits(b, len + if colon { 4 } else { 3 }, 2);
            match (hh, mm) {
                (Some(hh), Some(mm)) if hh <= 23 && mm <= 59 => {
                    len += if colon { 6 } else { 5 };
                    let o = hh * 3600 + mm * 60;
                    if sign == b'-' {
                        -o
                    } else {
                        o
                    }
                }
                _ => return Some(Err(BadStamp("zone offset is not ±HH:MM".into()))),
            }
        }
        _ => offset_s,
    };
    Some(secs.map(|secs| Stamp {
        at: (secs - offset) * 1_000_000_000 + ns,
        precision,
        len,
        zoned,
    }))
}

/// Seconds east of UTC as a zone is written: `+09:00`, `-07:30`, `UTC`.
pub fn format_zone(offset_s: i64) -> String {
    if offset_s == 0 {
        return "UTC".into();
    }
    let sign = if offset_s < 0 { '-' } else { '+' };
    let m = offset_s.abs() / 60;
    format!("{sign}{:02}:{:02}", m / 60, m % 60)
}

/// `--log-zone`: `UTC`, `Z`, `+09:00`, `-0700`, `+9`: seconds east of UTC.
pub fn parse_zone(s: &str) -> Result<i64, String> {
    let t = s.trim();
    if t.eq_ignore_ascii_case("utc") || t.eq_ignore_ascii_case("z") || t == "0" {
        return Ok(0);
    }
    let bad = || {
        let s = crate::quote::short(s);
        format!("`{s}` is not a UTC offset; expected UTC, +09:00, -0700 or +9 (no zone names: the offset in force when the log was written)")
    };
    let (sign, rest) = match t.as_bytes().first() {
        Some(b'+') => (1, &t[1..]),
        Some(b'-') => (-1, &t[1..]),
        _ => return Err(bad()),
    };
    let (h, m) = if let Some((h, m)) = rest.split_once(':') {
        (h, m)
    } else if rest.len() == 4 {
        (&rest[..2], &rest[2..])
    } else {
        (rest, "0")
    };
    let h: i64 = h.parse().map_err(|_| bad())?;
    let m: i64 = m.parse().map_err(|_| bad())?;
    if !(0..=14).contains(&h) || !(0..=59).contains(&m) {
        return Err(bad());
    }
    Ok(sign * (h * 3600 + m * 60))
}

/// `--since`/`--until`: an RFC 3339 instant (`2015-09-29T00:10:00Z`), a Go-log
/// instant (`2015/09/29 00:10:00`, read in `offset_s`), or a date alone.
pub fn parse_instant(s: &str, offset_s: i64) -> Result<UnixNs, String> {
    let t = s.trim();
    let b = t.as_bytes();
    let full = |r: Option<Result<Stamp, BadStamp>>| match r {
        Some(Ok(st)) if st.len == b.len() => Some(Ok(st.at)),
        Some(Err(BadStamp(e))) => Some(Err(e)),
        _ => None,
    };
    if let Some(r) = full(rfc3339(b, offset_s)).or_else(|| full(go_log(b, offset_s))) {
        return r.map_err(|e| format!("`{}`: {e}", crate::quote::short(s)));
    }
    if b.len() == 10 {
        let padded = format!("{t}T00:00:00");
        let padded = padded.replace('/', "-");
        if let Some(r) = full_owned(&padded, offset_s) {
            return r.map_err(|e| format!("`{}`: {e}", crate::quote::short(s)));
        }
    }
    Err(format!(
        "`{}` is not a time; expected e.g. 2015-09-29T00:10:00Z, 2024-03-01T10:00:00+09:00 or `2015/09/29 00:10:00`",
        crate::quote::short(s)
    ))
}

fn full_owned(t: &str, offset_s: i64) -> Option<Result<UnixNs, String>> {
    match rfc3339(t.as_bytes(), offset_s) {
        Some(Ok(st)) if st.len == t.len() => Some(Ok(st.at)),
        Some(Err(BadStamp(e))) => Some(Err(e)),
        _ => None,
    }
}

/// `YYYY-MM-DDTHH:MM:SS[.mmm]Z` of an instant (for reports).
pub fn format_utc(at: UnixNs, millis: bool) -> String {
    let secs = at.div_euclid(1_000_000_000);
    let ns = at.rem_euclid(1_000_000_000);
    let (y, m, d) = crate::report::log::civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400);
    let base = format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    );
    if millis {
        format!("{base}.{:03}Z", ns / 1_000_000)
    } else {
        format!("{base}Z")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000_000;

    #[test]
    fn go_log_is_read_in_the_given_zone() {
        let utc = go_log(b"2015/09/29 00:00:37 [WARN] x", 0).unwrap().unwrap();
        assert_eq!(utc.at, (days_from_civil(2015, 9, 29) * 86_400 + 37) * S);
        assert_eq!((utc.precision, utc.len), (S, 19));
        let tokyo = go_log(b"2015/09/29 09:00:37", 9 * 3600).unwrap().unwrap();
        assert_eq!(tokyo.at, utc.at);
        let micro = go_log(b"2015/09/29 00:00:37.250000 [INFO]", 0)
            .unwrap()
            .unwrap();
        assert_eq!(
            (micro.at - utc.at, micro.precision, micro.len),
            (S / 4, 1000, 26)
        );
    }

    #[test]
    fn rfc3339_applies_its_zone() {
        let z = rfc3339(b"2024-03-01T10:00:00.123Z [WARN]", 0)
            .unwrap()
            .unwrap();
        let plus = rfc3339(b"2024-03-01T19:00:00.123+0900", 0)
            .unwrap()
            .unwrap();
        let colon = rfc3339(b"2024-03-01T02:00:00.123-08:00", 0)
            .unwrap()
            .unwrap();
        assert_eq!(z.at, plus.at);
        assert_eq!(z.at, colon.at);
        assert_eq!((z.precision, z.len), (1_000_000, 24));
        assert_eq!(plus.len, 28);
        assert_eq!(colon.len, 29);
    }

    #[test]
    fn impossible_dates_are_errors_not_instants() {
        assert!(go_log(b"2015/13/29 00:00:37", 0).unwrap().is_err());
        assert!(go_log(b"2015/02/29 00:00:37", 0).unwrap().is_err());
        assert!(rfc3339(b"2024-02-29T24:00:00Z", 0).unwrap().is_err());
        assert!(rfc3339(b"9999-01-01T00:00:00Z", 0).unwrap().is_err());
        // Not the shape at all: not a timestamp (an unknown line, not an error).
        assert!(go_log(b"==> Starting Consul agent...", 0).is_none());
        assert!(rfc3339(b"2024-03-0", 0).is_none());
    }

    #[test]
    fn zones_and_instants_parse() {
        assert_eq!(parse_zone("UTC"), Ok(0));
        assert_eq!(parse_zone("+09:00"), Ok(9 * 3600));
        assert_eq!(parse_zone("-0730"), Ok(-(7 * 3600 + 1800)));
        assert_eq!(parse_zone("+9"), Ok(9 * 3600));
        assert!(parse_zone("Asia/Tokyo").is_err());
        for z in ["+09:00", "-07:30", "+05:45", "UTC", "-12:00"] {
            assert_eq!(format_zone(parse_zone(z).unwrap()), z);
        }
        let a = parse_instant("2015-09-29T00:10:00Z", 0).unwrap();
        let b = parse_instant("2015/09/29 09:10:00", 9 * 3600).unwrap();
        let c = parse_instant("2015-09-29", 0).unwrap();
        assert_eq!(a, b);
        assert_eq!(a - c, 600 * S);
        assert_eq!(format_utc(a, false), "2015-09-29T00:10:00Z");
        assert!(parse_instant("yesterday", 0).is_err());
    }
}
