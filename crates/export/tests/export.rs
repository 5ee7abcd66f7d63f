//! The export writers end to end: stored answers in, files out, read back.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test should stop loudly at anything unexpected"
)]

use std::io::{Cursor, Read, Write};
use std::sync::{Arc, Mutex};

use formwork_definition::Definition;
use formwork_export::{
    Choices, Dictionary, ExportError, Format, Headers, Meta, Options, Plan, Summary, output, writer,
};

/// An output the test can read once the writer is done with it.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Shared {
    fn bytes(&self) -> Vec<u8> {
        self.0.lock().unwrap().clone()
    }
}

fn example(name: &str) -> String {
    std::fs::read_to_string(format!("{}/../../examples/{name}.yaml", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn load(yaml: &str) -> Arc<Definition> {
    Arc::new(formwork_definition::load(yaml.as_bytes()).unwrap())
}

fn plan_of(yamls: &[&str]) -> Arc<Plan> {
    Arc::new(Plan::new(&yamls.iter().map(|y| load(y)).collect::<Vec<_>>()).unwrap())
}

fn meta(id: &str, version: u32) -> Meta<'_> {
    Meta {
        id,
        reference: Some("TF-0001"),
        organisation: "Riverside Homes",
        organisation_id: "org-1",
        period: "2026-04-01",
        state: "submitted",
        version,
        upload: None,
        submitted_at: Some(1_775_035_800_000),
        updated_at: 1_775_035_800_123,
    }
}

/// Write `records` (meta, answers) and return the output and the summary.
fn export(
    format: Format,
    plan: &Arc<Plan>,
    options: Options,
    records: &[(Meta<'_>, &str)],
) -> (Vec<u8>, Summary) {
    let out = Shared::default();
    let dictionary =
        Dictionary { files: vec![("data-dictionary.html".into(), b"<h1>Dictionary</h1>".to_vec())] };
    let mut w = writer(format, Arc::clone(plan), options, dictionary, out.clone()).unwrap();
    for (m, answers) in records {
        w.write(m, answers).unwrap();
    }
    let summary = w.finish().unwrap();
    (out.bytes(), summary)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// The CSV's rows (after the BOM), each split into fields by a small RFC 4180 reader.
fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    let body = text(bytes.strip_prefix(b"\xEF\xBB\xBF").expect("a byte order mark"));
    let mut rows = Vec::new();
    let (mut row, mut field, mut quoted, mut chars) =
        (Vec::new(), String::new(), false, body.chars().peekable());
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => row.push(std::mem::take(&mut field)),
            ('\r', false) => {
                assert_eq!(chars.next(), Some('\n'), "rows end with CRLF");
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (c, _) => field.push(c),
        }
    }
    assert!(field.is_empty() && row.is_empty(), "the last row ends with CRLF");
    rows
}

fn column<'a>(rows: &'a [Vec<String>], name: &str) -> Vec<&'a str> {
    let i = rows[0].iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name}"));
    rows[1..].iter().map(|r| r[i].as_str()).collect()
}

fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    (0..zip.len())
        .map(|i| {
            let mut file = zip.by_index(i).unwrap();
            let mut data = Vec::new();
            file.read_to_end(&mut data).unwrap();
            (file.name().unwrap().to_string(), data)
        })
        .collect()
}

/// A lettings record as the engine stores it.
const LETTING: &str = r#"{"owning_org_code":"ABC12","tenancy_start":"2026-04-06","tenancy_code":"T-001, \"B\"","needs_type":"1","rent_type":"1","is_renewal":false,"property_postcode":"SW1A 2AA","la_code":"E09000033","property_type":"3","bedrooms":"2","void_date":"2026-03-01","is_adapted":false,"tenancy_type":"4","is_starter":true,"household_size":"1","lead_age":"34","lead_sex":"F","lead_working":"1","armed_forces":false,"has_disability":false,"reason":"20","reason_other":"=HYPERLINK(\"http://x\")","prior_accommodation":"3","was_homeless":false,"referral":"2","income_known":true,"weekly_income":"412.50","housing_benefit":false,"rent_period":"1","basic_rent":"1234.50","service_charge":"-10.00","total_charge":"1224.50"}"#;

/// A draft letting with answers kept as typed: text in number and date questions, a number
/// where text was expected, a choice that is not in the list.
const DRAFT_LETTING: &str = r#"{"tenancy_code":12345,"bedrooms":"two","basic_rent":"abc","tenancy_start":"31/04/2026","rent_type":"9","is_renewal":"maybe","lead_age":null,"unknown_question":{"a":[1,2]}}"#;

#[test]
fn csv_of_a_log_has_a_bom_crlf_ends_and_a_header_of_ids() {
    let plan = plan_of(&[&example("lettings-log")]);
    let (bytes, summary) = export(
        Format::Csv,
        &plan,
        Options::default(),
        &[(meta("rec-1", 1), LETTING), (meta("rec-2", 1), "{}")],
    );
    assert!(bytes.starts_with(b"\xEF\xBB\xBF_id,_organisation,_organisation_id,_period,_state,_version,_upload,_updated_at,owning_org_code,tenancy_start,tenancy_code,"));
    let rows = csv_rows(&bytes);
    assert_eq!(rows.len(), 3);
    assert_eq!(column(&rows, "_id"), vec!["rec-1", "rec-2"]);
    assert_eq!(column(&rows, "_updated_at"), vec!["2026-04-01T09:30:00.123Z"; 2]);
    assert_eq!(column(&rows, "_version"), vec!["1", "1"]);
    assert_eq!(column(&rows, "_upload"), vec!["", ""]);
    assert_eq!(column(&rows, "tenancy_code"), vec!["T-001, \"B\"", ""], "quoted as RFC 4180 says");
    assert_eq!(column(&rows, "basic_rent"), vec!["1234.50", ""], "numbers exactly as stored");
    assert_eq!(column(&rows, "service_charge"), vec!["-10.00", ""], "a negative number is not defused");
    assert_eq!(column(&rows, "total_charge"), vec!["1224.50", ""], "calculated questions are exported");
    assert_eq!(column(&rows, "tenancy_start"), vec!["2026-04-06", ""]);
    assert_eq!(column(&rows, "is_renewal"), vec!["No", ""]);
    assert_eq!(column(&rows, "income_known"), vec!["Yes", ""]);
    assert_eq!(column(&rows, "rent_type"), vec!["1", ""]);
    assert_eq!(column(&rows, "reason_other"), vec!["'=HYPERLINK(\"http://x\")", ""], "formulas are defused");
    assert_eq!(summary.file_name, "lettings-log.csv");
    assert_eq!(summary.files.len(), 1);
    assert_eq!(summary.files[0].rows, 2);
}

