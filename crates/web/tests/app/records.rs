//! Records of a log on the pages and through the API: added, saved section by section, a warning
//! confirmed, completed; a stale save that changes nothing; a duplicate `record_key` that links to
//! the other record; a soft delete kept in the history; the list's filters, counts and cursor;
//! and who may see and change what (another organisation's record does not exist; staff read).

use formwork_service::Actor;
use formwork_service::organisations::add_member;
use formwork_service::people::{NewPerson, create as create_person};
use formwork_store::Backend;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{Caller, Client, Reply, TestApp, caller};

const PROVIDER: &str = "provider@northshire.test";
const OTHER_PROVIDER: &str = "provider@southvale.test";
const LIST: &str = "/organisations/northshire/records/lettings-log";

/// The seeded app with the lettings log kept by both organisations, and a data provider in each.
async fn lettings(backend: Backend) -> TestApp {
    let app = TestApp::on(backend).await;
    app.seed().await;
    let system = Actor::System;
    for org in ["northshire", "southvale"] {
        formwork_service::collections::assign(app.app(), &system, "lettings-log", org).await.unwrap();
        let email = format!("provider@{org}.test");
        let person = NewPerson {
            email: email.clone(),
            name: Some(format!("Provider {org}")),
            password: Some(crate::support::PASSWORD.into()),
            ..Default::default()
        };
        create_person(app.app(), &system, &person).await.unwrap();
        add_member(app.app(), &system, org, &email, &["data_provider".to_string()]).await.unwrap();
    }
    app
}

/// Every answer of a letting, its record key made of `code`; the lead tenant's age (101) is a
/// warning to confirm.
fn letting(code: &str) -> Value {
    json!({
        "owning_org_code": "NSH01", "tenancy_start": "2026-05-01", "tenancy_code": code,
        "needs_type": "1", "rent_type": "0", "is_renewal": false,
        "property_postcode": "NE1 4XF", "la_code": "E08000021", "property_type": "1", "bedrooms": 2,
        "is_adapted": false, "tenancy_type": "4", "is_starter": true,
        "household_size": 1, "lead_age": 101, "lead_sex": "F", "lead_working": "5",
        "armed_forces": false, "has_disability": false,
        "reason": "40", "prior_accommodation": "3", "was_homeless": false, "referral": "2",
        "income_known": false, "housing_benefit": true, "rent_period": "1",
        "basic_rent": "100.00", "service_charge": "10.00"
    })
}

/// The answers of `letting` without the setup section's, which the pages fill in.
fn letting_but_setup(code: &str) -> Value {
    let mut answers = letting(code);
    for key in ["owning_org_code", "tenancy_start", "tenancy_code", "needs_type", "rent_type", "is_renewal"] {
        answers.as_object_mut().unwrap().remove(key);
    }
    answers
}

fn hidden(page: &Reply, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.text.find(&marker).unwrap_or_else(|| panic!("no {name} on the page: {}", page.text))
        + marker.len();
    page.text[start..].split('"').next().unwrap().to_string()
}

impl Caller<'_> {
    async fn add(&self, body: &Value) -> Reply {
        self.json(Method::POST, "/api/v1/records", &[], body).await
    }

    /// PATCH a record from the revision read now.
    async fn patch_record(&self, id: &str, body: &Value) -> Reply {
        let etag = self.get(&format!("/api/v1/records/{id}")).await.header("etag");
        self.json(Method::PATCH, &format!("/api/v1/records/{id}"), &[("if-match", &etag)], body).await
    }
}

fn codes(body: &Value) -> Vec<String> {
    body["errors"].as_array().unwrap().iter().map(|i| i["code"].as_str().unwrap_or("").to_string()).collect()
}

async fn post(client: &Client, path: &str, fields: &[(&str, &str)]) -> Reply {
    client.form(path, fields).await
}

/// The setup section's fields as the page posts them.
fn setup_fields<'a>(revision: &'a str, code: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("owning_org_code", "NSH01"),
        ("tenancy_start-day", "1"),
        ("tenancy_start-month", "5"),
        ("tenancy_start-year", "2026"),
        ("tenancy_code", code),
        ("needs_type", "1"),
        ("rent_type", "0"),
        ("is_renewal", "no"),
        ("action", "continue"),
        ("revision", revision),
    ]
}

