//! Signing in and out, sessions, CSRF, lockout and password resets.

use reqwest::Method;

use crate::support::{PASSWORD, TestApp, on_both};

#[tokio::test]
async fn a_person_signs_in_with_a_password_and_out_again() {
    on_both(|app| async move {
        app.seed().await;
        let client = app.client();
        let page = client.get("/sign-in").await;
        assert_eq!(page.status, 200);
        assert!(client.cookie("formwork_csrf").is_some(), "a signed-out form sets its CSRF cookie");
        let reply = client.sign_in("Editor@Northshire.test ", PASSWORD).await;
        assert_eq!(reply.status, 303, "{}", reply.text);
        assert_eq!(reply.location(), "/");
        let cookie = reply
            .headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .find(|c| c.starts_with("formwork_session="))
            .unwrap();
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && !cookie.contains("Secure"),
            "{cookie}"
        );
        let home = client.get("/").await;
        assert!(home.text.contains("Northshire County Council"), "{}", home.text);
        assert!(home.text.contains("Signed in as Test editor"));

        let out = client.form("/sign-out", &[]).await;
        assert_eq!((out.status, out.location().as_str()), (303, "/?notice=signed-out"));
        assert_eq!(client.get("/account").await.status, 303, "signed out: the account page sends to sign-in");
    })
    .await;
}

