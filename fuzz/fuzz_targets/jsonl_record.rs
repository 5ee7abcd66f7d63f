//! Any line as a record of the lettings log: reading and validating it must give items, never
//! panic; every item must name a record that was read.
#![no_main]

use std::sync::OnceLock;

use formwork_definition::Definition;
use formwork_definition::validate::json::record_from_json;
use formwork_definition::validate::{Context, NoFile, RecordBatch};
use libfuzzer_sys::fuzz_target;

const DEFINITION: &str = include_str!("../../examples/lettings-log.yaml");

fn definition() -> &'static Definition {
    static DEF: OnceLock<Definition> = OnceLock::new();
    DEF.get_or_init(|| {
        formwork_definition::load(DEFINITION.as_bytes()).unwrap_or_else(|_| panic!("example loads"))
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let def = definition();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap_or_default();
    let mut batch = RecordBatch::new(def, Context { today, period: None }, 1000);
    let mut read = 0;
    for (n, line) in text.lines().enumerate() {
        if let Ok((answers, unknown)) = record_from_json(def, line) {
            std::hint::black_box(&answers);
            batch.add(&answers, &unknown, n as u64 + 1, &NoFile);
            read += 1;
        }
    }
    assert_eq!(batch.records, read);
    assert_eq!(batch.is_valid(), batch.errors.is_empty());
    for item in batch.errors.iter().chain(&batch.warnings) {
        assert!(!item.message.is_empty(), "{item:?}");
        let record = item.path.strip_prefix("records/").and_then(|p| p.split('/').next());
        let index: usize =
            record.and_then(|r| r.parse().ok()).unwrap_or_else(|| panic!("{item:?} names no record"));
        assert!(index < read, "{item:?} names a record that was not read");
        std::hint::black_box(item);
    }
});