async fn added_on_the_page_then_completed(app: TestApp) {
    let provider = app.signed_in(PROVIDER).await;
    let dashboard = provider.get("/returns").await;
    assert!(
        dashboard.text.contains(&format!("href=\"{LIST}\"")),
        "the dashboard links to the log: {}",
        dashboard.text
    );
    let organisation = provider.get("/organisations/northshire").await;
    assert!(organisation.text.contains(&format!("href=\"{LIST}\"")), "so does the organisation's page");

    let list = provider.get(LIST).await;
    assert_eq!(list.status, 200, "{}", list.text);
    assert!(list.text.contains("Add a record") && list.text.contains("Upload records"), "{}", list.text);
    let upload = "href=\"/organisations/northshire/uploads/new?collection=lettings-log&";
    assert!(
        list.text.contains(upload) && list.text.contains("period=2026-04-01\""),
        "the upload page, for the latest period: {}",
        list.text
    );
    assert!(list.text.contains("No records match these filters"));
    let added = post(&provider, LIST, &[("period", "2026-04-01")]).await;
    assert_eq!(added.status, 303, "{}", added.text);
    let href = added.location().split('?').next().unwrap().to_string();
    let id = href.trim_start_matches("/records/").to_string();

    let record = provider.get(&href).await;
    assert_eq!(record.status, 200);
    assert!(record.text.contains("You have completed 0 of 6 sections"), "{}", record.text);
    assert!(record.text.contains("In progress"), "{}", record.text);

    // The setup section on its page, with an error first: saved all the same.
    let section = format!("/records/{id}/sections/setup");
    let page = provider.get(&section).await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("Stock owner organisation code"), "the generated form: {}", page.text);
    let revision = hidden(&page, "revision");
    let mut wrong = setup_fields(&revision, "T-0001");
    wrong[0] = ("owning_org_code", "not a code");
    let refused = post(&provider, &section, &wrong).await;
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert!(refused.text.contains("govuk-error-summary"), "{}", refused.text);
    assert!(refused.text.contains("value=\"not a code\""), "what was typed is kept");
    let revision = hidden(&refused, "revision");
    let saved = post(&provider, &section, &setup_fields(&revision, "T-0001")).await;
    assert_eq!(saved.status, 303, "{}", saved.text);
    assert_eq!(saved.location(), format!("/records/{id}?notice=record-saved"));

    // The rest through the API, then the warning confirmed on its page.
    let client = app.client();
    let api = caller(&app, &client, PROVIDER).await;
    let body = api.patch_record(&id, &json!({"answers": letting_but_setup("T-0001")})).await;
    assert_eq!(body.status, 200, "{}", body.text);
    let body = body.json();
    assert_eq!(body["state"], "in_progress", "a warning to confirm: {body}");
    assert!(codes(&body).is_empty(), "{body}");
    let warning = body["warnings"][0]["key"].as_str().unwrap().to_string();
    assert_eq!(body["warnings"][0]["item"]["path"], "lead_age");

    let household = provider.get(&format!("/records/{id}/sections/household")).await;
    assert!(household.text.contains("age is 100 or over: check this is correct"), "{}", household.text);
    let revision = hidden(&household, "revision");
    let empty = post(
        &provider,
        &format!("/records/{id}/warnings"),
        &[("key", &warning), ("reason", " "), ("revision", &revision)],
    )
    .await;
    assert_eq!(empty.status, 422, "a reason is needed: {}", empty.text);
    assert!(empty.text.contains("Enter why this answer is right"));
    let confirmed = post(
        &provider,
        &format!("/records/{id}/warnings"),
        &[("key", &warning), ("reason", "The tenant is 101"), ("revision", &revision)],
    )
    .await;
    assert_eq!(confirmed.status, 303, "{}", confirmed.text);

    let done = api.get(&format!("/api/v1/records/{id}")).await.json();
    assert_eq!(done["state"], "completed", "{done}");
    assert_eq!(done["warnings"][0]["confirmation"]["reason"], "The tenant is 101");
    let record = provider.get(&href).await;
    assert!(record.text.contains("You have completed every section"), "{}", record.text);
    assert!(record.text.contains("This record is complete"));
    let list = provider.get(LIST).await;
    assert!(list.text.contains(&format!("href=\"{href}\"")), "listed: {}", list.text);
    assert!(list.text.contains("T-0001") && list.text.contains("Completed (1)"), "{}", list.text);

    let history = provider.get(&format!("{href}/history")).await;
    assert_eq!(history.status, 200);
    for said in
        ["Added the record", "Changed answers", "Confirmed the warning", "The tenant is 101", "Tenancy code"]
    {
        assert!(history.text.contains(said), "{said}: {}", history.text);
    }
}

