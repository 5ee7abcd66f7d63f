use chrono::NaiveDate;
use serde_json::json;

use super::json::answers_from_json;
use super::*;
use crate::load;

fn definition(yaml: &str) -> Definition {
    match load(yaml.as_bytes()) {
        Ok(d) => d,
        Err(d) => panic!("{}", crate::diagnostic::render("test", yaml, &d)),
    }
}

fn example(name: &str) -> Definition {
    let bytes = std::fs::read(format!("{}/../../examples/{name}.yaml", env!("CARGO_MANIFEST_DIR"))).unwrap();
    load(&bytes).unwrap()
}

fn context() -> Context {
    Context { today: NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(), period: None }
}

fn check(def: &Definition, answers: serde_json::Value) -> (Vec<Item>, Outcome) {
    let (answers, mut items) = answers_from_json(def, answers.as_object().unwrap());
    let outcome = validate(def, &answers, &context(), &NoFile);
    items.extend(outcome.items(def, "", &NoFile));
    (items, outcome)
}

fn codes(items: &[Item]) -> Vec<(String, &'static str)> {
    items.iter().map(|i| (i.path.clone(), i.code.as_str())).collect()
}

const RETURN: &str = r#"
formwork: 1
collection: test-return
version: 1
title: Test
kind: return
schedule: {frequency: quarterly, start: 2026-04-01, due: 30d}
choice_lists:
  quarter: [Q1, Q2, Q3, Q4]
  source: [{value: tf, label: Towns Fund}, {value: other, label: Other}]
sections:
  - id: programme
    title: Programme details
    questions:
      - {id: programme_name, label: Programme name, type: text, max_length: 20}
      - {id: grant_total, label: Total grant, type: money, min: 0}
      - {id: start_date, label: Start date, type: date}
      - {id: end_date, label: End date, type: date, min: start_date,
         rules: [{check: "end_date <= date('2030-01-01')", message: End date must be before 2030}]}
      - {id: has_changes, label: Have there been changes?, type: yes_no}
      - {id: change_details, label: Change details, type: long_text, when: has_changes}
      - {id: changes_count, label: Number of changes, type: integer, min: 1, when: has_changes}
  - id: spend
    title: Spend to date
    table:
      min_rows: 1
      max_rows: 3
      unique: [project_id, quarter]
      columns:
        - {id: project_id, label: Project ID, type: text, pattern: '^TF-[0-9]{2}$'}
        - {id: quarter, label: Quarter, type: choice, choices: quarter}
        - {id: amount, label: Amount, type: money, min: 0}
        - {id: source, label: Funding source, type: choice, choices: source, required: false}
      rules:
        - {check: "amount <= grant_total", message: Spend in one row cannot be more than the total grant, fields: [amount]}
        - {check: "amount < 1000", message: Spend of 1000 or more must be confirmed, severity: warning}
rules:
  - id: spend-within-grant
    check: sum(spend.map(r, r.amount)) <= grant_total
    message: Total spend cannot be more than the total grant
    fields: [grant_total]
"#;

fn valid_answers() -> serde_json::Value {
    json!({
        "programme_name": "Towns",
        "grant_total": "1000.00",
        "start_date": "2026-04-01",
        "end_date": "2026-06-30",
        "has_changes": false,
        "spend": [
            {"project_id": "TF-01", "quarter": "Q1", "amount": "100.00"},
            {"project_id": "TF-01", "quarter": "Q2", "amount": 200.5}
        ]
    })
}

#[test]
fn valid_answers_have_no_items_and_every_section_is_complete() {
    let def = definition(RETURN);
    let (items, outcome) = check(&def, valid_answers());
    assert_eq!(items, vec![]);
    assert!(outcome.sections.iter().all(|s| s.state == SectionState::Complete), "{:?}", outcome.sections);
}

#[test]
fn hidden_question_is_never_required_nor_validated_and_is_cleared() {
    let def = definition(RETURN);
    let mut answers = valid_answers();
    // `changes_count` is not asked (has_changes is false): a bad answer to it is not an error.
    answers["changes_count"] = json!("lots");
    answers["change_details"] = json!("Kept from an earlier draft");
    let (items, outcome) = check(&def, answers);
    assert_eq!(items, vec![]);
    let slot = def.slot_named("change_details").unwrap();
    assert!(!outcome.asked[slot]);
    assert!(outcome.values[slot].is_null());
}

