//! Exports through the API: records uploaded from a CSV come back with every value identical;
//! DuckDB (from PyPI, as an analyst would run it) reads the Parquet export and finds the
//! database's row count and money sums; an organisation's people get only their organisation's
//! rows in every format, an analyst everyone's; a towns-fund return gives one file per table
//! joined by reference; two versions export under one set of columns; a large export runs as a
//! job that only its requester downloads until it expires; a scheduled export writes its files
//! and manifest to an S3-compatible server.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Cursor, Read as _};
use std::path::{Path, PathBuf};

use formwork_definition::validate::Context;
use formwork_files::Files;
use formwork_service::Actor;
use formwork_tabular::{Limits, Options};
use reqwest::Method;
use rust_decimal::Decimal;
use serde_json::{Map, Value};

use crate::support::s3::{ACCESS_KEY, S3Server, SECRET_KEY};
use crate::support::{Caller, Storage, TestApp, caller, on_both};
use crate::uploads_api::lettings;

const LETTINGS: &str = include_str!("../../../../examples/lettings-log.yaml");

/// A valid lettings CSV of `count` records.
fn csv(count: usize, seed: u64) -> Vec<u8> {
    crate::uploads_api::csv(count, 0.0, seed).0
}

/// Upload `bytes` as `org`'s provider and store it.
async fn stored(app: &TestApp, caller: &Caller<'_>, org: &str, bytes: Vec<u8>) {
    let path = format!("/api/v1/uploads?collection=lettings-log&organisation={org}&file_name={org}.csv");
    let reply = caller.call(Method::POST, &path, &[], Some((bytes, "text/csv"))).await;
    assert_eq!(reply.status, 202, "{}", reply.text);
    app.run_jobs().await;
    let upload = caller.get(&reply.location()).await.json();
    assert_eq!(upload["state"], "stored", "{upload}");
}

/// What the engine makes of each record of a lettings CSV: its answers as stored, canonical JSON,
/// sorted (the order of rows is not the question).
fn answers_of_csv(bytes: &[u8]) -> Vec<String> {
    let def = formwork_definition::load(LETTINGS.as_bytes()).unwrap();
    let mut found: Vec<String> = Vec::new();
    let mut sink = |checked: formwork_tabular::CheckedAnswers| {
        found.push(serde_json::to_string(&checked.answers).unwrap());
    };
    let context = Context { today: chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(), period: None };
    let report = formwork_tabular::validate_csv_into(
        &def,
        bytes,
        &context,
        &Limits::default(),
        &Options::default(),
        &mut sink,
    )
    .unwrap();
    assert!(report.read_as.is_some() && report.records == found.len(), "the CSV reads back: {report:?}");
    found.sort();
    found
}

/// Rows of a CSV (after its BOM), as header → value maps.
fn csv_rows(bytes: &[u8]) -> (Vec<String>, Vec<BTreeMap<String, String>>) {
    let text =
        std::str::from_utf8(bytes.strip_prefix(b"\xef\xbb\xbf").expect("a CSV export starts with a BOM"))
            .unwrap();
    let mut reader = formwork_tabular::csv::CsvReader::new(text.as_bytes(), &Limits::default());
    let header: Vec<String> =
        reader.next_record().unwrap().unwrap().fields.iter().map(|f| f.to_string()).collect();
    let mut rows = Vec::new();
    while let Some(record) = reader.next_record().unwrap() {
        rows.push(header.iter().cloned().zip(record.fields.iter().map(|f| f.to_string())).collect());
    }
    (header, rows)
}

/// The Python that has DuckDB (scripts/setup makes it).
fn python() -> PathBuf {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python");
    assert!(venv.exists(), "{} is missing: run scripts/setup (it installs DuckDB from PyPI)", venv.display());
    venv
}

