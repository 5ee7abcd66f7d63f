//! The JSON API: tokens, bodies it cannot read, its error shape, and its OpenAPI document.

use reqwest::Method;
use serde_json::json;

use crate::support::{TestApp, on_both};

#[tokio::test]
async fn tokens_are_shown_once_work_as_bearer_and_stop_when_revoked() {
    on_both(|app| async move {
        app.seed().await;
        let browser = app.signed_in("editor@northshire.test").await;
        let made = browser.form("/account/tokens", &[("token_name", "nightly export")]).await;
        assert_eq!(made.status, 201);
        let start = made.text.find("id=\"new-token\">").unwrap() + "id=\"new-token\">".len();
        let secret = made.text[start..].split('<').next().unwrap().to_string();
        assert!(secret.starts_with("fwk_"), "{secret}");
        assert!(!browser.get("/account").await.text.contains(&secret), "the secret is shown once");

        let program = app.client();
        let me = program.api(Method::GET, "/api/v1/me", &secret, None).await;
        assert_eq!(me.status, 200);
        assert_eq!(me.json()["email"], "editor@northshire.test");
        assert_eq!(me.json()["organisations"][0]["organisation"], "northshire");
        let listed = program.api(Method::GET, "/api/v1/tokens", &secret, None).await.json();
        let token =
            listed.as_array().unwrap().iter().find(|t| t["name"] == "nightly export").unwrap().clone();
        assert!(token["last_used_at"].is_string(), "its last use is recorded: {token}");
        assert!(!listed.to_string().contains(&secret), "secrets are never listed");

        let id = token["id"].as_str().unwrap();
        assert_eq!(
            program.api(Method::DELETE, &format!("/api/v1/tokens/{id}"), &secret, None).await.status,
            204
        );
        let revoked = program.api(Method::GET, "/api/v1/me", &secret, None).await;
        assert_eq!((revoked.status, revoked.code().as_str()), (401, "invalid_token"));
        assert_eq!(revoked.header("www-authenticate"), "Bearer error=\"invalid_token\"");
        let made_up = program.api(Method::GET, "/api/v1/me", "fwk_made_up", None).await;
        assert_eq!(made_up.status, 401);
        let malformed =
            program.send(Method::GET, "/api/v1/me", &[("authorization", "Basic abc")], None).await;
        assert_eq!(malformed.status, 401);
    })
    .await;
}

#[tokio::test]
async fn bodies_that_cannot_be_read_get_a_clear_400() {
    let app = TestApp::on(formwork_store::Backend::Sqlite).await;
    app.seed().await;
    let token = app.token("admin@staff.test").await;
    let client = app.client();
    let auth = format!("Bearer {token}");
    let headers = [("authorization", auth.as_str())];
    let broken = client
        .send(
            Method::POST,
            "/api/v1/organisations",
            &headers,
            Some((b"{\"name\": ".to_vec(), "application/json")),
        )
        .await;
    assert_eq!((broken.status, broken.code().as_str()), (400, "invalid_json"));
    assert!(broken.json()["error"]["message"].as_str().unwrap().starts_with("The body is not valid JSON"));
    let wrong_shape =
        client.api(Method::POST, "/api/v1/organisations", &token, Some(json!({"name": 5}))).await;
    assert_eq!((wrong_shape.status, wrong_shape.code().as_str()), (400, "invalid_json"));
    let unknown = client
        .api(Method::POST, "/api/v1/organisations", &token, Some(json!({"name": "X", "colour": "red"})))
        .await;
    assert_eq!(unknown.status, 400);
    assert!(unknown.text.contains("colour"), "{}", unknown.text);
    let no_type = client
        .send(Method::POST, "/api/v1/organisations", &headers, Some((b"{}".to_vec(), "text/plain")))
        .await;
    assert_eq!((no_type.status, no_type.code().as_str()), (400, "unsupported_media_type"));
    let invalid = client.api(Method::POST, "/api/v1/organisations", &token, Some(json!({"name": " "}))).await;
    assert_eq!(invalid.status, 422);
    assert_eq!(
        invalid.json(),
        json!({"error": {"code": "invalid", "message": "Enter the organisation's name",
        "details": [{"path": "name", "code": "required", "message": "Enter the organisation's name"}]}})
    );
    let unknown_route = client.api(Method::GET, "/api/v1/nothing-here", &token, None).await;
    assert_eq!((unknown_route.status, unknown_route.code().as_str()), (404, "not_found"));
    let wrong_method = client.api(Method::PUT, "/api/v1/me", &token, None).await;
    assert_eq!((wrong_method.status, wrong_method.code().as_str()), (405, "method_not_allowed"));
    let added = client
        .api(Method::POST, "/api/v1/organisations", &token, Some(json!({"name": "Northshire Fire Service"})))
        .await;
    assert_eq!(added.status, 201);
    assert_eq!(added.json()["slug"], "northshire-fire-service");
    let again = client
        .api(Method::POST, "/api/v1/organisations", &token, Some(json!({"name": "Northshire Fire Service"})))
        .await;
    assert_eq!(again.status, 422, "{}", again.text);
    assert_eq!(again.json()["error"]["details"][0]["code"], "unique");
}

