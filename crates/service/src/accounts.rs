//! Signing in and out: local accounts (password, lockout, rate limits, reset by email), sessions,
//! and matching people who sign in through an OpenID Connect provider to their accounts.

use formwork_mail::Email;
use formwork_store::audit::{self, AuditEvent};
use formwork_store::sessions::{self, Session};
use formwork_store::users::{self, User};
use formwork_store::{invitations, new_token, oidc_sign_ins, password_resets, sign_in_attempts};

use crate::policy::{Action, check};
use crate::{Actor, App, Problem, Result, ServiceError, commit, passwords};

/// How long failures are remembered for lockout and rate limits (ms).
pub const WINDOW: i64 = 15 * 60 * 1000;
/// Wrong passwords for one email address within the window before it is locked.
pub const LOCKOUT_AFTER: i64 = 5;
/// Sign-in attempts from one network address within the window before it must wait.
pub const ADDRESS_LIMIT: i64 = 50;
/// Password reset emails to one address per hour.
const RESET_LIMIT: i64 = 3;

const WRONG: &str = "Enter a correct email address and password";
const LOCKED: &str = "You have entered the wrong password too many times. Wait 15 minutes and try again, or reset your password";

/// Sign in with an email address and password, from network address `address`.
///
/// Unknown addresses, wrong passwords and disabled accounts get the same answer, after the same
/// work, so nobody learns which accounts exist. The lockout is kept by address, not by account,
/// for the same reason: the fifth wrong password within the window locks any address for the
/// window, whether or not it has an account.
pub async fn sign_in_with_password(app: &App, email: &str, password: &str, address: &str) -> Result<User> {
    let now = app.now();
    let email = users::normalise_email(email);
    let mut problems = Vec::new();
    if email.is_empty() {
        problems.push(Problem::new("email", "required", "Enter your email address"));
    } else if email.chars().any(char::is_control) {
        // No account's address has one, and PostgreSQL could not even look for it.
        problems.push(Problem::new(
            "email",
            "type",
            "Enter an email address in the correct format, like name@example.com",
        ));
    }
    if password.is_empty() {
        problems.push(Problem::new("password", "required", "Enter your password"));
    }
    if !problems.is_empty() {
        return Err(ServiceError::Invalid(problems));
    }
    let address_key = format!("address:{address}");
    let email_key = format!("email:{email}");
    let mut conn = app.store.conn().await?;
    if sign_in_attempts::count_since(&mut conn, &address_key, now - WINDOW).await? >= ADDRESS_LIMIT {
        return Err(ServiceError::TooManyAttempts(
            "There have been too many attempts to sign in from your network. Wait 15 minutes and try again"
                .into(),
        ));
    }
    let lock_key = format!("lock:{email}");
    let user = users::by_email(&mut conn, &email).await?;
    if sign_in_attempts::count_since(&mut conn, &lock_key, now - WINDOW).await? > 0 {
        return Err(ServiceError::TooManyAttempts(LOCKED.into()));
    }
    drop(conn);
    let usable = user.as_ref().filter(|u| !u.disabled);
    let matches = passwords::verify(password, usable.and_then(|u| u.password_hash.as_deref())).await;
    let mut conn = app.store.conn().await?;
    match (usable, matches) {
        (Some(user), true) => {
            users::record_sign_in(&mut conn, &user.id, now).await?;
            sign_in_attempts::clear(&mut conn, &email_key).await?;
            tracing::info!(user.id = %user.id, "signed in with a password");
            Ok(user.clone())
        }
        _ => {
            sign_in_attempts::prune(&mut conn, now - 3_600_000).await?;
            sign_in_attempts::record(&mut conn, &address_key, now).await?;
            sign_in_attempts::record(&mut conn, &email_key, now).await?;
            if sign_in_attempts::count_since(&mut conn, &email_key, now - WINDOW).await? >= LOCKOUT_AFTER {
                // The lock is the same row for an account and an unknown address, so that its
                // answers and its length say nothing about which addresses have accounts.
                sign_in_attempts::record(&mut conn, &lock_key, now).await?;
                sign_in_attempts::clear(&mut conn, &email_key).await?;
                if let Some(user) = &user {
                    tracing::warn!(user.id = %user.id, "an account was locked after wrong passwords");
                }
                return Err(ServiceError::TooManyAttempts(LOCKED.into()));
            }
            Err(ServiceError::invalid("email", "credentials", WRONG))
        }
    }
}

