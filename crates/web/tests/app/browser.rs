//! Every page in headless Chromium, with JavaScript on and off: axe-core finds no accessibility
//! problem, no Content Security Policy rule is broken, and each page is saved as a screenshot
//! under `target/screenshots/pages/` for people to look at; a data provider fills in a whole return
//! (`tests/browser/returns.mjs`, screenshots under `target/screenshots/returns/`); a data provider
//! uploads lettings with errors, then the corrected file (`tests/browser/uploads.mjs`, under
//! `target/screenshots/uploads/`). The plan of pages is made here, with real
//! ids and links; `tests/browser/pages.mjs` walks it.

use formwork_service::{Actor, invitations};
use serde_json::{Value, json};

use crate::support::{PASSWORD, TestApp};

fn visit(path: &str, status: u16) -> Value {
    json!({"visit": path, "status": status})
}

fn send(path: &str, fill: Value, status: u16) -> Value {
    json!({"visit": path, "fill": fill, "submit": true, "status": status})
}

#[tokio::test]
async fn every_page_passes_axe_in_headless_chromium_with_and_without_javascript() {
    let app = TestApp::on(formwork_store::Backend::Sqlite).await;
    app.seed().await;
    let system = Actor::System;
    invitations::invite_member(
        app.app(),
        &system,
        "northshire",
        "newcomer@example.org",
        &["editor".to_string()],
    )
    .await
    .unwrap();
    formwork_service::accounts::request_password_reset(app.app(), "certifier@northshire.test").await.unwrap();
    app.run_jobs().await;
    let invitation = app.link_in_last_email_to("newcomer@example.org");
    let reset = app.link_in_last_email_to("certifier@northshire.test");
    let mut conn = app.store().conn().await.unwrap();
    let editor =
        formwork_store::users::by_email(&mut conn, "editor@northshire.test").await.unwrap().unwrap().id;
    drop(conn);
    formwork_store::jobs::enqueue(&mut app.store().conn().await.unwrap(), "no_such_job", &json!({}), 1, 0, 0)
        .await
        .unwrap();
    app.run_jobs().await;
    invitations::invite_staff(app.app(), &system, "future-reviewer@example.org", "reviewer").await.unwrap();
    let lives = returns_in_their_lives(&app).await;
    let at = |i: usize, page: &str| format!("/returns/{}/{page}", lives[i]);
    let record = records_to_visit(&app).await;
    let rec = |page: &str| format!("/records/{record}{page}");
    let [warnings, again, failed] = uploads_to_visit(&app).await;
    let upload = |id: &str| format!("/uploads/{id}");
    let export = exports_to_visit(&app).await;

    let screenshots = screenshots_dir().join("pages");
    let _ = std::fs::remove_dir_all(&screenshots);
    let plan = json!({
        "base": app.base,
        "screenshots": screenshots,
        "groups": [
            {"who": "signed out", "steps": [
                visit("/", 200), visit("/sign-in", 200), visit("/cookies", 200), visit("/accessibility", 200),
                visit("/forgot-password", 200), visit("/api/v1/docs", 200), visit("/no-such-page", 404),
                visit("/sign-out", 405),
                visit(&invitation, 200), visit(&reset, 200), visit("/invitations/unknown-token", 410),
                visit("/reset-password/unknown-token", 410),
                send("/sign-in", json!({"#email": "editor@northshire.test", "#password": "wrong password"}), 422),
                send("/sign-in", json!({}), 422),
                send("/forgot-password", json!({"#email": "not an address"}), 422),
                send("/forgot-password", json!({"#email": "someone@example.org"}), 200),
                send(&invitation, json!({"#name": "", "#password": "short"}), 422),
            ]},
            {"who": "service admin", "email": "admin@staff.test", "password": PASSWORD, "steps": [
                visit("/", 200), visit("/account", 200), visit("/organisations", 200), visit("/organisations/new", 200),
                visit("/organisations/northshire", 200), visit("/organisations/northshire/edit", 200),
                visit("/organisations/northshire/invitations/new", 200),
                visit(&format!("/organisations/northshire/members/{editor}"), 200),
                visit("/people", 200), visit("/people/new", 200), visit("/people/invitations/new", 200), visit(&format!("/people/{editor}"), 200),
                visit("/collections", 200), visit("/collections/publish", 200), visit("/collections/towns-fund-monitoring", 200),
                visit("/collections/single-audit", 200), visit("/collections/lettings-log", 200),
                visit("/collections/single-audit/versions/1", 200), visit("/jobs", 200), visit("/api/v1/docs", 200),
                visit(&upload(&failed), 200), visit("/exports/scheduled", 200),
                send("/organisations/new", json!({"#name": ""}), 422),
                send("/people/new", json!({"#email": "not an address"}), 422),
                send("/collections/publish", json!({"#definition": "formwork: 1\ncollection: x\n"}), 422),
                send("/organisations/northshire/invitations/new", json!({"#email": "nope"}), 422),
                send("/account", json!({"#name": ""}), 422),
            ]},
            {"who": "organisation admin", "email": "org-admin@northshire.test", "password": PASSWORD, "steps": [
                visit("/", 200), visit("/organisations/northshire", 200), visit("/organisations/northshire/invitations/new", 200),
                visit("/collections/towns-fund-monitoring", 200), visit("/people", 403), visit("/organisations/southvale", 404),
            ]},
            {"who": "editor", "email": "editor@northshire.test", "password": PASSWORD, "steps": [
                visit("/", 200), visit("/account", 200), visit("/collections", 200), visit("/organisations", 200),
                visit("/organisations/northshire", 200), visit("/organisations/northshire/invitations/new", 403),
                visit(&at(0, "submitted"), 200), visit(&at(2, "move"), 200), visit(&at(3, "moved"), 200),
            ]},
            {"who": "data provider", "email": "provider@northshire.test", "password": PASSWORD, "steps": [
                visit("/organisations/northshire/records/lettings-log", 200),
                visit("/organisations/northshire/records/lettings-log?state=in_progress", 200),
                visit(&rec(""), 200), visit(&rec("/sections/setup"), 200), visit(&rec("/sections/household"), 200),
                visit(&rec("/history"), 200), visit(&rec("/delete"), 200),
                send(&rec("/sections/setup"), json!({"#owning_org_code": "not a code"}), 422),
                send(&rec("/delete"), json!({}), 422),
                visit("/search/records?collection=lettings-log", 200),
                visit("/organisations/northshire/uploads", 200), visit("/organisations/northshire/uploads/new", 200),
                visit(&upload(&warnings), 200), send(&upload(&warnings), json!({}), 422), visit(&upload(&again), 200),
                visit("/exports/lettings-log.csv?prepare=yes", 200), visit("/exports", 200),
                visit(&format!("/exports/jobs/{export}"), 200),
            ]},
            {"who": "reviewer", "email": "reviewer@staff.test", "password": PASSWORD, "steps": [
                visit("/", 200), visit("/organisations/southvale", 200), visit("/collections/single-audit", 200), visit("/jobs", 403),
                visit("/review", 200), visit(&format!("/review/{}", lives[0]), 200), visit(&at(0, "return"), 200),
                visit(&at(0, "accept"), 200), visit(&at(1, "reopen"), 200),
                visit("/search/returns", 200), visit("/search/returns?collection=colours&sort=reference", 200),
                visit("/search/returns?updated_since-day=31&updated_since-month=2&updated_since-year=2026", 422),
            ]},
        ]
    });
    let report = run_browser("pages.mjs", &plan).await;
    let steps: usize =
        plan["groups"].as_array().unwrap().iter().map(|g| g["steps"].as_array().unwrap().len()).sum();
    assert_eq!(steps, 89, "a page was added to or dropped from the plan: change this number with it");
    let checked =
        report.lines().find_map(|l| l.strip_prefix("checked ")?.strip_suffix(" pages")?.parse().ok());
    assert_eq!(checked, Some(2 * steps), "every page, with JavaScript on and off:\n{report}");
    for dir in ["javascript", "no-javascript"] {
        let saved = std::fs::read_dir(screenshots.join(dir)).map(Iterator::count).unwrap_or(0);
        assert_eq!(saved, steps, "a screenshot of every page in {}", screenshots.join(dir).display());
    }
}

