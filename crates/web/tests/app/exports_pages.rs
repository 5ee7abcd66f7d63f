//! Exports from the pages: a search's CSV link past `EXPORT_DIRECT_MAX_ROWS` offers to prepare the
//! export as a file; its page shows it waiting, then a download that only its requester may use;
//! a small export streams at once, and the search page prepares any export in the format chosen;
//! a service admin schedules an export (a bad prefix is refused with what was typed kept), runs it
//! now and stops it.

use formwork_service::Actor;
use formwork_service::records::{NewRecordInput, create};
use formwork_store::Backend;
use serde_json::json;

use crate::support::{Reply, TestApp};

/// A log small enough to read in a snapshot: a code and an amount.
const PAGES_LOG: &str = "formwork: 1\ncollection: pages-log\nversion: 1\ntitle: Pages log\nkind: log\nschedule:\n  frequency: annual\n  start: 2026-04-01\n  due: 30d\nrecord_key: [code]\nsections:\n  - id: about\n    title: About\n    questions:\n      - id: code\n        label: Code\n        type: text\n      - id: amount\n        label: Amount\n        type: integer\n";

/// Past this many rows, an export from a page is prepared as a file.
const DIRECT_MAX_ROWS: i64 = 3;

/// The seeded app with [`PAGES_LOG`] kept by both organisations: three records of northshire's
/// and two of southvale's.
async fn app_with_records(backend: Backend) -> TestApp {
    let app = TestApp::builder().backend(backend).export_direct_max_rows(DIRECT_MAX_ROWS).start().await;
    app.seed().await;
    let system = Actor::System;
    formwork_service::collections::publish(app.app(), &system, PAGES_LOG.as_bytes()).await.unwrap();
    for (org, codes) in [("northshire", &["N-1", "N-2", "N-3"][..]), ("southvale", &["S-1", "S-2"][..])] {
        formwork_service::collections::assign(app.app(), &system, "pages-log", org).await.unwrap();
        for (i, code) in codes.iter().enumerate() {
            let answers = json!({"code": code, "amount": 10 * (i + 1)}).as_object().unwrap().clone();
            let new = NewRecordInput {
                collection: "pages-log".into(),
                organisation: org.into(),
                period: Some("2026-04-01".into()),
                answers,
            };
            create(app.app(), &system, new).await.unwrap();
        }
    }
    app
}

/// The value of the hidden field `name` on a page.
fn hidden(page: &Reply, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.text.find(&marker).unwrap_or_else(|| panic!("no {name} on the page: {}", page.text))
        + marker.len();
    page.text[start..].split('"').next().unwrap().replace("&#38;", "&")
}

/// The page's `<main>`, with the CSRF token, SHA-256 digests and `redact`ed values named, for
/// snapshots.
fn main_of(page: &Reply, redact: &[(&str, &str)]) -> String {
    let start = page.text.find("<main").expect("a main element");
    let end = page.text.find("</main>").expect("the end of main") + "</main>".len();
    let mut main = page.text[start..end].replace(&hidden(page, "csrf_token"), "[csrf]");
    for (value, name) in redact {
        main = main.replace(value, name);
    }
    let digest = regex::Regex::new("[0-9a-f]{64}").unwrap();
    let main = digest.replace_all(&main, "[sha256]");
    main.lines().map(str::trim_end).filter(|l| !l.trim().is_empty()).collect::<Vec<_>>().join("\n")
}

/// The text of the error summary's list, or "" when the page has none.
fn error_summary(page: &Reply) -> String {
    let Some(start) = page.text.find("govuk-error-summary__list") else { return String::new() };
    let end = page.text[start..].find("</ul>").map_or(page.text.len(), |e| start + e);
    page.text[start..end].to_string()
}

/// The `code` column of a CSV export (after its BOM and header row).
fn codes_in(csv: &Reply) -> Vec<String> {
    assert_eq!(csv.header("content-type"), "text/csv; charset=utf-8", "{}", csv.text);
    let text = csv.text.strip_prefix('\u{feff}').expect("a CSV export starts with a BOM");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let at = header.iter().position(|h| *h == "code").unwrap();
    let mut codes: Vec<String> = lines.map(|l| l.split(',').nth(at).unwrap().to_string()).collect();
    codes.sort();
    codes
}

