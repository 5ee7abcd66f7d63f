//! API tokens: shown once, stored hashed, revocable, their last use recorded.

use serde::Serialize;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use crate::organisations::Membership;
use crate::users::User;
use crate::{Result, StoreError, get, hash_token, new_id, new_token};

/// An API token, without its secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    /// Its id.
    pub id: String,
    /// Whose it is.
    pub user_id: String,
    /// What it is for, in its owner's words.
    pub name: String,
    /// When it was made.
    pub created_at: i64,
    /// When it was last used.
    pub last_used_at: Option<i64>,
    /// When it was revoked.
    pub revoked_at: Option<i64>,
}

fn token(row: &AnyRow) -> Result<ApiToken> {
    Ok(ApiToken {
        id: get(row, "id")?,
        user_id: get(row, "user_id")?,
        name: get(row, "name")?,
        created_at: get(row, "created_at")?,
        last_used_at: get(row, "last_used_at")?,
        revoked_at: get(row, "revoked_at")?,
    })
}

/// Make a token for a person: the record, and the secret to show once.
pub async fn create(
    c: &mut AnyConnection,
    user_id: &str,
    name: &str,
    now: i64,
) -> Result<(ApiToken, String)> {
    let id = new_id();
    // The prefix makes a leaked token easy to recognise (and to scan for in code).
    let secret = format!("fwk_{}", new_token().0);
    let hash = hash_token(&secret);
    sqlx::query(
        "INSERT INTO api_tokens (id, user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&id)
    .bind(user_id)
    .bind(name)
    .bind(&hash)
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok((
        ApiToken {
            id,
            user_id: user_id.into(),
            name: name.into(),
            created_at: now,
            last_used_at: None,
            revoked_at: None,
        },
        secret,
    ))
}

/// How closely a token's last use is recorded (ms).
pub const LAST_USED_PRECISION: i64 = 60_000;

/// The live token a secret names, its (enabled) person and their memberships, by name of
/// organisation — in one query, as every call with a token needs them — recording its use (to
/// within [`LAST_USED_PRECISION`]).
///
/// Recording the use is a second statement, made at most once a minute per token: SQLite has no
/// data-modifying `WITH … UPDATE … RETURNING` to join the person to, so the two cannot be one
/// statement on both databases.
pub async fn principal(
    c: &mut AnyConnection,
    secret: &str,
    now: i64,
) -> Result<Option<(ApiToken, User, Vec<Membership>)>> {
    let rows = sqlx::query(
        "SELECT t.id AS token_id, t.name AS token_name, t.created_at AS token_created_at, t.last_used_at, t.revoked_at, \
         u.id, u.email, u.name, u.password_hash, u.staff_role, u.oidc_issuer, u.oidc_subject, u.failed_sign_ins, \
         u.locked_until, u.disabled, u.created_at, m.organisation_id, m.roles, o.slug, o.name AS org_name \
         FROM api_tokens t JOIN users u ON u.id = t.user_id \
         LEFT JOIN memberships m ON m.user_id = u.id LEFT JOIN organisations o ON o.id = m.organisation_id \
         WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.disabled = 0 \
         ORDER BY o.name, m.organisation_id",
    )
    .bind(hash_token(secret))
    .fetch_all(&mut *c)
    .await?;
    let Some(first) = rows.first() else { return Ok(None) };
    let user = crate::users::user(first)?;
    let memberships = crate::organisations::joined_memberships(&rows, &user)?;
    let found = ApiToken {
        id: get(first, "token_id")?,
        user_id: user.id.clone(),
        name: get(first, "token_name")?,
        created_at: get(first, "token_created_at")?,
        last_used_at: get(first, "last_used_at")?,
        revoked_at: get(first, "revoked_at")?,
    };
    // Recorded to the minute: a client making many calls writes once a minute, not once a call.
    if found.last_used_at.is_none_or(|at| now - at >= LAST_USED_PRECISION) {
        sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
            .bind(now)
            .bind(&found.id)
            .execute(&mut *c)
            .await?;
    }
    Ok(Some((found, user, memberships)))
}

/// A person's tokens, newest first.
pub async fn list_for(c: &mut AnyConnection, user_id: &str) -> Result<Vec<ApiToken>> {
    let rows = sqlx::query("SELECT * FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC, id DESC")
        .bind(user_id)
        .fetch_all(&mut *c)
        .await?;
    rows.iter().map(token).collect()
}

/// Revoke a person's token.
pub async fn revoke(c: &mut AnyConnection, user_id: &str, id: &str, now: i64) -> Result<()> {
    let done = sqlx::query(
        "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(id)
    .bind(user_id)
    .execute(&mut *c)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::not_found(format!("token {id}")));
    }
    Ok(())
}
