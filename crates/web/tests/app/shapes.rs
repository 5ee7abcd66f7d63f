//! What programs and people receive keeps its shape: the API's bodies and the emails, as insta
//! snapshots with ids, times and secrets redacted. A change to any of them shows in review as a
//! changed snapshot (`INSTA_UPDATE=always scripts/test`, then `git diff`).

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::TestApp;

/// `value` with what changes from run to run replaced by a placeholder: ids, times, secrets.
fn redacted(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, v)| {
                    let v = match (key.as_str(), &v) {
                        (_, Value::Null) => v,
                        ("id" | "user_id" | "invited_by", _) => json!("[id]"),
                        (k, _) if k.ends_with("_at") => json!("[time]"),
                        ("token" | "secret", _) => json!("[secret]"),
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

/// An email as text, with the service's address and link tokens redacted.
fn email_text(app: &TestApp, to: &str) -> String {
    let email = app.emails().into_iter().rev().find(|e| e.to == to).expect("an email was sent");
    let body = email.body.replace(&app.base, "[base]");
    let body = regex::Regex::new(r"/(invitations|reset-password)/[A-Za-z0-9_-]+")
        .expect("the pattern is valid")
        .replace_all(&body, "/$1/[token]")
        .into_owned();
    format!("To: {}\nSubject: {}\n\n{}", email.to, email.subject, body)
}

#[tokio::test]
async fn api_bodies_and_emails_keep_their_shape() {
    let app = TestApp::on(formwork_store::Backend::Sqlite).await;
    app.seed().await;
    let admin = app.token("admin@staff.test").await;
    let org_admin = app.token("org-admin@northshire.test").await;
    let client = app.client();
    let get = |token: &str, path: &str| {
        let (client, token, path) = (&client, token.to_string(), path.to_string());
        async move {
            let reply = client.api(Method::GET, &path, &token, None).await;
            assert_eq!(reply.status, 200, "{path}: {}", reply.text);
            redacted(reply.json())
        }
    };
    insta::assert_json_snapshot!("api_me", get(&org_admin, "/api/v1/me").await);
    insta::assert_json_snapshot!("api_organisation", get(&admin, "/api/v1/organisations/northshire").await);
    insta::assert_json_snapshot!(
        "api_members",
        get(&admin, "/api/v1/organisations/northshire/members").await
    );
    insta::assert_json_snapshot!("api_collections", get(&admin, "/api/v1/collections").await);
    insta::assert_json_snapshot!("api_tokens", get(&org_admin, "/api/v1/tokens").await);

    let invited = client
        .api(
            Method::POST,
            "/api/v1/organisations/northshire/invitations",
            &org_admin,
            Some(json!({"email": "new.person@northshire.test", "roles": ["editor", "certifier"]})),
        )
        .await;
    assert_eq!(invited.status, 201, "{}", invited.text);
    insta::assert_json_snapshot!("api_invitation_created", redacted(invited.json()));
    let refused = client
        .api(
            Method::POST,
            "/api/v1/organisations/northshire/invitations",
            &org_admin,
            Some(json!({"email": "x", "roles": ["editor"]})),
        )
        .await;
    insta::assert_json_snapshot!("api_invalid", redacted(refused.json()));
    let missing = client.api(Method::GET, "/api/v1/organisations/nowhere", &admin, None).await;
    insta::assert_json_snapshot!("api_not_found", redacted(missing.json()));

    let reset = client.form("/forgot-password", &[("email", "editor@northshire.test")]).await;
    assert!(reset.status < 400, "{}", reset.text);
    app.run_jobs().await;
    insta::assert_snapshot!("email_invitation", email_text(&app, "new.person@northshire.test"));
    insta::assert_snapshot!("email_password_reset", email_text(&app, "editor@northshire.test"));
}
