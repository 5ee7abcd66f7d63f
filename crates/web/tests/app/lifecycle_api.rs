//! The life of a return after it is filled in, through the API alone: sign-off steps in order,
//! submission with a reference, review (sent back with comments, accepted), reopening, moving a
//! draft to a newer version of its form, the review queue's filters and counts — and every step
//! refused (out of order, by the wrong person, twice, too early, stale, two reviewers at once)
//! with a clear message and nothing changed.

use formwork_service::Actor;
use formwork_service::organisations::add_member;
use formwork_service::people::{NewPerson, create as create_person};
use formwork_store::Backend;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{Caller, Client, Reply, TestApp, caller, on_both};

impl Caller<'_> {
    /// The return as the caller reads it now.
    async fn read(&self, id: &str) -> Value {
        let reply = self.get(&format!("/api/v1/submissions/{id}")).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        reply.json()
    }

    /// A step (`sign-off`, `return`…) from the revision read now.
    async fn step(&self, id: &str, action: &str, body: &Value) -> Reply {
        let etag = self.get(&format!("/api/v1/submissions/{id}")).await.header("etag");
        self.step_from(id, action, &etag, body).await
    }

    /// A step from the revision `etag`.
    async fn step_from(&self, id: &str, action: &str, etag: &str, body: &Value) -> Reply {
        let path = format!("/api/v1/submissions/{id}/{action}");
        self.json(Method::POST, &path, &[("if-match", etag)], body).await
    }
}

/// A person in northshire with these roles.
async fn member(app: &TestApp, email: &str, roles: &[&str]) {
    let person = NewPerson { email: email.into(), name: Some(format!("Test {email}")), ..Default::default() };
    create_person(app.app(), &Actor::System, &person).await.unwrap();
    let roles: Vec<String> = roles.iter().map(|r| (*r).to_string()).collect();
    add_member(app.app(), &Actor::System, "northshire", email, &roles).await.unwrap();
}

/// A second staff reviewer.
async fn second_reviewer(app: &TestApp) {
    let person = NewPerson {
        email: "reviewer2@staff.test".into(),
        name: Some("Second reviewer".into()),
        staff_role: Some("reviewer".into()),
        ..Default::default()
    };
    create_person(app.app(), &Actor::System, &person).await.unwrap();
}

fn section<'a>(body: &'a Value, id: &str) -> &'a Value {
    body["sections"].as_array().unwrap().iter().find(|s| s["id"] == id).unwrap()
}

fn message(reply: &Reply) -> String {
    reply.json()["error"]["message"].as_str().unwrap_or("").to_string()
}

/// A refusal: its status, code and words, and the return exactly as it was (same revision and
/// state).
async fn refused(reply: &Reply, status: u16, words: &str, reader: &Caller<'_>, before: &Value) {
    assert_eq!(reply.status, status, "{}", reply.text);
    assert!(message(reply).contains(words), "“{words}” in {}", reply.text);
    let id = before["id"].as_str().unwrap();
    let now = reader.read(id).await;
    assert_eq!(
        (&now["revision"], &now["state"], &now["sign_offs"]),
        (&before["revision"], &before["state"], &before["sign_offs"]),
        "a refused step changed the return"
    );
}

/// Start a return and answer and complete each section, through the API.
async fn start(caller: &Caller<'_>, collection: &str, period: &str) -> String {
    let body = json!({"collection": collection, "organisation": "northshire", "period": period});
    let started = caller.json(Method::POST, "/api/v1/submissions", &[], &body).await;
    assert!(matches!(started.status, 200 | 201), "{}", started.text);
    started.json()["id"].as_str().unwrap().to_string()
}

async fn complete(caller: &Caller<'_>, id: &str, section_id: &str, answers: Value) {
    let saved = caller.patch(id, &json!({"section": section_id, "answers": answers, "complete": true})).await;
    assert_eq!(saved.status, 200, "{}", saved.text);
    assert_eq!(section(&saved.json(), section_id)["status"], "completed", "{}", saved.text);
}