/// A new session: the token for the cookie, and the session's CSRF token.
#[derive(Clone, Debug)]
pub struct NewSession {
    /// The secret that goes in the cookie.
    pub token: String,
    /// The token forms must send back.
    pub csrf_token: String,
}

/// Start a session for a person who has just signed in. Any session the browser had before is
/// ended by the caller (the token changes at sign-in).
pub async fn start_session(app: &App, user_id: &str) -> Result<NewSession> {
    let now = app.now();
    let csrf_token = new_token().0;
    let mut conn = app.store.conn().await?;
    sessions::delete_expired(&mut conn, now).await?;
    let token =
        sessions::create(&mut conn, user_id, &csrf_token, now, now + app.settings.session_idle).await?;
    Ok(NewSession { token, csrf_token })
}

/// The live session a cookie's token names, and its person; the session's life is extended
/// (at most once a minute) up to its maximum.
///
/// The session, the person and their memberships are one query. Extending the session is a
/// second, made only when the end would move by over a minute: SQLite cannot join a person to an
/// `UPDATE … RETURNING` in one statement as PostgreSQL's `WITH` can, so writing on every request
/// would be two round trips each time.
pub async fn session(app: &App, token: &str) -> Result<Option<(Session, Actor)>> {
    let now = app.now();
    let mut conn = app.store.conn().await?;
    let Some((session, memberships)) = sessions::principal(&mut conn, token, now).await? else {
        return Ok(None);
    };
    if now >= session.created_at + app.settings.session_max {
        sessions::delete(&mut conn, &session.token_hash).await?;
        return Ok(None);
    }
    let expires_at = (now + app.settings.session_idle).min(session.created_at + app.settings.session_max);
    if expires_at - session.expires_at > 60_000 {
        sessions::touch(&mut conn, &session.token_hash, now, expires_at).await?;
    }
    let actor = Actor::with_memberships(session.user.clone(), memberships);
    Ok(Some((session, actor)))
}

/// End a session (sign out).
pub async fn end_session(app: &App, token_hash: &str) -> Result<()> {
    let mut conn = app.store.conn().await?;
    sessions::delete(&mut conn, token_hash).await?;
    Ok(())
}

/// The person an API token belongs to, with their memberships in the same query, recording its
/// use (at most once a minute).
pub async fn token_actor(app: &App, secret: &str) -> Result<Option<Actor>> {
    let mut conn = app.store.conn().await?;
    let Some((_, user, memberships)) =
        formwork_store::tokens::principal(&mut conn, secret, app.now()).await?
    else {
        return Ok(None);
    };
    Ok(Some(Actor::with_memberships(user, memberships)))
}

/// Send a password reset link to `email`, if it is a local account. The answer is the same
/// whether or not it is, and at most three links an hour go to one address.
pub async fn request_password_reset(app: &App, email: &str) -> Result<()> {
    let now = app.now();
    let mut problems = Vec::new();
    let email = crate::fields::email("email", email, &mut problems);
    if !problems.is_empty() {
        return Err(ServiceError::Invalid(problems));
    }
    let key = format!("reset:{email}");
    let mut tx = app.begin().await?;
    if sign_in_attempts::count_since(&mut tx, &key, now - 3_600_000).await? >= RESET_LIMIT {
        tracing::warn!("password reset emails to one address are being limited");
        return Ok(());
    }
    sign_in_attempts::record(&mut tx, &key, now).await?;
    if let Some(user) = users::by_email(&mut tx, &email).await?.filter(|u| !u.disabled) {
        let token =
            password_resets::create(&mut tx, &user.id, now, now + app.settings.reset_lifetime).await?;
        let service = &app.settings.service_name;
        let email = Email {
            to: user.email.clone(),
            subject: format!("Reset your password for {service}"),
            body: format!(
                "Someone asked to reset the password for your {service} account.\n\n\
                 To choose a new password, open this link within 1 hour:\n\n{}\n\n\
                 If you did not ask for this, you can ignore this email: your password has not changed.\n",
                app.link(&format!("/reset-password/{token}"))
            ),
        };
        crate::jobs::SendEmail::enqueue(&mut tx, email, now).await?;
    }
    commit(tx).await?;
    app.wake_worker();
    Ok(())
}