/// A small collection without sign-off steps, for the pages of a return's life: returns submitted,
/// accepted, left as a draft on version 1 after version 2 is published, and moved to version 2
/// with an answer that did not fit; their ids in that order.
async fn returns_in_their_lives(app: &TestApp) -> Vec<String> {
    use formwork_service::{collections, lifecycle, submissions};
    let v1 = "formwork: 1\ncollection: colours\nversion: 1\ntitle: Favourite colours\nkind: return\n\
        schedule:\n  frequency: quarterly\n  start: 2026-01-01\n  due: 30d\nroles:\n  editor: Fills it in\n\
        sections:\n  - id: about\n    title: About you\n    questions:\n      - id: colour\n        label: Favourite colour\n\
        \x20       type: choice\n        choices: [Red, Green, Blue]\n";
    let system = Actor::System;
    collections::publish(app.app(), &system, v1.as_bytes()).await.unwrap();
    collections::assign(app.app(), &system, "colours", "northshire").await.unwrap();
    let actor = |email: &'static str| async move {
        let mut conn = app.store().conn().await.unwrap();
        let user = formwork_store::users::by_email(&mut conn, email).await.unwrap().unwrap();
        Actor::person(&mut conn, user).await.unwrap()
    };
    let editor = actor("editor@northshire.test").await;
    let reviewer = actor("reviewer@staff.test").await;
    let mut ids = Vec::new();
    for (period, colour) in
        [("2026-01-01", "Red"), ("2026-04-01", "Red"), ("2026-07-01", "Red"), ("2026-10-01", "Blue")]
    {
        let id = submissions::start(app.app(), &editor, "colours", "northshire", period)
            .await
            .unwrap()
            .submission
            .id;
        let answers = json!({"colour": colour}).as_object().unwrap().clone();
        let edit = submissions::Edit::Section { section: "about".into(), answers, complete: Some(true) };
        let revision =
            submissions::edit(app.app(), &editor, &id, 1, edit).await.unwrap().view.submission.revision;
        ids.push((id, revision));
    }
    let mut submitted = Vec::new();
    for (id, revision) in &ids[..2] {
        submitted
            .push(lifecycle::submit(app.app(), &editor, id, *revision).await.unwrap().submission.revision);
    }
    lifecycle::accept(app.app(), &reviewer, &ids[1].0, submitted[1]).await.unwrap();
    let v2 = v1.replace("version: 1", "version: 2").replace("[Red, Green, Blue]", "[Red, Green]");
    collections::publish(app.app(), &system, v2.as_bytes()).await.unwrap();
    lifecycle::move_to_latest(app.app(), &editor, &ids[3].0, ids[3].1).await.unwrap();
    ids.into_iter().map(|(id, _)| id).collect()
}