/// northshire's towns-fund return for a period, every section complete: the editor's sections
/// and finance's spend.
async fn towns_fund(editor: &Caller<'_>, finance: &Caller<'_>, period: &str) -> String {
    let id = start(editor, "towns-fund-monitoring", period).await;
    let programme = json!({
        "programme_name": "Northshire Towns Fund",
        "lead_contact_email": "towns@northshire.test",
        "grant_total": "25000000",
        "start_date": "2026-04-01",
        "end_date": "2029-03-31",
        "overall_rag": "green",
        "has_changes": false,
    });
    complete(editor, &id, "programme", programme).await;
    let project = json!({"project_id": "TF-ABC-01", "project_name": "Station quarter", "theme": "transport", "rag": "green", "percent_complete": "40"});
    complete(editor, &id, "projects", json!({"projects": [project]})).await;
    let spend = json!({"project_id": "TF-ABC-01", "quarter": "Q1", "source": "tf", "amount": "1250000.50"});
    complete(finance, &id, "spend", json!({"spend": [spend]})).await;
    complete(editor, &id, "outputs", json!({"outputs": []})).await;
    complete(editor, &id, "evidence", json!({})).await;
    let ready = editor.read(&id).await;
    assert_eq!(ready["state"], "ready_for_sign_off", "{ready}");
    id
}

/// The seeded people, a finance officer, and their API callers.
struct People<'a> {
    editor: Caller<'a>,
    finance: Caller<'a>,
    certifier: Caller<'a>,
    reviewer: Caller<'a>,
    analyst: Caller<'a>,
    org_admin: Caller<'a>,
}

async fn people<'a>(app: &TestApp, client: &'a Client) -> People<'a> {
    member(app, "finance@northshire.test", &["finance"]).await;
    People {
        editor: caller(app, client, "editor@northshire.test").await,
        finance: caller(app, client, "finance@northshire.test").await,
        certifier: caller(app, client, "certifier@northshire.test").await,
        reviewer: caller(app, client, "reviewer@staff.test").await,
        analyst: caller(app, client, "analyst@staff.test").await,
        org_admin: caller(app, client, "org-admin@northshire.test").await,
    }
}

fn is_reference(text: &str) -> bool {
    // ^TFM-\d{4}Q\d-[A-Z2-9]{4}$
    let parts: Vec<&str> = text.split('-').collect();
    let alphabet = |c: char| c.is_ascii_uppercase() || ('2'..='9').contains(&c);
    parts.len() == 3
        && parts[0] == "TFM"
        && parts[1].len() == 6
        && parts[1][..4].chars().all(|c| c.is_ascii_digit())
        && parts[1][4..5] == *"Q"
        && parts[1][5..].chars().all(|c| c.is_ascii_digit())
        && parts[2].len() == 4
        && parts[2].chars().all(alphabet)
}

