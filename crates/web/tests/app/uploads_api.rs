//! Uploads through the API alone: `POST /api/v1/uploads` answers 202 with a Location, a job
//! checks the file, `GET /api/v1/uploads/{id}` shows the outcome with the report's summary and
//! its items a page at a time; the corrected file is stored; the same file again is recognised;
//! each organisation sees only its own; only service admins download the original or check a
//! failed file again.

use formwork_service::Actor;
use formwork_service::organisations::add_member;
use formwork_service::people::{NewPerson, create as create_person};
use reqwest::Method;
use serde_json::Value;

use crate::support::{Caller, Reply, TestApp, caller, on_both};

const LETTINGS: &str = include_str!("../../../../examples/lettings-log.yaml");

/// The lettings log assigned to both organisations, with a data provider in each.
pub(crate) async fn lettings(app: &TestApp) {
    app.seed().await;
    for org in ["northshire", "southvale"] {
        formwork_service::collections::assign(app.app(), &Actor::System, "lettings-log", org).await.unwrap();
        let email = format!("provider@{org}.test");
        let person = NewPerson { email: email.clone(), ..Default::default() };
        create_person(app.app(), &Actor::System, &person).await.unwrap();
        add_member(app.app(), &Actor::System, org, &email, &["data_provider".to_string()]).await.unwrap();
    }
}

/// A lettings CSV of `count` records, with `errors` of them given a planted error.
pub(crate) fn csv(count: usize, error_rate: f64, seed: u64) -> (Vec<u8>, usize) {
    let def = formwork_definition::load(LETTINGS.as_bytes()).unwrap();
    let header: Vec<String> =
        formwork_tabular::template::csv(&def, None).unwrap().trim().split(',').map(str::to_string).collect();
    let mut out = (header.join(",") + "\r\n").into_bytes();
    let kinds = [
        (formwork_definition::validate::Code::Min, formwork_definition::Severity::Error),
        (formwork_definition::validate::Code::Choice, formwork_definition::Severity::Error),
    ];
    let planted = formwork_testdata::Generator::new(&def, seed)
        .log_records_of(count, error_rate, &kinds, 2, |record| {
            out.extend_from_slice(formwork_testdata::csv_line(&header, record).as_bytes());
            Ok(())
        })
        .unwrap()
        .unwrap();
    (out, planted.len())
}

async fn upload(caller: &Caller<'_>, org: &str, name: &str, bytes: Vec<u8>) -> Reply {
    let path = format!("/api/v1/uploads?collection=lettings-log&organisation={org}&file_name={name}");
    caller.call(Method::POST, &path, &[], Some((bytes, "text/csv"))).await
}

/// Run the queued jobs and read the upload.
async fn settled(app: &TestApp, caller: &Caller<'_>, location: &str) -> Value {
    app.run_jobs().await;
    let reply = caller.get(location).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json()
}

#[tokio::test]
async fn an_upload_with_errors_is_reported_then_the_corrected_file_is_stored() {
    on_both(|app| async move {
        lettings(&app).await;
        let client = app.client();
        let provider = caller(&app, &client, "provider@northshire.test").await;
        let (broken, planted) = csv(300, 0.05, 3);
        assert!(planted > 5);
        let reply = upload(&provider, "northshire", "lettings.csv", broken).await;
        assert_eq!(reply.status, 202, "{}", reply.text);
        let location = reply.location();
        assert!(location.starts_with("/api/v1/uploads/"), "{location}");
        assert_eq!(reply.json()["state"], "queued");
        let failed = settled(&app, &provider, &location).await;
        assert_eq!(failed["state"], "failed");
        assert_eq!(failed["error_count"], planted);
        assert_eq!(failed["stored_count"], 0);
        assert_eq!(failed["rows_read"], 300);
        let summary = failed["summary"].as_array().unwrap();
        assert!(summary.iter().all(|g| g["severity"] == "error" && g["count"].as_u64().unwrap() > 0));
        assert_eq!(summary.iter().map(|g| g["count"].as_u64().unwrap()).sum::<u64>(), planted as u64);
        let items = failed["items"].as_array().unwrap();
        assert_eq!(items.len(), planted);
        assert!(items.iter().all(|i| i["row"].as_u64().unwrap() >= 2 && i["column"].is_string()));
        let annotated = provider.get(failed["annotated_workbook"].as_str().unwrap()).await;
        assert_eq!(annotated.status, 200);
        assert!(annotated.bytes.starts_with(b"PK\x03\x04"), "an XLSX workbook");
        assert!(annotated.header("content-disposition").contains("lettings-errors.xlsx"));

        let (clean, none) = csv(300, 0.0, 4);
        assert_eq!(none, 0);
        let reply = upload(&provider, "northshire", "lettings-fixed.csv", clean.clone()).await;
        assert_eq!(reply.status, 202, "{}", reply.text);
        let stored = settled(&app, &provider, &reply.location()).await;
        assert_eq!((&stored["state"], &stored["stored_count"]), (&Value::from("stored"), &Value::from(300)));

        let again = upload(&provider, "northshire", "lettings-fixed (2).csv", clean).await;
        assert_eq!(again.status, 202);
        assert_eq!(again.json()["state"], "same_file");
        assert_eq!(again.json()["same_as"], stored["id"]);

        let listed = provider.get("/api/v1/uploads?collection=lettings-log").await.json();
        assert_eq!(listed.as_array().unwrap().len(), 3, "newest first: {listed}");
        assert_eq!(listed[0]["state"], "same_file");
    })
    .await;
}

