//! The one place that turns what people type (or what a file holds) into typed answer values.
//!
//! Web forms, JSON, CSV and spreadsheet cells all arrive as an [`Input`]; [`convert`] turns it into
//! a [`Value`] for the question's type or says what is wrong with it ([`Problem`]); the wording of
//! the message is built in `messages.rs`.

use std::borrow::Cow;
use std::str::FromStr;
use std::sync::Arc;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::model::{ChoiceList, Definition, Question, QuestionType};
use crate::value::{FileRef, Value};

/// An answer as it arrived, before it is typed.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Input<'a> {
    /// Nothing: a missing key, an empty cell, `null`, or blank text.
    #[default]
    Empty,
    /// Text as typed.
    Text(Cow<'a, str>),
    /// A number from JSON or a numeric spreadsheet cell.
    Number(Decimal),
    /// A JSON boolean or a spreadsheet TRUE/FALSE cell.
    Bool(bool),
    /// A spreadsheet date cell.
    Date(NaiveDate),
    /// A JSON array (multi-choice answers).
    List(Vec<Input<'a>>),
    /// An attached file.
    File(FileRef),
    /// Something that can never be an answer, e.g. a JSON object for a number question; the text
    /// says what it was ("an object").
    Unusable(&'static str),
}

/// `str::trim`, with a fast path for the usual text that starts and ends with a visible ASCII
/// character (trimming is done for every answer, so it shows in profiles).
pub fn trim(s: &str) -> &str {
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (Some(a), Some(b)) if a.is_ascii_graphic() && b.is_ascii_graphic() => s,
        _ => s.trim(),
    }
}

impl Input<'_> {
    /// True when there is no answer (blank text counts as none).
    pub fn is_empty(&self) -> bool {
        match self {
            Input::Empty => true,
            Input::Text(t) => trim(t).is_empty(),
            Input::List(items) => items.iter().all(Input::is_empty),
            _ => false,
        }
    }

    /// Copy out any borrowed text.
    pub fn into_owned(self) -> Input<'static> {
        match self {
            Input::Empty => Input::Empty,
            Input::Text(t) => Input::Text(Cow::Owned(t.into_owned())),
            Input::Number(n) => Input::Number(n),
            Input::Bool(b) => Input::Bool(b),
            Input::Date(d) => Input::Date(d),
            Input::List(items) => Input::List(items.into_iter().map(Input::into_owned).collect()),
            Input::File(f) => Input::File(f),
            Input::Unusable(what) => Input::Unusable(what),
        }
    }
}

/// Why an input does not fit its question. Each becomes one item; see `messages.rs`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// Not a number at all.
    NotNumber,
    /// A number, but not whole (integer questions).
    NotWhole,
    /// More decimal places than the type allows.
    TooManyPlaces(u32),
    /// Not written as a date.
    NotDateFormat,
    /// Written as a date, but no such day (31/02/2026).
    NotRealDate,
    /// Not yes or no.
    NotYesNo,
    /// Not an email address.
    NotEmail,
    /// Not a phone number.
    NotPhone,
    /// Not a UK postcode.
    NotPostcode,
    /// Not a web address.
    NotUrl,
    /// A list or object where text was expected.
    NotText(&'static str),
    /// Not a file.
    NotFile,
    /// Not one of the choices; holds what was given.
    NotChoice(String),
    /// The file's extension is not accepted; holds the extension.
    FileType(String),
    /// The file is larger than `max_size`; holds its size.
    FileTooBig(u64),
}

