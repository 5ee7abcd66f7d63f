//! A return's life on the pages after it is filled in: the certifier signs it off and it is
//! submitted with a reference; refusals (the declaration not ticked, the wrong person) are shown
//! in the error summary; a reviewer finds it in the queue, sends it back with a comment the
//! organisation sees, accepts the next submission and reopens it; a change after a sign-off is
//! warned of first; a draft moves to a newer version of its form and lists what did not fit.

use formwork_service::Actor;
use formwork_service::submissions::{self, Edit};
use serde_json::{Value, json};

use crate::support::{Client, Reply, TestApp};

const EDITOR: &str = "editor@northshire.test";
const CERTIFIER: &str = "certifier@northshire.test";
const REVIEWER: &str = "reviewer@staff.test";

/// The value of the hidden field `name` on a page.
fn hidden(page: &Reply, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.text.find(&marker).unwrap_or_else(|| panic!("no {name} on the page: {}", page.text))
        + marker.len();
    page.text[start..].split('"').next().unwrap().to_string()
}

/// The page's `<main>`, with `redact`ed values replaced by their names, for snapshots.
fn main_of(page: &Reply, redact: &[(&str, &str)]) -> String {
    let start = page.text.find("<main").expect("a main element");
    let end = page.text.find("</main>").expect("the end of main") + "</main>".len();
    let mut main = page.text[start..end].to_string();
    for (value, name) in redact {
        main = main.replace(value, name);
    }
    main.lines().map(str::trim_end).filter(|l| !l.trim().is_empty()).collect::<Vec<_>>().join("\n")
}

/// The text of the error summary's list, or "" when the page has none.
fn error_summary(page: &Reply) -> String {
    let Some(start) = page.text.find("govuk-error-summary__list") else { return String::new() };
    let end = page.text[start..].find("</ul>").map_or(page.text.len(), |e| start + e);
    page.text[start..end].to_string()
}

/// Apply `edit` to return `id` as the system, from its revision now.
async fn edit(app: &TestApp, id: &str, edit: Edit) {
    let now = submissions::get(app.app(), &Actor::System, id).await.unwrap();
    let edited =
        submissions::edit(app.app(), &Actor::System, id, now.submission.revision, edit).await.unwrap();
    assert!(edited.not_completed.is_none(), "{:?}", edited.not_completed);
}

fn answers(value: Value) -> serde_json::Map<String, Value> {
    value.as_object().unwrap().clone()
}

/// Northshire's first-quarter towns-fund return, every section complete and no warning: ready
/// for its certifier. Its id.
async fn ready_towns_fund(app: &TestApp) -> String {
    let system = Actor::System;
    let started = submissions::start(app.app(), &system, "towns-fund-monitoring", "northshire", "2026-04-01")
        .await
        .unwrap();
    let id = started.submission.id;
    let programme = json!({
        "programme_name": "Northshire towns",
        "lead_contact_email": "lead@northshire.test",
        "grant_total": "2500000",
        "start_date": "2026-04-01",
        "end_date": "2029-03-31",
        "overall_rag": "green",
        "has_changes": false,
    });
    let projects = json!({"projects": [{"project_id": "TF-NOR-01", "project_name": "Market hall", "theme": "culture", "rag": "green", "percent_complete": "40"}]});
    let spend =
        json!({"spend": [{"project_id": "TF-NOR-01", "quarter": "Q1", "source": "tf", "amount": "125000"}]});
    for (section, value) in [("programme", programme), ("projects", projects), ("spend", spend)] {
        let e = Edit::Section { section: section.into(), answers: answers(value), complete: Some(true) };
        edit(app, &id, e).await;
    }
    for section in ["outputs", "evidence"] {
        edit(app, &id, Edit::Mark { section: section.into(), complete: true }).await;
    }
    let view = submissions::get(app.app(), &system, &id).await.unwrap();
    assert!(view.ready(), "the return is ready: {:?} {:?}", view.errors, view.sections);
    id
}