/// Run `sql` in DuckDB over the Parquet file `file` (as the view `t`); the rows as JSON.
fn duckdb(file: &Path, sql: &str) -> Value {
    let script = "import duckdb, json, sys\n\
                  con = duckdb.connect()\n\
                  path = sys.argv[1].replace(\"'\", \"''\")\n\
                  con.execute(f\"CREATE VIEW t AS SELECT * FROM read_parquet('{path}')\")\n\
                  rows = con.execute(sys.argv[2]).fetchall()\n\
                  print(json.dumps([[str(v) if v is not None else None for v in r] for r in rows]))";
    let out = std::process::Command::new(python()).arg("-c").arg(script).arg(file).arg(sql).output().unwrap();
    assert!(out.status.success(), "duckdb: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Every stored record's answers (not deleted), read from the database.
async fn stored_answers(app: &TestApp) -> Vec<Map<String, Value>> {
    let mut conn = app.store().conn().await.unwrap();
    let selection = formwork_store::search::Selection::all(formwork_store::search::Subject::Records);
    let mut all = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let batch =
            formwork_store::search::batch(&mut conn, &selection, after.as_deref(), 1000).await.unwrap();
        if batch.is_empty() {
            break;
        }
        after = batch.last().map(|r| r.id.clone());
        all.extend(batch.iter().map(|r| serde_json::from_str::<Map<String, Value>>(&r.answers).unwrap()));
    }
    all
}

#[tokio::test]
async fn records_uploaded_from_a_csv_export_back_to_csv_with_every_value_identical() {
    on_both(|app| async move {
        lettings(&app).await;
        let client = app.client();
        let north = caller(&app, &client, "provider@northshire.test").await;
        let uploaded = csv(250, 11);
        stored(&app, &north, "northshire", uploaded.clone()).await;

        let reply = north.get("/api/v1/exports/lettings-log.csv").await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        assert_eq!(reply.header("content-type"), "text/csv; charset=utf-8");
        assert!(reply.header("content-disposition").contains("lettings-log.csv"));
        assert!(reply.header("link").contains("rel=\"describedby\""), "the data dictionary is linked");
        let (header, rows) = csv_rows(&reply.bytes);
        assert_eq!(rows.len(), 250);
        for meta in
            ["_id", "_organisation", "_organisation_id", "_period", "_state", "_version", "_updated_at"]
        {
            assert!(header.iter().any(|h| h == meta), "{meta} in {header:?}");
        }
        // Every value the engine read from the upload, the engine reads back from the export.
        assert_eq!(answers_of_csv(&reply.bytes), answers_of_csv(&uploaded));

        let labels = north.get("/api/v1/exports/lettings-log.csv?headers=labels").await;
        let (label_header, _) = csv_rows(&labels.bytes);
        let def = formwork_definition::load(LETTINGS.as_bytes()).unwrap();
        assert!(label_header.contains(&def.questions[0].label), "{label_header:?}");
    })
    .await;
}

#[tokio::test]
async fn the_parquet_export_read_by_duckdb_has_the_rows_and_money_sums_of_the_database() {
    on_both(|app| async move {
        lettings(&app).await;
        let client = app.client();
        let north = caller(&app, &client, "provider@northshire.test").await;
        let south = caller(&app, &client, "provider@southvale.test").await;
        stored(&app, &north, "northshire", csv(300, 21)).await;
        stored(&app, &south, "southvale", csv(120, 22)).await;
        let analyst = caller(&app, &client, "analyst@staff.test").await;
        let reply = analyst.get("/api/v1/exports/lettings-log.parquet").await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        assert!(reply.bytes.starts_with(b"PAR1") && reply.bytes.ends_with(b"PAR1"));
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("lettings.parquet");
        std::fs::write(&file, &reply.bytes).unwrap();

        let def = formwork_definition::load(LETTINGS.as_bytes()).unwrap();
        let money: Vec<&str> = def
            .questions
            .iter()
            .filter(|q| q.ty == formwork_definition::model::QuestionType::Money)
            .map(|q| q.id.as_str())
            .collect();
        assert!(!money.is_empty());
        let answers = stored_answers(&app).await;
        let sums: Vec<String> = money.iter().map(|m| format!("sum({m})")).collect();
        let found = duckdb(&file, &format!("SELECT count(*), {} FROM t", sums.join(", ")));
        assert_eq!(found[0][0], Value::from(answers.len().to_string()));
        for (i, column) in money.iter().enumerate() {
            let expected: Decimal = answers
                .iter()
                .filter_map(|a| a.get(*column).and_then(Value::as_str))
                .map(|text| text.parse::<Decimal>().unwrap())
                .sum();
            let got: Decimal = found[0][i + 1].as_str().unwrap_or("0").parse().unwrap();
            assert_eq!(got, expected, "the sum of {column}");
        }
        // Typed columns: DuckDB sees dates as DATE, money as DECIMAL, yes/no as BOOLEAN.
        let types = duckdb(&file, "SELECT column_name, column_type FROM (DESCRIBE t)");
        let type_of = |name: &str| {
            types
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r[0] == name)
                .map(|r| r[1].as_str().unwrap().to_string())
        };
        for q in &def.questions {
            let expected = match q.ty {
                formwork_definition::model::QuestionType::Money => "DECIMAL(18,2)",
                formwork_definition::model::QuestionType::Date => "DATE",
                formwork_definition::model::QuestionType::YesNo => "BOOLEAN",
                formwork_definition::model::QuestionType::Integer => "BIGINT",
                formwork_definition::model::QuestionType::MultiChoice => "VARCHAR[]",
                _ => continue,
            };
            assert_eq!(type_of(&q.id).as_deref(), Some(expected), "{}", q.id);
        }
    })
    .await;
}

