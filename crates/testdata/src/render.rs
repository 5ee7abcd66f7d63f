//! Generated values written the many ways people write them: `"1234.50"`, `1234.5`,
//! `"£1,234.50"`, `"01/04/2026"`, `"Yes"`, a choice's label — each must read back as the same value.

use formwork_definition::Value;
use formwork_definition::model::{Question, QuestionType, SlotRef};
use formwork_definition::validate::convert::decimal_from_f64;
use formwork_definition::value::format_number;
use serde_json::{Map, Value as J, json};

use crate::{Generator, Record};

impl Generator<'_> {
    /// The answers of a record as a JSON object, by question id (tables as lists of row objects).
    pub fn render_answers(&mut self, record: &Record) -> Map<String, J> {
        let def = self.def;
        let mut out = Map::new();
        for (slot, value) in record.values.iter().enumerate() {
            if !record.asked[slot] || value.is_null() {
                continue;
            }
            match def.slots[slot] {
                SlotRef::Question(q) => {
                    let q = &def.questions[q];
                    if q.is_input() {
                        let rendered = self.render(q, value);
                        out.insert(q.id.clone(), rendered);
                    }
                }
                SlotRef::Table(t) => {
                    let table = &def.tables[t];
                    let Value::List(rows) = value else { continue };
                    let mut list = Vec::with_capacity(rows.len());
                    for row in rows.iter() {
                        let Value::Row(cells) = row else { continue };
                        let mut object = Map::new();
                        for (c, cell) in cells.iter().enumerate() {
                            let column = &table.columns[c];
                            if !cell.is_null() && column.is_input() {
                                object.insert(column.id.clone(), self.render(column, cell));
                            }
                        }
                        list.push(J::Object(object));
                    }
                    out.insert(table.id.clone(), J::Array(list));
                }
            }
        }
        out
    }

    /// One value, written one of the ways people write it.
    pub(crate) fn render(&mut self, q: &Question, value: &Value) -> J {
        let way = self.rng.u8(..3);
        match (q.ty, value) {
            (QuestionType::Money, Value::Number(n)) => match way {
                0 => J::String(n.to_string()),
                1 => exact_number(*n).unwrap_or_else(|| J::String(n.to_string())),
                _ => J::String(format_number(*n, Some(&self.def.currency.symbol))),
            },
            (_, Value::Number(n)) => match way {
                0 => J::String(n.normalize().to_string()),
                _ => exact_number(*n).unwrap_or_else(|| J::String(n.to_string())),
            },
            (_, Value::Date(d)) => match way {
                0 => J::String(d.format("%d/%m/%Y").to_string()),
                _ => J::String(d.format("%Y-%m-%d").to_string()),
            },
            (_, Value::Bool(b)) => match way {
                0 => J::String(if *b { "Yes" } else { "No" }.into()),
                _ => J::Bool(*b),
            },
            (QuestionType::Choice, Value::Text(t)) => {
                match (way, self.def.choices_of(q).and_then(|l| l.find(t))) {
                    (0, Some(choice)) => J::String(choice.label.clone()),
                    _ => J::String(t.to_string()),
                }
            }
            (QuestionType::Postcode, Value::Text(t)) if way == 0 => {
                J::String(t.to_lowercase().replace(' ', ""))
            }
            (_, Value::List(items)) => J::Array(items.iter().map(|i| J::String(i.to_string())).collect()),
            (_, Value::File(f)) => json!({"name": f.name, "size": f.size}),
            (_, other) => J::String(other.to_string()),
        }
    }
}

/// A JSON number for `n` when it reads back exactly.
fn exact_number(n: rust_decimal::Decimal) -> Option<J> {
    let f: f64 = n.to_string().parse().ok()?;
    (decimal_from_f64(f)? == n).then(|| serde_json::Number::from_f64(f).map(J::Number)).flatten()
}

/// A cell's text for a CSV file: what a person types for the value as rendered in JSON.
pub fn cell_text(value: &J) -> String {
    match value {
        J::Null | J::Object(_) => String::new(),
        J::Bool(b) => if *b { "Yes" } else { "No" }.into(),
        J::Array(items) => items.iter().map(cell_text).collect::<Vec<_>>().join("; "),
        J::String(s) => s.clone(),
        J::Number(n) => n.to_string(),
    }
}

/// One line of CSV (ending CRLF) with the cells of `answers` under `header`.
pub fn csv_line(header: &[String], answers: &Map<String, J>) -> String {
    let mut line = String::new();
    for (i, h) in header.iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        let text = answers.get(h).map(cell_text).unwrap_or_default();
        if text.contains([',', '"', '\n', '\r']) {
            line.push('"');
            line.push_str(&text.replace('"', "\"\""));
            line.push('"');
        } else {
            line.push_str(&text);
        }
    }
    line.push_str("\r\n");
    line
}
