//! Templates, readers and reports against the three examples, generated data and hostile files.

use std::collections::BTreeSet;
use std::io::{Cursor, Write};

use formwork_definition::validate::json::{answers_from_json, record_from_json, row_to_json, values_to_json};
use formwork_definition::validate::{
    Code, Context, NoFile, Part, RecordBatch, check_record, validate, validate_part,
};
use formwork_definition::{Definition, Kind, QuestionType, Value};
use formwork_testdata::{Generator, cell_text, csv_line};
use serde_json::Value as J;

use super::*;
use crate::template::Fill;

fn example(name: &str) -> Definition {
    let bytes = std::fs::read(format!("{}/../../examples/{name}.yaml", env!("CARGO_MANIFEST_DIR"))).unwrap();
    formwork_definition::load(&bytes).unwrap()
}

fn xlsx(def: &Definition, bytes: &[u8], ctx: &Context) -> FileReport {
    validate_xlsx(def, Cursor::new(bytes), ctx, &Limits::default(), &Options::default()).unwrap()
}

fn csv(def: &Definition, text: &[u8], ctx: &Context) -> FileReport {
    validate_csv(def, text, ctx, &Limits::default(), &Options::default()).unwrap()
}

/// An item as (code, path, row, column, cell).
type Placed = (String, String, Option<u64>, Option<String>, Option<String>);
/// An expected item as (code, path, row, column).
type Expected = BTreeSet<(String, String, u64, String)>;

fn summary(r: &FileReport) -> Vec<Placed> {
    r.errors
        .iter()
        .chain(&r.warnings)
        .map(|i| (i.code.as_str().to_string(), i.path.clone(), i.row, i.column.clone(), i.cell.clone()))
        .collect()
}

fn to_csv(header: &[String], rows: &[serde_json::Map<String, J>]) -> String {
    let mut out = header.join(",") + "\r\n";
    for r in rows {
        out.push_str(&csv_line(header, r));
    }
    out
}

fn template_header(def: &Definition, table: Option<&str>) -> Vec<String> {
    template::csv(def, table).unwrap().trim().split(',').map(str::to_string).collect()
}

#[test]
fn every_template_filled_with_valid_answers_validates_cleanly() {
    for name in ["lettings-log", "single-audit", "towns-fund-monitoring"] {
        let def = example(name);
        for seed in 1..=3u64 {
            let mut g = Generator::new(&def, seed);
            let ctx = g.context();
            let bytes = match def.kind {
                Kind::Log => {
                    let records: Vec<Vec<Value>> = (0..60).map(|_| g.valid().unwrap().values).collect();
                    template::xlsx(&def, Some(Fill::Records(&records))).unwrap()
                }
                Kind::Return => {
                    let record = g.valid().unwrap();
                    template::xlsx(&def, Some(Fill::Submission(&record.values))).unwrap()
                }
            };
            let report = xlsx(&def, &bytes, &ctx);
            assert_eq!(summary(&report), vec![], "{name} seed {seed}");
            assert!(report.records > 0);
        }
    }
}

#[test]
fn an_empty_template_is_recognised_and_says_what_is_missing() {
    let def = example("towns-fund-monitoring");
    let bytes = template::xlsx(&def, None).unwrap();
    let report = xlsx(&def, &bytes, &Context { today: def.schedule.start, period: None });
    assert_eq!(report.read_as, Some(ReadAs::Submission));
    let codes: BTreeSet<&str> = report.errors.iter().map(|i| i.code.as_str()).collect();
    assert_eq!(codes, BTreeSet::from(["required", "rows"]));
    let name = report.errors.iter().find(|i| i.path == "programme_name").unwrap();
    assert_eq!((name.sheet.as_deref(), name.cell.as_deref()), (Some("Questions"), Some("D2")));
}

