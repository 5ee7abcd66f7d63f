//! A whole towns-fund return filled in through the API alone — start, answers section by section,
//! a table from its CSV template, a PDF, a confirmed warning, every section completed — meeting
//! the errors a person meets on the way; then what the API refuses, and two people at once.

use formwork_service::Actor;
use formwork_service::organisations::add_member;
use formwork_service::people::{NewPerson, create as create_person};
use formwork_store::Backend;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{Caller, Reply, TestApp, caller, on_both};

const BOUNDARY: &str = "returns-api-boundary";
const MULTIPART: &str = "multipart/form-data; boundary=returns-api-boundary";

/// A real, small PDF.
fn pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".to_vec()
}

/// `question`, then `file`, as multipart.
fn multipart(question: &str, file_name: &str, content: &[u8]) -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"question\"\r\n\r\n{question}\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

impl Caller<'_> {
    async fn attach(&self, id: &str, question: &str, file_name: &str, content: &[u8]) -> Reply {
        let body = multipart(question, file_name, content);
        self.call(
            Method::POST,
            &format!("/api/v1/submissions/{id}/attachments"),
            &[],
            Some((body, MULTIPART)),
        )
        .await
    }
}

/// northshire's finance officer, besides the seeded people.
async fn add_finance(app: &TestApp) {
    let person = NewPerson {
        email: "finance@northshire.test".into(),
        name: Some("Test finance".into()),
        ..Default::default()
    };
    create_person(app.app(), &Actor::System, &person).await.unwrap();
    add_member(app.app(), &Actor::System, "northshire", "finance@northshire.test", &["finance".to_string()])
        .await
        .unwrap();
}

fn codes(reply: &Reply) -> Vec<String> {
    reply.json()["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap_or("").to_string())
        .collect()
}

fn section<'a>(body: &'a Value, id: &str) -> &'a Value {
    body["sections"].as_array().unwrap().iter().find(|s| s["id"] == id).unwrap()
}

fn start_body(period: &str) -> Value {
    json!({"collection": "towns-fund-monitoring", "organisation": "northshire", "period": period})
}

/// Ids and times replaced, as in the other snapshots.
fn redacted(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, v)| {
                    let v = match (key.as_str(), &v) {
                        (_, Value::Null) => v,
                        ("download", _) => json!("[link]"),
                        ("id", Value::String(id))
                            if id.len() == 32 && id.chars().all(|c| c.is_ascii_hexdigit()) =>
                        {
                            json!("[id]")
                        }
                        (k, _) if k.ends_with("_at") || k == "at" => json!("[time]"),
                        _ => redacted(v),
                    };
                    (key, v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(redacted).collect()),
        other => other,
    }
}