#[tokio::test]
async fn a_browser_session_needs_the_csrf_header_to_change_anything_through_the_api() {
    let app = TestApp::on(formwork_store::Backend::Sqlite).await;
    app.seed().await;
    let browser = app.signed_in("editor@northshire.test").await;
    assert_eq!(browser.get("/api/v1/me").await.status, 200, "reading works with the session cookie");
    let body = Some((json!({"name": "from the browser"}).to_string().into_bytes(), "application/json"));
    let refused = browser.send(Method::POST, "/api/v1/tokens", &[], body.clone()).await;
    assert_eq!((refused.status, refused.code().as_str()), (403, "csrf"));
    let token = browser.csrf_from("/account").await;
    let allowed = browser.send(Method::POST, "/api/v1/tokens", &[("x-csrf-token", &token)], body).await;
    assert_eq!(allowed.status, 201);
}

/// An invitation's body without what differs between two invitations (id, address, times).
fn invitation_shape(reply: &crate::support::Reply) -> (u16, serde_json::Value) {
    let mut body = reply.json();
    for field in ["id", "email", "created_at", "expires_at"] {
        assert!(body[field].is_string(), "{field} in {body}");
        body[field] = json!("…");
    }
    (reply.status, body)
}

#[tokio::test]
async fn an_org_admin_adds_members_only_by_invitation_and_learns_nothing_about_accounts() {
    on_both(|app| async move {
        app.seed().await;
        let token = app.token("org-admin@northshire.test").await;
        let client = app.client();
        let members_path = "/api/v1/organisations/northshire/members";
        let add = |email: &str| {
            client.api(
                Method::POST,
                members_path,
                &token,
                Some(json!({"email": email, "roles": ["finance"]})),
            )
        };
        // Someone with an account and an address with none get the same answer: an invitation.
        let existing = add("nobody@none.test").await;
        let unknown = add("ghost@example.org").await;
        assert_eq!(existing.status, 202, "{}", existing.text);
        assert_eq!(invitation_shape(&existing), invitation_shape(&unknown));
        assert_eq!(existing.json()["status"], "open");
        assert_eq!(existing.json()["organisation"], "northshire");
        let members = client.api(Method::GET, members_path, &token, None).await.json();
        assert_eq!(members.as_array().unwrap().len(), 3, "nobody joins without accepting: {members}");
        assert_eq!(app.run_jobs().await, 2, "an invitation by email to each");

        // They join when they accept.
        let link = app.link_in_last_email_to("nobody@none.test");
        let invited = app.signed_in("nobody@none.test").await;
        invited.get(&link).await;
        assert_eq!(invited.form(&link, &[]).await.status, 303);
        let members = client.api(Method::GET, members_path, &token, None).await.json();
        let member = members.as_array().unwrap().iter().find(|m| m["email"] == "nobody@none.test").unwrap();
        assert_eq!(member["roles"], json!(["finance"]));
        let id = member["user_id"].as_str().unwrap().to_string();
        let member_path = format!("{members_path}/{id}");
        let changed = client
            .api(Method::PUT, &member_path, &token, Some(json!({"roles": ["certifier", "editor"]})))
            .await;
        assert_eq!(changed.json()["roles"], json!(["certifier", "editor"]));
        let none = client.api(Method::PUT, &member_path, &token, Some(json!({"roles": []}))).await;
        assert_eq!(none.status, 422);
        assert_eq!(none.json()["error"]["message"], "Select at least one role");
        assert_eq!(client.api(Method::DELETE, &member_path, &token, None).await.status, 204);

        // A service admin invites too: only the command line adds people directly.
        let admin = app.token("admin@staff.test").await;
        let by_admin = client
            .api(
                Method::POST,
                members_path,
                &admin,
                Some(json!({"email": "editor@southvale.test", "roles": ["editor"]})),
            )
            .await;
        assert_eq!(by_admin.status, 202, "{}", by_admin.text);
        let members = client.api(Method::GET, members_path, &token, None).await.json();
        assert_eq!(members.as_array().unwrap().len(), 3);
    })
    .await;
}

