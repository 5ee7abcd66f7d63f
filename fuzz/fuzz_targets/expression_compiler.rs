//! Any text as an expression in a real definition: compiling must give an expression or an error,
//! and evaluating a compiled one must end within its budget.
#![no_main]

use std::sync::OnceLock;

use formwork_definition::Definition;
use formwork_definition::expr::{self, EvalScope, Global, TableType, TypeEnv};
use libfuzzer_sys::fuzz_target;

const DEFINITION: &str = include_str!("../../examples/towns-fund-monitoring.yaml");

fn definition() -> &'static Definition {
    static DEF: OnceLock<Definition> = OnceLock::new();
    DEF.get_or_init(|| formwork_definition::load(DEFINITION.as_bytes()).unwrap_or_else(|_| panic!("example loads")))
}

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else { return };
    let def = definition();
    let mut globals = std::collections::HashMap::new();
    for q in &def.questions {
        globals.insert(q.id.clone(), Global { slot: q.slot as u32, ty: q.expr_type() });
    }
    for (i, t) in def.tables.iter().enumerate() {
        globals.insert(t.id.clone(), Global { slot: t.slot as u32, ty: expr::Ty::List(Box::new(expr::Ty::Row(i as u32))) });
    }
    let tables: Vec<TableType> = def
        .tables
        .iter()
        .map(|t| TableType { id: t.id.clone(), columns: t.columns.iter().map(|c| (c.id.clone(), c.expr_type())).collect() })
        .collect();
    let lists: Vec<(String, Vec<String>)> =
        def.choice_lists.iter().map(|l| (l.id.clone(), l.choices.iter().map(|c| c.value.to_string()).collect())).collect();
    for row in [None, Some(0u32)] {
        let env = TypeEnv { globals: &globals, tables: &tables, choice_lists: &lists, row };
        if let Ok(compiled) = expr::compile(src, &env) {
            let answers = vec![formwork_definition::Value::Null; def.slots.len()];
            let cells = vec![formwork_definition::Value::Null; 8];
            let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap_or_default();
            let scope = EvalScope { answers: &answers, row: row.map(|_| cells.as_slice()), period: None, today };
            let _ = compiled.eval(&scope);
        }
    }
});
