//! Helpers that read typed values from the tree and report every misfit with its place.

use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::diagnostic::{Diagnostic, Diagnostics, Span, suggestion};
use crate::expr::ExprError;
use crate::source::{Key, Node, NodeValue, Style};

/// Collects diagnostics while a definition is read.
#[derive(Default)]
pub(crate) struct Ctx {
    pub diagnostics: Diagnostics,
}

/// An expression's text with where it sits in the file.
#[derive(Clone, Debug)]
pub(crate) struct Src {
    pub text: String,
    pub span: Span,
    style: Style,
}

impl Src {
    /// Where a part of the expression is in the file, if it can be placed exactly.
    pub fn span_of(&self, e: &ExprError) -> Span {
        match self.style {
            Style::Plain => self.span.shifted(e.start, e.len),
            Style::Quoted => self.span.shifted(e.start + 1, e.len),
            Style::Block => Span::new(self.span.line, self.span.column, 1),
        }
    }
}

/// A mapping being read: its entries and its place.
#[derive(Clone, Copy)]
pub(crate) struct Fields<'n> {
    pub span: Span,
    entries: &'n [(Key, Node)],
}

impl<'n> Fields<'n> {
    /// The value of `key`, if present and not null.
    pub fn get(&self, key: &str) -> Option<&'n Node> {
        self.entries.iter().find(|(k, _)| k.text == key).map(|(_, v)| v).filter(|v| !v.is_null())
    }

    /// True if `key` is written, even with no value.
    pub fn has(&self, key: &str) -> bool {
        self.entries.iter().any(|(k, _)| k.text == key)
    }

    /// Where `key` is written, or the mapping's place.
    pub fn key_span(&self, key: &str) -> Span {
        self.entries.iter().find(|(k, _)| k.text == key).map(|(k, _)| k.span).unwrap_or(self.span)
    }
}

/// Suggest a snake_case id for something that is not one.
fn to_snake(text: &str) -> String {
    let mut out = String::new();
    for c in text.trim().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    out.trim_end_matches('_').to_string()
}

pub(crate) fn is_id(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && text.len() <= 64
}

