//! Any text as an expression in a real definition, evaluated over answers made from the same
//! input: compiling must give an expression or an error, and evaluating a compiled one must end
//! within its budget whatever the answers are (unanswered, empty or full tables, odd dates, huge
//! numbers, text that is not a choice).
//!
//! The input is the expression, a NUL byte, then the bytes the answers are made from (see
//! [`Answers`]); without a NUL every answer is unanswered.
#![no_main]

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use chrono::NaiveDate;
use formwork_definition::expr::{self, EvalScope, Global, PeriodDates, TableType, Ty, TypeEnv};
use formwork_definition::value::FileRef;
use formwork_definition::{Definition, Value};
use libfuzzer_sys::fuzz_target;
use rust_decimal::Decimal;

const DEFINITION: &str = include_str!("../../examples/towns-fund-monitoring.yaml");

/// The definition and what the type checker needs of it, built once.
struct Setup {
    def: Definition,
    globals: HashMap<String, Global>,
    tables: Vec<TableType>,
    lists: Vec<(String, Vec<String>)>,
}

fn setup() -> &'static Setup {
    static SETUP: OnceLock<Setup> = OnceLock::new();
    SETUP.get_or_init(|| {
        let def =
            formwork_definition::load(DEFINITION.as_bytes()).unwrap_or_else(|_| panic!("example loads"));
        let mut globals = HashMap::new();
        for q in &def.questions {
            globals.insert(q.id.clone(), Global { slot: q.slot as u32, ty: q.expr_type() });
        }
        for (i, t) in def.tables.iter().enumerate() {
            globals.insert(
                t.id.clone(),
                Global { slot: t.slot as u32, ty: Ty::List(Box::new(Ty::Row(i as u32))) },
            );
        }
        let tables = def
            .tables
            .iter()
            .map(|t| TableType {
                id: t.id.clone(),
                columns: t.columns.iter().map(|c| (c.id.clone(), c.expr_type())).collect(),
            })
            .collect();
        let lists = def
            .choice_lists
            .iter()
            .map(|l| (l.id.clone(), l.choices.iter().map(|c| c.value.to_string()).collect()))
            .collect();
        Setup { def, globals, tables, lists }
    })
}

/// Makes values of a given type from fuzz bytes; once they run out, every value is unanswered.
struct Answers<'a> {
    bytes: &'a [u8],
    setup: &'a Setup,
}

impl Answers<'_> {
    fn byte(&mut self) -> u8 {
        let Some((&b, rest)) = self.bytes.split_first() else { return 0 };
        self.bytes = rest;
        b
    }

    fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0; N];
        for b in &mut out {
            *b = self.byte();
        }
        out
    }

    fn text(&mut self) -> Value {
        let len = usize::from(self.byte() % 24).min(self.bytes.len());
        let (text, rest) = self.bytes.split_at(len);
        self.bytes = rest;
        Value::text(&String::from_utf8_lossy(text))
    }

    fn date(&mut self) -> Value {
        // About 180 years either side of 2026.
        let days = 739_500 + i32::from(i16::from_le_bytes(self.bytes()));
        NaiveDate::from_num_days_from_ce_opt(days).map_or(Value::Null, Value::Date)
    }

    /// A value of type `ty`; a tag byte of 0 (or no bytes left) makes it unanswered.
    fn value(&mut self, ty: &Ty, depth: u8) -> Value {
        let tag = self.byte();
        if tag == 0 {
            return Value::Null;
        }
        match ty {
            Ty::Any | Ty::Null => Value::Null,
            Ty::Bool => Value::Bool(tag & 1 == 1),
            Ty::Number => {
                // Small whole numbers and pence most of the time, the extremes sometimes.
                let mantissa = match tag % 4 {
                    0 => i64::from_le_bytes(self.bytes()),
                    1 => i64::from(i32::from_le_bytes(self.bytes())),
                    _ => i64::from(i8::from_le_bytes(self.bytes())),
                };
                Value::Number(Decimal::new(mantissa, u32::from(self.byte() % 29)))
            }
            Ty::Text => self.text(),
            Ty::Choice(list) => {
                let choices =
                    self.setup.lists.get(*list as usize).map(|(_, c)| c.as_slice()).unwrap_or_default();
                match choices.get(usize::from(tag) % (choices.len() + 1)) {
                    Some(choice) => Value::text(choice),
                    None => self.text(),
                }
            }
            Ty::Date => self.date(),
            Ty::File => {
                let Value::Text(name) = self.text() else { return Value::Null };
                let size = u64::from_le_bytes(self.bytes());
                Value::File(Arc::new(FileRef { name: name.to_string(), size, id: None }))
            }
            Ty::List(inner) => {
                let len = if depth >= 2 { 0 } else { usize::from(tag % 12) };
                Value::List((0..len).map(|_| self.value(inner, depth + 1)).collect())
            }
            Ty::Row(table) => match self.setup.tables.get(*table as usize) {
                Some(t) => Value::Row(self.row(t, depth)),
                None => Value::Null,
            },
        }
    }

    fn row(&mut self, table: &TableType, depth: u8) -> Arc<[Value]> {
        table.columns.iter().map(|(_, ty)| self.value(ty, depth + 1)).collect()
    }
}

fuzz_target!(|data: &[u8]| {
    let (src, bytes) = match data.iter().position(|&b| b == 0) {
        Some(nul) => (&data[..nul], &data[nul + 1..]),
        None => (data, &[][..]),
    };
    let Ok(src) = std::str::from_utf8(src) else { return };
    let setup = setup();
    let mut make = Answers { bytes, setup };
    let mut answers = vec![Value::Null; setup.def.slots.len()];
    for q in &setup.def.questions {
        answers[q.slot] = make.value(&q.expr_type(), 0);
    }
    for (i, t) in setup.def.tables.iter().enumerate() {
        answers[t.slot] = make.value(&Ty::List(Box::new(Ty::Row(i as u32))), 0);
    }
    let row = setup.tables.first().map(|t| make.row(t, 0)).unwrap_or_default();
    let today = match make.date() {
        Value::Date(d) => d,
        _ => NaiveDate::from_ymd_opt(2026, 11, 22).unwrap_or_default(),
    };
    let period = match (make.date(), make.date()) {
        (Value::Date(start), Value::Date(end)) => Some(PeriodDates { start, end, due: end }),
        _ => None,
    };
    for in_row in [None, Some(0u32)] {
        let env = TypeEnv {
            globals: &setup.globals,
            tables: &setup.tables,
            choice_lists: &setup.lists,
            row: in_row,
        };
        if let Ok(compiled) = expr::compile(src, &env) {
            let scope = EvalScope { answers: &answers, row: in_row.map(|_| &row[..]), period, today };
            std::hint::black_box(compiled.eval(&scope));
        }
    }
});
