//! Typed answer values, shared by answers and expressions.
//!
//! Numbers of every kind (integer, decimal, money, percentage) are exact decimals
//! ([`rust_decimal::Decimal`]): money never touches binary floating point, and ten rows of `0.10`
//! sum to exactly `1.00`. Text is reference-counted so that choice values and answers can be shared
//! between the answers of a submission and the expressions evaluated over them without copying.

use std::fmt;
use std::sync::Arc;

use chrono::NaiveDate;
use rust_decimal::Decimal;

/// One answer, or the value of an expression.
#[derive(Clone, Debug, Default)]
pub enum Value {
    /// Not answered, not asked, or not computable.
    #[default]
    Null,
    /// A yes/no answer.
    Bool(bool),
    /// Any number: integer, decimal, money or percentage.
    Number(Decimal),
    /// Text, including the value of a choice.
    Text(Arc<str>),
    /// A calendar date.
    Date(NaiveDate),
    /// A list: the values of a multi-choice answer, or the rows of a table.
    List(Arc<[Value]>),
    /// One row of a table: its column values in the table's column order.
    Row(Arc<[Value]>),
    /// An attached file.
    File(Arc<FileRef>),
}

/// A file attached to a `file` question: what validation needs to know of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileRef {
    /// The file name as uploaded, e.g. `report.pdf`.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// The stored file's identifier, when it has been stored.
    pub id: Option<String>,
}

impl Value {
    /// True for [`Value::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Text value from a string.
    pub fn text(s: &str) -> Value {
        Value::Text(Arc::from(s))
    }

    /// A short name of the value's kind for messages.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "yes/no",
            Value::Number(_) => "number",
            Value::Text(_) => "text",
            Value::Date(_) => "date",
            Value::List(_) => "list",
            Value::Row(_) => "row",
            Value::File(_) => "file",
        }
    }

    /// The value as JSON, the way the API and `formwork validate` write answers: dates as
    /// `YYYY-MM-DD`, numbers as strings so that they stay exact.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Number(n) => J::String(n.to_string()),
            Value::Text(t) => J::String(t.to_string()),
            Value::Date(d) => J::String(d.format("%Y-%m-%d").to_string()),
            Value::List(items) | Value::Row(items) => J::Array(items.iter().map(Value::to_json).collect()),
            Value::File(f) => serde_json::json!({"name": f.name, "size": f.size, "id": f.id}),
        }
    }
}

impl PartialEq for Value {
    /// Equality as expressions see it: numbers by value (`1.0 == 1`), text by content.
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Number(a), Value::Number(b)) => a == b,
            (Value::Text(a), Value::Text(b)) => a == b,
            (Value::Date(a), Value::Date(b)) => a == b,
            (Value::List(a), Value::List(b)) | (Value::Row(a), Value::Row(b)) => a == b,
            (Value::File(a), Value::File(b)) => a == b,
            _ => false,
        }
    }
}

impl fmt::Display for Value {
    /// The value as a person would read it back: `1234.50`, `2026-04-01`, `Yes`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => Ok(()),
            Value::Bool(true) => f.write_str("Yes"),
            Value::Bool(false) => f.write_str("No"),
            Value::Number(n) => write!(f, "{n}"),
            Value::Text(t) => f.write_str(t),
            Value::Date(d) => write!(f, "{}", d.format("%Y-%m-%d")),
            Value::List(items) | Value::Row(items) => {
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{item}")?;
                }
                Ok(())
            }
            Value::File(file) => f.write_str(&file.name),
        }
    }
}

/// Format a number with thousands separators and, for money, the currency symbol and two decimal
/// places unless it is whole: `£5,000,000`, `£0.50`, `12.5`.
pub fn format_number(n: Decimal, currency_symbol: Option<&str>) -> String {
    let negative = n.is_sign_negative() && !n.is_zero();
    let mut n = n.abs().normalize();
    if currency_symbol.is_some() && n.scale() > 0 {
        n.rescale(2);
    }
    let text = n.to_string();
    let (whole, fraction) = match text.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (text.as_str(), None),
    };
    let mut grouped = String::with_capacity(text.len() + 8);
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if let Some(fraction) = fraction {
        grouped.push('.');
        grouped.push_str(fraction);
    }
    let sign = if negative { "-" } else { "" };
    match currency_symbol {
        Some(symbol) => format!("{sign}{symbol}{grouped}"),
        None => format!("{sign}{grouped}"),
    }
}

/// Format a date the GOV.UK way: `1 April 2026`.
pub fn format_date(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn formats_money_and_numbers_for_people() {
        assert_eq!(format_number(dec("0"), Some("£")), "£0");
        assert_eq!(format_number(dec("5000000"), Some("£")), "£5,000,000");
        assert_eq!(format_number(dec("0.5"), Some("£")), "£0.50");
        assert_eq!(format_number(dec("-1234.5"), Some("$")), "-$1,234.50");
        assert_eq!(format_number(dec("12.50"), None), "12.5");
        assert_eq!(format_number(dec("100"), None), "100");
    }

    #[test]
    fn numbers_compare_by_value() {
        assert_eq!(Value::Number(dec("1.0")), Value::Number(dec("1")));
        assert_ne!(Value::Number(dec("1")), Value::text("1"));
    }

    #[test]
    fn formats_dates_the_govuk_way() {
        assert_eq!(format_date(NaiveDate::from_ymd_opt(2026, 4, 1).unwrap()), "1 April 2026");
    }
}