/// northshire's lettings log with a data provider, and a record of it to visit: a duplicate of
/// another, with a warning to confirm.
async fn records_to_visit(app: &TestApp) -> String {
    use formwork_service::records::{NewRecordInput, create};
    let system = Actor::System;
    formwork_service::collections::assign(app.app(), &system, "lettings-log", "northshire").await.unwrap();
    let person = formwork_service::people::NewPerson {
        email: "provider@northshire.test".into(),
        name: Some("Test provider".into()),
        password: Some(PASSWORD.into()),
        ..Default::default()
    };
    formwork_service::people::create(app.app(), &system, &person).await.unwrap();
    formwork_service::organisations::add_member(
        app.app(),
        &system,
        "northshire",
        "provider@northshire.test",
        &["data_provider".to_string()],
    )
    .await
    .unwrap();
    let answers = json!({
        "tenancy_code": "T-0001", "tenancy_start": "2026-05-01", "property_postcode": "NE1 4XF",
        "household_size": 1, "lead_age": 101,
    });
    let mut last = String::new();
    for _ in 0..2 {
        let new = NewRecordInput {
            collection: "lettings-log".into(),
            organisation: "northshire".into(),
            period: None,
            answers: answers.as_object().unwrap().clone(),
        };
        last = create(app.app(), &system, new).await.unwrap().record.id;
    }
    last
}

