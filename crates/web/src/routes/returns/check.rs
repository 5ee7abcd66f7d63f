//! Check answers: a section's answers, and the whole return's as one summary card per section,
//! with Change links that come back here after saving. The same rows show a section that the
//! person may only read.

use askama::Template;
use axum::extract::Path;
use axum::response::Response;
use formwork_definition::{Definition, Question, QuestionType, SectionContent};
use formwork_service::submissions::{self, Progress, SubmissionView};
use serde_json::Value;

use super::{caption, plain};
use crate::components::{
    Cell, Content, SummaryAction, SummaryActions, SummaryCard, SummaryCardTitle, SummaryList, SummaryRow,
};
use crate::error::AppError;
use crate::pages::{Ctx, Page, render};
use crate::returns::form::anchor;

/// Where a Change link comes back to after saving.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReturnTo {
    /// The section's check answers page.
    Section,
    /// The whole return's check answers page.
    Return,
}

impl ReturnTo {
    /// The `return_to` query value.
    pub fn parse(text: &str) -> Option<ReturnTo> {
        match text {
            "section-check" => Some(ReturnTo::Section),
            "check" => Some(ReturnTo::Return),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ReturnTo::Section => "section-check",
            ReturnTo::Return => "check",
        }
    }

    /// The page it names.
    pub fn href(self, id: &str, section: &str) -> String {
        match self {
            ReturnTo::Section => format!("/returns/{id}/sections/{section}/check"),
            ReturnTo::Return => format!("/returns/{id}/check"),
        }
    }
}

/// A question's answer as people read it: choice labels, money with its symbol, dates in words.
pub(crate) fn answer_text(def: &Definition, q: &Question, value: Option<&Value>) -> String {
    let Some(value) = value.filter(|v| !v.is_null()) else {
        return "Not answered".to_owned();
    };
    let label_of = |v: &Value| {
        let text = plain(v);
        def.choices_of(q)
            .and_then(|list| list.choices.iter().find(|c| *c.value == *text))
            .map_or(text, |c| c.label.clone())
    };
    match (q.ty, value) {
        (QuestionType::Choice, v) => label_of(v),
        (QuestionType::MultiChoice, Value::Array(items)) => {
            items.iter().map(label_of).collect::<Vec<_>>().join(", ")
        }
        (QuestionType::Money, v @ (Value::String(_) | Value::Number(_))) => {
            let text = plain(v);
            match (def.money_symbol(q), text.parse::<f64>().is_ok()) {
                (Some(symbol), true) => format!("{symbol}{text}"),
                _ => text,
            }
        }
        (QuestionType::Percentage, v @ (Value::String(_) | Value::Number(_))) => {
            let text = plain(v);
            if text.parse::<f64>().is_ok() { format!("{text}%") } else { text }
        }
        (QuestionType::Date, Value::String(s)) => {
            chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").map_or_else(|_| s.clone(), super::day)
        }
        (QuestionType::File, Value::Object(file)) => {
            file.get("name").and_then(Value::as_str).unwrap_or_default().to_owned()
        }
        (_, v) => plain(v),
    }
}

/// A changed field's value in words: an answer (`programme_name`), a table's cell
/// (`spend.3.amount`), one of its rows (`spend.3`) or all of them (`spend`).
pub(crate) fn field_text(def: &Definition, field: &str, value: &Value) -> String {
    if value.is_null() {
        return "Not answered".to_owned();
    }
    let mut parts = field.split('.');
    let first = parts.next().unwrap_or_default();
    if let Some(q) = def.question(first) {
        return answer_text(def, q, Some(value));
    }
    let Some(table) = def.table(first) else { return plain(value) };
    match (parts.next(), parts.next(), value) {
        (Some(_), Some(column), _) => match table.columns.iter().find(|c| c.id == column) {
            Some(q) => answer_text(def, q, Some(value)),
            None => plain(value),
        },
        (Some(_), None, Value::Object(row)) => row_text(def, table, row),
        (None, _, Value::Array(rows)) => {
            const SHOWN: usize = 10;
            let mut text: Vec<String> = rows
                .iter()
                .take(SHOWN)
                .enumerate()
                .map(|(i, row)| match row {
                    Value::Object(row) => format!("Row {}: {}", i + 1, row_text(def, table, row)),
                    other => format!("Row {}: {}", i + 1, plain(other)),
                })
                .collect();
            if rows.len() > SHOWN {
                text.push(format!("and {} more rows", rows.len() - SHOWN));
            }
            if text.is_empty() { "No rows".to_owned() } else { text.join("; ") }
        }
        _ => plain(value),
    }
}

