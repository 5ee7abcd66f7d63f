//! The `formwork` command as its users run it.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test should stop loudly at anything unexpected"
)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

#[path = "cli/database.rs"]
mod database;
#[path = "cli/deploy.rs"]
mod deploy;
#[path = "cli/healthcheck.rs"]
mod healthcheck;
#[path = "cli/service.rs"]
mod service;
#[path = "cli/uploads.rs"]
mod uploads;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn example(name: &str) -> String {
    root().join("examples").join(format!("{name}.yaml")).display().to_string()
}

/// Run `formwork` from this crate's directory, so paths in its output are short and stable.
fn formwork(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_formwork"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run formwork")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

#[test]
fn check_passes_on_the_three_examples() {
    let o = formwork(&[
        "check",
        &example("lettings-log"),
        &example("single-audit"),
        &example("towns-fund-monitoring"),
    ]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert_eq!(stdout(&o).matches(": ok — ").count(), 3);
}

#[test]
fn check_reports_all_ten_planted_mistakes_with_line_and_column() {
    let o = formwork(&["check", "tests/fixtures/ten-mistakes.yaml"]);
    assert_eq!(code(&o), 1);
    let out = stdout(&o);
    let places: Vec<(u32, u32)> = out
        .lines()
        .filter_map(|l| l.strip_prefix("tests/fixtures/ten-mistakes.yaml:"))
        .filter_map(|rest| {
            let mut parts = rest.splitn(3, ':');
            Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
        })
        .collect();
    assert_eq!(
        places,
        vec![(4, 13), (9, 14), (12, 1), (21, 15), (24, 9), (29, 13), (35, 18), (39, 9), (44, 18), (51, 15)],
        "{out}"
    );
    insta::assert_snapshot!("check_ten_mistakes", out);
}

#[test]
fn check_json_lists_problems_for_programs() {
    let o = formwork(&[
        "check",
        "--format",
        "json",
        "tests/fixtures/ten-mistakes.yaml",
        &example("single-audit"),
    ]);
    assert_eq!(code(&o), 1);
    let body: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(body["ok"], false);
    assert_eq!(body["files"][0]["problems"].as_array().unwrap().len(), 10);
    assert_eq!(
        body["files"][0]["problems"][1],
        json!({"code": "unknown-value", "message": "`quartely` is not a known schedule frequency", "help": "did you mean `quarterly`?", "line": 9, "column": 14})
    );
    assert_eq!(body["files"][1]["ok"], true);
}

#[test]
fn check_cannot_read_a_missing_file() {
    let o = formwork(&["check", "tests/fixtures/no-such-file.yaml"]);
    assert_eq!(code(&o), 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot read the file"));
}

#[test]
fn hostile_definitions_get_one_clear_diagnostic() {
    let dir = tempfile::tempdir().unwrap();
    let laughs = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n";
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("laughs.yaml", laughs.as_bytes().to_vec(), "[alias]"),
        ("deep.yaml", format!("a: {}{}", "[".repeat(100_000), "]".repeat(100_000)).into_bytes(), "nested"),
        (
            "deep-block.yaml",
            (0..60).map(|i| format!("{}k{i}:\n", "  ".repeat(i))).collect::<String>().into_bytes(),
            "[too-deep]",
        ),
        (
            "utf8.yaml",
            b"formwork: 1\ntitle: caf\xe9\n".to_vec(),
            "2:11: error: the file is not valid UTF-8 text",
        ),
        (
            "huge.yaml",
            format!("title: {}\n", "x".repeat(10 * 1024 * 1024)).into_bytes(),
            "a definition can be at most",
        ),
        (
            "garbage.yaml",
            (0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect(),
            "error",
        ),
        ("number.yaml", b"formwork: 1e999999999\n".to_vec(), "must be a whole number"),
        ("empty.yaml", Vec::new(), "the file is empty"),
    ];
    for (name, bytes, expected) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let o = formwork(&["check", path.to_str().unwrap()]);
        let out = stdout(&o);
        assert_eq!(code(&o), 1, "{name}: {out}");
        assert!(out.contains(expected), "{name}: {out}");
        assert!(!String::from_utf8_lossy(&o.stderr).contains("panicked"), "{name}");
    }
}

/// Items as (severity, code, path) for comparison with a manifest.
fn item_set(body: &Value) -> BTreeSet<(String, String, String)> {
    ["errors", "warnings"]
        .iter()
        .flat_map(|k| body[k].as_array().cloned().unwrap_or_default())
        .map(|i| {
            (
                i["severity"].as_str().unwrap().into(),
                i["code"].as_str().unwrap().into(),
                i["path"].as_str().unwrap().into(),
            )
        })
        .collect()
}

#[test]
fn validate_reports_exactly_the_planted_items_of_a_generated_log() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("lettings.jsonl");
    let manifest = dir.path().join("manifest.jsonl");
    let o = formwork(&[
        "generate",
        "-d",
        &example("lettings-log"),
        "--records",
        "3000",
        "--errors",
        "0.08",
        "--seed",
        "11",
        "-o",
        data.to_str().unwrap(),
        "--manifest",
        manifest.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let o =
        formwork(&["validate", "-d", &example("lettings-log"), "--format", "json", data.to_str().unwrap()]);
    assert_eq!(code(&o), 1);
    let body: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(body["records"], 3000);
    let planted: Vec<Value> = std::fs::read_to_string(&manifest)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let expected: BTreeSet<(String, String, String)> = planted
        .iter()
        .map(|p| {
            (
                p["severity"].as_str().unwrap().into(),
                p["code"].as_str().unwrap().into(),
                p["path"].as_str().unwrap().into(),
            )
        })
        .collect();
    // Every code a log's records can carry is planted, warnings apart from errors.
    let codes: BTreeSet<&str> = expected.iter().map(|(_, c, _)| c.as_str()).collect();
    assert_eq!(
        codes,
        BTreeSet::from([
            "choice",
            "length",
            "max",
            "min",
            "pattern",
            "required",
            "rule",
            "type",
            "unique",
            "unknown_column"
        ])
    );
    assert!(expected.iter().any(|(s, _, _)| s == "warning"));
    assert_eq!(item_set(&body), expected);
    assert_eq!(
        body["error_count"].as_u64().unwrap() + body["warning_count"].as_u64().unwrap(),
        planted.len() as u64
    );
    for w in body["warnings"].as_array().unwrap() {
        assert_eq!(w["severity"], "warning");
    }
    // Items carry the line of the file they came from.
    let first = &body["errors"][0];
    let record: u64 = first["path"].as_str().unwrap().split('/').nth(1).unwrap().parse().unwrap();
    assert_eq!(first["row"], record + 1);
}

#[test]
fn answers_to_questions_that_are_not_asked_are_not_validated() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("one.jsonl");
    let o = formwork(&[
        "generate",
        "-d",
        &example("lettings-log"),
        "--records",
        "1",
        "--seed",
        "3",
        "-o",
        data.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0);
    let mut record: Value = serde_json::from_str(std::fs::read_to_string(&data).unwrap().trim()).unwrap();
    // One person in the household: nothing about person 2 or 3 is asked, so nonsense there is ignored.
    record["household_size"] = json!(1);
    record["person2_age"] = json!("not a number");
    record["person2_working"] = json!("no such choice");
    record["person3_age"] = json!(-5);
    std::fs::write(&data, format!("{record}\n")).unwrap();
    let o =
        formwork(&["validate", "-d", &example("lettings-log"), "--format", "json", data.to_str().unwrap()]);
    let body: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!((code(&o), &body["errors"]), (0, &json!([])), "{body}");
}

#[test]
fn validate_a_submission_of_a_return() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("towns.json");
    let o = formwork(&[
        "generate",
        "-d",
        &example("towns-fund-monitoring"),
        "--seed",
        "5",
        "-o",
        file.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let o = formwork(&[
        "validate",
        "-d",
        &example("towns-fund-monitoring"),
        "--format",
        "json",
        file.to_str().unwrap(),
    ]);
    let body: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!((code(&o), &body["valid"], &body["errors"]), (0, &json!(true), &json!([])), "{body}");

    let mut submission: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    submission["version"] = json!(6);
    std::fs::write(&file, submission.to_string()).unwrap();
    let o = formwork(&[
        "validate",
        "-d",
        &example("towns-fund-monitoring"),
        "--format",
        "json",
        file.to_str().unwrap(),
    ]);
    let body: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(code(&o), 1);
    assert_eq!(body["errors"][0]["code"], "template");
    assert_eq!(
        body["errors"][0]["message"],
        "This file is a submission for towns-fund-monitoring version 6, but the definition is towns-fund-monitoring version 1"
    );
}

#[test]
fn ten_rows_of_ten_pence_sum_to_exactly_one_pound() {
    let dir = tempfile::tempdir().unwrap();
    for (amount, total, expected_code) in
        [(json!("0.10"), json!("1.00"), 0), (json!(0.10), json!(1), 0), (json!(0.1), json!("1.01"), 1)]
    {
        let rows: Vec<Value> = (0..10).map(|_| json!({"amount": amount})).collect();
        let file = dir.path().join("pence.json");
        std::fs::write(
            &file,
            json!({"collection": "pence", "version": 1, "answers": {"total": total, "spend": rows}})
                .to_string(),
        )
        .unwrap();
        let o = formwork(&[
            "validate",
            "-d",
            "tests/fixtures/pence.yaml",
            "--format",
            "json",
            file.to_str().unwrap(),
        ]);
        assert_eq!(code(&o), expected_code, "{amount} × 10 against {total}: {}", stdout(&o));
        let body: Value = serde_json::from_slice(&o.stdout).unwrap();
        let items: Vec<(&str, &str, &str)> = body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .chain(body["warnings"].as_array().unwrap())
            .map(|i| {
                (i["code"].as_str().unwrap(), i["path"].as_str().unwrap(), i["message"].as_str().unwrap())
            })
            .collect();
        let expected = if expected_code == 0 {
            vec![]
        } else {
            vec![("rule", "", "The rows must add up to exactly the total")]
        };
        assert_eq!(items, expected, "{amount} × 10 against {total}");
    }
}

#[test]
fn validate_cannot_run_with_a_broken_definition() {
    let o = formwork(&["validate", "-d", "tests/fixtures/ten-mistakes.yaml", "tests/fixtures/pence.yaml"]);
    assert_eq!(code(&o), 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("has 10 problem(s)"));
}

/// Text as the dictionary's HTML writes it.
fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[test]
fn docs_renders_a_data_dictionary_for_each_example() {
    for name in ["lettings-log", "single-audit", "towns-fund-monitoring"] {
        let def = formwork_definition::load(&std::fs::read(example(name)).unwrap()).unwrap();
        for format in ["markdown", "html", "json-schema"] {
            let o = formwork(&["docs", "-d", &example(name), "--format", format]);
            assert_eq!(code(&o), 0, "{name} {format}");
            assert!(o.stdout.len() > 2000, "{name} {format}");
        }

        let o = formwork(&["docs", "-d", &example(name), "--format", "html"]);
        let html = stdout(&o);
        assert!(html.starts_with("<!DOCTYPE html>") && html.trim_end().ends_with("</html>"), "{name}");
        assert!(html.contains(&format!("<h1>{}: data dictionary</h1>", html_escape(&def.title))), "{name}");
        for (n, section) in def.sections.iter().enumerate() {
            let heading = format!("<h2>Section {}: {}</h2>", n + 1, html_escape(&section.title));
            assert!(html.contains(&heading), "{name}: no {heading}");
        }
        for q in &def.questions {
            assert!(html.contains(&format!("<code>{}</code>", q.id)), "{name}: question {} missing", q.id);
        }

        // The schema parses, and names every question and every table's columns where a
        // submission (a return) or a record (a log) puts them.
        let o = formwork(&["docs", "-d", &example(name), "--format", "json-schema"]);
        let schema: Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema", "{name}");
        let answers = match def.kind {
            formwork_definition::Kind::Return => {
                assert_eq!(schema["required"], json!(["collection", "version", "answers"]), "{name}");
                assert_eq!(schema["properties"]["collection"]["const"], def.collection.as_str(), "{name}");
                assert_eq!(schema["properties"]["version"]["const"], def.version, "{name}");
                &schema["properties"]["answers"]
            }
            formwork_definition::Kind::Log => &schema,
        };
        assert_eq!(answers["additionalProperties"], false, "{name}");
        let named: BTreeSet<&str> =
            answers["properties"].as_object().unwrap().keys().map(String::as_str).collect();
        let expected: BTreeSet<&str> = def
            .questions
            .iter()
            .map(|q| q.id.as_str())
            .chain(def.tables.iter().map(|t| t.id.as_str()))
            .collect();
        assert_eq!(named, expected, "{name}");
        for table in &def.tables {
            let items = &answers["properties"][&table.id]["items"];
            assert_eq!(items["additionalProperties"], false, "{name} {}", table.id);
            let named: BTreeSet<&str> =
                items["properties"].as_object().unwrap().keys().map(String::as_str).collect();
            let expected: BTreeSet<&str> = table.columns.iter().map(|c| c.id.as_str()).collect();
            assert_eq!(named, expected, "{name} {}", table.id);
        }
    }
    let o = formwork(&["docs", "-d", &example("towns-fund-monitoring")]);
    insta::assert_snapshot!("docs_towns_fund_markdown", stdout(&o));
}

/// Convert every sheet of `workbook` to CSV with LibreOffice; the files it wrote.
fn libreoffice_sheets(workbook: &Path, out: &Path) -> Vec<String> {
    let status = Command::new("soffice")
        .args([
            "--headless",
            "--norestore",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
            "--outdir",
        ])
        .arg(out)
        .arg(workbook)
        .env("HOME", out)
        .output()
        .expect("LibreOffice (soffice) is needed for this test: scripts/setup installs it");
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    let mut names: Vec<String> = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".csv"))
        .collect();
    names.sort();
    names
}

#[test]
fn templates_are_written_and_libreoffice_reads_every_sheet() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["lettings-log", "single-audit", "towns-fund-monitoring"] {
        let xlsx = dir.path().join(format!("{name}.xlsx"));
        let o =
            formwork(&["template", "-d", &example(name), "--format", "xlsx", "-o", xlsx.to_str().unwrap()]);
        assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
        let out = dir.path().join(format!("{name}-csv"));
        std::fs::create_dir(&out).unwrap();
        let sheets = libreoffice_sheets(&xlsx, &out);
        assert!(sheets.iter().any(|s| s.ends_with("-Instructions.csv")), "{sheets:?}");
        assert!(sheets.iter().any(|s| s.ends_with("-formwork.csv")), "{sheets:?}");
        let data_sheet = if name == "lettings-log" { "-Records.csv" } else { "-Questions.csv" };
        let first = sheets.iter().find(|s| s.ends_with(data_sheet)).unwrap();
        let header = std::fs::read_to_string(out.join(first)).unwrap();
        assert!(header.lines().next().unwrap().contains(if name == "lettings-log" {
            "Tenancy start date *"
        } else {
            "Id,Section,Question,Answer"
        }));
    }
    let csv = dir.path().join("lettings.csv");
    let o = formwork(&[
        "template",
        "-d",
        &example("lettings-log"),
        "--format",
        "csv",
        "-o",
        csv.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0);
    assert!(
        std::fs::read_to_string(&csv).unwrap().starts_with("owning_org_code,tenancy_start,tenancy_code,")
    );
    let o = formwork(&[
        "template",
        "-d",
        &example("towns-fund-monitoring"),
        "--format",
        "csv",
        "-o",
        csv.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 2);
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("say which one the CSV is for: projects, spend, outputs")
    );
}

#[test]
fn a_csv_is_validated_at_its_cells_and_its_report_opens_in_libreoffice() {
    let dir = tempfile::tempdir().unwrap();
    let header =
        std::fs::read_to_string(root().join("crates/formwork/tests/fixtures/towns-spend.csv")).unwrap();
    let csv = dir.path().join("spend.csv");
    std::fs::write(&csv, &header).unwrap();
    let report = dir.path().join("spend-report.xlsx");
    let o = formwork(&[
        "validate",
        "-d",
        &example("towns-fund-monitoring"),
        "--format",
        "json",
        "--report",
        report.to_str().unwrap(),
        csv.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 1);
    let body: Value = serde_json::from_slice(&o.stdout).unwrap();
    let items: Vec<(String, String, u64, String)> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .chain(body["warnings"].as_array().unwrap())
        .map(|i| {
            (
                i["code"].as_str().unwrap().into(),
                i["path"].as_str().unwrap().into(),
                i["row"].as_u64().unwrap(),
                i["column"].as_str().unwrap_or("").into(),
            )
        })
        .collect();
    assert_eq!(
        items,
        vec![
            ("pattern".into(), "spend/1/project_id".into(), 3, "Project ID".into()),
            ("choice".into(), "spend/2/quarter".into(), 4, "quarter".into()),
            ("type".into(), "spend/3/amount".into(), 6, "Amount spent".into()),
            ("unique".into(), "spend/4/project_id".into(), 7, "Project ID".into()),
            ("rule".into(), "spend/5".into(), 8, "".into()),
        ],
        "{body}"
    );
    let out = dir.path().join("report-csv");
    std::fs::create_dir(&out).unwrap();
    let sheets = libreoffice_sheets(&report, &out);
    assert_eq!(sheets, vec!["spend-report-Data.csv", "spend-report-Errors.csv"]);
    let errors = std::fs::read_to_string(out.join("spend-report-Errors.csv")).unwrap();
    assert!(errors.starts_with("spend.csv: 4 errors and 1 warning"), "{errors}");
    assert!(errors.contains("Spend over £5,000,000 by one project in one quarter must be confirmed"));

    // LibreOffice opens the report and, saving it again, keeps exactly the marked cells marked.
    let resaved = dir.path().join("resaved");
    std::fs::create_dir(&resaved).unwrap();
    let status = Command::new("soffice")
        .args(["--headless", "--norestore", "--convert-to", "xlsx", "--outdir"])
        .arg(&resaved)
        .arg(&report)
        .env("HOME", &resaved)
        .output()
        .unwrap();
    assert!(status.status.success());
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(resaved.join("spend-report.xlsx")).unwrap();
    let styles = book.worksheet_style("Data").unwrap();
    let mut marked = Vec::new();
    // Row 1 is the header (grey); the data starts on row 2.
    for row in 1..9u32 {
        for col in 0..4u32 {
            if let Some(color) =
                styles.get((row, col)).and_then(|s| s.fill.as_ref()).and_then(|f| f.get_color())
            {
                marked.push((row + 1, col, (color.red, color.green, color.blue)));
            }
        }
    }
    let (red, yellow) = ((0xF6, 0xD7, 0xD2), (0xFF, 0xF2, 0xCC));
    // Rows 3, 4, 6, 7 have an error in one cell each; row 8's warning is on the row (column A).
    assert_eq!(marked, vec![(3, 0, red), (4, 1, red), (6, 3, red), (7, 0, red), (8, 0, yellow)]);
}
