//! Matching a file's header row to the questions of a definition: by id, label or alias, in any
//! order, ignoring case and a trailing `*` (the template's mark for a required column).

use formwork_definition::Definition;
use formwork_definition::model::{Question, QuestionType};
use formwork_definition::validate::{Code, Item};
use rustc_hash::FxHashMap;

use crate::layout::Target;

/// How the columns of a file fill the answers.
#[derive(Clone, Debug, Default)]
pub(crate) struct Columns {
    /// For each column of the file: the slot (records of a log) or the table column it fills.
    pub fills: Vec<Option<usize>>,
    /// Each column's header as written.
    pub headers: Vec<String>,
    /// Slot or table column → the file column holding it.
    pub position: FxHashMap<usize, usize>,
    /// Questions whose column is missing (slots or table columns): their `required` items are
    /// replaced by one `missing_column` item.
    pub missing: Vec<usize>,
}

/// `A`, `B`, …, `Z`, `AA`, … for a column index from 0.
pub fn column_letters(mut index: usize) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push(b'A' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

/// A header as compared: trimmed, without a trailing required mark, in lower case.
pub(crate) fn normalise(header: &str) -> String {
    header.trim().trim_end_matches('*').trim_end().to_lowercase()
}

/// The questions a target holds, with their index (slot or column).
pub(crate) fn questions(def: &Definition, target: Target) -> Vec<(usize, &Question)> {
    match target {
        Target::Records => def.questions.iter().map(|q| (q.slot, q)).collect(),
        Target::Table(t) => def.tables[t].columns.iter().enumerate().collect(),
    }
}

fn find(def: &Definition, target: Target, header: &str) -> Option<usize> {
    let name = normalise(header);
    match target {
        Target::Records => def.slot_named(&name).filter(|s| def.question_at(*s).is_some()),
        Target::Table(t) => def.tables[t].column_named(&name),
    }
}

/// How many of `headers` a target recognises: used to tell which table a file holds.
pub(crate) fn recognised(def: &Definition, target: Target, headers: &[String]) -> usize {
    headers.iter().filter(|h| !h.trim().is_empty() && find(def, target, h).is_some()).count()
}

/// Match `headers` (found on `header_row`; `sheet` for spreadsheets) to `target`'s questions.
/// Unknown and repeated headers and missing required columns are items.
/// True for a column formwork's exports add before the questions (`_id`, `_organisation`,
/// `_updated_at`…): named with a leading underscore, which no question id can start with, so an
/// exported file can be uploaded again. Such columns are read past, never reported.
fn is_export_metadata(header: &str) -> bool {
    let header = header.trim();
    header.len() > 1
        && header.starts_with('_')
        && header[1..].chars().all(|c| c.is_ascii_lowercase() || c == '_')
}

pub(crate) fn match_columns(
    def: &Definition,
    target: Target,
    headers: Vec<String>,
    header_row: u64,
    sheet: Option<&str>,
    path: &str,
) -> (Columns, Vec<Item>) {
    let mut items = Vec::new();
    let mut fills = Vec::with_capacity(headers.len());
    let mut position: FxHashMap<usize, usize> = FxHashMap::default();
    for (i, header) in headers.iter().enumerate() {
        if header.trim().is_empty() || is_export_metadata(header) {
            fills.push(None);
            continue;
        }
        let cell = sheet.map(|_| format!("{}{header_row}", column_letters(i)));
        let locate = |mut item: Item| {
            item.row = Some(header_row);
            item.column = Some(header.clone());
            item.cell = cell.clone();
            item.sheet = sheet.map(str::to_string);
            item
        };
        match find(def, target, header) {
            Some(index) => {
                if let Some(first) = position.get(&index) {
                    let message = format!(
                        "“{}” is a second column for the same question as column {} (“{}”): remove one of them",
                        header.trim(),
                        column_letters(*first),
                        headers[*first].trim()
                    );
                    items.push(locate(Item::error(Code::UnknownColumn, path, message)));
                    fills.push(None);
                } else {
                    position.insert(index, i);
                    fills.push(Some(index));
                }
            }
            None => {
                let ids: Vec<&str> = questions(def, target).into_iter().map(|(_, q)| q.id.as_str()).collect();
                let close = formwork_definition::diagnostic::did_you_mean(&normalise(header), ids);
                let message = match close {
                    Some(id) => {
                        format!("“{}” is not a column of this template; did you mean “{id}”?", header.trim())
                    }
                    None => format!(
                        "“{}” is not a column of this template: remove it, or check the header",
                        header.trim()
                    ),
                };
                items.push(locate(Item::error(Code::UnknownColumn, path, message)));
                fills.push(None);
            }
        }
    }
    let mut missing = Vec::new();
    for (index, q) in questions(def, target) {
        let uploadable = q.is_input() && q.ty != QuestionType::File;
        if uploadable && q.required && !position.contains_key(&index) {
            missing.push(index);
            let when =
                if q.when.is_some() { " (it is needed in the rows where the question is asked)" } else { "" };
            let mut item = Item::error(
                Code::MissingColumn,
                match target {
                    Target::Records => q.id.clone(),
                    Target::Table(t) => format!("{}/{}", def.tables[t].id, q.id),
                },
                format!(
                    "The file has no column for “{}”: add a column headed “{}” or “{}”{when}",
                    q.label, q.label, q.id
                ),
            );
            item.row = Some(header_row);
            item.sheet = sheet.map(str::to_string);
            item.column = Some(q.label.clone());
            items.push(item);
        }
    }
    (Columns { fills, headers, position, missing }, items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_for_columns() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(701), "ZZ");
        assert_eq!(column_letters(702), "AAA");
        assert_eq!(column_letters(16_383), "XFD");
    }

    #[test]
    fn an_exports_metadata_columns_are_read_past() {
        for header in ["_id", "_organisation_id", " _updated_at "] {
            assert!(is_export_metadata(header), "{header}");
        }
        for header in ["_", "id", "_Id", "_2", "£_x", ""] {
            assert!(!is_export_metadata(header), "{header}");
        }
    }

    #[test]
    fn headers_match_ignoring_case_and_the_required_mark() {
        assert_eq!(normalise("  Amount spent * "), "amount spent");
        assert_eq!(normalise("FIELD_1"), "field_1");
    }
}