/// Sign off the only step of return `id` as the certifier through the pages: the reference.
async fn sign_off(certifier: &Client, id: &str) -> String {
    let page = certifier.get(&format!("/returns/{id}/sign-off")).await;
    assert_eq!(page.status, 200);
    let revision = hidden(&page, "revision");
    let signed = certifier
        .form(
            &format!("/returns/{id}/sign-off"),
            &[("revision", &revision), ("step", "0"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(signed.status, 303, "{}", signed.text);
    assert_eq!(signed.location(), format!("/returns/{id}/submitted"));
    let done = certifier.get(&signed.location()).await;
    assert!(done.text.contains("govuk-panel--confirmation"), "{}", done.text);
    assert!(done.text.contains("Return submitted"));
    let marker = "Your reference is<br><strong>";
    let start = done.text.find(marker).unwrap() + marker.len();
    done.text[start..].split('<').next().unwrap().to_string()
}

#[tokio::test]
async fn a_certifier_signs_off_after_reading_the_whole_return_and_it_is_submitted_with_a_reference() {
    let app = TestApp::on(formwork_store::Backend::Sqlite).await;
    app.seed().await;
    let id = ready_towns_fund(&app).await;
    let tasks = format!("/returns/{id}");

    // The editor sees where it is, and that the certifier signs it.
    let editor = app.signed_in(EDITOR).await;
    let page = editor.get(&tasks).await;
    assert!(page.text.contains("Ready for sign-off"), "{}", page.text);
    assert!(page.text.contains("Waiting for someone with the certifier role to sign it off"));
    assert!(page.text.contains("Step 1 of 1: someone with the certifier role signs it off"));
    assert!(!page.text.contains("Sign off this return"));

    // The certifier is asked to sign, and reads every section, rows included.
    let certifier = app.signed_in(CERTIFIER).await;
    let page = certifier.get(&tasks).await;
    assert!(page.text.contains(&format!("href=\"/returns/{id}/sign-off\"")), "{}", page.text);
    let form = certifier.get(&format!("/returns/{id}/sign-off")).await;
    assert_eq!(form.status, 200);
    for section in
        ["Programme details", "Project progress", "Spend to date", "Outputs", "Supporting evidence"]
    {
        assert!(form.text.contains(section), "{section} on the sign-off page");
    }
    assert!(form.text.contains("Market hall"), "a table's rows");
    assert!(form.text.contains("to the best of my knowledge"), "the declaration");
    let revision = hidden(&form, "revision");
    let path = format!("/returns/{id}/sign-off");

    // Not ticking the declaration is refused, in the error summary.
    let unticked = certifier.form(&path, &[("revision", &revision), ("step", "0")]).await;
    assert_eq!(unticked.status, 422);
    assert!(error_summary(&unticked).contains("Confirm the declaration to sign off this return"));
    assert!(unticked.text.contains("href=\"#confirm\""));
    assert!(unticked.text.contains("<title>Error: "));

    // So is the wrong person.
    let wrong = editor.form(&path, &[("revision", &revision), ("step", "0"), ("confirm", "yes")]).await;
    assert_eq!(wrong.status, 403, "{}", wrong.text);
    assert!(error_summary(&wrong).contains("Only people with the certifier role can sign off this step"));
    let still = submissions::get(app.app(), &Actor::System, &id).await.unwrap();
    assert!(still.submission.sign_offs.is_empty(), "a refusal changes nothing");

    let signed = certifier.form(&path, &[("revision", &revision), ("step", "0"), ("confirm", "yes")]).await;
    assert_eq!(signed.status, 303, "{}", signed.text);
    assert_eq!(signed.location(), format!("/returns/{id}/submitted"));
    let done = certifier.get(&signed.location()).await;
    let view = submissions::get(app.app(), &Actor::System, &id).await.unwrap();
    let reference = view.submission.reference.clone().expect("a reference");
    assert!(done.text.contains(&format!("Your reference is<br><strong>{reference}</strong>")));
    insta::assert_snapshot!(
        "lifecycle_submitted",
        main_of(&done, &[(&id, "[id]"), (&reference, "[reference]")])
    );

    // The task list says where it is; the organisation can no longer change it.
    let page = editor.get(&tasks).await;
    assert!(page.text.contains(&reference));
    assert!(page.text.contains("Signed off by Test certifier (certifier) on 22 November 2026 at 10:00am"));
    assert!(page.text.contains("A reviewer checks it"));
    let section = editor.get(&format!("/returns/{id}/sections/programme")).await;
    assert!(section.text.contains("You can read this section but not change it"));
    // Signing again is refused with the reason.
    let again = certifier.get(&path).await;
    assert!(again.text.contains("This return is submitted: there is nothing to sign off"), "{}", again.text);
    assert!(!again.text.contains("name=\"confirm\""));
}

#[tokio::test]
async fn a_reviewer_returns_it_with_a_comment_the_organisation_sees_then_accepts_and_reopens_it() {
    let app = TestApp::on(formwork_store::Backend::Sqlite).await;
    app.seed().await;
    let id = ready_towns_fund(&app).await;
    let certifier = app.signed_in(CERTIFIER).await;
    let reference = sign_off(&certifier, &id).await;

    // The queue lists it, with counts by state.
    let reviewer = app.signed_in(REVIEWER).await;
    let queue = reviewer.get("/review").await;
    assert_eq!(queue.status, 200);
    assert!(queue.text.contains(&format!("href=\"/review/{id}\"")), "{}", queue.text);
    assert!(queue.text.contains("Submitted (1)"));
    assert!(queue.text.contains("href=\"/review\""), "Review is in the staff's navigation");
    insta::assert_snapshot!(
        "lifecycle_review_queue",
        main_of(&queue, &[(&id, "[id]"), (&reference, "[reference]")])
    );
    let filtered = reviewer.get("/review?organisation=southvale").await;
    assert!(!filtered.text.contains(&id), "filtered by organisation");
    let overdue = reviewer.get("/review?overdue=yes").await;
    assert!(overdue.text.contains("Overdue"), "{}", overdue.text);
    let editor = app.signed_in(EDITOR).await;
    assert_eq!(editor.get("/review").await.status, 403, "the queue is the staff's");

    // The whole return, with the reviewer's actions.
    let whole = reviewer.get(&format!("/review/{id}")).await;
    assert_eq!(whole.status, 200);
    assert!(whole.text.contains("Market hall") && whole.text.contains("Signed off by Test certifier"));
    assert!(whole.text.contains(&format!("href=\"/returns/{id}/accept\"")));
    assert!(whole.text.contains(&format!("href=\"/returns/{id}/return\"")));
    assert!(whole.text.contains(&format!("href=\"/returns/{id}/history\"")));

    // Sent back: at least one comment is needed.
    let form = reviewer.get(&format!("/returns/{id}/return")).await;
    assert_eq!(form.status, 200);
    let revision = hidden(&form, "revision");
    let path = format!("/returns/{id}/return");
    let empty = reviewer.form(&path, &[("revision", &revision), ("comments.programme", "  ")]).await;
    assert_eq!(empty.status, 422);
    assert!(error_summary(&empty).contains("Enter a comment on at least one section"));
    let comment = "The grant total does not match the offer letter";
    let returned = reviewer
        .form(&path, &[("revision", &revision), ("comments.programme", comment), ("comments.projects", "")])
        .await;
    assert_eq!(returned.status, 303, "{}", returned.text);
    assert_eq!(returned.location(), format!("/review/{id}?notice=returned"));

    // The organisation sees the comment on its task list and on the section's page, and fixes it.
    let tasks = editor.get(&format!("/returns/{id}")).await;
    assert!(tasks.text.contains("Changes requested") && tasks.text.contains(comment), "{}", tasks.text);
    assert!(tasks.text.contains("The reviewer asked for changes"));
    let section = editor.get(&format!("/returns/{id}/sections/programme")).await;
    assert!(section.text.contains(comment), "{}", section.text);
    assert!(!section.text.contains("signed off this return"), "the sign-off was cleared by the return");
    let revision = hidden(&section, "revision");
    let fields = [
        ("revision", revision.as_str()),
        ("programme_name", "Northshire towns"),
        ("lead_contact_email", "lead@northshire.test"),
        ("grant_total", "2400000"),
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
    ];
    let saved = editor.form(&format!("/returns/{id}/sections/programme"), &fields).await;
    assert_eq!(saved.status, 303, "{}", saved.text);

    // Signed again: submitted again under the same reference.
    assert_eq!(sign_off(&certifier, &id).await, reference);

    // Accepted, which locks it.
    let confirm = reviewer.get(&format!("/returns/{id}/accept")).await;
    assert_eq!(confirm.status, 200);
    let revision = hidden(&confirm, "revision");
    let accepted = reviewer.form(&format!("/returns/{id}/accept"), &[("revision", &revision)]).await;
    assert_eq!(accepted.status, 303, "{}", accepted.text);
    let page = reviewer.get(&accepted.location()).await;
    assert!(page.text.contains("The return has been accepted"));
    assert!(page.text.contains(&format!("href=\"/returns/{id}/reopen\"")));
    let again = reviewer.form(&format!("/returns/{id}/accept"), &[("revision", &revision)]).await;
    assert_eq!(again.status, 409, "a stale or second acceptance is refused");
    assert!(!error_summary(&again).is_empty());
    assert!(editor.get(&format!("/returns/{id}")).await.text.contains("Accepted"));

    // Reopened, with a reason.
    let form = reviewer.get(&format!("/returns/{id}/reopen")).await;
    let revision = hidden(&form, "revision");
    let path = format!("/returns/{id}/reopen");
    let no_reason = reviewer.form(&path, &[("revision", &revision), ("reason", "")]).await;
    assert_eq!(no_reason.status, 422);
    assert!(error_summary(&no_reason).contains("Enter why the return is being reopened"));
    let reopened =
        reviewer.form(&path, &[("revision", &revision), ("reason", "The auditors found a mistake")]).await;
    assert_eq!(reopened.status, 303, "{}", reopened.text);
    let view = submissions::get(app.app(), &Actor::System, &id).await.unwrap();
    assert_eq!(view.submission.state.as_str(), "in_progress");
    // Org members are refused the reviewer's actions, with the reason on the page.
    let refused = editor.get(&format!("/returns/{id}/accept")).await;
    assert!(refused.text.contains("only a submitted return can be sent back for changes or accepted"));
}

/// A return with two sign-off steps, a choice and a text question, a table and an optional file;
/// version 2 drops the choice `blue`.
fn two_step(version: u32, colours: &str) -> String {
    format!(
        "formwork: 1\ncollection: two-step\nversion: {version}\ntitle: Two-step return\nkind: return\n\
schedule:\n  frequency: annual\n  start: 2026-04-01\n  due: 30d\n\
roles:\n  editor: Fills it in\n  certifier: Signs first\n  finance: Signs second\n\
choice_lists:\n  colour: [{colours}]\n\
sections:\n  - id: about\n    title: About\n    editors: [editor]\n    questions:\n      - id: name\n        label: Name\n        type: text\n      - id: colour\n        label: Favourite colour\n        type: choice\n        choices: colour\n\
\x20 - id: items\n    title: Items\n    editors: [editor]\n    table:\n      columns:\n        - {{id: amount, label: Amount, type: money}}\n\
\x20 - id: evidence\n    title: Evidence\n    editors: [editor]\n    questions:\n      - id: letter\n        label: Grant letter\n        type: file\n        required: false\n\
sign_off:\n  - by: certifier\n    declaration: I have checked the answers.\n  - by: finance\n    declaration: I have checked the money.\n"
    )
}

/// The two-step collection, assigned to northshire, with a finance person; its started return.
async fn two_step_return(app: &TestApp) -> String {
    let system = Actor::System;
    formwork_service::collections::publish(app.app(), &system, two_step(1, "red, blue").as_bytes())
        .await
        .unwrap();
    formwork_service::collections::assign(app.app(), &system, "two-step", "northshire").await.unwrap();
    let person = formwork_service::people::NewPerson {
        email: "finance@northshire.test".into(),
        name: Some("Test finance".into()),
        password: Some(crate::support::PASSWORD.into()),
        staff_role: None,
    };
    formwork_service::people::create(app.app(), &system, &person).await.unwrap();
    formwork_service::organisations::add_member(
        app.app(),
        &system,
        "northshire",
        "finance@northshire.test",
        &["finance".to_string()],
    )
    .await
    .unwrap();
    let started =
        submissions::start(app.app(), &system, "two-step", "northshire", "2026-04-01").await.unwrap();
    let id = started.submission.id;
    let e = Edit::Section {
        section: "about".into(),
        answers: answers(json!({"name": "Northshire", "colour": "blue"})),
        complete: Some(true),
    };
    edit(app, &id, e).await;
    let row = Edit::Row { table: "items".into(), index: None, row: answers(json!({"amount": "5"})) };
    edit(app, &id, row).await;
    for section in ["items", "evidence"] {
        edit(app, &id, Edit::Mark { section: section.into(), complete: true }).await;
    }
    id
}

#[tokio::test]
async fn after_the_first_sign_off_the_section_page_warns_that_a_change_clears_it() {
    let app = TestApp::on(formwork_store::Backend::Sqlite).await;
    app.seed().await;
    let id = two_step_return(&app).await;
    let certifier = app.signed_in(CERTIFIER).await;
    let form = certifier.get(&format!("/returns/{id}/sign-off")).await;
    assert!(form.text.contains("Step 1 of 2: declaration"), "{}", form.text);
    assert!(form.text.contains(">Sign off<") || form.text.contains("Sign off\n"), "not the last step");
    let revision = hidden(&form, "revision");
    let signed = certifier
        .form(
            &format!("/returns/{id}/sign-off"),
            &[("revision", &revision), ("step", "0"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(signed.status, 303, "{}", signed.text);
    assert_eq!(signed.location(), format!("/returns/{id}?notice=signed-off"));
    let tasks = certifier.get(&signed.location()).await;
    assert!(tasks.text.contains("You have signed off this return"));
    assert!(tasks.text.contains("Signed off by Test certifier (certifier)"));
    assert!(tasks.text.contains("Step 2 of 2: someone with the finance role signs it off"), "{}", tasks.text);
    assert!(
        tasks.text.contains("Waiting for someone with the finance role to sign it off"),
        "the next step is someone else's"
    );

    let editor = app.signed_in(EDITOR).await;
    let section = editor.get(&format!("/returns/{id}/sections/about")).await;
    assert!(
        section.text.contains(
            "Test certifier signed off this return. If you change any answer, every sign-off is cleared and they will need to sign again."
        ),
        "{}",
        section.text
    );
    // So do the pages of a table's row, of removing it, and of a file.
    for page in ["sections/items/rows/0", "sections/items/rows/0/remove", "files/letter"] {
        let shown = editor.get(&format!("/returns/{id}/{page}")).await;
        assert!(shown.text.contains("Test certifier signed off this return."), "{page}: {}", shown.text);
    }
    let revision = hidden(&section, "revision");
    let saved = editor
        .form(
            &format!("/returns/{id}/sections/about"),
            &[
                ("revision", &revision),
                ("name", "Northshire CC"),
                ("colour", "blue"),
                ("completed", "yes"),
                ("action", "continue"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.text);
    let tasks = editor.get(&format!("/returns/{id}")).await;
    assert!(!tasks.text.contains("Signed off by"), "the change cleared the sign-off");
}

#[tokio::test]
async fn a_draft_moves_to_the_new_version_and_lists_every_answer_that_did_not_fit() {
    let app = TestApp::on(formwork_store::Backend::Sqlite).await;
    app.seed().await;
    let id = two_step_return(&app).await;
    let editor = app.signed_in(EDITOR).await;
    let move_page = editor.get(&format!("/returns/{id}/move")).await;
    assert!(move_page.text.contains("cannot be moved"), "no newer version yet");
    assert!(!move_page.text.contains("name=\"revision\""));

    formwork_service::collections::publish(app.app(), &Actor::System, two_step(2, "red, green").as_bytes())
        .await
        .unwrap();
    let tasks = editor.get(&format!("/returns/{id}")).await;
    assert!(tasks.text.contains("A newer version of this form is available"), "{}", tasks.text);
    assert!(tasks.text.contains("move this return to version 2"));
    let move_page = editor.get(&format!("/returns/{id}/move")).await;
    assert_eq!(move_page.status, 200);
    assert!(move_page.text.contains("Move to version 2"));
    let revision = hidden(&move_page, "revision");
    let moved = editor.form(&format!("/returns/{id}/move"), &[("revision", &revision)]).await;
    assert_eq!(moved.status, 303, "{}", moved.text);
    assert_eq!(moved.location(), format!("/returns/{id}/moved"));
    let listed = editor.get(&moved.location()).await;
    assert!(listed.text.contains("This return now follows version 2 of the form"), "{}", listed.text);
    assert!(listed.text.contains("Favourite colour") && listed.text.contains("blue"), "{}", listed.text);
    let again = editor.form(&format!("/returns/{id}/move"), &[("revision", &revision)]).await;
    assert_eq!(again.status, 409, "moving twice is refused");
    assert!(!error_summary(&again).is_empty());

    // A staff admin moves every draft at once from the collection's page.
    formwork_service::collections::publish(app.app(), &Actor::System, two_step(3, "red").as_bytes())
        .await
        .unwrap();
    let admin = app.signed_in("admin@staff.test").await;
    let collection = admin.get("/collections/two-step").await;
    assert!(collection.text.contains("Move all drafts to version 3"), "{}", collection.text);
    let done = admin.form("/collections/two-step/move-drafts", &[]).await;
    assert_eq!(done.status, 200, "{}", done.text);
    assert!(done.text.contains("1 draft was moved to version 3"), "{}", done.text);
    assert_eq!(editor.form("/collections/two-step/move-drafts", &[]).await.status, 403);
}
