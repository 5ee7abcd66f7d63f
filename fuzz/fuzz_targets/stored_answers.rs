//! Any text as a submission's stored answers, written by every export format: the first byte picks
//! the collection (even: the lettings log, odd: the Towns Fund return, whose tables, multi-choice
//! and file answers take other paths) and whether choices are written as labels. A write must
//! never panic, must succeed exactly when the text is a JSON object (or blank, or `null`), and
//! an export whose writes succeeded must finish.
#![no_main]

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use formwork_export::{Choices, Dictionary, Format, Meta, Options, Plan, writer};
use libfuzzer_sys::fuzz_target;
use serde::de::IgnoredAny;

const LETTINGS: &str = include_str!("../../examples/lettings-log.yaml");
const TOWNS: &str = include_str!("../../examples/towns-fund-monitoring.yaml");

fn plans() -> &'static [Arc<Plan>; 2] {
    static PLANS: OnceLock<[Arc<Plan>; 2]> = OnceLock::new();
    PLANS.get_or_init(|| {
        [LETTINGS, TOWNS].map(|yaml| {
            let definition =
                formwork_definition::load(yaml.as_bytes()).unwrap_or_else(|_| panic!("example loads"));
            Arc::new(Plan::new(&[Arc::new(definition)]).unwrap_or_else(|_| panic!("example plans")))
        })
    })
}

/// What the export promises to read: a JSON object (any values, duplicate keys allowed), `null`,
/// or nothing but whitespace.
fn readable(text: &str) -> bool {
    text.bytes().all(|b| b.is_ascii_whitespace())
        || serde_json::from_str::<Option<BTreeMap<String, IgnoredAny>>>(text).is_ok()
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else { return };
    let Ok(answers) = std::str::from_utf8(rest) else { return };
    let plan = &plans()[usize::from(first & 1)];
    let choices = if first & 2 == 0 { Choices::Values } else { Choices::Labels };
    let meta = Meta {
        id: "sub-1",
        reference: Some("TF-0001"),
        organisation: "Riverside Homes",
        organisation_id: "riverside",
        period: "2026-04-01",
        state: "submitted",
        version: plan.versions()[0],
        upload: None,
        submitted_at: Some(1_775_035_800_000),
        updated_at: 1_775_035_800_123,
    };
    let expected = readable(answers);
    for format in [Format::Csv, Format::Jsonl, Format::Xlsx, Format::Parquet] {
        let options = Options { choices, ..Options::default() };
        let mut w = writer(format, Arc::clone(plan), options, Dictionary::default(), std::io::sink())
            .unwrap_or_else(|e| panic!("a {format:?} writer starts: {e}"));
        let written = w.write(&meta, answers);
        assert_eq!(written.is_ok(), expected, "{format:?}: {written:?}");
        if written.is_ok() {
            w.finish().unwrap_or_else(|e| panic!("{format:?} finishes: {e}"));
        }
    }
});