/// Uploads of northshire's lettings (after [`records_to_visit`]), checked: one with warnings to
/// confirm, one of a file uploaded before, and one with errors; their ids in that order.
async fn uploads_to_visit(app: &TestApp) -> [String; 3] {
    use crate::uploads_pages::lettings_csv;
    use formwork_definition::Severity;
    use formwork_definition::validate::Code;
    use formwork_service::uploads::{NewFile, receive};
    let (warnings, _) = lettings_csv(3, 1.0, &[(Code::Rule, Severity::Warning)], 60);
    let (clean, _) = lettings_csv(3, 0.0, &[], 61);
    let (errors, _) = lettings_csv(3, 1.0, &[(Code::Type, Severity::Error)], 62);
    let mut ids = Vec::new();
    for (name, bytes) in [
        ("warnings.csv", warnings),
        ("clean.csv", clean.clone()),
        ("again.csv", clean),
        ("errors.csv", errors),
    ] {
        let chunk: Result<axum::body::Bytes, std::io::Error> = Ok(bytes.into());
        let new = NewFile {
            collection: Some("lettings-log".into()),
            organisation: Some("northshire".into()),
            period: None,
            submission: None,
            table: None,
            file_name: name.into(),
            body: futures_util::stream::iter([chunk]),
        };
        ids.push(receive(app.app(), app.state.files(), &Actor::System, new).await.unwrap().upload.id);
        app.run_jobs().await;
    }
    [ids[0].clone(), ids[2].clone(), ids[3].clone()]
}

/// The data provider's lettings exported as a file, ready to download (after [`uploads_to_visit`]),
/// and a scheduled export of them that has run once; the export's id.
async fn exports_to_visit(app: &TestApp) -> String {
    use formwork_service::exports::{self, ExportRequest, NewFeed};
    let mut conn = app.store().conn().await.unwrap();
    let user = formwork_store::users::by_email(&mut conn, "provider@northshire.test").await.unwrap().unwrap();
    let provider = Actor::person(&mut conn, user).await.unwrap();
    drop(conn);
    let request =
        ExportRequest { collection: "lettings-log".into(), format: "xlsx".into(), ..Default::default() };
    let id = exports::start_job(app.app(), &provider, &request).await.unwrap().id;
    app.run_jobs().await;
    let feed = NewFeed {
        collection: "lettings-log".into(),
        format: "parquet".into(),
        prefix: "warehouse/lettings".into(),
        mode: None,
    };
    let feed = exports::add_feed(app.app(), &Actor::System, &feed).await.unwrap();
    exports::run_feed(app.app(), app.state.files(), &feed.id).await.unwrap();
    id
}

/// Where screenshots go: `target/screenshots/` (or under `CARGO_TARGET_DIR`).
fn screenshots_dir() -> std::path::PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../target").to_string());
    std::path::Path::new(&target).join("screenshots")
}

/// Run a browser script of tests/browser with a plan; its printed report.
async fn run_browser(script: &str, plan: &Value) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.json");
    std::fs::write(&path, plan.to_string()).unwrap();
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let script = format!("{}/tests/browser/{script}", env!("CARGO_MANIFEST_DIR"));
    let output = tokio::process::Command::new("node")
        .arg(script)
        .arg(&path)
        .current_dir(root)
        .env("NODE_PATH", format!("{root}/node_modules"))
        .output()
        .await
        .expect("node must be installed (scripts/setup installs the npm packages and Chromium)");
    let report = String::from_utf8_lossy(&output.stdout).to_string();
    let errors = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "problems:\n{report}\n{errors}");
    report
}