/// The organisation ids in an export of `format`'s bytes.
fn organisations_in(format: &str, bytes: &[u8]) -> (usize, BTreeSet<String>) {
    match format {
        "csv" => {
            let (_, rows) = csv_rows(bytes);
            (rows.len(), rows.iter().map(|r| r["_organisation_id"].clone()).collect())
        }
        "jsonl" => {
            let lines: Vec<Value> = std::str::from_utf8(bytes)
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect();
            (lines.len(), lines.iter().map(|l| l["_organisation_id"].as_str().unwrap().to_string()).collect())
        }
        "xlsx" => {
            use calamine::{Reader as _, Xlsx};
            let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes.to_vec())).unwrap();
            let sheet = book.sheet_names()[0].clone();
            let range = book.worksheet_range(&sheet).unwrap();
            let mut rows = range.rows();
            let header: Vec<String> = rows.next().unwrap().iter().map(|c| c.to_string()).collect();
            let at = header.iter().position(|h| h == "_organisation_id").unwrap();
            let values: Vec<String> = rows.map(|r| r[at].to_string()).collect();
            (values.len(), values.into_iter().collect())
        }
        "parquet" => {
            let dir = tempfile::tempdir().unwrap();
            let file = dir.path().join("x.parquet");
            std::fs::write(&file, bytes).unwrap();
            let count = duckdb(&file, "SELECT count(*) FROM t");
            let orgs = duckdb(&file, "SELECT DISTINCT _organisation_id FROM t");
            (
                count[0][0].as_str().unwrap().parse().unwrap(),
                orgs.as_array().unwrap().iter().map(|r| r[0].as_str().unwrap().to_string()).collect(),
            )
        }
        other => panic!("{other}"),
    }
}

#[tokio::test]
async fn an_organisations_people_export_only_their_rows_in_every_format_and_an_analyst_everyones() {
    on_both(|app| async move {
        lettings(&app).await;
        let client = app.client();
        let north = caller(&app, &client, "provider@northshire.test").await;
        let south = caller(&app, &client, "provider@southvale.test").await;
        stored(&app, &north, "northshire", csv(40, 31)).await;
        stored(&app, &south, "southvale", csv(25, 32)).await;
        let analyst = caller(&app, &client, "analyst@staff.test").await;
        for format in ["csv", "jsonl", "xlsx", "parquet"] {
            let path = format!("/api/v1/exports/lettings-log.{format}");
            let reply = north.get(&path).await;
            assert_eq!(reply.status, 200, "{format}: {}", reply.text);
            assert_eq!(
                organisations_in(format, &reply.bytes),
                (40, BTreeSet::from(["northshire".to_string()])),
                "{format}"
            );
            // Asking for the other organisation finds nothing of it.
            let reply = north.get(&format!("{path}?organisation=southvale")).await;
            assert!(reply.status == 200 || reply.status == 404, "{format}: {}", reply.status);
            if reply.status == 200 {
                assert_eq!(organisations_in(format, &reply.bytes).0, 0, "{format}");
            }
            let reply = analyst.get(&path).await;
            assert_eq!(
                organisations_in(format, &reply.bytes),
                (65, BTreeSet::from(["northshire".to_string(), "southvale".to_string()])),
                "{format}"
            );
        }
        let nobody = caller(&app, &client, "nobody@none.test").await;
        assert_eq!(nobody.get("/api/v1/exports/lettings-log.csv").await.status, 403);
        let anonymous = app.client().get("/api/v1/exports/lettings-log.csv").await;
        assert_eq!(anonymous.status, 401);
    })
    .await;
}