#[test]
fn asked_question_is_required() {
    let def = definition(RETURN);
    let mut answers = valid_answers();
    answers["has_changes"] = json!("Yes");
    let (items, _) = check(&def, answers);
    assert_eq!(
        codes(&items),
        vec![("change_details".into(), "required"), ("changes_count".into(), "required")]
    );
    assert_eq!(items[0].message, "Enter the change details");
    assert_eq!(items[0].section.as_deref(), Some("programme"));
}

#[test]
fn type_errors_use_the_label_and_block_rules_that_read_them() {
    let def = definition(RETURN);
    let mut answers = valid_answers();
    answers["grant_total"] = json!("a lot");
    answers["end_date"] = json!("31/02/2026");
    let (items, _) = check(&def, answers);
    // `amount <= grant_total` and the spend total rule read grant_total: they are not run.
    assert_eq!(codes(&items), vec![("grant_total".into(), "type"), ("end_date".into(), "type")]);
    assert_eq!(items[0].message, "Total grant must be an amount of money, like 1234.50");
    assert_eq!(items[1].message, "End date must be a real date");
}

#[test]
fn date_bounds_can_be_other_answers() {
    let def = definition(RETURN);
    let mut answers = valid_answers();
    answers["end_date"] = json!("2026-03-31");
    let (items, _) = check(&def, answers);
    assert_eq!(codes(&items), vec![("end_date".into(), "min")]);
    assert_eq!(items[0].message, "End date must be the same as or after 1 April 2026");
}

#[test]
fn table_rules_see_the_row_and_the_outer_answers() {
    let def = definition(RETURN);
    let mut answers = valid_answers();
    answers["spend"][1]["amount"] = json!("1500");
    let (items, _) = check(&def, answers);
    assert_eq!(
        items.iter().map(|i| (i.path.as_str(), i.code.as_str(), i.severity)).collect::<Vec<_>>(),
        vec![
            ("spend/1/amount", "rule", Severity::Error),
            ("spend/1", "rule", Severity::Warning),
            ("grant_total", "rule", Severity::Error),
        ]
    );
    assert_eq!(items[2].rule.as_deref(), Some("spend-within-grant"));
}

#[test]
fn table_rows_unique_keys_and_cells() {
    let def = definition(RETURN);
    let mut answers = valid_answers();
    answers["spend"] = json!([
        {"project_id": "TF-01", "quarter": "Q1", "amount": "1"},
        {"project_id": "TF-01", "quarter": "q1", "amount": "1"},
        {"project_id": "TF-1", "quarter": "Q5", "amount": "-1", "source": "Towns Fund"},
        {"project_id": "TF-02", "quarter": "Q1", "amount": "1.001"}
    ]);
    let (items, _) = check(&def, answers);
    assert_eq!(
        codes(&items),
        vec![
            ("spend/2/quarter".into(), "choice"),
            ("spend/3/amount".into(), "type"),
            ("spend".into(), "rows"),
            ("spend/1/project_id".into(), "unique"),
            ("spend/2/project_id".into(), "pattern"),
            ("spend/2/amount".into(), "min"),
        ]
    );
    let by_path = |p: &str| items.iter().find(|i| i.path == p).unwrap().message.clone();
    assert_eq!(by_path("spend"), "Spend to date can have no more than 3 rows, but it has 4");
    assert_eq!(
        by_path("spend/1/project_id"),
        "Project ID and quarter must not all be the same as on another row of Spend to date: row 1 has the same"
    );
    assert_eq!(by_path("spend/2/quarter"), "Quarter must be one of: Q1, Q2, Q3, Q4, not “Q5”");
    assert_eq!(by_path("spend/2/amount"), "Amount must be £0 or more");
    assert_eq!(by_path("spend/2/project_id"), "Enter the project ID in the correct format");
}

#[test]
fn empty_table_with_min_rows_is_reported_and_the_section_not_started() {
    let def = definition(RETURN);
    let mut answers = valid_answers();
    answers.as_object_mut().unwrap().remove("spend");
    let (items, outcome) = check(&def, answers);
    assert_eq!(codes(&items), vec![("spend".into(), "rows")]);
    assert_eq!(items[0].message, "Add at least 1 row to Spend to date");
    assert_eq!(outcome.sections[1].state, SectionState::NotStarted);
    assert_eq!(outcome.sections[0].state, SectionState::Complete);
}

#[test]
fn section_in_progress_when_partly_answered() {
    let def = definition(RETURN);
    let (_, outcome) = check(&def, json!({"programme_name": "Towns"}));
    assert_eq!(outcome.sections[0].state, SectionState::InProgress);
    assert_eq!(outcome.sections[1].state, SectionState::NotStarted);
}

