//! Invitations: organisation admins invite colleagues; links expire, work once, and only for
//! the person invited.

use reqwest::Method;
use serde_json::json;

use crate::support::{PASSWORD, TestApp, on_both};

#[tokio::test]
async fn an_org_admin_invites_a_colleague_who_makes_an_account() {
    on_both(|app| async move {
        app.seed().await;
        let admin = app.signed_in("org-admin@northshire.test").await;
        let form = admin.get("/organisations/northshire/invitations/new").await;
        assert_eq!(form.status, 200);
        assert!(form.text.contains("value=\"finance\""), "roles come from the collections' definitions");
        let bad = admin
            .form(
                "/organisations/northshire/invitations",
                &[("email", "not-an-address"), ("roles", "astronaut")],
            )
            .await;
        assert_eq!(bad.status, 422);
        assert!(bad.text.contains("Enter an email address in the correct format"), "{}", bad.text);
        assert!(bad.text.contains("“astronaut” is not a role"));
        let sent = admin
            .form(
                "/organisations/northshire/invitations",
                &[("email", "New.Person@Northshire.test"), ("roles", "finance"), ("roles", "editor")],
            )
            .await;
        assert_eq!(
            (sent.status, sent.location().as_str()),
            (303, "/organisations/northshire?notice=invitation-sent")
        );
        let page = admin.get("/organisations/northshire").await;
        assert!(page.text.contains("new.person@northshire.test") && page.text.contains("editor, finance"));

        assert_eq!(app.run_jobs().await, 1);
        let email = app.emails().into_iter().last().unwrap();
        assert_eq!(
            email.subject,
            "You have been invited to join Northshire County Council on Submit a return"
        );
        let link = app.link_in_last_email_to("new.person@northshire.test");
        let visitor = app.client();
        let invitation = visitor.get(&link).await;
        assert_eq!(invitation.status, 200);
        assert!(invitation.text.contains("Make your account"));
        let weak =
            visitor.form(&link, &[("name", ""), ("password", "short"), ("confirm_password", "short")]).await;
        assert_eq!(weak.status, 422);
        assert!(
            weak.text.contains("Enter your full name")
                && weak.text.contains("Password must be 10 characters or more")
        );
        let made = visitor
            .form(
                &link,
                &[
                    ("name", "New Person"),
                    ("password", "a long passphrase"),
                    ("confirm_password", "a long passphrase"),
                ],
            )
            .await;
        assert_eq!(
            (made.status, made.location().as_str()),
            (303, "/organisations/northshire?notice=invitation-accepted")
        );
        let org = visitor.get("/organisations/northshire").await;
        assert_eq!(org.status, 200, "the new member sees their organisation");
        let reused = app.client().get(&link).await;
        assert_eq!(reused.status, 410);
        assert!(reused.text.contains("already been accepted"));
        let again = app
            .client()
            .form(
                &link,
                &[
                    ("name", "Someone"),
                    ("password", "a long passphrase"),
                    ("confirm_password", "a long passphrase"),
                ],
            )
            .await;
        assert_eq!(again.status, 409, "a used link makes no second account");
    })
    .await;
}

#[tokio::test]
async fn an_invitation_is_accepted_only_by_the_person_invited() {
    let app = TestApp::on(formwork_store::Backend::Sqlite).await;
    app.seed().await;
    let admin = app.signed_in("org-admin@northshire.test").await;
    admin
        .form(
            "/organisations/northshire/invitations",
            &[("email", "nobody@none.test"), ("roles", "certifier")],
        )
        .await;
    app.run_jobs().await;
    let link = app.link_in_last_email_to("nobody@none.test");
    let wrong = app.signed_in("editor@southvale.test").await;
    let page = wrong.get(&link).await;
    assert!(page.text.contains("You are signed in as editor@southvale.test"));
    let refused = wrong.form(&link, &[]).await;
    assert_eq!(refused.status, 403);
    // The invited person has an account: they sign in, and accept.
    let invited = app.client();
    let page = invited.get(&link).await;
    assert!(page.text.contains("Sign in to accept"));
    let signed = invited
        .form("/sign-in", &[("email", "nobody@none.test"), ("password", PASSWORD), ("return_to", &link)])
        .await;
    assert_eq!(signed.location(), link);
    let accepted = invited.form(&link, &[]).await;
    assert_eq!(
        (accepted.status, accepted.location().as_str()),
        (303, "/organisations/northshire?notice=invitation-accepted")
    );
    assert_eq!(invited.get("/organisations/northshire").await.status, 200);
}

