//! A posted form back as answers, in the shape the rendering and validation read.

use formwork_definition::{Definition, Question, QuestionType, SectionContent};
use serde_json::{Map, Value as JsonValue};

/// The answers of a question section from a posted form, by question id: every question the
/// form asks gets a key (`null` when left empty), so the caller can lay them over the stored
/// answers. Values are kept as typed; validation reports what does not fit. Calculated and file
/// questions, and fields that are not this section's, are not read.
pub(crate) fn answers_from_form(
    def: &Definition,
    section: usize,
    pairs: &[(String, String)],
) -> Map<String, JsonValue> {
    let Some(SectionContent::Questions(indexes)) = def.sections.get(section).map(|s| &s.content) else {
        return Map::new();
    };
    indexes
        .iter()
        .filter_map(|i| def.questions.get(*i))
        .filter_map(|q| Some((q.id.clone(), read(q, pairs)?)))
        .collect()
}

/// One row of a table from a posted form, by column id (see [`answers_from_form`]).
pub(crate) fn row_from_form(
    def: &Definition,
    table: usize,
    pairs: &[(String, String)],
) -> Map<String, JsonValue> {
    let Some(table) = def.tables.get(table) else {
        return Map::new();
    };
    table.columns.iter().filter_map(|q| Some((q.id.clone(), read(q, pairs)?))).collect()
}

/// A question's answer from the form; `None` for questions not answered on a form.
fn read(q: &Question, pairs: &[(String, String)]) -> Option<JsonValue> {
    let field =
        |name: &str| pairs.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str()).unwrap_or_default();
    let text = |t: &str| if t.trim().is_empty() { JsonValue::Null } else { JsonValue::String(t.to_owned()) };
    Some(match q.ty {
        QuestionType::Calculated | QuestionType::File => return None,
        QuestionType::Date => {
            let parts = ["day", "month", "year"].map(|part| field(&format!("{}-{part}", q.id)).trim());
            date_answer(parts)
        }
        QuestionType::YesNo => match field(&q.id).trim() {
            "yes" => JsonValue::Bool(true),
            "no" => JsonValue::Bool(false),
            other => text(other),
        },
        QuestionType::MultiChoice => {
            let chosen: Vec<JsonValue> = pairs
                .iter()
                .filter(|(n, v)| n == &q.id && !v.trim().is_empty())
                .map(|(_, v)| JsonValue::String(v.clone()))
                .collect();
            if chosen.is_empty() { JsonValue::Null } else { JsonValue::Array(chosen) }
        }
        _ => text(field(&q.id)),
    })
}

/// A date from its three fields: `YYYY-MM-DD` when they are numbers of the right lengths (which
/// validation accepts, or reports as not a real date), otherwise `D/M/Y` as typed, which
/// validation reports as not a date and the form shows back field by field.
pub(super) fn date_answer([day, month, year]: [&str; 3]) -> JsonValue {
    if day.is_empty() && month.is_empty() && year.is_empty() {
        return JsonValue::Null;
    }
    let digits =
        |p: &str, most: usize| (1..=most).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit());
    if digits(day, 2) && digits(month, 2) && year.len() == 4 && digits(year, 4) {
        return JsonValue::String(format!("{year}-{month:0>2}-{day:0>2}"));
    }
    JsonValue::String(format!("{day}/{month}/{year}"))
}