#[tokio::test]
async fn a_towns_fund_return_is_signed_off_sent_back_signed_again_accepted_and_reopened_through_the_api() {
    on_both(|app| async move {
        app.seed().await;
        let client = app.client();
        let p = people(&app, &client).await;
        let id = towns_fund(&p.editor, &p.finance, "2026-04-01").await;
        let path = format!("/api/v1/submissions/{id}");

        // What each may do next.
        let as_certifier = p.certifier.read(&id).await;
        assert_eq!(as_certifier["actions"]["sign_off"], 0, "{as_certifier}");
        assert_eq!(as_certifier["sign_offs"], json!([]));
        assert!(as_certifier["reference"].is_null() && as_certifier["submitted_at"].is_null());
        let as_editor = p.editor.read(&id).await;
        assert!(as_editor["actions"]["sign_off"].is_null(), "{as_editor}");
        assert!(as_editor["actions"]["sign_off_blocked"].as_str().unwrap().contains("certifier"));
        assert_eq!(as_editor["actions"]["review"], false);

        // Every step needs If-Match, as a PATCH does.
        let sign = json!({"confirm": true});
        let missing = p.certifier.json(Method::POST, &format!("{path}/sign-off"), &[], &sign).await;
        assert_eq!(missing.code(), "precondition_required", "{}", missing.text);
        refused(&missing, 428, "If-Match", &p.editor, &as_editor).await;
        let garbled = p.certifier.step_from(&id, "sign-off", "\"seven\"", &sign).await;
        assert_eq!(garbled.code(), "invalid_if_match", "{}", garbled.text);
        refused(&garbled, 400, "If-Match", &p.editor, &as_editor).await;
        let stale = p.certifier.step_from(&id, "sign-off", "\"1\"", &sign).await;
        assert_eq!(stale.code(), "stale_revision", "{}", stale.text);
        refused(&stale, 412, "", &p.editor, &as_editor).await;
        // The declaration must be confirmed; the editor may not sign.
        let unconfirmed = p.certifier.step(&id, "sign-off", &json!({"step": 0})).await;
        refused(&unconfirmed, 422, "Confirm the declaration", &p.editor, &as_editor).await;
        let by_editor = p.editor.step(&id, "sign-off", &sign).await;
        refused(&by_editor, 403, "Only people with the certifier role", &p.editor, &as_editor).await;
        let by_staff = p.reviewer.step(&id, "sign-off", &sign).await;
        refused(&by_staff, 403, "organisation's own people", &p.editor, &as_editor).await;
        // Not submitted: nothing to accept or send back.
        let early = p.reviewer.step(&id, "accept", &json!({})).await;
        refused(&early, 409, "Only a submitted return can be accepted", &p.editor, &as_editor).await;

        // The certifier signs: submitted, with a reference people can quote.
        let signed = p.certifier.step(&id, "sign-off", &sign).await;
        assert_eq!(signed.status, 200, "{}", signed.text);
        let submitted = signed.json();
        assert_eq!(signed.header("etag"), format!("\"{}\"", submitted["revision"]));
        assert_eq!(submitted["state"], "submitted");
        let reference = submitted["reference"].as_str().unwrap().to_string();
        assert!(is_reference(&reference), "{reference}");
        assert!(submitted["submitted_at"].is_string());
        assert_eq!(submitted["sign_offs"][0]["role"], "certifier");
        assert_eq!(submitted["sign_offs"][0]["name"], "Test certifier");
        assert!(submitted["sign_offs"][0]["declaration"].as_str().unwrap().contains("accurate and complete"));
        assert_eq!(p.editor.get(&path).await.json(), p.certifier.read(&id).await.tap_actions(), "same body");
        // Signed twice, or submitted again: refused.
        let again = p.certifier.step(&id, "sign-off", &json!({"step": 0, "confirm": true})).await;
        refused(&again, 409, "cannot be signed off again", &p.editor, &submitted).await;
        let resubmit = p.editor.step(&id, "submit", &json!({})).await;
        assert_eq!(resubmit.status, 409, "{}", resubmit.text);
        // The organisation no longer changes it.
        let locked = p
            .editor
            .patch(&id, &json!({"section": "programme", "answers": {"programme_name": "Late"}}))
            .await;
        assert!(locked.status >= 400, "{}", locked.text);
        assert_eq!(p.editor.read(&id).await["revision"], submitted["revision"]);

        // The review queue: submitted returns, counted by state.
        let queue = p.reviewer.get("/api/v1/submissions?status=submitted,changes_requested").await;
        assert_eq!(queue.status, 200, "{}", queue.text);
        assert!(queue.json().as_array().unwrap().iter().any(|s| s["id"] == id.as_str()), "{}", queue.text);
        let not_a_state = p.reviewer.get("/api/v1/submissions?status=submitted,sent").await;
        assert_eq!((not_a_state.status, not_a_state.code().as_str()), (400, "invalid_query"));
        let counts = p.reviewer.get("/api/v1/submissions/counts?collection=towns-fund-monitoring").await;
        assert_eq!(counts.status, 200, "{}", counts.text);
        assert_eq!(counts.json()["counts"]["submitted"], 1, "{}", counts.text);
        let reviewer_view = p.reviewer.read(&id).await;
        assert_eq!(reviewer_view["actions"]["review"], true, "{reviewer_view}");

        // Review is the staff reviewers': not an analyst's, not the organisation's.
        let comments =
            json!({"comments": {"programme": "The end date does not match the grant offer letter"}});
        let by_analyst = p.analyst.step(&id, "return", &comments).await;
        refused(&by_analyst, 403, "Only the service's reviewers", &p.editor, &submitted).await;
        let by_member = p.org_admin.step(&id, "accept", &json!({})).await;
        refused(&by_member, 403, "Only the service's reviewers", &p.editor, &submitted).await;
        let no_comment = p.reviewer.step(&id, "return", &json!({"comments": {"programme": " "}})).await;
        refused(&no_comment, 422, "at least one section", &p.editor, &submitted).await;
        let unknown = p.reviewer.step(&id, "return", &json!({"comments": {"nowhere": "Fix it"}})).await;
        refused(&unknown, 422, "", &p.editor, &submitted).await;

        // Sent back with a comment on one section.
        let returned = p.reviewer.step(&id, "return", &comments).await;
        assert_eq!(returned.status, 200, "{}", returned.text);
        let body = returned.json();
        assert_eq!(body["state"], "changes_requested");
        assert_eq!(body["sign_offs"], json!([]), "sending it back clears the sign-offs");
        assert!(body["review_comments"]["programme"]["comment"].as_str().unwrap().contains("grant offer"));
        let seen = p.editor.read(&id).await;
        assert_eq!(seen["review_comments"], body["review_comments"], "the organisation sees the comment");

        // The editor corrects it; the certifier signs again; it is submitted under its reference.
        let fixed = p
            .editor
            .patch(
                &id,
                &json!({"section": "programme", "answers": {"end_date": "2029-06-30"}, "complete": true}),
            )
            .await;
        assert_eq!(fixed.status, 200, "{}", fixed.text);
        let state = fixed.json()["state"].as_str().unwrap().to_string();
        assert!(matches!(state.as_str(), "in_progress" | "ready_for_sign_off"), "{state}");
        assert_eq!(state, "ready_for_sign_off", "every section is still complete");
        let signed = p.certifier.step(&id, "sign-off", &sign).await;
        assert_eq!(signed.status, 200, "{}", signed.text);
        assert_eq!(signed.json()["state"], "submitted");
        assert_eq!(signed.json()["reference"], reference.as_str(), "the same reference");

        // Accepted, once; a second acceptance with an Idempotency-Key gets the first answer.
        let key = [("idempotency-key", "accept-once")];
        let etag = p.reviewer.get(&path).await.header("etag");
        let accept = |etag: String| {
            let reviewer = &p.reviewer;
            let path = format!("{path}/accept");
            async move {
                let headers = [("if-match", etag.as_str()), key[0]];
                reviewer.json(Method::POST, &path, &headers, &json!({})).await
            }
        };
        let accepted = accept(etag.clone()).await;
        assert_eq!(accepted.status, 200, "{}", accepted.text);
        assert_eq!(accepted.json()["state"], "accepted");
        let replayed = accept(etag).await;
        assert_eq!((replayed.status, replayed.json()), (200, accepted.json()));
        assert_eq!(replayed.header("idempotent-replayed"), "true");
        let accepted = accepted.json();
        let twice = p.reviewer.step(&id, "accept", &json!({})).await;
        refused(&twice, 409, "this one is accepted", &p.editor, &accepted).await;

        // Reopened, with a reason, by a reviewer only.
        let no_reason = p.reviewer.step(&id, "reopen", &json!({"reason": ""})).await;
        refused(&no_reason, 422, "Enter why", &p.editor, &accepted).await;
        let by_editor = p.editor.step(&id, "reopen", &json!({"reason": "We found a mistake"})).await;
        refused(&by_editor, 403, "Only the service's reviewers", &p.editor, &accepted).await;
        let reopened =
            p.reviewer.step(&id, "reopen", &json!({"reason": "The auditors found a mistake in spend"})).await;
        assert_eq!(reopened.status, 200, "{}", reopened.text);
        assert_eq!(reopened.json()["state"], "in_progress");
        assert_eq!(reopened.json()["sign_offs"], json!([]));
        let history = p.editor.get(&format!("{path}/history")).await;
        assert!(history.text.contains("The auditors found a mistake in spend"), "{}", history.text);
    })
    .await;
}