/// Turn `input` into a value for `question`. `Ok(Value::Null)` means no answer.
pub fn convert(def: &Definition, question: &Question, input: &Input<'_>) -> Result<Value, Problem> {
    if input.is_empty() {
        return Ok(Value::Null);
    }
    if let Input::Unusable(what) = input {
        return Err(match question.ty {
            QuestionType::File => Problem::NotFile,
            t if t.is_number() => Problem::NotNumber,
            QuestionType::Date => Problem::NotDateFormat,
            QuestionType::YesNo => Problem::NotYesNo,
            _ => Problem::NotText(what),
        });
    }
    match question.ty {
        QuestionType::Text | QuestionType::LongText => {
            text(input, question.ty == QuestionType::LongText).map(|t| Value::Text(Arc::from(t)))
        }
        QuestionType::Integer => {
            number(input, None, false).and_then(|n| places(n, 0).map_err(|_| Problem::NotWhole))
        }
        QuestionType::Decimal => {
            number(input, None, false).and_then(|n| places(n, question.options.places.unwrap_or(28)))
        }
        QuestionType::Money => number(input, Some(&def.currency.symbol), false).and_then(|n| {
            places(n, 2).map(|v| match v {
                Value::Number(mut n) => {
                    n.rescale(2);
                    Value::Number(n)
                }
                other => other,
            })
        }),
        QuestionType::Percentage => {
            number(input, None, true).and_then(|n| places(n, question.options.places.unwrap_or(28)))
        }
        QuestionType::Date => date(input).map(Value::Date),
        QuestionType::YesNo => yes_no(input).map(Value::Bool),
        QuestionType::Choice => {
            let list = def.choices_of(question);
            choice(list, input).map(Value::Text)
        }
        QuestionType::MultiChoice => {
            let list = def.choices_of(question);
            multi_choice(list, input)
        }
        QuestionType::Email => email(&text(input, false)?).map(|t| Value::Text(Arc::from(t))),
        QuestionType::Phone => phone(&text(input, false)?).map(|t| Value::Text(Arc::from(t))),
        QuestionType::Postcode => postcode(&text(input, false)?).map(|t| Value::Text(Arc::from(t))),
        QuestionType::Url => url(&text(input, false)?).map(|t| Value::Text(Arc::from(t))),
        QuestionType::File => file(question, input).map(|f| Value::File(Arc::new(f))),
        // A calculated answer is worked out, never taken from the input.
        QuestionType::Calculated => Ok(Value::Null),
    }
}

fn text(input: &Input<'_>, multiline: bool) -> Result<String, Problem> {
    Ok(match input {
        Input::Text(t) => {
            let t = trim(t);
            if multiline { t.replace("\r\n", "\n") } else { t.to_string() }
        }
        Input::Number(n) => n.normalize().to_string(),
        Input::Bool(true) => "Yes".into(),
        Input::Bool(false) => "No".into(),
        Input::Date(d) => d.format("%Y-%m-%d").to_string(),
        Input::List(_) => return Err(Problem::NotText("a list")),
        Input::File(_) => return Err(Problem::NotText("a file")),
        Input::Empty => String::new(),
        Input::Unusable(what) => return Err(Problem::NotText(what)),
    })
}

/// Read a number: `1234.5`, `1,234.50`, `£1,234.50`, `-£5`, `12.5%` (percentages), `1.2E+3`.
pub fn number(input: &Input<'_>, symbol: Option<&str>, percent: bool) -> Result<Decimal, Problem> {
    match input {
        Input::Number(n) => Ok(*n),
        Input::Text(t) => parse_number(t, symbol, percent).ok_or(Problem::NotNumber),
        _ => Err(Problem::NotNumber),
    }
}

fn parse_number(text: &str, symbol: Option<&str>, percent: bool) -> Option<Decimal> {
    let mut t = trim(text);
    if percent {
        t = t.strip_suffix('%').unwrap_or(t).trim_end();
    }
    let mut negative = false;
    if let Some(rest) = t.strip_prefix('-') {
        negative = true;
        t = rest.trim_start();
    } else if let Some(rest) = t.strip_prefix('+') {
        t = rest.trim_start();
    }
    if let Some(symbol) = symbol {
        let symbol = symbol.trim();
        if let Some(rest) = t.strip_prefix(symbol) {
            t = rest.trim_start();
        }
        if !negative && let Some(rest) = t.strip_prefix('-') {
            negative = true;
            t = rest;
        }
    }
    if t.is_empty() {
        return None;
    }
    let plain: Cow<'_, str> = if t.contains(',') {
        // Commas only as thousands separators: `1,234.50` but never `1,5`.
        let (whole, fraction) = t.split_once('.').unwrap_or((t, ""));
        let groups: Vec<&str> = whole.split(',').collect();
        let grouped = groups.first().is_some_and(|g| (1..=3).contains(&g.len()))
            && groups.iter().skip(1).all(|g| g.len() == 3)
            && groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_digit()));
        if !grouped {
            return None;
        }
        let mut s = groups.concat();
        if t.contains('.') {
            s.push('.');
            s.push_str(fraction);
        }
        Cow::Owned(s)
    } else {
        Cow::Borrowed(t)
    };
    let valid = plain
        .bytes()
        .all(|b| b.is_ascii_digit() || b == b'.' || b == b'e' || b == b'E' || b == b'+' || b == b'-')
        && plain.bytes().next().is_some_and(|b| b.is_ascii_digit() || b == b'.');
    if !valid {
        return None;
    }
    let n = if let Some(n) = plain_decimal(&plain) {
        n
    } else if plain.contains(['e', 'E']) {
        Decimal::from_scientific(&plain).ok()?
    } else {
        Decimal::from_str(&plain).ok()?
    };
    Some(if negative { -n } else { n })
}

