//! A return on the pages: the dashboard, starting a return, the task list, a question section
//! saved with errors and then fixed, check answers, history, read-only for staff, hidden from
//! other organisations, and a save from an older revision that keeps what the person typed.

use formwork_store::Backend;

use crate::support::{Client, Reply, TestApp};

const EDITOR: &str = "editor@northshire.test";

/// The value of the hidden field `name` on a page.
fn hidden(page: &Reply, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.text.find(&marker).unwrap_or_else(|| panic!("no {name} on the page: {}", page.text))
        + marker.len();
    page.text[start..].split('"').next().unwrap().to_string()
}

fn title(page: &Reply) -> String {
    let start = page.text.find("<title>").unwrap() + "<title>".len();
    page.text[start..].split("</title>").next().unwrap().trim().to_string()
}

/// The page's `<main>`, with the return's id and the CSRF token redacted, for snapshots.
fn main_of(page: &Reply, id: &str) -> String {
    let start = page.text.find("<main").expect("a main element");
    let end = page.text.find("</main>").expect("the end of main") + "</main>".len();
    let csrf = hidden(page, "csrf_token");
    let main = page.text[start..end].replace(id, "[id]").replace(&csrf, "[csrf]");
    main.lines().map(str::trim_end).filter(|l| !l.trim().is_empty()).collect::<Vec<_>>().join("\n")
}

/// The seeded app, northshire's editor signed in, and the first quarter's towns-fund return they
/// started from the dashboard: its id.
async fn started() -> (TestApp, Client, String) {
    started_on(Backend::Sqlite).await
}

async fn started_on(backend: Backend) -> (TestApp, Client, String) {
    let app = TestApp::on(backend).await;
    app.seed().await;
    let editor = app.signed_in(EDITOR).await;
    let dashboard = editor.get("/returns").await;
    assert_eq!(dashboard.status, 200);
    assert!(dashboard.text.contains("Towns Fund monitoring return"), "{}", dashboard.text);
    assert!(dashboard.text.contains("April to June 2026"), "{}", dashboard.text);
    assert!(dashboard.text.contains("30 July 2026"), "its due date");
    assert!(dashboard.text.contains("Overdue"), "the first quarters are past their due dates");
    assert!(
        dashboard.text.contains("Start<span class=\"govuk-visually-hidden\">"),
        "a Start button per period"
    );
    let fields =
        [("collection", "towns-fund-monitoring"), ("organisation", "northshire"), ("period", "2026-04-01")];
    let first = editor.form("/returns", &fields).await;
    assert_eq!(first.status, 303, "{}", first.text);
    let again = editor.form("/returns", &fields).await;
    assert_eq!(again.location(), first.location(), "starting twice opens the same return");
    let id = first.location().trim_start_matches("/returns/").to_string();
    let dashboard = editor.get("/returns").await;
    assert!(dashboard.text.contains(&format!("href=\"/returns/{id}\"")), "the dashboard links to it");
    assert!(
        dashboard.text.contains("22 November 2026 at 10:00am by Test editor"),
        "who changed it last, and when"
    );
    (app, editor, id)
}

/// The programme section's answers, with `overrides` laid over good ones.
fn programme(revision: &str, overrides: &[(&'static str, &'static str)]) -> Vec<(&'static str, String)> {
    let mut fields: Vec<(&'static str, String)> = [
        ("programme_name", "Northshire towns"),
        ("lead_contact_email", "lead@northshire.test"),
        ("grant_total", "2500000"),
        ("start_date-day", "1"),
        ("start_date-month", "4"),
        ("start_date-year", "2026"),
        ("end_date-day", "31"),
        ("end_date-month", "3"),
        ("end_date-year", "2029"),
        ("overall_rag", "green"),
        ("has_changes", "no"),
        ("completed", "yes"),
        ("action", "continue"),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_string()))
    .collect();
    for (key, value) in overrides {
        match fields.iter_mut().find(|(k, _)| k == key) {
            Some(field) => field.1 = (*value).to_string(),
            None => fields.push((key, (*value).to_string())),
        }
    }
    fields.push(("revision", revision.to_string()));
    fields
}