#[tokio::test]
async fn a_record_added_on_the_pages_is_saved_its_warning_confirmed_and_it_is_completed() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        added_on_the_page_then_completed(lettings(backend).await).await;
    }
}

#[tokio::test]
async fn a_record_made_through_the_api_is_created_with_its_location_and_completed_once_confirmed() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let app = lettings(backend).await;
        let client = app.client();
        let api = caller(&app, &client, PROVIDER).await;
        let made = api
            .add(&json!({"collection": "lettings-log", "organisation": "northshire", "answers": letting("T-0002")}))
            .await;
        assert_eq!(made.status, 201, "{}", made.text);
        let body = made.json();
        let id = body["id"].as_str().unwrap().to_string();
        assert_eq!(made.location(), format!("/api/v1/records/{id}"));
        assert_eq!(made.header("etag"), "\"1\"");
        assert_eq!(body["period"], "2026-04-01", "the latest period by default");
        assert_eq!(body["state"], "in_progress");
        assert_eq!(body["duplicate_of"], Value::Null);
        let key = body["warnings"][0]["key"].as_str().unwrap();
        let confirmed = api
            .json(
                Method::POST,
                &format!("/api/v1/records/{id}/warnings"),
                &[],
                &json!({"key": key, "reason": "Checked with the tenant"}),
            )
            .await;
        assert_eq!(confirmed.status, 201, "{}", confirmed.text);
        assert_eq!(confirmed.json()["state"], "completed");
        let history = api.get(&format!("/api/v1/records/{id}/history")).await.json();
        let summaries: Vec<&str> =
            history.as_array().unwrap().iter().map(|h| h["summary"].as_str().unwrap()).collect();
        assert_eq!(
            summaries,
            [
                "Confirmed the warning “The lead tenant's age is 100 or over: check this is correct”: Checked with the tenant",
                "Changed answers",
                "Added the record"
            ]
        );
        // A log's records are not a return's: a return cannot be a record, nor a period that has
        // not started.
        let wrong =
            api.add(&json!({"collection": "towns-fund-monitoring", "organisation": "northshire"})).await;
        assert_eq!(wrong.status, 422, "{}", wrong.text);
        let future = api
            .add(&json!({"collection": "lettings-log", "organisation": "northshire", "period": "2030-04-01"}))
            .await;
        assert_eq!(future.status, 422, "{}", future.text);
    }
}