fn is_slug(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 64
        && text.split('-').all(|part| {
            !part.is_empty() && part.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

impl Ctx {
    pub fn error(&mut self, code: &'static str, span: Span, message: impl Into<String>) {
        self.diagnostics.push(Diagnostic::new(code, span, message));
    }

    pub fn error_help(
        &mut self,
        code: &'static str,
        span: Span,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        self.diagnostics.push(Diagnostic::new(code, span, message).with_help(help));
    }

    /// Read a mapping, reporting keys that are not in `allowed` (with the nearest one).
    pub fn map<'n>(&mut self, node: &'n Node, what: &str, allowed: &[&str]) -> Option<Fields<'n>> {
        let NodeValue::Map(entries) = &node.value else {
            self.error_help(
                "wrong-shape",
                node.span,
                format!("{what} must be a mapping of keys and values, but it is {}", node.shape()),
                format!("write it as `key: value` lines; it can have {}", allowed.join(", ")),
            );
            return None;
        };
        for (key, _) in entries {
            if !allowed.contains(&key.text.as_str()) {
                let mut d = Diagnostic::new(
                    "unknown-key",
                    Span::new(key.span.line, key.span.column, key.text.chars().count() as u32),
                    format!("unknown key `{}` in {what}", key.text),
                );
                if let Some(help) = suggestion(&key.text, allowed, "the keys it can have") {
                    d = d.with_help(help);
                }
                self.diagnostics.push(d);
            }
        }
        Some(Fields { span: node.span, entries })
    }

    /// A key that must be present.
    pub fn required<'n>(&mut self, fields: &Fields<'n>, key: &str, what: &str) -> Option<&'n Node> {
        let node = fields.get(key);
        // A misspelt key (`lable`) is already reported with "did you mean `label`?".
        let misspelt = fields
            .entries
            .iter()
            .any(|(k, _)| k.text != key && crate::diagnostic::did_you_mean(&k.text, [key]).is_some());
        if node.is_none() && !misspelt {
            let message = if fields.has(key) {
                format!("`{key}` of {what} has no value")
            } else {
                format!("{what} has no `{key}`")
            };
            self.error(
                "missing-key",
                if fields.has(key) { fields.key_span(key) } else { fields.span },
                message,
            );
        }
        node
    }

    /// A scalar as text.
    pub fn text(&mut self, node: &Node, what: &str, max_chars: usize) -> Option<String> {
        let NodeValue::Scalar(text, _) = &node.value else {
            self.error("wrong-shape", node.span, format!("{what} must be text, but it is {}", node.shape()));
            return None;
        };
        let count = text.chars().count();
        if count > max_chars {
            self.error_help(
                "too-long",
                node.span,
                format!("{what} is {count} characters long; the most allowed is {max_chars}"),
                "shorten it",
            );
            return None;
        }
        if text.trim().is_empty() {
            self.error("empty", node.span, format!("{what} is empty"));
            return None;
        }
        Some(text.clone())
    }

    /// A scalar as an expression's source.
    pub fn expression(&mut self, node: &Node, what: &str) -> Option<Src> {
        if let NodeValue::Scalar(text, Style::Plain) = &node.value
            && (text == "true" || text == "false")
        {
            return Some(Src { text: text.clone(), span: node.span, style: Style::Plain });
        }
        let text = self.text(node, what, crate::expr::MAX_LENGTH)?;
        let style = match &node.value {
            NodeValue::Scalar(_, style) => *style,
            _ => Style::Block,
        };
        Some(Src { text, span: node.span, style })
    }

    /// A snake_case id.
    pub fn id(&mut self, node: &Node, what: &str) -> Option<String> {
        let text = self.text(node, what, 200)?;
        if is_id(&text) {
            return Some(text);
        }
        let fixed = to_snake(&text);
        let help = if is_id(&fixed) {
            format!("use lower-case letters, digits and underscores, starting with a letter, e.g. `{fixed}`")
        } else {
            "use lower-case letters, digits and underscores, starting with a letter (at most 64)".to_string()
        };
        self.error_help("bad-id", node.span, format!("`{text}` is not a valid {what}"), help);
        None
    }

    /// A slug: lower-case words joined by hyphens.
    pub fn slug(&mut self, node: &Node, what: &str) -> Option<String> {
        let text = self.text(node, what, 200)?;
        if is_slug(&text) {
            return Some(text);
        }
        let fixed = to_snake(&text).replace('_', "-");
        self.error_help(
            "bad-slug",
            node.span,
            format!("`{text}` is not a valid {what}"),
            format!("use lower-case letters, digits and hyphens (at most 64), e.g. `{fixed}`"),
        );
        None
    }

    /// A whole number in `min..=max`.
    pub fn integer(&mut self, node: &Node, what: &str, min: i64, max: i64) -> Option<i64> {
        let NodeValue::Scalar(text, _) = &node.value else {
            self.error(
                "wrong-shape",
                node.span,
                format!("{what} must be a whole number, but it is {}", node.shape()),
            );
            return None;
        };
        match text.trim().parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => Some(n),
            Ok(_) => {
                self.error(
                    "out-of-range",
                    node.span,
                    format!("{what} must be from {min} to {max}, but it is {text}"),
                );
                None
            }
            Err(_) => {
                self.error(
                    "not-a-number",
                    node.span,
                    format!("{what} must be a whole number, but it is `{text}`"),
                );
                None
            }
        }
    }

    /// An exact decimal number.
    pub fn decimal(&mut self, node: &Node, what: &str) -> Option<Decimal> {
        let NodeValue::Scalar(text, _) = &node.value else {
            self.error(
                "wrong-shape",
                node.span,
                format!("{what} must be a number, but it is {}", node.shape()),
            );
            return None;
        };
        let t = text.trim().replace('_', "");
        let parsed = if t.contains(['e', 'E']) {
            Decimal::from_scientific(&t).ok()
        } else {
            Decimal::from_str(&t).ok()
        };
        if parsed.is_none() {
            self.error_help(
                "not-a-number",
                node.span,
                format!("{what} must be a number, but it is `{text}`"),
                "numbers can have up to 28 significant digits, without commas or currency symbols",
            );
        }
        parsed
    }

    /// `true` or `false`.
    pub fn boolean(&mut self, node: &Node, what: &str) -> Option<bool> {
        match &node.value {
            NodeValue::Scalar(text, _) if text.eq_ignore_ascii_case("true") => Some(true),
            NodeValue::Scalar(text, _) if text.eq_ignore_ascii_case("false") => Some(false),
            _ => {
                self.error("not-a-boolean", node.span, format!("{what} must be `true` or `false`"));
                None
            }
        }
    }

    /// A date written `YYYY-MM-DD`.
    pub fn date(&mut self, node: &Node, what: &str) -> Option<NaiveDate> {
        let text = self.text(node, what, 100)?;
        let parsed = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok();
        if parsed.is_none() {
            self.error_help(
                "not-a-date",
                node.span,
                format!("{what} must be a real date written YYYY-MM-DD, but it is `{text}`"),
                "for example 2026-04-01",
            );
        }
        parsed
    }

    /// A list (a single value is reported with a hint to bracket it).
    pub fn list<'n>(&mut self, node: &'n Node, what: &str) -> Option<&'n [Node]> {
        match &node.value {
            NodeValue::List(items) => Some(items),
            NodeValue::Scalar(text, _) => {
                self.error_help(
                    "wrong-shape",
                    node.span,
                    format!("{what} must be a list"),
                    format!("write it in brackets: [{text}]"),
                );
                None
            }
            NodeValue::Map(_) => {
                self.error("wrong-shape", node.span, format!("{what} must be a list, but it is a mapping"));
                None
            }
        }
    }

    /// A list of ids, each reported on its own if invalid.
    pub fn id_list(&mut self, node: &Node, what: &str) -> Vec<(String, Span)> {
        let Some(items) = self.list(node, what) else {
            return Vec::new();
        };
        items.iter().filter_map(|item| self.id(item, what).map(|id| (id, item.span))).collect()
    }

    /// A choice of named values, e.g. `return`/`log`.
    pub fn one_of<T: Copy>(&mut self, node: &Node, what: &str, options: &[(&str, T)]) -> Option<T> {
        let text = self.text(node, what, 100)?;
        if let Some((_, value)) = options.iter().find(|(name, _)| *name == text) {
            return Some(*value);
        }
        let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
        let mut d = Diagnostic::new("unknown-value", node.span, format!("`{text}` is not a known {what}"));
        if let Some(help) = suggestion(&text, &names, "they") {
            d = d.with_help(help);
        }
        self.diagnostics.push(d);
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_slugs() {
        assert!(
            is_id("programme_name") && is_id("a1") && !is_id("Programme") && !is_id("1a") && !is_id("a-b")
        );
        assert!(is_slug("towns-fund-2") && !is_slug("towns--fund") && !is_slug("-a") && !is_slug("Towns"));
        assert_eq!(to_snake("Programme Name"), "programme_name");
    }
}