#[test]
fn ten_rows_of_ten_pence_sum_to_exactly_one_pound_as_strings_and_as_numbers() {
    let def = definition(
        r#"
formwork: 1
collection: pence
version: 1
title: Pence
kind: return
schedule: {frequency: annual, start: 2026-04-01, due: 30d}
sections:
  - id: totals
    title: Totals
    questions:
      - {id: total, label: Total, type: money}
  - id: spend
    title: Spend
    table:
      columns:
        - {id: amount, label: Amount, type: money}
rules:
  - check: sum(spend.map(r, r.amount)) == 1.00 && sum(spend.map(r, r.amount)) == total
    message: The rows must add up to exactly the total
"#,
    );
    for amount in [json!("0.10"), json!(0.10), json!(0.1)] {
        let rows: Vec<_> = (0..10).map(|_| json!({"amount": amount})).collect();
        let (items, outcome) = check(&def, json!({"total": 1, "spend": rows}));
        assert_eq!(items, vec![], "amount given as {amount}");
        let Value::List(rows) = &outcome.values[1] else { panic!() };
        assert_eq!(rows.len(), 10);
    }
    let rows: Vec<_> = (0..10).map(|_| json!({"amount": 0.1})).collect();
    let (items, _) = check(&def, json!({"total": "1.01", "spend": rows}));
    assert_eq!(codes(&items), vec![("".into(), "rule")]);
}

#[test]
fn one_error_per_field() {
    let def = example("lettings-log");
    // household_size >= 2 asks person 2's age, which is required; the collection rule about it
    // must not add a second error at the same place.
    let (answers, _) = json::record_from_json(&def, r#"{"household_size": 3}"#).unwrap();
    let outcome = validate(&def, &answers, &context(), &NoFile);
    let items = outcome.items(&def, "records/0/", &NoFile);
    let at: Vec<&Item> = items.iter().filter(|i| i.path == "records/0/person2_age").collect();
    assert_eq!(at.len(), 1, "{at:?}");
    assert_eq!(at[0].code, Code::Required);
}

#[test]
fn calculated_values_are_worked_out() {
    let def = example("lettings-log");
    let line = r#"{"basic_rent": "100.50", "service_charge": 10, "support_charge": "5.25"}"#;
    let (answers, unknown) = json::record_from_json(&def, line).unwrap();
    assert!(unknown.is_empty());
    let outcome = validate(&def, &answers, &context(), &NoFile);
    let total = def.slot_named("total_charge").unwrap();
    assert_eq!(outcome.values[total].to_string(), "115.75");
}

#[test]
fn unknown_keys_are_reported_with_a_suggestion() {
    let def = definition(RETURN);
    let mut answers = valid_answers();
    answers["programme_nam"] = json!("x");
    answers["spend"][0]["amout"] = json!("1");
    let (items, _) = check(&def, answers);
    assert_eq!(
        codes(&items)[..2],
        [("programme_nam".into(), "unknown_column"), ("spend/0/amout".into(), "unknown_column")]
    );
    assert!(items[0].message.contains("did you mean “programme_name”"));
}

#[test]
fn choices_match_values_and_labels_ignoring_case() {
    let def = definition(RETURN);
    let mut answers = valid_answers();
    answers["spend"][0]["source"] = json!("towns fund");
    answers["spend"][1]["source"] = json!("OTHER");
    let (items, outcome) = check(&def, answers);
    assert_eq!(items, vec![]);
    let Value::List(rows) = &outcome.values[7] else { panic!("{:?}", outcome.values) };
    let Value::Row(first) = &rows[0] else { panic!() };
    assert_eq!(first[3], Value::text("tf"));
}

#[test]
fn warnings_are_kept_apart_from_errors() {
    let def = example("lettings-log");
    let (answers, _) = json::record_from_json(&def, r#"{"lead_age": 104}"#).unwrap();
    let outcome = validate(&def, &answers, &context(), &NoFile);
    let warnings: Vec<&Finding> =
        outcome.findings.iter().filter(|f| f.severity == Severity::Warning).collect();
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0].message, "The lead tenant's age is 100 or over: check this is correct");
}

