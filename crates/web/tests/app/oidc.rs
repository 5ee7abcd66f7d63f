//! Signing in through a real OpenID Connect provider on loopback (the npm `oidc-provider`
//! package): the authorisation code flow with PKCE, state and nonce; accounts matched by
//! verified email on first sign-in, then by subject.

use std::process::Stdio;

use formwork_web::OidcConfig;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpListener;
use tokio::process::{Child, Command};

use formwork_store::Backend;

use crate::support::{Client, Reply, TestApp};

/// The provider, running until dropped.
pub(crate) struct ProviderProcess {
    pub(crate) issuer: String,
    _child: Child,
}

/// Start the provider for a client that returns to `redirect_uri`.
pub(crate) async fn start_provider(redirect_uri: &str) -> ProviderProcess {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/oidc/provider.mjs");
    let mut child = Command::new("node")
        .arg(script)
        .arg(redirect_uri)
        .current_dir(root)
        .env("NODE_PATH", format!("{root}/node_modules"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("node must be installed (scripts/setup installs the npm packages)");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let line = lines.next_line().await.unwrap().expect("the provider prints its issuer");
    let issuer =
        serde_json::from_str::<serde_json::Value>(&line).unwrap()["issuer"].as_str().unwrap().to_string();
    // Keep reading what it prints: a closed pipe would stop it.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    ProviderProcess { issuer, _child: child }
}

async fn app_with_provider(assume_verified: bool) -> (TestApp, ProviderProcess) {
    app_with_provider_on(assume_verified, Backend::Sqlite).await
}

async fn app_with_provider_on(assume_verified: bool, backend: Backend) -> (TestApp, ProviderProcess) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let redirect_url = format!("{base}/sign-in/oidc/callback");
    let provider = start_provider(&redirect_url).await;
    let oidc = OidcConfig {
        issuer: provider.issuer.clone(),
        client_id: "formwork".into(),
        client_secret: "formwork-test-secret".into(),
        redirect_url,
        assume_email_verified: assume_verified,
    };
    let app = TestApp::builder().backend(backend).oidc(oidc).listener(listener).start().await;
    app.seed().await;
    (app, provider)
}

fn form_action(html: &str) -> String {
    let start = html.find("action=\"").unwrap() + "action=\"".len();
    html[start..].split('"').next().unwrap().replace("&amp;", "&")
}

fn hidden_inputs(html: &str) -> Vec<(String, String)> {
    html.match_indices("<input type=\"hidden\"")
        .map(|(i, _)| {
            let tag = &html[i..i + html[i..].find('>').unwrap()];
            let attr = |name: &str| {
                tag.split(&format!("{name}=\""))
                    .nth(1)
                    .map(|v| v.split('"').next().unwrap().to_string())
                    .unwrap_or_default()
            };
            (attr("name"), attr("value"))
        })
        .collect()
}

/// Go through the provider as a person would: follow its redirects, sign in as `login`, consent;
/// stop at the first answer from formwork after the provider.
async fn through_provider(app: &TestApp, browser: &Client, start: &str, login: &str) -> Reply {
    through_provider_to(app, browser, start, login).await.0
}

/// [`through_provider`], and the callback address the provider sent the person back to.
async fn through_provider_to(app: &TestApp, browser: &Client, start: &str, login: &str) -> (Reply, String) {
    let provider = Client::new("");
    let mut reply = browser.get(start).await;
    assert_eq!(reply.status, 303, "formwork sends the person to the provider: {}", reply.text);
    let mut next = reply.location();
    assert!(next.contains("code_challenge=") && next.contains("nonce=") && next.contains("state="), "{next}");
    for _ in 0..20 {
        if next.starts_with(&app.base) {
            return (browser.get(&next).await, next);
        }
        reply = provider.get(&next).await;
        if reply.status == 303 || reply.status == 302 {
            let location = reply.location();
            next =
                if location.starts_with("http") { location } else { format!("{}{location}", origin(&next)) };
            continue;
        }
        assert_eq!(reply.status, 200, "{}", reply.text);
        let action = form_action(&reply.text);
        let mut fields = hidden_inputs(&reply.text);
        if fields.iter().any(|(k, v)| k == "prompt" && v == "login") {
            fields.push(("login".into(), login.into()));
            fields.push(("password".into(), "any".into()));
        }
        let url = if action.starts_with("http") { action } else { format!("{}{action}", origin(&next)) };
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        reply = provider.form_raw(&url, &pairs).await;
        next = {
            let location = reply.location();
            if location.starts_with("http") { location } else { format!("{}{location}", origin(&url)) }
        };
    }
    panic!("the provider never sent the person back");
}

fn origin(url: &str) -> String {
    let after = url.find("://").map_or(0, |i| i + 3);
    match url[after..].find('/') {
        Some(p) => url[..after + p].to_string(),
        None => url.to_string(),
    }
}

#[tokio::test]
async fn a_person_signs_in_through_the_provider_matched_by_email_then_by_subject() {
    on_both_backends(signs_in_matched_by_email_then_by_subject).await;
}

async fn on_both_backends<F, Fut>(test: F)
where
    F: Fn(Backend) -> Fut,
    Fut: Future<Output = ()>,
{
    for backend in [Backend::Sqlite, Backend::Postgres] {
        test(backend).await;
    }
}

async fn signs_in_matched_by_email_then_by_subject(backend: Backend) {
    let (app, _provider) = app_with_provider_on(false, backend).await;
    let browser = app.client();
    let page = browser.get("/sign-in").await;
    assert!(page.text.contains("Sign in with your organisation's account"));
    let back = through_provider(
        &app,
        &browser,
        "/sign-in/oidc?return_to=%2Forganisations%2Fnorthshire",
        "editor@northshire.test",
    )
    .await;
    assert_eq!((back.status, back.location().as_str()), (303, "/organisations/northshire"), "{}", back.text);
    let org = browser.get("/organisations/northshire").await;
    assert_eq!(org.status, 200);
    assert!(org.text.contains("Signed in as Test editor"));
    let token = app.token("admin@staff.test").await;
    let people = app.client().api(reqwest::Method::GET, "/api/v1/people", &token, None).await.json();
    let editor =
        people.as_array().unwrap().iter().find(|p| p["email"] == "editor@northshire.test").unwrap().clone();
    assert_eq!(editor["linked_to_identity_provider"], true);

    // Next time, the subject finds the account, even if the provider's email address changed.
    let mut conn = app.store().conn().await.unwrap();
    sqlx::query("UPDATE users SET email = 'renamed@northshire.test' WHERE email = 'editor@northshire.test'")
        .execute(&mut *conn)
        .await
        .unwrap();
    drop(conn);
    let again = app.client();
    let back = through_provider(&app, &again, "/sign-in/oidc", "editor@northshire.test").await;
    assert_eq!(back.status, 303, "{}", back.text);
    assert_eq!(again.get("/api/v1/me").await.json()["email"], "renamed@northshire.test");
}

#[tokio::test]
async fn people_without_an_account_or_a_verified_email_are_turned_away() {
    let (app, _provider) = app_with_provider(false).await;
    let stranger = through_provider(&app, &app.client(), "/sign-in/oidc", "stranger@example.org").await;
    assert_eq!(stranger.status, 403);
    assert!(stranger.text.contains("There is no account for stranger@example.org"));
    let unverified = through_provider(&app, &app.client(), "/sign-in/oidc", "someone@unverified.test").await;
    assert_eq!(unverified.status, 403);
    assert!(unverified.text.contains("did not confirm your email address"));
}

#[tokio::test]
async fn an_invited_person_signs_in_through_the_provider_and_accepts() {
    let (app, _provider) = app_with_provider(false).await;
    let admin = app.signed_in("org-admin@northshire.test").await;
    admin
        .form(
            "/organisations/northshire/invitations",
            &[("email", "newcomer@example.org"), ("roles", "finance")],
        )
        .await;
    app.run_jobs().await;
    let link = app.link_in_last_email_to("newcomer@example.org");
    let browser = app.client();
    let start = format!(
        "/sign-in/oidc?return_to={}",
        url::form_urlencoded::byte_serialize(link.as_bytes()).collect::<String>()
    );
    let back = through_provider(&app, &browser, &start, "newcomer@example.org").await;
    assert_eq!((back.status, back.location()), (303, link.clone()), "{}", back.text);
    let accepted = browser.form(&link, &[]).await;
    assert_eq!(accepted.location(), "/organisations/northshire?notice=invitation-accepted");
    let me = browser.get("/api/v1/me").await.json();
    assert_eq!(me["name"], "OIDC newcomer");
    assert_eq!(me["organisations"][0]["roles"], serde_json::json!(["finance"]));
}

#[tokio::test]
async fn a_callback_with_a_forged_or_used_state_is_refused() {
    let (app, _provider) = app_with_provider(false).await;
    let forged = app.client().get("/sign-in/oidc/callback?code=abc&state=forged").await;
    assert_eq!(forged.status, 400);
    assert!(forged.text.contains("expired or has already been used"));
    let denied = app.client().get("/sign-in/oidc/callback?error=access_denied&error_description=no").await;
    assert_eq!(denied.status, 403);
}

#[tokio::test]
async fn a_callback_that_was_used_once_is_refused_the_second_time() {
    let (app, _provider) = app_with_provider(false).await;
    let browser = app.client();
    let (back, callback) =
        through_provider_to(&app, &browser, "/sign-in/oidc", "editor@northshire.test").await;
    assert_eq!(back.status, 303, "{}", back.text);
    let replayed = app.client().get(&callback).await;
    assert_eq!(replayed.status, 400, "a state works once: {}", replayed.text);
    assert!(replayed.text.contains("expired or has already been used"));
    assert_eq!(app.client().get("/api/v1/me").await.status, 401, "the replay signed nobody in");
}

#[tokio::test]
async fn an_unverified_email_is_trusted_only_when_the_provider_is_said_to_verify_them() {
    use formwork_service::people::{NewPerson, create};
    for assume in [false, true] {
        let (app, _provider) = app_with_provider(assume).await;
        let new = NewPerson { email: "kit@unverified.test".into(), ..NewPerson::default() };
        create(app.app(), &formwork_service::Actor::System, &new).await.unwrap();
        let browser = app.client();
        let back = through_provider(&app, &browser, "/sign-in/oidc", "kit@unverified.test").await;
        if assume {
            assert_eq!(back.status, 303, "OIDC_ASSUME_EMAIL_VERIFIED: the address is taken as it comes");
            assert_eq!(browser.get("/api/v1/me").await.json()["email"], "kit@unverified.test");
        } else {
            assert_eq!(back.status, 403, "{}", back.text);
            assert!(back.text.contains("did not confirm your email address"), "{}", back.text);
        }
    }
}

#[tokio::test]
async fn a_disabled_person_cannot_sign_in_through_the_provider() {
    let (app, _provider) = app_with_provider(false).await;
    let browser = app.client();
    assert_eq!(through_provider(&app, &browser, "/sign-in/oidc", "editor@northshire.test").await.status, 303);
    let admin = app.token("admin@staff.test").await;
    let people = app.client().api(reqwest::Method::GET, "/api/v1/people", &admin, None).await.json();
    let editor = people.as_array().unwrap().iter().find(|p| p["email"] == "editor@northshire.test").unwrap();
    let path = format!("/api/v1/people/{}", editor["id"].as_str().unwrap());
    let disabled = app
        .client()
        .api(reqwest::Method::PATCH, &path, &admin, Some(serde_json::json!({"disabled": true})))
        .await;
    assert_eq!(disabled.status, 200, "{}", disabled.text);
    assert_eq!(browser.get("/api/v1/me").await.status, 401, "disabling ended the session");
    let again = through_provider(&app, &app.client(), "/sign-in/oidc", "editor@northshire.test").await;
    assert_eq!(again.status, 403, "{}", again.text);
    assert!(again.text.contains("has been disabled"), "{}", again.text);
}