#[tokio::test]
async fn bad_export_requests_get_clear_messages() {
    let app = TestApp::on(formwork_store::Backend::Sqlite).await;
    lettings(&app).await;
    let client = app.client();
    let analyst = caller(&app, &client, "analyst@staff.test").await;
    for (path, status, words) in [
        ("/api/v1/exports/lettings-log.pdf", 422, "no export format"),
        ("/api/v1/exports/no-such-log.csv", 404, "no collection"),
        ("/api/v1/exports/lettings-log", 404, "/exports/COLLECTION.csv"),
        ("/api/v1/exports/lettings-log.csv?headers=nice", 422, "headers must be ids or labels"),
        ("/api/v1/exports/lettings-log.csv?choices=nice", 422, "choices must be values or labels"),
        ("/api/v1/exports/lettings-log.csv?table=spend", 422, "no table section"),
        ("/api/v1/exports/lettings-log.csv?state=lost", 422, "lost"),
        ("/api/v1/exports/lettings-log.csv?updated_since=yesterday", 422, "must be a real date"),
    ] {
        let reply = analyst.get(path).await;
        assert_eq!(reply.status, status, "{path}: {}", reply.text);
        assert!(reply.text.contains(words), "{path}: {}", reply.text);
    }
}

/// The names of the files in a zip.
fn zip_names(bytes: &[u8]) -> Vec<String> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes.to_vec())).unwrap();
    (0..archive.len()).map(|i| archive.by_index(i).unwrap().name().unwrap().to_string()).collect()
}

fn zip_file(bytes: &[u8], name: &str) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes.to_vec())).unwrap();
    let mut out = Vec::new();
    archive.by_name(name).unwrap().read_to_end(&mut out).unwrap();
    out
}

#[tokio::test]
async fn a_towns_fund_return_exports_one_file_or_sheet_per_table_joined_by_reference() {
    let app = TestApp::on(formwork_store::Backend::Sqlite).await;
    let demo = formwork_service::demo::load(
        app.app(),
        &Files::from_url("memory://").unwrap(),
        &crate::support::EXAMPLES,
    )
    .await
    .unwrap();
    let analyst = demo.groups[0].people.iter().find(|p| p.role.to_lowercase().contains("analyst")).unwrap();
    let token = app.token(&analyst.email).await;
    let client = app.client();
    let get = |path: &'static str| {
        let client = &client;
        let token = token.clone();
        async move { client.api(Method::GET, path, &token, None).await }
    };
    let def = formwork_definition::load(crate::support::EXAMPLES[0].as_bytes()).unwrap();
    let tables: Vec<String> = def.tables.iter().map(|t| t.id.clone()).collect();
    assert!(!tables.is_empty());

    let zipped = get("/api/v1/exports/towns-fund-monitoring.csv").await;
    assert_eq!(zipped.status, 200, "{}", zipped.text);
    assert_eq!(zipped.header("content-type"), "application/zip");
    let names = zip_names(&zipped.bytes);
    assert!(names.contains(&"towns-fund-monitoring.csv".to_string()), "{names:?}");
    assert!(names.iter().any(|n| n.starts_with("data-dictionary")), "{names:?}");
    let (_, submissions) = csv_rows(&zip_file(&zipped.bytes, "towns-fund-monitoring.csv"));
    assert!(!submissions.is_empty());
    let ids: BTreeSet<String> = submissions.iter().map(|r| r["_id"].clone()).collect();
    for table in &tables {
        let name = format!("towns-fund-monitoring-{table}.csv");
        assert!(names.contains(&name), "{name} in {names:?}");
        let (header, rows) = csv_rows(&zip_file(&zipped.bytes, &name));
        assert_eq!(&header[..3], ["_id", "_reference", "_row"], "{table}");
        assert!(rows.iter().all(|r| ids.contains(&r["_id"])), "every row of {table} joins a submission");
    }
    // A submitted return's rows carry its reference.
    let referenced: Vec<&BTreeMap<String, String>> =
        submissions.iter().filter(|r| !r["_reference"].is_empty()).collect();
    assert!(!referenced.is_empty(), "the demo has submitted returns");

    let book = get("/api/v1/exports/towns-fund-monitoring.xlsx").await;
    assert_eq!(book.status, 200);
    use calamine::Reader as _;
    let workbook: calamine::Xlsx<_> = calamine::Xlsx::new(Cursor::new(book.bytes.to_vec())).unwrap();
    let sheets = workbook.sheet_names();
    for section in &def.sections {
        assert!(
            sheets.iter().any(|s| section.title.starts_with(s.trim_end_matches('…')) || s == &section.title),
            "a sheet for {} in {sheets:?}",
            section.title
        );
    }

    let parquet = get("/api/v1/exports/towns-fund-monitoring.parquet").await;
    assert_eq!(parquet.status, 200);
    let names = zip_names(&parquet.bytes);
    let dir = tempfile::tempdir().unwrap();
    for table in &tables {
        let name = format!("towns-fund-monitoring-{table}.parquet");
        assert!(names.contains(&name), "{name} in {names:?}");
        let file = dir.path().join(&name);
        std::fs::write(&file, zip_file(&parquet.bytes, &name)).unwrap();
        let joined = duckdb(&file, "SELECT count(*), count(DISTINCT _id) FROM t");
        assert!(joined[0][0].as_str().unwrap().parse::<u64>().unwrap() > 0, "{table} has rows");
    }
    let only = get("/api/v1/exports/towns-fund-monitoring.csv?table=spend").await;
    if tables.iter().any(|t| t == "spend") {
        assert_eq!(only.status, 200);
        assert_eq!(only.header("content-type"), "text/csv; charset=utf-8");
    }
}