#[tokio::test]
async fn the_report_comes_a_page_at_a_time_and_a_multipart_upload_works_too() {
    let app = TestApp::on(formwork_store::Backend::Sqlite).await;
    lettings(&app).await;
    let client = app.client();
    let provider = caller(&app, &client, "provider@northshire.test").await;
    let (broken, planted) = csv(3_000, 0.05, 5);
    assert!(planted > 100, "{planted}");
    let boundary = "formwork-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"collection\"\r\n\r\nlettings-log\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"organisation\"\r\n\r\nnorthshire\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\nContent-Type: text/csv\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&broken);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let reply = provider.call(Method::POST, "/api/v1/uploads", &[], Some((body, &content_type))).await;
    assert_eq!(reply.status, 202, "{}", reply.text);
    let first = settled(&app, &provider, &reply.location()).await;
    assert_eq!(first["file_name"], "big.csv");
    assert_eq!(first["items"].as_array().unwrap().len(), 100);
    let mut seen = first["items"].as_array().unwrap().len();
    let mut next = first["next_page"].as_str().map(str::to_string);
    while let Some(page) = next {
        let body = provider.get(&page).await.json();
        seen += body["items"].as_array().unwrap().len();
        next = body["next_page"].as_str().map(str::to_string);
    }
    assert_eq!(seen, planted, "every item, across the pages");
}

#[tokio::test]
async fn each_organisation_sees_only_its_own_uploads_and_admins_alone_take_the_original() {
    on_both(|app| async move {
        lettings(&app).await;
        let client = app.client();
        let north = caller(&app, &client, "provider@northshire.test").await;
        let south = caller(&app, &client, "provider@southvale.test").await;
        let admin = caller(&app, &client, "admin@staff.test").await;
        let analyst = caller(&app, &client, "analyst@staff.test").await;
        let (broken, _) = csv(40, 0.2, 6);
        let reply = upload(&north, "northshire", "mine.csv", broken.clone()).await;
        let location = reply.location();
        let failed = settled(&app, &north, &location).await;
        assert_eq!(failed["state"], "failed");
        let id = failed["id"].as_str().unwrap();

        for path in [location.clone(), format!("{location}/annotated.xlsx"), format!("{location}/original")] {
            let reply = south.get(&path).await;
            assert_eq!(reply.status, 404, "{path}: {}", reply.text);
        }
        let listed = south.get("/api/v1/uploads").await.json();
        assert!(listed.as_array().unwrap().iter().all(|u| u["id"] != id), "{listed}");
        let theirs = upload(&south, "northshire", "x.csv", broken.clone()).await;
        assert_eq!(theirs.status, 422, "{}", theirs.text);
        assert_eq!(theirs.json()["error"]["details"][0]["path"], "organisation");

        assert_eq!(north.get(&format!("{location}/original")).await.status, 403);
        let original = admin.get(&format!("{location}/original")).await;
        assert_eq!(original.status, 200);
        assert_eq!(original.bytes, broken, "the file exactly as it was uploaded");
        assert_eq!(analyst.get(&location).await.status, 200, "the staff read every organisation's uploads");

        let path = format!("{location}/rerun");
        assert_eq!(north.call(Method::POST, &path, &[], None).await.status, 403);
        let rerun = admin.call(Method::POST, &path, &[], None).await;
        assert_eq!(rerun.status, 202, "{}", rerun.text);
        assert_eq!(rerun.json()["state"], "queued");
        assert_eq!(
            settled(&app, &north, &location).await["state"],
            "failed",
            "the same file fails the same way"
        );
        let confirm = format!("{location}/confirm");
        let reason = || Some((br#"{"reason":"x"}"#.to_vec(), "application/json"));
        let staff = analyst.call(Method::POST, &confirm, &[], reason()).await;
        assert_eq!(staff.status, 403, "staff do not confirm an organisation's warnings: {}", staff.text);
        let early = north.call(Method::POST, &confirm, &[], reason()).await;
        assert_eq!(early.status, 409, "{}", early.text);
        assert!(early.text.contains("no warnings to confirm: this upload has errors"), "{}", early.text);
    })
    .await;
}

#[tokio::test]
async fn a_bad_upload_request_is_refused_with_what_to_put_right() {
    let app = TestApp::on(formwork_store::Backend::Sqlite).await;
    lettings(&app).await;
    let client = app.client();
    let provider = caller(&app, &client, "provider@northshire.test").await;
    let cases: [(&str, Vec<u8>, u16, &str); 5] = [
        ("/api/v1/uploads?organisation=northshire", b"a,b\r\n".to_vec(), 422, "Select the collection"),
        ("/api/v1/uploads?collection=lettings-log", b"a,b\r\n".to_vec(), 422, "Select the organisation"),
        (
            "/api/v1/uploads?collection=towns-fund-monitoring&organisation=northshire",
            b"a\r\n".to_vec(),
            422,
            "not a log",
        ),
        (
            "/api/v1/uploads?collection=lettings-log&organisation=northshire&period=2031-04-01",
            b"a\r\n".to_vec(),
            422,
            "not a period",
        ),
        ("/api/v1/uploads?collection=lettings-log&organisation=northshire", Vec::new(), 422, "empty"),
    ];
    for (path, body, status, words) in cases {
        let reply = provider.call(Method::POST, path, &[], Some((body, "text/csv"))).await;
        assert_eq!(reply.status, status, "{path}: {}", reply.text);
        assert!(reply.text.contains(words), "{path}: “{words}” in {}", reply.text);
    }
    let anonymous =
        client.send(Method::POST, "/api/v1/uploads", &[], Some((b"a".to_vec(), "text/csv"))).await;
    assert_eq!(anonymous.status, 401);
    let listed = provider.get("/api/v1/uploads").await.json();
    assert_eq!(listed, Value::Array(Vec::new()), "nothing was kept");
}
