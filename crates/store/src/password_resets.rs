//! Password reset links: one use each, short-lived.

use sqlx::AnyConnection;

use crate::{Result, get, hash_token, new_token};

/// Make a reset link's token for a person.
pub async fn create(c: &mut AnyConnection, user_id: &str, now: i64, expires_at: i64) -> Result<String> {
    let (token, hash) = new_token();
    sqlx::query(
        "INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(&hash)
    .bind(user_id)
    .bind(now)
    .bind(expires_at)
    .execute(&mut *c)
    .await?;
    Ok(token)
}

/// The person a live, unused token is for, without using it (to show the form).
pub async fn check(c: &mut AnyConnection, token: &str, now: i64) -> Result<Option<String>> {
    let row = sqlx::query(
        "SELECT user_id FROM password_resets WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
    )
    .bind(hash_token(token))
    .bind(now)
    .fetch_optional(&mut *c)
    .await?;
    row.as_ref().map(|r| get(r, "user_id")).transpose()
}

/// Use a token: the person it is for, once only.
pub async fn use_token(c: &mut AnyConnection, token: &str, now: i64) -> Result<Option<String>> {
    let row = sqlx::query(
        "UPDATE password_resets SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 RETURNING user_id",
    )
    .bind(now)
    .bind(hash_token(token))
    .fetch_optional(&mut *c)
    .await?;
    row.as_ref().map(|r| get(r, "user_id")).transpose()
}