#[tokio::test]
async fn a_whole_towns_fund_return_is_filled_in_through_the_api_alone() {
    let app = TestApp::on(Backend::Sqlite).await;
    app.seed().await;
    add_finance(&app).await;
    let client = app.client();
    let editor = caller(&app, &client, "editor@northshire.test").await;
    let finance = caller(&app, &client, "finance@northshire.test").await;
    let reviewer = caller(&app, &client, "reviewer@staff.test").await;

    // Start: once per period, whoever starts it again.
    let started = editor.json(Method::POST, "/api/v1/submissions", &[], &start_body("2026-04-01")).await;
    assert_eq!(started.status, 201, "{}", started.text);
    let id = started.json()["id"].as_str().unwrap().to_string();
    let again = finance.json(Method::POST, "/api/v1/submissions", &[], &start_body("2026-04-01")).await;
    assert_eq!((again.status, again.json()["id"].as_str().unwrap()), (200, id.as_str()));
    let path = format!("/api/v1/submissions/{id}");
    let read = editor.get(&path).await;
    assert_eq!(read.header("etag"), format!("\"{}\"", read.json()["revision"]));
    let listed =
        editor.get("/api/v1/submissions?collection=towns-fund-monitoring&organisation=northshire").await;
    assert_eq!(listed.json().as_array().unwrap().len(), 1, "{}", listed.text);

    // A PATCH needs If-Match; a tampered one is refused.
    let change = json!({"section": "programme", "answers": {"programme_name": "Northshire Towns Fund"}});
    let missing = editor.json(Method::PATCH, &path, &[], &change).await;
    assert_eq!((missing.status, missing.code().as_str()), (428, "precondition_required"), "{}", missing.text);
    let tampered = editor.json(Method::PATCH, &path, &[("if-match", "\"999\"")], &change).await;
    assert_eq!((tampered.status, tampered.code().as_str()), (412, "stale_revision"), "{}", tampered.text);
    let garbled = editor.json(Method::PATCH, &path, &[("if-match", "\"seven\"")], &change).await;
    assert_eq!(garbled.status, 400, "{}", garbled.text);
    // Bodies that are not answers.
    let shape = editor.patch(&id, &json!({"answers": "all of them"})).await;
    assert_eq!((shape.status, shape.code().as_str()), (400, "invalid_json"), "{}", shape.text);
    let unknown = editor.patch(&id, &json!({"answers": {"no_such_question": "x"}})).await;
    assert_eq!(unknown.status, 422, "{}", unknown.text);
    let elsewhere = editor
        .patch(&id, &json!({"section": "programme", "answers": {"overall_rag": "green", "spend": []}}))
        .await;
    assert_eq!(elsewhere.status, 422, "{}", elsewhere.text);
    let not_finance = editor.patch(&id, &json!({"section": "spend", "answers": {"spend": []}})).await;
    assert_eq!(not_finance.status, 403, "{}", not_finance.text);
    let staff = reviewer.patch(&id, &change).await;
    assert_eq!(staff.status, 403, "staff read but do not change: {}", staff.text);

    // Programme details: saved with errors, refused as complete, then fixed.
    let programme = json!({
        "programme_name": "Northshire Towns Fund",
        "lead_contact_email": "not an email",
        "grant_total": "lots",
        "start_date": "2026-04-01",
        "end_date": "2025-03-31",
        "overall_rag": "green",
        "has_changes": false,
    });
    let saved =
        editor.patch(&id, &json!({"section": "programme", "answers": programme, "complete": true})).await;
    assert_eq!(saved.status, 200, "{}", saved.text);
    let body = saved.json();
    assert!(body["not_completed"].as_str().unwrap().contains("errors"), "{body}");
    assert_eq!(section(&body, "programme")["status"], "in_progress");
    let paths: Vec<&str> =
        body["errors"].as_array().unwrap().iter().map(|e| e["path"].as_str().unwrap()).collect();
    for expected in ["lead_contact_email", "grant_total", "end_date"] {
        assert!(paths.contains(&expected), "{expected} in {paths:?}");
    }
    assert_eq!(body["answers"]["grant_total"], "lots", "what was typed is kept");
    let fixed = json!({"lead_contact_email": "towns@northshire.test", "grant_total": "25000000", "end_date": "2029-03-31"});
    let saved = editor.patch(&id, &json!({"section": "programme", "answers": fixed, "complete": true})).await;
    assert_eq!(section(&saved.json(), "programme")["status"], "completed", "{}", saved.text);

    // Projects: a row that breaks the table's rule, then put right.
    let row = json!({"project_id": "TF-ABC-01", "project_name": "Station quarter", "theme": "transport", "rag": "amber", "percent_complete": "40"});
    let saved = editor
        .patch(&id, &json!({"section": "projects", "answers": {"projects": [row]}, "complete": true}))
        .await;
    assert!(saved.json()["not_completed"].is_string(), "{}", saved.text);
    assert!(saved.text.contains("Give a reason for the delay"), "{}", saved.text);
    let mut row = row;
    row["delay_reason"] = json!("Contractor changed");
    let saved = editor
        .patch(&id, &json!({"section": "projects", "answers": {"projects": [row]}, "complete": true}))
        .await;
    assert_eq!(section(&saved.json(), "projects")["status"], "completed", "{}", saved.text);

    // Spend, as finance, from the table's own CSV template: first with an error.
    let template = finance.get("/api/v1/collections/towns-fund-monitoring/template.csv?table=spend").await;
    assert_eq!(template.status, 200, "{}", template.text);
    let header = template.text.lines().next().unwrap().to_string();
    let upload = |rows: &str| format!("{header}\n{rows}").into_bytes();
    let tables = format!("{path}/tables/spend?file_name=spend.csv");
    let wrong = finance
        .call(
            Method::POST,
            &tables,
            &[],
            Some((upload("TF-ABC-01,Q1,tf,-5\nTF-ABC-01,Q2,tf,6000000\n"), "text/csv")),
        )
        .await;
    assert_eq!(wrong.status, 422, "{}", wrong.text);
    let report = wrong.json();
    let item = &report["report"]["items"][0];
    assert_eq!(
        (item["code"].as_str(), item["row"].as_u64(), item["path"].as_str()),
        (Some("min"), Some(2), Some("spend/0/amount")),
        "{report}"
    );
    assert!(item["column"].is_string(), "{item}");
    let annotated = finance.get(report["report"]["annotated_workbook"].as_str().unwrap()).await;
    assert_eq!(annotated.status, 200);
    assert!(annotated.bytes.starts_with(b"PK"), "an XLSX workbook");
    assert!(
        editor.get(&path).await.json()["answers"]["spend"].is_null(),
        "an upload with errors changes nothing"
    );
    let clean = finance
        .call(
            Method::POST,
            &tables,
            &[],
            Some((upload("TF-ABC-01,Q1,tf,1250000.50\nTF-ABC-01,Q2,tf,6000000\n"), "text/csv")),
        )
        .await;
    assert_eq!(clean.status, 200, "{}", clean.text);
    assert_eq!((clean.json()["rows"].as_u64(), clean.json()["clean"].as_bool()), (Some(2), Some(true)));
    // The spend warning: the section is not complete until it is confirmed with a reason.
    let saved = finance.patch(&id, &json!({"section": "spend", "answers": {}, "complete": true})).await;
    assert!(saved.json()["not_completed"].as_str().unwrap().contains("warnings"), "{}", saved.text);
    let warning = saved.json()["warnings"][0]["key"].as_str().unwrap().to_string();
    let no_reason = finance
        .json(Method::POST, &format!("{path}/warnings"), &[], &json!({"key": warning, "reason": " "}))
        .await;
    assert_eq!(no_reason.status, 422, "{}", no_reason.text);
    let confirmed = finance
        .json(
            Method::POST,
            &format!("{path}/warnings"),
            &[],
            &json!({"key": warning, "reason": "The station works were paid in one instalment"}),
        )
        .await;
    assert_eq!(confirmed.status, 201, "{}", confirmed.text);
    let saved = finance.patch(&id, &json!({"section": "spend", "answers": {}, "complete": true})).await;
    assert_eq!(section(&saved.json(), "spend")["status"], "completed", "{}", saved.text);

    // Outputs.
    let output = json!({"project_id": "TF-ABC-01", "indicator": "Jobs created", "unit": "jobs", "actual": "12", "forecast": "15.5"});
    let saved = editor
        .patch(&id, &json!({"section": "outputs", "answers": {"outputs": [output]}, "complete": true}))
        .await;
    assert_eq!(section(&saved.json(), "outputs")["status"], "completed", "{}", saved.text);

    // Evidence: files that lie, are empty or answer another section's question are refused.
    let lying = editor.attach(&id, "board_minutes", "minutes.pdf", b"just some text, not a PDF").await;
    assert_eq!((lying.status, codes(&lying)), (422, vec!["file".to_string()]), "{}", lying.text);
    let empty = editor.attach(&id, "board_minutes", "minutes.pdf", b"").await;
    assert_eq!((empty.status, codes(&empty)), (422, vec!["file".to_string()]), "{}", empty.text);
    let other = editor.attach(&id, "programme_name", "minutes.pdf", &pdf()).await;
    assert_eq!(other.status, 422, "{}", other.text);
    let attached = editor.attach(&id, "board_minutes", "Board minutes “May”.pdf", &pdf()).await;
    assert_eq!(attached.status, 201, "{}", attached.text);
    let download = editor.get(attached.json()["download"].as_str().unwrap()).await;
    assert_eq!(download.bytes, pdf());
    assert_eq!(download.header("content-type"), "application/pdf");
    assert_eq!(download.header("x-content-type-options"), "nosniff");
    assert!(download.header("content-disposition").starts_with("attachment; filename=\"Board minutes _May_.pdf\"; filename*=UTF-8''Board%20minutes%20%E2%80%9CMay%E2%80%9D.pdf"));
    let saved = editor.patch(&id, &json!({"section": "evidence", "answers": {}, "complete": true})).await;
    assert_eq!(section(&saved.json(), "evidence")["status"], "completed", "{}", saved.text);

    // Every section completed, with the answers given.
    let done = editor.get(&path).await.json();
    for s in done["sections"].as_array().unwrap() {
        assert_eq!(s["status"], "completed", "{s}");
    }
    assert_eq!(done["errors"], json!([]));
    assert_eq!(done["answers"]["programme_name"], "Northshire Towns Fund");
    assert_eq!(done["answers"]["grant_total"], "25000000.00");
    assert_eq!(done["answers"]["spend"].as_array().unwrap().len(), 2);
    assert_eq!(done["answers"]["spend"][1]["amount"], "6000000.00");
    assert_eq!(done["answers"]["board_minutes"]["name"], "Board minutes “May”.pdf");
    assert!(done["warnings"][0]["confirmation"]["reason"].as_str().unwrap().contains("one instalment"));
    insta::assert_json_snapshot!("api_submission_complete", redacted(done));

    let history = reviewer.get(&format!("{path}/history")).await;
    assert_eq!(history.status, 200);
    assert!(history.text.contains("with the 2 rows of spend.csv"), "{}", history.text);
    assert!(history.text.contains("Confirmed the warning"), "{}", history.text);
}

