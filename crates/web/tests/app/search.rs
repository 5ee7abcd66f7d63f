//! The search of returns and records, on the pages and through the API, on SQLite and
//! PostgreSQL: every filter, the orders, pages by key forwards and back (every row here changed at
//! the same moment: the pages go through ties), counts per state, a member finding only their
//! own organisations' rows (another organisation's in the filter finds nothing), and problems
//! with the filters or a garbled page token told as such, never as a fault.

use std::collections::BTreeSet;

use formwork_service::Actor;
use formwork_service::organisations::add_member;
use formwork_service::people::{NewPerson, create as create_person};
use formwork_store::Backend;
use serde_json::{Value, json};

use crate::support::{Caller, Reply, TestApp, caller, on_both};

/// The rows the searches find: towns-fund returns of both organisations for three quarters (two
/// submitted, with references), northshire's single audit, and lettings records of both (one
/// deleted, one without its key answers yet).
struct Found {
    /// Returns by (organisation, period).
    returns: Vec<(String, &'static str, &'static str)>,
    /// Records: (id, organisation, tenancy code).
    records: Vec<(String, &'static str, String)>,
}

async fn searchable(app: &TestApp) -> Found {
    use formwork_service::records::{NewRecordInput, create};
    use formwork_service::submissions;
    app.seed().await;
    let system = Actor::System;
    let mut returns = Vec::new();
    for org in ["northshire", "southvale"] {
        for period in ["2026-04-01", "2026-07-01", "2026-10-01"] {
            let started =
                submissions::start(app.app(), &system, "towns-fund-monitoring", org, period).await.unwrap();
            returns.push((started.submission.id, org, period));
        }
    }
    let audit =
        submissions::start(app.app(), &system, "single-audit", "northshire", "2025-07-01").await.unwrap();
    returns.push((audit.submission.id, "northshire", "2025-07-01"));
    // Submitted and accepted behind the lifecycle's back: the search is tested, not the journey.
    for (i, (state, reference)) in
        [("submitted", "TFM-2026Q2-AB7K"), ("accepted", "TFM-2026Q2-ZZ3P")].into_iter().enumerate()
    {
        let id = &returns[i * 3].0;
        sqlx::query(
            "UPDATE submissions SET state = $1, reference = $2, submitted_at = updated_at WHERE id = $3",
        )
        .bind(state)
        .bind(reference)
        .bind(id)
        .execute(app.store().pool())
        .await
        .unwrap();
    }

    let mut records = Vec::new();
    for (org, count) in [("northshire", 7), ("southvale", 3)] {
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
        for n in 0..count {
            let code = format!("{}-{n:03}", &org[..2].to_uppercase());
            let mut answers = json!({"tenancy_code": code, "tenancy_start": "2026-05-01"});
            // One of northshire's has no postcode yet: no key.
            if !(org == "northshire" && n == 6) {
                answers["property_postcode"] = json!("NE1 4XF");
            }
            let new = NewRecordInput {
                collection: "lettings-log".into(),
                organisation: org.into(),
                period: Some("2026-04-01".into()),
                answers: answers.as_object().unwrap().clone(),
            };
            let view = create(app.app(), &system, new).await.unwrap();
            records.push((view.record.id, org, code));
        }
    }
    // northshire's NO-005 deleted: found only when asked for.
    sqlx::query("UPDATE records SET state = 'deleted' WHERE id = $1")
        .bind(&records[5].0)
        .execute(app.store().pool())
        .await
        .unwrap();
    Found { returns, records }
}

impl Caller<'_> {
    /// A search through the API that must succeed.
    async fn search(&self, what: &str, query: &str) -> Value {
        let reply = self.get(&format!("/api/v1/search/{what}?{query}")).await;
        assert_eq!(reply.status, 200, "{what}?{query}: {}", reply.text);
        reply.json()
    }
}