async fn post(client: &Client, path: &str, fields: &[(&'static str, String)]) -> Reply {
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    client.form(path, &pairs).await
}

#[tokio::test]
async fn an_editor_fills_in_the_programme_section_with_errors_then_fixed_and_the_task_list_follows() {
    let (app, editor, id) = started().await;
    let tasks = editor.get(&format!("/returns/{id}")).await;
    assert_eq!(tasks.status, 200);
    assert!(tasks.text.contains("You have completed 0 of 5 sections"), "{}", tasks.text);
    insta::assert_snapshot!("returns_task_list", main_of(&tasks, &id));

    let section = format!("/returns/{id}/sections/programme");
    let page = editor.get(&section).await;
    assert_eq!(page.status, 200);
    assert_eq!(title(&page), "Programme details – Submit a return");
    assert!(page.text.contains("Have you completed this section?"));
    let revision = hidden(&page, "revision");

    let wrong = programme(
        &revision,
        &[("lead_contact_email", "not an email"), ("grant_total", "lots"), ("end_date-year", "2025")],
    );
    let saved = post(&editor, &section, &wrong).await;
    assert_eq!(saved.status, 422, "{}", saved.text);
    assert!(title(&saved).starts_with("Error: Programme details"), "{}", title(&saved));
    assert!(saved.text.contains("govuk-error-summary"));
    assert!(saved.text.contains("value=\"lots\""), "what was typed stays in the form");
    assert!(saved.text.contains("value=\"not an email\""));
    assert!(
        saved.text.contains("Programme end date must be the same as or after the programme start date"),
        "the engine's own message"
    );
    assert!(
        saved.text.contains("You cannot mark") || saved.text.contains("complete"),
        "why it is not complete"
    );
    insta::assert_snapshot!("returns_section_with_errors", main_of(&saved, &id));

    // Saved all the same: the answers are kept, errors and all.
    let tasks = editor.get(&format!("/returns/{id}")).await;
    assert!(tasks.text.contains("In progress") && tasks.text.contains("error"), "{}", tasks.text);

    let revision = hidden(&saved, "revision");
    let fixed = post(&editor, &section, &programme(&revision, &[])).await;
    assert_eq!(fixed.status, 303, "{}", fixed.text);
    assert_eq!(fixed.location(), format!("/returns/{id}?notice=return-saved"));
    let tasks = editor.get(&fixed.location()).await;
    assert!(tasks.text.contains("Your answers have been saved"));
    assert!(tasks.text.contains("You have completed 1 of 5 sections"), "{}", tasks.text);

    // Check answers, and a Change link that comes back to it.
    let check = editor.get(&format!("/returns/{id}/check")).await;
    assert_eq!(check.status, 200);
    assert!(check.text.contains("Northshire towns") && check.text.contains("£2500000"), "{}", check.text);
    assert!(check.text.contains("31 March 2029") && check.text.contains("On track"));
    assert!(check.text.contains(&format!("{section}?return_to=check#programme_name")));
    let change = editor.get(&format!("{section}?return_to=check")).await;
    let revision = hidden(&change, "revision");
    let changed = post(
        &editor,
        &format!("{section}?return_to=check"),
        &programme(&revision, &[("programme_name", "Northshire towns fund")]),
    )
    .await;
    assert_eq!(changed.location(), format!("/returns/{id}/check"));
    let section_check = editor.get(&format!("{section}/check")).await;
    assert!(section_check.text.contains("Northshire towns fund"));

    // History: who changed what, from what to what.
    let history = editor.get(&format!("/returns/{id}/history")).await;
    assert_eq!(history.status, 200);
    assert!(history.text.contains("Started the return"));
    assert!(history.text.contains("Changed Programme details"));
    assert!(history.text.contains("Marked Programme details as complete"));
    assert!(history.text.contains("Northshire towns fund") && history.text.contains("Test editor"));

    // A staff reviewer reads it and cannot change it.
    let reviewer = app.signed_in("reviewer@staff.test").await;
    let read = reviewer.get(&section).await;
    assert_eq!(read.status, 200);
    assert!(read.text.contains("You can read this section but not change it"));
    assert!(!read.text.contains("name=\"revision\""), "no form to save");
    assert!(read.text.contains("Northshire towns fund"));
    assert!(reviewer.get(&format!("/returns/{id}")).await.text.contains("Read only"));
    let refused = post(&reviewer, &section, &programme("3", &[])).await;
    assert_eq!(refused.status, 403);

    // Another organisation's member finds nothing there.
    let other = app.signed_in("editor@southvale.test").await;
    for path in [
        format!("/returns/{id}"),
        section.clone(),
        format!("{section}/check"),
        format!("/returns/{id}/check"),
        format!("/returns/{id}/history"),
    ] {
        let reply = other.get(&path).await;
        assert_eq!(reply.status, 404, "{path}");
        assert!(!reply.text.contains("Northshire"), "{path}");
    }
    assert_eq!(post(&other, &section, &programme("3", &[])).await.status, 404);
    let warning =
        post(&other, &format!("/returns/{id}/warnings"), &[("key", "x".into()), ("reason", "y".into())])
            .await;
    assert_eq!(warning.status, 404);
    let start = other
        .form(
            "/returns",
            &[
                ("collection", "towns-fund-monitoring"),
                ("organisation", "northshire"),
                ("period", "2026-04-01"),
            ],
        )
        .await;
    assert_eq!(start.status, 422, "another organisation's return cannot be started or opened");
}

#[tokio::test]
async fn a_save_from_an_older_revision_shows_what_changed_and_keeps_what_was_typed() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        a_save_from_an_older_revision_on(backend).await;
    }
}

