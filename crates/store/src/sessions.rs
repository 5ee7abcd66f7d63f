//! Signed-in sessions, stored so that signing out (or an administrator) ends them at once.

use sqlx::AnyConnection;

use crate::organisations::Membership;
use crate::users::User;
use crate::{Result, get, hash_token, new_token};

/// A session and its person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// The hash of its token.
    pub token_hash: String,
    /// The token that protects its form posts.
    pub csrf_token: String,
    /// When it ends.
    pub expires_at: i64,
    /// When it started (a session ends a fixed time after, however active).
    pub created_at: i64,
    /// Who it is.
    pub user: User,
}

/// Start a session for a person: returns the token for the cookie. `csrf_token` protects its posts.
pub async fn create(
    c: &mut AnyConnection,
    user_id: &str,
    csrf_token: &str,
    now: i64,
    expires_at: i64,
) -> Result<String> {
    let (token, hash) = new_token();
    sqlx::query("INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $4, $5)")
        .bind(&hash)
        .bind(user_id)
        .bind(csrf_token)
        .bind(now)
        .bind(expires_at)
        .execute(&mut *c)
        .await?;
    Ok(token)
}

/// The live session for a cookie's token, if any, with its (enabled) person and their
/// memberships, by name of organisation — in one query, as every signed-in request needs them.
/// A row per membership (one when there are none) carries the session and the person again.
pub async fn principal(
    c: &mut AnyConnection,
    token: &str,
    now: i64,
) -> Result<Option<(Session, Vec<Membership>)>> {
    let rows = sqlx::query(
        "SELECT s.token_hash, s.csrf_token, s.expires_at AS session_expires_at, s.created_at AS session_created_at, \
         u.id, u.email, u.name, u.password_hash, u.staff_role, u.oidc_issuer, u.oidc_subject, u.failed_sign_ins, \
         u.locked_until, u.disabled, u.created_at, m.organisation_id, m.roles, o.slug, o.name AS org_name \
         FROM sessions s JOIN users u ON u.id = s.user_id \
         LEFT JOIN memberships m ON m.user_id = u.id LEFT JOIN organisations o ON o.id = m.organisation_id \
         WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.disabled = 0 \
         ORDER BY o.name, m.organisation_id",
    )
    .bind(hash_token(token))
    .bind(now)
    .fetch_all(&mut *c)
    .await?;
    let Some(first) = rows.first() else { return Ok(None) };
    let user = crate::users::user(first)?;
    let memberships = crate::organisations::joined_memberships(&rows, &user)?;
    let session = Session {
        token_hash: get(first, "token_hash")?,
        csrf_token: get(first, "csrf_token")?,
        expires_at: get(first, "session_expires_at")?,
        created_at: get(first, "session_created_at")?,
        user,
    };
    Ok(Some((session, memberships)))
}

/// Note the session was used, and slide its end (idle sessions still end).
pub async fn touch(c: &mut AnyConnection, token_hash: &str, now: i64, expires_at: i64) -> Result<()> {
    sqlx::query("UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE token_hash = $3")
        .bind(now)
        .bind(expires_at)
        .bind(token_hash)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// End one session.
pub async fn delete(c: &mut AnyConnection, token_hash: &str) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(&mut *c).await?;
    Ok(())
}

/// End every session of a person (a new password, or being disabled).
pub async fn delete_for_user(c: &mut AnyConnection, user_id: &str) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *c)
        .await?
        .rows_affected())
}

/// Remove sessions that have ended.
pub async fn delete_expired(c: &mut AnyConnection, now: i64) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(now)
        .execute(&mut *c)
        .await?
        .rows_affected())
}