fn ids(body: &Value) -> Vec<String> {
    body["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_string()).collect()
}

/// The query string with `name=value` added (percent-encoded).
fn and(query: &str, name: &str, value: &str) -> String {
    let pair = url::form_urlencoded::Serializer::new(String::new()).append_pair(name, value).finish();
    if query.is_empty() { pair } else { format!("{query}&{pair}") }
}

/// Every row of `query` a page of `limit` at a time, forwards by `next`; then back from the last
/// page by `previous`, which must give the same pages.
async fn paged(api: &Caller<'_>, what: &str, query: &str, limit: usize) -> Vec<String> {
    let first = and(query, "limit", &limit.to_string());
    let mut pages = vec![api.search(what, &first).await];
    assert!(pages[0]["previous"].is_null(), "the first page has no page before");
    while let Some(next) = pages.last().unwrap()["next"].as_str().map(str::to_string) {
        let page = api.search(what, &and(&first, "after", &next)).await;
        assert!(page["previous"].is_string(), "a later page has a page before");
        assert_eq!(page["total"], pages[0]["total"], "every page counts the whole search");
        pages.push(page);
        assert!(pages.len() < 50, "paging never ends");
    }
    let mut back = vec![ids(pages.last().unwrap())];
    let mut previous = pages.last().unwrap()["previous"].as_str().map(str::to_string);
    while let Some(token) = previous {
        let page = api.search(what, &and(&first, "before", &token)).await;
        assert!(page["next"].is_string(), "a page before another has a next page");
        back.push(ids(&page));
        previous = page["previous"].as_str().map(str::to_string);
    }
    back.reverse();
    let forwards: Vec<Vec<String>> = pages.iter().map(ids).collect();
    assert_eq!(back, forwards, "{what}?{query}: going back gives the pages going forwards gave");
    assert!(forwards.iter().all(|p| p.len() <= limit));
    forwards.concat()
}

async fn staff_find_returns_by_every_filter(app: TestApp) {
    let found = searchable(&app).await;
    let client = app.client();
    let api = caller(&app, &client, "analyst@staff.test").await;
    let all = api.search("submissions", "").await;
    assert_eq!(all["total"], 7, "{all}");
    assert_eq!(
        all["counts"],
        json!({"in_progress": 5, "ready_for_sign_off": 0, "awaiting_sign_off": 0, "submitted": 1, "changes_requested": 0, "accepted": 1})
    );
    let item = all["items"].as_array().unwrap().iter().find(|i| i["reference"] == "TFM-2026Q2-AB7K").unwrap();
    assert_eq!(item["organisation"], "northshire");
    assert_eq!(item["period_label"], "April to June 2026");
    assert_eq!(item["href"], format!("/api/v1/submissions/{}", found.returns[0].0));
    assert!(item["submitted_at"].is_string() && item["updated_at"].is_string());

    let count = |body: &Value| body["items"].as_array().unwrap().len();
    for (query, want) in [
        ("collection=single-audit", 1),
        ("collection=towns-fund-monitoring&period=2026-07-01", 2),
        ("collection=towns-fund-monitoring&version=1", 6),
        ("organisation=southvale", 3),
        ("organisation=nowhere", 0),
        ("states=submitted,accepted", 2),
        ("state=submitted&state=accepted", 2),
        ("state=in_progress&organisation=northshire", 3),
        ("q=zz3p", 1),
        ("q=SOUTHVALE", 3),
        ("q=%25", 0),
        ("updated_since=2026-11-22", 7),
        ("updated_since=2026-11-23", 0),
        ("updated_since=2026-11-22T10:00:01Z", 0),
        ("updated_since-day=1&updated_since-month=11&updated_since-year=2026", 7),
    ] {
        let body = api.search("submissions", query).await;
        assert_eq!((count(&body), body["total"].as_i64()), (want, Some(want as i64)), "{query}: {body}");
    }
    // Counts leave the state filter aside.
    let submitted = api.search("submissions", "state=submitted").await;
    assert_eq!(submitted["counts"], all["counts"]);

    let by_reference = ids(&api.search("submissions", "sort=reference").await);
    assert_eq!(
        by_reference[..2],
        [found.returns[0].0.clone(), found.returns[3].0.clone()],
        "A to Z, drafts last"
    );
    let by_period = api.search("submissions", "sort=period").await;
    let periods: Vec<&str> =
        by_period["items"].as_array().unwrap().iter().map(|i| i["period"].as_str().unwrap()).collect();
    assert!(periods.windows(2).all(|w| w[0] >= w[1]), "latest period first: {periods:?}");

    // Pages by key through ties (every row changed at the same moment), in every order.
    for sort in ["updated", "oldest", "period", "reference"] {
        let query = format!("sort={sort}");
        let everything = ids(&api.search("submissions", &query).await);
        for limit in [1, 2, 3] {
            assert_eq!(paged(&api, "submissions", &query, limit).await, everything, "{sort} by {limit}");
        }
    }
    let some = paged(&api, "submissions", "organisation=northshire&sort=oldest", 2).await;
    assert_eq!(some.len(), 4);
    assert_eq!(some.iter().collect::<BTreeSet<_>>().len(), 4, "no row twice");
}

#[tokio::test]
async fn staff_find_returns_by_every_filter_in_every_order_a_page_at_a_time() {
    on_both(staff_find_returns_by_every_filter).await;
}

async fn records_found_by_key(app: TestApp) {
    let found = searchable(&app).await;
    let client = app.client();
    let api = caller(&app, &client, "reviewer@staff.test").await;
    let all = api.search("records", "").await;
    assert_eq!(all["total"], 9, "the deleted record is left out: {all}");
    assert_eq!(all["counts"], json!({"in_progress": 10 - 1, "completed": 0, "deleted": 1}));
    let deleted = api.search("records", "states=deleted").await;
    assert_eq!(ids(&deleted), [found.records[5].0.clone()]);
    let one = api.search("records", "q=no-002").await;
    assert_eq!(ids(&one), [found.records[2].0.clone()]);
    assert_eq!(one["items"][0]["reference"], "no-002, 2026-05-01, ne1 4xf", "the key's answers as stored");
    assert_eq!(one["items"][0]["href"], format!("/api/v1/records/{}", found.records[2].0));
    let keyless = api.search("records", "sort=reference").await;
    let last = keyless["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["id"].as_str(), &last["reference"]),
        (Some(found.records[6].0.as_str()), &Value::Null),
        "no key: last"
    );
    for (query, want) in [
        ("collection=lettings-log&version=1&period=2026-04-01", 9),
        ("organisation=southvale", 3),
        ("q=so-", 3),
        ("q=northshire", 6),
        ("states=in_progress,deleted", 10),
    ] {
        assert_eq!(api.search("records", query).await["total"], want, "{query}");
    }
    for limit in [1, 4] {
        let everything = ids(&api.search("records", "sort=reference").await);
        assert_eq!(paged(&api, "records", "sort=reference", limit).await, everything);
    }
}

#[tokio::test]
async fn records_are_found_by_their_key_and_paged_by_key() {
    on_both(records_found_by_key).await;
}

async fn members_find_their_own(app: TestApp) {
    let found = searchable(&app).await;
    let client = app.client();
    let editor = caller(&app, &client, "editor@northshire.test").await;
    let mine = editor.search("submissions", "").await;
    let northshire: BTreeSet<String> = found
        .returns
        .iter()
        .filter(|(_, org, _)| *org == "northshire")
        .map(|(id, _, _)| id.clone())
        .collect();
    assert_eq!(ids(&mine).into_iter().collect::<BTreeSet<_>>(), northshire);
    assert_eq!(mine["total"], 4);
    // Another organisation's, asked for by name or by slug: nothing, and nothing counted.
    for query in ["organisation=southvale", "q=Southvale", "organisation=southvale&q=ZZ3P", "q=ZZ3P"] {
        let theirs = editor.search("submissions", query).await;
        assert_eq!((theirs["total"].as_i64(), ids(&theirs).len()), (Some(0), 0), "{query}: {theirs}");
        assert!(theirs["counts"].as_object().unwrap().values().all(|n| n == 0), "{query}: {theirs}");
        assert!(!theirs.to_string().contains("Southvale"), "{query}");
    }
    let provider = caller(&app, &client, "provider@southvale.test").await;
    let records = provider.search("records", "").await;
    assert_eq!(records["total"], 3);
    assert!(records["items"].as_array().unwrap().iter().all(|i| i["organisation"] == "southvale"));
    assert_eq!(provider.search("records", "organisation=northshire").await["total"], 0);
    // Someone in no organisation, not on the staff, finds nothing at all.
    let nobody = caller(&app, &client, "nobody@none.test").await;
    assert_eq!(nobody.search("submissions", "").await["total"], 0);

    // On the page: only their rows, each opening the organisation's own view of the return.
    let page = app.signed_in("editor@northshire.test").await.get("/search/returns").await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(!page.text.contains("Southvale"), "{}", page.text);
    assert!(page.text.contains(&format!("href=\"/returns/{}\"", found.returns[0].0)), "{}", page.text);
    let other =
        app.signed_in("editor@northshire.test").await.get("/search/returns?organisation=southvale").await;
    assert!(other.text.contains("0 returns found") && !other.text.contains("Southvale"), "{}", other.text);
    // The staff's rows open the review page.
    let staff = app.signed_in("reviewer@staff.test").await.get("/search/returns").await;
    assert!(staff.text.contains(&format!("href=\"/review/{}\"", found.returns[0].0)), "{}", staff.text);
    let records = app.signed_in("provider@northshire.test").await.get("/search/records").await;
    assert!(records.text.contains(&format!("href=\"/records/{}\"", found.records[0].0)), "{}", records.text);
    assert!(!records.text.contains("SO-0") && !records.text.contains("so-0"), "{}", records.text);
}

#[tokio::test]
async fn a_member_finds_only_their_own_organisations_rows() {
    on_both(members_find_their_own).await;
}

fn problem_paths(reply: &Reply) -> Vec<String> {
    reply.json()["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["path"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn bad_filters_and_garbled_page_tokens_are_told_not_faults() {
    let app = TestApp::on(Backend::Sqlite).await;
    searchable(&app).await;
    let client = app.client();
    let api = caller(&app, &client, "analyst@staff.test").await;
    let next = api.search("submissions", "limit=2").await["next"].as_str().unwrap().to_string();
    for (query, path) in [
        ("after=not-a-token", "after"),
        ("before=eyJzb3J0IjoidXBkYXRlZCJ9", "before"),
        (&*format!("sort=reference&after={next}"), "after"),
        (&*format!("after={}x", &next[..next.len() - 3]), "after"),
        ("collection=no-such-thing", "collection"),
        ("collection=lettings-log", "collection"),
        ("version=two", "version"),
        ("version=3", "version"),
        ("collection=towns-fund-monitoring&version=9", "version"),
        ("period=April", "period"),
        ("state=nope", "state"),
        ("states=submitted,deleted", "state"),
        ("updated_since=yesterday", "updated_since"),
        ("updated_since-day=31&updated_since-month=2&updated_since-year=2026", "updated_since"),
        ("sort=sideways", "sort"),
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        (&*format!("q={}", "x".repeat(101)), "q"),
    ] {
        let reply = api.get(&format!("/api/v1/search/submissions?{query}")).await;
        assert_eq!((reply.status, reply.code()), (422, "invalid".to_string()), "{query}: {}", reply.text);
        assert_eq!(problem_paths(&reply), [path], "{query}: {}", reply.text);
    }
    let many = api.get("/api/v1/search/records?state=nope&version=x&sort=up").await;
    assert_eq!(problem_paths(&many), ["version", "state", "sort"], "every problem at once");
    let signed_out = client.get("/api/v1/search/records").await;
    assert_eq!(signed_out.status, 401);
    let page = client.get("/search/records").await;
    assert_eq!((page.status, page.location().starts_with("/sign-in")), (303, true));

    // The page shows the filters again with the problem, and no results.
    let analyst = app.signed_in("analyst@staff.test").await;
    let page = analyst
        .get("/search/returns?updated_since-day=31&updated_since-month=2&updated_since-year=2026&q=north")
        .await;
    assert_eq!(page.status, 422, "{}", page.text);
    assert!(
        page.text.contains("href=\"#updated_since-day\">Changed since must be a real date"),
        "{}",
        page.text
    );
    assert!(page.text.contains("name=\"updated_since-day\" type=\"text\" value=\"31\""), "{}", page.text);
    assert!(page.text.contains("value=\"north\""), "what was typed is kept: {}", page.text);
    let garbled = analyst.get("/search/returns?after=garbled").await;
    assert_eq!(garbled.status, 422);
    assert!(
        garbled.text.contains("href=\"#search-results\">The link to this page of results is out of date"),
        "{}",
        garbled.text
    );
}

/// The main element of a search page, with page tokens, the CSRF token and ids named.
fn main_of(page: &Reply, ids: &[(String, String)]) -> String {
    let start = page.text.find("<main").expect("a main element");
    let end = page.text.find("</main>").expect("the end of main") + "</main>".len();
    let mut main = page.text[start..end].to_string();
    for (name, id) in ids {
        main = main.replace(id, name);
    }
    let tokens = regex::Regex::new("(after|before)=[A-Za-z0-9_-]+").unwrap();
    let main = tokens.replace_all(&main, "$1=[token]");
    let csrf = regex::Regex::new("name=\"csrf_token\" value=\"[^\"]*\"").unwrap();
    let main = csrf.replace_all(&main, "name=\"csrf_token\" value=\"[csrf]\"");
    main.lines().map(str::trim_end).filter(|l| !l.trim().is_empty()).collect::<Vec<_>>().join("\n")
}

#[tokio::test]
async fn the_search_pages_show_counts_results_pages_and_exports() {
    let app = TestApp::on(Backend::Sqlite).await;
    let found = searchable(&app).await;
    let reviewer = app.signed_in("reviewer@staff.test").await;
    let home = reviewer.get("/").await;
    assert!(home.text.contains("href=\"/search/returns\""), "Search is in the navigation");
    let names: Vec<(String, String)> =
        found.returns.iter().map(|(id, org, period)| (format!("[{org} {period}]"), id.clone())).collect();
    // The two with references: an order that does not depend on ids.
    let first = reviewer.get("/search/returns?collection=towns-fund-monitoring&sort=reference&limit=2").await;
    assert_eq!(first.status, 200, "{}", first.text);
    insta::assert_snapshot!("search_returns_first_page", main_of(&first, &names));
    let next = regex::Regex::new("href=\"([^\"]*after=[^\"]*)\"").unwrap();
    let second = next.captures(&first.text).expect("a next page")[1].replace("&#38;", "&");
    let second = reviewer.get(&second).await;
    assert_eq!(second.status, 200);
    assert!(second.text.contains("before="), "a previous page: {}", second.text);

    let provider = app.signed_in("provider@northshire.test").await;
    let records = provider
        .get("/search/records?collection=lettings-log&q=no-00&state=in_progress&sort=reference&limit=2")
        .await;
    assert_eq!(records.status, 200, "{}", records.text);
    let record_names: Vec<(String, String)> =
        found.records.iter().map(|(id, _, code)| (format!("[{code}]"), id.clone())).collect();
    insta::assert_snapshot!("search_records_by_a_member", main_of(&records, &record_names));
    let nobody = app.signed_in("nobody@none.test").await;
    assert!(
        !nobody.get("/").await.text.contains("/search/returns"),
        "nothing to search: no Search in the navigation"
    );
}

/// The export links carry the search's filters, without its order or page.
#[tokio::test]
async fn the_export_links_select_what_the_search_selects() {
    let app = TestApp::on(Backend::Sqlite).await;
    searchable(&app).await;
    let analyst = app.signed_in("analyst@staff.test").await;
    let page = analyst
        .get("/search/records?collection=lettings-log&organisation=northshire&q=no%25&sort=oldest")
        .await;
    for link in [
        "/exports/lettings-log.csv?organisation=northshire&#38;q=no%25",
        "/exports/lettings-log.csv?organisation=northshire&#38;q=no%25&#38;headers=labels",
        "/exports/lettings-log.xlsx?organisation=northshire&#38;q=no%25",
        "/exports/lettings-log.jsonl?organisation=northshire&#38;q=no%25",
        "/exports/lettings-log.parquet?organisation=northshire&#38;q=no%25",
    ] {
        assert!(page.text.contains(&format!("href=\"{link}\"")), "{link}: {}", page.text);
    }
    let without = analyst.get("/search/records").await;
    assert!(!without.text.contains("/exports/"), "no collection chosen: nothing to export");
}