/// True when a reset link's token can still be used: live, and for an account that is not
/// disabled (a link sent before the account was disabled stops working).
pub async fn reset_link_works(app: &App, token: &str) -> Result<bool> {
    let mut conn = app.store.conn().await?;
    let Some(user_id) = password_resets::check(&mut conn, token, app.now()).await? else { return Ok(false) };
    Ok(users::by_id(&mut conn, &user_id).await?.is_some_and(|u| !u.disabled))
}

/// Choose a new password with a reset link. Every session of the account ends; the person is
/// returned so that the caller can sign them in.
pub async fn reset_password(app: &App, token: &str, password: &str, confirm: &str) -> Result<User> {
    let now = app.now();
    let mut conn = app.store.conn().await?;
    let Some(user_id) = password_resets::check(&mut conn, token, now).await? else {
        return Err(ServiceError::Conflict(
            "This link to reset your password has expired or has been used. Ask for a new one".into(),
        ));
    };
    let Some(user) = users::by_id(&mut conn, &user_id).await? else {
        return Err(ServiceError::NotFound("Page not found".into()));
    };
    if user.disabled {
        return Err(ServiceError::Conflict(
            "This link to reset your password has expired or has been used. Ask for a new one".into(),
        ));
    }
    drop(conn);
    new_password_problems("password", password, confirm, &user.email)?;
    let hash = passwords::hash(password).await?;
    let mut tx = app.begin().await?;
    if password_resets::use_token(&mut tx, token, now).await?.is_none() {
        return Err(ServiceError::Conflict(
            "This link to reset your password has been used. Ask for a new one".into(),
        ));
    }
    users::set_password(&mut tx, &user.id, &hash, now).await?;
    sessions::delete_for_user(&mut tx, &user.id).await?;
    sign_in_attempts::clear(&mut tx, &format!("email:{}", user.email)).await?;
    sign_in_attempts::clear(&mut tx, &format!("lock:{}", user.email)).await?;
    let event = AuditEvent::PasswordReset { user: user.id.clone() };
    audit::record(&mut tx, Some(&user.id), &event, now).await?;
    commit(tx).await?;
    Ok(user)
}

/// Change one's own password, knowing the current one. Every session of the account ends (the
/// caller starts a new one).
pub async fn change_password(
    app: &App,
    actor: &Actor,
    current: &str,
    password: &str,
    confirm: &str,
) -> Result<()> {
    check(actor, Action::UseAccount)?;
    let Some(person) = actor.as_person() else { return Err(ServiceError::SignInRequired) };
    let now = app.now();
    let mut conn = app.store.conn().await?;
    let user = users::by_id(&mut conn, &person.user.id).await?.ok_or(ServiceError::SignInRequired)?;
    drop(conn);
    if user.password_hash.is_some() && !passwords::verify(current, user.password_hash.as_deref()).await {
        return Err(ServiceError::invalid(
            "current_password",
            "credentials",
            "Enter your current password correctly",
        ));
    }
    new_password_problems("password", password, confirm, &user.email)?;
    let hash = passwords::hash(password).await?;
    let mut tx = app.begin().await?;
    users::set_password(&mut tx, &user.id, &hash, now).await?;
    sessions::delete_for_user(&mut tx, &user.id).await?;
    let event = AuditEvent::PasswordChanged { user: user.id.clone() };
    audit::record(&mut tx, Some(&user.id), &event, now).await?;
    commit(tx).await
}

/// The problems with a new password and its confirmation, as one error.
pub(crate) fn new_password_problems(field: &str, password: &str, confirm: &str, email: &str) -> Result<()> {
    if let Some(problem) = passwords::problem(field, password, email) {
        return Err(ServiceError::Invalid(vec![problem]));
    }
    if password != confirm {
        return Err(ServiceError::invalid("confirm_password", "match", "Passwords must match"));
    }
    Ok(())
}