#[tokio::test]
async fn a_collection_with_two_versions_exports_under_one_set_of_column_names() {
    on_both(|app| async move {
        lettings(&app).await;
        let client = app.client();
        let north = caller(&app, &client, "provider@northshire.test").await;
        stored(&app, &north, "northshire", csv(20, 41)).await;
        let def = formwork_definition::load(LETTINGS.as_bytes()).unwrap();
        // Version 2 renames a question (keeping its answers by `renamed_from`).
        let old = def
            .questions
            .iter()
            .find(|q| {
                q.ty == formwork_definition::model::QuestionType::Integer
                    && !def.record_key.contains(&q.slot)
                    && q.when.is_none()
            })
            .unwrap()
            .id
            .clone();
        let new = format!("{old}_v2");
        let v2 = LETTINGS
            .replacen("version: 1", "version: 2", 1)
            .replacen(&format!("{{id: {old}, "), &format!("{{id: {new}, renamed_from: {old}, "), 1);
        assert!(v2.contains(&format!("renamed_from: {old}")), "the rename was made");
        formwork_service::collections::publish(app.app(), &Actor::System, v2.as_bytes()).await.unwrap();
        let south = caller(&app, &client, "provider@southvale.test").await;
        let reply = south
            .call(
                Method::POST,
                "/api/v1/records",
                &[],
                Some((
                    serde_json::to_vec(&serde_json::json!({
                        "collection": "lettings-log", "organisation": "southvale", "answers": {new.clone(): "7"}
                    }))
                    .unwrap(),
                    "application/json",
                )),
            )
            .await;
        assert_eq!(reply.status, 201, "{}", reply.text);
        let analyst = caller(&app, &client, "analyst@staff.test").await;
        let (header, rows) = csv_rows(&analyst.get("/api/v1/exports/lettings-log.csv").await.bytes);
        assert!(header.contains(&new) && !header.contains(&old), "one column, by its newest id: {header:?}");
        let v1: Vec<_> = rows.iter().filter(|r| r["_version"] == "1").collect();
        let v2: Vec<_> = rows.iter().filter(|r| r["_version"] == "2").collect();
        assert_eq!((v1.len(), v2.len()), (20, 1));
        assert!(v1.iter().all(|r| !r[&new].is_empty()), "version 1's answers are under the new name");
        assert_eq!(v2[0][&new], "7");
    })
    .await;
}

