//! A return's table sections and attached files on the pages: rows added, changed and removed
//! ("Add multiple things"), a page of rows at a time, a table uploaded from its own CSV template,
//! and a PDF attached, refused when it is not one, downloaded and removed.

use formwork_service::Actor;
use formwork_service::submissions::{self, Edit};
use formwork_store::Backend;
use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::support::{Client, Reply, TestApp};

const TOWNS_FUND: &str = "towns-fund-monitoring";
const FINANCE: &str = "finance@northshire.test";
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

/// The seeded app, a finance member at northshire, and northshire's towns-fund return for the
/// first quarter: its id.
async fn started() -> (TestApp, String) {
    let app = TestApp::on(Backend::Sqlite).await;
    app.seed().await;
    let system = Actor::System;
    let person = formwork_service::people::NewPerson {
        email: FINANCE.into(),
        name: Some("Test finance".into()),
        password: Some(crate::support::PASSWORD.into()),
        staff_role: None,
    };
    formwork_service::people::create(app.app(), &system, &person).await.unwrap();
    formwork_service::organisations::add_member(
        app.app(),
        &system,
        "northshire",
        FINANCE,
        &["finance".into()],
    )
    .await
    .unwrap();
    let started =
        submissions::start(app.app(), &system, TOWNS_FUND, "northshire", "2026-04-01").await.unwrap();
    let id = started.submission.id;
    (app, id)
}

/// The value of the hidden field `name` on a page.
fn hidden(page: &Reply, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.text.find(&marker).unwrap_or_else(|| panic!("no {name} on the page: {}", page.text))
        + marker.len();
    page.text[start..].split('"').next().unwrap().to_string()
}

/// The page's `<main>`, with the return's id and the CSRF token redacted, for snapshots.
fn main_of(page: &Reply, id: &str) -> String {
    let start = page.text.find("<main").expect("a main element");
    let end = page.text.find("</main>").expect("the end of main") + "</main>".len();
    let csrf = hidden(page, "csrf_token");
    let main = page.text[start..end].replace(id, "[id]").replace(&csrf, "[csrf]");
    main.lines().map(str::trim_end).filter(|l| !l.trim().is_empty()).collect::<Vec<_>>().join("\n")
}

fn title(page: &Reply) -> String {
    let start = page.text.find("<title>").unwrap() + "<title>".len();
    page.text[start..].split("</title>").next().unwrap().trim().to_string()
}

async fn rows(app: &TestApp, id: &str, table: &str) -> Vec<Value> {
    let view = submissions::get(app.app(), &Actor::System, id).await.unwrap();
    view.submission.answers.get(table).and_then(Value::as_array).cloned().unwrap_or_default()
}

/// A multipart form: text fields in order, then one file.
fn multipart(fields: &[(&str, &str)], file: (&str, &str, &[u8])) -> (Vec<u8>, String) {
    let boundary = "----formworktestboundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    }
    let (name, file_name, bytes) = file;
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (body, format!("multipart/form-data; boundary={boundary}"))
}

/// Post a multipart form with the CSRF token (first, as a browser sends it) and `revision`.
async fn upload(client: &Client, path: &str, revision: &str, file: (&str, &str, &[u8])) -> Reply {
    let token = client.csrf_from("/cookies").await;
    let (body, content_type) = multipart(&[("csrf_token", &token), ("revision", revision)], file);
    client.send(Method::POST, path, &[], Some((body, &content_type))).await
}