#[test]
fn csv_of_generated_records_and_of_a_table_validate_cleanly() {
    let def = example("lettings-log");
    let mut g = Generator::new(&def, 9);
    let ctx = g.context();
    let rows: Vec<_> = (0..200)
        .map(|_| {
            let r = g.valid().unwrap();
            g.render_answers(&r)
        })
        .collect();
    let report = csv(&def, to_csv(&template_header(&def, None), &rows).as_bytes(), &ctx);
    assert_eq!((summary(&report), report.records), (vec![], 200));

    let towns = example("towns-fund-monitoring");
    let mut g = Generator::new(&towns, 2);
    let record = g.valid().unwrap();
    let answers = g.render_answers(&record);
    let spend: Vec<serde_json::Map<String, J>> =
        answers["spend"].as_array().unwrap().iter().map(|r| r.as_object().unwrap().clone()).collect();
    let text = to_csv(&template_header(&towns, Some("spend")), &spend);
    let report = csv(&towns, text.as_bytes(), &g.context());
    assert_eq!(report.read_as, Some(ReadAs::Table { table: "spend".into(), sheet: None }));
    assert_eq!((summary(&report), report.records), (vec![], spend.len()));
}

/// Records with planted problems, and the items they must give: (code, path, row, column).
fn planted(def: &Definition, seed: u64) -> (Vec<serde_json::Map<String, J>>, Expected, Context) {
    let mut g = Generator::new(def, seed);
    let ctx = g.context();
    let mut lines = Vec::new();
    let planted = g.log_records(400, 0.12, |r| {
        lines.push(r.clone());
        Ok(())
    });
    let planted = planted.unwrap().unwrap();
    let expected = planted
        .iter()
        // A file's columns are its header: a key no record has cannot be planted in one.
        .filter(|p| p.code != Code::UnknownColumn)
        .map(|p| {
            (
                p.code.as_str().to_string(),
                p.path.clone(),
                p.record as u64 + 2,
                p.path.rsplit('/').next().unwrap_or("").to_string(),
            )
        })
        .collect();
    (lines, expected, ctx)
}

#[test]
fn planted_problems_in_a_csv_are_reported_at_their_rows_and_columns() {
    let def = example("lettings-log");
    let (rows, expected, ctx) = planted(&def, 31);
    let report = csv(&def, to_csv(&template_header(&def, None), &rows).as_bytes(), &ctx);
    let found: BTreeSet<(String, String, u64, String)> = report
        .errors
        .iter()
        .chain(&report.warnings)
        .map(|i| (i.code.as_str().to_string(), i.path.clone(), i.row.unwrap(), i.column.clone().unwrap()))
        .collect();
    assert!(expected.len() > 30);
    assert_eq!(found, expected);
}

/// A plain workbook, not formwork's template: one sheet named `Lettings 2026` with a header row of
/// ids and typed cells.
fn plain_workbook(header: &[String], rows: &[serde_json::Map<String, J>]) -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("Lettings 2026").unwrap();
    for (c, h) in header.iter().enumerate() {
        sheet.write_string(0, c as u16, h).unwrap();
    }
    for (r, record) in rows.iter().enumerate() {
        for (c, h) in header.iter().enumerate() {
            let (row, col) = (r as u32 + 1, c as u16);
            match record.get(h) {
                Some(J::Number(n)) => sheet.write_number(row, col, n.as_f64().unwrap()).map(|_| ()),
                Some(J::Bool(b)) => sheet.write_boolean(row, col, *b).map(|_| ()),
                Some(v) if !cell_text(v).is_empty() => sheet.write_string(row, col, cell_text(v)).map(|_| ()),
                _ => Ok(()),
            }
            .unwrap();
        }
    }
    workbook.save_to_buffer().unwrap()
}

#[test]
fn planted_problems_in_a_workbook_are_reported_at_their_cells() {
    let def = example("lettings-log");
    let (rows, expected, ctx) = planted(&def, 32);
    let header = template_header(&def, None);
    let bytes = plain_workbook(&header, &rows);
    let report = xlsx(&def, &bytes, &ctx);
    assert_eq!(report.read_as, Some(ReadAs::Records { sheet: Some("Lettings 2026".into()) }));
    let found: BTreeSet<(String, String, u64, String)> = report
        .errors
        .iter()
        .chain(&report.warnings)
        .map(|i| {
            assert_eq!(i.sheet.as_deref(), Some("Lettings 2026"));
            let column = header.iter().position(|h| Some(h) == i.column.as_ref()).unwrap();
            assert_eq!(i.cell.clone().unwrap(), format!("{}{}", column_letters(column), i.row.unwrap()));
            (i.code.as_str().to_string(), i.path.clone(), i.row.unwrap(), i.column.clone().unwrap())
        })
        .collect();
    assert_eq!(found, expected);
}