#[test]
fn answers_kept_as_typed_are_written_as_text_never_dropped() {
    let plan = plan_of(&[&example("lettings-log")]);
    let (bytes, _) = export(Format::Csv, &plan, Options::default(), &[(meta("draft", 1), DRAFT_LETTING)]);
    let rows = csv_rows(&bytes);
    assert_eq!(column(&rows, "tenancy_code"), vec!["12345"]);
    assert_eq!(column(&rows, "bedrooms"), vec!["two"]);
    assert_eq!(column(&rows, "basic_rent"), vec!["abc"]);
    assert_eq!(column(&rows, "tenancy_start"), vec!["31/04/2026"]);
    assert_eq!(column(&rows, "rent_type"), vec!["9"]);
    assert_eq!(column(&rows, "is_renewal"), vec!["maybe"]);
    assert_eq!(column(&rows, "lead_age"), vec![""]);
    assert!(!rows[0].iter().any(|h| h == "unknown_question"));
}

#[test]
fn labels_replace_ids_in_the_header_and_values_of_choices() {
    let plan = plan_of(&[&example("lettings-log")]);
    let options = Options { headers: Headers::Labels, choices: Choices::Labels, table: None };
    let (bytes, _) =
        export(Format::Csv, &plan, options, &[(meta("rec-1", 1), LETTING), (meta("d", 1), DRAFT_LETTING)]);
    let rows = csv_rows(&bytes);
    assert_eq!(&rows[0][..2], &["_id", "_organisation"], "metadata keeps its names");
    assert_eq!(column(&rows, "What is the rent type?"), vec!["Affordable rent", "9"]);
    assert_eq!(column(&rows, "Tenancy start date"), vec!["2026-04-06", "31/04/2026"]);
}

/// Three versions of the lettings log: v2 renames `la_code` to `local_authority`, drops
/// `is_starter` and adds `weekly_rent`; v3 renames `local_authority` to `la`.
fn lettings_versions() -> [String; 3] {
    let v1 = example("lettings-log");
    let v2 = v1
        .replace("version: 1", "version: 2")
        .replace("{id: la_code,", "{id: local_authority, renamed_from: la_code,")
        .replace(
            "      - {id: is_starter, label: \"Is this a starter tenancy?\", type: yes_no, aliases: [field_35]}\n",
            "",
        )
        .replace(
            "      - {id: basic_rent,",
            "      - {id: weekly_rent, label: \"Weekly rent\", type: money, required: false}\n      - {id: basic_rent,",
        );
    let v3 = v2
        .replace("version: 2", "version: 3")
        .replace("{id: local_authority, renamed_from: la_code,", "{id: la, renamed_from: local_authority,");
    [v1, v2, v3]
}

#[test]
fn rows_of_every_version_land_under_one_set_of_columns() {
    let [v1, v2, v3] = lettings_versions();
    let plan = plan_of(&[&v1, &v3, &v2]);
    let newer = LETTING
        .replace("\"la_code\"", "\"la\"")
        .replace("\"is_starter\":true,", "")
        .replace("\"basic_rent\"", "\"weekly_rent\":\"99.99\",\"basic_rent\"");
    let (bytes, _) = export(
        Format::Csv,
        &plan,
        Options::default(),
        &[(meta("old", 1), LETTING), (meta("new", 3), &newer)],
    );
    let rows = csv_rows(&bytes);
    let header = &rows[0];
    assert_eq!(rows[1].len(), header.len());
    assert_eq!(rows[2].len(), header.len());
    assert_eq!(column(&rows, "_version"), vec!["1", "3"]);
    assert_eq!(column(&rows, "la"), vec!["E09000033", "E09000033"], "a renamed question is one column");
    assert_eq!(column(&rows, "weekly_rent"), vec!["", "99.99"], "a new question is empty for older rows");
    assert_eq!(column(&rows, "is_starter"), vec!["Yes", ""], "a removed question is empty for newer rows");
    assert_eq!(header.last().map(String::as_str), Some("is_starter"));
    for unchanged in ["tenancy_code", "basic_rent", "tenancy_start", "rent_type", "total_charge"] {
        let values = column(&rows, unchanged);
        assert_eq!(values[0], values[1], "{unchanged}");
    }
}

#[test]
fn an_unknown_version_or_answers_that_are_not_an_object_stop_the_export() {
    let plan = plan_of(&[&example("lettings-log")]);
    let mut w =
        writer(Format::Csv, plan, Options::default(), Dictionary::default(), Shared::default()).unwrap();
    assert!(matches!(w.write(&meta("x", 7), "{}"), Err(ExportError::UnknownVersion { version: 7, .. })));
    let err = w.write(&meta("y", 1), "[1, 2]").unwrap_err();
    assert!(err.to_string().starts_with("the answers of y are not a JSON object"), "{err}");
    w.write(&meta("z", 1), "null").unwrap();
    w.write(&meta("z", 1), "").unwrap();
}

/// A Towns Fund return as the engine stores it: two projects, three spend rows, no outputs.
const RETURN: &str = r#"{"programme_name":"Riverside, \"phase 2\"","lead_contact_email":"lead@example.org","grant_total":"2500000.00","start_date":"2026-04-01","end_date":"2029-03-31","overall_rag":"amber","has_changes":true,"change_details":"Line one\nline two","projects":[{"project_id":"TF-ABC-01","project_name":"Market hall","theme":"regen","rag":"green","percent_complete":"40"},{"project_id":"TF-ABC-02","project_name":"Skills hub","theme":"skills","rag":"red","percent_complete":"5","delay_reason":"Planning"}],"spend":[{"project_id":"TF-ABC-01","quarter":"Q1","source":"tf","amount":"120000.50"},{"project_id":"TF-ABC-01","quarter":"Q2","source":"private","amount":"5000"},{"project_id":"TF-ABC-02","quarter":"Q1","source":"tf","amount":"abc"}],"board_minutes":{"name":"minutes.pdf","size":12345,"id":"file-1"}}"#;