#[tokio::test]
async fn rows_are_added_with_their_errors_then_fixed_changed_and_removed() {
    let (app, id) = started().await;
    let finance = app.signed_in(FINANCE).await;
    let base = format!("/returns/{id}/sections/spend");
    let new = finance.get(&format!("{base}/rows/new")).await;
    assert_eq!(new.status, 200, "{}", new.text);
    assert!(title(&new).starts_with("Add a row to Spend to date"), "{}", title(&new));
    let revision = hidden(&new, "revision");

    let bad = [
        ("project_id", "TF-bad"),
        ("quarter", "Q1"),
        ("source", "tf"),
        ("amount", "-5"),
        ("revision", &revision),
    ];
    let saved = finance.form(&format!("{base}/rows/new"), &bad).await;
    assert_eq!(saved.status, 422, "{}", saved.text);
    assert!(title(&saved).starts_with("Error: "), "{}", title(&saved));
    assert!(saved.text.contains("govuk-error-summary"), "{}", saved.text);
    assert!(saved.text.contains("Amount spent must be £0 or more"), "{}", saved.text);
    assert!(saved.text.contains("value=\"TF-bad\""), "what was typed is shown again: {}", saved.text);
    insta::assert_snapshot!("returns_table_row_with_errors", main_of(&saved, &id));
    assert!(
        saved.text.contains(&format!("action=\"{base}/rows/0\"")),
        "the saved row is changed from now on"
    );
    let stored = rows(&app, &id, "spend").await;
    assert_eq!(stored.len(), 1, "every post saves, errors and all");
    assert_eq!(stored[0]["project_id"], "TF-bad");

    let revision = hidden(&saved, "revision");
    let good = [
        ("project_id", "TF-ABC-01"),
        ("quarter", "Q1"),
        ("source", "tf"),
        ("amount", "1250.50"),
        ("revision", &revision),
    ];
    let fixed = finance.form(&format!("{base}/rows/0"), &good).await;
    assert_eq!(fixed.status, 303, "{}", fixed.text);
    assert_eq!(fixed.location(), format!("{base}?page=1&notice=row-changed"));
    assert_eq!(rows(&app, &id, "spend").await[0]["amount"], "1250.50");

    // A second row, then a save from the page as it was before: refused, and nothing typed is lost.
    let page = finance.get(&format!("{base}/rows/new")).await;
    let old = hidden(&page, "revision");
    let second = [
        ("project_id", "TF-ABC-01"),
        ("quarter", "Q2"),
        ("source", "tf"),
        ("amount", "10"),
        ("revision", &old),
    ];
    assert_eq!(finance.form(&format!("{base}/rows/new"), &second).await.status, 303);
    let late = [
        ("project_id", "TF-XYZ-09"),
        ("quarter", "Q3"),
        ("source", "tf"),
        ("amount", "7"),
        ("revision", &old),
    ];
    let stale = finance.form(&format!("{base}/rows/new"), &late).await;
    assert_eq!(stale.status, 409, "{}", stale.text);
    assert!(stale.text.contains("Someone else changed this return"), "{}", stale.text);
    assert!(stale.text.contains("value=\"TF-XYZ-09\""), "the person's answers stay: {}", stale.text);
    assert_ne!(hidden(&stale, "revision"), old, "saving again is from the revision now");
    assert_eq!(rows(&app, &id, "spend").await.len(), 2);

    let two = finance.get(&base).await;
    insta::assert_snapshot!("returns_table_rows", main_of(&two, &id));
    let confirm = finance.get(&format!("{base}/rows/1/remove")).await;
    assert_eq!(confirm.status, 200, "{}", confirm.text);
    assert!(confirm.text.contains("Are you sure you want to remove row 2?"), "{}", confirm.text);
    let revision = hidden(&confirm, "revision");
    let unanswered = finance.form(&format!("{base}/rows/1/remove"), &[("revision", &revision)]).await;
    assert_eq!(unanswered.status, 422);
    assert!(unanswered.text.contains("Select yes if you want to remove row 2"), "{}", unanswered.text);
    let kept =
        finance.form(&format!("{base}/rows/1/remove"), &[("remove", "no"), ("revision", &revision)]).await;
    assert_eq!(kept.status, 303);
    assert_eq!(rows(&app, &id, "spend").await.len(), 2);
    let removed =
        finance.form(&format!("{base}/rows/1/remove"), &[("remove", "yes"), ("revision", &revision)]).await;
    assert_eq!(removed.status, 303, "{}", removed.text);
    assert!(removed.location().contains("notice=row-removed"));
    let left = rows(&app, &id, "spend").await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["quarter"], "Q1");
    assert_eq!(finance.get(&format!("{base}/rows/1")).await.status, 404, "no such row any more");

    // Someone who may only read the section sees the row but cannot change it.
    let editor = app.signed_in("editor@northshire.test").await;
    let read = editor.get(&format!("{base}/rows/0")).await;
    assert_eq!(read.status, 200);
    assert!(!read.text.contains("Save and continue"));
    assert_eq!(editor.get(&format!("{base}/rows/new")).await.status, 403);
}

