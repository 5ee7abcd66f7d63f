//! What a stored answer is in a cell of a flat file (CSV, XLSX, Parquet text): a number, a date,
//! yes or no, text from the definition, or text people typed.

use std::borrow::Cow;

use serde::Deserialize;

use crate::Choices;
use crate::answers::{Span, items};
use crate::plan::{Column, ValueType};
use crate::values::{Raw, date_days, is_decimal};

/// One answer, ready for a cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cell<'s> {
    Empty,
    /// A number as its exact decimal text: a valid answer of a number column, or a JSON number.
    Number(&'s str),
    /// A valid date: its text and its days since 1970-01-01.
    Date(&'s str, i32),
    /// Yes or no.
    Bool(bool),
    /// Text from the definition: a choice's value or label.
    Known(&'s str),
    /// Text people typed, or a value that does not fit its column, as text.
    Typed(&'s str),
}

/// Buffers reused from cell to cell.
#[derive(Default)]
pub(crate) struct Scratch {
    /// A decoded string.
    text: String,
    /// A decoded list item.
    item: String,
    /// Multi-choice values joined.
    joined: String,
    /// A list's items.
    items: Vec<Span>,
}

/// The answer at `span` of `answers` as a cell of `column`.
pub(crate) fn cell<'s>(
    column: &'s Column,
    choices: Choices,
    answers: &'s str,
    span: Option<Span>,
    scratch: &'s mut Scratch,
) -> Cell<'s> {
    let Some(span) = span else { return Cell::Empty };
    let raw = Raw::of(span.of(answers));
    match raw {
        Raw::Null => Cell::Empty,
        Raw::Bool(b) if column.value == ValueType::YesNo => Cell::Bool(b),
        Raw::Bool(b) => Cell::Typed(if b { "true" } else { "false" }),
        Raw::Number(n) if is_decimal(n) => Cell::Number(n),
        Raw::Number(n) => Cell::Typed(n),
        Raw::Str { .. } => {
            let s = raw.text(&mut scratch.text).unwrap_or("");
            match column.value {
                v if v.is_number() && is_decimal(s) => Cell::Number(s),
                ValueType::Date => date_days(s).map_or(Cell::Typed(s), |days| Cell::Date(s, days)),
                ValueType::Choice => match column.label_of(s) {
                    Some(label) if choices == Choices::Labels => Cell::Known(label),
                    Some(_) => Cell::Known(s),
                    None => Cell::Typed(s),
                },
                _ => Cell::Typed(s),
            }
        }
        Raw::Json(json) => match column.value {
            ValueType::MultiChoice if json.starts_with('[') => {
                let known = join_choices(column, choices, answers, span, scratch);
                let joined = scratch.joined.as_str();
                if known { Cell::Known(joined) } else { Cell::Typed(joined) }
            }
            ValueType::File if json.starts_with('{') => match file_name(json) {
                Some(Cow::Borrowed(name)) => Cell::Typed(name),
                Some(Cow::Owned(name)) => {
                    scratch.text = name;
                    Cell::Typed(scratch.text.as_str())
                }
                None => Cell::Typed(json),
            },
            _ => Cell::Typed(json),
        },
    }
}

/// Join a multi-choice answer's values (or labels) with `; ` into `scratch.joined`; true when
/// every item is one of the column's choices.
fn join_choices(column: &Column, choices: Choices, answers: &str, span: Span, scratch: &mut Scratch) -> bool {
    let Scratch { items, item, joined, .. } = scratch;
    joined.clear();
    let mut first = true;
    each_choice(column, choices, answers, span, items, item, |text, _| {
        if !std::mem::take(&mut first) {
            joined.push_str("; ");
        }
        joined.push_str(text.unwrap_or(""));
    })
}

/// Hand `each` the values (or labels) of a multi-choice answer (a JSON list at `span`; `None`
/// for a null item), and whether each is one of the column's choices; true when every item is.
pub(crate) fn each_choice(
    column: &Column,
    choices: Choices,
    answers: &str,
    span: Span,
    items_buf: &mut Vec<Span>,
    item_buf: &mut String,
    mut each: impl FnMut(Option<&str>, bool),
) -> bool {
    items(answers, span, items_buf);
    let mut all_known = true;
    for item in items_buf.iter() {
        let raw = Raw::of(item.of(answers));
        let text = raw.text(item_buf);
        let label = text.filter(|_| matches!(raw, Raw::Str { .. })).and_then(|t| column.label_of(t));
        match (text, label) {
            (Some(_), Some(label)) if choices == Choices::Labels => each(Some(label), true),
            (Some(text), Some(_)) => each(Some(text), true),
            (text, _) => {
                all_known = false;
                each(text, false);
            }
        }
    }
    all_known
}

/// The name of a stored file answer (`{"name", "size", "id"}`).
pub(crate) fn file_name(json: &str) -> Option<Cow<'_, str>> {
    #[derive(Deserialize)]
    struct File<'a> {
        #[serde(borrow)]
        name: Option<Cow<'a, str>>,
    }
    serde_json::from_str::<File<'_>>(json).ok()?.name
}
