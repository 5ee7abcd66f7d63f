//! Grouping repeated items for reports: the same problem in the same column, counted once with
//! the first places it occurs (DESIGN §4: "error reports group repeated items").

use std::collections::HashMap;

use serde::Serialize;

use super::{Code, Item};
use crate::model::Severity;

/// Items of one code in one place (a question, or a column of a table or file).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Group {
    /// Error or warning.
    pub severity: Severity,
    /// The code.
    pub code: Code,
    /// The question or column: the column header where the file had one, else the path with
    /// row indexes replaced by `*` (`spend/*/amount`).
    pub place: String,
    /// How many items.
    pub count: usize,
    /// The first few rows (or cells, for spreadsheets) where it occurs.
    pub first: Vec<String>,
    /// The first item's message.
    pub message: String,
}

/// How many places each group lists.
const FIRST: usize = 5;

/// The place of an item with indexes taken out.
fn place(item: &Item) -> String {
    if let Some(column) = &item.column {
        return column.clone();
    }
    let parts: Vec<&str> = item.path.split('/').collect();
    let generic: Vec<&str> = parts
        .iter()
        .map(|p| if p.bytes().all(|b| b.is_ascii_digit()) && !p.is_empty() { "*" } else { p })
        .collect();
    match generic.as_slice() {
        ["records", "*", rest @ ..] => rest.join("/"),
        other => other.join("/"),
    }
}

fn where_found(item: &Item) -> Option<String> {
    match (&item.cell, item.row) {
        (Some(cell), _) => Some(match &item.sheet {
            Some(sheet) => format!("{sheet}!{cell}"),
            None => cell.clone(),
        }),
        (None, Some(row)) => Some(format!("row {row}")),
        (None, None) => (!item.path.is_empty()).then(|| item.path.clone()),
    }
}

/// Group items by severity, code and place, largest groups first (errors before warnings).
pub fn summarise<'a>(items: impl IntoIterator<Item = &'a Item>) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    let mut index: HashMap<(Severity, Code, String), usize> = HashMap::new();
    for item in items {
        let key = (item.severity, item.code, place(item));
        let i = *index.entry(key.clone()).or_insert_with(|| {
            groups.push(Group {
                severity: key.0,
                code: key.1,
                place: key.2,
                count: 0,
                first: Vec::new(),
                message: item.message.clone(),
            });
            groups.len() - 1
        });
        let g = &mut groups[i];
        g.count += 1;
        if g.first.len() < FIRST
            && let Some(w) = where_found(item)
        {
            g.first.push(w);
        }
    }
    groups.sort_by(|a, b| {
        (a.severity != Severity::Error).cmp(&(b.severity != Severity::Error)).then(b.count.cmp(&a.count))
    });
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_by_code_and_question() {
        let mut items = Vec::new();
        for r in 0..7 {
            let mut i = Item::error(Code::Max, format!("records/{r}/bedrooms"), "too many");
            i.row = Some(r + 2);
            items.push(i);
        }
        items.push(Item::error(Code::Type, "spend/3/amount", "Amount must be a number"));
        let groups = summarise(&items);
        assert_eq!(groups.len(), 2);
        assert_eq!((groups[0].place.as_str(), groups[0].count), ("bedrooms", 7));
        assert_eq!(groups[0].first, vec!["row 2", "row 3", "row 4", "row 5", "row 6"]);
        assert_eq!(groups[1].place, "spend/*/amount");
    }
}