#[test]
fn csv_of_a_return_with_tables_is_a_zip_of_a_file_for_each_part() {
    let plan = plan_of(&[&example("towns-fund-monitoring")]);
    let records = [(meta("sub-1", 1), RETURN), (meta("sub-2", 1), r#"{"programme_name":"Empty"}"#)];
    let (bytes, summary) = export(Format::Csv, &plan, Options::default(), &records);
    let files = unzip(&bytes);
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "towns-fund-monitoring.csv",
            "towns-fund-monitoring-projects.csv",
            "towns-fund-monitoring-spend.csv",
            "towns-fund-monitoring-outputs.csv",
            "data-dictionary.html",
            "columns.csv"
        ]
    );
    let main = csv_rows(&files[0].1);
    assert_eq!(
        &main[0][..9],
        &[
            "_id",
            "_reference",
            "_organisation",
            "_organisation_id",
            "_period",
            "_state",
            "_version",
            "_submitted_at",
            "_updated_at"
        ]
    );
    assert_eq!(column(&main, "programme_name"), vec!["Riverside, \"phase 2\"", "Empty"]);
    assert_eq!(column(&main, "change_details"), vec!["Line one\nline two", ""]);
    assert_eq!(column(&main, "board_minutes"), vec!["minutes.pdf", ""], "a file is its name");
    assert_eq!(column(&main, "_submitted_at"), vec!["2026-04-01T09:30:00Z"; 2]);
    assert!(!main[0].iter().any(|h| h == "spend"), "tables are not columns of the main file");

    let spend = csv_rows(&files[2].1);
    assert_eq!(spend[0], vec!["_id", "_reference", "_row", "project_id", "quarter", "source", "amount"]);
    assert_eq!(spend[1], vec!["sub-1", "TF-0001", "1", "TF-ABC-01", "Q1", "tf", "120000.50"]);
    assert_eq!(column(&spend, "amount"), vec!["120000.50", "5000", "abc"]);
    assert_eq!(column(&spend, "_row"), vec!["1", "2", "3"]);
    let outputs = csv_rows(&files[3].1);
    assert_eq!(outputs.len(), 1, "a table with no rows has its header");

    let columns = csv_rows(&files[5].1);
    assert_eq!(columns[0], vec!["file", "column", "label", "type", "id in version 1"]);
    assert!(columns.contains(&vec![
        "towns-fund-monitoring-spend.csv".to_string(),
        "amount".into(),
        "Amount spent".into(),
        "money".into(),
        "amount".into()
    ]));
    let rows: Vec<(Option<&str>, u64)> = summary.files.iter().map(|f| (f.table.as_deref(), f.rows)).collect();
    assert_eq!(rows, vec![(None, 2), (Some("projects"), 2), (Some("spend"), 3), (Some("outputs"), 0)]);
    assert_eq!(summary.file_name, "towns-fund-monitoring.csv.zip");
}

#[test]
fn one_table_alone_is_a_plain_csv_of_every_submissions_rows() {
    let plan = plan_of(&[&example("towns-fund-monitoring")]);
    let options = Options { table: Some("projects".into()), ..Options::default() };
    let records = [(meta("sub-1", 1), RETURN), (meta("sub-2", 1), RETURN)];
    let (bytes, summary) = export(Format::Csv, &plan, options.clone(), &records);
    let rows = csv_rows(&bytes);
    assert_eq!(rows.len(), 5);
    assert_eq!(column(&rows, "_id"), vec!["sub-1", "sub-1", "sub-2", "sub-2"]);
    assert_eq!(column(&rows, "delay_reason"), vec!["", "Planning", "", "Planning"]);
    assert_eq!(summary.file_name, "towns-fund-monitoring-projects.csv");
    assert_eq!(summary.files[0].rows, 4);
    let unknown = Options { table: Some("nope".into()), ..Options::default() };
    assert!(matches!(output(&plan, Format::Csv, &unknown), Err(ExportError::UnknownTable(_))));
}