#[tokio::test]
async fn a_large_export_from_the_search_page_is_prepared_as_a_file_only_its_requester_downloads() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let app = app_with_records(backend).await;
        let analyst = app.signed_in("analyst@staff.test").await;
        let search = analyst.get("/search/records?collection=pages-log").await;
        assert_eq!(search.status, 200, "{}", search.text);
        assert!(search.text.contains("Prepare as a file"), "the search offers to prepare any export");
        let csv = "/exports/pages-log.csv";
        assert!(search.text.contains(&format!("href=\"{csv}\"")), "the CSV link: {}", search.text);

        // Five rows, past the three a page streams: the page offers to prepare it.
        let large = analyst.get(csv).await;
        assert_eq!(large.status, 200, "{}", large.text);
        assert!(large.text.contains("Prepare the export"), "{}", large.text);
        assert!(large.text.contains("This export holds 5 rows"), "{}", large.text);
        let fields = ["collection", "format", "query"].map(|name| (name, hidden(&large, name)));
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let asked = analyst.form("/exports", &fields).await;
        assert_eq!(asked.status, 303, "{}", asked.text);
        let job = asked.location();
        let id = job.strip_prefix("/exports/jobs/").expect("the job's page").to_string();

        let waiting = analyst.get(&job).await;
        assert_eq!(waiting.status, 200, "{}", waiting.text);
        assert!(waiting.text.contains("Waiting to start.") && waiting.text.contains("data-app-refresh"));
        assert!(!waiting.text.contains("Download the file"));

        app.run_jobs().await;
        let ready = analyst.get(&job).await;
        assert_eq!(ready.status, 200);
        let download = format!("/exports/jobs/{id}/download");
        assert!(ready.text.contains(&format!("href=\"{download}\"")), "{}", ready.text);
        assert!(!ready.text.contains("data-app-refresh"), "nothing left to wait for");
        if backend == Backend::Sqlite {
            insta::assert_snapshot!("exports_job_ready", main_of(&ready, &[(&id, "[id]")]));
        }
        let file = analyst.get(&download).await;
        assert_eq!(file.status, 200);
        assert!(file.header("content-disposition").contains("pages-log.csv"));
        assert_eq!(codes_in(&file), ["N-1", "N-2", "N-3", "S-1", "S-2"]);
        let mine = analyst.get("/exports").await;
        assert!(mine.text.contains(&format!("href=\"{job}\"")), "your exports list it");

        // A prepared export is its requester's alone: not another analyst's, not an admin's.
        for other in ["reviewer@staff.test", "admin@staff.test", "editor@northshire.test"] {
            let them = app.signed_in(other).await;
            assert_eq!(them.get(&job).await.status, 404, "{other}");
            assert_eq!(them.get(&download).await.status, 404, "{other}");
            assert!(!them.get("/exports").await.text.contains(&id), "{other}");
        }
    }
}

#[tokio::test]
async fn a_small_export_streams_at_once_and_any_export_can_be_prepared_as_a_file() {
    let app = app_with_records(Backend::Sqlite).await;
    let analyst = app.signed_in("analyst@staff.test").await;
    let northshire = analyst.get("/exports/pages-log.csv?organisation=northshire").await;
    assert_eq!(northshire.status, 200);
    assert_eq!(codes_in(&northshire), ["N-1", "N-2", "N-3"]);
    // A member's export holds only their organisation's three rows: it streams too.
    let member = app.signed_in("editor@northshire.test").await;
    let search = member.get("/search/records?collection=pages-log").await;
    assert!(search.text.contains("href=\"/exports/pages-log.csv\""), "{}", search.text);
    assert_eq!(codes_in(&member.get("/exports/pages-log.csv").await), ["N-1", "N-2", "N-3"]);
    let asked = member.get("/exports/pages-log.csv?prepare=yes").await;
    assert!(asked.text.contains("This export holds 3 rows"), "{}", asked.text);
    assert_eq!(hidden(&asked, "query"), "", "prepare=yes is not a filter");

    // The search page's own form prepares any export as a file, in the format chosen.
    let search = member.get("/search/records?collection=pages-log&q=N-").await;
    let (collection, query) = (hidden(&search, "collection"), hidden(&search, "query"));
    assert_eq!((collection.as_str(), query.as_str()), ("pages-log", "q=N-"));
    let fields = [("collection", collection.as_str()), ("format", "jsonl"), ("query", query.as_str())];
    let job = member.form("/exports", &fields).await.location();
    app.run_jobs().await;
    let file = member.get(&format!("{job}/download")).await;
    assert_eq!((file.status, file.header("content-type").as_str()), (200, "application/x-ndjson"));
    assert_eq!(file.text.lines().count(), 3, "{}", file.text);
}

