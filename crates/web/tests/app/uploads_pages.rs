//! The pages of uploads, driven as a browser would: a lettings file with errors is reported
//! (grouped, then every error at its row and column, a page at a time), comes back marked up, and
//! a corrected file is stored; warnings are confirmed with one reason; the same file twice is
//! recognised; a refused file shows the form again; and nobody outside the organisation sees an
//! upload, while only service admins download the original or check it again.

use formwork_definition::Severity;
use formwork_definition::validate::Code;
use formwork_service::Actor;
use formwork_service::people::{NewPerson, create as create_person};
use formwork_store::Backend;
use formwork_testdata::{Generator, Planted, csv_line};
use reqwest::Method;

use crate::support::{Client, PASSWORD, Reply, TestApp};

pub const LETTINGS: &str = include_str!("../../../../examples/lettings-log.yaml");

/// northshire's data provider for the lettings log.
const PROVIDER: &str = "provider@northshire.test";

/// The seeded app, with the lettings log kept by northshire and southvale, each with a data
/// provider (`provider@{org}.test`).
pub async fn lettings_app() -> TestApp {
    let app = TestApp::on(Backend::Sqlite).await;
    app.seed().await;
    let system = Actor::System;
    for org in ["northshire", "southvale"] {
        formwork_service::collections::assign(app.app(), &system, "lettings-log", org).await.unwrap();
        let email = format!("provider@{org}.test");
        let person = NewPerson {
            email: email.clone(),
            name: Some(format!("Test provider at {org}")),
            password: Some(PASSWORD.into()),
            staff_role: None,
        };
        create_person(app.app(), &system, &person).await.unwrap();
        formwork_service::organisations::add_member(
            app.app(),
            &system,
            org,
            &email,
            &["data_provider".into()],
        )
        .await
        .unwrap();
    }
    app
}

/// A lettings CSV of `count` records from `seed`, about `rate` of them with one problem of `kinds`
/// planted, and what was planted.
pub fn lettings_csv(
    count: usize,
    rate: f64,
    kinds: &[(Code, Severity)],
    seed: u64,
) -> (Vec<u8>, Vec<Planted>) {
    let def = formwork_definition::load(LETTINGS.as_bytes()).unwrap();
    let header: Vec<String> =
        formwork_tabular::template::csv(&def, None).unwrap().trim().split(',').map(str::to_string).collect();
    let mut out = format!("{}\r\n", header.join(","));
    let planted = Generator::new(&def, seed)
        .log_records_of(count, rate, kinds, 2, |record| {
            out.push_str(&csv_line(&header, record));
            Ok(())
        })
        .unwrap()
        .unwrap();
    (out.into_bytes(), planted)
}

/// Errors that stay where they are planted (a cell of one column), one of each in turn.
const ERRORS: [(Code, Severity); 4] = [
    (Code::Type, Severity::Error),
    (Code::Min, Severity::Error),
    (Code::Max, Severity::Error),
    (Code::Choice, Severity::Error),
];

/// A multipart body: `fields` (the CSRF token first, as a browser sends it), then the file.
fn multipart(fields: &[(&str, &str)], file_name: &str, bytes: &[u8]) -> (Vec<u8>, String) {
    let boundary = "uploads-pages-boundary";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (body, format!("multipart/form-data; boundary={boundary}"))
}

/// Upload a file of lettings records for northshire's period as the form does.
async fn upload(client: &Client, path: &str, file_name: &str, bytes: &[u8]) -> Reply {
    let token = client.csrf_from("/cookies").await;
    let fields = [("csrf_token", token.as_str()), ("collection", "lettings-log"), ("period", "2026-04-01")];
    let (body, content_type) = multipart(&fields, file_name, bytes);
    client.send(Method::POST, path, &[], Some((body, &content_type))).await
}

/// The upload's page an upload answered with (303), after the worker has run.
async fn checked(app: &TestApp, client: &Client, reply: &Reply) -> (String, Reply) {
    assert_eq!(reply.status, 303, "{}", reply.text);
    let location = reply.location();
    let id = location.strip_prefix("/uploads/").unwrap_or_else(|| panic!("went to {location}")).to_string();
    app.run_jobs().await;
    (id, client.get(&location).await)
}

fn title(reply: &Reply) -> String {
    let start = reply.text.find("<title>").map_or(0, |s| s + "<title>".len());
    reply.text[start..].split("</title>").next().unwrap_or("").trim().to_string()
}