#[test]
fn percentage_formatted_cells_are_read_as_shown() {
    // Excel keeps `12.5%` typed into a cell as 0.125 with a percentage format.
    let def = formwork_definition::load(
        br#"formwork: 1
collection: rates
version: 1
title: Occupancy rates
kind: log
schedule: {frequency: annual, start: 2026-04-01, due: 75d}
record_key: [site]
roles: {data_provider: Records sites}
sections:
  - id: sites
    title: Sites
    questions:
      - {id: site, label: Site, type: text}
      - {id: occupancy, label: Occupancy, type: percentage, places: 1}
      - {id: growth, label: Growth, type: decimal, required: false}
      - {id: note, label: Note, type: text, required: false}
rules:
  - {check: 'site != "North" || (occupancy == 12.5 && note == "50%")', message: North is read wrong}
  - {check: 'site != "South" || occupancy == 97', message: South is read wrong}
"#,
    )
    .unwrap();
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    let percent = rust_xlsxwriter::Format::new().set_num_format("0.0%");
    let literal = rust_xlsxwriter::Format::new().set_num_format(r#"0.0"%""#);
    for (c, h) in ["site", "occupancy", "growth", "note"].iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    // Row 2: 12.5% typed into the percentage column, and shown as a percentage in a note.
    sheet.write_string(1, 0, "North").unwrap();
    sheet.write_number_with_format(1, 1, 0.125, &percent).unwrap();
    sheet.write_number_with_format(1, 3, 0.5, &percent).unwrap();
    // Row 3: 97 with a format that only writes a `%` sign after it: the value is 97.
    sheet.write_string(2, 0, "South").unwrap();
    sheet.write_number_with_format(2, 1, 97, &literal).unwrap();
    // Row 4: a percentage in a decimal column is refused, not read as 0.03.
    sheet.write_string(3, 0, "East").unwrap();
    sheet.write_number(3, 1, 40).unwrap();
    sheet.write_number_with_format(3, 2, 0.03, &percent).unwrap();
    let bytes = workbook.save_to_buffer().unwrap();
    let ctx = Context { today: def.schedule.start, period: None };
    let report = xlsx(&def, &bytes, &ctx);
    assert_eq!(
        summary(&report),
        vec![("type".into(), "records/2/growth".into(), Some(4), Some("growth".into()), Some("C4".into()))]
    );
    assert_eq!(report.errors[0].message, "Growth must be a number");
}

#[test]
fn the_report_marks_exactly_the_problem_cells() {
    use calamine::Reader;
    let def = example("lettings-log");
    let (rows, _, ctx) = planted(&def, 33);
    let text = to_csv(&template_header(&def, None), &rows);
    let report = csv(&def, text.as_bytes(), &ctx);
    let mut out = Cursor::new(Vec::new());
    report::write(
        report::Source::Csv(Cursor::new(text.as_bytes())),
        &report,
        "lettings.csv",
        &Limits::default(),
        &mut out,
    )
    .unwrap();
    let mut book: calamine::Xlsx<_> = calamine::Xlsx::new(Cursor::new(out.into_inner())).unwrap();
    assert_eq!(book.sheet_names(), vec!["Errors", "Data"]);
    let styles = book.worksheet_style("Data").unwrap();
    let header = template_header(&def, None);
    let mut marked = BTreeSet::new();
    for r in 1..=rows.len() as u32 {
        for c in 0..header.len() as u32 {
            let fill = styles.get((r, c)).and_then(|s| s.fill.as_ref()).and_then(|f| f.get_color());
            if let Some(color) = fill {
                marked.insert((
                    r as u64 + 1,
                    header[c as usize].clone(),
                    (color.red, color.green, color.blue),
                ));
            }
        }
    }
    let expected: BTreeSet<(u64, String, (u8, u8, u8))> = report
        .errors
        .iter()
        .map(|i| (i, (0xF6, 0xD7, 0xD2)))
        .chain(report.warnings.iter().map(|i| (i, (0xFF, 0xF2, 0xCC))))
        .map(|(i, color)| (i.row.unwrap(), i.column.clone().unwrap(), color))
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(marked, expected);
    let errors = book.worksheet_range("Errors").unwrap();
    assert_eq!(errors.height(), 3 + report.errors.len() + report.warnings.len());
}

#[test]
fn another_collections_template_or_an_older_version_is_refused() {
    let towns = example("towns-fund-monitoring");
    let bytes = template::xlsx(&towns, None).unwrap();
    let audit = example("single-audit");
    let report = xlsx(&audit, &bytes, &Context { today: audit.schedule.start, period: None });
    assert_eq!(report.errors.len(), 1);
    assert_eq!(report.errors[0].code, Code::Template);
    assert!(report.errors[0].message.starts_with("This workbook is the template for the collection “towns-fund-monitoring” (version 1), not for Single audit submission"));

    let yaml = std::fs::read_to_string(format!(
        "{}/../../examples/towns-fund-monitoring.yaml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let newer = formwork_definition::load(yaml.replace("version: 1", "version: 2").as_bytes()).unwrap();
    let report = xlsx(&newer, &bytes, &Context { today: newer.schedule.start, period: None });
    assert_eq!(report.errors[0].code, Code::Template);
    assert_eq!(
        report.errors[0].message,
        "This workbook is the template for version 1 of Towns Fund monitoring return, but the collection is now at version 2. Download the new template and copy your data into it"
    );
}

#[test]
fn missing_and_unknown_columns_are_named() {
    let def = example("lettings-log");
    let mut header = template_header(&def, None);
    header.retain(|h| h != "bedrooms");
    header.push("Notes".into());
    let mut g = Generator::new(&def, 5);
    let rows: Vec<_> = (0..3)
        .map(|_| {
            let r = g.valid().unwrap();
            g.render_answers(&r)
        })
        .collect();
    let report = csv(&def, to_csv(&header, &rows).as_bytes(), &g.context());
    assert_eq!(
        summary(&report),
        vec![
            ("unknown_column".into(), "".into(), Some(1), Some("Notes".into()), None),
            (
                "missing_column".into(),
                "bedrooms".into(),
                Some(1),
                Some("How many bedrooms does the property have?".into()),
                None
            ),
        ]
    );
}

/// A minimal workbook with one sheet whose XML is `sheet`, zipped as given.
fn raw_xlsx(sheet: &[u8], method: zip::CompressionMethod) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(method);
    let parts: [(&str, &[u8]); 4] = [
        ("[Content_Types].xml", br#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#),
        ("_rels/.rels", br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#),
        ("xl/workbook.xml", br#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#),
        ("xl/_rels/workbook.xml.rels", br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#),
    ];
    for (name, data) in parts {
        zip.start_file(name, options).unwrap();
        zip.write_all(data).unwrap();
    }
    zip.start_file("xl/worksheets/sheet1.xml", options).unwrap();
    zip.write_all(sheet).unwrap();
    zip.finish().unwrap().into_inner()
}

fn sheet_xml(rows: &str) -> Vec<u8> {
    format!(r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{rows}</sheetData></worksheet>"#).into_bytes()
}

fn one_file_item(report: &FileReport, words: &str) {
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    assert_eq!(report.errors[0].code, Code::File, "{:?}", report.errors[0]);
    assert!(report.errors[0].message.contains(words), "{}", report.errors[0].message);
}

#[test]
fn hostile_files_are_refused_with_one_clear_item() {
    let def = example("lettings-log");
    let ctx = Context { today: def.schedule.start, period: None };
    let template = template::xlsx(&def, None).unwrap();

    one_file_item(&xlsx(&def, &template[..template.len() / 2], &ctx), "damaged or only partly uploaded");
    one_file_item(&xlsx(&def, b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", &ctx), "This is a PDF");
    one_file_item(
        &xlsx(&def, b"owning_org_code,tenancy_start\nA,B\n", &ctx),
        "looks like a text or CSV file",
    );
    let garbage: Vec<u8> = (0..100_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8).collect();
    one_file_item(&xlsx(&def, &garbage, &ctx), "not an XLSX workbook");
    one_file_item(&csv(&def, &garbage, &ctx), "binary data");

    // A CSV with a 50 MB field.
    let mut big = b"owning_org_code,tenancy_code\nA,\"".to_vec();
    big.extend(std::iter::repeat_n(b'x', 50 << 20));
    big.extend(b"\"\n");
    one_file_item(&csv(&def, &big, &ctx), "Row 2 holds more than 4 MB");

    // A sheet with a value far beyond the columns anyone fills in.
    let wide = raw_xlsx(
        &sheet_xml(
            r#"<row r="1"><c r="A1" t="inlineStr"><is><t>owning_org_code</t></is></c><c r="XFD1" t="inlineStr"><is><t>x</t></is></c></row>"#,
        ),
        zip::CompressionMethod::Deflated,
    );
    one_file_item(&xlsx(&def, &wide, &ctx), "has a value in column XFD of row 1");

    // A million empty rows after a header, and a sheet that claims a million columns and rows.
    let mut rows =
        String::from(r#"<row r="1"><c r="A1" t="inlineStr"><is><t>owning_org_code</t></is></c></row>"#);
    for r in 2..=1_000_001 {
        rows.push_str(&format!(r#"<row r="{r}"/>"#));
    }
    let empty_rows = raw_xlsx(&sheet_xml(&rows), zip::CompressionMethod::Deflated);
    let report = xlsx(&def, &empty_rows, &ctx);
    assert_eq!(report.records, 0);
    assert!(
        report.errors.iter().any(|i| i.code == Code::File && i.message.contains("no records")),
        "{:?}",
        report.errors
    );

    // A zip bomb: 200 MB of spaces in one part.
    let bomb = raw_xlsx(&vec![b' '; 200 << 20], zip::CompressionMethod::Deflated);
    assert!(bomb.len() < 1 << 20);
    one_file_item(&xlsx(&def, &bomb, &ctx), "would expand");

    // An empty file, and a file of only blank lines.
    one_file_item(&xlsx(&def, b"", &ctx), "empty");
    one_file_item(&csv(&def, b"\n\n\n", &ctx), "empty");
}

#[test]
fn a_million_rows_beyond_the_limit_stop_early() {
    let def = example("lettings-log");
    let ctx = Context { today: def.schedule.start, period: None };
    let mut text = String::from("owning_org_code\n");
    for _ in 0..2_000 {
        text.push_str("ABC\n");
    }
    let limits = Limits { max_rows: 1_000, ..Limits::default() };
    let report = validate_csv(&def, text.as_bytes(), &ctx, &limits, &Options::default()).unwrap();
    one_file_item(&report, "more than 1000 rows");
}

#[test]
fn records_checked_on_several_threads_give_the_same_report_as_on_one() {
    let def = example("lettings-log");
    let (rows, _, ctx) = planted(&def, 34);
    let text = to_csv(&template_header(&def, None), &rows);
    let report = |threads: usize| {
        let options = Options { threads, ..Options::default() };
        validate_csv(&def, text.as_bytes(), &ctx, &Limits::default(), &options).unwrap()
    };
    let one = report(1);
    assert!(one.error_count > 20);
    for threads in [2, 3, 8] {
        let many = report(threads);
        assert_eq!(
            (many.errors, many.warnings, many.records),
            (one.errors.clone(), one.warnings.clone(), one.records)
        );
    }
}

/// What a sink was told the file holds, and every record, row or return it was handed.
#[derive(Default)]
struct Kept {
    read_as: Vec<ReadAs>,
    checked: Vec<CheckedAnswers>,
}

impl RecordSink for Kept {
    fn start(&mut self, read_as: &ReadAs) {
        self.read_as.push(read_as.clone());
    }

    fn checked(&mut self, answers: CheckedAnswers) {
        self.checked.push(answers);
    }
}

/// The same records the JSONL way (`formwork validate` on a .jsonl file): each line through the
/// engine and merged in order. Its answers as values, and whether it has an error.
fn jsonl_records(def: &Definition, lines: &[serde_json::Map<String, J>], ctx: &Context) -> Vec<(J, bool)> {
    let mut batch = RecordBatch::new(def, *ctx, usize::MAX);
    lines
        .iter()
        .enumerate()
        .map(|(index, line)| {
            let text = serde_json::to_string(line).unwrap();
            let (answers, _) = record_from_json(def, &text).unwrap();
            // Keys that are not questions are left out: a file's columns are its header.
            let record = check_record(def, ctx, &answers, &[], index, index as u64 + 2, &NoFile, &[]);
            let values = J::Object(values_to_json(def, &record.values));
            (values, batch.merge(record, &NoFile))
        })
        .collect()
}

/// Check what a sink kept from records on rows 2, 3, … against the JSONL way, and `has_errors`
/// against the rows of the report's errors.
fn assert_kept_records(kept: &Kept, report: &FileReport, expected: &[(J, bool)]) {
    assert_eq!(kept.read_as, vec![report.read_as.clone().unwrap()]);
    assert_eq!((kept.checked.len(), report.records), (expected.len(), expected.len()));
    for (i, (got, (values, has_errors))) in kept.checked.iter().zip(expected).enumerate() {
        assert_eq!((got.index, got.row), (i, Some(i as u64 + 2)));
        assert_eq!(&J::Object(got.answers.clone()), values, "record {i}");
        assert_eq!(got.has_errors, *has_errors, "record {i}");
    }
    let with_errors: BTreeSet<u64> =
        kept.checked.iter().filter(|c| c.has_errors).filter_map(|c| c.row).collect();
    let error_rows: BTreeSet<u64> = report.errors.iter().filter_map(|i| i.row).collect();
    assert_eq!(with_errors, error_rows);
}

#[test]
fn the_sink_gets_each_record_once_in_file_order_with_the_values_jsonl_gives_on_any_threads() {
    let def = example("lettings-log");
    let (rows, _, ctx) = planted(&def, 35);
    let text = to_csv(&template_header(&def, None), &rows);
    let expected = jsonl_records(&def, &rows, &ctx);
    assert!(expected.iter().filter(|(_, e)| *e).count() > 20);
    for threads in [1, 2, 3, 8] {
        let mut kept = Kept::default();
        let options = Options { threads, ..Options::default() };
        let report =
            validate_csv_into(&def, text.as_bytes(), &ctx, &Limits::default(), &options, &mut kept).unwrap();
        assert_eq!(report.read_as, Some(ReadAs::Records { sheet: None }));
        assert_kept_records(&kept, &report, &expected);
    }
}

#[test]
fn the_sink_gets_each_record_of_a_plain_workbook_with_the_values_jsonl_gives() {
    let def = example("lettings-log");
    let (rows, _, ctx) = planted(&def, 36);
    let bytes = plain_workbook(&template_header(&def, None), &rows);
    let mut kept = Kept::default();
    let report = validate_xlsx_into(
        &def,
        Cursor::new(&bytes),
        &ctx,
        &Limits::default(),
        &Options::default(),
        &mut kept,
    )
    .unwrap();
    assert_kept_records(&kept, &report, &jsonl_records(&def, &rows, &ctx));
}

#[test]
fn a_sink_that_wants_no_answers_gets_every_record_without_them() {
    let def = example("lettings-log");
    let (rows, _, ctx) = planted(&def, 37);
    let text = to_csv(&template_header(&def, None), &rows);
    struct Count(usize);
    impl RecordSink for Count {
        fn checked(&mut self, answers: CheckedAnswers) {
            assert!(answers.answers.is_empty());
            self.0 += 1;
        }
        fn wants_answers(&self) -> bool {
            false
        }
    }
    for threads in [1, 4] {
        let mut count = Count(0);
        let options = Options { threads, ..Options::default() };
        validate_csv_into(&def, text.as_bytes(), &ctx, &Limits::default(), &options, &mut count).unwrap();
        assert_eq!(count.0, rows.len());
    }
}

#[test]
fn the_sink_gets_each_row_of_a_returns_table_after_the_table_is_checked() {
    let def = example("towns-fund-monitoring");
    let mut g = Generator::new(&def, 4).with_table_rows(12);
    let record = g.valid().unwrap();
    let answers = g.render_answers(&record);
    let mut spend: Vec<serde_json::Map<String, J>> =
        answers["spend"].as_array().unwrap().iter().map(|r| r.as_object().unwrap().clone()).collect();
    assert!(spend.len() > 3);
    spend[2].insert("amount".into(), J::from("a lot"));
    let ctx = g.context();

    // The same rows the JSON way: the table on its own through the engine.
    let slot = def.slot_named("spend").unwrap();
    let table = def.table_at(slot).unwrap();
    let json = serde_json::json!({ "spend": spend });
    let (inputs, _) = answers_from_json(&def, json.as_object().unwrap());
    let outcome = validate_part(&def, &inputs, &ctx, &NoFile, Part::Table(slot));
    let Value::List(expected) = &outcome.values[slot] else { panic!("{:?}", outcome.values[slot]) };

    let text = to_csv(&template_header(&def, Some("spend")), &spend);
    let mut kept = Vec::new();
    let report = validate_csv_into(
        &def,
        text.as_bytes(),
        &ctx,
        &Limits::default(),
        &Options::default(),
        &mut |answers: CheckedAnswers| kept.push(answers),
    )
    .unwrap();
    assert_eq!(report.records, spend.len());
    assert_eq!(kept.len(), spend.len());
    for (i, (got, values)) in kept.iter().zip(expected.iter()).enumerate() {
        let Value::Row(cells) = values else { panic!("{values:?}") };
        assert_eq!((got.index, got.row), (i, Some(i as u64 + 2)));
        assert_eq!(got.answers, row_to_json(table, cells), "row {i}");
        assert_eq!(got.has_errors, i == 2, "row {i}");
    }
    assert!(!kept[2].answers.contains_key("amount"));
    assert!(kept[0].answers.contains_key("amount"));
}

#[test]
fn the_sink_gets_a_whole_return_from_its_template_once() {
    let def = example("towns-fund-monitoring");
    let mut g = Generator::new(&def, 6);
    let record = g.valid().unwrap();
    let bytes = template::xlsx(&def, Some(Fill::Submission(&record.values))).unwrap();
    let ctx = g.context();

    // The same answers the JSON way, but for files: they are attached on the web, not in templates.
    let rendered = g.render_answers(&record);
    let (inputs, _) = answers_from_json(&def, &rendered);
    let mut expected = values_to_json(&def, &validate(&def, &inputs, &ctx, &NoFile).values);
    expected.retain(|id, _| def.questions.iter().all(|q| q.id != *id || q.ty != QuestionType::File));

    let mut kept = Kept::default();
    let report = validate_xlsx_into(
        &def,
        Cursor::new(&bytes),
        &ctx,
        &Limits::default(),
        &Options::default(),
        &mut kept,
    )
    .unwrap();
    assert_eq!(summary(&report), vec![]);
    assert_eq!(kept.read_as, vec![ReadAs::Submission]);
    assert_eq!(
        kept.checked,
        vec![CheckedAnswers { index: 0, row: None, answers: expected, has_errors: false }]
    );
}

mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(12))]

        /// Whatever the records and the number of threads, the sink gets the JSONL way's answers,
        /// once each and in file order.
        #[test]
        fn the_sink_gets_what_jsonl_gives(seed in any::<u64>(), count in 1usize..150, threads in 1usize..6) {
            let def = example("lettings-log");
            let mut g = Generator::new(&def, seed);
            let ctx = g.context();
            let mut rows = Vec::new();
            g.log_records(count, 0.2, |r| {
                rows.push(r.clone());
                Ok(())
            })
            .unwrap()
            .unwrap();
            let text = to_csv(&template_header(&def, None), &rows);
            let mut kept = Kept::default();
            let options = Options { threads, ..Options::default() };
            let report =
                validate_csv_into(&def, text.as_bytes(), &ctx, &Limits::default(), &options, &mut kept).unwrap();
            assert_kept_records(&kept, &report, &jsonl_records(&def, &rows, &ctx));
        }
    }
}
