//! Stored values read straight from their JSON text: strings, exact numbers, dates and timestamps,
//! without allocating (escaped strings are decoded into a reused buffer).

/// One stored JSON value, seen without parsing it into a tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Raw<'a> {
    /// `null`, or no answer.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A string: its body between the quotes, still escaped when `escaped`.
    Str { body: &'a str, escaped: bool },
    /// A JSON number, as written.
    Number(&'a str),
    /// An array or an object, as JSON.
    Json(&'a str),
}

impl<'a> Raw<'a> {
    /// Tell what the JSON text of one value is.
    pub fn of(json: &'a str) -> Raw<'a> {
        let json = json.trim_ascii();
        match json.as_bytes().first() {
            None | Some(b'n') => Raw::Null,
            Some(b't') => Raw::Bool(true),
            Some(b'f') => Raw::Bool(false),
            Some(b'"') => {
                let body = json.get(1..json.len().saturating_sub(1)).unwrap_or("");
                Raw::Str { body, escaped: body.as_bytes().contains(&b'\\') }
            }
            Some(b'[' | b'{') => Raw::Json(json),
            Some(_) => Raw::Number(json),
        }
    }

    /// The value as text: a string's contents (decoded into `scratch` if escaped), or the JSON of
    /// anything else; `None` for null.
    pub fn text<'s>(self, scratch: &'s mut String) -> Option<&'s str>
    where
        'a: 's,
    {
        match self {
            Raw::Null => None,
            Raw::Bool(true) => Some("true"),
            Raw::Bool(false) => Some("false"),
            Raw::Str { body, escaped: false } => Some(body),
            Raw::Str { body, escaped: true } => {
                unescape(body, scratch);
                Some(scratch.as_str())
            }
            Raw::Number(n) => Some(n),
            Raw::Json(j) => Some(j),
        }
    }
}

/// Decode the body of a JSON string into `out` (replacing what it held). Broken escapes become
/// U+FFFD; they cannot come from a JSON parser's output.
pub(crate) fn unescape(body: &str, out: &mut String) {
    out.clear();
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let decoded = match chars.next() {
            Some('"') => '"',
            Some('\\') => '\\',
            Some('/') => '/',
            Some('b') => '\u{8}',
            Some('f') => '\u{c}',
            Some('n') => '\n',
            Some('r') => '\r',
            Some('t') => '\t',
            Some('u') => {
                let high = hex4(&mut chars);
                match high {
                    Some(h @ 0xD800..=0xDBFF) => {
                        let rest = chars.as_str();
                        if rest.starts_with("\\u") {
                            chars.next();
                            chars.next();
                            match hex4(&mut chars) {
                                Some(l @ 0xDC00..=0xDFFF) => {
                                    char::from_u32(0x10000 + ((h - 0xD800) << 10) + (l - 0xDC00))
                                        .unwrap_or('\u{FFFD}')
                                }
                                _ => '\u{FFFD}',
                            }
                        } else {
                            '\u{FFFD}'
                        }
                    }
                    Some(code) => char::from_u32(code).unwrap_or('\u{FFFD}'),
                    None => '\u{FFFD}',
                }
            }
            _ => '\u{FFFD}',
        };
        out.push(decoded);
    }
}

fn hex4(chars: &mut std::str::Chars<'_>) -> Option<u32> {
    let mut n = 0;
    for _ in 0..4 {
        n = n * 16 + chars.next()?.to_digit(16)?;
    }
    Some(n)
}

/// True for the text of an exact decimal as formwork stores it: `-?[0-9]+(\.[0-9]+)?`.
pub(crate) fn is_decimal(s: &str) -> bool {
    let b = s.as_bytes();
    let b = b.strip_prefix(b"-").unwrap_or(b);
    let (whole, fraction) = match b.iter().position(|c| *c == b'.') {
        Some(dot) => (&b[..dot], Some(&b[dot + 1..])),
        None => (b, None),
    };
    !whole.is_empty()
        && whole.iter().all(u8::is_ascii_digit)
        && fraction.is_none_or(|f| !f.is_empty() && f.iter().all(u8::is_ascii_digit))
}

/// True when `s` is a decimal that JSON accepts as a number as it is (no leading zeros).
pub(crate) fn is_json_number(s: &str) -> bool {
    // One pass: JSON Lines asks this of every number it writes.
    let b = s.as_bytes();
    let b = b.strip_prefix(b"-").unwrap_or(b);
    let whole = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if whole == 0 || (whole > 1 && b[0] == b'0') {
        return false;
    }
    match b.get(whole..) {
        Some([]) => true,
        Some([b'.', fraction @ ..]) => !fraction.is_empty() && fraction.iter().all(u8::is_ascii_digit),
        _ => false,
    }
}

/// An exact decimal as an integer scaled by 10^`scale` (rounded half away from zero), if it is a
/// decimal and fits in `max_digits` digits.
pub(crate) fn scaled(s: &str, scale: u32, max_digits: u32) -> Option<i128> {
    if !is_decimal(s) {
        return None;
    }
    let (negative, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (whole, fraction) = s.split_once('.').unwrap_or((s, ""));
    let limit = 10i128.checked_pow(max_digits)?;
    let mut n: i128 = 0;
    let push = |n: i128, digit: u8| -> Option<i128> {
        let next = n.checked_mul(10)?.checked_add(i128::from(digit - b'0'))?;
        (next < limit).then_some(next)
    };
    for d in whole.bytes() {
        n = push(n, d)?;
    }
    let fraction = fraction.as_bytes();
    for i in 0..scale as usize {
        n = push(n, fraction.get(i).copied().unwrap_or(b'0'))?;
    }
    if fraction.get(scale as usize).is_some_and(|d| *d >= b'5') {
        n += 1;
        if n >= limit {
            return None;
        }
    }
    Some(if negative { -n } else { n })
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date.
pub(crate) fn date_days(s: &str) -> Option<i32> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let number = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |n, d| d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0')))
    };
    let (y, m, d) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let date = chrono::NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d)?;
    Some(chrono::Datelike::num_days_from_ce(&date) - 719_163)
}