async fn a_save_from_an_older_revision_on(backend: Backend) {
    let (app, first, id) = started_on(backend).await;
    let second = app.signed_in(EDITOR).await;
    let section = format!("/returns/{id}/sections/programme");
    let one = first.get(&section).await;
    let two = second.get(&section).await;
    let revision = hidden(&two, "revision");
    assert_eq!(hidden(&one, "revision"), revision);

    let saved = post(
        &first,
        &section,
        &programme(&revision, &[("programme_name", "First name"), ("action", "later")]),
    )
    .await;
    assert_eq!(saved.status, 303, "{}", saved.text);

    let late = post(&second, &section, &programme(&revision, &[("programme_name", "Second name")])).await;
    assert_eq!(late.status, 409, "{}", late.text);
    assert!(late.text.contains("Your answers were not saved"));
    assert!(late.text.contains("Programme name: no answer → First name (by Test editor"), "{}", late.text);
    assert!(late.text.contains("value=\"Second name\""), "the person's own answers stay in the form");
    let newer = hidden(&late, "revision");
    assert_ne!(newer, revision, "the form now carries the new revision");

    let again = post(&second, &section, &programme(&newer, &[("programme_name", "Second name")])).await;
    assert_eq!(again.status, 303, "saving again on top works: {}", again.text);
    let check = second.get(&format!("{section}/check")).await;
    assert!(check.text.contains("Second name"));
}

#[tokio::test]
async fn a_warning_is_confirmed_with_a_reason() {
    use formwork_service::Actor;
    use formwork_service::submissions::{self, Edit};
    use serde_json::json;
    let (app, _, id) = started().await;
    let system = Actor::System;
    let view = submissions::get(app.app(), &system, &id).await.unwrap();
    let answers =
        json!({"spend": [{"project_id": "TF-ABC-01", "quarter": "Q1", "source": "tf", "amount": "6000000"}]});
    let edit = Edit::Section {
        section: "spend".into(),
        answers: answers.as_object().unwrap().clone(),
        complete: None,
    };
    submissions::edit(app.app(), &system, &id, view.submission.revision, edit).await.unwrap();
    let view = submissions::get(app.app(), &system, &id).await.unwrap();
    let key = view.warnings.first().expect("a warning").key.clone();
    let admin = app.signed_in("admin@staff.test").await;
    let revision = view.submission.revision.to_string();
    let path = format!("/returns/{id}/warnings");
    let empty =
        post(&admin, &path, &[("key", key.clone()), ("reason", " ".into()), ("revision", revision.clone())])
            .await;
    assert_eq!(empty.status, 422, "{}", empty.text);
    assert!(empty.text.contains("Enter why this answer is right"));
    let confirmed = post(
        &admin,
        &path,
        &[("key", key), ("reason", "A land purchase this quarter".into()), ("revision", revision)],
    )
    .await;
    assert_eq!(confirmed.status, 303, "{}", confirmed.text);
    let view = submissions::get(app.app(), &system, &id).await.unwrap();
    assert_eq!(view.warnings[0].confirmation.as_ref().unwrap().reason, "A land purchase this quarter");
    let history = admin.get(&format!("/returns/{id}/history")).await.text;
    assert!(history.contains("A land purchase this quarter"), "the reason is kept in history");
    assert!(
        history.contains(
            "Row 1: Project ID: TF-ABC-01, Quarter: Q1, Funding source: Towns Fund, Amount spent: £6000000.00"
        ),
        "a row's cells by their labels: {history}"
    );
}