#[tokio::test]
async fn a_stale_save_is_a_conflict_that_changes_nothing() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let app = lettings(backend).await;
        let client = app.client();
        let api = caller(&app, &client, PROVIDER).await;
        let made = api.add(&json!({"collection": "lettings-log", "organisation": "northshire"})).await.json();
        let id = made["id"].as_str().unwrap().to_string();
        let provider = app.signed_in(PROVIDER).await;
        let section = format!("/records/{id}/sections/setup");
        let page = provider.get(&section).await;
        let old = hidden(&page, "revision");

        // Someone else saves first.
        let theirs =
            api.patch_record(&id, &json!({"section": "setup", "answers": {"tenancy_code": "THEIRS"}})).await;
        assert_eq!(theirs.status, 200, "{}", theirs.text);
        let before = api.get(&format!("/api/v1/records/{id}")).await.json();

        let mine = post(&provider, &section, &setup_fields(&old, "MINE")).await;
        assert_eq!(mine.status, 409, "{}", mine.text);
        assert!(
            mine.text.contains("Someone else changed this record while you were editing it"),
            "{}",
            mine.text
        );
        assert!(
            mine.text.contains("THEIRS") && mine.text.contains("value=\"MINE\""),
            "theirs shown, mine kept"
        );

        let stale = api
            .json(
                Method::PATCH,
                &format!("/api/v1/records/{id}"),
                &[("if-match", &format!("\"{old}\""))],
                &json!({"answers": {"tenancy_code": "MINE"}}),
            )
            .await;
        assert_eq!(stale.status, 412, "{}", stale.text);
        assert_eq!(stale.code(), "stale_revision");
        let message = stale.json()["error"]["message"].as_str().unwrap().to_string();
        assert_eq!(
            message,
            "Somebody else changed this record after you opened it: nothing you sent was saved yet"
        );
        assert_eq!(stale.json()["error"]["details"][0]["field"], "tenancy_code");
        let unconditional = api
            .json(
                Method::PATCH,
                &format!("/api/v1/records/{id}"),
                &[],
                &json!({"answers": {"tenancy_code": "MINE"}}),
            )
            .await;
        assert_eq!(unconditional.status, 428, "{}", unconditional.text);

        let after = api.get(&format!("/api/v1/records/{id}")).await.json();
        assert_eq!(after, before, "nothing changed");
        assert_eq!(after["answers"]["tenancy_code"], "THEIRS");
    }
}

#[tokio::test]
async fn a_duplicate_record_key_is_an_error_that_links_to_the_other_record() {
    let app = lettings(Backend::Sqlite).await;
    let client = app.client();
    let api = caller(&app, &client, PROVIDER).await;
    let body = |code: &str| json!({"collection": "lettings-log", "organisation": "northshire", "answers": letting(code)});
    let first = api.add(&body("T-0003")).await.json();
    let first_id = first["id"].as_str().unwrap().to_string();
    assert!(!codes(&first).contains(&"duplicate".to_string()));
    // The key as the engine normalises it: the same postcode written differently is the same key.
    let mut same = body("T-0003");
    same["answers"]["property_postcode"] = json!("ne14xf");
    let second = api.add(&same).await.json();
    let second_id = second["id"].as_str().unwrap().to_string();
    assert_eq!(second["duplicate_of"], first_id.as_str(), "{second}");
    let duplicate = second["errors"].as_array().unwrap().iter().find(|i| i["code"] == "duplicate").unwrap();
    assert_eq!(duplicate["path"], "tenancy_code");
    assert_eq!(duplicate["section"], "setup");
    assert_eq!(
        duplicate["message"],
        "Another record has the same tenancy code, tenancy start date and property postcode: change this record or delete one of the two"
    );
    let key = second["warnings"][0]["key"].as_str().unwrap().to_string();
    let confirmed = api
        .json(
            Method::POST,
            &format!("/api/v1/records/{second_id}/warnings"),
            &[],
            &json!({"key": key, "reason": "Checked"}),
        )
        .await;
    assert_eq!(
        confirmed.json()["state"],
        "in_progress",
        "a duplicate is an error: the record is not completed"
    );

    let provider = app.signed_in(PROVIDER).await;
    let link = format!("href=\"/records/{first_id}\"");
    let record = provider.get(&format!("/records/{second_id}")).await;
    assert!(record.text.contains("Duplicate record") && record.text.contains(&link), "{}", record.text);
    let setup = provider.get(&format!("/records/{second_id}/sections/setup")).await;
    assert!(setup.text.contains(&link), "the section with the key links to the other record: {}", setup.text);
    assert!(setup.text.contains("Another record has the same tenancy code"), "{}", setup.text);

    // Changed, it is no longer a duplicate, and it completes.
    let changed = api
        .patch_record(&second_id, &json!({"section": "setup", "answers": {"tenancy_code": "T-0004"}}))
        .await
        .json();
    assert_eq!(changed["duplicate_of"], Value::Null);
    assert_eq!(changed["state"], "completed", "{changed}");
    // Another organisation's record with the same key is no duplicate.
    let other_client = app.client();
    let other = caller(&app, &other_client, OTHER_PROVIDER).await;
    let theirs = other
        .add(
            &json!({"collection": "lettings-log", "organisation": "southvale", "answers": letting("T-0003")}),
        )
        .await;
    assert_eq!(theirs.status, 201, "{}", theirs.text);
    assert_eq!(theirs.json()["duplicate_of"], Value::Null);
}

