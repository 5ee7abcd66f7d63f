//! Publishing definitions: refused with their diagnostics, versions immutable, periods and
//! templates from the definition, organisations assigned.

use reqwest::Method;
use serde_json::json;

use crate::support::{EXAMPLES, TestApp, on_both};

const BROKEN: &str = "formwork: 1\ncollection: broken\nversion: 1\ntitle: Broken\nkind: return\nschedule:\n  frequency: fortnightly\n  start: 2026-04-01\n  due: 30d\nsections:\n  - id: about\n    title: About\n    questions:\n      - id: amount\n        label: Amount\n        type: money\n        min: lots\n";

#[tokio::test]
async fn a_broken_definition_shows_its_diagnostics_and_publishes_nothing() {
    on_both(|app| async move {
        app.seed().await;
        let admin = app.signed_in("admin@staff.test").await;
        let page = admin.form("/collections/publish", &[("definition", BROKEN)]).await;
        assert_eq!(page.status, 422);
        assert!(page.text.contains("The definition has 2 problems; nothing was published"), "{}", page.text);
        assert!(page.text.contains("definition:7:14"), "diagnostics carry line and column: {}", page.text);
        assert!(page.text.contains("fortnightly"));
        let token = app.token("admin@staff.test").await;
        let api = app
            .client()
            .send(
                Method::POST,
                "/api/v1/collections",
                &[("authorization", &format!("Bearer {token}"))],
                Some((BROKEN.as_bytes().to_vec(), "application/yaml")),
            )
            .await;
        assert_eq!((api.status, api.code().as_str()), (422, "definition_invalid"));
        let details = api.json()["error"]["details"].clone();
        assert_eq!(details.as_array().unwrap().len(), 2);
        assert!(details[0]["line"].is_number() && details[0]["code"].is_string(), "{details}");
        let listed = app.client().api(Method::GET, "/api/v1/collections", &token, None).await.json();
        assert!(!listed.to_string().contains("broken"), "nothing was published");
        assert_eq!(
            app.client().api(Method::GET, "/api/v1/collections/broken", &token, None).await.status,
            404
        );
    })
    .await;
}

#[tokio::test]
async fn published_versions_never_change_and_new_versions_follow() {
    let app = TestApp::on(formwork_store::Backend::Sqlite).await;
    app.seed().await;
    let token = app.token("admin@staff.test").await;
    let client = app.client();
    let auth = format!("Bearer {token}");
    let publish = |text: String| {
        let auth = auth.clone();
        let client = &client;
        async move {
            client
                .send(
                    Method::POST,
                    "/api/v1/collections",
                    &[("authorization", &auth)],
                    Some((text.into_bytes(), "application/yaml")),
                )
                .await
        }
    };
    let again = publish(EXAMPLES[0].to_string()).await;
    assert_eq!(again.status, 409);
    assert!(again.json()["error"]["message"].as_str().unwrap().contains("versions never change"));
    let v2 = publish(
        EXAMPLES[0]
            .replace("version: 1", "version: 2")
            .replace("title: Towns Fund monitoring return", "title: Towns Fund monitoring return 2027"),
    )
    .await;
    assert_eq!(v2.status, 201, "{}", v2.text);
    assert_eq!(
        v2.json(),
        json!({"slug": "towns-fund-monitoring", "version": 2, "title": "Towns Fund monitoring return 2027"})
    );
    let collection =
        client.api(Method::GET, "/api/v1/collections/towns-fund-monitoring", &token, None).await.json();
    assert_eq!(collection["latest_version"], 2);
    assert_eq!(collection["versions"].as_array().unwrap().len(), 2);
    assert_eq!(
        collection["periods"][0]["label"], "October to December 2026",
        "periods come from the schedule, newest first"
    );
    assert_eq!(collection["periods"][0]["due"], "2027-01-30");
    let v1 = client
        .api(Method::GET, "/api/v1/collections/towns-fund-monitoring/versions/1", &token, None)
        .await
        .json();
    assert_eq!(v1["definition"], EXAMPLES[0], "version 1 is kept exactly as published");
    let xlsx = client
        .api(Method::GET, "/api/v1/collections/towns-fund-monitoring/template.xlsx", &token, None)
        .await;
    assert_eq!(xlsx.status, 200);
    assert_eq!(
        xlsx.header("content-disposition"),
        "attachment; filename=\"towns-fund-monitoring-template.xlsx\""
    );
    // Opened as an upload would be: formwork's own template of the latest version, read back
    // as a whole return, not refused as a file.
    let latest = EXAMPLES[0]
        .replace("version: 1", "version: 2")
        .replace("title: Towns Fund monitoring return", "title: Towns Fund monitoring return 2027");
    let definition = formwork_definition::load(latest.as_bytes()).unwrap();
    let ctx = formwork_definition::validate::Context {
        today: chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
        period: None,
    };
    let report = formwork_tabular::validate_xlsx(
        &definition,
        std::io::Cursor::new(xlsx.bytes.clone()),
        &ctx,
        &formwork_tabular::Limits::default(),
        &formwork_tabular::Options::default(),
    )
    .unwrap();
    assert_eq!(report.read_as, Some(formwork_tabular::ReadAs::Submission), "{:?}", report.errors);
    assert!(
        report.errors.iter().all(|e| e.code != formwork_definition::validate::Code::File),
        "{:?}",
        report.errors
    );
    let csv = client.api(Method::GET, "/api/v1/collections/lettings-log/template.csv", &token, None).await;
    assert_eq!(csv.status, 200);
    assert!(csv.text.lines().next().unwrap().split(',').any(|c| c == "tenancy_code"), "{}", csv.text);
}

