//! Carry a return's answers over to a newer version of its definition.
//!
//! An answer moves to the question with the same id, or to the question `renamed_from` its id;
//! a table moves by its id and each row's cells by column id (or `renamed_from`). An answer that
//! no longer fits its new question — not its type, not one of its choices, outside a fixed limit,
//! length or pattern — is left out and listed with the reason, so that nothing is lost silently.
//! Whatever the person must fix anyway (a required answer, a rule, a row count, a repeated key, a
//! date limit worked out from other answers) does not stop an answer being carried: the next
//! validation reports it.

use std::collections::HashSet;

use serde::Serialize;
use serde_json::{Map, Value as J};

use crate::messages;
use crate::model::{Bound, Definition, Question, SlotRef, Table};
use crate::validate::breach;
use crate::validate::convert::{Problem, convert};
use crate::validate::json::input_from_json;

/// The answers for the newer version, and what happened to the old ones.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Carried {
    /// The answers document for the newer version, in the stored shape.
    pub answers: Map<String, J>,
    /// How many answers were kept: one per question, one per table cell.
    pub carried: usize,
    /// Questions (`id`) and table columns (`table/column`) whose answers moved to a new id:
    /// (old, new).
    pub renamed: Vec<(String, String)>,
    /// Answers left out, each with why.
    pub dropped: Vec<Dropped>,
}

/// An answer that does not fit the newer version.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Dropped {
    /// Where it was in the old answers: `question`, `table/ROW/column` (rows from 0), or `table`
    /// for a whole table that is gone.
    pub path: String,
    /// The old question's label (a table's section title), or its id if the old version does
    /// not know it.
    pub label: String,
    /// The answer as it was stored.
    pub value: J,
    /// Why it was left out, for people: "“Skills” is no longer one of the choices".
    pub reason: String,
}

/// Carry `answers` (a return's stored answers for `from`) over to `to`. Calculated answers are
/// not carried: they are worked out again. Unanswered questions (`null`, empty text, no rows)
/// are not answers and are neither carried nor dropped.
pub fn carry_over(from: &Definition, to: &Definition, answers: &Map<String, J>) -> Carried {
    let mut out = Carried::default();
    let mut used: HashSet<&str> = HashSet::new();
    for slot in &to.slots {
        match *slot {
            SlotRef::Question(q) => {
                let Some(q) = to.questions.get(q) else { continue };
                let source = source_id(q, |old| from.question(old).is_some() || answers.contains_key(old));
                used.insert(source);
                let old = from.question(source);
                if !q.is_input() || old.is_some_and(|o| !o.is_input()) {
                    continue;
                }
                let Some(value) = answers.get(source).filter(|v| is_answer(v)) else { continue };
                match fits(from, old, to, q, value) {
                    Ok(()) => {
                        out.answers.insert(q.id.clone(), value.clone());
                        out.carried += 1;
                        if source != q.id {
                            out.renamed.push((source.to_string(), q.id.clone()));
                        }
                    }
                    Err(reason) => out.dropped.push(Dropped {
                        path: source.to_string(),
                        label: old.map_or(source, |o| o.label.as_str()).to_string(),
                        value: value.clone(),
                        reason,
                    }),
                }
            }
            SlotRef::Table(t) => {
                let Some(table) = to.tables.get(t) else { continue };
                used.insert(&table.id);
                if let Some(value) = answers.get(&table.id).filter(|v| !v.is_null()) {
                    carry_table(from, to, table, value, &mut out);
                }
            }
        }
    }
    for (key, value) in answers {
        if used.contains(key.as_str()) || !is_answer(value) {
            continue;
        }
        if let Some(old) = from.question(key) {
            if old.is_input() {
                out.dropped.push(dropped(key.clone(), &old.label, value, messages::no_longer_asked()));
            }
        } else if let Some(old) = from.table(key) {
            let label = from.sections.get(old.section).map_or(key.as_str(), |s| s.title.as_str());
            out.dropped.push(dropped(key.clone(), label, value, messages::table_no_longer_asked()));
        } else {
            out.dropped.push(dropped(key.clone(), key, value, messages::no_longer_asked()));
        }
    }
    out
}