/// A table's row: each answered cell with its column's label.
fn row_text(
    def: &Definition,
    table: &formwork_definition::Table,
    row: &serde_json::Map<String, Value>,
) -> String {
    table
        .columns
        .iter()
        .filter_map(|q| {
            let value = row.get(&q.id).filter(|v| !v.is_null())?;
            Some(format!("{}: {}", q.label, answer_text(def, q, Some(value))))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The rows of a section's answers; with `change`, each editable one links to its question on
/// the section's page, which comes back to that check page.
pub(crate) fn section_rows(view: &SubmissionView, index: usize, change: Option<ReturnTo>) -> Vec<SummaryRow> {
    let def = &view.definition;
    let Some(section) = def.sections.get(index) else { return Vec::new() };
    let id = &view.submission.id;
    let editable = view.sections.get(index).is_some_and(|s| s.editable) && view.editable;
    let action = |text: &str, href: String| {
        change.filter(|_| editable).map(|_| SummaryActions {
            items: vec![SummaryAction {
                content: Content::text("Change"),
                href: Some(href),
                visually_hidden_text: Some(text.to_lowercase()),
                ..SummaryAction::default()
            }],
            classes: None,
        })
    };
    let back = change.map_or(String::new(), |c| format!("?return_to={}", c.as_str()));
    match &section.content {
        SectionContent::Questions(indexes) => indexes
            .iter()
            .filter_map(|i| def.questions.get(*i))
            .filter(|q| view.asked.get(q.slot).copied().unwrap_or(true))
            .map(|q| SummaryRow {
                key: Cell::text(&q.label),
                value: Cell::text(answer_text(def, q, view.submission.answers.get(&q.id))),
                actions: action(
                    &q.label,
                    format!("/returns/{id}/sections/{}{back}#{}", section.id, anchor(q)),
                ),
                classes: None,
            })
            .collect(),
        SectionContent::Table(t) => {
            let Some(table) = def.tables.get(*t) else { return Vec::new() };
            let rows = view.submission.answers.get(&table.id).and_then(Value::as_array).map_or(0, Vec::len);
            let text = match rows {
                0 => "No rows".to_owned(),
                1 => "1 row".to_owned(),
                n => format!("{n} rows"),
            };
            vec![SummaryRow {
                key: Cell::text("Rows"),
                value: Cell::text(text),
                actions: action(
                    &format!("{} rows", section.title),
                    format!("/returns/{id}/sections/{}", section.id),
                ),
                classes: None,
            }]
        }
    }
}

#[derive(Template)]
#[template(path = "returns/check_section.html")]
struct CheckSection {
    page: Page,
    caption: String,
    view: SubmissionView,
    answers: SummaryList,
}

/// `GET /returns/{id}/sections/{section}/check`: one section's answers.
pub(crate) async fn section(
    ctx: Ctx,
    Path((id, section)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let view = submissions::get(&ctx.state, ctx.actor(), &id).await?;
    let index = super::section::index(&view, &section)?;
    let answers =
        SummaryList { rows: section_rows(&view, index, Some(ReturnTo::Section)), ..SummaryList::default() };
    let title = view.definition.sections[index].title.clone();
    let page = ctx.page(format!("Check your answers: {title}"), "/returns");
    let caption = format!("{} – {title}", caption(&view));
    Ok(render(&page, &CheckSection { page: page.clone(), caption, view, answers }))
}

#[derive(Template)]
#[template(path = "returns/check.html")]
struct CheckReturn {
    page: Page,
    caption: String,
    view: SubmissionView,
    cards: Vec<SummaryList>,
}

/// `GET /returns/{id}/check`: every section's answers, one summary card each.
pub(crate) async fn whole(ctx: Ctx, Path(id): Path<String>) -> Result<Response, AppError> {
    let view = submissions::get(&ctx.state, ctx.actor(), &id).await?;
    let cards = view
        .sections
        .iter()
        .filter(|s| s.status != Progress::NotNeeded)
        .map(|s| SummaryList {
            rows: section_rows(&view, s.index, Some(ReturnTo::Return)),
            card: Some(SummaryCard {
                title: Some(SummaryCardTitle {
                    content: Content::text(format!("{} ({})", s.title, s.status.label().to_lowercase())),
                    ..SummaryCardTitle::default()
                }),
                ..SummaryCard::default()
            }),
            ..SummaryList::default()
        })
        .collect();
    let page = ctx.page("Check your answers", "/returns");
    let caption = caption(&view);
    Ok(render(&page, &CheckReturn { page: page.clone(), caption, view, cards }))
}