#[tokio::test]
async fn deleting_a_record_is_soft_and_in_its_history() {
    let app = lettings(Backend::Sqlite).await;
    let client = app.client();
    let api = caller(&app, &client, PROVIDER).await;
    let body = |code: &str| json!({"collection": "lettings-log", "organisation": "northshire", "answers": letting(code)});
    let first = api.add(&body("T-0005")).await.json();
    let id = first["id"].as_str().unwrap().to_string();
    let twin = api.add(&body("T-0005")).await.json();
    assert_eq!(twin["duplicate_of"], id.as_str());

    let provider = app.signed_in(PROVIDER).await;
    let record = provider.get(&format!("/records/{id}")).await;
    assert!(record.text.contains(&format!("href=\"/records/{id}/delete\"")), "{}", record.text);
    let confirm = provider.get(&format!("/records/{id}/delete")).await;
    assert_eq!(confirm.status, 200);
    assert!(confirm.text.contains("Are you sure you want to delete this record?"));
    let revision = hidden(&confirm, "revision");
    let unanswered = post(&provider, &format!("/records/{id}/delete"), &[("revision", &revision)]).await;
    assert_eq!(unanswered.status, 422);
    assert!(unanswered.text.contains("Select yes if you want to delete this record"));
    let no =
        post(&provider, &format!("/records/{id}/delete"), &[("revision", &revision), ("delete", "no")]).await;
    assert_eq!(no.location(), format!("/records/{id}"));
    let yes =
        post(&provider, &format!("/records/{id}/delete"), &[("revision", &revision), ("delete", "yes")])
            .await;
    assert_eq!(yes.status, 303, "{}", yes.text);
    assert_eq!(yes.location(), format!("{LIST}?notice=record-deleted"));

    // Kept, readable, in its history; no longer listed, counted, or the other's duplicate.
    let deleted = api.get(&format!("/api/v1/records/{id}")).await;
    assert_eq!(deleted.status, 200);
    assert_eq!(deleted.json()["state"], "deleted");
    let page = provider.get(&format!("/records/{id}")).await;
    assert!(page.text.contains("This record has been deleted"), "{}", page.text);
    assert!(!page.text.contains(&format!("/records/{id}/delete\"")), "nothing more to delete");
    let history = api.get(&format!("/api/v1/records/{id}/history")).await.json();
    assert_eq!(history[0]["summary"], "Deleted the record");
    assert_eq!(history[0]["by"], "Provider northshire");
    let listed = api.get("/api/v1/records?collection=lettings-log").await.json();
    let ids: Vec<&str> =
        listed["records"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert!(!ids.contains(&id.as_str()), "{listed}");
    assert_eq!(listed["counts"]["deleted"], 1);
    let only_deleted = api.get("/api/v1/records?state=deleted").await.json();
    assert_eq!(only_deleted["records"][0]["id"], id.as_str());
    let twin = api.get(&format!("/api/v1/records/{}", twin["id"].as_str().unwrap())).await.json();
    assert_eq!(twin["duplicate_of"], Value::Null, "a deleted record is no one's duplicate");

    // Through the API: If-Match needed, once only.
    let other = api.add(&body("T-0006")).await;
    let other_id = other.json()["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/records/{other_id}");
    assert_eq!(api.call(Method::DELETE, &path, &[], None).await.status, 428);
    let etag = other.header("etag");
    let gone = api.call(Method::DELETE, &path, &[("if-match", &etag)], None).await;
    assert_eq!(gone.status, 204, "{}", gone.text);
    let again = api.call(Method::DELETE, &path, &[("if-match", &gone.header("etag"))], None).await;
    assert_eq!(again.status, 409, "{}", again.text);
    let changed = api
        .json(
            Method::PATCH,
            &path,
            &[("if-match", &gone.header("etag"))],
            &json!({"answers": {"bedrooms": 3}}),
        )
        .await;
    assert_eq!(changed.status, 409, "a deleted record cannot be changed: {}", changed.text);
}

#[tokio::test]
async fn another_organisations_member_finds_no_such_record_on_the_pages_or_the_api() {
    let app = lettings(Backend::Sqlite).await;
    let client = app.client();
    let api = caller(&app, &client, PROVIDER).await;
    let made = api
        .add(&json!({"collection": "lettings-log", "organisation": "northshire", "answers": letting("T-0007")}))
        .await;
    let id = made.json()["id"].as_str().unwrap().to_string();
    let etag = made.header("etag");

    let outsider = app.signed_in(OTHER_PROVIDER).await;
    for path in [
        format!("/records/{id}"),
        format!("/records/{id}/sections/setup"),
        format!("/records/{id}/history"),
        format!("/records/{id}/delete"),
        LIST.to_string(),
    ] {
        let reply = outsider.get(&path).await;
        assert_eq!(reply.status, 404, "{path}: {}", reply.text);
        assert!(!reply.text.contains("T-0007") && !reply.text.contains("Northshire"), "{path} shows nothing");
    }
    for (path, fields) in [
        (format!("/records/{id}/sections/setup"), vec![("tenancy_code", "X"), ("revision", "2")]),
        (format!("/records/{id}/delete"), vec![("delete", "yes"), ("revision", "2")]),
        (LIST.to_string(), vec![("period", "2026-04-01")]),
    ] {
        let reply = post(&outsider, &path, &fields).await;
        assert_eq!(reply.status, 404, "{path}: {}", reply.text);
    }
    let other_client = app.client();
    let other = caller(&app, &other_client, OTHER_PROVIDER).await;
    let path = format!("/api/v1/records/{id}");
    assert_eq!(other.get(&path).await.status, 404);
    assert_eq!(other.get(&format!("{path}/history")).await.status, 404);
    let patched =
        other.json(Method::PATCH, &path, &[("if-match", &etag)], &json!({"answers": {"bedrooms": 3}})).await;
    assert_eq!(patched.status, 404, "{}", patched.text);
    assert_eq!(other.call(Method::DELETE, &path, &[("if-match", &etag)], None).await.status, 404);
    let listed = other.get("/api/v1/records").await.json();
    assert_eq!(listed["records"], json!([]), "{listed}");
    let named = other.get("/api/v1/records?organisation=northshire").await.json();
    assert_eq!(named["records"], json!([]), "{named}");
    let added = other.add(&json!({"collection": "lettings-log", "organisation": "northshire"})).await;
    assert_eq!(added.status, 422, "the organisation does not exist for them: {}", added.text);
    let record = api.get(&path).await.json();
    assert_eq!(record["revision"], 1, "unchanged: {record}");
}

#[tokio::test]
async fn staff_read_records_but_do_not_change_them() {
    let app = lettings(Backend::Sqlite).await;
    let client = app.client();
    let api = caller(&app, &client, PROVIDER).await;
    let made = api
        .add(&json!({"collection": "lettings-log", "organisation": "northshire", "answers": letting("T-0008")}))
        .await;
    let id = made.json()["id"].as_str().unwrap().to_string();
    let etag = made.header("etag");

    let reviewer = app.signed_in("reviewer@staff.test").await;
    let list = reviewer.get(LIST).await;
    assert_eq!(list.status, 200, "{}", list.text);
    assert!(list.text.contains("T-0008") && !list.text.contains("Add a record"), "{}", list.text);
    let record = reviewer.get(&format!("/records/{id}")).await;
    assert_eq!(record.status, 200);
    assert!(!record.text.contains("Delete record"), "{}", record.text);
    let section = reviewer.get(&format!("/records/{id}/sections/setup")).await;
    assert!(section.text.contains("You can read this section but not change it"), "{}", section.text);
    let saved = post(
        &reviewer,
        &format!("/records/{id}/sections/setup"),
        &[("tenancy_code", "X"), ("revision", "2")],
    )
    .await;
    assert_eq!(saved.status, 403, "{}", saved.text);
    assert_eq!(reviewer.get(&format!("/records/{id}/delete")).await.status, 403);
    assert_eq!(post(&reviewer, LIST, &[("period", "2026-04-01")]).await.status, 403);

    let staff_client = app.client();
    let staff = caller(&app, &staff_client, "analyst@staff.test").await;
    let path = format!("/api/v1/records/{id}");
    assert_eq!(staff.get(&path).await.status, 200);
    let listed = staff.get("/api/v1/records?organisation=northshire&collection=lettings-log").await.json();
    assert_eq!(listed["records"][0]["id"], id.as_str());
    assert_eq!(listed["records"][0]["key"]["tenancy_code"], "T-0008");
    let patched =
        staff.json(Method::PATCH, &path, &[("if-match", &etag)], &json!({"answers": {"bedrooms": 3}})).await;
    assert_eq!(patched.status, 403, "{}", patched.text);
    assert_eq!(patched.json()["error"]["message"], "Staff can read records but not add or change them");
    assert_eq!(staff.call(Method::DELETE, &path, &[("if-match", &etag)], None).await.status, 403);
    let added = staff.add(&json!({"collection": "lettings-log", "organisation": "northshire"})).await;
    assert_eq!(added.status, 403, "{}", added.text);
    // The organisation's members who do not keep the log read it too, and change nothing.
    let editor_client = app.client();
    let editor = caller(&app, &editor_client, "editor@northshire.test").await;
    assert_eq!(editor.get(&path).await.status, 200);
    let patched =
        editor.json(Method::PATCH, &path, &[("if-match", &etag)], &json!({"answers": {"bedrooms": 3}})).await;
    assert_eq!(patched.status, 403, "{}", patched.text);
    assert_eq!(api.get(&path).await.json()["revision"], 1, "unchanged");
}

#[tokio::test]
async fn the_list_is_filtered_counted_by_state_and_paged_by_cursor() {
    let app = lettings(Backend::Sqlite).await;
    let client = app.client();
    let api = caller(&app, &client, PROVIDER).await;
    for code in ["T-0101", "T-0102", "T-0103"] {
        app.clock.advance(1_000);
        let made = api
            .add(&json!({"collection": "lettings-log", "organisation": "northshire", "answers": letting(code)}))
            .await;
        assert_eq!(made.status, 201, "{}", made.text);
    }
    app.clock.advance(1_000);
    let empty = api.add(&json!({"collection": "lettings-log", "organisation": "northshire"})).await;
    assert_eq!(empty.status, 201);

    let first = api.get("/api/v1/records?collection=lettings-log&limit=2").await.json();
    assert_eq!(first["records"].as_array().unwrap().len(), 2, "{first}");
    assert_eq!(first["counts"]["in_progress"], 4, "{first}");
    let next = first["next"].as_str().unwrap();
    let second =
        api.get(&format!("/api/v1/records?collection=lettings-log&limit=2&after={next}")).await.json();
    let codes: Vec<Value> =
        second["records"].as_array().unwrap().iter().map(|r| r["key"]["tenancy_code"].clone()).collect();
    assert_eq!(codes, [json!("T-0102"), json!("T-0101")], "newest first, no record twice: {second}");
    assert_eq!(second["next"], Value::Null);
    let bad = api.get("/api/v1/records?after=yesterday").await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    let none = api.get("/api/v1/records?period=2027-04-01").await.json();
    assert_eq!(none["records"], json!([]));
    let state = api.get("/api/v1/records?state=completed").await.json();
    assert_eq!(state["records"], json!([]));

    // The page: the same cursor, and the filters.
    let provider = app.signed_in(PROVIDER).await;
    let page = provider.get(&format!("{LIST}?state=in_progress")).await;
    assert!(page.text.contains("In progress (4)") && page.text.contains("T-0103"), "{}", page.text);
    let filtered = provider.get(&format!("{LIST}?period=2026-04-01&state=completed")).await;
    assert!(filtered.text.contains("No records match these filters"), "{}", filtered.text);
}