/// The rows of one table, cell by cell.
fn carry_table(from: &Definition, to: &Definition, table: &Table, value: &J, out: &mut Carried) {
    let id = &table.id;
    let old_table = from.table(id);
    let old_column = |column: &str| old_table.and_then(|t| t.columns.iter().find(|c| c.id == column));
    let label =
        old_table.and_then(|t| from.sections.get(t.section)).map_or(id.as_str(), |s| s.title.as_str());
    let J::Array(rows) = value else {
        out.dropped.push(dropped(id.clone(), label, value, messages::not_carried_shape()));
        return;
    };
    let row_has = |key: &str| rows.iter().any(|r| r.as_object().is_some_and(|r| r.contains_key(key)));
    // Each new column with the old column its cells come from.
    let columns: Vec<(&Question, &str)> = table
        .columns
        .iter()
        .map(|c| (c, source_id(c, |old| old_column(old).is_some() || row_has(old))))
        .collect();
    let mut renamed: HashSet<(&str, &str)> = HashSet::new();
    let mut carried_rows = Vec::with_capacity(rows.len());
    for (r, row) in rows.iter().enumerate() {
        let J::Object(cells) = row else {
            out.dropped.push(dropped(format!("{id}/{r}"), label, row, messages::not_carried_shape()));
            continue;
        };
        let mut new_row = Map::new();
        for (column, source) in &columns {
            let old = old_column(source);
            if !column.is_input() || old.is_some_and(|o| !o.is_input()) {
                continue;
            }
            let Some(cell) = cells.get(*source).filter(|v| is_answer(v)) else { continue };
            match fits(from, old, to, column, cell) {
                Ok(()) => {
                    new_row.insert(column.id.clone(), cell.clone());
                    out.carried += 1;
                    if *source != column.id {
                        renamed.insert((source, &column.id));
                    }
                }
                Err(reason) => {
                    let label = old.map_or(*source, |o| o.label.as_str());
                    out.dropped.push(dropped(format!("{id}/{r}/{source}"), label, cell, reason));
                }
            }
        }
        for (key, cell) in cells {
            let taken = columns.iter().any(|(_, source)| source == key);
            let old = old_column(key);
            if taken || !is_answer(cell) || old.is_some_and(|o| !o.is_input()) {
                continue;
            }
            let label = old.map_or(key.as_str(), |o| o.label.as_str());
            out.dropped.push(dropped(format!("{id}/{r}/{key}"), label, cell, messages::no_longer_asked()));
        }
        carried_rows.push(J::Object(new_row));
    }
    out.answers.insert(id.clone(), J::Array(carried_rows));
    // In column order, once per table.
    for (column, source) in &columns {
        if renamed.contains(&(*source, column.id.as_str())) {
            out.renamed.push((format!("{id}/{source}"), format!("{id}/{}", column.id)));
        }
    }
}

/// The old id a new question's answer comes from: its `renamed_from` if the old version (or the
/// answers) knows that id, otherwise its own id.
fn source_id(q: &Question, known: impl Fn(&str) -> bool) -> &str {
    match &q.renamed_from {
        Some(old) if known(old) => old,
        _ => &q.id,
    }
}

/// Whether `value` fits the new question `q`: its type and choices, and its fixed limits. Date
/// limits worked out from other answers or the period are left to validation, like rules.
fn fits(
    from: &Definition,
    old: Option<&Question>,
    to: &Definition,
    q: &Question,
    value: &J,
) -> Result<(), String> {
    let input = input_from_json(value);
    match convert(to, q, &input) {
        Err(problem) => {
            let label = match (&problem, old) {
                (Problem::NotChoice(given), Some(old)) => {
                    from.choices_of(old).and_then(|list| list.find(given)).map(|c| c.label.as_str())
                }
                _ => None,
            };
            Err(messages::not_carried(q, &problem, label))
        }
        Ok(typed) => {
            let fixed = |bound: Option<&Bound>| match bound {
                Some(Bound::Date(d)) => Some(*d),
                _ => None,
            };
            match breach(q, &typed, fixed) {
                Some(b) => Err(messages::not_carried_limit(q, &typed, b, to.money_symbol(q))),
                None => Ok(()),
            }
        }
    }
}

/// True unless `value` is no answer at all: `null`, blank text, an empty list.
fn is_answer(value: &J) -> bool {
    !input_from_json(value).is_empty()
}

fn dropped(path: String, label: &str, value: &J, reason: String) -> Dropped {
    Dropped { path, label: label.to_string(), value: value.clone(), reason }
}

#[cfg(test)]
mod tests;
