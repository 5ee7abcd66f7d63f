//! Any bytes as a CSV upload of lettings records, or as the rows of a return's table: reading and
//! validating must give items, never panic. (Writing the report workbook goes through temporary
//! files, too slow to fuzz; its tests cover it.)
//!
//! The first byte says which: even for the lettings log, odd for the Towns Fund return; the rest is
//! the file. The target used to read every input as both, so each cost as much as a lettings file
//! (~95 inputs a second): a header cell that is not a question of the log is compared with each of
//! its 43 question ids for a "did you mean" (Damerau-Levenshtein, as slow as the cell is long, with
//! no cut-off for cells far longer than any id: half the time went there), and each row formats a
//! "required" message for every question whose column is missing, to be dropped. The seeds are
//! small (three records) for the same reason.
#![no_main]

use std::sync::OnceLock;

use formwork_definition::Definition;
use formwork_definition::validate::Context;
use formwork_tabular::{Limits, Options, validate_csv};
use libfuzzer_sys::fuzz_target;

fn definitions() -> &'static [Definition] {
    static DEFS: OnceLock<Vec<Definition>> = OnceLock::new();
    DEFS.get_or_init(|| {
        [
            include_str!("../../examples/lettings-log.yaml"),
            include_str!("../../examples/towns-fund-monitoring.yaml"),
        ]
        .iter()
        .map(|t| formwork_definition::load(t.as_bytes()).unwrap_or_else(|_| panic!("example loads")))
        .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, file)) = data.split_first() else { return };
    let defs = definitions();
    let def = &defs[usize::from(which) % defs.len()];
    // Wider than any example (the log has 43 columns), far from the 2,000 allowed: thousands of
    // unknown header cells, each fuzzy-matched against every question, would be most inputs.
    let limits = Limits { max_row_bytes: 64 * 1024, max_rows: 10_000, max_columns: 128, ..Limits::default() };
    let options = Options { table: None, max_items: 1_000, threads: 1 };
    let ctx = Context { today: def.schedule.start, period: None };
    let Ok(result) = validate_csv(def, file, &ctx, &limits, &options) else { return };
    assert!(result.error_count >= result.errors.len());
    assert!(result.warning_count >= result.warnings.len());
    assert!(result.records <= limits.max_rows);
    for item in result.errors.iter().chain(&result.warnings) {
        assert!(!item.message.is_empty(), "{item:?}");
        assert!(item.row.is_none_or(|r| r >= 1), "{item:?}");
        std::hint::black_box(item);
    }
});
