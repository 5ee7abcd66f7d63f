use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::load;

const V1: &str = "formwork: 1
collection: grants
version: 1
title: Grants
kind: return
schedule: {frequency: annual, start: 2026-04-01, due: 30d}
choice_lists:
  theme:
    - {value: regen, label: Urban regeneration}
    - {value: skills, label: Skills}
sections:
  - id: about
    title: About
    questions:
      - {id: org_name, label: Organisation name, type: text}
      - {id: contact, label: Contact email, type: email}
      - {id: old_notes, label: Notes, type: long_text}
      - {id: theme, label: Theme, type: choice, choices: theme}
      - {id: grant, label: Grant awarded, type: money, min: 0}
      - {id: summary, label: Summary, type: text, max_length: 500}
      - {id: staff, label: Number of staff, type: integer}
      - {id: headline, label: Headline, type: text, required: false}
      - {id: total, label: Total, type: calculated, value: grant}
  - id: spend
    title: Spend
    table:
      columns:
        - {id: item, label: Item, type: text}
        - {id: amt, label: Amount, type: money}
        - {id: note, label: Note, type: text, required: false}
";

const V2: &str = "formwork: 1
collection: grants
version: 2
title: Grants
kind: return
schedule: {frequency: annual, start: 2026-04-01, due: 30d}
choice_lists:
  theme:
    - {value: regen, label: Urban regeneration}
sections:
  - id: about
    title: About
    questions:
      - {id: organisation_name, label: Organisation name, type: text, renamed_from: org_name}
      - {id: contact, label: Contact email, type: email}
      - {id: theme, label: Theme, type: choice, choices: theme}
      - {id: grant, label: Grant awarded, type: money, min: 0, max: 5000}
      - {id: summary, label: Summary, type: text, max_length: 100}
      - {id: staff, label: Number of staff, type: integer, min: 1, rules: [{check: 'staff > 100', message: There must be more than 100 staff}]}
      - {id: headline, label: Headline, type: text}
      - {id: consent, label: Do you agree?, type: yes_no}
      - {id: total, label: Total, type: calculated, value: grant}
  - id: spend
    title: Spend
    table:
      min_rows: 5
      columns:
        - {id: item, label: Item, type: text}
        - {id: amount, label: Amount, type: money, max: 1000, renamed_from: amt}
";

fn def(text: &str) -> Definition {
    load(text.as_bytes()).unwrap_or_else(|d| panic!("{d:?}"))
}

fn answers(value: J) -> Map<String, J> {
    match value {
        J::Object(map) => map,
        _ => panic!("answers must be an object"),
    }
}

fn v1_answers() -> Map<String, J> {
    answers(json!({
        "org_name": "Acme",
        "contact": "ops@example.com",
        "old_notes": "Some notes",
        "theme": "skills",
        "grant": "6000.00",
        "summary": "x".repeat(150),
        "staff": "12",
        "headline": null,
        "total": "6000.00",
        "spend": [
            {"item": "Chairs", "amt": "500.00", "note": "For the hall"},
            {"item": "Room", "amt": "2500.00"}
        ]
    }))
}

fn reasons(carried: &Carried) -> Vec<(&str, &str, &str)> {
    carried.dropped.iter().map(|d| (d.path.as_str(), d.label.as_str(), d.reason.as_str())).collect()
}

#[test]
fn answers_that_fit_are_kept_and_the_rest_are_listed_with_why() {
    let carried = carry_over(&def(V1), &def(V2), &v1_answers());
    assert_eq!(
        J::Object(carried.answers.clone()),
        json!({
            "organisation_name": "Acme",
            "contact": "ops@example.com",
            "staff": "12",
            "spend": [{"item": "Chairs", "amount": "500.00"}, {"item": "Room"}]
        }),
        "rules, required questions and row counts are the person's to fix: the answers still fit"
    );
    assert_eq!(
        reasons(&carried),
        vec![
            ("theme", "Theme", "“Skills” is no longer one of the choices"),
            ("grant", "Grant awarded", "£6,000 is more than the new limit of £5,000"),
            ("summary", "Summary", "The answer is longer than the new limit of 100 characters"),
            ("spend/0/note", "Note", "This question is no longer asked"),
            ("spend/1/amt", "Amount", "£2,500 is more than the new limit of £1,000"),
            ("old_notes", "Notes", "This question is no longer asked"),
        ]
    );
    let value = |path: &str| carried.dropped.iter().find(|d| d.path == path).map(|d| d.value.clone());
    assert_eq!(value("grant"), Some(json!("6000.00")), "the old value is kept for people to see");
    assert_eq!(value("spend/1/amt"), Some(json!("2500.00")));
    assert_eq!(
        carried.renamed,
        vec![("org_name".into(), "organisation_name".into()), ("spend/amt".into(), "spend/amount".into())]
    );
}

#[test]
fn nothing_is_lost_silently() {
    let old = v1_answers();
    let carried = carry_over(&def(V1), &def(V2), &old);
    // Every answer people gave: questions that are not calculated, and each table cell.
    let given = old
        .iter()
        .map(|(key, value)| match value {
            J::Array(rows) => rows.iter().filter_map(J::as_object).map(Map::len).sum(),
            J::Null => 0,
            _ if key == "total" => 0,
            _ => 1,
        })
        .sum::<usize>();
    assert_eq!(carried.carried + carried.dropped.len(), given);
    assert_eq!(carried.carried, 6);
}