#[tokio::test]
async fn a_service_admin_schedules_an_export_runs_it_now_and_stops_it() {
    let app = app_with_records(Backend::Sqlite).await;
    let admin = app.signed_in("admin@staff.test").await;
    let empty = admin.get("/exports/scheduled").await;
    assert_eq!(empty.status, 200, "{}", empty.text);
    assert!(empty.text.contains("No exports are scheduled."));
    assert!(admin.get("/exports").await.text.contains("href=\"/exports/scheduled\""));

    let fields = [("collection", "pages-log"), ("format", "csv"), ("mode", "changes")];
    let mut bad = fields.to_vec();
    bad.push(("prefix", "../warehouse pages"));
    let refused = admin.form("/exports/scheduled", &bad).await;
    assert_eq!(refused.status, 422, "{}", refused.text);
    let summary = error_summary(&refused);
    assert!(summary.contains("href=\"#prefix\"") && summary.contains("Enter a prefix"), "{summary}");
    assert!(refused.text.contains("id=\"prefix-error\""), "the field's own error");
    assert!(refused.text.contains("value=\"../warehouse pages\""), "what was typed is kept");
    assert!(refused.text.contains("<option value=\"pages-log\" selected>"), "{}", refused.text);
    assert!(regex::Regex::new("value=\"changes\"[^>]*checked").unwrap().is_match(&refused.text));
    assert!(!admin.get("/exports/scheduled").await.text.contains("govuk-table"), "nothing was scheduled");

    let mut good = fields.to_vec();
    good.push(("prefix", "warehouse/pages"));
    let added = admin.form("/exports/scheduled", &good).await;
    assert_eq!((added.status, added.location().as_str()), (303, "/exports/scheduled?notice=feed-added"));
    let listed = admin.get(&added.location()).await;
    assert!(listed.text.contains("The export has been scheduled"), "{}", listed.text);
    assert!(listed.text.contains("warehouse/pages/pages-log/") && listed.text.contains("Not run yet"));
    let action = regex::Regex::new("action=\"(/exports/scheduled/([0-9a-f]+)/run)\"").unwrap();
    let captures = action.captures(&listed.text).expect("a Run now form");
    let (run, id) = (captures[1].to_string(), captures[2].to_string());

    let ran = admin.form(&run, &[]).await;
    assert_eq!((ran.status, ran.location().as_str()), (303, "/exports/scheduled?notice=feed-ran"));
    let after = admin.get(&ran.location()).await;
    assert!(after.text.contains("The scheduled export has run"), "{}", after.text);
    assert!(after.text.contains("manifest.json"), "the last run's manifest: {}", after.text);
    insta::assert_snapshot!("exports_scheduled_after_a_run", main_of(&after, &[(&id, "[id]")]));
    // The last run's manifest, under the folder the row names.
    let key = regex::Regex::new("<br>([^<]*/manifest\\.json)").unwrap();
    let manifest =
        format!("warehouse/pages/pages-log/{}", &key.captures(&after.text).expect("the manifest")[1]);
    let written = app.state.files().get(&manifest).await.expect("the manifest is written");
    let manifest: serde_json::Value = serde_json::from_slice(&written).unwrap();
    assert_eq!(manifest["files"][0]["rows"], 5, "{manifest}");

    let stopped = admin.form(&format!("/exports/scheduled/{id}/remove"), &[]).await;
    assert_eq!(stopped.location(), "/exports/scheduled?notice=feed-removed");
    let gone = admin.get(&stopped.location()).await;
    assert!(gone.text.contains("The scheduled export has been stopped"));
    assert!(gone.text.contains("No exports are scheduled."));
}