/// The "Organisations" row of the account page, its tags taken out.
fn organisations_row(page: &str) -> String {
    let row = page.split("Organisations</dt>").nth(1).unwrap().split("</dd>").next().unwrap();
    let mut text = String::new();
    let mut in_tag = false;
    for c in row.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[tokio::test]
async fn the_account_page_says_which_organisations_a_person_sees() {
    let app = TestApp::on(formwork_store::Backend::Sqlite).await;
    app.seed().await;
    for (email, expected) in [
        ("admin@staff.test", "All organisations, as a service admin"),
        ("reviewer@staff.test", "All organisations, as a reviewer"),
        ("analyst@staff.test", "All organisations, as an analyst"),
        ("editor@northshire.test", "Northshire County Council: editor"),
        ("nobody@none.test", "None"),
    ] {
        let page = app.signed_in(email).await.get("/account").await;
        assert_eq!(organisations_row(&page.text), expected, "{email}");
    }
}

#[tokio::test]
async fn signing_in_changes_the_session_and_the_old_one_stops_working() {
    let app = TestApp::on(formwork_store::Backend::Sqlite).await;
    app.seed().await;
    let client = app.signed_in("editor@northshire.test").await;
    let first = client.cookie("formwork_session").unwrap();
    let again = client.sign_in("certifier@northshire.test", PASSWORD).await;
    assert_eq!(again.status, 303);
    let second = client.cookie("formwork_session").unwrap();
    assert_ne!(first, second);
    let stale = app.client();
    stale.set_cookie("formwork_session", &first);
    assert_eq!(stale.get("/account").await.status, 303, "the session before sign-in was ended");
}

#[tokio::test]
async fn wrong_passwords_and_unknown_addresses_get_the_same_answer() {
    let app = TestApp::on(formwork_store::Backend::Sqlite).await;
    app.seed().await;
    let client = app.client();
    let wrong = client.sign_in("editor@northshire.test", "not the password").await;
    let unknown = client.sign_in("nobody-at-all@example.org", "not the password").await;
    assert_eq!((wrong.status, unknown.status), (422, 422));
    for reply in [&wrong, &unknown] {
        assert!(reply.text.contains("Enter a correct email address and password"));
        assert!(reply.text.contains("<title>Error: Sign in"));
    }
    let empty = client.sign_in("", "").await;
    assert!(empty.text.contains("Enter your email address") && empty.text.contains("Enter your password"));
}

/// A sign-in page's answer without what changes from one response to the next (nonces, tokens,
/// the address typed), to compare two answers.
fn answer(reply: &crate::support::Reply) -> (u16, String) {
    let volatile = regex::Regex::new(r#"(nonce|content|value)="[^"]*""#).unwrap();
    (reply.status, volatile.replace_all(&reply.text, "$1=\"\"").into_owned())
}

#[tokio::test]
async fn the_lockout_answers_an_account_and_an_unknown_address_alike() {
    on_both(|app| async move {
        app.seed().await;
        let client = app.client();
        let account = "editor@northshire.test";
        let unknown = "ghost@northshire.test";
        // Wrong passwords spread over more than the window never lock either.
        for _ in 0..4 {
            let (a, u) = (
                client.sign_in(account, "wrong password").await,
                client.sign_in(unknown, "wrong password").await,
            );
            assert_eq!(answer(&a), answer(&u));
            assert_eq!(a.status, 422);
        }
        app.clock.advance(15 * 60 * 1000 + 1);
        for attempt in 1..=6 {
            let (a, u) = (
                client.sign_in(account, "wrong password").await,
                client.sign_in(unknown, "wrong password").await,
            );
            assert_eq!(answer(&a), answer(&u), "attempt {attempt}");
            assert_eq!(a.status, if attempt < 5 { 422 } else { 429 }, "attempt {attempt}");
        }
        let locked = client.sign_in(account, PASSWORD).await;
        assert_eq!(locked.status, 429, "even the right password waits");
        assert!(locked.text.contains("wrong password too many times"), "{}", locked.text);
        // Both stay locked for the same 15 minutes from the fifth wrong password, however many
        // attempts follow.
        app.clock.advance(15 * 60 * 1000 - 1);
        let (a, u) = (
            client.sign_in(account, "wrong password").await,
            client.sign_in(unknown, "wrong password").await,
        );
        assert_eq!((answer(&a), a.status), (answer(&u), 429));
        app.clock.advance(2);
        let (a, u) = (
            client.sign_in(account, "wrong password").await,
            client.sign_in(unknown, "wrong password").await,
        );
        assert_eq!((answer(&a), a.status), (answer(&u), 422));
        assert_eq!(client.sign_in(account, PASSWORD).await.status, 303);
    })
    .await;
}

#[tokio::test]
async fn many_attempts_from_one_address_are_slowed_down() {
    let app = TestApp::on(formwork_store::Backend::Sqlite).await;
    app.seed().await;
    let client = app.client();
    for n in 0..50 {
        let reply = client.sign_in(&format!("someone{n}@example.org"), "wrong password").await;
        assert_eq!(reply.status, 422);
    }
    let reply = client.sign_in("editor@northshire.test", PASSWORD).await;
    assert_eq!(reply.status, 429);
    assert!(reply.text.contains("too many attempts to sign in from your network"));
}

#[tokio::test]
async fn forms_without_the_right_csrf_token_are_refused() {
    on_both(|app| async move {
        app.seed().await;
        let client = app.signed_in("org-admin@northshire.test").await;
        let missing = client.form_raw("/account/name", &[("name", "Mallory")]).await;
        assert_eq!(missing.status, 403);
        assert!(missing.text.contains("did not come from this service"));
        let forged = client.form_raw("/account/name", &[("name", "Mallory"), ("csrf_token", "forged")]).await;
        assert_eq!(forged.status, 403);
        // Another person's valid token does not work either.
        let other = app.signed_in("editor@northshire.test").await;
        let theirs = other.csrf_from("/account").await;
        let swapped = client.form_raw("/account/name", &[("name", "Mallory"), ("csrf_token", &theirs)]).await;
        assert_eq!(swapped.status, 403);
        // A signed-out form needs the cookie's token.
        let stranger = app.client();
        let refused = stranger
            .form_raw("/sign-in", &[("email", "editor@northshire.test"), ("password", PASSWORD)])
            .await;
        assert_eq!(refused.status, 403);
        // From another site, even with the token: refused.
        let token = client.csrf_from("/account").await;
        let body = format!("name=Mallory&csrf_token={token}");
        let cross = client
            .send(
                Method::POST,
                "/account/name",
                &[("origin", "https://evil.example")],
                Some((body.into_bytes(), "application/x-www-form-urlencoded")),
            )
            .await;
        assert_eq!(cross.status, 403);
        let account = client.get("/account").await;
        assert!(!account.text.contains("Mallory"), "nothing changed");
        let good = client.form("/account/name", &[("name", "Ann Admin")]).await;
        assert_eq!(good.status, 303);
    })
    .await;
}

#[tokio::test]
async fn tampered_and_unknown_session_cookies_are_signed_out() {
    let app = TestApp::on(formwork_store::Backend::Sqlite).await;
    app.seed().await;
    let client = app.signed_in("editor@northshire.test").await;
    let mut cookie = client.cookie("formwork_session").unwrap();
    let last = cookie.pop().unwrap();
    cookie.push(if last == 'A' { 'B' } else { 'A' });
    let tampered = app.client();
    tampered.set_cookie("formwork_session", &cookie);
    let reply = tampered.get("/account").await;
    assert_eq!((reply.status, reply.location().as_str()), (303, "/sign-in?return_to=%2Faccount"));
    let api = tampered.get("/api/v1/me").await;
    assert_eq!((api.status, api.code().as_str()), (401, "sign_in_required"));
    tampered.set_cookie("formwork_session", &"x".repeat(5000));
    assert_eq!(tampered.get("/account").await.status, 303);
}

#[tokio::test]
async fn sessions_end_after_two_idle_hours() {
    let app = TestApp::on(formwork_store::Backend::Sqlite).await;
    app.seed().await;
    let client = app.signed_in("editor@northshire.test").await;
    app.clock.advance(90 * 60 * 1000);
    assert_eq!(client.get("/account").await.status, 200, "used within two hours: still signed in");
    app.clock.advance(90 * 60 * 1000);
    assert_eq!(client.get("/account").await.status, 200, "each request extends it");
    app.clock.advance(2 * 60 * 60 * 1000 + 1);
    assert_eq!(client.get("/account").await.status, 303);
}

#[tokio::test]
async fn a_forgotten_password_is_reset_by_an_email_link_that_works_once() {
    on_both(|app| async move {
        app.seed().await;
        let old_session = app.signed_in("editor@northshire.test").await;
        let client = app.client();
        client.get("/forgot-password").await;
        let sent = client.form("/forgot-password", &[("email", "editor@northshire.test")]).await;
        assert_eq!(sent.status, 200);
        assert!(sent.text.contains("Check your email"));
        let unknown = client.form("/forgot-password", &[("email", "ghost@example.org")]).await;
        assert_eq!(unknown.status, 200, "the same answer for an address with no account");
        assert!(unknown.text.contains("If ghost@example.org has an account"));
        assert_eq!(app.run_jobs().await, 1, "one email, to the account that exists");
        let link = app.link_in_last_email_to("editor@northshire.test");
        assert!(link.starts_with("/reset-password/"), "{link}");
        assert_eq!(client.get(&link).await.status, 200);
        let weak = client.form(&link, &[("password", "short"), ("confirm_password", "short")]).await;
        assert_eq!(weak.status, 422);
        assert!(weak.text.contains("Password must be 10 characters or more"));
        let mismatch = client
            .form(&link, &[("password", "a new passphrase here"), ("confirm_password", "something else")])
            .await;
        assert!(mismatch.text.contains("Passwords must match"));
        let done = client
            .form(
                &link,
                &[("password", "a new passphrase here"), ("confirm_password", "a new passphrase here")],
            )
            .await;
        assert_eq!((done.status, done.location().as_str()), (303, "/account?notice=password-changed"));
        assert_eq!(client.get("/account").await.status, 200, "signed in by the reset");
        assert_eq!(old_session.get("/account").await.status, 303, "every other session ended");
        let again = app.client().get(&link).await;
        assert_eq!(again.status, 410, "the link works once");
        assert_eq!(app.client().sign_in("editor@northshire.test", PASSWORD).await.status, 422);
        assert_eq!(app.client().sign_in("editor@northshire.test", "a new passphrase here").await.status, 303);
    })
    .await;
}

#[tokio::test]
async fn reset_links_expire_after_an_hour() {
    let app = TestApp::on(formwork_store::Backend::Sqlite).await;
    app.seed().await;
    let client = app.client();
    client.form("/forgot-password", &[("email", "editor@northshire.test")]).await;
    app.run_jobs().await;
    let link = app.link_in_last_email_to("editor@northshire.test");
    app.clock.advance(60 * 60 * 1000 + 1);
    let reply = client.get(&link).await;
    assert_eq!(reply.status, 410);
    assert!(reply.text.contains("has expired or has already been used"));
}

#[tokio::test]
async fn a_person_changes_their_password_and_other_sessions_end() {
    let app = TestApp::on(formwork_store::Backend::Sqlite).await;
    app.seed().await;
    let elsewhere = app.signed_in("editor@northshire.test").await;
    let client = app.signed_in("editor@northshire.test").await;
    let wrong = client
        .form(
            "/account/password",
            &[
                ("current_password", "nope"),
                ("password", "a brand new one"),
                ("confirm_password", "a brand new one"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 422);
    assert!(wrong.text.contains("Enter your current password correctly"));
    let done = client
        .form(
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("password", "a brand new one"),
                ("confirm_password", "a brand new one"),
            ],
        )
        .await;
    assert_eq!(done.status, 303);
    assert_eq!(client.get("/account").await.status, 200, "this browser stays signed in");
    assert_eq!(elsewhere.get("/account").await.status, 303);
}

#[tokio::test]
async fn emails_go_through_a_real_smtp_server() {
    let sink = crate::support::smtp::SmtpSink::start().await;
    let app = TestApp::builder().mail(crate::support::Mail::Smtp(sink.url.clone())).start().await;
    app.seed().await;
    app.client().form("/forgot-password", &[("email", "editor@northshire.test")]).await;
    assert_eq!(app.run_jobs().await, 1);
    let messages = sink.messages.lock().unwrap().clone();
    assert_eq!(messages.len(), 1);
    assert!(messages[0].contains("To: editor@northshire.test"), "{}", messages[0]);
    assert!(messages[0].contains("Subject: Reset your password for Submit a return"));
    assert!(messages[0].contains("/reset-password/"));
}

#[tokio::test]
async fn a_disabled_person_cannot_sign_in_reset_their_password_or_use_a_token() {
    on_both(|app| async move {
        app.seed().await;
        let token = app.token("editor@northshire.test").await;
        let session = app.signed_in("editor@northshire.test").await;
        let client = app.client();
        client.get("/forgot-password").await;
        client.form("/forgot-password", &[("email", "editor@northshire.test")]).await;
        assert_eq!(app.run_jobs().await, 1);
        let link = app.link_in_last_email_to("editor@northshire.test");

        let admin = app.token("admin@staff.test").await;
        let me = app.client().api(Method::GET, "/api/v1/me", &token, None).await.json();
        let path = format!("/api/v1/people/{}", me["id"].as_str().unwrap());
        let disabled =
            app.client().api(Method::PATCH, &path, &admin, Some(serde_json::json!({"disabled": true}))).await;
        assert_eq!(disabled.status, 200, "{}", disabled.text);

        assert_eq!(session.get("/account").await.status, 303, "the session ended");
        assert_eq!(
            app.client().api(Method::GET, "/api/v1/me", &token, None).await.status,
            401,
            "the token stopped"
        );
        let refused = app.client().sign_in("editor@northshire.test", PASSWORD).await;
        let unknown = app.client().sign_in("ghost@northshire.test", PASSWORD).await;
        assert_eq!(refused.status, 422, "the right password of a disabled account does not sign in");
        assert_eq!(refused.status, unknown.status, "and it is answered like an unknown address");
        client.form("/forgot-password", &[("email", "editor@northshire.test")]).await;
        assert_eq!(app.run_jobs().await, 0, "no reset email for a disabled account");
        assert_ne!(client.get(&link).await.status, 200, "a link sent before it was disabled no longer works");
        let reset = client
            .form(
                &link,
                &[("password", "a new passphrase here"), ("confirm_password", "a new passphrase here")],
            )
            .await;
        assert_eq!(reset.status, 410, "{}", reset.text);
        assert_eq!(app.client().sign_in("editor@northshire.test", "a new passphrase here").await.status, 422);
    })
    .await;
}