#[test]
fn a_table_on_its_own_is_checked_without_the_rest_of_the_submission() {
    let def = example("towns-fund-monitoring");
    let spend = def.slot_named("spend").unwrap();
    let (answers, _) = answers_from_json(
        &def,
        json!({"spend": [{"project_id": "TF-ABC-01", "quarter": "Q1", "source": "tf", "amount": "x"}]})
            .as_object()
            .unwrap(),
    );
    let outcome = validate_part(&def, &answers, &context(), &NoFile, Part::Table(spend));
    // Only the bad amount: no `required` for the programme questions, no rule about projects.
    assert_eq!(codes(&outcome.items(&def, "", &NoFile)), vec![("spend/0/amount".into(), "type")]);
}

#[test]
fn typed_values_written_as_json_read_back_to_the_same_values() {
    let def = definition(RETURN);
    let (_, outcome) = check(&def, valid_answers());
    let written = json::values_to_json(&def, &outcome.values);
    // Numbers as exact strings (money as the engine keeps it, to the penny); questions not asked
    // (`change_details`, `changes_count`) left out.
    assert_eq!(
        serde_json::Value::Object(written.clone()),
        json!({
            "programme_name": "Towns",
            "grant_total": "1000.00",
            "start_date": "2026-04-01",
            "end_date": "2026-06-30",
            "has_changes": false,
            "spend": [
                {"project_id": "TF-01", "quarter": "Q1", "amount": "100.00"},
                {"project_id": "TF-01", "quarter": "Q2", "amount": "200.50"}
            ]
        })
    );
    let (items, again) = check(&def, serde_json::Value::Object(written.clone()));
    assert_eq!(items, vec![]);
    assert_eq!(again.values, outcome.values);
    assert_eq!(json::values_to_json(&def, &again.values), written);
}

#[test]
fn merging_a_record_says_whether_it_has_an_error_including_a_repeated_key() {
    let def = definition(
        r#"
formwork: 1
collection: sites
version: 1
title: Sites
kind: log
schedule: {frequency: annual, start: 2026-04-01, due: 75d}
record_key: [site]
roles: {data_provider: Records sites}
sections:
  - id: sites
    title: Sites
    questions:
      - {id: site, label: Site, type: text}
      - {id: rooms, label: Rooms, type: integer, min: 0}
      - {id: flats, label: Flats, type: integer, required: false, rules: [{check: "flats < 10", message: Check the flats, severity: warning}]}
"#,
    );
    let mut batch = RecordBatch::new(&def, context(), 100);
    let mut merge = |line: &str| {
        let (answers, _) = json::record_from_json(&def, line).unwrap();
        let record = check_record(&def, &context(), &answers, &[], batch.next_index(), 1, &NoFile, &[]);
        batch.merge(record, &NoFile)
    };
    assert!(!merge(r#"{"site": "North", "rooms": 3}"#));
    assert!(!merge(r#"{"site": "East", "rooms": 3, "flats": 12}"#), "a warning is not an error");
    assert!(merge(r#"{"site": "South", "rooms": "many"}"#));
    assert!(merge(r#"{"site": "north", "rooms": 4}"#), "the key of row 1 again");
    assert_eq!((batch.records, batch.errors.len(), batch.warnings.len()), (4, 2, 1));
}

#[test]
fn stored_answers_are_typed_keep_what_was_typed_wrong_and_drop_what_is_not_asked() {
    let def = example("towns-fund-monitoring");
    let sent = json!({
        "Programme name": "  Harbour  ",
        "grant_total": "£1,234.50",
        "start_date": "2026-13-40",
        "has_changes": false,
        "change_details": "left over from before",
        "projects": [{"project_id": "TF-ABC-01", "percent_complete": "50%", "theme": "nonsense"}],
    });
    let (answers, items) = answers_from_json(&def, sent.as_object().unwrap());
    assert!(items.is_empty());
    let outcome = validate(&def, &answers, &context(), &NoFile);
    let stored = json::stored_answers(&def, sent.as_object().unwrap(), &outcome);
    assert_eq!(stored.get("programme_name"), Some(&json!("Harbour")));
    assert_eq!(stored.get("grant_total"), Some(&json!("1234.50")));
    assert_eq!(stored.get("start_date"), Some(&json!("2026-13-40")), "a wrong date is kept as typed");
    assert_eq!(stored.get("has_changes"), Some(&json!(false)));
    assert_eq!(stored.get("change_details"), None, "a question not asked is cleared");
    assert_eq!(
        stored.get("projects"),
        Some(&json!([{"project_id": "TF-ABC-01", "percent_complete": "50", "theme": "nonsense"}]))
    );
    assert!(!stored.contains_key("spend"), "unsent tables stay unsent: {stored:?}");
}