/// The actions differ by who reads: the rest of the body is the same for everyone.
trait TapActions {
    fn tap_actions(self) -> Value;
}

impl TapActions for Value {
    fn tap_actions(mut self) -> Value {
        self["actions"] = json!({"sign_off": null, "sign_off_blocked": null, "submit": false, "review": false, "reopen": false, "move_to": null});
        self
    }
}

/// northshire's single-audit return, every section complete.
async fn single_audit(editor: &Caller<'_>) -> String {
    let id = start(editor, "single-audit", "2025-07-01").await;
    let general = json!({
        "auditee_name": "Northshire County Council",
        "auditee_uei": "ABCDEFGHJK12",
        "ein": "123456789",
        "fy_start": "2025-07-01",
        "fy_end": "2026-06-30",
        "audit_type": "single",
        "auditor_firm": "Audit & Co",
        "auditor_email": "audit@firm.test",
    });
    complete(editor, &id, "general", general).await;
    let audit_info =
        json!({"opinion": ["U"], "going_concern": false, "low_risk": true, "dollar_threshold": "750000"});
    complete(editor, &id, "audit_info", audit_info).await;
    let award = json!({
        "award_reference": "AWARD-0001", "agency_prefix": "10", "aln_extension": "123",
        "program_name": "Rural development", "amount_expended": "1000", "cluster_name": "N/A",
        "is_direct": true, "is_major": false, "findings_count": "0", "is_passed": false,
    });
    complete(editor, &id, "federal_awards", json!({"federal_awards": [award]})).await;
    let pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
    let boundary = "lifecycle-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"question\"\r\n\r\naudit_report_pdf\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"report.pdf\"\r\nContent-Type: application/pdf\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(pdf);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let attached = editor
        .call(
            Method::POST,
            &format!("/api/v1/submissions/{id}/attachments"),
            &[],
            Some((body, "multipart/form-data; boundary=lifecycle-boundary")),
        )
        .await;
    assert_eq!(attached.status, 201, "{}", attached.text);
    complete(editor, &id, "report", json!({})).await;
    assert_eq!(editor.read(&id).await["state"], "ready_for_sign_off");
    id
}