#[tokio::test]
async fn files_over_their_questions_max_size_are_refused() {
    let app = TestApp::on(Backend::Sqlite).await;
    app.seed().await;
    let definition = "formwork: 1\ncollection: tiny-files\nversion: 1\ntitle: Tiny files\nkind: return\nschedule:\n  frequency: annual\n  start: 2026-04-01\n  due: 30d\nroles:\n  editor: Edits\nsections:\n  - id: evidence\n    title: Evidence\n    editors: [editor]\n    questions:\n      - id: letter\n        label: Letter\n        type: file\n        accept: [pdf]\n        max_size: 1KB\n";
    formwork_service::collections::publish(app.app(), &Actor::System, definition.as_bytes()).await.unwrap();
    formwork_service::collections::assign(app.app(), &Actor::System, "tiny-files", "northshire")
        .await
        .unwrap();
    let client = app.client();
    let editor = caller(&app, &client, "editor@northshire.test").await;
    let body = json!({"collection": "tiny-files", "organisation": "northshire", "period": "2026-04-01"});
    let started = editor.json(Method::POST, "/api/v1/submissions", &[], &body).await;
    let id = started.json()["id"].as_str().unwrap().to_string();
    let mut big = b"%PDF-1.4\n".to_vec();
    big.extend(std::iter::repeat_n(b'x', 2048));
    big.extend_from_slice(b"\n%%EOF\n");
    let refused = editor.attach(&id, "letter", "letter.pdf", &big).await;
    assert_eq!((refused.status, codes(&refused)), (422, vec!["file".to_string()]), "{}", refused.text);
    assert!(refused.text.contains("smaller than 1 KB"), "{}", refused.text);
    assert!(
        editor.get(&format!("/api/v1/submissions/{id}")).await.json()["attachments"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    // A body over the service's limit is refused before it is read.
    let huge = json!({"answers": {"letter": "x".repeat(6 * 1024 * 1024)}});
    let too_large = editor.patch(&id, &huge).await;
    assert_eq!(too_large.status, 413);
}

#[tokio::test]
async fn a_repeated_post_with_the_same_idempotency_key_gets_the_first_answer() {
    let app = TestApp::on(Backend::Sqlite).await;
    app.seed().await;
    let client = app.client();
    let editor = caller(&app, &client, "editor@northshire.test").await;
    let key = [("idempotency-key", "start-2026-q3")];
    let first = editor.json(Method::POST, "/api/v1/submissions", &key, &start_body("2026-07-01")).await;
    assert_eq!(first.status, 201, "{}", first.text);
    let second = editor.json(Method::POST, "/api/v1/submissions", &key, &start_body("2026-07-01")).await;
    assert_eq!((second.status, second.json()), (201, first.json()), "the first answer, again");
    let other = editor.json(Method::POST, "/api/v1/submissions", &key, &start_body("2026-10-01")).await;
    assert_eq!(other.status, 422, "{}", other.text);
    assert!(other.text.contains("different request"), "{}", other.text);
    let plain = editor.json(Method::POST, "/api/v1/submissions", &[], &start_body("2026-07-01")).await;
    assert_eq!(plain.status, 200, "without a key, a second start opens the same return");
}

#[tokio::test]
async fn a_repeated_attachment_is_answered_again_only_for_the_same_file_and_to_who_may_still_see_it() {
    let app = TestApp::on(Backend::Sqlite).await;
    app.seed().await;
    let client = app.client();
    let editor = caller(&app, &client, "editor@northshire.test").await;
    let started = editor.json(Method::POST, "/api/v1/submissions", &[], &start_body("2026-07-01")).await;
    let id = started.json()["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/submissions/{id}/attachments");
    let send = |content: Vec<u8>| {
        let (editor, path) = (&editor, &path);
        let key = [("idempotency-key", "minutes-1")];
        let body = multipart("board_minutes", "minutes.pdf", &content);
        async move { editor.call(Method::POST, path, &key, Some((body, MULTIPART))).await }
    };
    let first = send(pdf()).await;
    assert_eq!(first.status, 201, "{}", first.text);
    let again = send(pdf()).await;
    assert_eq!((again.status, again.json()), (201, first.json()), "the first answer, again");
    assert_eq!(again.header("idempotent-replayed"), "true");
    // The same length, other bytes: another request under the same key, refused, nothing attached.
    let mut other = pdf();
    let last = other.len() - 8;
    other[last] = b'Y';
    let refused = send(other).await;
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert!(refused.text.contains("different request"), "{}", refused.text);
    let now = editor.get(&format!("/api/v1/submissions/{id}")).await.json();
    assert_eq!(now["attachments"].as_array().unwrap().len(), 1, "{now}");
    assert_eq!(now["attachments"][0]["id"], first.json()["id"]);

    // Once the editor has left the organisation, the key tells them nothing about the return.
    let (_, members) =
        formwork_service::organisations::members(app.app(), &Actor::System, "northshire").await.unwrap();
    let editor_id = members.iter().find(|m| m.email == "editor@northshire.test").unwrap().user_id.clone();
    formwork_service::organisations::remove_member(app.app(), &Actor::System, "northshire", &editor_id)
        .await
        .unwrap();
    let gone = send(pdf()).await;
    assert_eq!(gone.status, 404, "{}", gone.text);
    assert!(gone.header("idempotent-replayed").is_empty(), "{}", gone.text);
}

#[tokio::test]
async fn a_file_sent_in_chunks_past_the_body_limit_is_too_large_not_broken() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::on(Backend::Sqlite).await;
    app.seed().await;
    let client = app.client();
    let editor = caller(&app, &client, "editor@northshire.test").await;
    let started = editor.json(Method::POST, "/api/v1/submissions", &[], &start_body("2026-07-01")).await;
    let id = started.json()["id"].as_str().unwrap().to_string();
    // No Content-Length: the limit is met while the file streams into storage.
    let address = app.base.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST /api/v1/submissions/{id}/attachments HTTP/1.1\r\nHost: {address}\r\nAuthorization: {}\r\nContent-Type: {MULTIPART}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        editor.auth
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let chunk = |bytes: &[u8]| {
        let mut framed = format!("{:x}\r\n", bytes.len()).into_bytes();
        framed.extend_from_slice(bytes);
        framed.extend_from_slice(b"\r\n");
        framed
    };
    let start = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"question\"\r\n\r\nboard_minutes\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"minutes.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4\n"
    );
    stream.write_all(&chunk(start.as_bytes())).await.unwrap();
    let block = vec![b'x'; 256 * 1024];
    for _ in 0..24 {
        // The server may answer and close before the whole body is sent.
        if stream.write_all(&chunk(&block)).await.is_err() {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut reply = Vec::new();
    let _ = stream.read_to_end(&mut reply).await;
    let reply = String::from_utf8_lossy(&reply);
    assert!(reply.starts_with("HTTP/1.1 413"), "{reply}");
    assert!(reply.contains("too_large"), "{reply}");
    let now = editor.get(&format!("/api/v1/submissions/{id}")).await.json();
    assert!(now["attachments"].as_array().unwrap().is_empty(), "{now}");
}

#[tokio::test]
async fn the_second_of_two_saves_from_one_revision_is_refused_with_the_first_ones_changes() {
    on_both(|app| async move {
        app.seed().await;
        let client = app.client();
        let editor = caller(&app, &client, "editor@northshire.test").await;
        let colleague = caller(&app, &client, "editor@northshire.test").await;
        let started = editor.json(Method::POST, "/api/v1/submissions", &[], &start_body("2026-04-01")).await;
        let id = started.json()["id"].as_str().unwrap().to_string();
        let path = format!("/api/v1/submissions/{id}");
        let etag = editor.get(&path).await.header("etag");
        let mine = json!({"section": "programme", "answers": {"programme_name": "Mine"}});
        let theirs =
            json!({"section": "programme", "answers": {"programme_name": "Theirs", "overall_rag": "red"}});
        let first = editor.json(Method::PATCH, &path, &[("if-match", &etag)], &mine).await;
        assert_eq!(first.status, 200, "{}", first.text);
        let second = colleague.json(Method::PATCH, &path, &[("if-match", &etag)], &theirs).await;
        assert_eq!((second.status, second.code().as_str()), (412, "stale_revision"), "{}", second.text);
        let details = &second.json()["error"]["details"];
        assert_eq!(details[0]["field"], "programme_name", "{details}");
        assert_eq!(details[0]["new"], "Mine", "{details}");
        let now = editor.get(&path).await.json();
        assert_eq!(now["answers"]["programme_name"], "Mine");
        assert!(now["answers"]["overall_rag"].is_null(), "nothing of the refused save is stored");
    })
    .await;
}

#[tokio::test]
async fn two_simultaneous_starts_open_one_return() {
    on_both(|app| async move {
        app.seed().await;
        let client = app.client();
        let one = caller(&app, &client, "editor@northshire.test").await;
        let two = caller(&app, &client, "org-admin@northshire.test").await;
        let body = start_body("2026-04-01");
        let (a, b) = tokio::join!(
            one.json(Method::POST, "/api/v1/submissions", &[], &body),
            two.json(Method::POST, "/api/v1/submissions", &[], &body)
        );
        let mut statuses = [a.status, b.status];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 201], "{} {}", a.text, b.text);
        assert_eq!(a.json()["id"], b.json()["id"]);
        let listed = one.get("/api/v1/submissions?period=2026-04-01").await.json();
        assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    })
    .await;
}