#[tokio::test]
async fn control_characters_in_names_are_refused_on_both_databases() {
    on_both(|app| async move {
        app.seed().await;
        let token = app.token("admin@staff.test").await;
        let client = app.client();
        for (path, body) in [
            ("/api/v1/organisations", json!({"name": "a\u{0}b"})),
            ("/api/v1/organisations", json!({"name": "Two\nlines"})),
            ("/api/v1/tokens", json!({"name": "nightly\u{0}"})),
            ("/api/v1/people", json!({"email": "nul@example.org", "name": "a\u{0}b"})),
        ] {
            let reply = client.api(Method::POST, path, &token, Some(body.clone())).await;
            assert_eq!(
                (reply.status, reply.code().as_str()),
                (422, "invalid"),
                "{path} {body}: {}",
                reply.text
            );
            let problem = &reply.json()["error"]["details"][0];
            assert_eq!((problem["path"].as_str(), problem["code"].as_str()), (Some("name"), Some("pattern")));
            assert!(
                problem["message"]
                    .as_str()
                    .unwrap()
                    .ends_with("must be one line of text, without tabs or other control characters"),
                "{problem}"
            );
        }
        let organisations = client.api(Method::GET, "/api/v1/organisations", &token, None).await.json();
        assert_eq!(organisations.as_array().unwrap().len(), 2, "nothing was added");
        for path in ["/api/v1/organisations/a%00b", "/api/v1/collections/a%00b", "/api/v1/people/a%00b"] {
            let reply = client.api(Method::GET, path, &token, None).await;
            assert_eq!(reply.status, 404, "{path}: {}", reply.text);
        }
    })
    .await;
}

#[tokio::test]
async fn the_openapi_document_describes_every_operation() {
    let app = TestApp::on(formwork_store::Backend::Sqlite).await;
    let document = app.client().get("/api/v1/openapi.json").await;
    assert_eq!(document.status, 200);
    let value = document.json();
    assert_eq!(value["info"]["title"], "formwork API");
    let mut ids = std::collections::BTreeSet::new();
    for item in value["paths"].as_object().unwrap().values() {
        for operation in item.as_object().unwrap().values() {
            assert!(
                ids.insert(operation["operationId"].as_str().unwrap().to_string()),
                "operation ids are unique: {operation}"
            );
            for response in operation["responses"].as_object().unwrap().values() {
                assert!(
                    !response["description"].as_str().unwrap_or("").is_empty(),
                    "every response is described"
                );
            }
        }
    }
    for (path, item) in value["paths"].as_object().unwrap() {
        for operation in item.as_object().unwrap().values() {
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                let name = parameter["name"].as_str().unwrap();
                assert_eq!(
                    parameter["in"] == "path",
                    path.contains(&format!("{{{name}}}")),
                    "{path}: {name} is a path parameter exactly when the path names it"
                );
                if parameter["in"] == "path" {
                    assert_eq!(parameter["required"], true, "{path}: {name}");
                }
            }
        }
    }
    let csv = &value["paths"]["/api/v1/collections/{slug}/template.csv"]["get"]["parameters"][1];
    assert_eq!((csv["name"].as_str(), csv["in"].as_str()), (Some("table"), Some("query")));
    assert_ne!(csv["required"], true, "a collection with one table needs no table");
    insta::assert_json_snapshot!("openapi", value);
    let page = app.client().get("/api/v1/docs").await;
    assert_eq!(page.status, 200);
    assert!(
        page.text.contains("/api/v1/organisations/{slug}/members")
            && page.text.contains("Authorization: Bearer")
    );
}
