//! Any bytes as an XLSX upload: opening, checking the zip, reading sheets and validating must give
//! items, never panic, hang or expand without limit.
#![no_main]

use std::io::Cursor;
use std::sync::OnceLock;

use formwork_definition::Definition;
use formwork_definition::validate::Context;
use formwork_tabular::{Limits, Options, validate_xlsx};
use libfuzzer_sys::fuzz_target;

fn definitions() -> &'static [Definition] {
    static DEFS: OnceLock<Vec<Definition>> = OnceLock::new();
    DEFS.get_or_init(|| {
        [include_str!("../../examples/lettings-log.yaml"), include_str!("../../examples/single-audit.yaml")]
            .iter()
            .map(|t| formwork_definition::load(t.as_bytes()).unwrap_or_else(|_| panic!("example loads")))
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let limits = Limits { max_unzipped_bytes: 64 << 20, max_rows: 10_000, ..Limits::default() };
    let options = Options { table: None, max_items: 1_000, threads: 1 };
    for def in definitions() {
        let ctx = Context { today: def.schedule.start, period: None };
        let Ok(result) = validate_xlsx(def, Cursor::new(data), &ctx, &limits, &options) else { continue };
        assert!(result.error_count >= result.errors.len());
        assert!(result.warning_count >= result.warnings.len());
        assert!(result.errors.len() <= options.max_items && result.warnings.len() <= options.max_items);
        assert!(result.records <= limits.max_rows);
        for item in result.errors.iter().chain(&result.warnings) {
            assert!(!item.message.is_empty(), "{item:?}");
            assert!(item.row.is_none_or(|r| r >= 1), "{item:?}");
            std::hint::black_box(item);
        }
    }
});