/// The page's text without its markup, spaces squeezed: what a person reads.
fn words(reply: &Reply) -> String {
    let tags = regex::Regex::new(r"(?s)<[^>]*>").unwrap();
    let text = tags.replace_all(&reply.text, " ");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[tokio::test]
async fn a_file_with_errors_is_reported_marked_up_and_a_corrected_file_is_stored() {
    let app = lettings_app().await;
    let provider = app.signed_in(PROVIDER).await;
    let form = provider.get("/organisations/northshire/uploads/new").await;
    assert_eq!(form.status, 200, "{}", form.text);
    let said = words(&form);
    assert!(said.contains("Upload a file of records: Social housing lettings log"), "{said}");
    assert!(said.contains("smaller than 5 MB"), "the limits are named: {said}");
    assert!(form.text.contains("/api/v1/collections/lettings-log/template.csv"), "the template");
    assert!(said.contains("The records are for"), "the one period there is: {said}");

    // 150 records, each with an error: two pages of them.
    let (bad, planted) = lettings_csv(150, 1.0, &ERRORS, 3);
    assert!(planted.len() > 100, "{} planted", planted.len());
    let sent = upload(&provider, "/organisations/northshire/uploads", "lettings.csv", &bad).await;
    assert_eq!(sent.status, 303, "{}", sent.text);
    let waiting = provider.get(&sent.location()).await;
    assert_eq!(waiting.status, 200);
    assert_eq!(title(&waiting), "Checking lettings.csv – Submit a return");
    assert!(
        waiting.text.contains("data-app-refresh") && words(&waiting).contains("Refresh"),
        "{}",
        waiting.text
    );

    let (id, report) = checked(&app, &provider, &sent).await;
    assert_eq!(report.status, 200);
    assert!(title(&report).starts_with("Error: lettings.csv has errors"), "{}", title(&report));
    let said = words(&report);
    let count = planted.len();
    assert!(said.contains(&format!("Your file has {count} errors. Nothing was stored")), "{said}");
    assert!(report.text.contains("govuk-error-summary"));
    assert!(said.contains("Summary of the errors"), "{said}");
    assert!(said.contains(&format!("Errors 1 to 100 of {count}")), "{said}");
    assert!(report.text.contains("govuk-pagination"), "{said}");
    assert!(!report.text.contains("data-app-refresh"), "a finished upload does not refresh");
    // Each planted error of the first page is listed at its row.
    let first = &planted[0];
    assert!(said.contains(&format!("{} ", first.row)), "row {}", first.row);
    let second = provider.get(&format!("/uploads/{id}?page=2")).await;
    assert!(words(&second).contains(&format!("Errors 101 to {count} of {count}")), "{}", words(&second));
    let last = planted.last().unwrap();
    assert!(words(&second).contains(&last.row.to_string()));

    let workbook = provider.get(&format!("/uploads/{id}/annotated")).await;
    assert_eq!(workbook.status, 200);
    assert!(workbook.bytes.starts_with(b"PK"), "a workbook");
    assert!(workbook.header("content-disposition").contains("lettings-errors.xlsx"));
    assert_eq!(workbook.header("x-content-type-options"), "nosniff");
    assert!(!said.contains("Download the original file"), "a member is not offered the original");

    // The corrected file, from the form on the report.
    assert!(report.text.contains("action=\"/organisations/northshire/uploads\""), "upload a corrected file");
    let (good, none) = lettings_csv(30, 0.0, &ERRORS, 4);
    assert!(none.is_empty());
    let sent = upload(&provider, "/organisations/northshire/uploads", "lettings-corrected.csv", &good).await;
    let (_, stored) = checked(&app, &provider, &sent).await;
    assert_eq!(title(&stored), "30 records stored – Submit a return");
    assert!(stored.text.contains("govuk-panel--confirmation"));
    assert!(
        stored.text.contains("/organisations/northshire/records/lettings-log"),
        "the records: {}",
        stored.text
    );

    let list = provider.get("/organisations/northshire/uploads").await;
    assert_eq!(list.status, 200);
    let said = words(&list);
    let newest = said.find("lettings-corrected.csv").unwrap();
    let older = said.find("lettings.csv").unwrap();
    assert!(newest < older, "newest first: {said}");
    assert!(said.contains("Has errors") && said.contains("Stored"), "{said}");
}

#[tokio::test]
async fn warnings_are_confirmed_with_one_reason_then_the_records_are_stored() {
    let app = lettings_app().await;
    let provider = app.signed_in(PROVIDER).await;
    let (csv, planted) = lettings_csv(20, 0.3, &[(Code::Rule, Severity::Warning)], 5);
    assert!(!planted.is_empty());
    let sent = upload(&provider, "/organisations/northshire/uploads", "warnings.csv", &csv).await;
    let (id, page) = checked(&app, &provider, &sent).await;
    assert_eq!(title(&page), "warnings.csv has warnings to confirm – Submit a return");
    assert!(words(&page).contains("Summary of the warnings"));

    let blank = provider.form(&format!("/uploads/{id}/confirm"), &[("reason", " ")]).await;
    assert_eq!(blank.status, 422, "{}", blank.text);
    assert!(title(&blank).starts_with("Error: "));
    assert!(words(&blank).contains("Enter why the answers are right despite the warnings"));

    let confirmed =
        provider.form(&format!("/uploads/{id}/confirm"), &[("reason", "Checked with the tenants")]).await;
    assert_eq!(confirmed.status, 303, "{}", confirmed.text);
    assert_eq!(confirmed.location(), format!("/uploads/{id}?notice=warnings-confirmed"));
    app.run_jobs().await;
    let stored = provider.get(&format!("/uploads/{id}")).await;
    assert_eq!(title(&stored), "20 records stored – Submit a return");
    assert!(words(&stored).contains("Checked with the tenants"), "the reason is shown");
}

#[tokio::test]
async fn the_same_file_twice_is_recognised_and_not_stored_again() {
    let app = lettings_app().await;
    let provider = app.signed_in(PROVIDER).await;
    let (csv, _) = lettings_csv(5, 0.0, &ERRORS, 6);
    let (first, _) = checked(
        &app,
        &provider,
        &upload(&provider, "/organisations/northshire/uploads", "a.csv", &csv).await,
    )
    .await;
    let (_, again) = checked(
        &app,
        &provider,
        &upload(&provider, "/organisations/northshire/uploads", "b.csv", &csv).await,
    )
    .await;
    assert_eq!(title(&again), "You have uploaded b.csv before – Submit a return");
    assert!(again.text.contains(&format!("href=\"/uploads/{first}\"")), "links the earlier upload");
}

#[tokio::test]
async fn a_file_refused_at_once_shows_the_form_again_with_the_problem() {
    let app = lettings_app().await;
    let provider = app.signed_in(PROVIDER).await;
    let path = "/organisations/northshire/uploads";
    for (name, bytes, problem) in [
        ("", &b""[..], "Select a CSV or XLSX file"),
        ("minutes.pdf", &b"%PDF-1.4"[..], "must be a CSV or XLSX file"),
        ("empty.csv", &b""[..], "empty"),
    ] {
        let reply = upload(&provider, path, name, bytes).await;
        assert_eq!(reply.status, 422, "{name}: {}", reply.text);
        assert!(title(&reply).starts_with("Error: "), "{name}");
        assert!(
            reply.text.contains("govuk-error-summary") && reply.text.contains("href=\"#file\""),
            "{name}"
        );
        assert!(words(&reply).contains(problem), "{name}: {}", words(&reply));
    }
    // A body larger than the server takes is refused before it is read.
    let big = upload(&provider, path, "big.csv", &vec![b'a'; 6 * 1024 * 1024]).await;
    assert_eq!(big.status, 413);
    assert!(words(&big).contains("The file is too large"), "{}", words(&big));
    assert_eq!(app.run_jobs().await, 0, "nothing was queued");
}

#[tokio::test]
async fn only_the_organisation_sees_an_upload_and_only_service_admins_get_the_original_and_check_it_again() {
    let app = lettings_app().await;
    let provider = app.signed_in(PROVIDER).await;
    let (bad, _) = lettings_csv(4, 1.0, &ERRORS, 7);
    let (id, _) = checked(
        &app,
        &provider,
        &upload(&provider, "/organisations/northshire/uploads", "bad.csv", &bad).await,
    )
    .await;

    let other = app.signed_in("provider@southvale.test").await;
    for path in [
        format!("/uploads/{id}"),
        format!("/uploads/{id}/annotated"),
        format!("/uploads/{id}/original"),
        "/organisations/northshire/uploads".to_string(),
        "/organisations/northshire/uploads/new".to_string(),
    ] {
        assert_eq!(other.get(&path).await.status, 404, "GET {path}");
    }
    for path in [format!("/uploads/{id}/confirm"), format!("/uploads/{id}/rerun")] {
        assert_eq!(other.form(&path, &[("reason", "mine now")]).await.status, 404, "POST {path}");
    }
    assert_eq!(upload(&other, "/organisations/northshire/uploads", "x.csv", &bad).await.status, 404);
    assert!(!words(&other.get("/organisations/southvale/uploads").await).contains("bad.csv"));

    assert_eq!(provider.get(&format!("/uploads/{id}/original")).await.status, 403);
    assert_eq!(provider.form(&format!("/uploads/{id}/rerun"), &[]).await.status, 403);

    let admin = app.signed_in("admin@staff.test").await;
    let page = admin.get(&format!("/uploads/{id}")).await;
    assert!(
        words(&page).contains("Download the original file") && words(&page).contains("Check this file again")
    );
    let original = admin.get(&format!("/uploads/{id}/original")).await;
    assert_eq!(original.status, 200);
    assert_eq!(original.bytes, bad, "the file as it was sent");
    assert!(original.header("content-disposition").contains("bad.csv"));
    let rerun = admin.form(&format!("/uploads/{id}/rerun"), &[]).await;
    assert_eq!(rerun.status, 303, "{}", rerun.text);
    assert_eq!(title(&admin.get(&format!("/uploads/{id}")).await), "Checking bad.csv – Submit a return");
    app.run_jobs().await;
    assert_eq!(
        title(&admin.get(&format!("/uploads/{id}")).await),
        "Error: bad.csv has errors – Submit a return"
    );
}