#[tokio::test]
async fn a_table_of_120_rows_shows_50_at_a_time() {
    let (app, id) = started().await;
    let rows: Vec<Value> = (0..120)
        .map(|i| {
            let quarter = if i < 100 { "Q1" } else { "Q2" };
            json!({"project_id": format!("TF-ABC-{:02}", i % 100), "quarter": quarter, "source": "tf", "amount": "1"})
        })
        .collect();
    let edit = Edit::ReplaceTable { table: "spend".into(), rows, file_name: "seed.csv".into() };
    submissions::edit(app.app(), &Actor::System, &id, 1, edit).await.unwrap();
    let finance = app.signed_in(FINANCE).await;
    let base = format!("/returns/{id}/sections/spend");
    let first = finance.get(&base).await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert!(first.text.contains("You have added 120 rows"), "{}", first.text);
    assert!(first.text.contains("Rows 1 to 50 of 120"), "{}", first.text);
    assert!(first.text.contains("govuk-pagination"), "{}", first.text);
    assert!(first.text.contains(&format!("{base}?page=3")), "{}", first.text);
    assert!(first.text.contains(&format!("{base}/rows/49\"")));
    assert!(!first.text.contains(&format!("{base}/rows/50\"")));
    let last = finance.get(&format!("{base}?page=3")).await;
    assert!(last.text.contains("Rows 101 to 120 of 120"), "{}", last.text);
    assert!(last.text.contains(&format!("{base}/rows/119\"")));
    assert!(last.text.contains("aria-current=\"page\""), "{}", last.text);
    assert!(last.text.contains("Add another row"));
}

#[tokio::test]
async fn a_table_is_completed_only_without_errors_and_its_warnings_are_confirmed_on_its_page() {
    let (app, id) = started().await;
    // Every project in the spend table must be one of the return's projects.
    let project = json!({"project_id": "TF-ABC-01", "project_name": "Market square", "theme": "regen", "rag": "green", "percent_complete": "50"});
    let edit =
        Edit::ReplaceTable { table: "projects".into(), rows: vec![project], file_name: "seed.csv".into() };
    submissions::edit(app.app(), &Actor::System, &id, 1, edit).await.unwrap();
    let finance = app.signed_in(FINANCE).await;
    let base = format!("/returns/{id}/sections/spend");
    let page = finance.get(&base).await;
    assert!(
        page.text.contains("You have not added any rows yet. You must add at least 1 row"),
        "{}",
        page.text
    );
    let revision = hidden(&page, "revision");
    let early =
        finance.form(&format!("{base}/complete"), &[("completed", "yes"), ("revision", &revision)]).await;
    assert_eq!(early.status, 422, "{}", early.text);
    assert!(title(&early).starts_with("Error: "));
    assert!(early.text.contains("You cannot mark this section as complete"), "{}", early.text);
    assert!(early.text.contains("href=\"#completed\""), "{}", early.text);
    assert!(early.text.contains("id=\"completed-error\""), "the error is beside the radios: {}", early.text);

    let big = [("project_id", "TF-ABC-01"), ("quarter", "Q1"), ("source", "private"), ("amount", "6000000")];
    let mut fields = big.to_vec();
    fields.push(("revision", &revision));
    assert_eq!(finance.form(&format!("{base}/rows/new"), &fields).await.status, 303);
    let page = finance.get(&base).await;
    assert!(page.text.contains("Answers to confirm"), "{}", page.text);
    assert!(page.text.contains("Row 1: Spend over £5,000,000"), "{}", page.text);
    assert!(page.text.contains("Warning to confirm"), "{}", page.text);
    // The row's own page lists its warning to confirm too.
    let row = finance.get(&format!("{base}/rows/0")).await;
    assert!(row.text.contains("Row 1: Spend over £5,000,000"), "{}", row.text);
    let key = hidden(&page, "key");
    let revision = hidden(&page, "revision");
    let confirmed = finance
        .form(
            &format!("/returns/{id}/warnings"),
            &[("key", &key), ("reason", "A land purchase"), ("revision", &revision)],
        )
        .await;
    assert_eq!(confirmed.status, 303, "{}", confirmed.text);
    let page = finance.get(&base).await;
    assert!(page.text.contains("Confirmed: A land purchase"), "{}", page.text);
    let revision = hidden(&page, "revision");
    let done =
        finance.form(&format!("{base}/complete"), &[("completed", "yes"), ("revision", &revision)]).await;
    assert_eq!(done.status, 303, "{}", done.text);
    let view = submissions::get(app.app(), &Actor::System, &id).await.unwrap();
    assert!(view.section("spend").unwrap().marked_complete);
}