#[tokio::test]
async fn a_large_export_runs_as_a_job_that_only_its_requester_downloads_until_it_expires() {
    on_both(|app| async move {
        lettings(&app).await;
        let client = app.client();
        let north = caller(&app, &client, "provider@northshire.test").await;
        stored(&app, &north, "northshire", csv(60, 51)).await;
        let analyst = caller(&app, &client, "analyst@staff.test").await;
        let reply = analyst
            .json(Method::POST, "/api/v1/exports", &[], &serde_json::json!({"collection": "lettings-log", "format": "csv", "filters": {"organisation": "northshire"}}))
            .await;
        assert_eq!(reply.status, 202, "{}", reply.text);
        let location = reply.location();
        assert_eq!(reply.json()["state"], "queued");
        app.run_jobs().await;
        let job = analyst.get(&location).await.json();
        assert_eq!(job["state"], "ready", "{job}");
        assert_eq!(job["rows_done"], 60);
        let file = analyst.get(job["download"].as_str().unwrap()).await;
        assert_eq!(file.status, 200);
        let streamed = analyst.get("/api/v1/exports/lettings-log.csv?organisation=northshire").await;
        assert_eq!(csv_rows(&file.bytes).1.len(), 60);
        assert_eq!(answers_of_csv(&file.bytes), answers_of_csv(&streamed.bytes), "the file is the streamed export");

        // Nobody else downloads it: not another analyst, not an admin.
        for other in ["reviewer@staff.test", "admin@staff.test"] {
            let them = caller(&app, &client, other).await;
            assert_eq!(them.get(&location).await.status, 404, "{other}");
            assert_eq!(them.get(job["download"].as_str().unwrap()).await.status, 404, "{other}");
        }
        // After its time, the file is removed and the link says so.
        app.clock.advance(25 * 3_600_000);
        formwork_service::exports::remove_expired(app.app(), app.state.files()).await.unwrap();
        let gone = analyst.get(job["download"].as_str().unwrap()).await;
        assert_eq!(gone.status, 404);
        assert!(gone.text.contains("expired"), "{}", gone.text);
        assert_eq!(analyst.get(&location).await.json()["state"], "expired");
    })
    .await;
}

#[tokio::test]
async fn a_scheduled_export_writes_its_files_and_manifest_to_an_s3_compatible_server() {
    crate::support::tls();
    let s3 = S3Server::start("warehouse").await;
    let files = Files::s3_at(&s3.endpoint, "warehouse", "", ACCESS_KEY, SECRET_KEY).unwrap();
    let app = TestApp::builder().storage(Storage::Files(files)).start().await;
    lettings(&app).await;
    let client = app.client();
    let north = caller(&app, &client, "provider@northshire.test").await;
    stored(&app, &north, "northshire", csv(30, 61)).await;
    app.clock.advance(1_000);
    let admin = caller(&app, &client, "admin@staff.test").await;
    let reply = admin
        .json(
            Method::POST,
            "/api/v1/scheduled-exports",
            &[],
            &serde_json::json!({"collection": "lettings-log", "format": "parquet", "prefix": "feeds/lettings", "mode": "changes"}),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    let id = reply.json()["id"].as_str().unwrap().to_string();
    let analyst = caller(&app, &client, "analyst@staff.test").await;
    assert_eq!(
        analyst
            .json(Method::POST, &format!("/api/v1/scheduled-exports/{id}/run"), &[], &Value::Null)
            .await
            .status,
        403
    );

    let manifest =
        admin.json(Method::POST, &format!("/api/v1/scheduled-exports/{id}/run"), &[], &Value::Null).await;
    assert_eq!(manifest.status, 200, "{}", manifest.text);
    let manifest = manifest.json();
    let listed = manifest["files"].as_array().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["rows"], 30);
    // The files are where the manifest says, in the bucket, with its SHA-256.
    let key = listed[0]["key"].as_str().unwrap();
    assert!(key.starts_with("feeds/lettings/lettings-log/"), "{key}");
    let on_disk = s3.root.path().join("warehouse").join(key);
    let bytes = std::fs::read(&on_disk).unwrap();
    use sha2::Digest as _;
    let digest: String = sha2::Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(listed[0]["sha256"], digest);
    assert_eq!(listed[0]["size"], bytes.len());
    let manifest_key = key.rsplit_once('/').unwrap().0.to_string() + "/manifest.json";
    let written: Value =
        serde_json::from_slice(&std::fs::read(s3.root.path().join("warehouse").join(&manifest_key)).unwrap())
            .unwrap();
    assert_eq!(written["files"], manifest["files"]);

    // The next night holds only what changed since: nothing yet.
    app.clock.advance(86_400_000);
    let again = admin
        .json(Method::POST, &format!("/api/v1/scheduled-exports/{id}/run"), &[], &Value::Null)
        .await
        .json();
    assert_eq!(again["files"][0]["rows"], 0, "{again}");
    let feeds = admin.get("/api/v1/scheduled-exports").await.json();
    assert!(feeds[0]["last_manifest"].as_str().unwrap().ends_with("manifest.json"));
}