#[tokio::test]
async fn another_organisations_return_does_not_exist_for_its_members() {
    let app = TestApp::on(Backend::Sqlite).await;
    app.seed().await;
    let client = app.client();
    let editor = caller(&app, &client, "editor@northshire.test").await;
    let outsider = caller(&app, &client, "editor@southvale.test").await;
    let started = editor.json(Method::POST, "/api/v1/submissions", &[], &start_body("2026-04-01")).await;
    let id = started.json()["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/submissions/{id}");
    assert_eq!(outsider.get(&path).await.status, 404);
    assert_eq!(outsider.get(&format!("{path}/history")).await.status, 404);
    assert_eq!(outsider.attach(&id, "board_minutes", "minutes.pdf", &pdf()).await.status, 404);
    let listed = outsider.get("/api/v1/submissions").await.json();
    assert_eq!(listed, json!([]));
}

#[tokio::test]
async fn a_table_upload_refuses_what_is_not_that_tables_file() {
    let app = TestApp::on(Backend::Sqlite).await;
    app.seed().await;
    add_finance(&app).await;
    let client = app.client();
    let finance = caller(&app, &client, "finance@northshire.test").await;
    let started = finance.json(Method::POST, "/api/v1/submissions", &[], &start_body("2026-04-01")).await;
    let id = started.json()["id"].as_str().unwrap().to_string();
    let xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    let upload = |table: &str, name: &str, bytes: Vec<u8>, content_type: &'static str| {
        let path = format!("/api/v1/submissions/{id}/tables/{table}?file_name={name}");
        let finance = &finance;
        async move { finance.call(Method::POST, &path, &[], Some((bytes, content_type))).await }
    };
    let first_code =
        |reply: &Reply| reply.json()["error"]["details"][0]["code"].as_str().unwrap_or("").to_string();

    // The whole return's template, with no spend rows in its spend sheet: too few rows.
    let template = finance.get("/api/v1/collections/towns-fund-monitoring/template.xlsx").await;
    assert_eq!(template.status, 200);
    let empty = upload("spend", "towns-fund.xlsx", template.bytes.clone(), xlsx).await;
    assert_eq!((empty.status, first_code(&empty).as_str()), (422, "rows"), "{}", empty.text);
    let annotated = finance.get(empty.json()["report"]["annotated_workbook"].as_str().unwrap()).await;
    assert!(annotated.bytes.starts_with(b"PK"), "{}", annotated.status);
    // Another collection's template.
    let audit = app.token("org-admin@northshire.test").await;
    let other = client.api(Method::GET, "/api/v1/collections/single-audit/template.xlsx", &audit, None).await;
    let wrong = upload("spend", "audit.xlsx", other.bytes, xlsx).await;
    assert_eq!((wrong.status, first_code(&wrong).as_str()), (422, "template"), "{}", wrong.text);
    // A section of questions, a file that is not a spreadsheet, a workbook that is not one.
    let questions = upload("programme", "programme.csv", b"programme_name\nX\n".to_vec(), "text/csv").await;
    assert_eq!((questions.status, first_code(&questions).as_str()), (422, "template"), "{}", questions.text);
    let pdf_upload = upload("spend", "spend.pdf", pdf(), "application/pdf").await;
    assert_eq!((pdf_upload.status, first_code(&pdf_upload).as_str()), (422, "file"), "{}", pdf_upload.text);
    let fake = upload("spend", "spend.xlsx", b"project_id\n".to_vec(), xlsx).await;
    assert_eq!((fake.status, first_code(&fake).as_str()), (422, "file"), "{}", fake.text);
    let unknown = upload("no_such_table", "spend.csv", b"project_id\n".to_vec(), "text/csv").await;
    assert_eq!(unknown.status, 404, "{}", unknown.text);
    // A CSV file whose headers are another table's.
    let projects = upload(
        "spend",
        "projects.csv",
        b"project_id,project_name,theme\nTF-ABC-01,X,transport\n".to_vec(),
        "text/csv",
    )
    .await;
    assert_eq!(projects.status, 422, "{}", projects.text);
    let codes: Vec<String> = projects.json()["report"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["code"].as_str().unwrap().to_string())
        .collect();
    assert!(codes.contains(&"missing_column".to_string()), "{codes:?}");
    let now = finance.get(&format!("/api/v1/submissions/{id}")).await.json();
    assert!(now["answers"]["spend"].is_null(), "nothing refused was stored: {now}");
}
