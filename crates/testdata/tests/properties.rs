//! Properties of the validator over generated answers: answers made to fit a definition validate
//! cleanly, and corrupting one answer yields exactly the expected item at the expected path.

#![expect(clippy::unwrap_used, reason = "a test should stop loudly at anything unexpected")]

use std::sync::OnceLock;

use formwork_definition::validate::json::{answers_from_json, record_from_json};
use formwork_definition::validate::{Item, NoFile, validate};
use formwork_definition::{Definition, Kind, Severity};
use formwork_testdata::Generator;
use formwork_testdata::plant::KINDS;
use proptest::prelude::*;

fn load(name: &str) -> Definition {
    let bytes = std::fs::read(format!("{}/../../examples/{name}.yaml", env!("CARGO_MANIFEST_DIR"))).unwrap();
    formwork_definition::load(&bytes).unwrap()
}

fn examples() -> &'static [Definition] {
    static EXAMPLES: OnceLock<Vec<Definition>> = OnceLock::new();
    EXAMPLES.get_or_init(|| {
        ["lettings-log", "single-audit", "towns-fund-monitoring"].iter().map(|n| load(n)).collect()
    })
}

/// Every item of validating `answers` (a record of a log or a return's answers).
fn items_of(
    def: &Definition,
    generator: &Generator<'_>,
    answers: &serde_json::Map<String, serde_json::Value>,
) -> Vec<Item> {
    let ctx = generator.context();
    match def.kind {
        Kind::Log => {
            let line = serde_json::Value::Object(answers.clone()).to_string();
            let (parsed, unknown) = record_from_json(def, &line).unwrap();
            let mut items: Vec<Item> = unknown
                .iter()
                .map(|u| {
                    Item::error(formwork_definition::validate::Code::UnknownColumn, u.clone(), "unknown")
                })
                .collect();
            items.extend(validate(def, &parsed, &ctx, &NoFile).items(def, "", &NoFile));
            items
        }
        Kind::Return => {
            let (parsed, mut items) = answers_from_json(def, answers);
            items.extend(validate(def, &parsed, &ctx, &NoFile).items(def, "", &NoFile));
            items
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn answers_generated_to_fit_a_definition_validate_cleanly(seed in any::<u64>(), which in 0usize..3) {
        let def = &examples()[which];
        let mut generator = Generator::new(def, seed);
        for _ in 0..4 {
            let record = generator.valid().unwrap();
            let answers = generator.render_answers(&record);
            let items = items_of(def, &generator, &answers);
            prop_assert!(items.is_empty(), "{}: {:#?}\n{}", def.collection, items, serde_json::Value::Object(answers));
        }
    }

    #[test]
    fn corrupting_one_answer_yields_exactly_the_expected_item(seed in any::<u64>(), kind in 0usize..KINDS.len()) {
        let def = &examples()[0];
        let mut generator = Generator::new(def, seed);
        let mut earlier = Vec::new();
        for _ in 0..3 {
            generator.record_with(None, &mut earlier).unwrap();
        }
        let (code, severity) = KINDS[kind];
        let record = generator.record_with(Some((code, severity)), &mut earlier).unwrap();
        let Some((planted_code, planted_severity, path)) = record.planted else {
            // Not every record can take every kind of problem; the generator then says so.
            return Ok(());
        };
        if code == formwork_definition::validate::Code::Unique {
            // A repeated key is a problem between records; it is covered by the file test.
            return Ok(());
        }
        let items = items_of(def, &generator, &record.answers);
        let found: Vec<(Severity, &str, &str)> = items.iter().map(|i| (i.severity, i.code.as_str(), i.path.as_str())).collect();
        prop_assert_eq!(found, vec![(planted_severity, planted_code.as_str(), path.as_str())]);
    }
}