/// The usual number, `1234.50`: digits with at most one point and at most 18 digits, read without
/// the general parser (numbers are in most answers, so this shows in profiles).
fn plain_decimal(text: &str) -> Option<Decimal> {
    let bytes = text.as_bytes();
    if bytes.is_empty() || bytes.len() > 19 {
        return None;
    }
    let mut mantissa: i64 = 0;
    let mut scale: Option<u32> = None;
    let mut digits = 0;
    for &b in bytes {
        match b {
            b'0'..=b'9' => {
                mantissa = mantissa * 10 + i64::from(b - b'0');
                digits += 1;
                if let Some(s) = scale.as_mut() {
                    *s += 1;
                }
            }
            b'.' if scale.is_none() => scale = Some(0),
            _ => return None,
        }
    }
    (digits > 0 && digits <= 18).then(|| Decimal::new(mantissa, scale.unwrap_or(0)))
}

/// A number with at most `max` decimal places (trailing zeros do not count).
fn places(n: Decimal, max: u32) -> Result<Value, Problem> {
    let normal = n.normalize();
    if normal.scale() > max {
        return Err(Problem::TooManyPlaces(max));
    }
    Ok(Value::Number(if max == 0 { normal } else { n }))
}

/// Read a date: `2026-04-01`, `1/4/2026`, `01/04/2026`, or a date cell.
pub fn date(input: &Input<'_>) -> Result<NaiveDate, Problem> {
    let t = match input {
        Input::Date(d) => return Ok(*d),
        Input::Text(t) => trim(t),
        _ => return Err(Problem::NotDateFormat),
    };
    parse_date(t)
}

fn parse_date(t: &str) -> Result<NaiveDate, Problem> {
    // An ISO date-time at midnight, as some systems export dates.
    let t = t.strip_suffix("T00:00:00").or_else(|| t.strip_suffix(" 00:00:00")).unwrap_or(t);
    let parts: Vec<&str> = if t.contains('-') && t.len() == 10 && t.as_bytes()[4] == b'-' {
        let p: Vec<&str> = t.split('-').collect();
        if p.len() != 3 {
            return Err(Problem::NotDateFormat);
        }
        vec![p[2], p[1], p[0]]
    } else {
        t.split('/').collect()
    };
    if parts.len() != 3
        || parts.iter().any(|p| p.is_empty() || p.len() > 4 || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(Problem::NotDateFormat);
    }
    if parts[2].len() != 4 || parts[0].len() > 2 || parts[1].len() > 2 {
        return Err(Problem::NotDateFormat);
    }
    let (day, month, year) = (parts[0].parse::<u32>(), parts[1].parse::<u32>(), parts[2].parse::<i32>());
    match (day, month, year) {
        (Ok(d), Ok(m), Ok(y)) => NaiveDate::from_ymd_opt(y, m, d).ok_or(Problem::NotRealDate),
        _ => Err(Problem::NotDateFormat),
    }
}

fn yes_no(input: &Input<'_>) -> Result<bool, Problem> {
    match input {
        Input::Bool(b) => Ok(*b),
        Input::Text(t) => {
            let t = trim(t);
            if ["yes", "y", "true"].iter().any(|w| t.eq_ignore_ascii_case(w)) {
                Ok(true)
            } else if ["no", "n", "false"].iter().any(|w| t.eq_ignore_ascii_case(w)) {
                Ok(false)
            } else {
                Err(Problem::NotYesNo)
            }
        }
        _ => Err(Problem::NotYesNo),
    }
}

fn choice_text(input: &Input<'_>) -> Option<String> {
    match input {
        Input::Text(t) => Some(t.trim().to_string()),
        Input::Number(n) => Some(n.normalize().to_string()),
        Input::Bool(true) => Some("Yes".into()),
        Input::Bool(false) => Some("No".into()),
        _ => None,
    }
}

fn choice(list: Option<&ChoiceList>, input: &Input<'_>) -> Result<Arc<str>, Problem> {
    let given = choice_text(input).ok_or(Problem::NotChoice(String::new()))?;
    list.and_then(|l| l.find(&given)).map(|c| c.value.clone()).ok_or(Problem::NotChoice(given))
}