#[tokio::test]
async fn the_spend_table_is_uploaded_from_its_own_csv_template_as_a_job_reported_or_stored() {
    let (app, id) = started().await;
    let finance = app.signed_in(FINANCE).await;
    let base = format!("/returns/{id}/sections/spend");
    // The section's own template, from the link on its page.
    let page = finance.get(&base).await;
    let link = format!("/api/v1/collections/{TOWNS_FUND}/template.csv?table=spend");
    assert!(page.text.contains(&link), "{}", page.text);
    assert!(page.text.contains(&format!("/api/v1/collections/{TOWNS_FUND}/template.xlsx")));
    let template = finance.get(&link).await;
    assert_eq!(template.status, 200, "{}", template.text);
    let revision = hidden(&page, "revision");

    // A file with errors: its upload's page reports them, and links back to the section.
    let broken = format!("{}TF-ABC-01,Q9,tf,-5\r\nnot-a-project,Q1,tf,12\r\n", template.text);
    let sent =
        upload(&finance, &format!("{base}/upload"), &revision, ("file", "spend.csv", broken.as_bytes()))
            .await;
    assert_eq!(sent.status, 303, "{}", sent.text);
    let report_path = sent.location();
    assert!(report_path.starts_with("/uploads/"), "{report_path}");
    app.run_jobs().await;
    let report = finance.get(&report_path).await;
    assert_eq!(report.status, 200);
    assert!(title(&report).starts_with("Error: spend.csv has errors"), "{}", title(&report));
    assert!(report.text.contains("Your file has 3 errors. Nothing was stored"), "{}", report.text);
    assert!(report.text.contains("Amount spent must be £0 or more"), "{}", report.text);
    assert!(report.text.contains(&format!("href=\"{base}\"")), "Go back to the section");
    assert!(
        report.text.contains(&format!("action=\"{base}/upload\"")),
        "a corrected file goes to the section"
    );
    assert!(rows(&app, &id, "spend").await.is_empty(), "nothing changed");
    let workbook = finance.get(&format!("{report_path}/annotated")).await;
    assert_eq!(workbook.status, 200);
    assert!(workbook.bytes.starts_with(b"PK"), "a workbook");

    // The corrected file replaces the rows once the job has run.
    let clean = format!("{}TF-ABC-01,Q1,tf,1000\r\nTF-ABC-01,Q2,public,250.75\r\n", template.text);
    let sent =
        upload(&finance, &format!("{base}/upload"), &revision, ("file", "spend.csv", clean.as_bytes())).await;
    assert_eq!(sent.status, 303, "{}", sent.text);
    app.run_jobs().await;
    let done = finance.get(&sent.location()).await;
    assert!(title(&done).starts_with("2 rows stored"), "{}", title(&done));
    let stored = rows(&app, &id, "spend").await;
    assert_eq!(stored.len(), 2);
    assert_eq!(stored[1]["amount"], "250.75");

    // From the page as it was before those rows replaced the table: stale, and nothing is kept.
    let late =
        upload(&finance, &format!("{base}/upload"), &revision, ("file", "spend.csv", broken.as_bytes()))
            .await;
    assert_eq!(late.status, 409, "{}", late.text);
    assert!(late.text.contains("changed this return"), "{}", late.text);
    app.run_jobs().await;
    assert_eq!(rows(&app, &id, "spend").await.len(), 2, "the stale upload changed nothing");
    let revision = hidden(&finance.get(&base).await, "revision");

    let nothing = upload(&finance, &format!("{base}/upload"), &revision, ("file", "", b"")).await;
    assert_eq!(nothing.status, 422);
    assert!(nothing.text.contains("Select a CSV or XLSX file to upload"), "{}", nothing.text);
    let pdf = upload(&finance, &format!("{base}/upload"), &revision, ("file", "spend.pdf", PDF)).await;
    assert_eq!(pdf.status, 422);
    assert!(pdf.text.contains("must be a CSV or XLSX file"), "{}", pdf.text);
}