#[tokio::test]
async fn expired_and_withdrawn_invitations_cannot_be_used() {
    let app = TestApp::on(formwork_store::Backend::Sqlite).await;
    app.seed().await;
    let admin = app.signed_in("org-admin@northshire.test").await;
    admin
        .form("/organisations/northshire/invitations", &[("email", "late@example.org"), ("roles", "editor")])
        .await;
    admin
        .form(
            "/organisations/northshire/invitations",
            &[("email", "withdrawn@example.org"), ("roles", "editor")],
        )
        .await;
    app.run_jobs().await;
    let late = app.link_in_last_email_to("late@example.org");
    let withdrawn = app.link_in_last_email_to("withdrawn@example.org");
    let token = app.token("org-admin@northshire.test").await;
    let listed = app
        .client()
        .api(Method::GET, "/api/v1/organisations/northshire/invitations", &token, None)
        .await
        .json();
    let id = listed.as_array().unwrap().iter().find(|i| i["email"] == "withdrawn@example.org").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let reply = admin.form(&format!("/organisations/northshire/invitations/{id}/withdraw"), &[]).await;
    assert_eq!(reply.status, 303);
    let gone = app.client().get(&withdrawn).await;
    assert_eq!(gone.status, 410);
    assert!(gone.text.contains("has been withdrawn"));
    app.clock.advance(7 * 24 * 60 * 60 * 1000 + 1);
    let expired = app.client().get(&late).await;
    assert_eq!(expired.status, 410);
    assert!(expired.text.contains("has expired"));
    assert_eq!(app.client().get("/invitations/not-a-real-token").await.status, 410);
}

#[tokio::test]
async fn an_organisation_keeps_at_least_one_admin() {
    let app = TestApp::on(formwork_store::Backend::Sqlite).await;
    app.seed().await;
    let admin = app.signed_in("org-admin@northshire.test").await;
    let me = admin.get("/api/v1/me").await.json();
    let id = me["id"].as_str().unwrap().to_string();
    let demote = admin.form(&format!("/organisations/northshire/members/{id}"), &[("roles", "editor")]).await;
    assert_eq!(demote.status, 409);
    assert!(demote.text.contains("needs at least one organisation admin"));
    let remove = admin.form(&format!("/organisations/northshire/members/{id}/remove"), &[]).await;
    assert_eq!(remove.status, 409);
}

#[tokio::test]
async fn only_the_roles_of_an_organisations_collections_are_offered_and_accepted() {
    let app = TestApp::on(formwork_store::Backend::Sqlite).await;
    app.seed().await;
    // southvale is given the towns fund alone; northshire the towns fund and the single audit;
    // nobody the lettings log.
    let admin = app.signed_in("org-admin@southvale.test").await;
    let form = admin.get("/organisations/southvale/invitations/new").await.text;
    for offered in ["org_admin", "editor", "finance", "certifier"] {
        assert!(form.contains(&format!("value=\"{offered}\"")), "{offered} is offered: {form}");
    }
    for other in ["auditor_certifier", "data_provider"] {
        assert!(!form.contains(&format!("value=\"{other}\"")), "{other} is not offered");
    }
    let northshire = app.signed_in("org-admin@northshire.test").await;
    let form = northshire.get("/organisations/northshire/invitations/new").await.text;
    assert!(form.contains("value=\"auditor_certifier\"") && !form.contains("value=\"data_provider\""));
    let token = app.token("org-admin@southvale.test").await;
    let client = app.client();
    let members =
        client.api(Method::GET, "/api/v1/organisations/southvale/members", &token, None).await.json();
    let editor = members.as_array().unwrap().iter().find(|m| m["email"] == "editor@southvale.test").unwrap();
    let editor = editor["user_id"].as_str().unwrap().to_string();
    let change = admin.get(&format!("/organisations/southvale/members/{editor}")).await.text;
    assert!(change.contains("value=\"finance\"") && !change.contains("value=\"auditor_certifier\""));

    let refused = admin
        .form(
            "/organisations/southvale/invitations",
            &[("email", "someone@southvale.test"), ("roles", "auditor_certifier")],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(refused.text.contains("“auditor_certifier” is not a role in Southvale District Council"));

    // The API refuses another collection's role exactly as it refuses a role nobody declares.
    let invite = |role: &'static str| {
        client.api(
            Method::POST,
            "/api/v1/organisations/southvale/invitations",
            &token,
            Some(json!({"email": "someone@southvale.test", "roles": [role]})),
        )
    };
    let member = format!("/api/v1/organisations/southvale/members/{editor}");
    let change =
        |role: &'static str| client.api(Method::PUT, &member, &token, Some(json!({"roles": [role]})));
    let shape = |reply: crate::support::Reply, role: &str| {
        let body = reply.json();
        (reply.status, body["error"]["code"].clone(), body["error"]["details"][0]["code"].clone(), {
            body["error"]["message"].as_str().unwrap().replace(role, "ROLE")
        })
    };
    for role in ["auditor_certifier", "data_provider"] {
        assert_eq!(shape(invite(role).await, role), shape(invite("astronaut").await, "astronaut"));
        assert_eq!(shape(change(role).await, role), shape(change("astronaut").await, "astronaut"));
        assert_eq!(invite(role).await.status, 422);
    }
    assert_eq!(change("finance").await.status, 200);
}
