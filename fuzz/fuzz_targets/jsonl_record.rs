//! Any line as a record of the lettings log: reading and validating it must give items, never
//! panic.
#![no_main]

use std::sync::OnceLock;

use formwork_definition::Definition;
use formwork_definition::validate::json::record_from_json;
use formwork_definition::validate::{Context, NoFile, RecordBatch};
use libfuzzer_sys::fuzz_target;

const DEFINITION: &str = include_str!("../../examples/lettings-log.yaml");

fn definition() -> &'static Definition {
    static DEF: OnceLock<Definition> = OnceLock::new();
    DEF.get_or_init(|| formwork_definition::load(DEFINITION.as_bytes()).unwrap_or_else(|_| panic!("example loads")))
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let def = definition();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap_or_default();
    let mut batch = RecordBatch::new(def, Context { today, period: None }, 1000);
    for (n, line) in text.lines().enumerate() {
        if let Ok((answers, unknown)) = record_from_json(def, line) {
            batch.add(&answers, &unknown, n as u64 + 1, &NoFile);
        }
    }
});
