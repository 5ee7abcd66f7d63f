//! Reading one question (or table column): its type, and the options that fit the type.

use chrono::NaiveDate;
use regex::RegexBuilder;
use rust_decimal::Decimal;

use super::{Loader, PendingQuestion};
use crate::diagnostic::Diagnostic;
use crate::model::{Bound, Options, Pattern, Question, QuestionType};
use crate::source::{Node, NodeValue};

/// Keys every question can have.
const COMMON_KEYS: &[&str] =
    &["id", "label", "hint", "name", "type", "required", "when", "rules", "aliases", "renamed_from"];
/// Every type option, for "unknown key" checks; whether one fits the type is checked separately.
const OPTION_KEYS: &[&str] = &[
    "min",
    "max",
    "min_length",
    "max_length",
    "pattern",
    "pattern_message",
    "places",
    "choices",
    "min_selected",
    "max_selected",
    "accept",
    "max_size",
    "value",
];

/// The largest file a `file` question may accept.
const LIMIT_FILE_BYTES: u64 = 5 * 1024 * 1024 * 1024;

/// Identifiers that expressions reserve.
const RESERVED_IDS: &[&str] = &["period", "true", "false", "null", "in"];

impl Loader<'_> {
    /// Read a question; `table` is `(index, id)` when it is a column.
    pub(super) fn read_question(
        &mut self,
        node: &Node,
        section: usize,
        slot: usize,
        table: Option<(usize, &str)>,
    ) -> Option<(Question, PendingQuestion)> {
        let allowed: Vec<&str> = COMMON_KEYS.iter().chain(OPTION_KEYS).copied().collect();
        let noun = if table.is_some() { "a column" } else { "a question" };
        // Name the question in messages about its keys when its id can be read.
        let named = match &node.value {
            NodeValue::Map(entries) => entries.iter().find(|(k, _)| k.text == "id").and_then(|(_, v)| {
                crate::source::scalar(v).map(|t| format!("{} `{t}`", noun.trim_start_matches("a ")))
            }),
            _ => None,
        };
        let f = self.ctx.map(node, named.as_deref().unwrap_or(noun), &allowed)?;
        let id_span = f.get("id").map(|n| n.span).unwrap_or(f.span);
        let id = self
            .ctx
            .required(&f, "id", noun)
            .and_then(|n| self.ctx.id(n, &format!("{} id", noun.trim_start_matches("a "))))?;
        if RESERVED_IDS.contains(&id.as_str()) {
            self.ctx.error_help(
                "reserved",
                f.key_span("id"),
                format!("`{id}` is reserved in expressions and cannot be a question id"),
                "choose another id",
            );
        }
        let what = match table {
            Some((_, t)) => format!("column `{id}` of table `{t}`"),
            None => format!("question `{id}`"),
        };
        let label = self
            .ctx
            .required(&f, "label", &what)
            .and_then(|n| self.ctx.text(n, &format!("the label of {what}"), 500));
        let hint = f.get("hint").and_then(|n| self.ctx.text(n, &format!("the hint of {what}"), 2000));
        let name = f.get("name").and_then(|n| self.ctx.text(n, &format!("the `name` of {what}"), 200));
        let ty_node = self.ctx.required(&f, "type", &what);
        let ty = ty_node.and_then(|n| self.ctx.one_of(n, "question type", &QuestionType::ALL));
        let mut pending = PendingQuestion { type_known: ty.is_some(), ..PendingQuestion::default() };

        if ty == Some(QuestionType::File) && table.is_some() {
            self.ctx.error_help(
                "not-for-kind",
                ty_node.map(|n| n.span).unwrap_or(f.span),
                format!("{what} is a file question, but a table cannot hold files"),
                "put the file question in a section of questions; table rows are uploaded as spreadsheets",
            );
        }
        let required = match f.get("required") {
            Some(n) => {
                let value = self.ctx.boolean(n, &format!("`required` of {what}"));
                if ty == Some(QuestionType::Calculated) {
                    self.ctx.error(
                        "not-for-type",
                        f.key_span("required"),
                        format!("`required` does not apply to {what}: it is calculated, never answered"),
                    );
                }
                value.unwrap_or(true)
            }
            None => ty != Some(QuestionType::Calculated),
        };
        pending.when = f.get("when").and_then(|n| self.ctx.expression(n, &format!("the `when` of {what}")));
        pending.rules =
            f.get("rules").map(|n| self.read_rules(n, &format!("a rule of {what}"))).unwrap_or_default();
        let aliases = match f.get("aliases") {
            Some(n) => self.aliases(n, &what),
            None => Vec::new(),
        };
        let renamed_from = f.get("renamed_from").and_then(|n| self.ctx.id(n, "`renamed_from` id"));

        let mut options = Options::default();
        if let Some(ty) = ty {
            self.read_options(&f, ty, &what, &id, &mut options, &mut pending);
        }
        let question = Question {
            id,
            label: label.unwrap_or_default(),
            hint,
            name,
            ty: ty.unwrap_or(QuestionType::Text),
            required,
            when: None,
            rules: Vec::new(),
            aliases,
            renamed_from,
            section,
            slot,
            options,
            span: id_span,
        };
        Some((question, pending))
    }

    fn aliases(&mut self, node: &Node, what: &str) -> Vec<String> {
        let Some(items) = self.ctx.list(node, &format!("`aliases` of {what}")) else {
            return Vec::new();
        };
        items.iter().filter_map(|n| self.ctx.text(n, &format!("an alias of {what}"), 200)).collect()
    }

    fn read_options(
        &mut self,
        f: &super::Fields<'_>,
        ty: QuestionType,
        what: &str,
        id: &str,
        options: &mut Options,
        pending: &mut PendingQuestion,
    ) {
        let fits = ty.options();
        for key in OPTION_KEYS {
            if f.has(key) && !fits.contains(key) {
                let takers: Vec<&str> = QuestionType::ALL
                    .iter()
                    .filter(|(_, t)| t.options().contains(key))
                    .map(|(n, _)| *n)
                    .collect();
                self.ctx.error_help(
                    "not-for-type",
                    f.key_span(key),
                    format!("`{key}` does not apply to {what}, which is a {} question", ty.name()),
                    format!("`{key}` applies to {} questions", takers.join(", ")),
                );
            }
        }
        let what_of = |key: &str| format!("`{key}` of {what}");

        if fits.contains(&"places") {
            options.places = f
                .get("places")
                .and_then(|n| self.ctx.integer(n, &what_of("places"), 0, 10))
                .map(|n| n as u32);
        }
        match ty {
            t if t.is_number() => {
                let places = match t {
                    QuestionType::Integer => Some(0),
                    QuestionType::Money => Some(2),
                    _ => options.places,
                };
                options.min = f.get("min").and_then(|n| self.number_bound(n, &what_of("min"), places));
                options.max = f.get("max").and_then(|n| self.number_bound(n, &what_of("max"), places));
                if t == QuestionType::Percentage {
                    options.min.get_or_insert(Bound::Number(Decimal::ZERO));
                    options.max.get_or_insert(Bound::Number(Decimal::ONE_HUNDRED));
                }
                if let (Some(Bound::Number(min)), Some(Bound::Number(max))) = (&options.min, &options.max)
                    && min > max
                {
                    self.ctx.error_help(
                        "min-above-max",
                        f.key_span("min"),
                        format!("`min` ({min}) is more than `max` ({max}) in {what}"),
                        "no answer could be right; swap them or correct one",
                    );
                }
            }
            QuestionType::Date => {
                options.min =
                    f.get("min").and_then(|n| self.date_bound(n, &what_of("min"), &mut pending.min));
                options.max =
                    f.get("max").and_then(|n| self.date_bound(n, &what_of("max"), &mut pending.max));
                if let (Some(Bound::Date(min)), Some(Bound::Date(max))) = (&options.min, &options.max)
                    && min > max
                {
                    self.ctx.error(
                        "min-above-max",
                        f.key_span("min"),
                        format!("`min` ({min}) is after `max` ({max}) in {what}"),
                    );
                }
            }
            QuestionType::Text | QuestionType::LongText => {
                options.min_length = f
                    .get("min_length")
                    .and_then(|n| self.ctx.integer(n, &what_of("min_length"), 0, 1_000_000))
                    .map(|n| n as u32);
                options.max_length = f
                    .get("max_length")
                    .and_then(|n| self.ctx.integer(n, &what_of("max_length"), 1, 1_000_000))
                    .map(|n| n as u32);
                if let (Some(min), Some(max)) = (options.min_length, options.max_length)
                    && min > max
                {
                    self.ctx.error(
                        "min-above-max",
                        f.key_span("min_length"),
                        format!("`min_length` ({min}) is more than `max_length` ({max}) in {what}"),
                    );
                }
                let message =
                    f.get("pattern_message").and_then(|n| self.ctx.text(n, &what_of("pattern_message"), 500));
                if let Some(n) = f.get("pattern") {
                    options.pattern = self.pattern(n, &what_of("pattern"), message);
                } else if f.has("pattern_message") {
                    self.ctx.error(
                        "missing-key",
                        f.key_span("pattern_message"),
                        format!("{what} has a `pattern_message` but no `pattern`"),
                    );
                }
            }
            QuestionType::Choice | QuestionType::MultiChoice => {
                match self.ctx.required(f, "choices", what) {
                    Some(n) => match &n.value {
                        NodeValue::Scalar(name, _) => pending.choices = Some((name.clone(), n.span)),
                        _ => {
                            if let Some(list) = self.choice_list(n, id, &format!("the choices of {what}")) {
                                options.choices = Some(self.choice_lists.len());
                                self.choice_lists.push(list);
                            }
                        }
                    },
                    None => pending.type_known = false,
                }
                if ty == QuestionType::MultiChoice {
                    options.min_selected = f
                        .get("min_selected")
                        .and_then(|n| self.ctx.integer(n, &what_of("min_selected"), 0, 10_000))
                        .map(|n| n as u32);
                    options.max_selected = f
                        .get("max_selected")
                        .and_then(|n| self.ctx.integer(n, &what_of("max_selected"), 1, 10_000))
                        .map(|n| n as u32);
                    if let (Some(min), Some(max)) = (options.min_selected, options.max_selected)
                        && min > max
                    {
                        self.ctx.error(
                            "min-above-max",
                            f.key_span("min_selected"),
                            format!("`min_selected` ({min}) is more than `max_selected` ({max}) in {what}"),
                        );
                    }
                }
            }
            QuestionType::File => {
                if let Some(n) = f.get("accept")
                    && let Some(items) = self.ctx.list(n, &what_of("accept"))
                {
                    for item in items {
                        let Some(ext) = self.ctx.text(item, "a file extension", 20) else {
                            continue;
                        };
                        let ext = ext.trim_start_matches('.').to_lowercase();
                        if ext.is_empty() || !ext.chars().all(|c| c.is_ascii_alphanumeric()) {
                            self.ctx.error_help(
                                "bad-value",
                                item.span,
                                format!("`{ext}` is not a file extension"),
                                "write extensions without dots, e.g. [pdf, docx]",
                            );
                        } else {
                            options.accept.push(ext);
                        }
                    }
                }
                options.max_size = f.get("max_size").and_then(|n| self.size(n, &what_of("max_size")));
            }
            QuestionType::Calculated => {
                pending.value = self
                    .ctx
                    .required(f, "value", what)
                    .and_then(|n| self.ctx.expression(n, &what_of("value")));
                if pending.value.is_none() {
                    pending.type_known = false;
                }
            }
            _ => {}
        }
    }

    fn number_bound(&mut self, node: &Node, what: &str, places: Option<u32>) -> Option<Bound> {
        let n = self.ctx.decimal(node, what)?;
        if let Some(places) = places
            && n.normalize().scale() > places
        {
            let kind = if places == 0 {
                "a whole number".to_string()
            } else {
                format!("a number with at most {places} decimal places")
            };
            self.ctx.error("bad-value", node.span, format!("{what} must be {kind}, like the answers"));
            return None;
        }
        Some(Bound::Number(n))
    }

    /// A date bound: a date, or an expression compiled later (kept in `slot`).
    fn date_bound(&mut self, node: &Node, what: &str, slot: &mut Option<super::Src>) -> Option<Bound> {
        if let NodeValue::Scalar(text, _) = &node.value
            && let Ok(d) = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        {
            return Some(Bound::Date(d));
        }
        *slot = self.ctx.expression(node, what);
        None
    }

    fn pattern(&mut self, node: &Node, what: &str, message: Option<String>) -> Option<Pattern> {
        let source = self.ctx.text(node, what, 1000)?;
        match RegexBuilder::new(&format!("^(?:{source})$")).size_limit(1 << 20).build() {
            Ok(regex) => Some(Pattern { source, regex, message }),
            Err(e) => {
                let detail = e.to_string();
                let detail = detail
                    .lines()
                    .rev()
                    .find(|l| !l.trim().is_empty())
                    .unwrap_or(&detail)
                    .trim()
                    .trim_start_matches("error: ");
                self.ctx.diagnostics.push(
                    Diagnostic::new(
                        "bad-pattern",
                        node.span,
                        format!("{what} is not a valid regular expression: {detail}"),
                    )
                    .with_help(
                        "patterns use Rust regex syntax, e.g. '^TF-[A-Z]{3}-[0-9]{2}$'; quote them in YAML",
                    ),
                );
                None
            }
        }
    }

    fn size(&mut self, node: &Node, what: &str) -> Option<u64> {
        let text = self.ctx.text(node, what, 40)?;
        let parsed = parse_size(&text);
        match parsed {
            Some(n) if n <= LIMIT_FILE_BYTES => Some(n),
            Some(_) => {
                self.ctx.error("out-of-range", node.span, format!("{what} must be at most 5GB"));
                None
            }
            None => {
                self.ctx.error_help(
                    "bad-value",
                    node.span,
                    format!("{what} must be a size such as `30MB`, but it is `{text}`"),
                    "use KB, MB or GB",
                );
                None
            }
        }
    }
}

/// Read `30MB`, `500KB`, `1GB` or a number of bytes (units of 1024).
pub(crate) fn parse_size(text: &str) -> Option<u64> {
    let t = text.trim().to_uppercase().replace(' ', "");
    let (number, factor) = if let Some(n) = t.strip_suffix("GB") {
        (n, 1u64 << 30)
    } else if let Some(n) = t.strip_suffix("MB") {
        (n, 1 << 20)
    } else if let Some(n) = t.strip_suffix("KB") {
        (n, 1 << 10)
    } else {
        (t.strip_suffix('B').unwrap_or(&t), 1)
    };
    number.parse::<u64>().ok()?.checked_mul(factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_sizes() {
        assert_eq!(parse_size("30MB"), Some(30 << 20));
        assert_eq!(parse_size("500 kb"), Some(500 << 10));
        assert_eq!(parse_size("1024"), Some(1024));
        assert_eq!(parse_size("lots"), None);
    }
}