#[test]
fn a_table_that_is_gone_is_listed_whole() {
    let v2 = V2.split("  - id: spend").next().unwrap_or_default();
    let carried = carry_over(&def(V1), &def(v2), &v1_answers());
    let spend = carried.dropped.iter().find(|d| d.path == "spend").expect("the table is listed");
    assert_eq!((spend.label.as_str(), spend.reason.as_str()), ("Spend", "This table is no longer asked"));
    assert_eq!(spend.value, v1_answers()["spend"]);
    assert!(!carried.answers.contains_key("spend"));
}

#[test]
fn odd_json_is_listed_not_a_panic() {
    let old = answers(json!({
        "staff": {"not": "a number"},
        "spend": [7, {"item": ["a", "list"], "amt": true}],
        "contact": ["two", "values"],
        "unknown": 3
    }));
    let carried = carry_over(&def(V1), &def(V2), &old);
    assert_eq!(carried.carried, 0);
    let paths: Vec<&str> = carried.dropped.iter().map(|d| d.path.as_str()).collect();
    assert_eq!(paths, vec!["contact", "staff", "spend/0", "spend/1/item", "spend/1/amt", "unknown"]);
    assert!(carried.dropped[..5].iter().all(|d| d.reason == "The answer is no longer the right type"));
    assert_eq!(carried.answers["spend"], json!([{}]));
    let not_a_table = carry_over(&def(V1), &def(V2), &answers(json!({"spend": "rows"})));
    assert_eq!(reasons(&not_a_table), vec![("spend", "Spend", "The answer is no longer the right type")]);
}

#[test]
fn a_file_type_no_longer_accepted_is_listed() {
    let head = "formwork: 1\ncollection: f\nversion: 1\ntitle: F\nkind: return\nschedule: {frequency: annual, start: 2026-04-01, due: 30d}\nsections:\n  - id: s\n    title: S\n    questions:\n";
    let v1 = def(&format!("{head}      - {{id: letter, label: Letter, type: file, accept: [pdf, docx]}}\n"));
    let v2 = def(&format!("{head}      - {{id: letter, label: Letter, type: file, accept: [pdf]}}\n"));
    let file = json!({"name": "letter.docx", "size": 10, "id": "f1", "sha256": "ab"});
    let carried = carry_over(&v1, &v2, &answers(json!({"letter": file})));
    assert_eq!(reasons(&carried), vec![("letter", "Letter", "DOCX files are no longer accepted")]);
    let pdf = json!({"name": "letter.pdf", "size": 10, "id": "f2", "sha256": "cd"});
    let kept = carry_over(&v1, &v2, &answers(json!({"letter": pdf.clone()})));
    assert_eq!(kept.answers["letter"], pdf, "a file answer is kept whole, checksum and all");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn carrying_a_definition_onto_itself_keeps_every_valid_answer(
        org in "[A-Za-z ]{1,30}",
        contact in "[a-z]{1,10}@example\\.com",
        theme in prop_oneof![Just("regen"), Just("skills")],
        pence in 0u64..100_000_000,
        summary in "[a-z ]{0,500}",
        staff in -1000i64..1000,
        rows in proptest::collection::vec(("[A-Za-z]{1,10}", 0u64..1_000_000, proptest::option::of("[a-z]{1,10}")), 0..5),
    ) {
        let v1 = def(V1);
        let spend: Vec<J> = rows
            .iter()
            .map(|(item, pence, note)| {
                let mut row = json!({"item": item, "amt": format!("{}.{:02}", pence / 100, pence % 100)});
                if let (Some(note), Some(row)) = (note, row.as_object_mut()) {
                    row.insert("note".into(), json!(note));
                }
                row
            })
            .collect();
        let old = answers(json!({
            "org_name": org,
            "contact": contact,
            "theme": theme,
            "grant": format!("{}.{:02}", pence / 100, pence % 100),
            "summary": summary,
            "staff": staff,
            "spend": spend,
        }));
        let carried = carry_over(&v1, &v1, &old);
        prop_assert!(carried.dropped.is_empty(), "{:?}", carried.dropped);
        prop_assert!(carried.renamed.is_empty());
        let expected: Map<String, J> =
            old.into_iter().filter(|(_, v)| is_answer(v) || v.is_array()).collect();
        prop_assert_eq!(carried.answers, expected);
    }

    #[test]
    fn any_answers_are_either_carried_or_listed(
        keys in proptest::collection::vec(prop_oneof![
            Just("org_name"), Just("theme"), Just("grant"), Just("staff"), Just("spend"), Just("nothing"), Just("total")
        ], 0..6),
        values in proptest::collection::vec(prop_oneof![
            Just(J::Null), any::<bool>().prop_map(J::from), any::<i64>().prop_map(J::from),
            any::<f64>().prop_map(J::from), ".{0,12}".prop_map(J::from),
            Just(json!([{"item": "x", "amt": "1e400"}, null, {"note": []}])), Just(json!({"name": 3})),
        ], 6),
    ) {
        let old: Map<String, J> = keys.iter().zip(values).map(|(k, v)| ((*k).to_string(), v)).collect();
        let carried = carry_over(&def(V1), &def(V2), &old);
        for d in &carried.dropped {
            prop_assert!(!d.reason.is_empty() && !d.path.is_empty());
        }
    }
}