#[tokio::test]
async fn a_pdf_is_attached_shown_downloaded_and_removed_and_a_false_one_is_refused() {
    let (app, id) = started().await;
    let editor = app.signed_in("editor@northshire.test").await;
    let page_path = format!("/returns/{id}/files/board_minutes");
    let page = editor.get(&page_path).await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(page.text.contains("No file is attached yet"));
    assert!(page.text.contains("enctype=\"multipart/form-data\""));
    let revision = hidden(&page, "revision");

    let fake =
        upload(&editor, &page_path, &revision, ("file", "minutes.pdf", b"just some text, honestly")).await;
    assert_eq!(fake.status, 422, "{}", fake.text);
    assert!(title(&fake).starts_with("Error: "));
    assert!(fake.text.contains("is not a real PDF file"), "{}", fake.text);
    assert!(fake.text.contains("govuk-file-upload--error"));
    let empty = upload(&editor, &page_path, &revision, ("file", "minutes.pdf", b"")).await;
    assert_eq!(empty.status, 422, "{}", empty.text);
    assert!(empty.text.contains("The selected file is empty"), "{}", empty.text);
    let none = upload(&editor, &page_path, &revision, ("file", "", b"")).await;
    assert_eq!(none.status, 422, "{}", none.text);
    assert!(none.text.contains("Select a file for"), "{}", none.text);
    let view = submissions::get(app.app(), &Actor::System, &id).await.unwrap();
    assert!(view.attachments.is_empty(), "nothing refused was attached");

    let name = "Board minutes – March é.pdf";
    let attached = upload(&editor, &page_path, &revision, ("file", name, PDF)).await;
    assert_eq!(attached.status, 303, "{}", attached.text);
    let shown = editor.get(&page_path).await;
    let sha: String = Sha256::digest(PDF).iter().map(|b| format!("{b:02x}")).collect();
    assert!(shown.text.contains(&sha), "the SHA-256 is shown: {}", shown.text);
    assert!(shown.text.contains("Board minutes – March é.pdf"), "{}", shown.text);
    assert!(shown.text.contains("Test editor"), "who uploaded it: {}", shown.text);
    // The section's own form names the file and links to its page: it never takes a file itself.
    let section = editor.get(&format!("/returns/{id}/sections/evidence")).await;
    assert_eq!(section.status, 200, "{}", section.text);
    assert!(section.text.contains(&format!("href=\"{page_path}\"")), "{}", section.text);
    assert!(section.text.contains("Change the file"), "{}", section.text);
    assert!(!section.text.contains("type=\"file\""), "{}", section.text);
    assert!(section.text.contains("Have you completed this section?"), "{}", section.text);
    let view = submissions::get(app.app(), &Actor::System, &id).await.unwrap();
    let attachment = view.attachments.first().expect("attached").clone();
    let download = editor.get(&format!("/returns/{id}/attachments/{}", attachment.id)).await;
    assert_eq!(download.status, 200);
    assert_eq!(download.bytes, PDF);
    assert_eq!(download.header("content-type"), "application/pdf");
    assert_eq!(download.header("x-content-type-options"), "nosniff");
    assert_eq!(
        download.header("content-disposition"),
        "attachment; filename=\"Board minutes _ March _.pdf\"; filename*=UTF-8''Board%20minutes%20%E2%80%93%20March%20%C3%A9.pdf"
    );
    // Everyone in the organisation may read the return, and so download its files.
    let certifier = app.signed_in("certifier@northshire.test").await;
    assert_eq!(certifier.get(&format!("/returns/{id}/attachments/{}", attachment.id)).await.status, 200);

    let confirm = editor.get(&format!("{page_path}/remove")).await;
    assert_eq!(confirm.status, 200, "{}", confirm.text);
    let unanswered =
        editor.form(&format!("{page_path}/remove"), &[("revision", &hidden(&confirm, "revision"))]).await;
    assert_eq!(unanswered.status, 422, "{}", unanswered.text);
    assert!(unanswered.text.contains("href=\"#remove\""), "{}", unanswered.text);
    assert!(
        unanswered.text.contains("id=\"remove-error\""),
        "the error is beside the radios: {}",
        unanswered.text
    );
    let revision = hidden(&confirm, "revision");
    let removed =
        editor.form(&format!("{page_path}/remove"), &[("remove", "yes"), ("revision", &revision)]).await;
    assert_eq!(removed.status, 303, "{}", removed.text);
    assert!(editor.get(&page_path).await.text.contains("No file is attached yet"));
}