#[tokio::test]
async fn single_audit_sign_offs_are_refused_too_early_out_of_order_by_the_wrong_role_twice_and_by_the_same_person()
 {
    let app = TestApp::on(Backend::Sqlite).await;
    app.seed().await;
    member(&app, "auditor@northshire.test", &["auditor_certifier"]).await;
    member(&app, "auditee@northshire.test", &["auditee_certifier"]).await;
    member(&app, "both@northshire.test", &["auditor_certifier", "auditee_certifier"]).await;
    let client = app.client();
    let editor = caller(&app, &client, "editor@northshire.test").await;
    let auditor = caller(&app, &client, "auditor@northshire.test").await;
    let auditee = caller(&app, &client, "auditee@northshire.test").await;
    let both = caller(&app, &client, "both@northshire.test").await;
    let sign = |step: usize| json!({"step": step, "confirm": true});

    // Incomplete: nothing to sign or submit.
    let draft_id = start(&editor, "single-audit", "2025-07-01").await;
    let draft = editor.read(&draft_id).await;
    let early = auditor.step(&draft_id, "sign-off", &sign(0)).await;
    refused(&early, 409, "not ready to sign off", &editor, &draft).await;
    let submit = editor.step(&draft_id, "submit", &json!({})).await;
    refused(&submit, 409, "must be signed off before it is submitted", &editor, &draft).await;

    let id = single_audit(&editor).await;
    let ready = editor.read(&id).await;
    // The auditee before the auditor; a step that does not exist; the editor; a submit.
    let out_of_order = auditee.step(&id, "sign-off", &sign(1)).await;
    refused(
        &out_of_order,
        409,
        "Step 1 must be signed off by someone with the auditor certifier role before step 2",
        &editor,
        &ready,
    )
    .await;
    let no_step = auditor.step(&id, "sign-off", &sign(2)).await;
    refused(&no_step, 404, "no sign-off step 3", &editor, &ready).await;
    let wrong_role = editor.step(&id, "sign-off", &sign(0)).await;
    refused(&wrong_role, 403, "Only people with the auditor certifier role", &editor, &ready).await;
    let wrong_step = auditee.step(&id, "sign-off", &sign(0)).await;
    refused(&wrong_step, 403, "Only people with the auditor certifier role", &editor, &ready).await;
    let submit = editor.step(&id, "submit", &json!({})).await;
    refused(&submit, 409, "must be signed off before it is submitted", &editor, &ready).await;

    // The person holding both roles signs the first step, and may not sign the second.
    let first = both.step(&id, "sign-off", &sign(0)).await;
    assert_eq!(first.status, 200, "{}", first.text);
    let awaiting = first.json();
    assert_eq!(awaiting["state"], "awaiting_sign_off");
    assert!(awaiting["reference"].is_null(), "a reference comes with submission");
    assert_eq!(both.read(&id).await["actions"]["sign_off"], Value::Null);
    let same_person = both.step(&id, "sign-off", &sign(1)).await;
    refused(
        &same_person,
        403,
        "You signed off step 1 of this return, so someone else must sign off step 2",
        &editor,
        &awaiting,
    )
    .await;
    let twice = auditor.step(&id, "sign-off", &sign(0)).await;
    refused(&twice, 409, "Step 1 has already been signed off by", &editor, &awaiting).await;
    assert_eq!(auditee.read(&id).await["actions"]["sign_off"], 1);

    // The auditee signs the second: submitted.
    let second = auditee.step(&id, "sign-off", &json!({"confirm": true})).await;
    assert_eq!(second.status, 200, "{}", second.text);
    let submitted = second.json();
    assert_eq!(submitted["state"], "submitted");
    assert!(submitted["reference"].as_str().unwrap().starts_with("SA-2025-"), "{}", submitted["reference"]);
    let roles: Vec<&str> =
        submitted["sign_offs"].as_array().unwrap().iter().map(|s| s["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["auditor_certifier", "auditee_certifier"]);
}

/// A small collection without sign-off steps, version `version`: `name` (renamed `title` from
/// version 2), `colour` (blue is gone from version 2) and `note` (removed in version 2).
fn small(version: u32) -> String {
    let (name, colours, note) = if version == 1 {
        (
            "      - id: name\n        label: Name\n        type: text\n",
            "[red, green, blue]",
            "      - id: note\n        label: Note\n        type: text\n        required: false\n",
        )
    } else {
        (
            "      - id: title\n        label: Title\n        type: text\n        renamed_from: name\n",
            "[red, green]",
            "",
        )
    };
    format!(
        "formwork: 1\ncollection: small-return\nversion: {version}\ntitle: Small return\nkind: return\nschedule:\n  frequency: annual\n  start: 2025-04-01\n  due: 30d\nchoice_lists:\n  colour: {colours}\nsections:\n  - id: about\n    title: About\n    questions:\n{name}      - id: colour\n        label: Colour\n        type: choice\n        choices: colour\n{note}"
    )
}

async fn publish(admin: &Caller<'_>, text: &str) {
    let published = admin
        .call(Method::POST, "/api/v1/collections", &[], Some((text.as_bytes().to_vec(), "application/yaml")))
        .await;
    assert_eq!(published.status, 201, "{}", published.text);
}

#[tokio::test]
async fn a_collection_without_sign_off_is_submitted_when_complete_and_a_draft_moves_to_a_newer_version() {
    let app = TestApp::on(Backend::Sqlite).await;
    app.seed().await;
    let client = app.client();
    let admin = caller(&app, &client, "admin@staff.test").await;
    let editor = caller(&app, &client, "editor@northshire.test").await;
    let reviewer = caller(&app, &client, "reviewer@staff.test").await;
    publish(&admin, &small(1)).await;
    let assigned =
        admin.call(Method::PUT, "/api/v1/collections/small-return/organisations/northshire", &[], None).await;
    assert!(assigned.status < 300, "{}", assigned.text);

    // Incomplete: not submitted.
    let id = start(&editor, "small-return", "2025-04-01").await;
    let saved = editor.patch(&id, &json!({"section": "about", "answers": {"name": "Ours", "colour": "blue", "note": "Kept in the history"}})).await;
    assert_eq!(saved.status, 200, "{}", saved.text);
    let draft = saved.json();
    assert_eq!(draft["actions"]["submit"], false);
    let incomplete = editor.step(&id, "submit", &json!({})).await;
    refused(&incomplete, 409, "cannot be submitted yet", &editor, &draft).await;
    assert!(draft["actions"]["move_to"].is_null(), "no newer version yet");

    // Another return of the same collection, submitted.
    let other = start(&editor, "small-return", "2026-04-01").await;
    complete(&editor, &other, "about", json!({"name": "Theirs", "colour": "red"})).await;
    assert_eq!(editor.read(&other).await["actions"]["submit"], true);
    let submitted = editor.step(&other, "submit", &json!({})).await;
    assert_eq!(submitted.status, 200, "{}", submitted.text);
    assert_eq!(submitted.json()["state"], "submitted");
    assert!(submitted.json()["reference"].as_str().unwrap().starts_with("SR-2026-"), "{}", submitted.text);

    // Version 2: the draft moves, with what did not fit listed; the submitted return keeps its version.
    publish(&admin, &small(2)).await;
    let draft = editor.read(&id).await;
    assert_eq!(draft["actions"]["move_to"], 2, "{draft}");
    let by_reviewer = reviewer.step(&id, "move", &json!({})).await;
    refused(&by_reviewer, 403, "", &editor, &draft).await;
    let stale = editor.step_from(&id, "move", "\"1\"", &json!({})).await;
    refused(&stale, 412, "", &editor, &draft).await;
    let moved = editor.step(&id, "move", &json!({})).await;
    assert_eq!(moved.status, 200, "{}", moved.text);
    let body = moved.json();
    assert_eq!((body["from_version"].as_i64(), body["to_version"].as_i64()), (Some(1), Some(2)), "{body}");
    assert_eq!(body["renamed"], json!([{"from": "name", "to": "title"}]), "{body}");
    let dropped: Vec<&str> =
        body["dropped"].as_array().unwrap().iter().map(|d| d["path"].as_str().unwrap()).collect();
    assert!(dropped.contains(&"colour") && dropped.contains(&"note"), "{body}");
    assert_eq!(body["submission"]["version"], 2);
    assert_eq!(body["submission"]["answers"]["title"], "Ours");
    assert_eq!(moved.header("etag"), format!("\"{}\"", body["submission"]["revision"]));
    let again = editor.step(&id, "move", &json!({})).await;
    refused(&again, 409, "already follows the latest version", &editor, &body["submission"]).await;

    let kept = editor.read(&other).await;
    let refused_move = editor.step(&other, "move", &json!({})).await;
    refused(&refused_move, 409, "it keeps version 1", &editor, &kept).await;
}

#[tokio::test]
async fn two_reviewers_accepting_one_return_at_once_get_one_acceptance() {
    on_both(|app| async move {
        app.seed().await;
        second_reviewer(&app).await;
        let client = app.client();
        let p = people(&app, &client).await;
        let other = caller(&app, &client, "reviewer2@staff.test").await;
        let id = towns_fund(&p.editor, &p.finance, "2026-04-01").await;
        let signed = p.certifier.step(&id, "sign-off", &json!({"confirm": true})).await;
        assert_eq!(signed.status, 200, "{}", signed.text);
        let etag = signed.header("etag");
        let empty = json!({});
        let (a, b) = tokio::join!(
            p.reviewer.step_from(&id, "accept", &etag, &empty),
            other.step_from(&id, "accept", &etag, &empty)
        );
        let mut statuses = [a.status, b.status];
        statuses.sort_unstable();
        assert!(matches!(statuses, [200, 409 | 412]), "{} {}", a.text, b.text);
        let loser = if a.status == 200 { &b } else { &a };
        assert!(!message(loser).is_empty(), "{}", loser.text);
        let now = p.editor.read(&id).await;
        assert_eq!(now["state"], "accepted");
        let winner = if a.status == 200 { &a } else { &b };
        assert_eq!(now["revision"], winner.json()["revision"], "one acceptance, one revision");
    })
    .await;
}

#[tokio::test]
async fn the_overdue_queue_is_the_staffs() {
    let app = TestApp::on(Backend::Sqlite).await;
    app.seed().await;
    let client = app.client();
    let editor = caller(&app, &client, "editor@northshire.test").await;
    let reviewer = caller(&app, &client, "reviewer@staff.test").await;
    // Due 30 days after 30 June 2026: overdue on 22 November 2026.
    let id = start(&editor, "towns-fund-monitoring", "2026-04-01").await;
    let overdue = reviewer.get("/api/v1/submissions?overdue=true").await;
    assert_eq!(overdue.status, 200, "{}", overdue.text);
    assert!(overdue.json().as_array().unwrap().iter().any(|s| s["id"] == id.as_str()), "{}", overdue.text);
    let member = editor.get("/api/v1/submissions?overdue=true").await;
    assert_eq!(member.status, 403, "{}", member.text);
    let counts = editor.get("/api/v1/submissions/counts").await;
    assert_eq!(counts.json()["counts"]["in_progress"], 1, "{}", counts.text);
    let outsider = caller(&app, &client, "editor@southvale.test").await;
    let theirs = outsider.get("/api/v1/submissions/counts").await;
    assert_eq!(theirs.json(), json!({"counts": {}, "total": 0}), "another organisation's are not counted");
    let path = format!("/api/v1/submissions/{id}/sign-off");
    let hidden =
        outsider.json(Method::POST, &path, &[("if-match", "\"1\"")], &json!({"confirm": true})).await;
    assert_eq!(hidden.status, 404, "{}", hidden.text);
}