#[test]
fn every_output_has_its_name_and_content_type() {
    let log = plan_of(&[&example("lettings-log")]);
    let ret = plan_of(&[&example("towns-fund-monitoring")]);
    let name = |plan: &Plan, format, table: Option<&str>| {
        let options = Options { table: table.map(str::to_string), ..Options::default() };
        let o = output(plan, format, &options).unwrap();
        (o.file_name, o.content_type)
    };
    assert_eq!(name(&log, Format::Csv, None), ("lettings-log.csv".into(), "text/csv; charset=utf-8"));
    assert_eq!(name(&ret, Format::Csv, None), ("towns-fund-monitoring.csv.zip".into(), "application/zip"));
    assert_eq!(
        name(&ret, Format::Parquet, None),
        ("towns-fund-monitoring.parquet.zip".into(), "application/zip")
    );
    assert_eq!(
        name(&ret, Format::Parquet, Some("spend")),
        ("towns-fund-monitoring-spend.parquet".into(), "application/vnd.apache.parquet")
    );
    assert_eq!(name(&log, Format::Jsonl, None), ("lettings-log.jsonl".into(), "application/x-ndjson"));
    assert_eq!(
        name(&ret, Format::Jsonl, None),
        ("towns-fund-monitoring.jsonl".into(), "application/x-ndjson")
    );
    assert_eq!(
        name(&ret, Format::Xlsx, None),
        (
            "towns-fund-monitoring.xlsx".into(),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
    );
    assert_eq!(Format::parse("PARQUET"), Some(Format::Parquet));
    assert_eq!(Format::parse("xls"), None);
}

#[test]
fn json_lines_keep_numbers_exact_and_nest_tables() {
    let plan = plan_of(&[&example("towns-fund-monitoring")]);
    let (bytes, summary) = export(
        Format::Jsonl,
        &plan,
        Options::default(),
        &[(meta("sub-1", 1), RETURN), (meta("sub-2", 1), "{}")],
    );
    let body = text(&bytes);
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(lines[0].contains(r#""grant_total":2500000.00,"#), "numbers are written from their exact text");
    assert!(lines[0].contains(r#""amount":120000.50}"#));
    assert!(lines[0].contains(r#""amount":"abc"}"#), "a value kept as typed is written as stored");
    let first: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(first["_id"], "sub-1");
    assert_eq!(first["_version"], 1);
    assert_eq!(first["_submitted_at"], "2026-04-01T09:30:00Z");
    assert_eq!(first["start_date"], "2026-04-01");
    assert_eq!(first["has_changes"], true);
    assert_eq!(first["change_details"], "Line one\nline two");
    assert_eq!(first["board_minutes"]["name"], "minutes.pdf");
    assert_eq!(first["spend"][2]["_row"], 3);
    assert_eq!(first["spend"][2].get("_id"), None, "a nested row's submission is its line");
    assert_eq!(first["projects"][0]["delay_reason"], serde_json::Value::Null);
    assert_eq!(first["outputs"], serde_json::Value::Null, "a table with no answer is null");
    let second: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
    assert_eq!(second["programme_name"], serde_json::Value::Null, "empty answers are null");
    let keys: Vec<&String> = second.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 9 + 9 + 3, "metadata, every question, every table");
    let rows: Vec<u64> = summary.files.iter().map(|f| f.rows).collect();
    assert_eq!(rows, vec![2, 2, 3, 0]);
}

#[test]
fn json_lines_write_labels_when_asked_and_drafts_as_stored() {
    let plan = plan_of(&[&example("lettings-log")]);
    let options = Options { choices: Choices::Labels, ..Options::default() };
    let (bytes, _) =
        export(Format::Jsonl, &plan, options, &[(meta("a", 1), LETTING), (meta("b", 1), DRAFT_LETTING)]);
    let body = text(&bytes);
    let lines: Vec<serde_json::Value> = body.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines[0]["rent_type"], "Affordable rent");
    assert_eq!(lines[0]["bedrooms"], 2);
    assert_eq!(lines[0]["total_charge"], serde_json::json!(1224.5));
    assert_eq!(lines[1]["rent_type"], "9");
    assert_eq!(lines[1]["tenancy_code"], 12345);
    assert_eq!(lines[1]["bedrooms"], "two");
    assert_eq!(lines[1]["is_renewal"], "maybe");
    assert!(lines[1].get("unknown_question").is_none());
}

#[test]
fn json_lines_have_every_key_in_order_with_empty_answers_null() {
    let plan = plan_of(&[&example("lettings-log")]);
    let (bytes, _) = export(Format::Jsonl, &plan, Options::default(), &[(meta("b", 1), DRAFT_LETTING)]);
    insta::assert_snapshot!(text(&bytes), @r#"{"_id":"b","_organisation":"Riverside Homes","_organisation_id":"org-1","_period":"2026-04-01","_state":"submitted","_version":1,"_upload":null,"_updated_at":"2026-04-01T09:30:00.123Z","owning_org_code":null,"tenancy_start":"31/04/2026","tenancy_code":12345,"needs_type":null,"rent_type":"9","is_renewal":"maybe","property_postcode":null,"la_code":null,"property_type":null,"bedrooms":"two","void_date":null,"is_adapted":null,"tenancy_type":null,"tenancy_length":null,"is_starter":null,"household_size":null,"lead_age":null,"lead_sex":null,"lead_working":null,"person2_relationship":null,"person2_age":null,"person2_sex":null,"person2_working":null,"person3_age":null,"person3_working":null,"armed_forces":null,"has_disability":null,"reason":null,"reason_other":null,"prior_accommodation":null,"previous_postcode":null,"was_homeless":null,"on_waiting_list_years":null,"referral":null,"income_known":null,"weekly_income":null,"housing_benefit":null,"rent_period":null,"basic_rent":"abc","service_charge":null,"personal_service_charge":null,"support_charge":null,"total_charge":null}"#);
}

/// A log whose keys are short and long (past the writer's 32-byte block copies) for the property
/// below.
const KEYS: &str = r#"formwork: 1
collection: keys
version: 1
title: Keys
kind: log
schedule: {frequency: annual, start: 2026-04-01, due: 30d}
record_key: [k]
sections:
  - id: main
    title: Main
    questions:
      - {id: k, label: Key, type: text}
      - {id: a, label: A, type: text, required: false}
      - {id: a_question_whose_id_is_longer_than_thirty_two_bytes, label: Long, type: text, required: false}
      - {id: paid, label: Paid, type: money, required: false}
      - {id: ok, label: OK, type: yes_no, required: false}
"#;

proptest::proptest! {
    /// Whatever the answers (any text, numbers valid or kept as typed, short or long, last in
    /// the stored object or not), each line reads back as exactly them: text as stored, numbers
    /// as numbers, what is missing as null.
    #[test]
    fn json_lines_read_back_as_the_answers_stored(
        a in proptest::option::of("\\PC{0,40}|[\\x00-\\x7f]{0,40}"),
        long in proptest::option::of("\\PC{0,80}"),
        paid in proptest::option::of("-?[0-9]{1,12}(\\.[0-9]{1,2})?|0[0-9]+|[0-9a-z.]{0,6}"),
        ok in proptest::option::of(proptest::bool::ANY),
    ) {
        use serde_json::{Value, json};
        let plan = plan_of(&[KEYS]);
        let mut stored = serde_json::Map::new();
        let long_id = "a_question_whose_id_is_longer_than_thirty_two_bytes";
        for (id, value) in [("a", a.clone().map(Value::from)), (long_id, long.clone().map(Value::from)),
                            ("paid", paid.clone().map(Value::from)), ("ok", ok.map(Value::from))] {
            if let Some(v) = value {
                stored.insert(id.to_string(), v);
            }
        }
        let answers = Value::Object(stored).to_string();
        let (bytes, _) = export(Format::Jsonl, &plan, Options::default(), &[(meta("r", 1), &answers)]);
        let line: Value = serde_json::from_slice(&bytes).unwrap();
        // Numbers as JSON reads them, but in the decimal form answers are stored in (no exponent).
        let number = |p: &str| !p.contains(['e', 'E']) && serde_json::from_str::<serde_json::Number>(p).is_ok();
        let paid_json = paid.map(|p| if number(&p) { serde_json::from_str(&p).unwrap() } else { json!(p) });
        proptest::prop_assert_eq!(&line["a"], &a.map_or(Value::Null, Value::from));
        proptest::prop_assert_eq!(&line[long_id], &long.map_or(Value::Null, Value::from));
        proptest::prop_assert_eq!(&line["paid"], &paid_json.unwrap_or(Value::Null));
        proptest::prop_assert_eq!(&line["ok"], &ok.map_or(Value::Null, Value::from));
        proptest::prop_assert_eq!(line.as_object().map(|o| o.len()), Some(8 + 5));
    }
}

#[test]
fn json_lines_of_one_table_have_a_line_per_row() {
    let plan = plan_of(&[&example("towns-fund-monitoring")]);
    let options = Options { table: Some("spend".into()), ..Options::default() };
    let (bytes, _) = export(Format::Jsonl, &plan, options, &[(meta("sub-1", 1), RETURN)]);
    let body = text(&bytes);
    insta::assert_snapshot!(body, @r#"
    {"_id":"sub-1","_reference":"TF-0001","_row":1,"project_id":"TF-ABC-01","quarter":"Q1","source":"tf","amount":120000.50}
    {"_id":"sub-1","_reference":"TF-0001","_row":2,"project_id":"TF-ABC-01","quarter":"Q2","source":"private","amount":5000}
    {"_id":"sub-1","_reference":"TF-0001","_row":3,"project_id":"TF-ABC-02","quarter":"Q1","source":"tf","amount":"abc"}
    "#);
}

#[test]
fn csv_of_one_table_snapshot() {
    let plan = plan_of(&[&example("towns-fund-monitoring")]);
    let options =
        Options { table: Some("projects".into()), headers: Headers::Labels, choices: Choices::Labels };
    let (bytes, _) = export(Format::Csv, &plan, options, &[(meta("sub-1", 1), RETURN)]);
    insta::assert_snapshot!(text(&bytes[3..]).replace("\r\n", "⏎\n"), @"
    _id,_reference,_row,Project ID,Project name,Theme,Delivery status,Percentage complete,Reason for delay⏎
    sub-1,TF-0001,1,TF-ABC-01,Market hall,Urban regeneration,On track,40,⏎
    sub-1,TF-0001,2,TF-ABC-02,Skills hub,Skills and enterprise,Significantly delayed,5,Planning⏎
    ");
}

/// Each sheet of a workbook, in order, with its rows of cells.
fn sheets(bytes: &[u8]) -> Vec<(String, Vec<Vec<calamine::Data>>)> {
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes.to_vec())).unwrap();
    let names = book.sheet_names();
    names
        .into_iter()
        .map(|name| {
            let range = book.worksheet_range(&name).unwrap();
            (name, range.rows().map(|r| r.to_vec()).collect())
        })
        .collect()
}

fn cell<'a>(rows: &'a [Vec<calamine::Data>], header: &str, row: usize) -> &'a calamine::Data {
    let i = rows[0].iter().position(|h| *h == header).unwrap_or_else(|| panic!("no column {header}"));
    &rows[row][i]
}

fn date(data: &calamine::Data) -> String {
    match data {
        calamine::Data::DateTime(d) => d.as_datetime().unwrap().to_string(),
        other => panic!("{other:?} is not a date"),
    }
}

#[test]
fn xlsx_of_a_log_is_one_sheet_of_typed_cells() {
    use calamine::Data;
    let plan = plan_of(&[&example("lettings-log")]);
    let (bytes, summary) = export(
        Format::Xlsx,
        &plan,
        Options::default(),
        &[(meta("rec-1", 1), LETTING), (meta("draft", 1), DRAFT_LETTING)],
    );
    let book = sheets(&bytes);
    let names: Vec<&str> = book.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, vec!["Records", "Dictionary"]);
    let rows = &book[0].1;
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0][0], Data::String("_id".into()));
    assert_eq!(*cell(rows, "_id", 1), Data::String("rec-1".into()));
    assert_eq!(*cell(rows, "_version", 1), Data::Float(1.0));
    assert_eq!(date(cell(rows, "_updated_at", 1)), "2026-04-01 09:30:00.123");
    assert_eq!(date(cell(rows, "tenancy_start", 1)), "2026-04-06 00:00:00");
    assert_eq!(*cell(rows, "basic_rent", 1), Data::Float(1234.5));
    assert_eq!(*cell(rows, "service_charge", 1), Data::Float(-10.0));
    assert_eq!(*cell(rows, "bedrooms", 1), Data::Float(2.0));
    assert_eq!(*cell(rows, "is_renewal", 1), Data::Bool(false));
    assert_eq!(*cell(rows, "income_known", 1), Data::Bool(true));
    assert_eq!(*cell(rows, "rent_type", 1), Data::String("1".into()));
    assert_eq!(*cell(rows, "tenancy_code", 1), Data::String("T-001, \"B\"".into()));
    assert_eq!(
        *cell(rows, "reason_other", 1),
        Data::String("=HYPERLINK(\"http://x\")".into()),
        "a string, not a formula"
    );
    assert_eq!(*cell(rows, "_upload", 1), Data::Empty);
    // Answers kept as typed are text.
    assert_eq!(*cell(rows, "bedrooms", 2), Data::String("two".into()));
    assert_eq!(*cell(rows, "basic_rent", 2), Data::String("abc".into()));
    assert_eq!(*cell(rows, "tenancy_start", 2), Data::String("31/04/2026".into()));
    assert_eq!(*cell(rows, "tenancy_code", 2), Data::Float(12345.0));
    assert_eq!(*cell(rows, "is_renewal", 2), Data::String("maybe".into()));

    let dictionary = &book[1].1;
    assert_eq!(
        dictionary[0],
        vec![Data::String("Sheet".into()), "Column".into(), "Label".into(), "Type".into()]
    );
    assert!(
        dictionary
            .iter()
            .any(|r| r[1] == Data::String("basic_rent".into()) && r[3] == Data::String("money".into()))
    );
    assert_eq!(summary.files[0].name, "Records");
    assert_eq!(summary.files[0].rows, 2);

    let files = unzip(&bytes);
    let styles = files.iter().find(|(n, _)| n == "xl/styles.xml").unwrap();
    assert!(
        text(&styles.1).contains(r#"formatCode="&quot;£&quot;#,##0.00""#),
        "money has its currency format"
    );
    let sheet = text(&files.iter().find(|(n, _)| n == "xl/worksheets/sheet1.xml").unwrap().1);
    assert!(sheet.contains(r#"<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>"#));
    assert!(sheet.contains(r#"<c r="A1" s="1" t="inlineStr"><is><t>_id</t></is></c>"#), "a bold header");
}

#[test]
fn xlsx_of_a_return_has_a_sheet_for_each_section_and_table() {
    use calamine::Data;
    let plan = plan_of(&[&example("towns-fund-monitoring")]);
    let options = Options { headers: Headers::Labels, choices: Choices::Labels, table: None };
    let (bytes, summary) =
        export(Format::Xlsx, &plan, options, &[(meta("sub-1", 1), RETURN), (meta("sub-2", 1), "{}")]);
    let book = sheets(&bytes);
    let names: Vec<&str> = book.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "Programme details",
            "Supporting evidence",
            "Project progress",
            "Spend to date",
            "Outputs",
            "Dictionary"
        ]
    );
    let programme = &book[0].1;
    assert_eq!(programme[0].len(), 9 + 8, "every metadata column, then the section's questions");
    assert_eq!(*cell(programme, "Total Towns Fund grant awarded", 1), Data::Float(2_500_000.0));
    assert_eq!(*cell(programme, "Overall delivery status", 1), Data::String("Some delays".into()));
    assert_eq!(date(cell(programme, "_submitted_at", 1)), "2026-04-01 09:30:00");
    assert_eq!(
        *cell(programme, "Describe the changes and why they were made", 1),
        Data::String("Line one\nline two".into())
    );
    assert_eq!(programme.len(), 3);
    let evidence = &book[1].1;
    assert_eq!(
        evidence[0],
        vec![
            Data::String("_id".into()),
            "_reference".into(),
            "_organisation".into(),
            "_period".into(),
            "Minutes of the latest town deal board meeting".into()
        ]
    );
    assert_eq!(evidence[1][4], Data::String("minutes.pdf".into()));
    let spend = &book[3].1;
    assert_eq!(spend.len(), 4);
    assert_eq!(
        spend[0][..4],
        [Data::String("_id".into()), "_reference".into(), "_row".into(), "Project ID".into()]
    );
    assert_eq!(*cell(spend, "Amount spent", 1), Data::Float(120_000.5));
    assert_eq!(*cell(spend, "Amount spent", 3), Data::String("abc".into()));
    assert_eq!(*cell(spend, "Funding source", 2), Data::String("Private investment".into()));
    assert_eq!(*cell(spend, "_row", 3), Data::Float(3.0));
    assert_eq!(book[4].1.len(), 1, "a table with no rows has its header");
    let rows: Vec<(&str, u64)> = summary.files.iter().map(|f| (f.name.as_str(), f.rows)).collect();
    assert_eq!(
        rows,
        vec![
            ("Programme details", 2),
            ("Supporting evidence", 2),
            ("Project progress", 2),
            ("Spend to date", 3),
            ("Outputs", 0)
        ]
    );
}

#[test]
fn xlsx_of_one_table_is_its_sheet() {
    let plan = plan_of(&[&example("towns-fund-monitoring")]);
    let options = Options { table: Some("outputs".into()), ..Options::default() };
    let outputs = r#"{"outputs":[{"project_id":"TF-ABC-01","indicator":"Jobs","unit":"FTE","actual":"12.50","forecast":"3"}]}"#;
    let (bytes, _) = export(Format::Xlsx, &plan, options, &[(meta("sub-1", 1), outputs)]);
    let book = sheets(&bytes);
    assert_eq!(book.len(), 2);
    assert_eq!(book[0].0, "Outputs");
    assert_eq!(*cell(&book[0].1, "actual", 1), calamine::Data::Float(12.5));
}

/// A small log with every kind of column the examples lack: multi-choice, decimals with and
/// without places, a calculated number.
const SURVEY: &str = r#"formwork: 1
collection: survey
version: 1
title: Survey
kind: log
schedule: {frequency: annual, start: 2026-04-01, due: 30d}
record_key: [name]
choice_lists:
  colour: [{value: r, label: Red}, {value: g, label: Green}, {value: b, label: Blue}]
sections:
  - id: main
    title: Main
    questions:
      - {id: name, label: Name, type: text}
      - {id: colours, label: Colours, type: multi_choice, choices: colour, required: false}
      - {id: share, label: Share, type: percentage, places: 1, required: false}
      - {id: ratio, label: Ratio, type: decimal, required: false}
      - {id: count, label: Count, type: integer, required: false}
      - {id: paid, label: Paid, type: money, required: false}
      - {id: seen, label: Seen, type: date, required: false}
      - {id: ok, label: OK, type: yes_no, required: false}
      - {id: double, label: Double, type: calculated, value: "count * 2"}
"#;

const SURVEY_ROWS: [&str; 3] = [
    r#"{"name":"A","colours":["r","b"],"share":"12.5","ratio":"0.33333333333333","count":"7","paid":"-1234.50","seen":"2026-04-06","ok":true,"double":"14"}"#,
    r#"{"name":"B","colours":[],"count":"12.5","paid":"abc","seen":"nope","ok":"yes","ratio":"99999999999999999999999999999","share":"-0.05"}"#,
    r#"{"colours":"r; g","name":null}"#,
];

/// The rows of a Parquet file as (column, field) pairs.
fn parquet_rows(bytes: &[u8]) -> Vec<Vec<(String, parquet::record::Field)>> {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let reader = SerializedFileReader::new(bytes::Bytes::from(bytes.to_vec())).unwrap();
    reader
        .get_row_iter(None)
        .unwrap()
        .map(|row| {
            row.unwrap().get_column_iter().map(|(name, field)| (name.clone(), field.clone())).collect()
        })
        .collect()
}

fn get<'a>(row: &'a [(String, parquet::record::Field)], name: &str) -> &'a parquet::record::Field {
    &row.iter().find(|(n, _)| n == name).unwrap_or_else(|| panic!("no column {name}")).1
}

fn schema(bytes: &[u8]) -> String {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let reader = SerializedFileReader::new(bytes::Bytes::from(bytes.to_vec())).unwrap();
    let mut out = Vec::new();
    parquet::schema::printer::print_schema(&mut out, reader.metadata().file_metadata().schema());
    text(&out)
}

#[test]
fn parquet_columns_are_typed_and_values_that_do_not_fit_are_null() {
    use parquet::record::Field;
    let plan = plan_of(&[SURVEY]);
    let records: Vec<(Meta<'_>, &str)> = SURVEY_ROWS.iter().map(|r| (meta("r", 1), *r)).collect();
    let (bytes, summary) = export(Format::Parquet, &plan, Options::default(), &records);
    assert!(bytes.starts_with(b"PAR1"));
    assert_eq!(summary.file_name, "survey.parquet");
    assert_eq!(summary.files[0].rows, 3);
    let schema = schema(&bytes);
    for line in [
        "OPTIONAL BYTE_ARRAY _id (STRING);",
        "OPTIONAL INT32 _version (INTEGER(32,true));",
        "OPTIONAL INT64 _updated_at (TIMESTAMP(MILLIS,true));",
        "OPTIONAL BYTE_ARRAY name (STRING);",
        "OPTIONAL group colours (LIST) {",
        "REPEATED group list {",
        "OPTIONAL BYTE_ARRAY element (STRING);",
        "OPTIONAL FIXED_LEN_BYTE_ARRAY (16) share (DECIMAL(38,1));",
        "OPTIONAL FIXED_LEN_BYTE_ARRAY (16) ratio (DECIMAL(38,10));",
        "OPTIONAL INT64 count;",
        "OPTIONAL INT64 paid (DECIMAL(18,2));",
        "OPTIONAL INT32 seen (DATE);",
        "OPTIONAL BOOLEAN ok;",
        "OPTIONAL FIXED_LEN_BYTE_ARRAY (16) double (DECIMAL(38,10));",
    ] {
        assert!(schema.contains(line), "{line} in\n{schema}");
    }
    let rows = parquet_rows(&bytes);
    let shown = |row: usize, name: &str| get(&rows[row], name).to_string();
    assert_eq!(*get(&rows[0], "_version"), Field::Int(1));
    assert_eq!(*get(&rows[0], "_updated_at"), Field::TimestampMillis(1_775_035_800_123));
    assert_eq!(*get(&rows[0], "_upload"), Field::Null);
    assert_eq!(shown(0, "colours"), r#"["r", "b"]"#);
    assert!(matches!(get(&rows[0], "share"), Field::Decimal(_)));
    assert_eq!(shown(0, "share"), "12.5");
    assert_eq!(shown(0, "ratio"), "0.3333333333", "rounded to the column's places");
    assert_eq!(*get(&rows[0], "count"), Field::Long(7));
    assert!(matches!(get(&rows[0], "paid"), Field::Decimal(_)));
    assert_eq!(shown(0, "paid"), "-1234.50");
    assert_eq!(*get(&rows[0], "seen"), Field::Date(20_549));
    assert_eq!(*get(&rows[0], "ok"), Field::Bool(true));
    assert_eq!(shown(0, "double"), "14.0000000000");

    assert_eq!(shown(1, "colours"), "[]");
    assert_eq!(shown(1, "share"), "-0.1", "half away from zero");
    for not_of_its_type in ["count", "paid", "seen", "ok", "ratio"] {
        assert_eq!(*get(&rows[1], not_of_its_type), Field::Null, "{not_of_its_type}");
    }
    assert_eq!(*get(&rows[2], "colours"), Field::Null, "text where a list belongs");
    assert_eq!(*get(&rows[2], "name"), Field::Null);
}

#[test]
fn multi_choice_is_joined_in_csv_and_a_list_in_json_lines_with_labels_when_asked() {
    let plan = plan_of(&[SURVEY]);
    let records: Vec<(Meta<'_>, &str)> = SURVEY_ROWS.iter().map(|r| (meta("r", 1), *r)).collect();
    let labels = Options { choices: Choices::Labels, ..Options::default() };
    let (bytes, _) = export(Format::Csv, &plan, labels.clone(), &records);
    let rows = csv_rows(&bytes);
    assert_eq!(column(&rows, "colours"), vec!["Red; Blue", "", "r; g"]);
    assert_eq!(column(&rows, "share"), vec!["12.5", "-0.05", ""]);
    let (bytes, _) = export(Format::Jsonl, &plan, labels.clone(), &records);
    let lines: Vec<serde_json::Value> =
        text(&bytes).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines[0]["colours"], serde_json::json!(["Red", "Blue"]));
    assert_eq!(lines[1]["colours"], serde_json::json!([]));
    assert_eq!(lines[2]["colours"], "r; g");
    assert!(text(&bytes).lines().next().unwrap().contains(r#""ratio":0.33333333333333,"#));
    let (bytes, _) = export(Format::Parquet, &plan, labels, &records);
    assert_eq!(get(&parquet_rows(&bytes)[0], "colours").to_string(), r#"["Red", "Blue"]"#);
}

#[test]
fn parquet_of_a_return_with_tables_is_a_zip_of_a_file_for_each_part() {
    let plan = plan_of(&[&example("towns-fund-monitoring")]);
    let (bytes, summary) = export(
        Format::Parquet,
        &plan,
        Options::default(),
        &[(meta("sub-1", 1), RETURN), (meta("sub-2", 1), "{}")],
    );
    let files = unzip(&bytes);
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "towns-fund-monitoring.parquet",
            "towns-fund-monitoring-projects.parquet",
            "towns-fund-monitoring-spend.parquet",
            "towns-fund-monitoring-outputs.parquet",
            "data-dictionary.html",
            "columns.csv"
        ]
    );
    let main = parquet_rows(&files[0].1);
    assert_eq!(main.len(), 2);
    assert_eq!(get(&main[0], "grant_total").to_string(), "2500000.00");
    assert_eq!(get(&main[0], "board_minutes").to_string(), "\"minutes.pdf\"");
    assert_eq!(*get(&main[0], "_submitted_at"), parquet::record::Field::TimestampMillis(1_775_035_800_000));
    let spend = parquet_rows(&files[2].1);
    let amounts: Vec<String> = spend.iter().map(|r| get(r, "amount").to_string()).collect();
    assert_eq!(amounts, vec!["120000.50", "5000.00", "null"]);
    assert_eq!(*get(&spend[2], "_row"), parquet::record::Field::Int(3));
    let projects = parquet_rows(&files[1].1);
    let parquet::record::Field::Decimal(percent) = get(&projects[1], "percent_complete") else { panic!() };
    let unscaled = i128::from_be_bytes(percent.data().try_into().unwrap());
    assert_eq!((unscaled, percent.scale(), percent.precision()), (5, 0, 38));
    assert_eq!(parquet_rows(&files[3].1).len(), 0);
    let rows: Vec<u64> = summary.files.iter().map(|f| f.rows).collect();
    assert_eq!(rows, vec![2, 2, 3, 0]);
}

#[test]
fn parquet_is_written_in_bounded_row_groups() {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let plan = plan_of(&[SURVEY]);
    let out = Shared::default();
    let mut w =
        writer(Format::Parquet, plan, Options::default(), Dictionary::default(), out.clone()).unwrap();
    let mut written_before_the_end = 0;
    for i in 0..70_000 {
        w.write(&meta(&i.to_string(), 1), SURVEY_ROWS[i % 3]).unwrap();
        if i == 66_000 {
            written_before_the_end = out.bytes().len();
        }
    }
    w.finish().unwrap();
    assert!(written_before_the_end > 100_000, "the first row group was handed on as soon as it was full");
    let reader = SerializedFileReader::new(bytes::Bytes::from(out.bytes())).unwrap();
    let groups: Vec<i64> = reader.metadata().row_groups().iter().map(|g| g.num_rows()).collect();
    assert_eq!(groups, vec![65_536, 70_000 - 65_536]);
}

#[test]
fn the_first_bytes_reach_the_output_before_any_row_is_written() {
    let log = plan_of(&[&example("lettings-log")]);
    let ret = plan_of(&[&example("towns-fund-monitoring")]);
    for (plan, format, start) in [
        (&log, Format::Csv, b"\xEF\xBB\xBF_id,".as_slice()),
        (&ret, Format::Csv, b"PK\x03\x04".as_slice()),
        (&log, Format::Xlsx, b"PK\x03\x04".as_slice()),
        (&log, Format::Parquet, b"PAR1".as_slice()),
        (&ret, Format::Parquet, b"PK\x03\x04".as_slice()),
    ] {
        let out = Shared::default();
        let w =
            writer(format, Arc::clone(plan), Options::default(), Dictionary::default(), out.clone()).unwrap();
        assert!(out.bytes().starts_with(start), "{format:?} of {}", plan.collection());
        w.finish().unwrap();
    }
    let out = Shared::default();
    let mut w = writer(Format::Jsonl, log, Options::default(), Dictionary::default(), out.clone()).unwrap();
    w.write(&meta("a", 1), LETTING).unwrap();
    w.flush().unwrap();
    assert!(out.bytes().starts_with(b"{\"_id\":\"a\""), "a flush hands on what is buffered");
}

#[test]
fn the_main_part_alone_is_written_without_the_tables() {
    let plan = plan_of(&[&example("towns-fund-monitoring")]);
    let options = Options { table: Some(String::new()), ..Options::default() };
    let records = [(meta("sub-1", 1), RETURN)];
    let (bytes, summary) = export(Format::Csv, &plan, options.clone(), &records);
    assert_eq!(summary.file_name, "towns-fund-monitoring.csv");
    let rows = csv_rows(&bytes);
    assert_eq!(rows[0][..2], ["_id", "_reference"]);
    assert_eq!(column(&rows, "grant_total"), vec!["2500000.00"]);
    let (bytes, summary) = export(Format::Jsonl, &plan, options.clone(), &records);
    let line: serde_json::Value = serde_json::from_str(text(&bytes).trim_end()).unwrap();
    assert_eq!(line["grant_total"], serde_json::json!(2_500_000.0));
    assert!(line.get("spend").is_none(), "no tables");
    assert_eq!(summary.files.len(), 1);
    assert_eq!(summary.files[0].rows, 1);
    let (bytes, _) = export(Format::Xlsx, &plan, options.clone(), &records);
    let book = sheets(&bytes);
    assert_eq!(book.len(), 2);
    assert_eq!(book[0].1[0].len(), 9 + 9, "every metadata column of a return, every question");
    let (bytes, _) = export(Format::Parquet, &plan, options, &records);
    assert_eq!(get(&parquet_rows(&bytes)[0], "grant_total").to_string(), "2500000.00");
}

/// The upload reader's verdict on an exported file of 20 valid lettings: records read, every
/// error (the reader reads past the `_` metadata columns), and the warnings.
fn read_back_as_upload(format: Format) -> (usize, Vec<String>, usize) {
    use formwork_definition::validate::json::values_to_json;
    let def = load(&example("lettings-log"));
    let plan = Arc::new(Plan::new(&[Arc::clone(&def)]).unwrap());
    let mut g = formwork_testdata::Generator::new(&def, 3);
    let stored: Vec<String> = (0..20)
        .map(|_| serde_json::Value::Object(values_to_json(&def, &g.valid().unwrap().values)).to_string())
        .collect();
    let records: Vec<(Meta<'_>, &str)> = stored.iter().map(|s| (meta("r", 1), s.as_str())).collect();
    let (bytes, _) = export(format, &plan, Options::default(), &records);
    let (limits, options) = (Default::default(), Default::default());
    let report = match format {
        Format::Xlsx => {
            formwork_tabular::validate_xlsx(&def, Cursor::new(bytes), &g.context(), &limits, &options)
        }
        _ => formwork_tabular::validate_csv(&def, Cursor::new(bytes), &g.context(), &limits, &options),
    }
    .unwrap();
    let other: Vec<String> = report.errors.iter().map(|e| format!("{:?} {}", e.code, e.message)).collect();
    (report.records, other, report.warning_count)
}

#[test]
fn an_exported_log_reads_back_through_the_upload_as_it_was() {
    for format in [Format::Xlsx, Format::Csv] {
        assert_eq!(read_back_as_upload(format), (20, vec![], 0), "{format:?}");
    }
}