fn multi_choice(list: Option<&ChoiceList>, input: &Input<'_>) -> Result<Value, Problem> {
    let mut values: Vec<Value> = Vec::new();
    let mut add = |value: Arc<str>| {
        let v = Value::Text(value);
        if !values.contains(&v) {
            values.push(v);
        }
    };
    match input {
        Input::List(items) => {
            for item in items.iter().filter(|i| !i.is_empty()) {
                add(choice(list, item)?);
            }
        }
        Input::Text(t) => {
            // A whole label may itself contain `;`: try the whole text first.
            if let Some(c) = list.and_then(|l| l.find(t.trim())) {
                add(c.value.clone());
            } else {
                for part in t.split(';').map(str::trim).filter(|p| !p.is_empty()) {
                    add(choice(list, &Input::Text(Cow::Borrowed(part)))?);
                }
            }
        }
        other => add(choice(list, other)?),
    }
    if values.is_empty() { Ok(Value::Null) } else { Ok(Value::List(values.into())) }
}

/// Lower-cased, and checked for one `@`, a local part and a domain with a dot.
pub fn email(t: &str) -> Result<String, Problem> {
    let t = t.trim().to_lowercase();
    let Some((local, domain)) = t.split_once('@') else {
        return Err(Problem::NotEmail);
    };
    let domain_ok = domain.len() <= 253
        && domain.contains('.')
        && domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
        && domain
            .rsplit('.')
            .next()
            .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(char::is_alphabetic));
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local.chars().all(|c| c.is_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
    if domain_ok && local_ok { Ok(t) } else { Err(Problem::NotEmail) }
}

/// Digits with an optional leading `+`; spaces, dashes, dots, brackets and a `(0)` after a country
/// code are removed. 10 to 15 digits.
pub fn phone(t: &str) -> Result<String, Problem> {
    let t = t.trim().replace("(0)", "");
    let international = t.starts_with('+');
    let mut digits = String::with_capacity(t.len());
    for (i, c) in t.chars().enumerate() {
        match c {
            '0'..='9' => digits.push(c),
            '+' if i == 0 => {}
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => return Err(Problem::NotPhone),
        }
    }
    if !(10..=15).contains(&digits.len()) {
        return Err(Problem::NotPhone);
    }
    Ok(if international { format!("+{digits}") } else { digits })
}

/// A UK postcode, upper-cased with one space before the inward code: `SW1A 2AA`.
pub fn postcode(t: &str) -> Result<String, Problem> {
    let compact: String = t.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
    let b = compact.as_bytes();
    if compact == "GIR0AA" {
        return Ok("GIR 0AA".into());
    }
    if !(5..=7).contains(&b.len()) || !b.is_ascii() {
        return Err(Problem::NotPostcode);
    }
    let (outward, inward) = compact.split_at(b.len() - 3);
    let i = inward.as_bytes();
    let inward_ok = i[0].is_ascii_digit() && i[1].is_ascii_alphabetic() && i[2].is_ascii_alphabetic();
    let o = outward.as_bytes();
    // A, AA, then a digit, then an optional digit or letter: A9, A99, A9A, AA9, AA99, AA9A.
    let letters = o.iter().take_while(|c| c.is_ascii_alphabetic()).count();
    let rest = &o[letters..];
    let outward_ok = (1..=2).contains(&letters)
        && !rest.is_empty()
        && rest[0].is_ascii_digit()
        && rest.len() <= 2
        && rest.get(1).is_none_or(|c| c.is_ascii_alphanumeric());
    if !(inward_ok && outward_ok) {
        return Err(Problem::NotPostcode);
    }
    let mut normal = String::with_capacity(8);
    normal.push_str(outward);
    normal.push(' ');
    normal.push_str(inward);
    Ok(normal)
}

/// An `http` or `https` address with a host; `https://` is added to `www.example.com`.
pub fn url(t: &str) -> Result<String, Problem> {
    let t = t.trim();
    if t.chars().any(char::is_whitespace) {
        return Err(Problem::NotUrl);
    }
    let lower = t.to_ascii_lowercase();
    let (full, rest) =
        if let Some(rest) = lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://")) {
            (t.to_string(), rest.to_string())
        } else if lower.contains("://") {
            return Err(Problem::NotUrl);
        } else {
            (format!("https://{t}"), lower.clone())
        };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit('@').next().unwrap_or(host);
    let host = host.split(':').next().unwrap_or(host);
    let ok = host == "localhost"
        || (host.contains('.')
            && host.split('.').all(|l| !l.is_empty() && l.chars().all(|c| c.is_alphanumeric() || c == '-')));
    if ok { Ok(full) } else { Err(Problem::NotUrl) }
}

