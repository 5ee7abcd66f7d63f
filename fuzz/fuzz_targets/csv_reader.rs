//! Any bytes as a CSV upload of lettings records, and as the rows of a return's table: reading and
//! validating must give items, never panic. (Writing the report workbook goes through temporary
//! files, too slow to fuzz; its tests cover it.)
#![no_main]

use std::sync::OnceLock;

use formwork_definition::Definition;
use formwork_definition::validate::Context;
use formwork_tabular::{Limits, Options, validate_csv};
use libfuzzer_sys::fuzz_target;

fn definitions() -> &'static [Definition] {
    static DEFS: OnceLock<Vec<Definition>> = OnceLock::new();
    DEFS.get_or_init(|| {
        [include_str!("../../examples/lettings-log.yaml"), include_str!("../../examples/towns-fund-monitoring.yaml")]
            .iter()
            .map(|t| formwork_definition::load(t.as_bytes()).unwrap_or_else(|_| panic!("example loads")))
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let limits = Limits { max_row_bytes: 64 * 1024, max_rows: 10_000, ..Limits::default() };
    for def in definitions() {
        let ctx = Context { today: def.schedule.start, period: None };
        let options = Options { table: None, max_items: 1_000, threads: 1 };
        let Ok(result) = validate_csv(def, data, &ctx, &limits, &options) else { return };
        assert!(result.error_count >= result.errors.len());
        for item in result.errors.iter().chain(&result.warnings) {
            assert!(item.row.is_none_or(|r| r >= 1));
        }
    }
});
