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
    for def in definitions() {
        let ctx = Context { today: def.schedule.start, period: None };
        let _ = validate_xlsx(def, Cursor::new(data), &ctx, &limits, &Options { table: None, max_items: 1_000, threads: 1 });
    }
});