#[tokio::test]
async fn another_organisations_member_finds_none_of_the_table_and_file_pages() {
    let (app, id) = started().await;
    let editor = app.signed_in("editor@northshire.test").await;
    let page_path = format!("/returns/{id}/files/board_minutes");
    let revision = hidden(&editor.get(&page_path).await, "revision");
    assert_eq!(upload(&editor, &page_path, &revision, ("file", "minutes.pdf", PDF)).await.status, 303);
    let rows = vec![json!({"project_id": "TF-ABC-01", "quarter": "Q1", "source": "tf", "amount": "1"})];
    let view = submissions::get(app.app(), &Actor::System, &id).await.unwrap();
    let edit = Edit::ReplaceTable { table: "spend".into(), rows, file_name: "seed.csv".into() };
    submissions::edit(app.app(), &Actor::System, &id, view.submission.revision, edit).await.unwrap();
    let attachment =
        submissions::get(app.app(), &Actor::System, &id).await.unwrap().attachments[0].id.clone();

    let other = app.signed_in("editor@southvale.test").await;
    let base = format!("/returns/{id}/sections/spend");
    for path in [
        base.clone(),
        format!("{base}/rows/new"),
        format!("{base}/rows/0"),
        format!("{base}/rows/0/remove"),
        page_path.clone(),
        format!("{page_path}/remove"),
        format!("/returns/{id}/attachments/{attachment}"),
    ] {
        assert_eq!(other.get(&path).await.status, 404, "GET {path}");
    }
    for path in [
        format!("{base}/complete"),
        format!("{base}/rows/new"),
        format!("{base}/rows/0"),
        format!("{base}/rows/0/remove"),
        format!("{page_path}/remove"),
    ] {
        let reply = other.form(&path, &[("revision", "1"), ("remove", "yes"), ("completed", "yes")]).await;
        assert_eq!(reply.status, 404, "POST {path}");
    }
    assert_eq!(
        upload(&other, &format!("{base}/upload"), "1", ("file", "spend.csv", b"a,b\r\n")).await.status,
        404
    );
    assert_eq!(upload(&other, &page_path, "1", ("file", "minutes.pdf", PDF)).await.status, 404);
    let after = submissions::get(app.app(), &Actor::System, &id).await.unwrap();
    assert_eq!(after.attachments.len(), 1);
    assert_eq!(after.submission.answers["spend"].as_array().unwrap().len(), 1);
}