/// A return with one question that warns above £1,000.
const GRANTS: &str = "formwork: 1
collection: grants-check
version: 1
title: Grants check
kind: return
schedule: {frequency: annual, start: 2026-04-01, due: 30d}
roles:
  editor: Fills it in
sections:
  - id: about
    title: About the grant
    questions:
      - id: amount
        label: Grant amount
        type: money
        rules:
          - check: amount <= 1000
            message: A grant over £1,000 must be confirmed
            severity: warning
";

#[tokio::test]
async fn a_question_warning_keeps_its_section_incomplete_until_confirmed_with_a_reason() {
    use formwork_service::Actor;
    let app = TestApp::on(Backend::Sqlite).await;
    app.seed().await;
    formwork_service::collections::publish(app.app(), &Actor::System, GRANTS.as_bytes()).await.unwrap();
    formwork_service::collections::assign(app.app(), &Actor::System, "grants-check", "northshire")
        .await
        .unwrap();
    let editor = app.signed_in(EDITOR).await;
    let fields = [("collection", "grants-check"), ("organisation", "northshire"), ("period", "2026-04-01")];
    let id = editor.form("/returns", &fields).await.location().trim_start_matches("/returns/").to_string();
    let section = format!("/returns/{id}/sections/about");
    let page = editor.get(&section).await;
    let answers = |revision: String| {
        vec![
            ("amount", "5000".to_string()),
            ("completed", "yes".to_string()),
            ("action", "continue".to_string()),
            ("revision", revision),
        ]
    };
    let saved = post(&editor, &section, &answers(hidden(&page, "revision"))).await;
    assert_eq!(saved.status, 422, "{}", saved.text);
    assert!(saved.text.contains("until you confirm its warnings"), "{}", saved.text);
    assert!(saved.text.contains("A grant over £1,000 must be confirmed"));
    assert!(
        saved.text.contains("action=\"/returns/") && saved.text.contains("/warnings\""),
        "a form to confirm it"
    );

    let key = hidden(&saved, "key");
    let revision = hidden(&saved, "revision");
    let warnings = format!("/returns/{id}/warnings");
    let empty = post(
        &editor,
        &warnings,
        &[("key", key.clone()), ("reason", "".into()), ("revision", revision.clone())],
    )
    .await;
    assert_eq!(empty.status, 422);
    assert!(title(&empty).starts_with("Error: "), "{}", title(&empty));
    assert!(empty.text.contains("Enter why this answer is right"));
    let confirmed = post(
        &editor,
        &warnings,
        &[("key", key), ("reason", "Two grants were merged".into()), ("revision", revision)],
    )
    .await;
    assert_eq!(confirmed.location(), format!("{section}?notice=warning-confirmed"));
    let page = editor.get(&confirmed.location()).await;
    assert!(page.text.contains("Confirmed: Two grants were merged"), "{}", page.text);

    let done = post(&editor, &section, &answers(hidden(&page, "revision"))).await;
    assert_eq!(done.status, 303, "{}", done.text);
    let tasks = editor.get(&format!("/returns/{id}")).await;
    assert!(tasks.text.contains("You have completed every section"), "{}", tasks.text);
}