fn file(question: &Question, input: &Input<'_>) -> Result<FileRef, Problem> {
    let f = match input {
        Input::File(f) => f.clone(),
        Input::Text(name) => FileRef { name: name.trim().to_string(), size: 0, id: None },
        _ => return Err(Problem::NotFile),
    };
    if !question.options.accept.is_empty() {
        let ext = f.name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
        if !question.options.accept.contains(&ext) {
            return Err(Problem::FileType(ext));
        }
    }
    if let Some(max) = question.options.max_size
        && f.size > max
    {
        return Err(Problem::FileTooBig(f.size));
    }
    Ok(f)
}

/// The decimal a JSON or spreadsheet floating-point number stands for: its shortest round-trip
/// representation, so a cell showing 0.1 is exactly 0.1 (never 0.1000000000000000055…).
pub fn decimal_from_f64(x: f64) -> Option<Decimal> {
    if !x.is_finite() {
        return None;
    }
    // Fast path for the usual numbers (money, counts): the fewest decimal places that read back
    // as exactly this float. Dividing an integer below 2^53 by a power of ten is correctly rounded,
    // so a match means this decimal is the one the float stands for.
    let mut scale = 1.0f64;
    for places in 0..=8u32 {
        let n = (x * scale).round();
        if n.abs() >= 9_007_199_254_740_992.0 {
            break;
        }
        if n / scale == x {
            return Some(Decimal::new(n as i64, places));
        }
        scale *= 10.0;
    }
    let text = format!("{x}");
    Decimal::from_str(&text).ok().or_else(|| Decimal::from_scientific(&format!("{x:e}")).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Input<'_> {
        Input::Text(Cow::Borrowed(s))
    }

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn numbers_as_people_type_them() {
        assert_eq!(number(&t("£1,234.50"), Some("£"), false), Ok(dec("1234.50")));
        assert_eq!(number(&t("-£5"), Some("£"), false), Ok(dec("-5")));
        assert_eq!(number(&t("£-5"), Some("£"), false), Ok(dec("-5")));
        assert_eq!(number(&t(" 1234.5 "), None, false), Ok(dec("1234.5")));
        assert_eq!(number(&t("12.5%"), None, true), Ok(dec("12.5")));
        assert_eq!(number(&t("1.2E+3"), None, false), Ok(dec("1200")));
        assert_eq!(number(&t("1,5"), None, false), Err(Problem::NotNumber));
        assert_eq!(number(&t("12,34"), None, false), Err(Problem::NotNumber));
        assert_eq!(number(&t("abc"), None, false), Err(Problem::NotNumber));
        assert_eq!(number(&t("12.5%"), None, false), Err(Problem::NotNumber));
        assert_eq!(number(&t("£"), Some("£"), false), Err(Problem::NotNumber));
        assert_eq!(number(&t("1e999999"), None, false), Err(Problem::NotNumber));
        assert_eq!(number(&t("0012.50"), None, false), Ok(dec("12.50")));
        assert_eq!(number(&t("."), None, false), Err(Problem::NotNumber));
        assert_eq!(number(&t("1.2.3"), None, false), Err(Problem::NotNumber));
        assert_eq!(number(&t("123456789012345678901"), None, false), Ok(dec("123456789012345678901")));
    }

    #[test]
    fn places_are_counted_without_trailing_zeros() {
        assert!(places(dec("12.500"), 2).is_ok());
        assert_eq!(places(dec("12.345"), 2), Err(Problem::TooManyPlaces(2)));
        assert_eq!(places(dec("3.0"), 0), Ok(Value::Number(dec("3"))));
    }

    #[test]
    fn dates_in_both_forms() {
        let d = NaiveDate::from_ymd_opt(2026, 4, 1).unwrap();
        assert_eq!(date(&t("2026-04-01")), Ok(d));
        assert_eq!(date(&t("01/04/2026")), Ok(d));
        assert_eq!(date(&t("1/4/2026")), Ok(d));
        assert_eq!(date(&t("2026-04-01T00:00:00")), Ok(d));
        assert_eq!(date(&t("31/02/2026")), Err(Problem::NotRealDate));
        assert_eq!(date(&t("1/4/26")), Err(Problem::NotDateFormat));
        assert_eq!(date(&t("April 1st")), Err(Problem::NotDateFormat));
        assert_eq!(date(&t("2026-4-1")), Err(Problem::NotDateFormat));
    }

    #[test]
    fn postcodes_are_normalised() {
        assert_eq!(postcode("sw1a2aa"), Ok("SW1A 2AA".into()));
        assert_eq!(postcode(" M1 1AE "), Ok("M1 1AE".into()));
        assert_eq!(postcode("B33 8TH"), Ok("B33 8TH".into()));
        assert_eq!(postcode("CR2 6XH"), Ok("CR2 6XH".into()));
        assert_eq!(postcode("DN55 1PT"), Ok("DN55 1PT".into()));
        assert_eq!(postcode("12345"), Err(Problem::NotPostcode));
        assert_eq!(postcode("SW1A"), Err(Problem::NotPostcode));
    }

    #[test]
    fn emails_phones_and_urls() {
        assert_eq!(email(" Name@Example.COM "), Ok("name@example.com".into()));
        assert!(
            email("name@example").is_err() && email("a b@example.com").is_err() && email("@x.com").is_err()
        );
        assert_eq!(phone("01632 960 001"), Ok("01632960001".into()));
        assert_eq!(phone("+44 (0)808 157 0192"), Ok("+448081570192".into()));
        assert!(phone("12345").is_err() && phone("0163x960001").is_err());
        assert_eq!(url("www.example.com"), Ok("https://www.example.com".into()));
        assert_eq!(url("http://example.com/a?b"), Ok("http://example.com/a?b".into()));
        assert!(url("ftp://example.com").is_err() && url("not a url").is_err() && url("example").is_err());
    }

    #[test]
    fn floats_become_the_decimal_they_show() {
        assert_eq!(decimal_from_f64(0.1), Some(dec("0.1")));
        assert_eq!(decimal_from_f64(1234.5), Some(dec("1234.5")));
        assert_eq!(decimal_from_f64(1e-10), Some(dec("0.0000000001")));
        assert_eq!(decimal_from_f64(f64::NAN), None);
        assert_eq!(decimal_from_f64(200.5), Some(dec("200.5")));
        assert_eq!(decimal_from_f64(0.1 + 0.2), Some(dec("0.30000000000000004")));
        assert_eq!(decimal_from_f64(-1234.56), Some(dec("-1234.56")));
        assert_eq!(decimal_from_f64(1e20), Some(dec("100000000000000000000")));
    }
}