/// (year, month, day) of a count of days since 1970-01-01 (Howard Hinnant's algorithm).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Write milliseconds since the epoch as ISO 8601 in UTC: `2026-04-01T09:30:00Z`, with
/// `.123` before the `Z` when the time has milliseconds.
pub(crate) fn write_timestamp(ms: i64, out: &mut Vec<u8>) {
    let days = ms.div_euclid(86_400_000);
    let in_day = ms.rem_euclid(86_400_000);
    let (year, month, day) = civil(days);
    let (h, m, s, milli) = (in_day / 3_600_000, in_day / 60_000 % 60, in_day / 1000 % 60, in_day % 1000);
    if (0..=9999).contains(&year) {
        push_digits(out, year as u64, 4);
    } else {
        out.extend_from_slice(year.to_string().as_bytes());
    }
    out.push(b'-');
    push_digits(out, u64::from(month), 2);
    out.push(b'-');
    push_digits(out, u64::from(day), 2);
    out.push(b'T');
    push_digits(out, h as u64, 2);
    out.push(b':');
    push_digits(out, m as u64, 2);
    out.push(b':');
    push_digits(out, s as u64, 2);
    if milli != 0 {
        out.push(b'.');
        push_digits(out, milli as u64, 3);
    }
    out.push(b'Z');
}

/// Write `n` with at least `width` digits.
pub(crate) fn push_digits(out: &mut Vec<u8>, n: u64, width: usize) {
    let mut buf = [b'0'; 20];
    let mut i = buf.len();
    let mut n = n;
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let start = i.min(buf.len() - width.min(buf.len()));
    out.extend_from_slice(&buf[start..]);
}