/// What an OpenID Connect provider says about the person signing in.
#[derive(Clone, Debug)]
pub struct ProviderClaims {
    /// The provider (its issuer URL).
    pub issuer: String,
    /// The person's id at the provider.
    pub subject: String,
    /// Their email address, if the provider gave one.
    pub email: Option<String>,
    /// True when the provider has verified the email address.
    pub email_verified: bool,
    /// Their name, if given.
    pub name: Option<String>,
}

/// The account of a person the provider has signed in: found by the provider's subject, or on
/// their first sign-in by their verified email address (the account is then linked to the
/// subject). A person with no account is given one only if an invitation to their address is
/// waiting — access comes from invitations, never from the provider alone.
pub async fn sign_in_with_provider(app: &App, claims: &ProviderClaims) -> Result<User> {
    let now = app.now();
    let mut tx = app.begin().await?;
    if let Some(user) = users::by_oidc(&mut tx, &claims.issuer, &claims.subject).await? {
        if user.disabled {
            return Err(ServiceError::Forbidden(
                "Your account has been disabled. Contact the service's administrators".into(),
            ));
        }
        users::record_sign_in(&mut tx, &user.id, now).await?;
        commit(tx).await?;
        return Ok(user);
    }
    let email = match (&claims.email, claims.email_verified) {
        (Some(email), true) if crate::fields::is_email(&users::normalise_email(email)) => {
            users::normalise_email(email)
        }
        _ => {
            return Err(ServiceError::Forbidden(
                "Your identity provider did not confirm your email address, so it cannot be matched to an account. \
                 Ask your administrator to check your account's email address"
                    .into(),
            ));
        }
    };
    let user = match users::by_email(&mut tx, &email).await? {
        Some(user) => {
            if user.disabled {
                return Err(ServiceError::Forbidden(
                    "Your account has been disabled. Contact the service's administrators".into(),
                ));
            }
            if user.oidc_issuer.as_deref() == Some(claims.issuer.as_str()) {
                return Err(ServiceError::Conflict(format!(
                    "The account for {email} is linked to a different account at your identity provider. \
                     Contact the service's administrators"
                )));
            }
            user
        }
        None if invitations::open_for_email(&mut tx, &email, now).await? => {
            // A name the provider sends with a control character in it is left out, not stored.
            let name = claims.name.as_deref().filter(|n| !n.chars().any(char::is_control));
            users::create(&mut tx, &email, name, None, None, now).await?
        }
        None => {
            return Err(ServiceError::Forbidden(format!(
                "There is no account for {email}. Ask your organisation's administrator to invite you"
            )));
        }
    };
    users::link_oidc(&mut tx, &user.id, &claims.issuer, &claims.subject, now).await?;
    users::record_sign_in(&mut tx, &user.id, now).await?;
    commit(tx).await?;
    tracing::info!(user.id = %user.id, "linked an account to the identity provider at first sign-in");
    let mut conn = app.store.conn().await?;
    users::by_id(&mut conn, &user.id).await?.ok_or_else(|| ServiceError::internal("linked account vanished"))
}

pub use formwork_store::oidc_sign_ins::Pending as ProviderSignIn;

/// How long a person has to come back from the identity provider (ms).
const PROVIDER_SIGN_IN_LIFETIME: i64 = 10 * 60 * 1000;

/// Remember a sign-in through the identity provider that has started, under its `state`, until
/// the person comes back (ten minutes at most).
pub async fn begin_provider_sign_in(app: &App, state: &str, pending: &ProviderSignIn) -> Result<()> {
    let now = app.now();
    let mut conn = app.store.conn().await?;
    oidc_sign_ins::create(&mut conn, state, pending, now, now + PROVIDER_SIGN_IN_LIFETIME).await?;
    Ok(())
}

/// Take the sign-in `state` names, if it is still live: it works once, so a replayed callback
/// finds nothing.
pub async fn take_provider_sign_in(app: &App, state: &str) -> Result<Option<ProviderSignIn>> {
    let mut conn = app.store.conn().await?;
    Ok(oidc_sign_ins::take(&mut conn, state, app.now()).await?)
}