#[tokio::test]
async fn admins_publish_a_file_and_assign_organisations_on_the_pages() {
    let app = TestApp::on(formwork_store::Backend::Sqlite).await;
    app.seed().await;
    let admin = app.signed_in("admin@staff.test").await;
    let text = EXAMPLES[1].replace("version: 1", "version: 3");
    let token = admin.csrf_from("/collections/publish").await;
    let boundary = "formworkboundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"lettings.yaml\"\r\nContent-Type: application/yaml\r\n\r\n{text}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"definition\"\r\n\r\n\r\n--{boundary}--\r\n"
    );
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let published =
        admin.send(Method::POST, "/collections/publish", &[], Some((body.into_bytes(), &content_type))).await;
    assert_eq!(
        (published.status, published.location().as_str()),
        (303, "/collections/lettings-log?notice=published"),
        "{}",
        published.text
    );
    let page = admin.get("/collections/lettings-log?notice=published").await;
    assert!(page.text.contains("The collection has been published") && page.text.contains("Version 3"));
    let assigned =
        admin.form("/collections/lettings-log/organisations", &[("organisation", "southvale")]).await;
    assert_eq!(assigned.status, 303);
    let member = app.signed_in("editor@southvale.test").await;
    assert_eq!(member.get("/collections/lettings-log").await.status, 200, "assigned: its members see it");
    let missing =
        admin.form("/collections/lettings-log/organisations", &[("organisation", "atlantis")]).await;
    assert_eq!(missing.status, 422);
    assert!(missing.text.contains("There is no organisation “atlantis”"));
}

#[tokio::test]
async fn a_return_offers_one_csv_template_per_table_and_each_link_works() {
    let app = TestApp::on(formwork_store::Backend::Sqlite).await;
    app.seed().await;
    let admin = app.signed_in("admin@staff.test").await;
    let page = admin.get("/collections/towns-fund-monitoring").await;
    let links: Vec<String> = page
        .text
        .match_indices("href=\"")
        .map(|(i, m)| page.text[i + m.len()..].split('"').next().unwrap().replace("&amp;", "&"))
        .filter(|href| href.contains("template.csv"))
        .collect();
    assert_eq!(
        links,
        ["projects", "spend", "outputs"]
            .map(|t| format!("/api/v1/collections/towns-fund-monitoring/template.csv?table={t}"))
            .to_vec(),
        "one link per table section"
    );
    for href in &links {
        let csv = admin.get(href).await;
        assert_eq!(csv.status, 200, "{href}: {}", csv.text);
    }
    let log = admin.get("/collections/lettings-log").await.text;
    assert!(log.contains("/api/v1/collections/lettings-log/template.csv\""), "a log has one CSV template");
}