/// Write a signed integer.
pub(crate) fn push_int(out: &mut Vec<u8>, n: i64) {
    if n < 0 {
        out.push(b'-');
    }
    push_digits(out, n.unsigned_abs(), 1);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_told_apart_from_their_json() {
        assert_eq!(Raw::of("null"), Raw::Null);
        assert_eq!(Raw::of("true"), Raw::Bool(true));
        assert_eq!(Raw::of(r#""1234.50""#), Raw::Str { body: "1234.50", escaped: false });
        assert_eq!(Raw::of(r#""a\"b""#), Raw::Str { body: r#"a\"b"#, escaped: true });
        assert_eq!(Raw::of("-12"), Raw::Number("-12"));
        assert_eq!(Raw::of(r#"["a"]"#), Raw::Json(r#"["a"]"#));
    }

    #[test]
    fn escaped_strings_are_decoded() {
        let mut out = String::new();
        unescape(r#"a\"b\\c\n\u00e9\ud83d\ude00\/"#, &mut out);
        assert_eq!(out, "a\"b\\c\né😀/");
        unescape(r"\ud800x", &mut out);
        assert_eq!(out, "\u{FFFD}x", "a lone surrogate is replaced");
    }

    #[test]
    fn decimals_are_recognised_exactly() {
        for ok in ["0", "-1", "1234.50", "0.001"] {
            assert!(is_decimal(ok), "{ok}");
        }
        for bad in ["", "-", "1.", ".5", "1e5", "abc", "1,000", "+1", "1.2.3"] {
            assert!(!is_decimal(bad), "{bad}");
        }
        assert!(is_json_number("0.5") && is_json_number("-0") && is_json_number("10"));
        assert!(!is_json_number("007") && !is_json_number("-01"));
        assert!(!is_json_number("1.") && !is_json_number("-") && !is_json_number("1e5"));
    }

    proptest::proptest! {
        /// A JSON number in the decimal form answers are stored in: exactly what `serde_json`
        /// reads as a number, given no exponent and no spaces.
        #[test]
        fn json_numbers_are_what_json_reads_as_numbers(s in "-?[0-9.]{0,6}|\\PC{0,8}") {
            let json = !s.contains(['e', 'E']) && !s.contains(char::is_whitespace)
                && serde_json::from_str::<serde_json::Number>(&s).is_ok();
            proptest::prop_assert_eq!(is_json_number(&s), json, "{}", s);
        }
    }

    #[test]
    fn decimals_scale_and_round_half_away_from_zero() {
        assert_eq!(scaled("1234.50", 2, 18), Some(123_450));
        assert_eq!(scaled("-1234.5", 2, 18), Some(-123_450));
        assert_eq!(scaled("0.125", 2, 18), Some(13));
        assert_eq!(scaled("-0.125", 2, 18), Some(-13));
        assert_eq!(scaled("12", 0, 18), Some(12));
        assert_eq!(scaled("9999999999999999999", 0, 18), None, "19 digits do not fit 18");
        assert_eq!(scaled("999999999999999999", 0, 18), Some(999_999_999_999_999_999));
        assert_eq!(scaled("99999999999999999.995", 2, 18), None, "rounding up can overflow too");
        assert_eq!(scaled("abc", 2, 18), None);
        assert_eq!(scaled("0.33333333333333333333", 10, 38), Some(3_333_333_333));
    }

    #[test]
    fn dates_count_days_from_the_epoch() {
        assert_eq!(date_days("1970-01-01"), Some(0));
        assert_eq!(date_days("2026-04-01"), Some(20_544));
        assert_eq!(date_days("1969-12-31"), Some(-1));
        assert_eq!(date_days("2026-02-30"), None);
        assert_eq!(date_days("01/04/2026"), None);
    }

    #[test]
    fn timestamps_are_iso_8601_utc() {
        let text = |ms| {
            let mut out = Vec::new();
            write_timestamp(ms, &mut out);
            String::from_utf8(out).unwrap_or_default()
        };
        assert_eq!(text(0), "1970-01-01T00:00:00Z");
        assert_eq!(text(1_775_035_800_000), "2026-04-01T09:30:00Z");
        assert_eq!(text(1_775_035_800_123), "2026-04-01T09:30:00.123Z");
        assert_eq!(text(-1), "1969-12-31T23:59:59.999Z");
        for ms in [951_782_400_000i64, 4_102_444_799_000, 1_709_208_000_000] {
            let chrono = chrono::DateTime::from_timestamp_millis(ms)
                .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string());
            assert_eq!(Some(text(ms)), chrono);
        }
    }
}