/// Run a browser script of tests/browser with a plan, running the app's queued jobs each time the
/// script asks (by writing the file the plan names as `jobs`), so that it sees each upload first
/// while it waits to be checked; the script's printed report.
async fn run_browser_with_worker(app: &TestApp, script: &str, mut plan: Value) -> String {
    let gate = tempfile::tempdir().unwrap();
    let jobs = gate.path().join("run-jobs");
    plan["jobs"] = json!(jobs);
    let worker = async {
        loop {
            if std::fs::remove_file(&jobs).is_ok() {
                app.run_jobs().await;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    };
    tokio::select! {
        report = run_browser(script, &plan) => report,
        _ = worker => unreachable!("the worker runs until the script ends"),
    }
}

#[tokio::test]
async fn a_data_provider_fills_in_a_whole_return_in_chromium_with_and_without_javascript() {
    let app = TestApp::on(formwork_store::Backend::Sqlite).await;
    let demo =
        formwork_service::demo::load(app.app(), app.state.files(), &crate::support::EXAMPLES).await.unwrap();
    let person = |role: &str, org: &str| format!("{role}@{org}.demo.formwork.test");
    let _ = std::fs::remove_dir_all(screenshots_dir().join("returns"));
    // The demo leaves Northshire's latest period and Southvale's previous one unstarted.
    let plan = json!({
        "base": app.base,
        "screenshots": screenshots_dir().join("returns"),
        "password": demo.password,
        "reviewer": "reviewer@demo.formwork.test",
        "runs": [
            {"who": "Northshire with JavaScript", "javascript": true, "organisation": "northshire", "period": "2026-10-01",
             "editor": person("editor", "northshire"), "finance": person("finance", "northshire"),
             "certifier": person("certifier", "northshire")},
            {"who": "Southvale without JavaScript", "javascript": false, "organisation": "southvale", "period": "2026-07-01",
             "editor": person("editor", "southvale"), "finance": person("finance", "southvale"),
             "certifier": person("certifier", "southvale")},
        ],
    });
    let report = run_browser_with_worker(&app, "returns.mjs", plan).await;
    assert!(report.contains("completed 2 returns"), "{report}");
}

/// A lettings CSV for the browser journey: its text, and what the journey checks of it.
fn journey_csv(count: usize, rate: f64, seed: u64) -> (String, Vec<formwork_testdata::Planted>) {
    use formwork_definition::Severity;
    use formwork_definition::validate::Code;
    let kinds =
        [(Code::Type, Severity::Error), (Code::Min, Severity::Error), (Code::Choice, Severity::Error)];
    let (bytes, planted) = crate::uploads_pages::lettings_csv(count, rate, &kinds, seed);
    (String::from_utf8(bytes).unwrap(), planted)
}

#[tokio::test]
async fn a_data_provider_uploads_lettings_with_errors_then_corrected_in_chromium_with_and_without_javascript()
{
    let app = crate::uploads_pages::lettings_app().await;
    let mut runs = Vec::new();
    for (who, javascript, organisation, seed) in [
        ("Northshire with JavaScript", true, "northshire", 40),
        ("Southvale without JavaScript", false, "southvale", 50),
    ] {
        let (bad, planted) = journey_csv(12, 0.4, seed);
        let first = planted.first().expect("a planted error");
        let (good, none) = journey_csv(10, 0.0, seed + 1);
        assert!(none.is_empty());
        // A tenancy code of the corrected file, to find among the records.
        let lines: Vec<&str> = good.lines().collect();
        let column = lines[0].split(',').position(|h| h == "tenancy_code").unwrap();
        let code = lines[1].split(',').nth(column).unwrap().to_string();
        runs.push(json!({
            "who": who, "javascript": javascript, "organisation": organisation,
            "email": format!("provider@{organisation}.test"),
            "bad": {"csv": bad, "errors": planted.len(), "row": first.row, "column": first.path.rsplit('/').next().unwrap()},
            "good": {"csv": good, "records": 10, "code": code},
            "web_code": format!("WEB-{}", organisation.to_uppercase()),
        }));
    }
    let screenshots = screenshots_dir().join("uploads");
    let _ = std::fs::remove_dir_all(&screenshots);
    let plan = json!({"base": app.base, "screenshots": screenshots, "password": PASSWORD, "runs": runs});
    let report = run_browser_with_worker(&app, "uploads.mjs", plan).await;
    assert!(report.contains("completed 2 journeys"), "{report}");
}