#[cfg(test)]
mod properties {
    use chrono::Datelike;
    use proptest::prelude::*;

    use super::*;
    use crate::value::format_number;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn money_reads_back_however_it_is_written(pence in -10_000_000_000i64..10_000_000_000) {
            let n = Decimal::new(pence, 2);
            for written in [n.to_string(), format_number(n, Some("£")), format_number(n, None)] {
                prop_assert_eq!(number(&Input::Text(Cow::Owned(written.clone())), Some("£"), false), Ok(n), "{}", written);
            }
        }

        #[test]
        fn dates_read_back_in_both_forms(days in 0i32..73_000) {
            let d = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap() + chrono::Days::new(days as u64);
            let iso = d.format("%Y-%m-%d").to_string();
            let uk = format!("{}/{}/{}", d.day(), d.month(), d.year());
            prop_assert_eq!(date(&Input::Text(Cow::Owned(iso))), Ok(d));
            prop_assert_eq!(date(&Input::Text(Cow::Owned(uk))), Ok(d));
        }

        #[test]
        fn floats_that_print_short_read_back_exactly(cents in -1_000_000_000i64..1_000_000_000) {
            let n = Decimal::new(cents, 2);
            let f: f64 = n.to_string().parse().unwrap();
            prop_assert_eq!(decimal_from_f64(f), Some(n.normalize()));
        }

        #[test]
        fn readers_never_panic_on_any_text(text in "\\PC{0,40}") {
            let input = Input::Text(Cow::Owned(text.clone()));
            let _ = number(&input, Some("£"), true);
            let _ = date(&input);
            let _ = yes_no(&input);
            let _ = email(&text);
            let _ = phone(&text);
            let _ = postcode(&text);
            let _ = url(&text);
        }

        #[test]
        fn postcodes_normalise_to_a_fixed_point(text in "[A-Za-z]{1,2}[0-9][0-9A-Za-z]? ?[0-9][A-Za-z]{2}") {
            let once = postcode(&text).unwrap();
            prop_assert_eq!(postcode(&once), Ok(once.clone()));
        }
    }
}
